//! Attachment extraction on the simulator's generated files: every kind gives back the
//! text planted in it, damaged files give errors (never panics), and limits hold.

use std::time::Duration;

use content::{ExtractError, ExtractLimits, FileKind, ImageInfo, extract};
use jira_sim::files;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn ok(bytes: &[u8], name: &str) -> content::Extracted {
    match extract(bytes, name, &ExtractLimits::default()) {
        Ok(x) => x,
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn pdf_pages_in_order() {
    let bytes = files::pdf(&s(&[
        "Outage report ENG-123\nRoot cause: expired certificate",
        "Second page zebra-42",
        "Third page final words",
    ]));
    let x = ok(&bytes, "report.pdf");
    assert_eq!(x.kind, FileKind::Pdf);
    assert_eq!(x.pages, Some(3));
    assert!(!x.truncated);
    let a = x.text.find("ENG-123").expect("page 1 text");
    let b = x.text.find("zebra-42").expect("page 2 text");
    let c = x.text.find("final words").expect("page 3 text");
    assert!(a < b && b < c, "page order: {}", x.text);
    assert!(
        x.text.contains("Root cause: expired certificate"),
        "{}",
        x.text
    );
}

#[test]
fn sniffing_picks_pdf_over_the_name() {
    let bytes = files::pdf(&s(&["hidden in a pdf"]));
    let x = ok(&bytes, "notes.txt");
    assert_eq!(x.kind, FileKind::Pdf);
    assert!(x.text.contains("hidden in a pdf"));
}

#[test]
fn html_without_scripts_and_styles() {
    let bytes = files::html(
        "Runbook & steps",
        "Restart the pod ENG-9\nThen check <logs>",
    );
    let x = ok(&bytes, "runbook.bin");
    assert_eq!(x.kind, FileKind::Html);
    for want in [
        "Runbook & steps",
        "Restart the pod ENG-9",
        "Then check <logs>",
    ] {
        assert!(x.text.contains(want), "missing {want:?} in {}", x.text);
    }
    for never in ["secretScriptToken", "secret-style-token", "never index me"] {
        assert!(!x.text.contains(never), "{never:?} leaked into {}", x.text);
    }
}

#[test]
fn docx_paragraphs() {
    let bytes = files::docx(&s(&["Design notes for ENG-77", "Use <quick-xml> & zip"]));
    let x = ok(&bytes, "design.docx");
    assert_eq!(x.kind, FileKind::Docx);
    assert_eq!(x.text, "Design notes for ENG-77\nUse <quick-xml> & zip");
}

#[test]
fn xlsx_rows_and_cells() {
    let rows = vec![
        s(&["Key", "Summary"]),
        s(&["ENG-1", "Login fails"]),
        s(&["OPS-2", "Disk full"]),
    ];
    let x = ok(&files::xlsx(&rows), "sheet.xlsx");
    assert_eq!(x.kind, FileKind::Xlsx);
    assert_eq!(x.pages, Some(1));
    assert_eq!(x.text, "Key\tSummary\nENG-1\tLogin fails\nOPS-2\tDisk full");
}

#[test]
fn pptx_slides_in_order() {
    let slides = s(&["Roadmap 2025", "Q1: search\nQ2: sync", "Thanks"]);
    let x = ok(&files::pptx(&slides), "deck.pptx");
    assert_eq!(x.kind, FileKind::Pptx);
    assert_eq!(x.pages, Some(3));
    assert_eq!(x.text, "Roadmap 2025\n\nQ1: search\nQ2: sync\n\nThanks");
}

#[test]
fn text_kinds_by_content_then_name() {
    let rows = vec![s(&["key", "note"]), s(&["ENG-5", "has, comma"])];
    let x = ok(&files::csv(&rows), "export.csv");
    assert_eq!(x.kind, FileKind::Csv);
    assert!(x.text.contains("ENG-5,\"has, comma\""), "{}", x.text);

    let x = ok(
        &files::json(&serde_json::json!({"issue": "ENG-8", "n": 1})),
        "dump.txt",
    );
    assert_eq!(x.kind, FileKind::Json);
    assert!(x.text.contains("\"issue\": \"ENG-8\""));

    let x = ok(&files::text("2025-03-04 ERROR ENG-3 boom\n"), "app.log");
    assert_eq!(x.kind, FileKind::Log);
    assert_eq!(x.text, "2025-03-04 ERROR ENG-3 boom");

    let x = ok(&files::text("# Title\n\nbody"), "README.md");
    assert_eq!(x.kind, FileKind::Markdown);
    let x = ok(&files::text("fn main() {}\n"), "main.rs");
    assert_eq!(x.kind, FileKind::SourceCode);
    let x = ok(&files::text("just words"), "notes");
    assert_eq!(x.kind, FileKind::PlainText);

    let x = ok(
        b"<?xml version=\"1.0\"?><a><b>one &amp; two</b><c x=\"attr\">three</c></a>",
        "x.dat",
    );
    assert_eq!(x.kind, FileKind::Xml);
    assert_eq!(x.text, "one & two\nthree");
}

#[test]
fn images_give_metadata_only() {
    let x = ok(&files::png(32, 16), "shot.png");
    assert_eq!(x.kind, FileKind::Png);
    assert_eq!(x.text, "");
    assert_eq!(
        x.image,
        Some(ImageInfo {
            width: 32,
            height: 16
        })
    );
}

#[test]
fn corrupt_pdf_is_an_error() {
    let bytes = files::corrupt_pdf(&s(&["lost text"]));
    match extract(&bytes, "broken.pdf", &ExtractLimits::default()) {
        Err(ExtractError::Corrupt { format, .. }) if format == "pdf" => {}
        other => panic!("expected Corrupt pdf, got {other:?}"),
    }
    // Truncated at every tenth: a corrupt-PDF error or partial text, nothing else.
    let good = files::pdf(&s(&["page one", "page two"]));
    for i in 1..10 {
        let cut = &good[..good.len() * i / 10];
        match extract(cut, "cut.pdf", &ExtractLimits::default()) {
            Ok(x) => assert_eq!(x.kind, FileKind::Pdf, "cut at {i}/10"),
            Err(e) => assert!(
                matches!(&e, ExtractError::Corrupt { format, .. } if format == "pdf"),
                "cut at {i}/10: {e}"
            ),
        }
    }
}

#[test]
fn truncated_office_files_are_corrupt() {
    let cases = [
        (files::docx(&s(&["x"])), "docx"),
        (files::xlsx(&[s(&["x"])]), "xlsx"),
        (files::pptx(&s(&["x"])), "pptx"),
    ];
    for (bytes, format) in cases {
        match extract(
            &files::truncated(&bytes),
            "cut.docx",
            &ExtractLimits::default(),
        ) {
            Err(ExtractError::Corrupt { format: f, detail }) => {
                assert_eq!(f, format, "{detail}");
                assert!(!detail.is_empty());
            }
            other => panic!("{format}: expected Corrupt, got {other:?}"),
        }
    }
}

#[test]
fn zip_bomb_is_refused() {
    // 64 entries of 4 MiB of zeros: 256 MiB that deflate to a few hundred KiB.
    let bomb = files::docx_bomb(64, 4 << 20);
    assert!(bomb.len() < 2 << 20, "bomb is {} bytes", bomb.len());
    match extract(&bomb, "innocent.docx", &ExtractLimits::default()) {
        Err(ExtractError::TooLarge { what, .. }) => assert!(what.contains("archive"), "{what}"),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // Many tiny entries: refused by count.
    let many = files::docx_bomb(200, 10);
    let limits = ExtractLimits {
        max_archive_entries: 100,
        ..Default::default()
    };
    assert!(matches!(
        extract(&many, "many.docx", &limits),
        Err(ExtractError::TooLarge { .. })
    ));
    // Total uncompressed size, with the ratio check out of the way.
    let limits = ExtractLimits {
        max_archive_uncompressed_bytes: 1 << 20,
        max_compression_ratio: u64::MAX,
        ..Default::default()
    };
    let big = files::docx_bomb(4, 512 << 10);
    assert!(matches!(
        extract(&big, "big.docx", &limits),
        Err(ExtractError::TooLarge { .. })
    ));
}

#[test]
fn oversize_input_is_too_large() {
    let bytes = files::text(&"a".repeat(2000));
    let limits = ExtractLimits {
        max_input_bytes: 1000,
        ..Default::default()
    };
    match extract(&bytes, "big.txt", &limits) {
        Err(ExtractError::TooLarge { size, limit, .. }) => assert_eq!((size, limit), (2000, 1000)),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn output_is_truncated_with_a_flag() {
    let limits = ExtractLimits {
        max_output_chars: 10,
        ..Default::default()
    };
    let x = extract(&files::text("ééééééééééééééé"), "a.txt", &limits).unwrap();
    assert!(x.truncated);
    assert_eq!(x.text.chars().count(), 10);
    let pages: Vec<String> = (0..20).map(|i| format!("page {i} text")).collect();
    let x = extract(&files::pdf(&pages), "a.pdf", &limits).unwrap();
    assert!(x.truncated && x.text.chars().count() <= 10, "{x:?}");
}

#[test]
fn zero_timeout_times_out() {
    let limits = ExtractLimits {
        timeout: Duration::ZERO,
        ..Default::default()
    };
    let pages: Vec<String> = (0..5).map(|i| format!("page {i}")).collect();
    assert!(matches!(
        extract(&files::pdf(&pages), "a.pdf", &limits),
        Err(ExtractError::Timeout(_))
    ));
}

#[test]
fn unsupported_and_garbage_inputs() {
    assert!(matches!(
        extract(
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
            "a.gz",
            &ExtractLimits::default()
        ),
        Err(ExtractError::Unsupported { .. })
    ));
    let plain_zip = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, b"hi").unwrap();
        w.finish().unwrap().into_inner()
    };
    assert!(matches!(
        extract(&plain_zip, "a.zip", &ExtractLimits::default()),
        Err(ExtractError::Unsupported { .. })
    ));
    assert_eq!(ok(b"", "empty.txt").text, "");
    // A bare magic number: a corrupt file, or an image without dimensions.
    for bytes in [&b"%PDF-"[..], b"PK\x03\x04"] {
        let e = extract(bytes, "x", &ExtractLimits::default()).expect_err("corrupt");
        assert!(matches!(e, ExtractError::Corrupt { .. }), "{e}");
    }
    for bytes in [&b"\x89PNG\r\n\x1a\n"[..], b"\xff\xd8\xff", b"GIF89a"] {
        let x = ok(bytes, "x");
        assert!(x.kind.is_image() && x.image.is_none() && x.text.is_empty());
    }
}

#[test]
fn deeply_nested_html_does_not_crash() {
    let html = format!(
        "<html><body>{}deep{}</body></html>",
        "<div>".repeat(5_000),
        "</div>".repeat(5_000)
    );
    // html2text bounds its own depth; whatever it keeps, we get text or a clean error.
    match extract(html.as_bytes(), "deep.html", &ExtractLimits::default()) {
        Ok(x) => assert_eq!(x.kind, FileKind::Html),
        Err(e) => assert!(
            matches!(&e, ExtractError::Corrupt { format, .. } if format == "html"),
            "{e}"
        ),
    }
}

#[test]
fn text_inside_form_xobjects_is_read_where_drawn() {
    let bytes = files::pdf_with_form("pagetext", Some("formtext"));
    let x = extract(&bytes, "form.pdf", &ExtractLimits::default()).unwrap();
    for word in ["pagetext", "form", "formtext"] {
        assert!(x.text.contains(word), "{word} in {:?}", x.text);
    }
}

#[test]
fn a_form_that_draws_itself_is_corrupt() {
    let bytes = files::pdf_with_form("pagetext", None);
    match extract(&bytes, "loop.pdf", &ExtractLimits::default()) {
        Err(ExtractError::Corrupt { format, detail }) => {
            assert_eq!(format, "pdf");
            assert!(detail.contains("draws itself"), "{detail}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

//! Extraction throughput (issue 6's targets: ADF → Markdown at least 50 MB/s; PDF
//! pages/s reported).
//!
//! ```text
//! cargo bench -p content --bench throughput
//! ```
//!
//! ADF: every description and comment of the simulator's small preset (1,000 issues),
//! plus the rich showcase document, measured as the bytes of their JSON. Two figures:
//! conversion of parsed documents (what sync does: the HTTP client already parsed
//! them), and JSON parse + conversion. PDF: a 200-page document the simulator makes,
//! extracted whole. DOCX, XLSX, PPTX and HTML are reported in MB/s too, and so is each
//! kind of the real-producer corpus (`tests/data/attachments`: LibreOffice,
//! python-docx/pptx, openpyxl, ReportLab, groff+Ghostscript files, ODT/ODS/ODP
//! included). Medians of 15 runs. The figures are also written, with the commit and
//! the machine, to `target/bench-results/content-throughput.json`.

use std::hint::black_box;
use std::time::Duration;

use content::{ExtractLimits, adf_to_markdown, extract};
use jira_sim::{GenConfig, files, generate};
use serde_json::{Value, json};

const RUNS: usize = 15;

fn time<F: FnMut()>(f: F) -> Duration {
    bench_results::time(RUNS, f)
}

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn main() {
    let mut results = bench_results::Results::new();
    // --- ADF -------------------------------------------------------------------
    let ws = generate(&GenConfig::small(7));
    let mut docs: Vec<Value> = Vec::new();
    for issue in &ws.issues {
        docs.push(issue.description.to_adf());
        docs.extend(issue.comments.iter().map(|c| c.body.to_adf()));
    }
    let (blocks, _) = jira_sim::rich::showcase("SIM-1");
    let showcase = json!({"type": "doc", "version": 1, "content": blocks});
    for _ in 0..200 {
        docs.push(showcase.clone());
    }
    let texts: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut out_chars = 0usize;
    let convert = time(|| {
        out_chars = docs
            .iter()
            .map(|d| black_box(adf_to_markdown(d)).len())
            .sum();
    });
    let parse_convert = time(|| {
        for t in &texts {
            let v: Value = serde_json::from_str(t).expect("json");
            black_box(adf_to_markdown(&v));
        }
    });
    println!(
        "ADF -> Markdown: {} documents, {:.1} MB of ADF JSON -> {:.1} MB of Markdown",
        docs.len(),
        bytes as f64 / 1e6,
        out_chars as f64 / 1e6
    );
    println!(
        "  convert (parsed documents): {:>7.1} MB/s  (median {:?})",
        mb_per_s(bytes, convert),
        convert
    );
    println!(
        "  JSON parse + convert:       {:>7.1} MB/s  (median {:?})",
        mb_per_s(bytes, parse_convert),
        parse_convert
    );
    results.add("adf_convert", mb_per_s(bytes, convert), "MB/s");
    results.add("adf_parse_convert", mb_per_s(bytes, parse_convert), "MB/s");

    // --- PDF -------------------------------------------------------------------
    let pages: Vec<String> = (0..200)
        .map(|p| {
            (0..30)
                .map(|l| {
                    format!("Page {p} line {l}: the deployment of ENG-{p}{l} failed with a timeout")
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let pdf = files::pdf(&pages);
    let limits = ExtractLimits::default();
    let mut n_pages = 0;
    let pdf_time = time(|| {
        let x = extract(black_box(&pdf), "report.pdf", &limits).expect("pdf");
        n_pages = x.pages.unwrap_or(0);
    });
    println!(
        "PDF: {} pages, {:.2} MB: {:.0} pages/s, {:.1} MB/s  (median {:?})",
        n_pages,
        pdf.len() as f64 / 1e6,
        n_pages as f64 / pdf_time.as_secs_f64(),
        mb_per_s(pdf.len(), pdf_time),
        pdf_time
    );
    results.add(
        "pdf_pages",
        n_pages as f64 / pdf_time.as_secs_f64(),
        "pages/s",
    );
    results.add("pdf", mb_per_s(pdf.len(), pdf_time), "MB/s");

    // --- Office and HTML -------------------------------------------------------
    let paragraphs: Vec<String> = (0..5_000)
        .map(|i| format!("Paragraph {i}: rollback of ENG-{i} & <checks> passed"))
        .collect();
    let rows: Vec<Vec<String>> = (0..5_000)
        .map(|i| vec![format!("ENG-{i}"), format!("{i}"), "open".to_string()])
        .collect();
    let body = paragraphs.join("\n");
    let cases = [
        ("DOCX", files::docx(&paragraphs), "design.docx"),
        ("XLSX", files::xlsx(&rows), "sheet.xlsx"),
        ("PPTX", files::pptx(&paragraphs[..500]), "deck.pptx"),
        ("HTML", files::html("Runbook", &body), "runbook.html"),
    ];
    for (name, bytes, file) in cases {
        let mut chars = 0;
        let d = time(|| {
            chars = extract(black_box(&bytes), file, &limits)
                .expect(name)
                .text
                .len();
        });
        println!(
            "{name}: {:.2} MB -> {:.2} MB of text: {:.1} MB/s of file, {:.1} MB/s of text  (median {:?})",
            bytes.len() as f64 / 1e6,
            chars as f64 / 1e6,
            mb_per_s(bytes.len(), d),
            mb_per_s(chars, d),
            d
        );
        results.add(&name.to_lowercase(), mb_per_s(bytes.len(), d), "MB/s");
    }

    // --- The real-producer corpus, per kind ------------------------------------
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/attachments");
    let mut by_kind: std::collections::BTreeMap<String, Vec<(String, Vec<u8>)>> =
        Default::default();
    for entry in std::fs::read_dir(&dir).expect("corpus dir").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let kind = name.rsplit('.').next().unwrap_or_default().to_string();
        if ["pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp"].contains(&kind.as_str()) {
            let bytes = std::fs::read(entry.path()).expect("corpus file");
            by_kind.entry(kind).or_default().push((name, bytes));
        }
    }
    for (kind, files) in &by_kind {
        let total: usize = files.iter().map(|(_, b)| b.len()).sum();
        let d = time(|| {
            for (name, bytes) in files {
                black_box(extract(bytes, name, &limits).expect(name));
            }
        });
        println!(
            "corpus {kind}: {} files, {:.2} MB: {:.1} MB/s, {:.0} files/s  (median {:?})",
            files.len(),
            total as f64 / 1e6,
            mb_per_s(total, d),
            files.len() as f64 / d.as_secs_f64(),
            d
        );
        results.add(&format!("corpus_{kind}"), mb_per_s(total, d), "MB/s");
    }
    results.write("content-throughput", env!("CARGO_MANIFEST_DIR"));
}

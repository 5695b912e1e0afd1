//! Tests of the file makers: each file opens as what it claims to be and holds its text.

use super::*;
use std::io::Read;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("valid zip");
    let mut s = String::new();
    archive
        .by_name(name)
        .expect("entry present")
        .read_to_string(&mut s)
        .expect("utf-8 entry");
    s
}

#[test]
fn pdf_text_comes_back_per_page() {
    let bytes = pdf(&strings(&["first page ENG-1", "second page\nline two"]));
    assert!(bytes.starts_with(b"%PDF-1.5"));
    let doc = Document::load_mem(&bytes).expect("loads");
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 2);
    assert!(doc.extract_text(&[1]).unwrap().contains("first page ENG-1"));
    let second = doc.extract_text(&[2]).unwrap();
    assert!(
        second.contains("second page") && second.contains("line two"),
        "{second}"
    );
}

#[test]
fn generators_are_deterministic() {
    let p = strings(&["same"]);
    assert_eq!(pdf(&p), pdf(&p));
    assert_eq!(docx(&p), docx(&p));
    assert_eq!(pptx(&p), pptx(&p));
    assert_eq!(png(3, 2), png(3, 2));
}

#[test]
fn corrupt_pdf_does_not_load() {
    let bytes = corrupt_pdf(&strings(&["x"]));
    assert!(bytes.starts_with(b"%PDF-"));
    let loaded = Document::load_mem(&bytes);
    assert!(loaded.map(|d| d.get_pages().is_empty()).unwrap_or(true));
}

#[test]
fn ooxml_parts_hold_the_text() {
    let d = docx(&strings(&["Hello <world> & co"]));
    assert!(zip_entry(&d, "[Content_Types].xml").contains("wordprocessingml"));
    assert!(zip_entry(&d, "word/document.xml").contains("Hello &lt;world&gt; &amp; co"));

    let x = xlsx(&[strings(&["a", "b"]), strings(&["c", "ENG-7"])]);
    assert!(zip_entry(&x, "xl/sharedStrings.xml").contains("<t xml:space=\"preserve\">ENG-7</t>"));
    assert!(zip_entry(&x, "xl/worksheets/sheet1.xml").contains("r=\"B2\""));

    let p = pptx(&strings(&["one", "two\nthree"]));
    assert!(zip_entry(&p, "ppt/slides/slide2.xml").contains("<a:t>three</a:t>"));
    assert!(zip_entry(&p, "[Content_Types].xml").contains("/ppt/slides/slide2.xml"));
}

#[test]
fn truncated_zip_and_bomb() {
    let d = docx(&strings(&["text"]));
    assert!(zip::ZipArchive::new(Cursor::new(truncated(&d))).is_err());
    let bomb = docx_bomb(10, 1 << 20);
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let archive = zip::ZipArchive::new(Cursor::new(&bomb)).expect("valid zip");
    assert_eq!(archive.len(), 13);
}

#[test]
fn png_is_well_formed() {
    let p = png(7, 5);
    assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&p[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes([p[16], p[17], p[18], p[19]]), 7);
    assert_eq!(u32::from_be_bytes([p[20], p[21], p[22], p[23]]), 5);
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert!(p.ends_with(&[0xae, 0x42, 0x60, 0x82]), "IEND CRC");
}

#[test]
fn csv_json_html_text() {
    let c = csv(&[strings(&["a,b", "say \"hi\""])]);
    assert_eq!(c, b"\"a,b\",\"say \"\"hi\"\"\"\r\n");
    assert!(json(&serde_json::json!({"k": "v"})).starts_with(b"{"));
    let h = String::from_utf8(html("T & T", "para")).unwrap();
    assert!(
        h.starts_with("<!DOCTYPE html>") && h.contains("<p>para</p>") && h.contains("T &amp; T")
    );
    assert_eq!(text("plain"), b"plain");
    assert_eq!(column_name(0), "A");
    assert_eq!(column_name(27), "AB");
}

//! Writes seed inputs for the fuzz targets (`fuzz/`): the simulator's generated PDF,
//! Office and text files, and the ADF showcase document with every node and mark.
//!
//! `cargo run -p content --example fuzz_seeds -- fuzz/seeds` (the committed seeds;
//! libFuzzer grows its own corpus from them under `fuzz/corpus`).

use std::path::PathBuf;

use jira_sim::files;

/// Parts of a zip file's entries joined with the fuzz targets' 0xFF separator, in the
/// order the structure-aware targets (`fuzz/src/lib.rs`) expect; absent parts empty.
fn joined(bytes: &[u8], names: &[&str]) -> Vec<u8> {
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(a) => a,
        Err(_) => return Vec::new(),
    };
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(0xff);
        }
        if let Ok(mut entry) = archive.by_name(name) {
            let _ = std::io::Read::read_to_end(&mut entry, &mut out);
        }
    }
    out
}

/// Seeds from the real-producer corpus (`tests/data/attachments`): every file for
/// the dispatcher, and the parts of each Office and OpenDocument file for the
/// structure-aware targets.
/// Writes one seed: target, file name, bytes.
type Write<'a> = &'a dyn Fn(&str, &str, &[u8]) -> std::io::Result<()>;

fn corpus_seeds(write: Write<'_>) -> std::io::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/attachments");
    let names = [
        "a.pdf", "a.docx", "a.xlsx", "a.pptx", "a.odt", "a.ods", "a.odp", "a.html",
    ];
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let ext = file.rsplit('.').next().unwrap_or_default().to_string();
        let Some(pick) = names.iter().position(|n| n.ends_with(&format!(".{ext}"))) else {
            continue;
        };
        let bytes = std::fs::read(&path)?;
        let mut dispatch = vec![pick as u8];
        dispatch.extend_from_slice(&bytes);
        write("dispatch", &file, &dispatch)?;
        match ext.as_str() {
            "pdf" => write("pdf", &file, &bytes)?,
            "docx" => write("docx", &file, &bytes)?,
            "xlsx" => {
                let parts = [
                    "xl/workbook.xml",
                    "xl/_rels/workbook.xml.rels",
                    "xl/worksheets/sheet1.xml",
                    "xl/sharedStrings.xml",
                    "xl/worksheets/_rels/sheet1.xml.rels",
                    "xl/comments1.xml",
                ];
                write("xlsx", &file, &joined(&bytes, &parts))?;
            }
            "pptx" => {
                let parts = [
                    "ppt/presentation.xml",
                    "ppt/_rels/presentation.xml.rels",
                    "ppt/slides/slide1.xml",
                    "ppt/slides/_rels/slide1.xml.rels",
                    "ppt/notesSlides/notesSlide1.xml",
                ];
                write("pptx", &file, &joined(&bytes, &parts))?;
            }
            "odt" | "ods" | "odp" => {
                let pick = match ext.as_str() {
                    "odt" => 0u8,
                    "ods" => 1,
                    _ => 2,
                };
                let mut seed = vec![pick];
                seed.extend(joined(&bytes, &["content.xml", "styles.xml"]));
                write("odf", &file, &seed)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or("fuzz/seeds".into()));
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let write = |target: &str, name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)
    };
    let pages = s(&["Outage report ENG-123", "Second page", "Third page"]);
    write("pdf", "three_pages.pdf", &files::pdf(&pages))?;
    write(
        "pdf",
        "one_page.pdf",
        &files::pdf(&s(&["hello (world) \\ done"])),
    )?;
    write("pdf", "corrupt.pdf", &files::corrupt_pdf(&pages))?;
    write(
        "pdf",
        "truncated.pdf",
        &files::truncated(&files::pdf(&pages)),
    )?;
    let paras = s(&["Design notes for ENG-77", "Use <quick-xml> & zip"]);
    write("docx", "doc.docx", &files::docx(&paras))?;
    write(
        "docx",
        "truncated.docx",
        &files::truncated(&files::docx(&paras)),
    )?;
    let rows = vec![s(&["key", "value"]), s(&["ENG-1", "42"])];
    write("docx", "sheet.xlsx", &files::xlsx(&rows))?;
    write(
        "docx",
        "slides.pptx",
        &files::pptx(&s(&["Slide one", "Slide two"])),
    )?;
    write("docx", "bomb.docx", &files::docx_bomb(3, 2 << 20))?;
    let (blocks, _) = jira_sim::rich::showcase("SIM-1");
    let doc = serde_json::json!({"type": "doc", "version": 1, "content": blocks});
    write(
        "adf",
        "showcase.json",
        serde_json::to_string(&doc)?.as_bytes(),
    )?;
    for (i, block) in blocks.iter().enumerate() {
        let one = serde_json::json!({"type": "doc", "version": 1, "content": [block]});
        write(
            "adf",
            &format!("block{i}.json"),
            serde_json::to_string(&one)?.as_bytes(),
        )?;
    }
    corpus_seeds(&write)?;
    let nested = files::html_nested(50, "<table><tr><td>", "</td></tr></table>", "deep");
    write("html", "nested_tables.html", &nested)?;
    write(
        "html",
        "page.html",
        &files::html("Title ENG-1", "one line\ntwo <lines> & more"),
    )?;
    write("pdf", "form_loop.pdf", &files::pdf_with_form("x", None))?;
    write(
        "pdf",
        "form_nested.pdf",
        &files::pdf_with_form("x", Some("y")),
    )?;
    println!("seeds written under {}", root.display());
    Ok(())
}

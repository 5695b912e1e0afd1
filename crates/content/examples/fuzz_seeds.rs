//! Writes seed inputs for the fuzz targets (`fuzz/`): the simulator's generated PDF,
//! Office and text files, and the ADF showcase document with every node and mark.
//!
//! `cargo run -p content --example fuzz_seeds -- fuzz/corpus`

use std::path::PathBuf;

use jira_sim::files;

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or("fuzz/corpus".into()));
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
    println!("seeds written under {}", root.display());
    Ok(())
}

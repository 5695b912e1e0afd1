//! Deterministic attachment bytes for tests and benchmarks: given text, each function
//! returns a small but valid file of one format (PDF, HTML, DOCX, XLSX, PPTX, CSV,
//! JSON, plain text, PNG) whose extractable text is exactly the text planted, plus
//! damaged variants (a corrupt PDF, a truncated zip, a zip bomb) for the failure paths.
//!
//! Owns: byte generation only. It does not serve the files (the server does) and does
//! not extract text (the `content` crate does). The same input always gives the same
//! bytes: no clocks, no randomness.

use std::io::{Cursor, Write};

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

/// A PDF with one page per entry of `pages`; each line of an entry is one line of text
/// on that page (Helvetica, 11 pt, top-down). Characters outside printable ASCII are
/// written as `?` (the standard Type 1 encoding covers ASCII only).
pub fn pdf(pages: &[String]) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids: Vec<Object> = Vec::with_capacity(pages.len());
    for page in pages {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("TL", vec![14.into()]),
            Operation::new("Td", vec![56.into(), 780.into()]),
        ];
        for line in page.lines() {
            let ascii: String = line
                .chars()
                .map(|c| {
                    if c == ' ' || c.is_ascii_graphic() {
                        c
                    } else {
                        '?'
                    }
                })
                .collect();
            ops.push(Operation::new("Tj", vec![Object::string_literal(ascii)]));
            ops.push(Operation::new("T*", vec![]));
        }
        ops.push(Operation::new("ET", vec![]));
        let content = Content { operations: ops };
        // Encoding a content stream built from literals cannot fail.
        let bytes = content.encode().unwrap_or_default();
        let content_id = doc.add_object(Stream::new(dictionary! {}, bytes));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    doc.compress();
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = doc.save_to(&mut out);
    out
}

/// A PDF that starts like one (`%PDF-1.5` header) but whose body is scrambled: no
/// objects, no cross-reference table, no trailer. Built from [`pdf`] so its size is
/// realistic.
pub fn corrupt_pdf(pages: &[String]) -> Vec<u8> {
    let good = pdf(pages);
    let header = b"%PDF-1.5\n";
    let mut out = header.to_vec();
    // Flip every byte of the body into a range no PDF token uses.
    out.extend(good.iter().skip(header.len()).map(|b| 0x80 | (b ^ 0x5a)));
    out
}

/// A one-page PDF whose page shows `text` and then draws the Form XObject `/X0`, a
/// form with no resources of its own that draws `/X0` again, so it draws itself
/// forever (inheriting the page's resources, ISO 32000-1 §8.10.1). With `nested` set,
/// the form instead draws a second form that shows `nested` text: a valid file.
pub fn pdf_with_form(text: &str, nested: Option<&str>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
    });
    let show = |t: &str, y: i64| {
        let ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("Td", vec![56.into(), y.into()]),
            Operation::new("Tj", vec![Object::string_literal(t)]),
            Operation::new("ET", vec![]),
        ];
        ops
    };
    let form = |ops: Vec<Operation>, resources: Option<lopdf::Dictionary>| {
        let mut dict = dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        };
        if let Some(r) = resources {
            dict.set("Resources", r);
        }
        let bytes = Content { operations: ops }.encode().unwrap_or_default();
        Stream::new(dict, bytes)
    };
    let draw = |name: &str| Operation::new("Do", vec![Object::Name(name.as_bytes().to_vec())]);
    let form_id = match nested {
        None => doc.add_object(form(vec![draw("X0")], None)),
        Some(inner_text) => {
            let inner = doc.add_object(form(show(inner_text, 600), None));
            let mut ops = show("form", 650);
            ops.push(draw("X1"));
            doc.add_object(form(
                ops,
                Some(dictionary! {
                    "Font" => dictionary! { "F1" => font_id },
                    "XObject" => dictionary! { "X1" => inner },
                }),
            ))
        }
    };
    let mut ops = show(text, 780);
    ops.push(draw("X0"));
    let content_id = doc.add_object(Stream::new(
        dictionary! {},
        Content { operations: ops }.encode().unwrap_or_default(),
    ));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => dictionary! {
            "Font" => dictionary! { "F1" => font_id },
            "XObject" => dictionary! { "X0" => form_id },
        },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    let _ = doc.save_to(&mut out);
    out
}

/// HTML with `open` repeated `depth` times around `text`, then `close` as often:
/// hostile nesting (e.g. `<div>` 200,000 deep) for the extraction limits.
pub fn html_nested(depth: usize, open: &str, close: &str, text: &str) -> Vec<u8> {
    let mut s = String::from("<html><body>");
    s.push_str(&open.repeat(depth));
    s.push_str(&escape_xml(text));
    s.push_str(&close.repeat(depth));
    s.push_str("</body></html>");
    s.into_bytes()
}

/// An HTML page with `title`, one `<p>` per line of `body_text`, and a script and a
/// style block whose contents must never reach the index.
pub fn html(title: &str, body_text: &str) -> Vec<u8> {
    let mut s =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(&format!("<title>{}</title>\n", escape_xml(title)));
    s.push_str("<style>body { color: #333; } .secret-style-token { display: none; }</style>\n");
    s.push_str("<script>var secretScriptToken = 'never index me';</script>\n");
    s.push_str("</head>\n<body>\n");
    s.push_str(&format!("<h1>{}</h1>\n", escape_xml(title)));
    for line in body_text.lines() {
        s.push_str(&format!("<p>{}</p>\n", escape_xml(line)));
    }
    s.push_str("</body>\n</html>\n");
    s.into_bytes()
}

/// A Word document (`.docx`) with one paragraph per entry.
pub fn docx(paragraphs: &[String]) -> Vec<u8> {
    ooxml_zip(&docx_parts(paragraphs))
}

fn docx_parts(paragraphs: &[String]) -> Vec<(&'static str, String)> {
    let mut body = String::new();
    for p in paragraphs {
        body.push_str(&format!(
            "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            escape_xml(p)
        ));
    }
    let document = format!(
        "{XML_DECL}<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}<w:sectPr/></w:body></w:document>"
    );
    vec![
        ("[Content_Types].xml", DOCX_CONTENT_TYPES.to_string()),
        ("_rels/.rels", rels(WORD_REL)),
        ("word/document.xml", document),
    ]
}

/// An Excel workbook (`.xlsx`) with one sheet holding `rows` (cells as shared strings).
pub fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut strings: Vec<&str> = Vec::new();
    let mut sheet_rows = String::new();
    for (r, row) in rows.iter().enumerate() {
        sheet_rows.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate() {
            let index = strings.len();
            strings.push(cell);
            sheet_rows.push_str(&format!(
                "<c r=\"{}{}\" t=\"s\"><v>{index}</v></c>",
                column_name(c),
                r + 1
            ));
        }
        sheet_rows.push_str("</row>");
    }
    let shared: String = strings
        .iter()
        .map(|s| format!("<si><t xml:space=\"preserve\">{}</t></si>", escape_xml(s)))
        .collect();
    let shared = format!(
        "{XML_DECL}<sst xmlns=\"{SML}\" count=\"{n}\" uniqueCount=\"{n}\">{shared}</sst>",
        n = strings.len()
    );
    let sheet = format!(
        "{XML_DECL}<worksheet xmlns=\"{SML}\"><sheetData>{sheet_rows}</sheetData></worksheet>"
    );
    let workbook = format!(
        "{XML_DECL}<workbook xmlns=\"{SML}\" xmlns:r=\"{REL_NS}\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
    );
    let workbook_rels = format!(
        "{XML_DECL}<Relationships xmlns=\"{PKG_REL_NS}\">\
<Relationship Id=\"rId1\" Type=\"{REL_NS}/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
<Relationship Id=\"rId2\" Type=\"{REL_NS}/sharedStrings\" Target=\"sharedStrings.xml\"/>\
</Relationships>"
    );
    ooxml_zip(&[
        ("[Content_Types].xml", XLSX_CONTENT_TYPES.to_string()),
        ("_rels/.rels", rels(XL_REL)),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", shared),
    ])
}

/// A PowerPoint deck (`.pptx`) with one slide per entry; each line of an entry is one
/// paragraph in the slide's text box.
pub fn pptx(slides: &[String]) -> Vec<u8> {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut overrides = String::new();
    let mut id_list = String::new();
    let mut pres_rels = String::new();
    for (i, slide) in slides.iter().enumerate() {
        let n = i + 1;
        let paras: String = slide
            .lines()
            .map(|l| format!("<a:p><a:r><a:t>{}</a:t></a:r></a:p>", escape_xml(l)))
            .collect();
        let xml = format!(
            "{XML_DECL}<p:sld xmlns:a=\"{DML}\" xmlns:p=\"{PML}\"><p:cSld><p:spTree>\
<p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>\
<p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"Text {n}\"/><p:cNvSpPr txBox=\"1\"/><p:nvPr/></p:nvSpPr><p:spPr/>\
<p:txBody><a:bodyPr/><a:lstStyle/>{paras}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
        );
        files.push((format!("ppt/slides/slide{n}.xml"), xml));
        overrides.push_str(&format!(
            "<Override PartName=\"/ppt/slides/slide{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slide+xml\"/>"
        ));
        id_list.push_str(&format!("<p:sldId id=\"{}\" r:id=\"rId{n}\"/>", 255 + n));
        pres_rels.push_str(&format!(
            "<Relationship Id=\"rId{n}\" Type=\"{REL_NS}/slide\" Target=\"slides/slide{n}.xml\"/>"
        ));
    }
    let content_types = format!(
        "{XML_DECL}<Types xmlns=\"{CT_NS}\">{CT_DEFAULTS}\
<Override PartName=\"/ppt/presentation.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml\"/>\
{overrides}</Types>"
    );
    let presentation = format!(
        "{XML_DECL}<p:presentation xmlns:a=\"{DML}\" xmlns:p=\"{PML}\" xmlns:r=\"{REL_NS}\"><p:sldIdLst>{id_list}</p:sldIdLst><p:sldSz cx=\"9144000\" cy=\"6858000\"/></p:presentation>"
    );
    let pres_rels =
        format!("{XML_DECL}<Relationships xmlns=\"{PKG_REL_NS}\">{pres_rels}</Relationships>");
    let mut parts: Vec<(&str, String)> = vec![
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", rels(PPT_REL)),
        ("ppt/presentation.xml", presentation),
        ("ppt/_rels/presentation.xml.rels", pres_rels),
    ];
    for (name, xml) in &files {
        parts.push((name.as_str(), xml.clone()));
    }
    ooxml_zip(&parts)
}

/// RFC 4180 CSV: fields quoted when they contain a comma, quote or line break.
pub fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut s = String::new();
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|f| {
                if f.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f.clone()
                }
            })
            .collect();
        s.push_str(&fields.join(","));
        s.push_str("\r\n");
    }
    s.into_bytes()
}

/// Pretty-printed JSON of `value`.
pub fn json(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap_or_default()
}

/// UTF-8 text, as is.
pub fn text(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// A valid `width`×`height` grey 8-bit PNG (uncompressed deflate blocks inside zlib).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let width = width.clamp(1, 4096);
    let height = height.clamp(1, 4096);
    let mut raw = Vec::with_capacity(((width + 1) * height) as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        raw.extend((0..width).map(|x| ((x + y) % 256) as u8));
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale, deflate, no interlace
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// The first half of `bytes`: for a zip (DOCX/XLSX/PPTX) the central directory is lost.
pub fn truncated(bytes: &[u8]) -> Vec<u8> {
    bytes[..bytes.len() / 2].to_vec()
}

/// A `.docx`-shaped zip bomb: a valid document plus `entries` extra parts of
/// `entry_bytes` zero bytes each, which deflate to almost nothing.
pub fn docx_bomb(entries: usize, entry_bytes: usize) -> Vec<u8> {
    let filler = vec![0u8; entry_bytes];
    let names: Vec<String> = (0..entries)
        .map(|i| format!("word/media/fill{i}.bin"))
        .collect();
    let parts = docx_parts(&["bomb".to_string()]);
    let document = parts.iter().map(|(n, s)| (*n, s.as_bytes()));
    let fill = names.iter().map(|n| (n.as_str(), filler.as_slice()));
    zip_bytes(document.chain(fill))
}

const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const CT_NS: &str = "http://schemas.openxmlformats.org/package/2006/content-types";
const PKG_REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const SML: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const DML: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
const PML: &str = "http://schemas.openxmlformats.org/presentationml/2006/main";
const CT_DEFAULTS: &str = "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>";
const DOCX_CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
const XLSX_CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/><Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/></Types>";
const WORD_REL: &str = "word/document.xml";
const XL_REL: &str = "xl/workbook.xml";
const PPT_REL: &str = "ppt/presentation.xml";

fn rels(target: &str) -> String {
    format!(
        "{XML_DECL}<Relationships xmlns=\"{PKG_REL_NS}\"><Relationship Id=\"rId1\" Type=\"{REL_NS}/officeDocument\" Target=\"{target}\"/></Relationships>"
    )
}

fn ooxml_zip(parts: &[(&str, String)]) -> Vec<u8> {
    zip_bytes(parts.iter().map(|(n, s)| (*n, s.as_bytes())))
}

fn zip_bytes<'a>(parts: impl Iterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, data) in parts {
        // Writing to memory fails only on invalid options, which these are not.
        if w.start_file(name, opts).is_err() || w.write_all(data).is_err() {
            break;
        }
    }
    w.finish().map(Cursor::into_inner).unwrap_or_default()
}

fn column_name(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// zlib stream made of stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests;

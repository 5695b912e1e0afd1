//! PDF text via lopdf, page by page in page order, in content-stream order (which is
//! reading order for producers that write a column at a time). Fonts are decoded by
//! lopdf: a ToUnicode CMap when there is one, else the font's encoding (standard,
//! WinAnsi, MacRoman, `Differences` through glyph names), so embedded Type 1 and
//! base-14 fonts without ToUnicode still give text. Text drawn inside Form XObjects
//! (`Do` of a form, ISO 32000-1 §8.10) is read where it is drawn, recursively, at most
//! [`MAX_FORM_DEPTH`] deep and [`MAX_FORMS_PER_PAGE`] per page; a form that draws
//! itself makes the file corrupt. The deadline is checked between pages and forms, and
//! every stream's decompressed size is bounded.

use std::collections::BTreeMap;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, LoadOptions, Object, ObjectId};

use super::error::ExtractError;
use super::limits::Deadline;
use super::sink::TextSink;

/// Most bytes one stream (object stream, page content, form) may inflate to.
const MAX_DECOMPRESSED: usize = 64 * 1024 * 1024;

/// Forms drawn inside forms deeper than this make the file corrupt.
pub(crate) const MAX_FORM_DEPTH: usize = 12;

/// Form drawings per page past which the page's forms are no longer read (a form drawn
/// twice by a form drawn twice … grows exponentially).
pub(crate) const MAX_FORMS_PER_PAGE: usize = 10_000;

/// Appends the text of each page to `sink`, pages separated by a blank line; returns
/// the page count. A page whose content cannot be read is skipped; a document whose
/// structure cannot be read, that has no pages, or whose forms draw themselves, is
/// corrupt.
pub(crate) fn extract(
    bytes: &[u8],
    sink: &mut TextSink,
    deadline: &Deadline,
) -> Result<u32, ExtractError> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_DECOMPRESSED),
        ..LoadOptions::default()
    };
    let doc =
        Document::load_mem_with_options(bytes, options).map_err(|e| corrupt(e.to_string()))?;
    deadline.check()?;
    if doc.is_encrypted() {
        return Err(ExtractError::Unsupported {
            kind: "encrypted pdf".to_string(),
        });
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(corrupt("no pages".to_string()));
    }
    let mut failed = 0usize;
    let mut first_error = None;
    for (&number, &page_id) in &pages {
        deadline.check()?;
        if sink.is_full() {
            break;
        }
        match page_text(&doc, page_id, deadline) {
            Ok(text) => {
                sink.paragraph_break();
                sink.push(text.trim());
            }
            Err(PageError::Fatal(e)) => return Err(e),
            Err(PageError::Unreadable(e)) => {
                failed += 1;
                first_error.get_or_insert(format!("page {number}: {e}"));
            }
        }
    }
    if failed == pages.len() {
        let detail = first_error.unwrap_or_default();
        return Err(corrupt(format!("no page could be read: {detail}")));
    }
    Ok(u32::try_from(pages.len()).unwrap_or(u32::MAX))
}

fn corrupt(detail: String) -> ExtractError {
    ExtractError::Corrupt {
        format: "pdf".into(),
        detail,
    }
}

enum PageError {
    /// The page is skipped.
    Unreadable(String),
    /// The file is refused (a timeout, a form that draws itself).
    Fatal(ExtractError),
}

impl From<lopdf::Error> for PageError {
    fn from(e: lopdf::Error) -> Self {
        PageError::Unreadable(e.to_string())
    }
}

/// Where names (fonts, XObjects) are looked up: the innermost form's resources first.
type Scope<'a> = Vec<&'a Dictionary>;

struct Walk<'a> {
    doc: &'a Document,
    deadline: &'a Deadline,
    forms_drawn: usize,
    /// The forms being drawn, outermost first (to find one that draws itself).
    drawing: Vec<ObjectId>,
    text: String,
}

fn page_text(doc: &Document, page_id: ObjectId, deadline: &Deadline) -> Result<String, PageError> {
    let (direct, referenced) = doc.get_page_resources(page_id)?;
    let mut scope: Scope<'_> = Vec::new();
    scope.extend(direct);
    scope.extend(
        referenced
            .iter()
            .filter_map(|id| doc.get_dictionary(*id).ok()),
    );
    let content = doc.get_page_content_with_limit(page_id, MAX_DECOMPRESSED)?;
    let mut walk = Walk {
        doc,
        deadline,
        forms_drawn: 0,
        drawing: Vec::new(),
        text: String::new(),
    };
    walk.content(&content, &scope)?;
    Ok(walk.text)
}

impl<'a> Walk<'a> {
    fn content(&mut self, data: &[u8], scope: &Scope<'a>) -> Result<(), PageError> {
        let content = Content::decode(data)?;
        let fonts = self.fonts(scope);
        let mut encoding: Option<&Encoding<'_>> = None;
        for op in &content.operations {
            let operands = &op.operands;
            match op.operator.as_str() {
                "Tf" => {
                    encoding = operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .and_then(|name| fonts.get(name));
                }
                "Tj" | "TJ" => self.show(encoding, operands),
                "'" => {
                    self.newline();
                    self.show(encoding, operands);
                }
                "\"" => {
                    self.newline();
                    self.show(
                        encoding,
                        operands.get(2).map(std::slice::from_ref).unwrap_or(&[]),
                    );
                }
                "T*" | "ET" => self.newline(),
                "Td" | "TD" => {
                    let dy = operands
                        .get(1)
                        .and_then(|o| o.as_float().ok())
                        .unwrap_or(0.0);
                    if dy != 0.0 {
                        self.newline();
                    }
                }
                "Do" => {
                    if let Some(name) = operands.first().and_then(|o| o.as_name().ok()) {
                        self.form(name, scope)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn newline(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    fn show(&mut self, encoding: Option<&Encoding<'_>>, operands: &[Object]) {
        if let Some(encoding) = encoding {
            collect_text(&mut self.text, encoding, operands);
        }
    }

    /// The fonts of the innermost resources that name any, by resource name.
    fn fonts(&self, scope: &Scope<'a>) -> BTreeMap<Vec<u8>, Encoding<'a>> {
        let mut fonts = BTreeMap::new();
        for resources in scope.iter().rev() {
            let Ok(dict) = self.doc.get_dict_in_dict(resources, b"Font") else {
                continue;
            };
            for (name, value) in dict.iter() {
                let font = match value {
                    Object::Reference(id) => self.doc.get_dictionary(*id).ok(),
                    Object::Dictionary(d) => Some(d),
                    _ => None,
                };
                if let Some(enc) = font.and_then(|f| {
                    f.get_font_encoding_with_limit(self.doc, MAX_DECOMPRESSED)
                        .ok()
                }) {
                    fonts.insert(name.clone(), enc);
                }
            }
        }
        fonts
    }

    /// Draws the XObject `name` if it is a form: its content with its own resources
    /// (or, lacking them, those it is drawn with).
    fn form(&mut self, name: &[u8], scope: &Scope<'a>) -> Result<(), PageError> {
        let Some((id, stream)) = scope.iter().find_map(|resources| {
            let xobjects = self.doc.get_dict_in_dict(resources, b"XObject").ok()?;
            let id = xobjects.get(name).ok()?.as_reference().ok()?;
            let stream = self.doc.get_object(id).ok()?.as_stream().ok()?;
            Some((id, stream))
        }) else {
            return Ok(());
        };
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
            return Ok(());
        }
        if self.drawing.contains(&id) {
            return Err(PageError::Fatal(corrupt(format!(
                "form XObject {} {} draws itself",
                id.0, id.1
            ))));
        }
        if self.drawing.len() >= MAX_FORM_DEPTH {
            return Err(PageError::Fatal(corrupt(format!(
                "form XObjects nested more than {MAX_FORM_DEPTH} deep"
            ))));
        }
        self.forms_drawn += 1;
        if self.forms_drawn > MAX_FORMS_PER_PAGE {
            return Ok(());
        }
        self.deadline.check().map_err(PageError::Fatal)?;
        let data = stream.get_plain_content_with_limit(MAX_DECOMPRESSED)?;
        let mut inner = scope.clone();
        if let Ok(own) = self.doc.get_dict_in_dict(&stream.dict, b"Resources") {
            inner.insert(0, own);
        }
        self.drawing.push(id);
        let result = self.content(&data, &inner);
        self.drawing.pop();
        self.newline();
        result
    }
}

/// The text of a `Tj`/`TJ` operand list: strings decoded, large negative kerning
/// (a word gap) as a space.
fn collect_text(text: &mut String, encoding: &Encoding<'_>, operands: &[Object]) {
    for operand in operands {
        match operand {
            Object::String(bytes, _) => {
                let _ = encoding.write_to_string(bytes, text);
            }
            Object::Array(items) => {
                collect_text(text, encoding, items);
                text.push(' ');
            }
            Object::Integer(i) if *i < -100 => text.push(' '),
            Object::Real(r) if *r < -100.0 => text.push(' '),
            _ => {}
        }
    }
}

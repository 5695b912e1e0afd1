//! DOCX, XLSX and PPTX: zip archives of XML parts ([`super::zipped`] guards the
//! archive). The parts are found the way Office finds them, through the package's
//! relationships (ECMA-376 Part 2, Open Packaging Conventions), in reading order:
//!
//! - Word: the main document, then its footnotes, endnotes, headers, footers and
//!   comments. Text boxes are read once: `mc:Fallback` copies of an
//!   `mc:AlternateContent` choice (ECMA-376 Part 3) are skipped.
//! - Excel: the sheets in workbook (tab) order, rows with cells tab-separated; the
//!   cached value of formula cells; each sheet's cell comments and threaded comments.
//! - PowerPoint: the slides in presentation order, each followed by its speaker notes;
//!   group shapes and tables are read like any shape.
//!
//! Packages without relationships fall back to the conventional part names.

use super::error::ExtractError;
use super::limits::{Deadline, ExtractLimits};
use super::sink::TextSink;
use super::sniff::FileKind;
use super::zipped::{self, Archive, Node, Rel, local, numbered_parts, read_part, targets, walk};

const OFFICE_DOCUMENT: &str = "officeDocument";

/// Extracts the text of an Office Open XML file; returns the sheet or slide count.
pub(crate) fn extract(
    bytes: &[u8],
    kind: FileKind,
    limits: &ExtractLimits,
    sink: &mut TextSink,
    deadline: &Deadline,
) -> Result<Option<u32>, ExtractError> {
    let format = kind.as_str();
    let (mut archive, budget) = zipped::open(bytes, limits, format)?;
    let mut pkg = Package {
        archive: &mut archive,
        budget,
        format,
        deadline,
    };
    let fallback = match kind {
        FileKind::Docx => "word/document.xml",
        FileKind::Xlsx => "xl/workbook.xml",
        FileKind::Pptx => "ppt/presentation.xml",
        _ => {
            return Err(ExtractError::Unsupported {
                kind: kind.to_string(),
            });
        }
    };
    let root = pkg.rels("")?;
    let main = targets(&root, OFFICE_DOCUMENT)
        .next()
        .unwrap_or(fallback)
        .to_string();
    match kind {
        FileKind::Docx => docx(&mut pkg, &main, sink).map(|()| None),
        FileKind::Xlsx => xlsx(&mut pkg, &main, sink).map(|n| Some(count(n))),
        _ => pptx(&mut pkg, &main, sink).map(|n| Some(count(n))),
    }
}

/// An open package and what reading it may still cost.
struct Package<'p, 'a> {
    archive: &'p mut Archive<'a>,
    budget: u64,
    format: &'static str,
    deadline: &'p Deadline,
}

impl Package<'_, '_> {
    fn part(&mut self, name: &str) -> Result<Option<String>, ExtractError> {
        self.deadline.check()?;
        read_part(self.archive, name, &mut self.budget, self.format)
    }

    fn rels(&mut self, part: &str) -> Result<Vec<Rel>, ExtractError> {
        zipped::relationships(
            self.archive,
            part,
            &mut self.budget,
            self.format,
            self.deadline,
        )
    }

    /// Appends the flowing text of `name`, if present, as a paragraph.
    fn flowing(&mut self, name: &str, sink: &mut TextSink) -> Result<(), ExtractError> {
        if sink.is_full() {
            return Ok(());
        }
        if let Some(xml) = self.part(name)? {
            sink.paragraph_break();
            flowing_text(&xml, self.format, sink, self.deadline)?;
        }
        Ok(())
    }
}

fn docx(pkg: &mut Package<'_, '_>, main: &str, sink: &mut TextSink) -> Result<(), ExtractError> {
    let rels = pkg.rels(main)?;
    pkg.flowing(main, sink)?;
    let mut parts: Vec<String> = Vec::new();
    for kind in ["footnotes", "endnotes", "header", "footer", "comments"] {
        parts.extend(targets(&rels, kind).map(str::to_string));
    }
    if rels.is_empty() {
        parts.extend(["word/footnotes.xml", "word/endnotes.xml"].map(String::from));
        parts.extend(numbered_parts(pkg.archive, "word/header"));
        parts.extend(numbered_parts(pkg.archive, "word/footer"));
        parts.push("word/comments.xml".into());
    }
    for part in dedup(parts) {
        pkg.flowing(&part, sink)?;
    }
    Ok(())
}

fn xlsx(pkg: &mut Package<'_, '_>, main: &str, sink: &mut TextSink) -> Result<usize, ExtractError> {
    let rels = pkg.rels(main)?;
    let shared = match targets(&rels, "sharedStrings").next().map(str::to_string) {
        Some(name) => pkg.part(&name)?,
        None => pkg.part("xl/sharedStrings.xml")?,
    };
    let shared = match shared {
        Some(xml) => shared_strings(&xml, pkg.deadline)?,
        None => Vec::new(),
    };
    let mut sheets = match pkg.part(main)? {
        Some(xml) => sheet_order(&xml, &rels, pkg.deadline)?,
        None => Vec::new(),
    };
    if sheets.is_empty() {
        sheets = numbered_parts(pkg.archive, "xl/worksheets/sheet");
    }
    for name in &sheets {
        if sink.is_full() {
            break;
        }
        if let Some(xml) = pkg.part(name)? {
            sink.paragraph_break();
            sheet_text(&xml, &shared, sink, pkg.deadline)?;
        }
        let sheet_rels = pkg.rels(name)?;
        let comments: Vec<String> = targets(&sheet_rels, "comments")
            .chain(targets(&sheet_rels, "threadedComment"))
            .map(str::to_string)
            .collect();
        for part in comments {
            pkg.flowing(&part, sink)?;
        }
    }
    Ok(sheets.len())
}

fn pptx(pkg: &mut Package<'_, '_>, main: &str, sink: &mut TextSink) -> Result<usize, ExtractError> {
    let rels = pkg.rels(main)?;
    let mut slides = match pkg.part(main)? {
        Some(xml) => id_list_order(&xml, b"sldId", &rels, pkg.deadline)?,
        None => Vec::new(),
    };
    if slides.is_empty() {
        slides = numbered_parts(pkg.archive, "ppt/slides/slide");
    }
    for name in &slides {
        if sink.is_full() {
            break;
        }
        pkg.flowing(name, sink)?;
        let slide_rels = pkg.rels(name)?;
        let notes: Vec<String> = targets(&slide_rels, "notesSlide")
            .map(str::to_string)
            .collect();
        for part in notes {
            pkg.flowing(&part, sink)?;
        }
    }
    Ok(slides.len())
}

/// The sheets of a workbook part in tab order (`<sheet r:id>`).
fn sheet_order(xml: &str, rels: &[Rel], deadline: &Deadline) -> Result<Vec<String>, ExtractError> {
    id_list_order(xml, b"sheet", rels, deadline)
}

/// The parts named, in document order, by the `r:id` of each `element` in `xml`.
fn id_list_order(
    xml: &str,
    element: &[u8],
    rels: &[Rel],
    deadline: &Deadline,
) -> Result<Vec<String>, ExtractError> {
    let by_id: std::collections::HashMap<&str, &str> = rels
        .iter()
        .map(|r| (r.id.as_str(), r.target.as_str()))
        .collect();
    let ids = rel_ids(xml, element, deadline)?;
    Ok(dedup(
        ids.iter()
            .filter_map(|id| by_id.get(id.as_str()).map(|t| t.to_string()))
            .collect(),
    ))
}

/// The `r:id` attributes of each `element`, in document order.
fn rel_ids(xml: &str, element: &[u8], deadline: &Deadline) -> Result<Vec<String>, ExtractError> {
    let mut ids = Vec::new();
    walk(xml, "office", deadline, |node| {
        if let Node::Open(e) = node
            && local(e) == element
        {
            // Unchecked: a repeated name does no harm, and the check was quadratic
            // before quick-xml 0.41 (RUSTSEC-2026-0194).
            let id = e.attributes().with_checks(false).flatten().find(|a| {
                let key = a.key.as_ref();
                key.ends_with(b":id") && !key.starts_with(b"xmlns")
            });
            if let Some(v) =
                id.and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
            {
                ids.push(v.into_owned());
            }
        }
        Ok(true)
    })?;
    Ok(ids)
}

fn dedup(names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .filter(|n| seen.insert(n.clone()))
        .collect()
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// WordprocessingML and DrawingML text: runs inside `<t>`, a line per paragraph,
/// tabs and breaks kept; the `mc:Fallback` of an `mc:AlternateContent` whose
/// `mc:Choice` was read is skipped (Word writes a text box twice: DrawingML and VML).
fn flowing_text(
    xml: &str,
    format: &'static str,
    sink: &mut TextSink,
    deadline: &Deadline,
) -> Result<(), ExtractError> {
    let mut in_text = 0usize;
    // Per open AlternateContent: whether a Choice has been seen.
    let mut alternates: Vec<bool> = Vec::new();
    // Depth inside a skipped Fallback.
    let mut skipping = 0usize;
    walk(xml, format, deadline, |node| {
        match node {
            Node::Open(e) => {
                let name = local(e);
                if skipping > 0 {
                    skipping += 1;
                    return Ok(true);
                }
                match name {
                    b"AlternateContent" => alternates.push(false),
                    b"Choice" => {
                        if let Some(seen) = alternates.last_mut() {
                            *seen = true;
                        }
                    }
                    b"Fallback" if alternates.last() == Some(&true) => skipping = 1,
                    b"t" => in_text += 1,
                    b"tab" => sink.push_char('\t'),
                    b"br" | b"cr" => sink.push_char('\n'),
                    _ => {}
                }
            }
            Node::Close(name) => {
                if skipping > 0 {
                    skipping -= 1;
                    return Ok(true);
                }
                match name {
                    b"AlternateContent" => {
                        alternates.pop();
                    }
                    b"t" => in_text = in_text.saturating_sub(1),
                    b"p" => sink.newline(),
                    b"tc" => sink.push_char('\t'),
                    _ => {}
                }
            }
            Node::Text(t) if in_text > 0 && skipping == 0 => sink.push(&t),
            Node::Text(_) => {}
        }
        Ok(!sink.is_full())
    })
}

/// The shared-string table of a workbook, phonetic runs left out.
fn shared_strings(xml: &str, deadline: &Deadline) -> Result<Vec<String>, ExtractError> {
    let mut strings = Vec::new();
    let mut current = String::new();
    let (mut in_text, mut in_phonetic) = (0usize, 0usize);
    walk(xml, "xlsx", deadline, |node| {
        match node {
            Node::Open(e) => match local(e) {
                b"si" => current.clear(),
                b"t" => in_text += 1,
                b"rPh" => in_phonetic += 1,
                _ => {}
            },
            Node::Close(name) => match name {
                b"si" => strings.push(std::mem::take(&mut current)),
                b"t" => in_text = in_text.saturating_sub(1),
                b"rPh" => in_phonetic = in_phonetic.saturating_sub(1),
                _ => {}
            },
            Node::Text(t) if in_text > 0 && in_phonetic == 0 => current.push_str(&t),
            Node::Text(_) => {}
        }
        Ok(true)
    })?;
    Ok(strings)
}

/// A worksheet's cells, one line per row, cells separated by tabs.
fn sheet_text(
    xml: &str,
    shared: &[String],
    sink: &mut TextSink,
    deadline: &Deadline,
) -> Result<(), ExtractError> {
    let mut cell_type: Vec<u8> = Vec::new();
    let mut value = String::new();
    let mut in_value = false;
    let mut first_cell = true;
    walk(xml, "xlsx", deadline, |node| {
        match node {
            Node::Open(e) => match local(e) {
                b"row" => first_cell = true,
                b"c" => {
                    cell_type = e
                        .try_get_attribute(b"t")
                        .ok()
                        .flatten()
                        .map(|a| a.value.into_owned())
                        .unwrap_or_default();
                    value.clear();
                }
                b"v" | b"t" => in_value = true,
                _ => {}
            },
            Node::Close(name) => match name {
                b"v" | b"t" => in_value = false,
                b"c" => {
                    let text = if cell_type == b"s" {
                        value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| shared.get(i))
                            .map(String::as_str)
                    } else {
                        Some(value.as_str())
                    };
                    if let Some(text) = text.filter(|t| !t.is_empty()) {
                        if !first_cell {
                            sink.push_char('\t');
                        }
                        sink.push(text);
                        first_cell = false;
                    }
                }
                b"row" => sink.newline(),
                _ => {}
            },
            Node::Text(t) if in_value => value.push_str(&t),
            Node::Text(_) => {}
        }
        Ok(!sink.is_full())
    })
}

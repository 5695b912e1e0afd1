//! DOCX, XLSX and PPTX: zip archives of XML parts. The archive's central directory is
//! checked against the zip-bomb limits (entry count, declared uncompressed total,
//! compression ratio) before any part is inflated, and every read is capped again in
//! case the directory lies. Text is taken from the parts in reading order: the Word
//! body then notes, each sheet's rows (cells tab-separated), each slide in order.

use std::borrow::Cow;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{Deadline, ExtractError, ExtractLimits, FileKind, TextSink};

/// Entries smaller than this are not held to the compression-ratio limit: small XML
/// parts legitimately compress very well.
const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// Extracts the text of an Office Open XML file; returns the sheet or slide count.
pub(crate) fn extract(
    bytes: &[u8],
    kind: FileKind,
    limits: &ExtractLimits,
    sink: &mut TextSink,
    deadline: &Deadline,
) -> Result<Option<u32>, ExtractError> {
    let format = kind.as_str();
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ExtractError::Corrupt {
            format: format.into(),
            detail: format!("unreadable zip archive: {e}"),
        })?;
    let mut budget = check_bomb(&mut archive, limits, format)?;
    let mut part =
        |archive: &mut Archive<'_>, name: &str| read_part(archive, name, &mut budget, format);
    match kind {
        FileKind::Docx => {
            for name in [
                "word/document.xml",
                "word/footnotes.xml",
                "word/endnotes.xml",
                "word/comments.xml",
            ] {
                if let Some(xml) = part(&mut archive, name)? {
                    sink.paragraph_break();
                    flowing_text(&xml, format, sink, deadline)?;
                }
            }
            Ok(None)
        }
        FileKind::Pptx => {
            let slides = numbered_parts(&archive, "ppt/slides/slide");
            for name in &slides {
                deadline.check()?;
                if sink.is_full() {
                    break;
                }
                if let Some(xml) = part(&mut archive, name)? {
                    sink.paragraph_break();
                    flowing_text(&xml, format, sink, deadline)?;
                }
            }
            Ok(Some(count(slides.len())))
        }
        FileKind::Xlsx => {
            let shared = match part(&mut archive, "xl/sharedStrings.xml")? {
                Some(xml) => shared_strings(&xml, deadline)?,
                None => Vec::new(),
            };
            let sheets = numbered_parts(&archive, "xl/worksheets/sheet");
            for name in &sheets {
                deadline.check()?;
                if sink.is_full() {
                    break;
                }
                if let Some(xml) = part(&mut archive, name)? {
                    sink.paragraph_break();
                    sheet_text(&xml, &shared, sink, deadline)?;
                }
            }
            Ok(Some(count(sheets.len())))
        }
        _ => Err(ExtractError::Unsupported {
            kind: kind.to_string(),
        }),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Refuses archives over the limits; returns how many uncompressed bytes may be read.
fn check_bomb(
    archive: &mut Archive<'_>,
    limits: &ExtractLimits,
    format: &'static str,
) -> Result<u64, ExtractError> {
    if archive.len() > limits.max_archive_entries {
        return Err(ExtractError::TooLarge {
            what: "the number of archive entries".into(),
            size: archive.len() as u64,
            limit: limits.max_archive_entries as u64,
        });
    }
    let mut total: u64 = 0;
    let mut total_compressed: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| ExtractError::Corrupt {
            format: format.into(),
            detail: format!("unreadable archive entry {i}: {e}"),
        })?;
        let size = entry.size();
        let compressed = entry.compressed_size().max(1);
        total = total.saturating_add(size);
        total_compressed = total_compressed.saturating_add(compressed);
        if size > RATIO_FLOOR_BYTES && size / compressed > limits.max_compression_ratio {
            return Err(ExtractError::TooLarge {
                what: "the compression ratio of an archive entry".into(),
                size: size / compressed,
                limit: limits.max_compression_ratio,
            });
        }
    }
    if total > limits.max_archive_uncompressed_bytes {
        return Err(ExtractError::TooLarge {
            what: "the uncompressed size of the archive in bytes".into(),
            size: total,
            limit: limits.max_archive_uncompressed_bytes,
        });
    }
    if total > 16 * RATIO_FLOOR_BYTES
        && total / total_compressed.max(1) > limits.max_compression_ratio
    {
        return Err(ExtractError::TooLarge {
            what: "the compression ratio of the archive".into(),
            size: total / total_compressed.max(1),
            limit: limits.max_compression_ratio,
        });
    }
    Ok(limits.max_archive_uncompressed_bytes)
}

/// Reads one part as text, charging its bytes to `budget`; `None` when absent.
fn read_part(
    archive: &mut Archive<'_>,
    name: &str,
    budget: &mut u64,
    format: &'static str,
) -> Result<Option<String>, ExtractError> {
    let entry = match archive.by_name(name) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => {
            return Err(ExtractError::Corrupt {
                format: format.into(),
                detail: format!("{name}: {e}"),
            });
        }
    };
    let mut data = Vec::new();
    let read = entry
        .take(budget.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| ExtractError::Corrupt {
            format: format.into(),
            detail: format!("{name}: {e}"),
        })? as u64;
    if read > *budget {
        return Err(ExtractError::TooLarge {
            what: "the uncompressed size of the archive in bytes".into(),
            size: read,
            limit: *budget,
        });
    }
    *budget -= read;
    Ok(Some(match String::from_utf8(data) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }))
}

/// Names `prefix<N>.xml`, ordered by N.
fn numbered_parts(archive: &Archive<'_>, prefix: &str) -> Vec<String> {
    let mut parts: Vec<(u64, String)> = archive
        .file_names()
        .filter_map(|name| {
            let n = name
                .strip_prefix(prefix)?
                .strip_suffix(".xml")?
                .parse()
                .ok()?;
            Some((n, name.to_string()))
        })
        .collect();
    parts.sort();
    parts.into_iter().map(|(_, name)| name).collect()
}

/// One XML event, reduced to what text extraction needs.
pub(crate) enum Node<'a, 'b> {
    Open(&'b BytesStart<'a>),
    Close(&'b [u8]),
    Text(Cow<'a, str>),
}

/// Walks `xml`, calling `on` for every element start/end and text run (entities
/// resolved); checks the deadline every 4096 events.
pub(crate) fn walk(
    xml: &str,
    format: &'static str,
    deadline: &Deadline,
    mut on: impl FnMut(Node<'_, '_>) -> Result<bool, ExtractError>,
) -> Result<(), ExtractError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = false;
    let corrupt = |e: String| ExtractError::Corrupt {
        format: format.into(),
        detail: e,
    };
    let mut events = 0u32;
    loop {
        events = events.wrapping_add(1);
        if events.is_multiple_of(4096) {
            deadline.check()?;
        }
        let event = reader
            .read_event()
            .map_err(|e| corrupt(format!("XML at byte {}: {e}", reader.buffer_position())))?;
        let go_on = match event {
            Event::Start(e) => on(Node::Open(&e))?,
            Event::Empty(e) => on(Node::Open(&e))? && on(Node::Close(e.local_name().into_inner()))?,
            Event::End(e) => on(Node::Close(e.local_name().into_inner()))?,
            Event::Text(t) => on(Node::Text(t.decode().map_err(|e| corrupt(e.to_string()))?))?,
            Event::CData(t) => on(Node::Text(t.decode().map_err(|e| corrupt(e.to_string()))?))?,
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .ok()
                        .flatten()
                        .map(|c| Cow::Owned(c.to_string()))
                } else {
                    r.decode()
                        .ok()
                        .and_then(|name| quick_xml::escape::resolve_xml_entity(&name))
                        .map(Cow::Borrowed)
                };
                match resolved {
                    Some(text) => on(Node::Text(text))?,
                    None => true,
                }
            }
            Event::Eof => return Ok(()),
            _ => true,
        };
        if !go_on {
            return Ok(());
        }
    }
}

fn local(e: &BytesStart<'_>) -> Vec<u8> {
    e.local_name().into_inner().to_vec()
}

/// WordprocessingML and DrawingML text: runs inside `<t>`, a line per paragraph,
/// tabs and breaks kept.
fn flowing_text(
    xml: &str,
    format: &'static str,
    sink: &mut TextSink,
    deadline: &Deadline,
) -> Result<(), ExtractError> {
    let mut in_text = 0usize;
    walk(xml, format, deadline, |node| {
        match node {
            Node::Open(e) => match local(e).as_slice() {
                b"t" => in_text += 1,
                b"tab" => sink.push_char('\t'),
                b"br" | b"cr" => sink.push_char('\n'),
                _ => {}
            },
            Node::Close(name) => match name {
                b"t" => in_text = in_text.saturating_sub(1),
                b"p" => sink.newline(),
                b"tc" => sink.push_char('\t'),
                _ => {}
            },
            Node::Text(t) if in_text > 0 => sink.push(&t),
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
            Node::Open(e) => match local(e).as_slice() {
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
            Node::Open(e) => match local(e).as_slice() {
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

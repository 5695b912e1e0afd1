//! Zip-based documents (Office Open XML, OpenDocument): the archive's central
//! directory is checked against the zip-bomb limits (entry count, declared
//! uncompressed total, compression ratio) before any part is inflated, and every read
//! is capped again in case the directory lies. Parts are read as text and walked as
//! XML events; OPC relationships (`_rels/*.rels`) say which parts belong to a part.

use std::borrow::Cow;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::error::ExtractError;
use super::limits::{Deadline, ExtractLimits};

/// Entries smaller than this are not held to the compression-ratio limit: small XML
/// parts legitimately compress very well.
const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;

pub(crate) type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// Opens `bytes` as a zip archive, checked against the bomb limits; returns it with
/// the uncompressed bytes that may be read from it.
pub(crate) fn open<'a>(
    bytes: &'a [u8],
    limits: &ExtractLimits,
    format: &'static str,
) -> Result<(Archive<'a>, u64), ExtractError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ExtractError::Corrupt {
            format: format.into(),
            detail: format!("unreadable zip archive: {e}"),
        })?;
    let budget = check_bomb(&mut archive, limits, format)?;
    Ok((archive, budget))
}

/// One package relationship: its id, type URI and the part it targets.
pub(crate) struct Rel {
    pub id: String,
    pub kind: String,
    pub target: String,
}

/// The relationships of `part` (from `<dir>/_rels/<name>.rels`, ECMA-376 Part 2 §9),
/// in document order, targets resolved to part names; external targets left out.
pub(crate) fn relationships(
    archive: &mut Archive<'_>,
    part: &str,
    budget: &mut u64,
    format: &'static str,
    deadline: &Deadline,
) -> Result<Vec<Rel>, ExtractError> {
    let (dir, name) = part.rsplit_once('/').unwrap_or(("", part));
    let rels_name = if dir.is_empty() {
        format!("_rels/{name}.rels")
    } else {
        format!("{dir}/_rels/{name}.rels")
    };
    // Most parts have no relationships: a name lookup, no read.
    if archive.index_for_name(&rels_name).is_none() {
        return Ok(Vec::new());
    }
    let Some(xml) = read_part(archive, &rels_name, budget, format)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    walk(&xml, format, deadline, |node| {
        if let Node::Open(e) = node
            && e.local_name().into_inner() == b"Relationship"
        {
            let (mut id, mut kind, mut target, mut external) = (None, None, None, false);
            // No duplicate-name check: it was quadratic in the attributes of one tag
            // before quick-xml 0.41 (RUSTSEC-2026-0194), and a repeated name does no harm.
            for a in e.attributes().with_checks(false).flatten() {
                let Ok(value) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0) else {
                    continue;
                };
                match a.key.local_name().into_inner() {
                    b"Id" => id = Some(value.into_owned()),
                    b"Type" => kind = Some(value.into_owned()),
                    b"Target" => target = Some(value),
                    b"TargetMode" => external = value == "External",
                    _ => {}
                }
            }
            if let (Some(id), Some(kind), Some(target), false) = (id, kind, target, external) {
                out.push(Rel {
                    id,
                    kind,
                    target: resolve(dir, &target),
                });
            }
        }
        Ok(true)
    })?;
    Ok(out)
}

/// The part named by `target` relative to `dir` (`/abs`, `../up`, `./here`).
fn resolve(dir: &str, target: &str) -> String {
    let plain = !target.starts_with('/')
        && !target
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..");
    if plain {
        return if dir.is_empty() {
            target.to_string()
        } else {
            format!("{dir}/{target}")
        };
    }
    let mut segments: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    segments.join("/")
}

/// The targets of the relationships whose type ends with `/suffix`.
pub(crate) fn targets<'r>(rels: &'r [Rel], suffix: &'r str) -> impl Iterator<Item = &'r str> + 'r {
    rels.iter()
        .filter(move |r| r.kind.rsplit('/').next() == Some(suffix))
        .map(|r| r.target.as_str())
}

/// Refuses archives over the limits; returns how many uncompressed bytes may be read.
pub(crate) fn check_bomb(
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
pub(crate) fn read_part(
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
    // Sized from the declared size (capped: the directory may lie), so the read is
    // one pass, not a probe and a series of doublings.
    let declared = entry.size().min(*budget).min(64 * 1024 * 1024);
    let mut data = Vec::with_capacity(usize::try_from(declared).unwrap_or(0) + 1);
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
pub(crate) fn numbered_parts(archive: &Archive<'_>, prefix: &str) -> Vec<String> {
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

/// The element's name without its namespace prefix (borrowed, no allocation: this runs
/// for every element of every part).
pub(crate) fn local<'e>(e: &'e BytesStart<'_>) -> &'e [u8] {
    e.local_name().into_inner()
}

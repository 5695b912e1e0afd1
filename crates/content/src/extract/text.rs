//! Text kinds (plain text, Markdown, CSV, JSON, logs, source code, XML): decoded from
//! UTF-8, UTF-16 with a byte-order mark, or else Latin-1, and kept as written; XML
//! keeps only its character data, one run per line.

use std::borrow::Cow;

use super::error::ExtractError;
use super::limits::Deadline;
use super::sink::TextSink;
use super::sniff::FileKind;
use super::zipped::{Node, walk};

/// Characters pushed between deadline checks.
const SLICE: usize = 1 << 20;

pub(crate) fn extract(
    bytes: &[u8],
    kind: FileKind,
    sink: &mut TextSink,
    deadline: &Deadline,
) -> Result<(), ExtractError> {
    let text = decode(bytes);
    if kind == FileKind::Xml {
        let mut xml_text = TextSink::new(usize::MAX);
        let mut run = String::new();
        let flush = |run: &mut String, out: &mut TextSink| {
            let t = run.trim();
            if !t.is_empty() {
                out.push(t);
                out.push_char('\n');
            }
            run.clear();
        };
        let parsed = walk(&text, "xml", deadline, |node| {
            match node {
                Node::Text(t) => run.push_str(&t),
                _ => flush(&mut run, &mut xml_text),
            }
            Ok(true)
        });
        flush(&mut run, &mut xml_text);
        match parsed {
            Ok(()) => return push_sliced(&xml_text.finish(), sink, deadline),
            Err(ExtractError::Timeout(d)) => return Err(ExtractError::Timeout(d)),
            // Malformed XML is still text: keep it as written.
            Err(_) => {}
        }
    }
    push_sliced(&text, sink, deadline)
}

fn push_sliced(text: &str, sink: &mut TextSink, deadline: &Deadline) -> Result<(), ExtractError> {
    let mut rest = text;
    while !rest.is_empty() && !sink.is_full() {
        deadline.check()?;
        let mut cut = rest.len().min(SLICE);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        sink.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    Ok(())
}

/// Bytes → text: UTF-8 (byte-order mark dropped), UTF-16 with a byte-order mark, or
/// Latin-1 for anything else. Never fails.
pub(crate) fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return String::from_utf8_lossy(rest);
    }
    let utf16 = |rest: &[u8], le: bool| -> Cow<'_, str> {
        let units = rest.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        Cow::Owned(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        )
    };
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return utf16(rest, false);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_boms_and_latin1() {
        assert_eq!(decode(b"\xef\xbb\xbfhi"), "hi");
        assert_eq!(decode(b"\xff\xfeh\x00i\x00"), "hi");
        assert_eq!(decode(b"\xfe\xff\x00h\x00i"), "hi");
        assert_eq!(decode(b"caf\xe9"), "caf\u{e9}");
    }
}

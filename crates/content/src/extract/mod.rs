//! Attachment bytes → searchable text. The format is chosen by sniffing the bytes
//! ([`sniff`]), never by trusting the file name, which only breaks ties between text
//! kinds (CSV, JSON, Markdown, logs, source code). Each format has its own module:
//! [`pdf`] (lopdf, text in page order), [`ooxml`] (DOCX/XLSX/PPTX via zip + quick-xml,
//! with zip-bomb limits), [`odf`] (ODT/ODS/ODP), [`html`] (html2text, scripts and styles dropped) and [`text`]
//! (plain text kinds and XML). Images give no text, only metadata.
//!
//! Hostile input is expected: every input is bounded in size, time and output length
//! ([`ExtractLimits`]), a damaged file is an [`ExtractError`], and a panic in a parser
//! is caught and reported as [`ExtractError::Corrupt`]. The only clock read is the
//! extraction deadline. This module knows nothing about issues: callers add the issue
//! key and file name when they report an error, and still index the attachment by name.

mod html;
mod odf;
mod ooxml;
mod pdf;
mod sniff;
mod text;
mod zipped;

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

pub use sniff::FileKind;

/// Per-file limits. Defaults: 50 MiB input, 1,000,000 output characters, 10 s, and
/// for zip-based formats 10,000 entries, 256 MiB uncompressed, ratio 200 per large
/// entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExtractLimits {
    /// Larger inputs are refused with [`ExtractError::TooLarge`].
    pub max_input_bytes: usize,
    /// Text beyond this many characters is cut off and [`Extracted::truncated`] set.
    pub max_output_chars: usize,
    /// Wall-clock budget for one file; checked between pages, parts and XML events.
    pub timeout: Duration,
    /// Archives (DOCX/XLSX/PPTX) with more entries are refused.
    pub max_archive_entries: usize,
    /// Archives whose entries declare more uncompressed bytes in total are refused.
    pub max_archive_uncompressed_bytes: u64,
    /// An entry over 1 MiB uncompressed that is compressed more than this ratio is
    /// refused (a zip bomb).
    pub max_compression_ratio: u64,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 50 * 1024 * 1024,
            max_output_chars: 1_000_000,
            timeout: Duration::from_secs(10),
            max_archive_entries: 10_000,
            max_archive_uncompressed_bytes: 256 * 1024 * 1024,
            max_compression_ratio: 200,
        }
    }
}

/// Pixel size of an image, read from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageInfo {
    pub width: u32,
    pub height: u32,
}

/// The text of one attachment and what was learnt about it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Extracted {
    /// The sniffed format.
    pub kind: FileKind,
    /// The text, at most `max_output_chars` characters; empty for images.
    pub text: String,
    /// `true` when the text was cut at `max_output_chars`.
    pub truncated: bool,
    /// Pages (PDF), slides (PPTX) or sheets (XLSX), where the format has them.
    pub pages: Option<u32>,
    /// Image dimensions, for images whose header gives them.
    pub image: Option<ImageInfo>,
}

/// Why a file gave no text.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ExtractError {
    #[error(
        "{what} is {size} bytes, over the limit of {limit} bytes; raise the limit or skip the file"
    )]
    TooLarge {
        what: Cow<'static, str>,
        size: u64,
        limit: u64,
    },
    #[error("corrupt {format} file: {detail}")]
    Corrupt {
        format: Cow<'static, str>,
        detail: String,
    },
    #[error("no text extraction for {kind} files")]
    Unsupported { kind: String },
    #[error("extraction took longer than {0:?}; raise the timeout or skip the file")]
    Timeout(Duration),
    /// The parser took its process down (a stack overflow, an abort); only the
    /// isolating extractor (the `extractor` crate) reports this, from the outside.
    #[error("the parser crashed on this file: {detail}")]
    Crashed { detail: String },
}

/// Extracts the text of `bytes`, choosing the format by sniffing the bytes; the
/// `file_name` only breaks ties between text kinds. Never panics.
pub fn extract(
    bytes: &[u8],
    file_name: &str,
    limits: &ExtractLimits,
) -> Result<Extracted, ExtractError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(ExtractError::TooLarge {
            what: "the file".into(),
            size: bytes.len() as u64,
            limit: limits.max_input_bytes as u64,
        });
    }
    let deadline = Deadline::new(limits.timeout);
    match catch_unwind(AssertUnwindSafe(|| {
        extract_unguarded(bytes, file_name, limits, &deadline)
    })) {
        Ok(result) => result,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "parser panicked".to_string());
            Err(ExtractError::Corrupt {
                format: "unknown".into(),
                detail: format!("parser panicked: {detail}"),
            })
        }
    }
}

fn extract_unguarded(
    bytes: &[u8],
    file_name: &str,
    limits: &ExtractLimits,
    deadline: &Deadline,
) -> Result<Extracted, ExtractError> {
    let kind = sniff::sniff(bytes, file_name, limits)?;
    let mut sink = TextSink::new(limits.max_output_chars);
    let mut out = Extracted {
        kind,
        text: String::new(),
        truncated: false,
        pages: None,
        image: None,
    };
    match kind {
        FileKind::Pdf => out.pages = Some(pdf::extract(bytes, &mut sink, deadline)?),
        FileKind::Docx | FileKind::Xlsx | FileKind::Pptx => {
            out.pages = ooxml::extract(bytes, kind, limits, &mut sink, deadline)?;
        }
        FileKind::Odt | FileKind::Ods | FileKind::Odp => {
            out.pages = odf::extract(bytes, kind, limits, &mut sink, deadline)?;
        }
        FileKind::Html => html::extract(bytes, &mut sink, deadline)?,
        FileKind::Png | FileKind::Jpeg | FileKind::Gif | FileKind::Webp => {
            out.image = sniff::image_info(bytes, kind);
        }
        _ => text::extract(bytes, kind, &mut sink, deadline)?,
    }
    deadline.check()?;
    out.truncated = sink.truncated;
    out.text = sink.finish();
    Ok(out)
}

/// The extraction deadline, checked by the format modules between units of work.
pub(crate) struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    fn new(budget: Duration) -> Self {
        let now = Instant::now();
        Self {
            at: now
                .checked_add(budget)
                .unwrap_or(now + Duration::from_secs(86_400)),
            budget,
        }
    }

    pub(crate) fn check(&self) -> Result<(), ExtractError> {
        if Instant::now() > self.at {
            Err(ExtractError::Timeout(self.budget))
        } else {
            Ok(())
        }
    }
}

/// Collects text up to a character budget; past it, further text is dropped and the
/// sink reports itself full so extractors can stop early.
pub(crate) struct TextSink {
    text: String,
    chars: usize,
    max_chars: usize,
    truncated: bool,
}

impl TextSink {
    fn new(max_chars: usize) -> Self {
        Self {
            text: String::new(),
            chars: 0,
            max_chars,
            truncated: false,
        }
    }

    /// Appends `s`, or as much of it as fits.
    pub(crate) fn push(&mut self, s: &str) {
        if self.truncated || s.is_empty() {
            return;
        }
        let room = self.max_chars - self.chars;
        // Fast path: even one char per byte fits.
        if s.len() <= room {
            self.text.push_str(s);
            self.chars += s.chars().count();
            return;
        }
        match s.char_indices().nth(room) {
            Some((cut, _)) => {
                self.text.push_str(&s[..cut]);
                self.chars = self.max_chars;
                self.truncated = true;
            }
            None => {
                self.text.push_str(s);
                self.chars += s.chars().count();
            }
        }
    }

    pub(crate) fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.push(c.encode_utf8(&mut buf));
    }

    /// Ends the current line unless the text is empty or already ends one.
    pub(crate) fn newline(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.push("\n");
        }
    }

    /// Starts a new paragraph: a blank line unless the text is empty or has one.
    pub(crate) fn paragraph_break(&mut self) {
        if self.text.is_empty() || self.text.ends_with("\n\n") {
            return;
        }
        self.newline();
        self.push("\n");
    }

    pub(crate) fn is_full(&self) -> bool {
        self.truncated
    }

    fn finish(self) -> String {
        let trimmed = self.text.trim_end();
        if trimmed.len() == self.text.len() {
            self.text
        } else {
            trimmed.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_truncates_on_char_boundaries() {
        let mut s = TextSink::new(5);
        s.push("ab");
        s.push("çdéf");
        assert!(s.is_full());
        assert_eq!(s.finish(), "abçdé");
        let mut s = TextSink::new(3);
        s.push("abc");
        assert!(!s.is_full());
        s.push("d");
        assert!(s.is_full());
    }

    #[test]
    fn oversize_input_is_refused_before_sniffing() {
        let limits = ExtractLimits {
            max_input_bytes: 4,
            ..Default::default()
        };
        assert!(matches!(
            extract(b"hello", "a.txt", &limits),
            Err(ExtractError::TooLarge {
                size: 5,
                limit: 4,
                ..
            })
        ));
    }
}

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
//!
//! What the format modules share sits below them, never in this module: [`error`],
//! [`limits`] (the limits and the deadline) and [`sink`] (the output budget).

mod error;
mod html;
mod limits;
mod odf;
mod ooxml;
mod pdf;
mod sink;
mod sniff;
mod text;
mod zipped;

use std::panic::{AssertUnwindSafe, catch_unwind};

pub use error::ExtractError;
use limits::Deadline;
pub use limits::ExtractLimits;
use sink::TextSink;
pub use sniff::{FileKind, ImageInfo};

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
    out.truncated = sink.is_full();
    out.text = sink.finish();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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

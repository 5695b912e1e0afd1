//! Why a file gave no text: [`ExtractError`], shared by every format module.

use std::borrow::Cow;
use std::time::Duration;

/// Why a file gave no text.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ExtractError {
    #[error(
        "{what} is {size} bytes, over the limit of {limit} bytes; raise the limit or skip the file"
    )]
    /// The file, or a part of it, is over a size limit.
    TooLarge {
        /// What is too large: the file, or an archive entry.
        what: Cow<'static, str>,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    #[error("corrupt {format} file: {detail}")]
    /// The file is damaged or not what its format says (a parser panic included).
    Corrupt {
        /// The format being read.
        format: Cow<'static, str>,
        /// What the parser said.
        detail: String,
    },
    #[error("no text extraction for {kind} files")]
    /// The format has no text extraction.
    Unsupported {
        /// The format's name.
        kind: String,
    },
    #[error("extraction took longer than {0:?}; raise the timeout or skip the file")]
    /// The file took longer than its time budget (the budget).
    Timeout(Duration),
    /// The parser took its process down (a stack overflow, an abort); only the
    /// isolating extractor (the `extractor` crate) reports this, from the outside.
    #[error("the parser crashed on this file: {detail}")]
    Crashed {
        /// How the worker died (its signal or exit status, last stderr line) or what
        /// was wrong with its answer.
        detail: String,
    },
}

//! `content` turns what people write in Jira into searchable text: Atlassian Document
//! Format (ADF) → Markdown, attachment bytes → text ([`extract`]), and Markdown →
//! token-bounded chunks.
//!
//! Pure: it takes data and returns data. No I/O, no network, and no clock except the
//! per-file extraction deadline, so it is tested and fuzzed without servers. It knows
//! nothing about permissions or indexes. Must never panic on input, however hostile.

#![warn(missing_docs)]

mod adf;
mod chunk;
mod extract;

pub use adf::{MAX_DEPTH, adf_to_markdown};
pub use chunk::{ChunkOptions, TextChunk, TokenCounter, WordCounter, chunk_markdown};
pub use extract::{ExtractError, ExtractLimits, Extracted, FileKind, ImageInfo, extract};

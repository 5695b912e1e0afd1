//! `content` turns what people write in Jira into searchable text: Atlassian Document
//! Format (ADF) → Markdown, and Markdown → token-bounded chunks.
//!
//! Pure: it takes data and returns data. No I/O, no network, no clocks, so it is
//! tested and fuzzed without servers. It knows nothing about permissions or indexes.

mod adf;
mod chunk;

pub use adf::{MAX_DEPTH, adf_to_markdown};
pub use chunk::{ChunkOptions, TextChunk, TokenCounter, WordCounter, chunk_markdown};

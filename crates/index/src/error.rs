//! Errors of the index crate; each names the file, asset, chunk or store it concerns.

use std::path::PathBuf;

/// Everything that can go wrong while indexing, embedding or searching.
#[derive(thiserror::Error, Debug)]
pub enum IndexError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("keyword index (tantivy) at {path}: {context}: {source}")]
    Keyword {
        path: PathBuf,
        context: String,
        #[source]
        source: tantivy::TantivyError,
    },
    #[error("vector store at {path}: {context}: {message}")]
    Vector {
        path: PathBuf,
        context: String,
        message: String,
    },
    #[error(
        "index at {path} is in use by another handle or process (one writer per index; share it)"
    )]
    Busy { path: PathBuf },
    #[error("embedder: {context}: {message}")]
    Embed { context: String, message: String },
    #[error("download of {url} failed: {message}")]
    Download { url: String, message: String },
    #[error("asset {name}: sha256 mismatch (expected {expected}, got {actual})")]
    Digest {
        name: String,
        expected: String,
        actual: String,
    },
    #[error("asset {name}: {message}")]
    Asset { name: String, message: String },
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl IndexError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.into(),
            source,
        }
    }
}

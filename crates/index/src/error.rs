//! Errors of the index crate; each names the file, asset, chunk or store it concerns.

use std::path::PathBuf;

/// Everything that can go wrong while indexing, embedding or searching.
#[derive(thiserror::Error, Debug)]
pub enum IndexError {
    /// A file or directory could not be read or written.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// tantivy failed on the keyword index.
    #[error("keyword index (tantivy) at {path}: {context}: {source}")]
    Keyword {
        /// The keyword index directory.
        path: PathBuf,
        /// What was being done.
        context: String,
        /// The tantivy error.
        #[source]
        source: tantivy::TantivyError,
    },
    /// The vector store (qdrant-edge or a Qdrant server) failed.
    #[error("vector store at {path}: {context}: {message}")]
    Vector {
        /// The store's directory (or server URL).
        path: PathBuf,
        /// What was being done.
        context: String,
        /// The store's error message.
        message: String,
    },
    /// Another handle or process holds the index.
    #[error(
        "index at {path} is in use by another handle or process (one writer per index; share it)"
    )]
    Busy {
        /// The index directory.
        path: PathBuf,
    },
    /// The embedder could not load or run.
    #[error("embedder: {context}: {message}")]
    Embed {
        /// What was being done.
        context: String,
        /// The error message.
        message: String,
    },
    /// An asset download failed.
    #[error("download of {url} failed: {message}")]
    Download {
        /// The URL.
        url: String,
        /// The error message.
        message: String,
    },
    /// A downloaded or cached asset has the wrong sha256.
    #[error("asset {name}: sha256 mismatch (expected {expected}, got {actual})")]
    Digest {
        /// The asset.
        name: String,
        /// The pinned digest.
        expected: String,
        /// The digest found.
        actual: String,
    },
    /// An asset is unusable (bad archive, missing entry, ...).
    #[error("asset {name}: {message}")]
    Asset {
        /// The asset.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// The caller passed something inconsistent (e.g. fewer vectors than chunks).
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl IndexError {
    /// An [`IndexError::Io`] on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.into(),
            source,
        }
    }
}

//! [`ServeError`]: why the server could not start, or stopped.

use sync::SyncError;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The config is not valid (a secret it names is not set, ...).
    #[error("invalid configuration: {0}")]
    Config(#[from] config::ConfigError),
    /// The first sync or the index failed.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The searcher could not be opened.
    #[error(transparent)]
    Search(#[from] search::SearchError),
    /// The data directory could not be secured.
    #[error(transparent)]
    File(#[from] config::FileError),
    /// The listen address could not be bound.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The server task failed.
    #[error("server failed: {0}")]
    Server(String),
}

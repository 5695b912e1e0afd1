//! [`SearchError`]: why a search (or an issue view, or an explanation) could not be
//! answered.

use config::{ConfigError, FileError};

/// Why a search could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The config (or the mapping file it names) is not valid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The data directory holds no synced data yet.
    #[error("no synced data in {path}: run `jira-index sync` (or `jira-index demo`) first")]
    NotSynced {
        /// The data directory.
        path: String,
    },
    /// The index failed.
    #[error("index error: {0}")]
    Index(#[from] index::IndexError),
    /// A file of the data directory could not be read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The shared state store (`[state] url`) could not be read.
    #[error(transparent)]
    State(#[from] state::StateError),
}

impl SearchError {
    /// The stable code a client sees for this error (HTTP API, MCP, `--json`).
    pub fn code(&self) -> error_codes::ErrorCode {
        use error_codes::ErrorCode;
        match self {
            SearchError::Config(_) => ErrorCode::InvalidConfig,
            SearchError::NotSynced { .. } => ErrorCode::NotSynced,
            SearchError::Index(_) | SearchError::File(_) | SearchError::State(_) => {
                ErrorCode::Internal
            }
        }
    }
}

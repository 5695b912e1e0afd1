//! [`StateError`]: the state database could not be opened, read or written.

use config::FileError;

/// The state database failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// SQLite refused (unreadable, locked past the timeout, not a database).
    #[error("{path}: state database: {source}")]
    Db {
        /// The database file.
        path: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored record does not parse.
    #[error("{path}: corrupt state file: {detail}")]
    Record {
        /// The database file.
        path: String,
        /// Which record, and what the parser said.
        detail: String,
    },
    /// A file beside the database (the legacy `state.json`, the data directory).
    #[error(transparent)]
    File(#[from] FileError),
}

impl StateError {
    /// The stable code a client sees for it: every state failure is internal.
    pub fn code(&self) -> error_codes::ErrorCode {
        error_codes::ErrorCode::Internal
    }
}

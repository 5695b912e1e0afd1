//! [`StateError`]: the state database could not be opened, read or written.

use config::{ConfigError, FileError};

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
    /// PostgreSQL refused, or the connection to it failed (the next call reconnects).
    #[error("{database}: state database: {source}")]
    Postgres {
        /// The database, as `postgres://user@host:port/name` (never a password).
        database: String,
        /// What the server or the client library said.
        #[source]
        source: postgres::Error,
    },
    /// The PostgreSQL backend could not do its work for another reason (its
    /// connection thread stopped, the URL does not parse).
    #[error("{database}: state database: {detail}")]
    Backend {
        /// The database, as `postgres://user@host:port/name` (never a password).
        database: String,
        /// What went wrong.
        detail: String,
    },
    /// A stored record does not parse.
    #[error("{path}: corrupt state file: {detail}")]
    Record {
        /// The database (file or URL).
        path: String,
        /// Which record, and what the parser said.
        detail: String,
    },
    /// The `[state]` table cannot be used (its password variable is not set).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file beside the database (the legacy `state.json`, the data directory, the
    /// worker lock file).
    #[error(transparent)]
    File(#[from] FileError),
}

impl StateError {
    /// The stable code a client sees for it: every state failure is internal.
    pub fn code(&self) -> error_codes::ErrorCode {
        error_codes::ErrorCode::Internal
    }
}

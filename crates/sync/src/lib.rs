//! The sync: reads a Jira Cloud site through `jira-cloud`, turns what it reads into
//! permission-tagged chunks (`content` + `access`) and writes them into the search
//! index (`index`). It also owns the data directory's layout and the sync state, and
//! answers searches on behalf of a person (`search`), since it is the one place that
//! holds both the index and the identity data a search needs.
//!
//! Stages (see `pipeline`): identity → issue pages → documents → embeddings → writes,
//! joined by bounded channels so a slow stage slows its producers instead of filling
//! memory. What this crate never does: decide visibility itself (that is `access`),
//! parse ADF or files (that is `content`), or speak HTTP other than through
//! `jira-cloud`.

pub mod attachments;
pub mod check;
pub mod check_access;
pub mod config;
pub mod config_error;
pub mod config_file;
pub mod credentials;
pub mod directory;
pub mod documents;
pub mod explain;
pub mod issues;
pub mod pipeline;
pub mod preview;
pub mod progress;
pub mod search;
pub mod serve_config;
mod stages;
pub mod state;
pub mod status;
pub mod store;
pub mod team_access;
pub mod verify;

pub use config::Config;
pub use config_error::ConfigError;
pub use issues::{IssueUpdateReport, sync_issues};
pub use pipeline::{SyncOptions, SyncReport, run_identity_sync, run_sync, run_sync_into};
pub use search::{SearchOutcome, Searcher};

/// Everything that can stop a sync or a search.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The configuration file is missing, unreadable or invalid.
    #[error("invalid configuration: {detail}")]
    Config { detail: String },
    /// Jira answered with an error that stops the whole run.
    #[error("Jira request failed while {stage}: {source}")]
    Jira {
        stage: String,
        #[source]
        source: jira_cloud::JiraError,
    },
    /// The index failed.
    #[error("index error: {0}")]
    Index(#[from] index::IndexError),
    /// Reading or writing the data directory failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Stored state could not be read back.
    #[error("{path}: corrupt state file: {detail}")]
    CorruptState { path: String, detail: String },
    /// The data directory holds no synced data yet.
    #[error("no synced data in {path}: run `jira-index sync` (or `jira-index demo`) first")]
    NotSynced { path: String },
    /// A worker task panicked or was cancelled.
    #[error("the {task} task failed: {source}")]
    Task {
        task: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
    /// State could not be encoded as JSON.
    #[error("encoding {what} failed: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl SyncError {
    /// The stable code a client sees for this error (HTTP API, MCP, `--json`).
    pub fn code(&self) -> error_codes::ErrorCode {
        use error_codes::ErrorCode;
        match self {
            SyncError::Config { .. } => ErrorCode::InvalidConfig,
            SyncError::Jira { .. } => ErrorCode::JiraFailed,
            SyncError::NotSynced { .. } => ErrorCode::NotSynced,
            SyncError::Index(_)
            | SyncError::Io { .. }
            | SyncError::CorruptState { .. }
            | SyncError::Task { .. }
            | SyncError::Encode { .. } => ErrorCode::Internal,
        }
    }

    /// For `map_err` on a joined task: the task named `task` failed.
    pub(crate) fn task(task: &'static str) -> impl FnOnce(tokio::task::JoinError) -> Self {
        move |source| SyncError::Task { task, source }
    }

    /// For `map_err` on JSON encoding of `what`.
    pub(crate) fn encode(what: &'static str) -> impl FnOnce(serde_json::Error) -> Self {
        move |source| SyncError::Encode { what, source }
    }

    pub(crate) fn jira(stage: impl Into<String>, source: jira_cloud::JiraError) -> Self {
        SyncError::Jira {
            stage: stage.into(),
            source,
        }
    }
}

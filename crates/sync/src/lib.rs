//! The sync: reads a Jira Cloud site through `jira-cloud`, turns what it reads into
//! permission-tagged chunks (`content` + `access`) and writes them into the search
//! index (`index`), recording what it wrote in the state store (`state`). It also
//! holds the admin's read-only views of a site and a data directory: `check`,
//! `preview`, `status` and `verify-access`.
//!
//! Stages (see `pipeline`): identity → issue pages → documents → embeddings → writes,
//! joined by bounded channels so a slow stage slows its producers instead of filling
//! memory. What this crate never does: decide visibility itself (that is `access`),
//! parse ADF or files (that is `content`), or speak HTTP other than through
//! `jira-cloud`.
//!
//! Architecture invariant: the sync is the only writer of the index and the state
//! store; it never answers searches (that is `search`).

pub mod attachments;
pub mod check;
pub mod check_access;
pub mod credentials;
pub mod directory;
pub mod documents;
pub mod issues;
pub mod pipeline;
pub mod preview;
pub mod progress;
mod stages;
pub mod status;
pub mod team_access;
pub mod verify;

pub use issues::{IssueUpdateReport, sync_issues};
pub use pipeline::{SyncOptions, SyncReport, run_identity_sync, run_sync, run_sync_into};

use config::{ConfigError, FileError};

/// Everything that can stop a sync (or `check`, `preview`, `status`, `verify-access`).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The configuration file is missing, unreadable or invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// Jira answered with an error that stops the whole run.
    #[error("Jira request failed while {stage}: {source}")]
    Jira {
        /// What the run was doing.
        stage: String,
        /// What the client said.
        #[source]
        source: jira_cloud::JiraError,
    },
    /// The index failed.
    #[error("index error: {0}")]
    Index(#[from] index::IndexError),
    /// The state store failed.
    #[error(transparent)]
    State(#[from] state::StateError),
    /// Searching (as `verify-access` does) failed.
    #[error(transparent)]
    Search(#[from] search::SearchError),
    /// A file of the data directory could not be read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The data directory holds no synced data yet.
    #[error("no synced data in {path}: run `jira-index sync` (or `jira-index demo`) first")]
    NotSynced {
        /// The data directory.
        path: String,
    },
    /// A worker task panicked or was cancelled.
    #[error("the {task} task failed: {source}")]
    Task {
        /// Which task.
        task: &'static str,
        /// How it ended.
        #[source]
        source: tokio::task::JoinError,
    },
}

impl From<config::SaveError> for SyncError {
    fn from(e: config::SaveError) -> Self {
        match e {
            config::SaveError::Invalid(e) => SyncError::Config(e),
            config::SaveError::File(e) => SyncError::File(e),
        }
    }
}

impl SyncError {
    /// The stable code a client sees for this error (HTTP API, MCP, `--json`).
    pub fn code(&self) -> error_codes::ErrorCode {
        use error_codes::ErrorCode;
        match self {
            SyncError::Config(_) => ErrorCode::InvalidConfig,
            SyncError::Jira { .. } => ErrorCode::JiraFailed,
            SyncError::NotSynced { .. } => ErrorCode::NotSynced,
            SyncError::Search(e) => e.code(),
            SyncError::Index(_)
            | SyncError::State(_)
            | SyncError::File(_)
            | SyncError::Task { .. } => ErrorCode::Internal,
        }
    }

    /// For `map_err` on a joined task: the task named `task` failed.
    pub(crate) fn task(task: &'static str) -> impl FnOnce(tokio::task::JoinError) -> Self {
        move |source| SyncError::Task { task, source }
    }

    pub(crate) fn jira(stage: impl Into<String>, source: jira_cloud::JiraError) -> Self {
        SyncError::Jira {
            stage: stage.into(),
            source,
        }
    }
}

//! [`SyncError`]: everything that can stop a sync (or `check`, `preview`, `status`,
//! `verify-access`), with the stable code a client sees for each.

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

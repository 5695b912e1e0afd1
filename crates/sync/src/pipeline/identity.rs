//! The identity stage: users, groups, projects, roles, schemes and security levels
//! ([`crate::directory::refresh_directory`]), written as the snapshot searches load
//! (`directory.json`, rewritten only when it changed so that searchers reload only
//! then), and the issue deletions the audit log reports.

use std::sync::Arc;

use config::{Config, DataDir, FileError, write_json_atomic};
use index::SearchIndex;
use jira_cloud::JiraClient;
use state::{RunRecord, StateStore, SyncState};

use crate::directory::{IdentityOutcome, refresh_directory};
use crate::error::SyncError;
use crate::stages::delete_issues;

/// Reads the site's identity data (in full when `force_full`, or when the audit log
/// names a change or the last full read is old) and writes the snapshot.
pub(crate) async fn sync_directory(
    client: &JiraClient,
    data: &DataDir,
    store: &StateStore,
    cfg: &Config,
    force_full: bool,
    started_ms: i64,
) -> Result<IdentityOutcome, SyncError> {
    let outcome = refresh_directory(
        client,
        store,
        cfg.identity.full_refresh_minutes,
        force_full,
        started_ms,
    )
    .await?;
    let bytes =
        serde_json::to_vec(&outcome.directory).map_err(FileError::encode("the directory"))?;
    let path = data.directory_file();
    if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
        write_json_atomic(&path, &outcome.directory)?;
    }
    let directory = &outcome.directory;
    tracing::info!(
        users = directory.users.len(),
        groups = directory.groups.len(),
        projects = directory.projects.len(),
        full = outcome
            .full_reason
            .as_deref()
            .unwrap_or("no (nothing changed)"),
        "identity synced"
    );
    Ok(outcome)
}

/// Records what the identity stage did in the run.
pub(crate) fn record(run: &mut RunRecord, outcome: &IdentityOutcome, now_ms: i64) {
    run.identity_full = outcome.full_reason.is_some();
    run.identity_ms = now_ms - run.started_ms;
    run.access_warnings = outcome.directory.warnings.clone();
}

/// Removes the indexed issues the audit log reports deleted.
pub(crate) async fn delete_logged(
    index: &Arc<SearchIndex>,
    store: &StateStore,
    state: &mut SyncState,
    deleted_issue_ids: &[String],
    run: &mut RunRecord,
) -> Result<(), SyncError> {
    let gone: Vec<String> = deleted_issue_ids
        .iter()
        .filter(|id| state.issues.contains_key(*id))
        .cloned()
        .collect();
    if gone.is_empty() {
        return Ok(());
    }
    delete_issues(index, &gone).await?;
    store.remove_issues(&gone)?;
    for id in &gone {
        state.issues.remove(id);
    }
    run.issues_deleted_audit = gone.len();
    run.issues_deleted += gone.len();
    Ok(())
}

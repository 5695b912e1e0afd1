//! Targeted updates: re-reads named issues from Jira and brings their chunks up to
//! date, or removes them when Jira no longer returns them (deleted, moved out of the
//! synced projects, or no longer visible to the sync account). This is what a webhook
//! triggers: the event is a hint naming the issue, Jira stays the source of truth.
//! The next full sync reconciles whatever a lost webhook missed.

use std::collections::HashSet;
use std::sync::Arc;

use access::Directory;
use index::SearchIndex;
use serde::Serialize;

use crate::error::SyncError;
use crate::pipeline::jira_client;
use crate::stages::{Documenter, delete_issues, embed_batch, record_written, write_batch};
use config::Config;
use config::DataDir;
use state::{RunError, RunErrorKind, StateStore, SyncState};

/// What one targeted update did.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct IssueUpdateReport {
    /// Ids or keys asked for.
    pub requested: usize,
    /// Issues whose chunks were rewritten.
    pub indexed: usize,
    /// Issues Jira returned with nothing changed since they were indexed.
    pub unchanged: usize,
    /// Issues removed from the index.
    pub deleted: usize,
    /// Items that failed, each naming its issue (or file).
    pub errors: Vec<RunError>,
}

/// Re-reads the issues (ids or keys) from Jira and updates the index to match.
/// Uses the identity directory of the last sync (`NotSynced` before the first).
pub async fn sync_issues(
    cfg: &Config,
    index: Arc<SearchIndex>,
    ids_or_keys: &[String],
) -> Result<IssueUpdateReport, SyncError> {
    let mut report = IssueUpdateReport {
        requested: ids_or_keys.len(),
        ..Default::default()
    };
    if ids_or_keys.is_empty() {
        return Ok(report);
    }
    let data = DataDir::new(&cfg.data.dir);
    let store = StateStore::open_config(cfg)?;
    let directory: Directory = store
        .load_directory()?
        .ok_or_else(|| SyncError::NotSynced {
            path: data.root().display().to_string(),
        })?;
    let directory = Arc::new(directory);
    let client = jira_client(cfg)?;
    let documenter = Documenter::new(cfg, client.clone(), directory.clone(), index.embedder());
    let mut bulk = client
        .issue_bulkfetch(ids_or_keys, &documenter.fields())
        .await
        .map_err(|e| SyncError::jira("fetching changed issues", e))?;
    // A sub-task takes its parent's security level without showing as changed
    // itself: re-read the sub-tasks of every issue re-read here.
    let asked: HashSet<&str> = ids_or_keys.iter().map(String::as_str).collect();
    let mut subtasks: Vec<String> = bulk
        .issues
        .iter()
        .flat_map(|i| i.fields.subtasks.iter())
        .filter(|t| !asked.contains(t.id.as_str()) && !asked.contains(t.key.as_str()))
        .map(|t| t.id.clone())
        .collect();
    subtasks.sort();
    subtasks.dedup();
    if !subtasks.is_empty() {
        match client
            .issue_bulkfetch(&subtasks, &documenter.fields())
            .await
        {
            Ok(more) => bulk.issues.extend(more.issues),
            Err(e) => report.errors.push(RunError::new(
                RunErrorKind::Issue,
                "",
                format!("re-reading {} sub-tasks failed: {e}", subtasks.len()),
            )),
        }
    }
    documenter.learn_parents(&bulk.issues).await;
    let mut state: SyncState = store.load()?;

    let in_scope = |project_key: &str| {
        directory
            .projects
            .iter()
            .any(|p| p.key == project_key && !p.archived)
            && cfg.filters.allows_project(project_key)
    };
    let mut returned: HashSet<String> = HashSet::new();
    let mut gone: Vec<String> = Vec::new();
    let mut fresh = Vec::new();
    for issue in &bulk.issues {
        returned.insert(issue.id.clone());
        returned.insert(issue.key.clone());
        let project_key = issue
            .fields
            .project
            .as_ref()
            .map(|p| p.key.as_str())
            .unwrap_or_default();
        if !in_scope(project_key) {
            if state.issues.contains_key(&issue.id) {
                gone.push(issue.id.clone());
            }
            continue;
        }
        match documenter.document(issue).await {
            Ok(done) => {
                report.errors.extend(done.errors);
                let same = state
                    .issues
                    .get(&done.docs.issue_id)
                    .is_some_and(|s| s.content_hash == done.docs.content_hash);
                if same {
                    report.unchanged += 1;
                } else {
                    fresh.push(done.docs);
                }
            }
            Err(e) => report.errors.push(e.to_run_error()),
        }
    }
    // Asked for and not returned: deleted, or no longer visible to the sync account.
    for asked in ids_or_keys.iter().filter(|a| !returned.contains(*a)) {
        gone.extend(
            state
                .issues
                .iter()
                .filter(|(id, s)| *id == asked || s.key == *asked)
                .map(|(id, _)| id.clone()),
        );
    }
    gone.sort();
    gone.dedup();

    if !fresh.is_empty() {
        let vectors = embed_batch(index.embedder(), &fresh).await?;
        write_batch(&index, &fresh, vectors).await?;
        report.indexed = fresh.len();
        record_written(&store, &mut state, fresh)?;
    }
    if !gone.is_empty() {
        delete_issues(&index, &gone).await?;
        store.remove_issues(&gone)?;
        for id in &gone {
            state.issues.remove(id);
        }
        report.deleted = gone.len();
    }
    for e in &report.errors {
        tracing::warn!("{e}");
    }
    Ok(report)
}

//! The end of a run: what the readers saw is reconciled with what the index holds.
//! An issue indexed before and absent now (deleted, moved out of scope, archived,
//! filtered out) is deleted — unless its project failed, a worker stopped or the run
//! was stopped, since then nothing is known to be gone. Checkpoints move for the
//! projects read cleanly; cached texts of attachments no issue holds are dropped.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use config::DataDir;
use index::SearchIndex;
use state::{Checkpoint, RunError, RunErrorKind, RunRecord, StateStore, SyncState};

use super::document::Documented;
use super::fetch::{Failure, FetchOutcome};
use crate::attachments::AttachmentCache;
use crate::error::SyncError;
use crate::stages::delete_issues;

/// What the stages of one run learnt, for the end of the run.
pub(crate) struct Outcome {
    /// The fetch stage's outcome.
    pub fetched: FetchOutcome,
    /// The document stage's outcome.
    pub documented: Documented,
    /// Project keys in scope this run.
    pub in_scope: Vec<String>,
    /// Whether the checkpoints the run started from were valid.
    pub checkpoints_valid: bool,
    /// The fingerprint of the settings this run read under.
    pub fingerprint: String,
}

impl Outcome {
    /// Copies the stages' counts and errors into the run.
    pub(crate) fn record(&self, run: &mut RunRecord) {
        let (fetched, documented) = (&self.fetched, &self.documented);
        run.attachments = documented.counts;
        run.issues_seen = documented.seen.len();
        run.issues_unchanged = documented.unchanged;
        run.projects_incremental = fetched.incremental;
        run.projects_full = fetched.full;
        run.errors.extend(documented.errors.iter().cloned());
        for (failure, err) in &fetched.failed {
            let (kind, item) = match failure {
                Failure::Project(key) => (RunErrorKind::Project, key.as_str()),
                Failure::Worker(_) => (RunErrorKind::Worker, ""),
            };
            run.errors.push(RunError::new(
                kind,
                item,
                format!("fetching issues failed: {err}"),
            ));
        }
    }

    /// Projects that failed to fetch, and with `documents`, also those with an issue
    /// that could not be documented.
    fn failed_projects(&self, documents: bool) -> BTreeSet<&str> {
        let fetched = self.fetched.failed.iter().map(|(f, _)| f);
        let documented = self.documented.failed.iter().filter(|_| documents);
        fetched
            .chain(documented)
            .filter_map(|f| match f {
                Failure::Project(key) => Some(key.as_str()),
                Failure::Worker(_) => None,
            })
            .collect()
    }

    /// Whether nothing may be taken as gone: the run was stopped, or a worker stopped
    /// without naming its project.
    fn nothing_known_gone(&self, stopped: bool) -> bool {
        let lost = |f: &Failure| matches!(f, Failure::Worker(_));
        stopped
            || self.fetched.failed.iter().any(|(f, _)| lost(f))
            || self.documented.failed.iter().any(lost)
    }

    /// Deletes the issues that are gone; returns how many.
    pub(crate) async fn delete_gone(
        &self,
        index: &Arc<SearchIndex>,
        store: &StateStore,
        state: &mut SyncState,
        stopped: bool,
    ) -> Result<usize, SyncError> {
        if self.nothing_known_gone(stopped) {
            return Ok(0);
        }
        // An issue of a project that failed to fetch is not known to be gone; one of
        // a project with an undocumented issue was read, so its absence counts.
        let failed = self.failed_projects(false);
        let gone: Vec<String> = state
            .issues
            .iter()
            .filter(|(id, s)| {
                !self.fetched.present.contains(*id) && !failed.contains(s.project_key.as_str())
            })
            .map(|(id, _)| id.clone())
            .collect();
        if !gone.is_empty() {
            delete_issues(index, &gone).await?;
            store.remove_issues(&gone)?;
            for id in &gone {
                state.issues.remove(id);
            }
        }
        Ok(gone.len())
    }

    /// The next checkpoints: a project read without error moves to the newest
    /// `updated` read; one that failed keeps its old checkpoint; projects out of
    /// scope are forgotten. A project read in full with no issue gets none and is read
    /// in full again next time (one cheap page).
    pub(crate) fn checkpoint(&self, state: &SyncState, stopped: bool) -> Checkpoint {
        let failed = self.failed_projects(true);
        let lost = self.nothing_known_gone(stopped);
        let mut projects = BTreeMap::new();
        for key in &self.in_scope {
            let old = self
                .checkpoints_valid
                .then(|| state.checkpoint.projects.get(key).copied())
                .flatten();
            let next = if !lost && !failed.contains(key.as_str()) {
                match (old, self.fetched.newest.get(key).copied()) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => b.or(a),
                }
            } else {
                old
            };
            if let Some(ms) = next {
                projects.insert(key.clone(), ms);
            }
        }
        Checkpoint {
            fingerprint: self.fingerprint.clone(),
            projects,
        }
    }

    /// Drops the cached texts of attachments that no indexed issue holds any more
    /// (deleted files, deleted issues). The index's own chunk ids say which are held:
    /// an incremental run reads only some issues, so what it saw is not the whole set.
    pub(crate) fn drop_unheld_attachments(&self, data: &DataDir, state: &SyncState) {
        let held: HashSet<String> = state
            .issues
            .values()
            .flat_map(|s| s.chunk_ids.iter())
            .chain(self.documented.attachment_ids.iter())
            .filter_map(|c| attachment_of_chunk(c))
            .collect();
        let removed = AttachmentCache::new(data).retain(&held);
        if removed > 0 {
            tracing::info!(removed, "dropped cached text of attachments that are gone");
        }
    }
}

/// The attachment id of an attachment chunk id (`attachment:<id>:<n>`); a bare
/// attachment id passes through.
fn attachment_of_chunk(chunk_or_id: &str) -> Option<String> {
    match chunk_or_id.split(':').collect::<Vec<_>>().as_slice() {
        ["attachment", id, _] => Some((*id).to_string()),
        [id] => Some((*id).to_string()),
        _ => None,
    }
}

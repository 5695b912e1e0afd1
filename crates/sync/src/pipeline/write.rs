//! The write stage: embedded batches into the index, and what was committed into the
//! state store. Each batch's chunks replace the issue's old ones; commits are grouped
//! (every [`COMMIT_CHUNKS`] chunks or [`COMMIT_INTERVAL`]), and an issue's state is
//! recorded only after the commit that holds its chunks, so a crash leaves it to be
//! written again, never marked done unwritten. A crash redoes at most one group.

use std::sync::Arc;

use index::SearchIndex;
use state::{RunRecord, StateStore, SyncState};
use tokio::sync::mpsc;

use super::embed::Embedded;
use crate::documents::IssueDocuments;
use crate::error::SyncError;
use crate::progress::{ProgressSink, Stage, report};
use crate::stages::{commit_index, record_written, write_uncommitted};

/// Chunks written between two commits at most (and at most COMMIT_INTERVAL apart).
const COMMIT_CHUNKS: usize = 60_000;
/// Longest time between two commits while batches arrive.
const COMMIT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// Where the write stage writes, and what it counts.
pub(crate) struct Writer<'a> {
    /// The index the chunks go to.
    pub index: &'a Arc<SearchIndex>,
    /// The store the written issues are recorded in.
    pub store: &'a StateStore,
    /// The state the run started from, kept up to date.
    pub state: &'a mut SyncState,
    /// Progress of the write stage.
    pub progress: &'a Option<ProgressSink>,
}

impl Writer<'_> {
    /// Writes every batch the embed stage sends until it closes its channel; counts
    /// issues and chunks into `run`.
    pub(crate) async fn drain(
        &mut self,
        mut batches: mpsc::Receiver<Embedded>,
        run: &mut RunRecord,
    ) -> Result<(), SyncError> {
        let mut pending: Vec<IssueDocuments> = Vec::new();
        let mut pending_chunks = 0usize;
        let mut last_commit = std::time::Instant::now();
        loop {
            let next = batches.recv().await;
            let done = next.is_none();
            if let Some((issues, vectors)) = next {
                let issues = write_uncommitted(self.index, issues, vectors).await?;
                run.issues_indexed += issues.len();
                report(self.progress, Stage::Write, run.issues_indexed as u64, None);
                let chunks = issues.iter().map(|i| i.docs.len()).sum::<usize>();
                run.chunks_written += chunks;
                pending_chunks += chunks;
                pending.extend(issues);
            }
            let due = pending_chunks >= COMMIT_CHUNKS || last_commit.elapsed() >= COMMIT_INTERVAL;
            if !pending.is_empty() && (done || due) {
                commit_index(self.index).await?;
                record_written(self.store, self.state, std::mem::take(&mut pending))?;
                pending_chunks = 0;
                last_commit = std::time::Instant::now();
            }
            if done {
                return Ok(());
            }
        }
    }
}

//! The document stage: issue pages in, each issue's documents out (comments paged
//! when needed, attachments downloaded once and extracted, ADF → Markdown, chunks,
//! ACL tags, content hash). [`DOC_CONCURRENCY`] issues are documented at once, each
//! its own task (comment pages and attachment downloads overlap; ADF and chunking
//! use every core), and come out in the order they were read. Issues whose content
//! hash did not change go no further. An issue that fails is reported by key and
//! keeps what the index already had for it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use futures::{Stream, StreamExt};
use jira_cloud::model::Issue;
use state::{AttachmentCounts, RunError, RunErrorKind};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::fetch::Failure;
use crate::documents::IssueDocuments;
use crate::progress::{ProgressSink, Stage, report};
use crate::stages::{DocumentError, DocumentedIssue, Documenter, add_counts};

/// Issues documented at once.
const DOC_CONCURRENCY: usize = 32;

/// What the document stage learnt over a run.
#[derive(Default)]
pub(crate) struct Documented {
    /// Ids of the issues documented (changed or not).
    pub seen: HashSet<String>,
    /// Ids of the attachments of those issues.
    pub attachment_ids: HashSet<String>,
    /// What fetching their attachments did.
    pub counts: AttachmentCounts,
    /// Issues whose content hash had not changed.
    pub unchanged: usize,
    /// Issues, attachments and restrictions that could not be documented.
    pub errors: Vec<RunError>,
    /// Where an issue could not be documented: those projects keep their checkpoint.
    pub failed: HashSet<Failure>,
}

/// One issue's documenting task: its id, its project key, and the outcome.
type Job = (
    String,
    Option<String>,
    Result<DocumentedIssue, DocumentError>,
);

/// Starts the document stage on the fetch stage's pages; `known` holds each indexed
/// issue's content hash (empty to rewrite every issue). The channel carries the
/// changed issues' documents to the embedder.
pub(crate) fn spawn(
    documenter: Documenter,
    pages: mpsc::Receiver<Vec<Issue>>,
    known: HashMap<String, String>,
    cancel: CancellationToken,
    progress: Option<ProgressSink>,
) -> (
    mpsc::Receiver<IssueDocuments>,
    tokio::task::JoinHandle<Documented>,
) {
    let (tx, rx) = mpsc::channel(64);
    let stage = DocStage {
        documenter: Arc::new(documenter),
        known,
        tx,
        cancel,
        progress,
        out: Documented::default(),
        subtasks_of_changed: BTreeSet::new(),
    };
    (rx, tokio::spawn(stage.run(pages)))
}

struct DocStage {
    documenter: Arc<Documenter>,
    known: HashMap<String, String>,
    tx: mpsc::Sender<IssueDocuments>,
    cancel: CancellationToken,
    progress: Option<ProgressSink>,
    out: Documented,
    /// Sub-tasks of changed parents: a parent's security level is its sub-tasks'.
    subtasks_of_changed: BTreeSet<String>,
}

/// Every issue of the pages, documented [`DOC_CONCURRENCY`] at a time, in page
/// order. Each page first teaches the documenter its issues' security levels (and
/// reads those of sub-tasks' parents it lacks), so a sub-task gets its parent's
/// level.
fn jobs(
    documenter: Arc<Documenter>,
    pages: mpsc::Receiver<Vec<Issue>>,
) -> impl Stream<Item = Result<Job, tokio::task::JoinError>> {
    let learner = documenter.clone();
    futures::stream::unfold((pages, learner), |(mut rx, learner)| async move {
        let page = rx.recv().await?;
        learner.learn_parents(&page).await;
        Some((futures::stream::iter(page), (rx, learner)))
    })
    .flatten()
    .map(move |issue| {
        let documenter = documenter.clone();
        tokio::spawn(async move {
            let done = documenter.document(&issue).await;
            let project = issue.fields.project.as_ref().map(|p| p.key.clone());
            (issue.id, project, done)
        })
    })
    .buffered(DOC_CONCURRENCY)
}

impl DocStage {
    async fn run(mut self, pages: mpsc::Receiver<Vec<Issue>>) -> Documented {
        let jobs = jobs(self.documenter.clone(), pages);
        let mut jobs = std::pin::pin!(jobs);
        while let Some(joined) = jobs.next().await {
            if self.cancel.is_cancelled() {
                break;
            }
            if !self.take(joined).await {
                return self.out;
            }
        }
        if !self.cancel.is_cancelled() {
            self.reread_subtasks().await;
        }
        self.out
    }

    /// Records one documented issue and sends its documents on when they changed;
    /// `false` when the embedder is gone.
    async fn take(&mut self, joined: Result<Job, tokio::task::JoinError>) -> bool {
        let (id, project, done) = match joined {
            Ok(job) => job,
            Err(e) => {
                self.out.errors.push(RunError::new(
                    RunErrorKind::Worker,
                    "",
                    format!("documenting an issue stopped: {e}"),
                ));
                self.out.failed.insert(Failure::Worker("documenter"));
                return true;
            }
        };
        self.out.seen.insert(id);
        report(
            &self.progress,
            Stage::Documents,
            self.out.seen.len() as u64,
            None,
        );
        let done = match done {
            Ok(done) => done,
            Err(e) => {
                self.out.errors.push(e.to_run_error());
                if let Some(p) = project {
                    self.out.failed.insert(Failure::Project(p));
                }
                return true;
            }
        };
        self.out.attachment_ids.extend(done.attachment_ids);
        add_counts(&mut self.out.counts, &done.counts);
        self.out.errors.extend(done.errors);
        if self.known.get(&done.docs.issue_id) == Some(&done.docs.content_hash) {
            self.out.unchanged += 1;
            return true;
        }
        // A changed parent may have changed its security level, which its sub-tasks
        // take on without showing as updated themselves.
        self.subtasks_of_changed.extend(done.subtask_ids);
        self.tx.send(done.docs).await.is_ok()
    }

    /// Sub-tasks of changed parents that this run did not read: read by id, and
    /// rewritten when their documents changed.
    async fn reread_subtasks(&mut self) {
        let seen = &self.out.seen;
        let ids: Vec<String> = std::mem::take(&mut self.subtasks_of_changed)
            .into_iter()
            .filter(|id| !seen.contains(id))
            .collect();
        if ids.is_empty() {
            return;
        }
        let documenter = self.documenter.clone();
        let bulk = match documenter
            .client()
            .issue_bulkfetch(&ids, &documenter.fields())
            .await
        {
            Ok(bulk) => bulk,
            Err(e) => {
                self.out.errors.push(RunError::new(
                    RunErrorKind::Issue,
                    "",
                    format!(
                        "re-reading {} sub-tasks of changed parents failed: {e}",
                        ids.len()
                    ),
                ));
                return;
            }
        };
        for issue in bulk.issues {
            match documenter.document(&issue).await {
                Ok(done) => {
                    self.out.errors.extend(done.errors);
                    let docs = done.docs;
                    if self.known.get(&docs.issue_id) == Some(&docs.content_hash) {
                        continue;
                    }
                    if self.tx.send(docs).await.is_err() {
                        return;
                    }
                }
                Err(e) => self.out.errors.push(e.to_run_error()),
            }
        }
    }
}

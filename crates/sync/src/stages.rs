//! The per-issue work both a full run (`pipeline`) and a targeted update (`issues`,
//! what webhooks trigger) do: build an issue's documents (comments inline or paged,
//! attachments from the cache or downloaded once), embed a batch, write a batch and
//! record it in the state — in that order, so an issue is marked done only after its
//! chunks are committed.

use std::sync::Arc;

use access::Directory;
use content::{ChunkOptions, ExtractLimits, TokenCounter, WordCounter};
use index::{Embedder, SearchIndex};
use jira_cloud::JiraClient;
use jira_cloud::model::Issue;

use crate::attachments::{AttachmentCache, Fetched, attachment_text};
use crate::directory::acl_custom_fields;
use crate::documents::{DocContext, IssueDocuments, build_issue_documents};
use crate::error::SyncError;
use config::DataDir;
use config::{Config, IndexingConfig};
use state::{AttachmentCounts, IssueState, RunError, RunErrorKind, SyncState};

/// Counts tokens with the embedding model's own tokenizer.
struct EmbedderCounter(Arc<Embedder>);
impl TokenCounter for EmbedderCounter {
    fn count(&self, text: &str) -> usize {
        self.0.count_tokens(text)
    }
}

/// An issue's content hash under an embedding model: the same text embedded by
/// another model is not the same index content.
fn with_model(content_hash: &str, model: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(
        format!("{content_hash}\0{model}").as_bytes(),
    ))
}

/// Why an issue could not be documented (the index keeps what it had for it).
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Its comments could not be read.
    #[error("{issue_key}: reading comments failed: {source}")]
    Comments {
        /// The issue.
        issue_key: String,
        /// What the client said.
        source: jira_cloud::JiraError,
    },
    /// A sub-task whose parent's security level could not be read (Jira: "a sub-task
    /// inherits the security level of its parent"), so its access is unknown.
    #[error(
        "{issue_key}: the security level of its parent (issue {parent}) could not be read; a sub-task has its parent's level"
    )]
    ParentLevelUnknown {
        /// The sub-task.
        issue_key: String,
        /// Its parent's id.
        parent: String,
    },
}

impl DocumentError {
    /// The error as recorded with the run: about the issue, kind [`RunErrorKind::Issue`].
    pub fn to_run_error(&self) -> RunError {
        let (issue_key, message) = match self {
            DocumentError::Comments { issue_key, source } => {
                (issue_key, format!("reading comments failed: {source}"))
            }
            DocumentError::ParentLevelUnknown { issue_key, parent } => (
                issue_key,
                format!(
                    "the security level of its parent (issue {parent}) could not be read; a sub-task has its parent's level"
                ),
            ),
        };
        RunError::new(RunErrorKind::Issue, issue_key, message)
    }
}

/// Builds the documents of one issue at a time.
pub(crate) struct Documenter {
    client: JiraClient,
    directory: Arc<Directory>,
    acl_fields: Vec<String>,
    site_url: String,
    counter: Arc<dyn TokenCounter>,
    chunking: ChunkOptions,
    indexing: IndexingConfig,
    cache: AttachmentCache,
    limits: ExtractLimits,
    /// Issue id → its security level id (`None` = none), for the parents of
    /// sub-tasks: learned from every page read, and by `issue/bulkfetch` for parents
    /// not read in this run.
    levels: std::sync::Mutex<std::collections::HashMap<String, Option<String>>>,
    /// The embedding model's id (`none` without embeddings): part of each issue's
    /// content hash, so a model change re-embeds every issue.
    vectors_by: &'static str,
}

/// One issue's documents and what fetching its attachments did.
pub(crate) struct DocumentedIssue {
    pub docs: IssueDocuments,
    pub attachment_ids: Vec<String>,
    pub counts: AttachmentCounts,
    /// Attachment failures: the issue is still indexed (the file by its name).
    pub errors: Vec<RunError>,
    /// Ids of the issue's sub-tasks.
    pub subtask_ids: Vec<String>,
}

impl Documenter {
    pub fn new(
        cfg: &Config,
        client: JiraClient,
        directory: Arc<Directory>,
        embedder: Option<&Arc<Embedder>>,
    ) -> Self {
        let counter: Arc<dyn TokenCounter> = match embedder {
            Some(e) => Arc::new(EmbedderCounter(e.clone())),
            None => Arc::new(WordCounter),
        };
        let vectors_by = embedder.map(|e| e.model().id()).unwrap_or("none");
        let indexing = cfg.indexing.clone();
        let limits = ExtractLimits {
            max_input_bytes: usize::try_from(indexing.attachment_max_bytes).unwrap_or(usize::MAX),
            ..ExtractLimits::default()
        };
        Self {
            client,
            acl_fields: acl_custom_fields(&directory),
            directory,
            site_url: cfg.jira.base_url.trim_end_matches('/').to_string(),
            counter,
            chunking: ChunkOptions {
                max_tokens: cfg.chunking.max_tokens,
                overlap_tokens: cfg.chunking.overlap_tokens,
            },
            indexing,
            cache: AttachmentCache::new(&DataDir::new(&cfg.data.dir)),
            limits,
            levels: Default::default(),
            vectors_by,
        }
    }

    fn levels(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Option<String>>> {
        self.levels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Learns the security levels of a page of issues, and reads (one `bulkfetch`
    /// call per 100) the level of every parent of a sub-task in the page that is
    /// neither in the page nor known yet. A parent that cannot be read stays
    /// unknown: its sub-tasks fail to document ([`Documenter::document`]) and keep
    /// what the index had.
    pub async fn learn_parents(&self, page: &[Issue]) {
        let missing: Vec<String> = {
            let mut levels = self.levels();
            for issue in page {
                levels.insert(
                    issue.id.clone(),
                    issue.fields.security.as_ref().map(|s| s.id.clone()),
                );
            }
            let mut missing: Vec<String> = page
                .iter()
                .filter_map(subtask_parent)
                .filter(|p| !levels.contains_key(*p))
                .map(str::to_string)
                .collect();
            missing.sort();
            missing.dedup();
            missing
        };
        if !missing.is_empty() {
            self.read_levels(&missing).await;
        }
    }

    async fn read_levels(&self, ids: &[String]) {
        let fields = ["security".to_string()];
        match self.client.issue_bulkfetch(ids, &fields).await {
            Ok(bulk) => {
                let mut levels = self.levels();
                for issue in bulk.issues {
                    levels.insert(
                        issue.id.clone(),
                        issue.fields.security.as_ref().map(|s| s.id.clone()),
                    );
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, parents = ids.len(), "reading the security levels of sub-tasks' parents failed");
            }
        }
    }

    /// The parent's security level of a sub-task (Jira: "a sub-task inherits the
    /// security level of its parent"), read once when not known; `None` for an issue
    /// that is not a sub-task.
    async fn inherited_level(
        &self,
        issue: &Issue,
    ) -> Result<Option<Option<String>>, DocumentError> {
        let Some(parent) = subtask_parent(issue) else {
            return Ok(None);
        };
        let known = self.levels().get(parent).cloned();
        let level = match known {
            Some(level) => level,
            None => {
                self.read_levels(&[parent.to_string()]).await;
                self.levels().get(parent).cloned().ok_or_else(|| {
                    DocumentError::ParentLevelUnknown {
                        issue_key: issue.key.clone(),
                        parent: parent.to_string(),
                    }
                })?
            }
        };
        Ok(Some(level))
    }

    /// The Jira client documents are read with.
    pub fn client(&self) -> &JiraClient {
        &self.client
    }

    /// The fields to ask Jira for: the indexer's, plus the custom fields that grants
    /// name (their values decide who may see an issue).
    pub fn fields(&self) -> Vec<String> {
        jira_cloud::ISSUE_FIELDS
            .iter()
            .map(|s| s.to_string())
            .chain(self.acl_fields.iter().cloned())
            .collect()
    }

    /// Builds an issue's documents. `Err` (naming the issue) when its comments could
    /// not be read: the index keeps what it had for the issue.
    pub async fn document(&self, issue: &Issue) -> Result<DocumentedIssue, DocumentError> {
        let indexing = &self.indexing;
        let inherited = self.inherited_level(issue).await?;
        let inline = issue.fields.comment.as_ref();
        let complete = inline.is_none_or(|c| c.comments.len() as u64 >= c.total);
        let comments = if !indexing.comments {
            Vec::new()
        } else if complete {
            inline.map(|c| c.comments.clone()).unwrap_or_default()
        } else {
            self.client
                .issue_comments(&issue.id)
                .await
                .map_err(|source| DocumentError::Comments {
                    issue_key: issue.key.clone(),
                    source,
                })?
        };
        let mut files = Vec::new();
        let mut counts = AttachmentCounts::default();
        let mut errors = Vec::new();
        let mut attachment_ids = Vec::new();
        for att in issue
            .fields
            .attachment
            .iter()
            .filter(|_| indexing.attachments)
        {
            attachment_ids.push(att.id.clone());
            let (text, fetched) = attachment_text(
                &self.client,
                &self.cache,
                indexing,
                &self.limits,
                &issue.key,
                att,
            )
            .await;
            match fetched {
                Fetched::Cached => counts.cached += 1,
                Fetched::Downloaded { bytes } => {
                    counts.downloaded += 1;
                    counts.downloaded_bytes += bytes;
                }
                Fetched::Skipped { reason } => {
                    counts.skipped += 1;
                    tracing::info!(issue = %issue.key, file = %att.filename, "{reason}");
                }
                Fetched::Failed { error } => {
                    counts.failed += 1;
                    errors.push(error);
                }
            }
            files.push(text);
        }
        let ctx = DocContext {
            directory: &self.directory,
            acl_fields: &self.acl_fields,
            site_url: &self.site_url,
            counter: self.counter.as_ref(),
            chunking: &self.chunking,
            indexing,
        };
        let mut docs = build_issue_documents(issue, inherited.as_ref(), &comments, &files, &ctx);
        docs.content_hash = with_model(&docs.content_hash, self.vectors_by);
        errors.extend(docs.problems.iter().cloned());
        Ok(DocumentedIssue {
            subtask_ids: issue.fields.subtasks.iter().map(|t| t.id.clone()).collect(),
            docs,
            attachment_ids,
            counts,
            errors,
        })
    }
}

/// The parent id of a sub-task (issue type `subtask: true` with a `parent`).
pub(crate) fn subtask_parent(issue: &Issue) -> Option<&str> {
    let f = &issue.fields;
    let is_subtask = f.issuetype.as_ref().is_some_and(|t| t.subtask);
    f.parent
        .as_ref()
        .filter(|p| is_subtask && !p.id.is_empty())
        .map(|p| p.id.as_str())
}

/// Adds one issue's attachment counts to a run's.
pub(crate) fn add_counts(total: &mut AttachmentCounts, more: &AttachmentCounts) {
    total.downloaded += more.downloaded;
    total.downloaded_bytes += more.downloaded_bytes;
    total.cached += more.cached;
    total.skipped += more.skipped;
    total.failed += more.failed;
}

/// Embeds every chunk of a batch of issues (in one call, so the model sees a full
/// batch), or `None` when embedding is disabled.
pub(crate) async fn embed_batch(
    model: Option<&Arc<Embedder>>,
    issues: &[IssueDocuments],
) -> Result<Option<Vec<Vec<f32>>>, SyncError> {
    let Some(model) = model else {
        return Ok(None);
    };
    let model = model.clone();
    let texts: Vec<String> = issues
        .iter()
        .flat_map(|i| i.docs.iter().map(|d| d.embed_text.clone()))
        .collect();
    let out = tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        model.embed(&refs)
    })
    .await
    .map_err(SyncError::task("embed batch"))??;
    Ok(Some(out))
}

/// Replaces each issue's chunks in the index and commits.
pub(crate) async fn write_batch(
    index: &Arc<SearchIndex>,
    issues: &[IssueDocuments],
    vectors: Option<Vec<Vec<f32>>>,
) -> Result<(), SyncError> {
    write_uncommitted(index, issues.to_vec(), vectors).await?;
    commit_index(index).await
}

/// Writes each issue's chunks, visible and durable after the next [`commit_index`]:
/// every chunk the index holds of the issue is removed (one delete by issue id), then
/// the new chunks are added. Removing even for issues the state store does not know
/// keeps a crash between an index commit and the state write from doubling chunks.
/// The issues come back, for the caller to record once committed.
pub(crate) async fn write_uncommitted(
    index: &Arc<SearchIndex>,
    batch: Vec<IssueDocuments>,
    vectors: Option<Vec<Vec<f32>>>,
) -> Result<Vec<IssueDocuments>, SyncError> {
    let writer = index.clone();
    tokio::task::spawn_blocking(move || -> Result<Vec<IssueDocuments>, SyncError> {
        let ids: Vec<String> = batch.iter().map(|i| i.issue_id.clone()).collect();
        writer.begin_write(&ids)?;
        let mut offset = 0usize;
        for item in &batch {
            let n = item.docs.len();
            let vecs = vectors.as_ref().map(|v| &v[offset..offset + n]);
            writer.delete_issue(&item.issue_id)?;
            writer.insert_new(&item.docs, vecs)?;
            offset += n;
        }
        Ok(batch)
    })
    .await
    .map_err(SyncError::task("batch write"))?
}

/// Commits what was written (vectors flushed first, then the keyword index).
pub(crate) async fn commit_index(index: &Arc<SearchIndex>) -> Result<(), SyncError> {
    let writer = index.clone();
    tokio::task::spawn_blocking(move || writer.commit())
        .await
        .map_err(SyncError::task("index commit"))?
        .map_err(SyncError::from)
}

/// Removes issues (all their chunks) from the index and commits.
pub(crate) async fn delete_issues(
    index: &Arc<SearchIndex>,
    issue_ids: &[String],
) -> Result<(), SyncError> {
    if issue_ids.is_empty() {
        return Ok(());
    }
    let writer = index.clone();
    let ids = issue_ids.to_vec();
    tokio::task::spawn_blocking(move || -> Result<(), SyncError> {
        writer.begin_write(&ids)?;
        for id in &ids {
            writer.delete_issue(id)?;
        }
        writer.commit()?;
        Ok(())
    })
    .await
    .map_err(SyncError::task("delete write"))?
}

/// Records written issues in the state (after their commit).
pub(crate) fn record_written(
    store: &state::StateStore,
    state: &mut SyncState,
    issues: Vec<IssueDocuments>,
) -> Result<(), crate::error::SyncError> {
    let rows: Vec<(String, IssueState)> = issues
        .into_iter()
        .map(|item| {
            (
                item.issue_id.clone(),
                IssueState {
                    key: item.issue_key,
                    project_id: item.project_id,
                    project_key: item.project_key,
                    content_hash: item.content_hash,
                    chunk_ids: item.docs.iter().map(|d| d.chunk_id.clone()).collect(),
                    chunk_hashes: item.docs.iter().map(|d| d.content_hash.clone()).collect(),
                    updated: item.updated,
                },
            )
        })
        .collect();
    store.record_issues(&rows)?;
    state.issues.extend(rows);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use index::{ChunkDoc, ChunkKind};

    fn issue(id: &str, chunks: usize, text: &str) -> IssueDocuments {
        let docs = (0..chunks)
            .map(|n| ChunkDoc {
                chunk_id: format!("issue:{id}:{n}"),
                issue_id: id.into(),
                issue_key: format!("P-{id}"),
                project_key: "P".into(),
                kind: ChunkKind::Issue,
                title: "title".into(),
                text: text.into(),
                embed_text: text.into(),
                url: String::new(),
                acl_project: vec!["*".into()],
                acl_issue: vec!["*".into()],
                acl_comment: vec!["*".into()],
                status: None,
                priority: None,
                issue_type: None,
                assignee: None,
                labels: Vec::new(),
                created: None,
                updated: None,
                content_hash: format!("h-{text}-{n}"),
            })
            .collect();
        IssueDocuments {
            issue_id: id.into(),
            issue_key: format!("P-{id}"),
            project_id: "1".into(),
            project_key: "P".into(),
            updated: 0,
            content_hash: text.into(),
            docs,
            problems: Vec::new(),
        }
    }

    /// A run that crashed after an index commit and before the state store recorded
    /// it leaves chunks the state does not know of: writing the issue again (as new)
    /// replaces them, it does not double them.
    #[tokio::test]
    async fn writing_an_issue_again_never_doubles_its_chunks() {
        let tmp = tempfile::tempdir().unwrap();
        let index = Arc::new(SearchIndex::open(tmp.path(), None).unwrap());
        write_uncommitted(&index, vec![issue("1", 3, "old"), issue("2", 1, "x")], None)
            .await
            .unwrap();
        commit_index(&index).await.unwrap();
        assert_eq!(index.chunk_count().unwrap(), 4);
        // Issue 1 now has two chunks; it comes twice in one batch.
        let again = vec![issue("1", 2, "new"), issue("1", 2, "new")];
        write_uncommitted(&index, again, None).await.unwrap();
        commit_index(&index).await.unwrap();
        assert_eq!(index.chunk_count().unwrap(), 3);
    }
}

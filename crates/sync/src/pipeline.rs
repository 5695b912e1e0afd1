//! The sync pipeline, assembled in one place (`run_sync`):
//!
//! ```text
//! identity ──► directory.json
//! issue pages (per project, search/jql) ─[bounded]─► documents (comments paged when
//!   needed, attachments downloaded once and extracted, ADF → Markdown, chunks, ACL
//!   tags, content hash) ─[bounded]─► embed
//!   (batches sorted by length) ─[bounded]─► write (tantivy + vectors, commit, state)
//! deletions: issues indexed before but not seen now (id-set reconciliation)
//! ```
//!
//! Each stage is a task; channels are bounded, so the embedder (the CPU ceiling)
//! sets the pace and memory stays flat. An issue that fails is reported by key and
//! keeps what the index already had for it; the run goes on.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use index::{Embedder, SearchIndex};
use jira_cloud::{Auth, ClientConfig, JiraClient, JqlRequest, OAuthCredentials};
use tokio::sync::mpsc;

use crate::SyncError;
use crate::attachments::AttachmentCache;
use crate::config::Config;
use crate::directory::fetch_directory;
use crate::documents::IssueDocuments;
use crate::stages::{
    Documenter, add_counts, delete_issues, embed_batch, record_written, write_batch,
};
use crate::state::{
    AttachmentCounts, DataDir, RunKind, RunRecord, SyncState, read_json, write_json_atomic,
};

/// Chunks per embedding batch (issues are never split across batches).
const EMBED_BATCH_CHUNKS: usize = 64;

/// What the document stage learnt over a run.
struct Documented {
    seen: HashSet<String>,
    attachment_ids: HashSet<String>,
    counts: AttachmentCounts,
    unchanged: usize,
    errors: Vec<String>,
}

/// How a run behaves.
#[derive(Clone, Debug, Default)]
pub struct SyncOptions {
    /// Re-index every issue even when its content hash is unchanged.
    pub force_reindex: bool,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct SyncReport {
    pub run: RunRecord,
    pub chunk_count: usize,
}

/// Builds the Jira client from the config: email + API token against the site URL,
/// or OAuth through `api.atlassian.com/ex/jira/{cloudId}` with the token file's
/// refresh token (every rotation is written back before it is used).
pub fn jira_client(cfg: &Config) -> Result<JiraClient, SyncError> {
    let (base, auth) = match &cfg.jira.oauth {
        None => (
            cfg.jira.base_url.trim_end_matches('/').to_string(),
            Auth::Basic {
                email: cfg.jira.email.clone(),
                api_token: cfg.api_token()?,
            },
        ),
        Some(app) => {
            let tokens = crate::credentials::read_token_file(&app.token_file)?;
            let endpoints = app.endpoints();
            let creds = OAuthCredentials {
                token_url: endpoints.token_url(),
                on_rotate: Some(crate::credentials::rotation_sink(
                    &app.token_file,
                    tokens.clone(),
                )),
                ..OAuthCredentials::new(
                    app.client_id.clone(),
                    app.client_secret()?,
                    tokens.refresh_token.clone(),
                )
            };
            (
                endpoints.site_api_base(&tokens.cloud_id),
                Auth::OAuth(creds),
            )
        }
    };
    let mut client_cfg = ClientConfig::new(base, auth);
    client_cfg.page_size = cfg.jira.page_size as usize;
    JiraClient::new(client_cfg).map_err(|e| SyncError::jira("creating the client", e))
}

/// Loads the embedder named by the config (fetching the model once into the cache),
/// or `None` when embedding is disabled. Blocking: call outside async code.
pub fn load_embedder(cfg: &Config) -> Result<Option<Arc<Embedder>>, SyncError> {
    if !cfg.embedding.enabled {
        return Ok(None);
    }
    let cache = cfg
        .embedding
        .cache_dir
        .clone()
        .unwrap_or_else(index::default_cache_dir);
    let assets = index::ensure_assets(&cache)?;
    Ok(Some(Arc::new(Embedder::load(&assets)?)))
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Reads the identity directory from Jira and stores it (atomically) for searches.
async fn sync_directory(
    client: &JiraClient,
    data: &DataDir,
) -> Result<access::Directory, SyncError> {
    let directory = fetch_directory(client).await?;
    write_json_atomic(&data.directory_file(), &directory)?;
    tracing::info!(
        users = directory.users.len(),
        groups = directory.groups.len(),
        projects = directory.projects.len(),
        "identity synced"
    );
    Ok(directory)
}

/// Syncs identity only: users, groups and members, roles, grants and security levels.
/// Touches no chunk: group, role and scheme changes take effect in searches through
/// the principal sets expanded at query time, without rewriting the index.
pub async fn run_identity_sync(cfg: &Config) -> Result<SyncReport, SyncError> {
    let data = DataDir::new(&cfg.data.dir);
    data.ensure()?;
    let client = jira_client(cfg)?;
    let mut run = RunRecord {
        started_ms: now_ms(),
        kind: RunKind::Identity,
        ..Default::default()
    };
    sync_directory(&client, &data).await?;
    let mut state: SyncState = read_json(&data.state_file())?.unwrap_or_default();
    run.api_calls = client.request_count();
    run.finished_ms = now_ms();
    let chunk_count = state.issues.values().map(|s| s.chunk_ids.len()).sum();
    state.push_run(run.clone());
    write_json_atomic(&data.state_file(), &state)?;
    Ok(SyncReport { run, chunk_count })
}

/// Runs one sync of the whole site into the config's data directory.
pub async fn run_sync(
    cfg: &Config,
    embedder: Option<Arc<Embedder>>,
    opts: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let index_cfg = cfg.clone();
    let index = Arc::new(
        tokio::task::spawn_blocking(move || crate::state::open_index(&index_cfg, embedder))
            .await
            .map_err(|e| SyncError::Internal(e.to_string()))??,
    );
    run_sync_into(cfg, index, opts).await
}

/// Runs one sync of the whole site into an index that is already open (the server
/// shares one index between its searches and its syncs). The index's embedder, if
/// any, embeds the chunks.
pub async fn run_sync_into(
    cfg: &Config,
    index: Arc<SearchIndex>,
    opts: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let data = DataDir::new(&cfg.data.dir);
    data.ensure()?;
    let client = jira_client(cfg)?;
    let embedder = index.embedder().cloned();
    let mut run = RunRecord {
        started_ms: now_ms(),
        ..Default::default()
    };

    // Stage 1: identity.
    let directory = Arc::new(sync_directory(&client, &data).await?);

    let mut state: SyncState = read_json(&data.state_file())?.unwrap_or_default();
    let in_scope: Vec<(String, String)> = directory
        .projects
        .iter()
        .filter(|p| !p.archived && cfg.filters.allows_project(&p.key))
        .map(|p| (p.id.clone(), p.key.clone()))
        .collect();
    let documenter = Documenter::new(cfg, client.clone(), directory.clone(), embedder.as_ref());

    // Stage 2: issue pages.
    let (page_tx, mut page_rx) = mpsc::channel::<Vec<jira_cloud::model::Issue>>(2);
    let fetch_client = client.clone();
    let page_size = cfg.jira.page_size;
    let projects = in_scope.clone();
    let fields = documenter.fields();
    let fetcher = tokio::spawn(async move {
        let mut failed: Vec<(String, String)> = Vec::new();
        for (_, key) in &projects {
            let req = JqlRequest {
                jql: format!("project = \"{key}\" ORDER BY updated ASC, key ASC"),
                fields: fields.clone(),
                expand: None,
                max_results: page_size,
            };
            let mut token: Option<String> = None;
            loop {
                match fetch_client.search_jql_page(&req, token.as_deref()).await {
                    Ok(page) => {
                        let last = page.is_last || page.next_page_token.is_none();
                        token = page.next_page_token;
                        if page_tx.send(page.issues).await.is_err() {
                            return failed;
                        }
                        if last {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!(project = %key, error = %e, "fetching issues failed");
                        failed.push((key.clone(), e.to_string()));
                        break;
                    }
                }
            }
        }
        failed
    });

    // Stage 3: documents.
    let (doc_tx, mut doc_rx) = mpsc::channel::<IssueDocuments>(64);
    let known_hashes: std::collections::HashMap<String, String> = if opts.force_reindex {
        Default::default()
    } else {
        state
            .issues
            .iter()
            .map(|(id, s)| (id.clone(), s.content_hash.clone()))
            .collect()
    };
    let documenter = tokio::spawn(async move {
        let mut out = Documented {
            seen: HashSet::new(),
            attachment_ids: HashSet::new(),
            counts: AttachmentCounts::default(),
            unchanged: 0,
            errors: Vec::new(),
        };
        while let Some(page) = page_rx.recv().await {
            for issue in page {
                out.seen.insert(issue.id.clone());
                let done = match documenter.document(&issue).await {
                    Ok(done) => done,
                    Err(e) => {
                        out.errors.push(e);
                        continue;
                    }
                };
                out.attachment_ids.extend(done.attachment_ids);
                add_counts(&mut out.counts, &done.counts);
                out.errors.extend(done.errors);
                let docs = done.docs;
                if known_hashes.get(&docs.issue_id) == Some(&docs.content_hash) {
                    out.unchanged += 1;
                    continue;
                }
                if doc_tx.send(docs).await.is_err() {
                    return out;
                }
            }
        }
        out
    });

    // Stage 4: embeddings, in batches sorted by length.
    let (vec_tx, mut vec_rx) = mpsc::channel::<(Vec<IssueDocuments>, Option<Vec<Vec<f32>>>)>(2);
    let embed_model = embedder.clone();
    let embedding = tokio::spawn(async move {
        let mut batch: Vec<IssueDocuments> = Vec::new();
        let mut chunks = 0usize;
        loop {
            let next = doc_rx.recv().await;
            let done = next.is_none();
            if let Some(item) = next {
                chunks += item.docs.len();
                batch.push(item);
            }
            if (chunks >= EMBED_BATCH_CHUNKS || done) && !batch.is_empty() {
                let issues = std::mem::take(&mut batch);
                chunks = 0;
                let vectors = embed_batch(embed_model.as_ref(), &issues).await?;
                if vec_tx.send((issues, vectors)).await.is_err() {
                    break;
                }
            }
            if done {
                break;
            }
        }
        Ok::<(), SyncError>(())
    });

    // Stage 5: writes. Each batch is committed before its issues' state is recorded,
    // so a crash leaves them to be written again, never marked done unwritten.
    while let Some((issues, vectors)) = vec_rx.recv().await {
        write_batch(&index, &issues, vectors).await?;
        run.issues_indexed += issues.len();
        run.chunks_written += issues.iter().map(|i| i.docs.len()).sum::<usize>();
        record_written(&mut state, issues);
        write_json_atomic(&data.state_file(), &state)?;
    }
    embedding
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))??;
    let Documented {
        seen,
        attachment_ids,
        counts,
        unchanged,
        errors: doc_errors,
    } = documenter
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?;
    run.attachments = counts;
    let failed_projects = fetcher
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?;
    run.issues_seen = seen.len();
    run.issues_unchanged = unchanged;
    run.errors.extend(doc_errors);
    for (key, err) in &failed_projects {
        run.errors
            .push(format!("project {key}: fetching issues failed: {err}"));
    }

    // Stage 6: deletions. An issue indexed before and not seen now is gone (deleted,
    // moved out of scope, archived, filtered out) — unless its project failed to fetch.
    let failed_keys: BTreeSet<&str> = failed_projects.iter().map(|(k, _)| k.as_str()).collect();
    let gone: Vec<String> = state
        .issues
        .iter()
        .filter(|(id, s)| !seen.contains(*id) && !failed_keys.contains(s.project_key.as_str()))
        .map(|(id, _)| id.clone())
        .collect();
    if !gone.is_empty() {
        delete_issues(&index, &gone).await?;
        for id in &gone {
            state.issues.remove(id);
        }
        run.issues_deleted = gone.len();
    }
    // Cached texts of attachments no synced issue has any more (deleted files, deleted
    // issues) are dropped, unless a project failed and its issues went unseen.
    if failed_projects.is_empty() {
        let removed = AttachmentCache::new(&data).retain(&attachment_ids);
        if removed > 0 {
            tracing::info!(removed, "dropped cached text of attachments that are gone");
        }
    }

    run.api_calls = client.request_count();
    run.finished_ms = now_ms();
    for e in &run.errors {
        tracing::warn!("{e}");
    }
    state.push_run(run.clone());
    write_json_atomic(&data.state_file(), &state)?;
    let reader = index.clone();
    let chunk_count = tokio::task::spawn_blocking(move || {
        // Nothing may keep rewriting index files once the run has returned.
        reader.wait_merges()?;
        reader.chunk_count()
    })
    .await
    .map_err(|e| SyncError::Internal(e.to_string()))??;
    Ok(SyncReport { run, chunk_count })
}

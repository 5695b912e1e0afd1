//! The sync pipeline, assembled in one place (`run_sync_into`), one module per stage:
//!
//! ```text
//! identity ──► directory.json
//! issue pages (per project, search/jql: in full, or changes since the project's
//!   checkpoint + its id set + unknown ids by bulkfetch) ─[bounded]─► documents (comments paged when
//!   needed, attachments downloaded once and extracted, ADF → Markdown, chunks, ACL
//!   tags, content hash) ─[bounded]─► embed
//!   (batches sorted by length) ─[bounded]─► write (tantivy + vectors, commit, state)
//! deletions: issues indexed before and absent from every id set now (deleted,
//!   moved out of scope, filtered out); checkpoints advance for clean projects
//! ```
//!
//! Each stage is a task; channels are bounded, so the embedder (the CPU ceiling)
//! sets the pace and memory stays flat. An issue that fails is reported by key and
//! keeps what the index already had for it; the run goes on. Stages: `identity`,
//! `fetch`, `document`, `embed`, `write`, `reconcile`; `setup` builds what a run
//! needs from the config.

mod document;
mod embed;
mod fetch;
mod identity;
mod reconcile;
mod setup;
mod write;

use std::collections::HashMap;
use std::sync::Arc;

use config::{Config, DataDir};
use index::{Embedder, SearchIndex};
use jira_cloud::JiraClient;
use state::{RunKind, RunRecord, StateStore, SyncState};

pub use setup::{jira_client, load_embedder, secure_data_dir};

use crate::clock::now_ms;
use crate::error::SyncError;
use crate::progress::{Stage, report};
use crate::stages::Documenter;
use write::Writer;

/// How a run behaves.
#[derive(Clone, Debug, Default)]
pub struct SyncOptions {
    /// Re-index every issue even when its content hash is unchanged.
    pub force_reindex: bool,
    /// Where stage progress goes (bars, JSON lines); `None`: nowhere.
    pub progress: Option<crate::progress::ProgressSink>,
    /// Cancelling it stops the run early: no new issue page is read, issues read and
    /// not yet documented are dropped, what was documented is embedded, written,
    /// committed and recorded.
    /// Nothing is deleted and no checkpoint moves, so the next run picks up the rest.
    pub cancel: Option<tokio_util::sync::CancellationToken>,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct SyncReport {
    /// The run as recorded in the history.
    pub run: RunRecord,
    /// Chunks in the index after the run.
    pub chunk_count: usize,
}

/// Syncs identity only, always in full: users, groups and members, roles, grants and
/// security levels (what `sync --identity-only` and identity webhooks run).
/// Touches no chunk: group, role and scheme changes take effect in searches through
/// the principal sets expanded at query time, without rewriting the index.
pub async fn run_identity_sync(cfg: &Config) -> Result<SyncReport, SyncError> {
    let data = DataDir::new(&cfg.data.dir);
    data.ensure()?;
    let store = StateStore::open_config(cfg)?;
    let client = setup::jira_client(cfg)?;
    let mut run = RunRecord {
        started_ms: now_ms(),
        kind: RunKind::Identity,
        ..Default::default()
    };
    let identity =
        identity::sync_directory(&client, &data, &store, cfg, true, run.started_ms).await?;
    identity::record(&mut run, &identity, now_ms());
    run.api_calls = client.request_count();
    run.attachment_calls = client.attachment_request_count();
    run.finished_ms = now_ms();
    let chunk_count = store
        .load()?
        .issues
        .values()
        .map(|s| s.chunk_ids.len())
        .sum();
    store.push_run(&run)?;
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
        tokio::task::spawn_blocking(move || search::open_index(&index_cfg, embedder))
            .await
            .map_err(SyncError::task("open index"))??,
    );
    run_sync_into(cfg, index, opts).await
}

/// Runs one sync of the whole site into an index that is already open (the server
/// shares one index between its searches and its syncs). The index's embedder, if
/// any, embeds the chunks. The stages run at once, joined by bounded channels:
/// fetch → document → embed → write; then the run is reconciled with the index.
pub async fn run_sync_into(
    cfg: &Config,
    index: Arc<SearchIndex>,
    opts: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let data = DataDir::new(&cfg.data.dir);
    secure_data_dir(&data)?;
    let store = StateStore::open_config(cfg)?;
    setup::forget_recovered(&index, &store)?;
    let client = jira_client(cfg)?;
    let (progress, cancel) = (
        opts.progress.clone(),
        opts.cancel.clone().unwrap_or_default(),
    );
    let mut run = RunRecord {
        started_ms: now_ms(),
        ..Default::default()
    };
    report(&progress, Stage::Identity, 0, Some(1));
    let identity =
        identity::sync_directory(&client, &data, &store, cfg, false, run.started_ms).await?;
    identity::record(&mut run, &identity, now_ms());
    report(&progress, Stage::Identity, 1, Some(1));
    let mut state: SyncState = store.load()?;
    let gone = &identity.deleted_issue_ids;
    identity::delete_logged(&index, &store, &mut state, gone, &mut run).await?;

    let in_scope: Vec<String> = identity
        .directory
        .projects
        .iter()
        .filter(|p| !p.archived && cfg.filters.allows_project(&p.key))
        .map(|p| p.key.clone())
        .collect();
    let directory = Arc::new(identity.directory);
    let documenter = Documenter::new(cfg, client.clone(), directory, index.embedder());
    let fields = documenter.fields();
    let fingerprint = setup::settings_fingerprint(cfg, &fields);
    let checkpoints_valid = !opts.force_reindex && state.checkpoint.fingerprint == fingerprint;
    let plans = fetch::plans(&in_scope, &state, checkpoints_valid);
    let reading = fetch::Reading::new(cfg, &state, fields, cancel.clone());
    let (pages, fetcher) = fetch::spawn(client.clone(), plans, reading, progress.clone());
    let known = known_hashes(&state, opts.force_reindex);
    let (docs, documents) =
        document::spawn(documenter, pages, known, cancel.clone(), progress.clone());
    let (batches, embedding) = embed::spawn(index.embedder().cloned(), docs, progress.clone());
    let mut writer = Writer {
        index: &index,
        store: &store,
        state: &mut state,
        progress: &progress,
    };
    writer.drain(batches, &mut run).await?;
    embedding.await.map_err(SyncError::task("embedding"))??;
    let outcome = reconcile::Outcome {
        documented: documents.await.map_err(SyncError::task("documents"))?,
        fetched: fetcher.await.map_err(SyncError::task("fetch"))?,
        in_scope,
        checkpoints_valid,
        fingerprint,
    };
    run.stopped = cancel.is_cancelled();
    finish(&data, &store, &index, &client, state, outcome, run).await
}

/// The content hash of every indexed issue (none when every issue is rewritten).
fn known_hashes(state: &SyncState, force_reindex: bool) -> HashMap<String, String> {
    if force_reindex {
        return HashMap::new();
    }
    state
        .issues
        .iter()
        .map(|(id, s)| (id.clone(), s.content_hash.clone()))
        .collect()
}

/// Reconciles the run with the index, records it, and waits for the index to settle.
async fn finish(
    data: &DataDir,
    store: &StateStore,
    index: &Arc<SearchIndex>,
    client: &JiraClient,
    mut state: SyncState,
    outcome: reconcile::Outcome,
    mut run: RunRecord,
) -> Result<SyncReport, SyncError> {
    outcome.record(&mut run);
    run.issues_deleted += outcome
        .delete_gone(index, store, &mut state, run.stopped)
        .await?;
    state.checkpoint = outcome.checkpoint(&state, run.stopped);
    store.set_checkpoint(&state.checkpoint)?;
    outcome.drop_unheld_attachments(data, &state);
    run.api_calls = client.request_count();
    run.attachment_calls = client.attachment_request_count();
    run.finished_ms = now_ms();
    for e in &run.errors {
        tracing::warn!("{e}");
    }
    store.push_run(&run)?;
    let reader = index.clone();
    let chunk_count = tokio::task::spawn_blocking(move || {
        // Nothing may keep rewriting index files once the run has returned.
        reader.wait_merges()?;
        reader.chunk_count()
    })
    .await
    .map_err(SyncError::task("chunk count"))??;
    // The index libraries create their files with the process umask.
    if let Err(e) = data.secure() {
        tracing::warn!(error = %e, "could not make the data directory owner-only");
    }
    Ok(SyncReport { run, chunk_count })
}

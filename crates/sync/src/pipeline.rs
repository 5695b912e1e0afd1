//! The sync pipeline, assembled in one place (`run_sync`):
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
//! keeps what the index already had for it; the run goes on.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use index::{Embedder, SearchIndex};
use jira_cloud::{Auth, ClientConfig, JiraClient, JqlRequest, OAuthCredentials};
use tokio::sync::mpsc;

use crate::SyncError;
use crate::attachments::AttachmentCache;
use crate::directory::{IdentityOutcome, refresh_directory};
use crate::documents::IssueDocuments;
use crate::progress::{Stage, report};
use crate::stages::{
    Documenter, add_counts, commit_index, delete_issues, embed_batch, record_written,
    write_uncommitted,
};
use config::Config;
use config::{DataDir, FileError, write_json_atomic};
use state::{AttachmentCounts, RunError, RunErrorKind, RunKind, RunRecord, StateStore, SyncState};

/// Chunks per embedding batch (issues are never split across batches).
const EMBED_BATCH_CHUNKS: usize = 1024;
/// Issues documented at once.
const DOC_CONCURRENCY: usize = 32;
/// Chunks written between two commits at most (and at most COMMIT_INTERVAL apart).
const COMMIT_CHUNKS: usize = 60_000;
const COMMIT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// What the document stage learnt over a run.
struct Documented {
    seen: HashSet<String>,
    attachment_ids: HashSet<String>,
    counts: AttachmentCounts,
    unchanged: usize,
    errors: Vec<RunError>,
    /// Projects with an issue that could not be documented: their checkpoint stays.
    failed_projects: HashSet<String>,
}

/// How far back of a checkpoint an incremental read starts: covers Jira's search
/// index lagging behind recent writes. Re-read issues are recognised by their content
/// hash and cost no re-indexing.
const OVERLAP_MS: i64 = 5 * 60 * 1000;

/// Projects read in full at the same time (each its own `search/jql` walk).
const FETCH_CONCURRENCY: usize = 4;

/// How one project is read this run.
struct ProjectPlan {
    key: String,
    /// Read changes since this `updated` (epoch ms); `None`: read in full.
    since: Option<i64>,
}

/// What every project read shares.
struct Reading {
    fields: Vec<String>,
    page_size: u32,
    /// Date-range clauses of the sync filters.
    dates: String,
    /// Issue id → the project key the index holds it under.
    known: std::collections::HashMap<String, String>,
    /// Stops reading when cancelled.
    cancel: tokio_util::sync::CancellationToken,
}

/// What the fetch stage learnt.
#[derive(Default)]
struct FetchOutcome {
    /// Projects that failed, with the error.
    failed: Vec<(String, String)>,
    /// Ids Jira holds in the projects read (all of them, from id sets or full reads).
    present: HashSet<String>,
    /// Project key → newest `updated` read this run.
    newest: std::collections::HashMap<String, i64>,
    incremental: usize,
    full: usize,
    /// Issues read so far, for progress.
    read: u64,
}

/// The fetch stage's outcome, shared by the project readers running at once.
struct Fetching {
    out: std::sync::Mutex<FetchOutcome>,
    progress: Option<crate::progress::ProgressSink>,
}

/// The project key of an issue key (`ENG-42` → `ENG`).
fn key_project(key: &str) -> &str {
    key.rsplit_once('-').map(|(p, _)| p).unwrap_or(key)
}

impl Fetching {
    fn lock(&self) -> std::sync::MutexGuard<'_, FetchOutcome> {
        self.out.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn note(&self, issues: &[jira_cloud::model::Issue]) {
        let read = {
            let mut out = self.lock();
            out.read += issues.len() as u64;
            for i in issues {
                out.present.insert(i.id.clone());
                let project = i
                    .fields
                    .project
                    .as_ref()
                    .map(|p| p.key.clone())
                    .unwrap_or_else(|| key_project(&i.key).to_string());
                if let Some(ms) = i
                    .fields
                    .updated
                    .as_deref()
                    .and_then(jira_cloud::parse_jira_time)
                {
                    let e = out.newest.entry(project).or_insert(ms);
                    *e = (*e).max(ms);
                }
            }
            out.read
        };
        report(&self.progress, Stage::Fetch, read, None);
    }
}

type PageTx = mpsc::Sender<Vec<jira_cloud::model::Issue>>;

/// Walks a JQL query's content pages into the page channel, leaving out the issues
/// in `skip`, and adds the ids it reads to `read`. `Ok(None)` when the receiver is
/// gone.
async fn read_pages(
    client: &JiraClient,
    jql: String,
    reading: &Reading,
    tx: &PageTx,
    fetching: &Fetching,
    skip: &HashSet<String>,
    read: &mut HashSet<String>,
) -> Result<Option<()>, jira_cloud::JiraError> {
    let req = JqlRequest {
        jql,
        fields: reading.fields.clone(),
        expand: None,
        max_results: reading.page_size,
    };
    let mut token: Option<String> = None;
    loop {
        if reading.cancel.is_cancelled() {
            return Ok(None);
        }
        let page = client.search_jql_page(&req, token.as_deref()).await?;
        let last = page.is_last || page.next_page_token.is_none();
        token = page.next_page_token;
        read.extend(page.issues.iter().map(|i| i.id.clone()));
        let issues: Vec<_> = page
            .issues
            .into_iter()
            .filter(|i| !skip.contains(&i.id))
            .collect();
        fetching.note(&issues);
        if !issues.is_empty() && tx.send(issues).await.is_err() {
            return Ok(None);
        }
        if last {
            return Ok(Some(()));
        }
    }
}

/// Projects read in full by one `search/jql` walk at most: a walk over several
/// projects saves each project's last, partly filled page.
const PROJECTS_PER_WALK: usize = 50;

/// Splits the projects read in full into walks: at least [`FETCH_CONCURRENCY`] of
/// them (so that as many readers run at once), each of at most
/// [`PROJECTS_PER_WALK`] projects.
fn full_walks(keys: Vec<String>) -> Vec<Vec<String>> {
    let walks = FETCH_CONCURRENCY
        .max(keys.len().div_ceil(PROJECTS_PER_WALK))
        .min(keys.len());
    let mut out: Vec<Vec<String>> = vec![Vec::new(); walks];
    for (i, key) in keys.into_iter().enumerate() {
        out[i % walks].push(key);
    }
    out
}

/// The JQL of a full read of some projects.
fn full_jql(keys: &[String], dates: &str) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("\"{k}\"")).collect();
    format!(
        "project in ({}){dates} ORDER BY updated ASC, key ASC",
        quoted.join(", ")
    )
}

/// Reads some projects in full, in one walk. When that walk fails and it covered
/// several projects, each is read again alone (skipping the issues already sent),
/// so that one failing project does not hold the others back; the projects that
/// still fail are returned with their error. `Ok(None)` when the receiver is gone.
async fn fetch_full(
    client: &JiraClient,
    keys: &[String],
    reading: &Reading,
    tx: &PageTx,
    fetching: &Fetching,
) -> Result<Option<Vec<(String, String)>>, jira_cloud::JiraError> {
    let mut sent = HashSet::new();
    let walk = full_jql(keys, &reading.dates);
    let err = match read_pages(
        client,
        walk,
        reading,
        tx,
        fetching,
        &HashSet::new(),
        &mut sent,
    )
    .await
    {
        Ok(None) => return Ok(None),
        Ok(Some(())) => {
            fetching.lock().full += keys.len();
            return Ok(Some(Vec::new()));
        }
        Err(e) if keys.len() == 1 => return Err(e),
        Err(e) => e,
    };
    tracing::warn!(projects = ?keys, error = %err, "a walk over several projects failed: reading each alone");
    let mut failed = Vec::new();
    for key in keys {
        let walk = full_jql(std::slice::from_ref(key), &reading.dates);
        let mut read = HashSet::new();
        match read_pages(client, walk, reading, tx, fetching, &sent, &mut read).await {
            Ok(None) => return Ok(None),
            Ok(Some(())) => fetching.lock().full += 1,
            Err(e) => failed.push((key.clone(), e.to_string())),
        }
    }
    Ok(Some(failed))
}

/// Reads every project that has a checkpoint at once, in a few calls whatever their
/// number: one query for the changes since each project's checkpoint (minus the
/// overlap), one id-only walk of their id sets (5,000 per page), and the ids the index
/// does not hold under their current project (moved in, newly visible, in a widened
/// range) fetched by id. `Ok(false)` when the receiver is gone.
async fn fetch_changes(
    client: &JiraClient,
    plans: &[ProjectPlan],
    reading: &Reading,
    tx: &PageTx,
    fetching: &Fetching,
) -> Result<bool, jira_cloud::JiraError> {
    let changed: Vec<String> = plans
        .iter()
        .filter_map(|p| {
            p.since.map(|ms| {
                format!(
                    "(project = \"{}\" AND updated >= {})",
                    p.key,
                    ms - OVERLAP_MS
                )
            })
        })
        .collect();
    let jql = format!(
        "({}){} ORDER BY updated ASC, key ASC",
        changed.join(" OR "),
        reading.dates
    );
    let mut read = HashSet::new();
    if read_pages(
        client,
        jql,
        reading,
        tx,
        fetching,
        &HashSet::new(),
        &mut read,
    )
    .await?
    .is_none()
    {
        return Ok(false);
    }
    if reading.cancel.is_cancelled() {
        return Ok(false);
    }
    let keys: Vec<String> = plans.iter().map(|p| format!("\"{}\"", p.key)).collect();
    let scope = format!("project in ({}){}", keys.join(", "), reading.dates);
    let ids = client.search_jql_id_keys(&scope).await?;
    let unknown: Vec<String> = ids
        .iter()
        .filter(|(id, key)| {
            !read.contains(id)
                && reading.known.get(id).map(String::as_str) != Some(key_project(key))
        })
        .map(|(id, _)| id.clone())
        .collect();
    {
        let mut out = fetching.lock();
        out.present.extend(ids.into_iter().map(|(id, _)| id));
        out.incremental += plans.len();
    }
    if !unknown.is_empty() {
        let bulk = client.issue_bulkfetch(&unknown, &reading.fields).await?;
        fetching.note(&bulk.issues);
        if !bulk.issues.is_empty() && tx.send(bulk.issues).await.is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The fetch stage: the incremental projects in one reader, each other project in its
/// own, [`FETCH_CONCURRENCY`] at once. A failed reader is reported by project and
/// the others go on.
async fn fetch_all(
    client: JiraClient,
    plans: Vec<ProjectPlan>,
    reading: Reading,
    tx: PageTx,
    progress: Option<crate::progress::ProgressSink>,
) -> FetchOutcome {
    let fetching = Arc::new(Fetching {
        out: Default::default(),
        progress,
    });
    let reading = Arc::new(reading);
    let (incremental, full): (Vec<ProjectPlan>, Vec<ProjectPlan>) =
        plans.into_iter().partition(|p| p.since.is_some());
    let mut tasks = tokio::task::JoinSet::new();
    if !incremental.is_empty() {
        let (client, reading, tx, fetching) = (
            client.clone(),
            reading.clone(),
            tx.clone(),
            fetching.clone(),
        );
        tasks.spawn(async move {
            if let Err(e) = fetch_changes(&client, &incremental, &reading, &tx, &fetching).await {
                tracing::error!(error = %e, "reading changes failed");
                let mut out = fetching.lock();
                for p in &incremental {
                    out.failed.push((p.key.clone(), e.to_string()));
                }
            }
        });
    }
    let slots = Arc::new(tokio::sync::Semaphore::new(FETCH_CONCURRENCY));
    for keys in full_walks(full.into_iter().map(|p| p.key).collect()) {
        let (client, reading, tx, fetching, slots) = (
            client.clone(),
            reading.clone(),
            tx.clone(),
            fetching.clone(),
            slots.clone(),
        );
        tasks.spawn(async move {
            let Ok(_slot) = slots.acquire_owned().await else {
                return;
            };
            let failed = match fetch_full(&client, &keys, &reading, &tx, &fetching).await {
                Ok(failed) => failed.unwrap_or_default(),
                Err(e) => keys.iter().map(|k| (k.clone(), e.to_string())).collect(),
            };
            for (key, error) in failed {
                tracing::error!(project = %key, %error, "fetching issues failed");
                fetching.lock().failed.push((key, error));
            }
        });
    }
    drop(tx);
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            tracing::error!(error = %e, "a project reader stopped");
            fetching
                .lock()
                .failed
                .push(("(reader)".into(), e.to_string()));
        }
    }
    let mut out = std::mem::take(&mut *fetching.lock());
    out.failed.sort();
    out
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

/// Hash of the settings that shape chunks: checkpoints made under other settings are
/// not used.
fn settings_fingerprint(cfg: &Config, fields: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::json!({
        "indexing": cfg.indexing,
        "chunking": cfg.chunking,
        "embedding": cfg.embedding.enabled,
        "model": cfg.embedding.enabled.then_some(cfg.embedding.model),
        "fields": fields,
    })
    .to_string();
    hex::encode(Sha256::digest(text.as_bytes()))
}

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
            let endpoints = crate::credentials::oauth_endpoints(app);
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
    client_cfg.max_concurrency = cfg.jira.max_concurrency;
    client_cfg.rate_limit.max_per_sec = cfg.jira.max_requests_per_sec;
    client_cfg.rate_limit.initial_per_sec = client_cfg
        .rate_limit
        .initial_per_sec
        .min(cfg.jira.max_requests_per_sec);
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
    let assets = index::ensure_model(&cache, cfg.embedding.model)?;
    let options = index::EmbedderOptions {
        device: cfg.embedding.device,
        ..Default::default()
    };
    let embedder = Embedder::load_with(&assets, options)?;
    tracing::info!(
        model = %embedder.model(),
        device = %embedder.device(),
        "embedder ready"
    );
    Ok(Some(Arc::new(embedder)))
}

/// Issues the index removed while repairing an interrupted write are forgotten in
/// the state, so this run fetches and indexes them again.
fn forget_recovered(index: &SearchIndex, store: &StateStore) -> Result<(), SyncError> {
    let recovered = index.recovered_issues()?;
    if recovered.is_empty() {
        return Ok(());
    }
    store.remove_issues(&recovered)?;
    index.clear_recovered()?;
    tracing::warn!(
        issues = recovered.len(),
        "issues half-written by an interrupted run are indexed again"
    );
    Ok(())
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The identity stage ([`crate::directory::refresh_directory`]); the directory is
/// also written as the snapshot searches load (`directory.json`), rewritten only
/// when it changed so that searchers reload only then.
async fn sync_directory(
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

/// Makes the data directory owner-only, saying how many entries were loosened.
pub fn secure_data_dir(data: &DataDir) -> Result<(), SyncError> {
    let fixed = data.secure()?;
    if fixed > 0 {
        tracing::warn!(
            dir = %data.root().display(),
            fixed,
            "the data directory was readable by others: made owner-only (directories 0700, files 0600)"
        );
    }
    Ok(())
}

/// Syncs identity only, always in full: users, groups and members, roles, grants and
/// security levels (what `sync --identity-only` and identity webhooks run).
/// Touches no chunk: group, role and scheme changes take effect in searches through
/// the principal sets expanded at query time, without rewriting the index.
pub async fn run_identity_sync(cfg: &Config) -> Result<SyncReport, SyncError> {
    let data = DataDir::new(&cfg.data.dir);
    data.ensure()?;
    let store = StateStore::open(&data)?;
    let client = jira_client(cfg)?;
    let mut run = RunRecord {
        started_ms: now_ms(),
        kind: RunKind::Identity,
        ..Default::default()
    };
    let identity = sync_directory(&client, &data, &store, cfg, true, run.started_ms).await?;
    run.identity_full = identity.full_reason.is_some();
    run.identity_ms = now_ms() - run.started_ms;
    run.access_warnings = identity.directory.warnings.clone();
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
/// any, embeds the chunks.
pub async fn run_sync_into(
    cfg: &Config,
    index: Arc<SearchIndex>,
    opts: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let data = DataDir::new(&cfg.data.dir);
    secure_data_dir(&data)?;
    let store = StateStore::open(&data)?;
    forget_recovered(&index, &store)?;
    let client = jira_client(cfg)?;
    let embedder = index.embedder().cloned();
    let mut run = RunRecord {
        started_ms: now_ms(),
        ..Default::default()
    };

    // Stage 1: identity, and the deletions the audit log reports.
    let progress = opts.progress.clone();
    let cancel = opts.cancel.clone().unwrap_or_default();
    report(&progress, Stage::Identity, 0, Some(1));
    let identity = sync_directory(&client, &data, &store, cfg, false, run.started_ms).await?;
    run.identity_full = identity.full_reason.is_some();
    run.identity_ms = now_ms() - run.started_ms;
    run.access_warnings = identity.directory.warnings.clone();
    let directory = Arc::new(identity.directory);
    report(&progress, Stage::Identity, 1, Some(1));

    let mut state: SyncState = store.load()?;
    let logged_gone: Vec<String> = identity
        .deleted_issue_ids
        .iter()
        .filter(|id| state.issues.contains_key(*id))
        .cloned()
        .collect();
    if !logged_gone.is_empty() {
        delete_issues(&index, &logged_gone).await?;
        store.remove_issues(&logged_gone)?;
        for id in &logged_gone {
            state.issues.remove(id);
        }
        run.issues_deleted_audit = logged_gone.len();
        run.issues_deleted += logged_gone.len();
    }
    let in_scope: Vec<(String, String)> = directory
        .projects
        .iter()
        .filter(|p| !p.archived && cfg.filters.allows_project(&p.key))
        .map(|p| (p.id.clone(), p.key.clone()))
        .collect();
    let documenter = Documenter::new(cfg, client.clone(), directory.clone(), embedder.as_ref());

    // Stage 2: issue pages. Projects with a checkpoint made under the same settings
    // are read together and incrementally (changes since their checkpoints, their id
    // sets, unknown ids by id); the others in full, a few at a time.
    let fields = documenter.fields();
    let fingerprint = settings_fingerprint(cfg, &fields);
    let checkpoints_valid = !opts.force_reindex && state.checkpoint.fingerprint == fingerprint;
    let plans: Vec<ProjectPlan> = in_scope
        .iter()
        .map(|(_, key)| ProjectPlan {
            key: key.clone(),
            since: checkpoints_valid
                .then(|| state.checkpoint.projects.get(key).copied())
                .flatten(),
        })
        .collect();
    let (page_tx, page_rx) = mpsc::channel::<Vec<jira_cloud::model::Issue>>(4);
    let reading = Reading {
        fields: fields.clone(),
        page_size: cfg.jira.page_size,
        dates: cfg.filters.date_clauses(),
        known: state
            .issues
            .iter()
            .map(|(id, s)| (id.clone(), s.project_key.clone()))
            .collect(),
        cancel: cancel.clone(),
    };
    let fetcher = tokio::spawn(fetch_all(
        client.clone(),
        plans,
        reading,
        page_tx,
        progress.clone(),
    ));

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
    let doc_progress = progress.clone();
    let doc_cancel = cancel.clone();
    let documenter = Arc::new(documenter);
    let documenter = tokio::spawn(async move {
        use futures::StreamExt;
        let mut subtasks_of_changed: BTreeSet<String> = BTreeSet::new();
        let mut out = Documented {
            seen: HashSet::new(),
            attachment_ids: HashSet::new(),
            counts: AttachmentCounts::default(),
            unchanged: 0,
            errors: Vec::new(),
            failed_projects: HashSet::new(),
        };
        // Issues are documented DOC_CONCURRENCY at a time, each its own task (comment
        // pages and attachment downloads overlap; ADF and chunking use every core),
        // and come out in the order they were read.
        // Each page first teaches the documenter its issues' security levels (and
        // reads those of sub-tasks' parents it lacks), so a sub-task gets its
        // parent's level.
        let learner = documenter.clone();
        let issues = futures::stream::unfold((page_rx, learner), |(mut rx, learner)| async move {
            let page = rx.recv().await?;
            learner.learn_parents(&page).await;
            Some((futures::stream::iter(page), (rx, learner)))
        })
        .flatten();
        let jobs = issues
            .map(|issue| {
                let documenter = documenter.clone();
                tokio::spawn(async move {
                    let done = documenter.document(&issue).await;
                    let project = issue.fields.project.as_ref().map(|p| p.key.clone());
                    (issue.id, project, done)
                })
            })
            .buffered(DOC_CONCURRENCY);
        let mut jobs = std::pin::pin!(jobs);
        while let Some(joined) = jobs.next().await {
            if doc_cancel.is_cancelled() {
                break;
            }
            let (id, project, done) = match joined {
                Ok(x) => x,
                Err(e) => {
                    out.errors.push(RunError::new(
                        RunErrorKind::Worker,
                        "",
                        format!("documenting an issue stopped: {e}"),
                    ));
                    out.failed_projects.insert("(documents)".into());
                    continue;
                }
            };
            out.seen.insert(id);
            report(&doc_progress, Stage::Documents, out.seen.len() as u64, None);
            let done = match done {
                Ok(done) => done,
                Err(e) => {
                    out.errors.push(e.to_run_error());
                    if let Some(p) = project {
                        out.failed_projects.insert(p);
                    }
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
            // A changed parent may have changed its security level, which its
            // sub-tasks take on without showing as updated themselves.
            subtasks_of_changed.extend(done.subtask_ids);
            if doc_tx.send(docs).await.is_err() {
                return out;
            }
        }
        // Sub-tasks of changed parents that this run did not read: read them by id,
        // and rewrite those whose tags changed.
        subtasks_of_changed.retain(|id| !out.seen.contains(id));
        if !doc_cancel.is_cancelled() && !subtasks_of_changed.is_empty() {
            let ids: Vec<String> = subtasks_of_changed.into_iter().collect();
            match documenter
                .client()
                .issue_bulkfetch(&ids, &documenter.fields())
                .await
            {
                Ok(bulk) => {
                    for issue in bulk.issues {
                        match documenter.document(&issue).await {
                            Ok(done) => {
                                out.errors.extend(done.errors);
                                let docs = done.docs;
                                if known_hashes.get(&docs.issue_id) == Some(&docs.content_hash) {
                                    continue;
                                }
                                if doc_tx.send(docs).await.is_err() {
                                    return out;
                                }
                            }
                            Err(e) => out.errors.push(e.to_run_error()),
                        }
                    }
                }
                Err(e) => out.errors.push(RunError::new(
                    RunErrorKind::Issue,
                    "",
                    format!(
                        "re-reading {} sub-tasks of changed parents failed: {e}",
                        ids.len()
                    ),
                )),
            }
        }
        out
    });

    // Stage 4: embeddings, in batches sorted by length.
    let (vec_tx, mut vec_rx) = mpsc::channel::<(Vec<IssueDocuments>, Option<Vec<Vec<f32>>>)>(2);
    let embed_model = embedder.clone();
    let embed_progress = progress.clone();
    let embedding = tokio::spawn(async move {
        let mut batch: Vec<IssueDocuments> = Vec::new();
        let mut chunks = 0usize;
        let mut embedded = 0u64;
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
                embedded += issues.iter().map(|i| i.docs.len() as u64).sum::<u64>();
                report(&embed_progress, Stage::Embed, embedded, None);
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
    // Commits are grouped (every COMMIT_CHUNKS chunks or COMMIT_INTERVAL): a crash
    // redoes at most that much.
    let mut pending: Vec<IssueDocuments> = Vec::new();
    let mut pending_chunks = 0usize;
    let mut last_commit = std::time::Instant::now();
    loop {
        let next = vec_rx.recv().await;
        let done = next.is_none();
        if let Some((issues, vectors)) = next {
            let issues = write_uncommitted(&index, issues, vectors).await?;
            run.issues_indexed += issues.len();
            report(&progress, Stage::Write, run.issues_indexed as u64, None);
            let chunks = issues.iter().map(|i| i.docs.len()).sum::<usize>();
            run.chunks_written += chunks;
            pending_chunks += chunks;
            pending.extend(issues);
        }
        let due = pending_chunks >= COMMIT_CHUNKS || last_commit.elapsed() >= COMMIT_INTERVAL;
        if !pending.is_empty() && (done || due) {
            commit_index(&index).await?;
            record_written(&store, &mut state, std::mem::take(&mut pending))?;
            pending_chunks = 0;
            last_commit = std::time::Instant::now();
        }
        if done {
            break;
        }
    }
    embedding.await.map_err(SyncError::task("embedding"))??;
    let Documented {
        seen,
        attachment_ids,
        counts,
        unchanged,
        errors: doc_errors,
        failed_projects: failed_doc_projects,
    } = documenter.await.map_err(SyncError::task("documents"))?;
    run.attachments = counts;
    let fetched = fetcher.await.map_err(SyncError::task("fetch"))?;
    let failed_projects = fetched.failed.clone();
    run.issues_seen = seen.len();
    run.issues_unchanged = unchanged;
    run.projects_incremental = fetched.incremental;
    run.projects_full = fetched.full;
    run.errors.extend(doc_errors);
    for (key, err) in &failed_projects {
        run.errors.push(RunError::new(
            RunErrorKind::Project,
            key,
            format!("fetching issues failed: {err}"),
        ));
    }

    // Stage 6: deletions. An issue indexed before and not present now is gone
    // (deleted, moved out of scope, archived, filtered out) — unless its project
    // failed to fetch. A moved issue is present under its new project.
    let failed_keys: BTreeSet<&str> = failed_projects.iter().map(|(k, _)| k.as_str()).collect();
    // A reader that stopped without naming its project: nothing is known to be gone.
    // A stopped run read only part of the site: nothing is known to be gone either.
    run.stopped = cancel.is_cancelled();
    let reader_lost = run.stopped
        || failed_keys.contains("(reader)")
        || failed_doc_projects.contains("(documents)");
    let gone: Vec<String> = state
        .issues
        .iter()
        .filter(|(id, s)| {
            !reader_lost
                && !fetched.present.contains(*id)
                && !failed_keys.contains(s.project_key.as_str())
        })
        .map(|(id, _)| id.clone())
        .collect();
    if !gone.is_empty() {
        delete_issues(&index, &gone).await?;
        store.remove_issues(&gone)?;
        for id in &gone {
            state.issues.remove(id);
        }
        run.issues_deleted += gone.len();
    }

    // Checkpoints: a project read without error moves to the newest `updated` read;
    // one that failed keeps its old checkpoint; projects out of scope are forgotten.
    let mut projects = std::collections::BTreeMap::new();
    for (_, key) in &in_scope {
        let old = checkpoints_valid
            .then(|| state.checkpoint.projects.get(key).copied())
            .flatten();
        let clean = !reader_lost
            && !failed_keys.contains(key.as_str())
            && !failed_doc_projects.contains(key);
        let next = if clean {
            match (old, fetched.newest.get(key).copied()) {
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
    // A project read in full with no issue gets no checkpoint and is read in full
    // again next time (one cheap page).
    state.checkpoint = state::Checkpoint {
        fingerprint,
        projects,
    };
    store.set_checkpoint(&state.checkpoint)?;
    // Cached texts of attachments that no indexed issue holds any more (deleted files,
    // deleted issues) are dropped. The index's own chunk ids say which are held: an
    // incremental run reads only some issues, so what it saw is not the whole set.
    let held: HashSet<String> = state
        .issues
        .values()
        .flat_map(|s| s.chunk_ids.iter())
        .chain(attachment_ids.iter())
        .filter_map(|c| attachment_of_chunk(c))
        .collect();
    let removed = AttachmentCache::new(&data).retain(&held);
    if removed > 0 {
        tracing::info!(removed, "dropped cached text of attachments that are gone");
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("P{i}")).collect()
    }

    #[test]
    fn full_walks_cover_every_project_once() {
        assert!(full_walks(Vec::new()).is_empty());
        assert_eq!(full_walks(keys(2)), vec![vec!["P0"], vec!["P1"]]);
        let walks = full_walks(keys(13));
        assert_eq!(walks.len(), FETCH_CONCURRENCY);
        let many = full_walks(keys(451));
        assert_eq!(many.len(), 451usize.div_ceil(PROJECTS_PER_WALK));
        assert!(many.iter().all(|w| w.len() <= PROJECTS_PER_WALK));
        for (n, walks) in [(13, walks), (451, many)] {
            let mut all: Vec<String> = walks.into_iter().flatten().collect();
            all.sort();
            let mut want = keys(n);
            want.sort();
            assert_eq!(all, want);
        }
    }

    #[test]
    fn full_jql_quotes_every_key() {
        assert_eq!(
            full_jql(&["A".into(), "B2".into()], " AND created >= 1"),
            "project in (\"A\", \"B2\") AND created >= 1 ORDER BY updated ASC, key ASC"
        );
    }
}

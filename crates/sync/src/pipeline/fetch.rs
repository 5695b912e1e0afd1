//! The fetch stage: issue pages from Jira into a bounded channel. Projects with a
//! checkpoint made under the same settings are read together and incrementally (the
//! changes since their checkpoints, their id sets, unknown ids by id); the others in
//! full, a few walks at a time. A reader that fails is reported by project and the
//! others go on.

use std::collections::HashSet;
use std::sync::Arc;

use jira_cloud::{JiraClient, JqlRequest};
use tokio::sync::mpsc;

use config::Config;
use state::SyncState;

use crate::progress::{ProgressSink, Stage, report};

/// Where a failure happened, which bounds what the run may still conclude.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Failure {
    /// One project: its checkpoint stays, and none of its issues is taken as gone.
    Project(String),
    /// A worker that stopped without naming its project (`project reader`,
    /// `documenter`): nothing is known to be gone this run.
    Worker(&'static str),
}

/// How far back of a checkpoint an incremental read starts: covers Jira's search
/// index lagging behind recent writes. Re-read issues are recognised by their content
/// hash and cost no re-indexing.
const OVERLAP_MS: i64 = 5 * 60 * 1000;

/// Projects read in full at the same time (each its own `search/jql` walk).
const FETCH_CONCURRENCY: usize = 4;

/// How one project is read this run.
pub(crate) struct ProjectPlan {
    pub key: String,
    /// Read changes since this `updated` (epoch ms); `None`: read in full.
    pub since: Option<i64>,
}

/// What every project read shares.
pub(crate) struct Reading {
    pub fields: Vec<String>,
    pub page_size: u32,
    /// Date-range clauses of the sync filters.
    pub dates: String,
    /// Issue id → the project key the index holds it under.
    pub known: std::collections::HashMap<String, String>,
    /// Stops reading when cancelled.
    pub cancel: tokio_util::sync::CancellationToken,
}

impl Reading {
    /// What every reader of this run shares: the fields, the page size, the date
    /// clauses of the filters and where the index holds each issue now.
    pub(crate) fn new(
        cfg: &Config,
        state: &SyncState,
        fields: Vec<String>,
        cancel: tokio_util::sync::CancellationToken,
    ) -> Self {
        Reading {
            fields,
            page_size: cfg.jira.page_size,
            dates: cfg.filters.date_clauses(),
            known: state
                .issues
                .iter()
                .map(|(id, s)| (id.clone(), s.project_key.clone()))
                .collect(),
            cancel,
        }
    }
}

/// How each project in scope is read: changes since its checkpoint when checkpoints
/// are valid (made under the same settings) and it has one, else in full.
pub(crate) fn plans(
    in_scope: &[String],
    state: &SyncState,
    checkpoints_valid: bool,
) -> Vec<ProjectPlan> {
    in_scope
        .iter()
        .map(|key| ProjectPlan {
            key: key.clone(),
            since: checkpoints_valid
                .then(|| state.checkpoint.projects.get(key).copied())
                .flatten(),
        })
        .collect()
}

/// Starts the fetch stage: its readers send issue pages into a bounded channel (a
/// slow documenter slows them down) and the task ends with what they learnt.
pub(crate) fn spawn(
    client: JiraClient,
    plans: Vec<ProjectPlan>,
    reading: Reading,
    progress: Option<ProgressSink>,
) -> (
    mpsc::Receiver<Vec<jira_cloud::model::Issue>>,
    tokio::task::JoinHandle<FetchOutcome>,
) {
    let (tx, rx) = mpsc::channel(4);
    (
        rx,
        tokio::spawn(fetch_all(client, plans, reading, tx, progress)),
    )
}

/// What the fetch stage learnt.
#[derive(Default)]
pub(crate) struct FetchOutcome {
    /// Projects (or readers) that failed, with the error.
    pub failed: Vec<(Failure, String)>,
    /// Ids Jira holds in the projects read (all of them, from id sets or full reads).
    pub present: HashSet<String>,
    /// Project key → newest `updated` read this run.
    pub newest: std::collections::HashMap<String, i64>,
    /// Projects read incrementally.
    pub incremental: usize,
    /// Projects read in full.
    pub full: usize,
    /// Issues read so far, for progress.
    read: u64,
}

/// The fetch stage's outcome, shared by the project readers running at once.
struct Fetching {
    out: std::sync::Mutex<FetchOutcome>,
    progress: Option<ProgressSink>,
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

/// Where issue pages go.
pub(crate) type PageTx = mpsc::Sender<Vec<jira_cloud::model::Issue>>;

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
    progress: Option<ProgressSink>,
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
                    out.failed
                        .push((Failure::Project(p.key.clone()), e.to_string()));
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
                fetching.lock().failed.push((Failure::Project(key), error));
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
                .push((Failure::Worker("project reader"), e.to_string()));
        }
    }
    let mut out = std::mem::take(&mut *fetching.lock());
    out.failed.sort();
    out
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

//! Runs syncs inside the server: at startup when nothing was synced yet, every N
//! minutes, on a manual trigger, and the targeted updates webhooks ask for. One lock
//! makes sure two runs (or a run and a webhook update) never overlap: the state file
//! and the index writer have one owner at a time. A trigger while a run is going is
//! refused with the run that holds the lock; a scheduled tick is skipped.
//!
//! Admins see the run in progress stage by stage (the pipeline's progress events),
//! may stop it (the pipeline stops reading, commits what it wrote, and the next run
//! picks up the rest) and may change the schedule while the server runs.
//! Each run reads the live config ([`LiveConfig`]), so settings saved from the
//! console apply from the next run on.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use config::Config;
use index::SearchIndex;
use search::{SearchError, Searcher};
use serde::Serialize;
use sync::progress::{ProgressSink, Stage};
use sync::{SyncError, SyncOptions, SyncReport};
use tokio::sync::{OwnedMutexGuard, watch};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// Why a run started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The first sync of an empty data directory, at start.
    Startup,
    /// The schedule (`serve.sync_interval_minutes`).
    Schedule,
    /// An admin (API or console).
    Manual,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Startup => "startup",
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
        }
    }
}

/// The run in progress.
#[derive(Clone, Debug, Serialize)]
pub struct CurrentRun {
    /// What started it.
    pub trigger: Trigger,
    /// When it started (epoch ms).
    pub started_ms: i64,
    /// Each stage's running count (and total, where known), in pipeline order.
    pub stages: BTreeMap<StageKey, StageProgress>,
    /// Who asked the run to stop, once someone did.
    pub stop_requested_by: Option<String>,
}

/// A stage, ordered as the pipeline runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "&'static str")]
pub struct StageKey(pub u8);

impl StageKey {
    fn of(stage: Stage) -> Self {
        StageKey(Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0) as u8)
    }

    /// The trigger's name in metrics and answers.
    pub fn name(self) -> &'static str {
        Stage::ALL
            .get(usize::from(self.0))
            .map(|s| s.as_str())
            .unwrap_or("?")
    }
}

impl From<StageKey> for &'static str {
    fn from(k: StageKey) -> Self {
        k.name()
    }
}

/// One stage's progress.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct StageProgress {
    /// Items done so far.
    pub done: u64,
    /// Items in all, when known.
    pub total: Option<u64>,
}

/// The config the server runs with; settings saved from the console replace it
/// (they apply from the next run on).
pub struct LiveConfig {
    current: RwLock<Arc<Config>>,
    /// One save at a time (read the file, edit, write, record).
    saving: Mutex<()>,
}

impl LiveConfig {
    /// A live config starting as `cfg`.
    pub fn new(cfg: Arc<Config>) -> Self {
        Self {
            current: RwLock::new(cfg),
            saving: Mutex::new(()),
        }
    }

    /// The config in use now.
    pub fn get(&self) -> Arc<Config> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Saves the console-editable settings of `candidate` (filters, indexing,
    /// schedule): writes the config file (comments kept, validated against the JSON
    /// Schema, atomically), records each change and `who` made it in the state
    /// store's audit table, and makes it the live config. Blocking.
    pub fn save(
        &self,
        candidate: Config,
        who: &str,
    ) -> Result<Vec<config::editable::SettingChange>, SyncError> {
        let _one = self.saving.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.get();
        let Some(path) = current.source.clone() else {
            return Err(SyncError::Config(config::ConfigError::new(
                "config",
                "the server was started without a config file: nothing to save to",
            )));
        };
        let changes = config::editable::save_settings(&path, &current, &candidate)?;
        if changes.is_empty() {
            return Ok(changes);
        }
        let store = state::StateStore::open_config(&current)?;
        store.record_config_changes(who, now_ms(), &changes)?;
        let mut next = (*current).clone();
        next.filters = candidate.filters;
        next.indexing = candidate.indexing;
        next.serve.sync_interval_minutes = candidate.serve.sync_interval_minutes;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        for c in &changes {
            tracing::info!(who, key = %c.key, before = %c.before, after = %c.after, "setting changed");
        }
        Ok(changes)
    }
}

/// A run could not start: another holds the lock.
#[derive(Debug, thiserror::Error)]
#[error("a sync is already running")]
pub struct Busy {
    /// The run that holds the lock, if it could be read.
    pub current: Option<CurrentRun>,
}

/// The searcher, once the data directory holds a synced directory.
#[derive(Default)]
pub struct SearcherSlot(RwLock<Option<Arc<Searcher>>>);

impl SearcherSlot {
    /// A slot holding an open searcher.
    pub fn with(searcher: Searcher) -> Self {
        Self(RwLock::new(Some(Arc::new(searcher))))
    }

    /// The open searcher, if something is synced.
    pub fn get(&self) -> Option<Arc<Searcher>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Opens the searcher if it is not open yet, else reloads its identity data.
    pub fn refresh(&self, cfg: &Config, index: &Arc<SearchIndex>) -> Result<(), SearchError> {
        if let Some(s) = self.get() {
            s.refresh()?;
            return Ok(());
        }
        let s = Searcher::with_index(cfg, index.clone())?;
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(s));
        Ok(())
    }
}

/// Owns the sync lock.
pub struct SyncRunner {
    config: Arc<LiveConfig>,
    index: Arc<SearchIndex>,
    lock: Arc<tokio::sync::Mutex<()>>,
    current: Arc<Mutex<Option<CurrentRun>>>,
    /// Cancels the run in progress.
    stop: Mutex<Option<CancellationToken>>,
    /// The schedule's interval (zero: off).
    every: watch::Sender<Duration>,
    /// When the next scheduled run starts (epoch ms; 0: none).
    next_ms: AtomicI64,
    finished: std::sync::atomic::AtomicUsize,
    searcher: Arc<SearcherSlot>,
    metrics: Arc<Metrics>,
    /// False on a search replica, and on a worker until it holds the worker lock.
    may_sync: std::sync::atomic::AtomicBool,
}

impl SyncRunner {
    /// A runner for `cfg`, writing into `index` and reloading `searcher` after each run.
    pub fn new(
        config: Arc<LiveConfig>,
        index: Arc<SearchIndex>,
        searcher: Arc<SearcherSlot>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let every = Duration::from_secs(config.get().serve.sync_interval_minutes * 60);
        Self {
            config,
            index,
            lock: Arc::new(tokio::sync::Mutex::new(())),
            current: Default::default(),
            stop: Mutex::new(None),
            every: watch::Sender::new(every),
            next_ms: AtomicI64::new(0),
            finished: Default::default(),
            searcher,
            metrics,
            may_sync: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// Allows or forbids syncs from this process (`serve --role`).
    pub fn set_may_sync(&self, may: bool) {
        self.may_sync.store(may, Ordering::SeqCst);
    }

    /// Full runs this runner finished (any outcome) since it started.
    pub fn runs_finished(&self) -> usize {
        self.finished.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The run in progress, if any.
    pub fn current(&self) -> Option<CurrentRun> {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The schedule's interval (zero: off).
    pub fn schedule_every(&self) -> Duration {
        *self.every.borrow()
    }

    /// Changes the schedule's interval (zero turns it off); [`schedule`] follows at
    /// once.
    pub fn set_schedule(&self, every: Duration) {
        self.every.send_replace(every);
    }

    /// When the next scheduled run starts (epoch ms), if one is scheduled.
    pub fn next_scheduled_ms(&self) -> Option<i64> {
        Some(self.next_ms.load(Ordering::Relaxed)).filter(|ms| *ms > 0)
    }

    /// Asks the run in progress to stop; `None` when no run is going.
    pub fn stop(&self, who: &str) -> Option<CurrentRun> {
        let token = self
            .stop
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let run = current.as_mut()?;
        run.stop_requested_by.get_or_insert_with(|| who.to_string());
        token.cancel();
        tracing::info!(who, "sync stop requested");
        Some(run.clone())
    }

    /// Starts a full sync in the background, or says which run holds the lock.
    pub fn try_start(
        self: &Arc<Self>,
        trigger: Trigger,
    ) -> Result<tokio::task::JoinHandle<Result<SyncReport, SyncError>>, Busy> {
        if !self.may_sync.load(Ordering::SeqCst) {
            // A search replica or a waiting worker: the worker holding the lock syncs.
            return Err(Busy { current: None });
        }
        let guard = self.lock.clone().try_lock_owned().map_err(|_| Busy {
            current: self.current(),
        })?;
        let me = self.clone();
        Ok(tokio::spawn(
            async move { me.run_locked(guard, trigger).await },
        ))
    }

    async fn run_locked(
        &self,
        _guard: OwnedMutexGuard<()>,
        trigger: Trigger,
    ) -> Result<SyncReport, SyncError> {
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(CurrentRun {
            trigger,
            started_ms: now_ms(),
            stages: BTreeMap::new(),
            stop_requested_by: None,
        });
        let cancel = CancellationToken::new();
        *self.stop.lock().unwrap_or_else(|e| e.into_inner()) = Some(cancel.clone());
        self.metrics.sync_running.set(1);
        tracing::info!(trigger = trigger.as_str(), "sync started");
        let current = self.current.clone();
        let opts = SyncOptions {
            progress: Some(ProgressSink::new(move |e| {
                let mut run = current.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(run) = run.as_mut() {
                    run.stages.insert(
                        StageKey::of(e.stage),
                        StageProgress {
                            done: e.done,
                            total: e.total,
                        },
                    );
                }
            })),
            cancel: Some(cancel),
            ..Default::default()
        };
        let cfg = self.config.get();
        let result = sync::run_sync_into(&cfg, self.index.clone(), &opts).await;
        *self.stop.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let outcome = match &result {
            Ok(report) => {
                self.metrics
                    .indexed_chunks
                    .set(i64::try_from(report.chunk_count).unwrap_or(i64::MAX));
                if let Err(e) = self.searcher.refresh(&cfg, &self.index) {
                    tracing::error!(error = %e, "reloading identity data after the sync failed");
                }
                tracing::info!(
                    trigger = trigger.as_str(),
                    indexed = report.run.issues_indexed,
                    deleted = report.run.issues_deleted,
                    errors = report.run.errors.len(),
                    stopped = report.run.stopped,
                    "sync finished"
                );
                if report.run.stopped {
                    "stopped"
                } else if report.run.errors.is_empty() {
                    "ok"
                } else {
                    "partial"
                }
            }
            Err(e) => {
                tracing::error!(trigger = trigger.as_str(), error = %e, "sync failed");
                "failed"
            }
        };
        self.metrics
            .sync_runs
            .with_label_values(&[trigger.as_str(), outcome])
            .inc();
        self.metrics.sync_running.set(0);
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.finished
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        result
    }

    /// Applies what webhooks asked for, waiting for a run in progress to end first:
    /// the identity directory when users, groups or projects changed, then the named
    /// issues. Returns the targeted update's report.
    pub async fn apply_hints(
        &self,
        identity: bool,
        issue_ids: &[String],
    ) -> Result<sync::IssueUpdateReport, SyncError> {
        let _guard = self.lock.lock().await;
        let cfg = self.config.get();
        if identity {
            sync::run_identity_sync(&cfg).await?;
            self.searcher.refresh(&cfg, &self.index)?;
        }
        let report = sync::sync_issues(&cfg, self.index.clone(), issue_ids).await?;
        let m = &self.metrics.webhook_issues;
        m.with_label_values(&["indexed"])
            .inc_by(report.indexed as u64);
        m.with_label_values(&["deleted"])
            .inc_by(report.deleted as u64);
        m.with_label_values(&["unchanged"])
            .inc_by(report.unchanged as u64);
        m.with_label_values(&["failed"])
            .inc_by(report.errors.len() as u64);
        Ok(report)
    }

    /// Waits for the run in progress (if any) to end, up to `grace`; what is left is
    /// dropped with the process, and the next start resumes (a run records each
    /// batch after its commit).
    pub async fn drain(&self, grace: Duration) {
        if tokio::time::timeout(grace, self.lock.lock()).await.is_err() {
            tracing::warn!(
                "a sync was still running at shutdown; the next run picks up where it stopped"
            );
        }
    }
}

/// Starts a sync every [`SyncRunner::schedule_every`] until cancelled (the first one
/// an interval after start, or after the interval changes); a zero interval waits for
/// a change.
pub async fn schedule(runner: Arc<SyncRunner>, cancel: CancellationToken) {
    let mut changes = runner.every.subscribe();
    loop {
        let every = *changes.borrow_and_update();
        if every.is_zero() {
            runner.next_ms.store(0, Ordering::Relaxed);
            tokio::select! {
                _ = cancel.cancelled() => break,
                changed = changes.changed() => if changed.is_err() { break },
            }
            continue;
        }
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let next = now_ms() + i64::try_from(every.as_millis()).unwrap_or(i64::MAX / 2);
            runner.next_ms.store(next, Ordering::Relaxed);
            tokio::select! {
                _ = cancel.cancelled() => return,
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
                _ = tick.tick() => {
                    if let Err(busy) = runner.try_start(Trigger::Schedule) {
                        tracing::info!(?busy.current, "scheduled sync skipped: a run is in progress");
                    }
                }
            }
        }
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

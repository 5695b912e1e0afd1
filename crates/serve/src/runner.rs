//! Runs syncs inside the server: at startup when nothing was synced yet, every N
//! minutes, on a manual trigger, and the targeted updates webhooks ask for. One lock
//! makes sure two runs (or a run and a webhook update) never overlap: the state file
//! and the index writer have one owner at a time. A trigger while a run is going is
//! refused with the run that holds the lock; a scheduled tick is skipped.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use index::SearchIndex;
use serde::Serialize;
use sync::{Config, Searcher, SyncError, SyncOptions, SyncReport};
use tokio::sync::OwnedMutexGuard;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// Why a run started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Startup,
    Schedule,
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
    pub trigger: Trigger,
    pub started_ms: i64,
}

/// A run could not start: another holds the lock.
#[derive(Debug, thiserror::Error)]
#[error("a sync is already running")]
pub struct Busy {
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

    pub fn get(&self) -> Option<Arc<Searcher>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Opens the searcher if it is not open yet, else reloads its identity data.
    pub fn refresh(&self, cfg: &Config, index: &Arc<SearchIndex>) -> Result<(), SyncError> {
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
    cfg: Arc<Config>,
    index: Arc<SearchIndex>,
    lock: Arc<tokio::sync::Mutex<()>>,
    current: Mutex<Option<CurrentRun>>,
    finished: std::sync::atomic::AtomicUsize,
    searcher: Arc<SearcherSlot>,
    metrics: Arc<Metrics>,
}

impl SyncRunner {
    pub fn new(
        cfg: Arc<Config>,
        index: Arc<SearchIndex>,
        searcher: Arc<SearcherSlot>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            cfg,
            index,
            lock: Arc::new(tokio::sync::Mutex::new(())),
            current: Mutex::new(None),
            finished: Default::default(),
            searcher,
            metrics,
        }
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

    /// Starts a full sync in the background, or says which run holds the lock.
    pub fn try_start(
        self: &Arc<Self>,
        trigger: Trigger,
    ) -> Result<tokio::task::JoinHandle<Result<SyncReport, SyncError>>, Busy> {
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
        });
        self.metrics.sync_running.set(1);
        tracing::info!(trigger = trigger.as_str(), "sync started");
        let result =
            sync::run_sync_into(&self.cfg, self.index.clone(), &SyncOptions::default()).await;
        let outcome = match &result {
            Ok(report) => {
                self.metrics
                    .indexed_chunks
                    .set(i64::try_from(report.chunk_count).unwrap_or(i64::MAX));
                if let Err(e) = self.searcher.refresh(&self.cfg, &self.index) {
                    tracing::error!(error = %e, "reloading identity data after the sync failed");
                }
                tracing::info!(
                    trigger = trigger.as_str(),
                    indexed = report.run.issues_indexed,
                    deleted = report.run.issues_deleted,
                    errors = report.run.errors.len(),
                    "sync finished"
                );
                if report.run.errors.is_empty() {
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
        if identity {
            sync::run_identity_sync(&self.cfg).await?;
            self.searcher.refresh(&self.cfg, &self.index)?;
        }
        let report = sync::sync_issues(&self.cfg, self.index.clone(), issue_ids).await?;
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

/// Starts a sync every `every` until cancelled (the first one `every` after start).
pub async fn schedule(runner: Arc<SyncRunner>, every: Duration, cancel: CancellationToken) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {
                if let Err(busy) = runner.try_start(Trigger::Schedule) {
                    tracing::info!(?busy.current, "scheduled sync skipped: a run is in progress");
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

//! The self-audit inside the server (`GET /v1/verify`, the console's "Verify access"
//! page): [`sync::verify`] run against the live config and the shared index, one run
//! at a time, its outcome kept for the console and exported on `/metrics`.

use std::sync::{Arc, Mutex};

use sync::SyncError;
use sync::verify::{VerifyOptions, VerifyReport};

use crate::app::AppState;

/// Most calls one request may allow (a typo must not spend a day's quota).
pub const MAX_CALLS_LIMIT: usize = 10_000;

/// One run at a time, and the last report.
#[derive(Default)]
pub struct VerifyState {
    running: tokio::sync::Mutex<()>,
    last: Mutex<Option<Arc<VerifyReport>>>,
}

impl VerifyState {
    /// The last finished run's report.
    pub fn last(&self) -> Option<Arc<VerifyReport>> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Why a run did not happen or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum VerifyFailure {
    /// Nothing is synced yet.
    #[error("the index is not synced yet; the first sync is running")]
    NotSynced,
    /// A verify-access run is already in progress.
    #[error("a verify-access run is already in progress")]
    Busy,
    /// The request's parameters are out of range.
    #[error("{0}")]
    Invalid(String),
    /// The run itself failed.
    #[error(transparent)]
    Sync(#[from] SyncError),
}

/// Checks the options a caller sent.
pub fn validate(opts: &VerifyOptions) -> Result<(), VerifyFailure> {
    match opts.max_calls {
        Some(n) if n == 0 || n > MAX_CALLS_LIMIT => Err(VerifyFailure::Invalid(format!(
            "max_calls must be between 1 and {MAX_CALLS_LIMIT}"
        ))),
        _ if opts.people == Some(0) => {
            Err(VerifyFailure::Invalid("people must be at least 1".into()))
        }
        _ if opts.issues == Some(0) => {
            Err(VerifyFailure::Invalid("issues must be at least 1".into()))
        }
        _ => Ok(()),
    }
}

/// Runs the audit now (refused while another runs) and records its outcome.
pub async fn run(
    state: &AppState,
    opts: &VerifyOptions,
) -> Result<Arc<VerifyReport>, VerifyFailure> {
    validate(opts)?;
    let searcher = state.searcher.get().ok_or(VerifyFailure::NotSynced)?;
    let _one = state
        .verify
        .running
        .try_lock()
        .map_err(|_| VerifyFailure::Busy)?;
    let cfg = state.cfg();
    let m = &state.metrics;
    match sync::verify::verify_access(&cfg, searcher, opts).await {
        Ok(report) => {
            let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            m.verify_leaks.set(gauge(report.leaks));
            m.verify_misses.set(gauge(report.misses));
            m.verify_pairs.set(gauge(report.pairs_checked));
            m.verify_last_run.set(report.started_ms / 1000);
            let outcome = if report.leaks > 0 {
                "leak"
            } else if report.misses > 0 {
                "miss"
            } else {
                "agree"
            };
            m.verify_runs.with_label_values(&[outcome]).inc();
            if report.leaks > 0 {
                tracing::error!(
                    leaks = report.leaks,
                    misses = report.misses,
                    "verify-access found leaks"
                );
            }
            let report = Arc::new(report);
            *state.verify.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(report.clone());
            Ok(report)
        }
        Err(e) => {
            m.verify_runs.with_label_values(&["error"]).inc();
            Err(e.into())
        }
    }
}

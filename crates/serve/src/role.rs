//! [`Role`]: what one `jira-index serve` process does in a deployment.
//!
//! - `all` (default): one machine; it searches, receives webhooks and syncs.
//! - `search`: a stateless search replica. It answers searches, MCP and the API from
//!   the index on the Qdrant cluster (`[index] backend = "qdrant"`) and the identity
//!   data in PostgreSQL (`[state] url`), re-reading the directory when its version
//!   moves. It never syncs: webhooks it receives are queued in PostgreSQL for the
//!   worker.
//! - `worker`: the sync worker. It waits for the worker lock (a PostgreSQL advisory
//!   lock: one holder at a time), then syncs on schedule and applies the queued
//!   webhook hints. A second worker waits; when the first dies its session ends, the
//!   lock is free, and the second takes over from the checkpoints in PostgreSQL. A
//!   worker that loses its lock (database restart, network cut) stops, so that two
//!   never write at once; the orchestrator restarts it.

use std::sync::Arc;
use std::time::Duration;

use config::Config;
use state::StateStore;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::ServeError;
use crate::runner::{SearcherSlot, SyncRunner, Trigger};
use crate::webhooks::Hint;

/// What this process does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Search, webhooks and syncs in one process (one machine).
    #[default]
    All,
    /// A search replica: no syncs, no local index.
    Search,
    /// The sync worker (one active at a time, through the worker lock).
    Worker,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "all" => Ok(Role::All),
            "search" => Ok(Role::Search),
            "worker" => Ok(Role::Worker),
            other => Err(format!("unknown role {other:?}: use all, search or worker")),
        }
    }
}

impl Role {
    /// Checks that the config can carry the role: `search` and `worker` share their
    /// state through PostgreSQL, and `search` keeps no local index.
    pub fn check(self, cfg: &Config) -> Result<(), config::ConfigError> {
        if self == Role::All {
            return Ok(());
        }
        if cfg.state.url.is_none() {
            return Err(config::ConfigError::new(
                "state.url",
                format!("is not set, and --role {} shares its state with other processes", self.name()),
            )
            .fix("set [state] url = \"postgres://user@host:5432/db\" (and password_env), or run --role all"));
        }
        if self == Role::Search && cfg.index.backend != config::IndexBackend::Qdrant {
            return Err(config::ConfigError::new(
                "index.backend",
                "is \"local\", and a search replica keeps no local index",
            )
            .fix("set [index] backend = \"qdrant\" with [index.qdrant], or run --role all"));
        }
        Ok(())
    }

    /// `all`, `search` or `worker`.
    pub fn name(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Search => "search",
            Role::Worker => "worker",
        }
    }

    /// Whether this process runs syncs (after taking the worker lock, for `worker`).
    pub fn syncs(self) -> bool {
        self != Role::Search
    }
}

impl Hint {
    /// The hint as queued in the shared state store.
    pub fn encode(&self) -> String {
        match self {
            Hint::Issue(id) => format!("issue:{id}"),
            Hint::Identity => "identity".into(),
        }
    }

    /// A queued hint; `None` for text this version does not know (logged and dropped:
    /// the scheduled sync reconciles whatever it named).
    pub fn decode(text: &str) -> Option<Hint> {
        match text {
            "identity" => Some(Hint::Identity),
            _ => text
                .strip_prefix("issue:")
                .filter(|id| !id.is_empty())
                .map(|id| Hint::Issue(id.to_string())),
        }
    }
}

/// How often a search replica looks for a new directory version.
const REFRESH_EVERY: Duration = Duration::from_secs(5);
/// How often the worker takes queued hints and checks that it still holds its lock.
const HINT_POLL: Duration = Duration::from_secs(1);
/// How often a waiting worker tries the lock.
const LOCK_POLL: Duration = Duration::from_secs(2);

/// A search replica: re-reads the identity data (and opens the searcher once the
/// worker's first sync is in) until cancelled.
pub(crate) async fn refresh_loop(
    cfg: Arc<Config>,
    index: Arc<index::SearchIndex>,
    searcher: Arc<SearcherSlot>,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(REFRESH_EVERY) => {}
        }
        let (cfg, index, searcher) = (cfg.clone(), index.clone(), searcher.clone());
        let done = tokio::task::spawn_blocking(move || searcher.refresh(&cfg, &index)).await;
        match done {
            Ok(Ok(())) | Ok(Err(search::SearchError::NotSynced { .. })) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "re-reading the identity data failed; searching with the last one read")
            }
            Err(e) => tracing::warn!(error = %e, "identity refresh task failed"),
        }
    }
}

/// The worker: waits for the worker lock, then runs a sync at once and starts the
/// scheduler, the webhook worker and the hand-over of queued hints; stops the whole server when the lock
/// is lost.
pub(crate) async fn worker_loop(
    store: Arc<StateStore>,
    runner: Arc<SyncRunner>,
    hints: mpsc::Sender<Hint>,
    start_syncing: impl FnOnce() + Send + 'static,
    cancel: CancellationToken,
) -> Result<(), ServeError> {
    let waiting = store.clone();
    let stop = cancel.clone();
    tracing::info!("waiting for the worker lock");
    let lock = tokio::task::spawn_blocking(move || {
        waiting.worker_lock_blocking(LOCK_POLL, || stop.is_cancelled())
    })
    .await
    .map_err(|e| ServeError::Server(e.to_string()))?
    .map_err(|e| ServeError::Server(format!("taking the worker lock: {e}")))?;
    let Some(lock) = lock else {
        return Ok(());
    };
    tracing::info!("worker lock taken: this process syncs");
    start_syncing();
    // At once, whether or not something is synced: the previous holder may have died
    // mid-run, and this run resumes from the checkpoints it left.
    if runner.try_start(Trigger::Startup).is_err() {
        tracing::warn!("the first sync could not start");
    }
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(HINT_POLL) => {}
        }
        if !lock.is_held() {
            tracing::error!(
                "the worker lock was lost (database restart or network cut): stopping, so that two workers never write at once"
            );
            cancel.cancel();
            return Err(ServeError::Server("the worker lock was lost".into()));
        }
        let taking = store.clone();
        let taken = tokio::task::spawn_blocking(move || taking.take_hints(500)).await;
        let texts = match taken {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "taking queued webhook hints failed; trying again");
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "hint task failed");
                continue;
            }
        };
        for text in texts {
            match Hint::decode(&text) {
                Some(h) => {
                    if hints.send(h).await.is_err() {
                        return Ok(());
                    }
                }
                None => {
                    tracing::warn!(hint = %text, "unknown queued hint dropped; the next scheduled sync reconciles")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_survive_the_queue() {
        for h in [
            Hint::Identity,
            Hint::Issue("10042".into()),
            Hint::Issue("ENG-7".into()),
        ] {
            assert_eq!(Hint::decode(&h.encode()), Some(h));
        }
        assert_eq!(Hint::decode("issue:"), None);
        assert_eq!(Hint::decode("sprint:4"), None);
    }

    #[test]
    fn roles_parse_and_need_shared_state() {
        assert_eq!("search".parse::<Role>(), Ok(Role::Search));
        assert!("replica".parse::<Role>().is_err());
        let mut cfg = Config::parse(
            "[jira]\nbase_url = \"https://x.atlassian.net\"\nemail = \"a@b.c\"\napi_token = \"t\"\n",
        )
        .unwrap();
        assert!(Role::All.check(&cfg).is_ok());
        let e = Role::Worker.check(&cfg).unwrap_err();
        assert_eq!(e.key, "state.url");
        cfg.state.url = Some("postgres://u@127.0.0.1:5432/db".into());
        assert!(Role::Worker.check(&cfg).is_ok());
        let e = Role::Search.check(&cfg).unwrap_err();
        assert_eq!(e.key, "index.backend");
    }
}

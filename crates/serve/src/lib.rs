//! `jira-index serve`: one long-running process that answers searches for
//! authenticated callers (HTTP API and MCP over streamable HTTP), applies Jira's
//! webhooks, syncs on a schedule or on demand (never two runs at once), and exports
//! Prometheus metrics. It shares one open index between searches and syncs, so a
//! sync's commit is visible to the next search; a restart reopens the same data
//! directory and loses nothing (state is written after each committed batch).
//!
//! Modules: `auth` (who is calling, who a request acts for), `api` (handlers),
//! `webhooks` (verification, hints, the worker), `runner` (the sync lock, the
//! schedule), `mcp` (the tools), `metrics`, `verify` (the self-audit against Jira's
//! permission check).

#![warn(missing_docs)]

pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod error;
pub mod listen;
pub mod mcp;
pub mod metrics;
mod role;
pub mod runner;
pub mod verify;
pub mod webhooks;
pub use role::Role;

pub use app::AppState;
pub use error::ServeError;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use config::Config;
use index::Embedder;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::auth::Authenticator;
use crate::mcp::JiraTools;
use crate::metrics::Metrics;
use crate::runner::{SearcherSlot, SyncRunner, Trigger};

/// How long a shutdown waits for a sync in progress.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Hints waiting for the webhook worker at most (then senders wait: back-pressure).
const HINT_QUEUE: usize = 10_000;

/// The routes. `/v1/*` and `/mcp` need credentials; `/metrics` (unless configured
/// otherwise), `/healthz` and `/webhooks/jira` (signed instead) do not.
pub fn router(state: Arc<AppState>) -> Router {
    let searcher = state.searcher.clone();
    let mcp_service: StreamableHttpService<JiraTools, LocalSessionManager> =
        StreamableHttpService::new(
            move || Ok(JiraTools::new(searcher.clone(), None)),
            Default::default(),
            StreamableHttpServerConfig::default()
                .with_allowed_hosts(mcp_allowed_hosts(&state.cfg().serve))
                .with_cancellation_token(state.cancel.child_token()),
        );
    let authed = Router::new()
        .route("/v1/search", post(api::search))
        .route("/v1/issues/{key}", get(api::issue))
        .route("/v1/projects", get(api::projects))
        .route("/v1/status", get(api::status))
        .route("/v1/sync", post(api::start_sync))
        .route("/v1/sync/stop", post(api::stop_sync))
        .route("/v1/verify", get(api::verify))
        .nest_service("/mcp", mcp_service)
        .layer(from_fn_with_state(state.clone(), api::authenticate));
    Router::new()
        .merge(authed)
        .merge(admin::router(state.clone()))
        .route("/metrics", get(api::metrics))
        .route("/webhooks/jira", post(api::webhook))
        .route("/healthz", get(|| async { "ok" }))
        .layer(from_fn_with_state(state.clone(), api::track))
        .with_state(state)
}

/// The `Host` values `/mcp` answers (rmcp refuses others, against DNS rebinding):
/// loopback, the host of `serve.listen` (unless it is a wildcard address), the host of
/// `serve.public_url`, and `serve.mcp_allowed_hosts`.
pub fn mcp_allowed_hosts(cfg: &config::serve::ServeConfig) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).into();
    if let Ok(addr) = cfg.listen.parse::<SocketAddr>()
        && !addr.ip().is_unspecified()
    {
        hosts.push(addr.ip().to_string());
    }
    if let Some(host) = cfg
        .public_url
        .as_deref()
        .and_then(|u| u.split_once("://"))
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(rest))
        .filter(|h| !h.is_empty())
    {
        hosts.push(host.to_string());
    }
    hosts.extend(cfg.mcp_allowed_hosts.iter().cloned());
    hosts.dedup();
    hosts
}

/// A running server.
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// What its handlers share.
    pub state: Arc<AppState>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Server {
    /// Stops accepting requests, lets in-flight ones finish, waits (bounded) for a
    /// sync in progress, and lets the index finish its merges.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        self.cancel.cancel();
        self.wait().await
    }

    /// Waits until the server stops (after [`Server::cancel_token`] is cancelled).
    pub async fn wait(self) -> Result<(), ServeError> {
        self.task
            .await
            .map_err(|e| ServeError::Server(e.to_string()))?
    }

    /// Cancelling this token shuts the server down gracefully.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

/// Opens the data directory's index and starts serving on `listen` (or the config's
/// `serve.listen`). Runs a first sync at once when nothing was synced yet.
pub async fn start(
    cfg: Config,
    embedder: Option<Arc<Embedder>>,
    listen: Option<SocketAddr>,
) -> Result<Server, ServeError> {
    start_with_role(cfg, embedder, listen, Role::All).await
}

/// [`start`] for one [`Role`] of a deployment: `search` answers from the shared index
/// and state and never syncs; `worker` syncs once it holds the worker lock.
pub async fn start_with_role(
    cfg: Config,
    embedder: Option<Arc<Embedder>>,
    listen: Option<SocketAddr>,
    role: Role,
) -> Result<Server, ServeError> {
    role.check(&cfg)?;
    let cfg = Arc::new(cfg);
    let proxy_secret = cfg.serve.proxy_secret()?;
    let webhook_secret = cfg.serve.webhook_secret()?;
    if cfg.index.backend == config::IndexBackend::Local || role != Role::Search {
        sync::pipeline::secure_data_dir(&config::DataDir::new(&cfg.data.dir))?;
    }
    let shared = match role {
        Role::All => None,
        Role::Search | Role::Worker => {
            let open_cfg = cfg.clone();
            Some(Arc::new(
                tokio::task::spawn_blocking(move || state::StateStore::open_config(&open_cfg))
                    .await
                    .map_err(|e| ServeError::Server(e.to_string()))?
                    .map_err(sync::SyncError::from)?,
            ))
        }
    };
    let index_cfg = cfg.clone();
    let index = Arc::new(
        tokio::task::spawn_blocking(move || search::open_index(&index_cfg, embedder))
            .await
            .map_err(|e| ServeError::Server(e.to_string()))??,
    );
    let searcher = Arc::new(SearcherSlot::default());
    let synced = match searcher.refresh(&cfg, &index) {
        Ok(()) => true,
        Err(search::SearchError::NotSynced { .. }) => false,
        Err(e) => return Err(e.into()),
    };
    let metrics = Arc::new(Metrics::new());
    if let Ok(n) = index.chunk_count() {
        metrics
            .indexed_chunks
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    let config = Arc::new(runner::LiveConfig::new(cfg.clone()));
    let runner = Arc::new(SyncRunner::new(
        config.clone(),
        index.clone(),
        searcher.clone(),
        metrics.clone(),
    ));
    runner.set_may_sync(false);
    let (hints, hint_rx) = mpsc::channel(HINT_QUEUE);
    let cancel = CancellationToken::new();
    let state = Arc::new(AppState {
        auth: Authenticator::new(&cfg.serve, proxy_secret.as_deref()),
        config,
        index: index.clone(),
        searcher: searcher.clone(),
        runner: runner.clone(),
        metrics: metrics.clone(),
        webhook_secret,
        hints: hints.clone(),
        role,
        shared: shared.clone(),
        cancel: cancel.clone(),
        admin_sessions: admin::Sessions::default(),
        verify: verify::VerifyState::default(),
        webhook_ids: webhooks::Seen::default(),
    });

    let addr_text = listen
        .map(|a| a.to_string())
        .unwrap_or_else(|| cfg.serve.listen.clone());
    let listener = tokio::net::TcpListener::bind(&addr_text)
        .await
        .map_err(|source| ServeError::Listen {
            addr: addr_text.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: addr_text,
        source,
    })?;

    // The syncing side: at once for `all`; for `worker`, once the lock is held; never
    // for `search`, which only re-reads what the worker wrote.
    let background: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
    let start_syncing = {
        let (runner, metrics, cancel, background) = (
            runner.clone(),
            metrics.clone(),
            cancel.clone(),
            background.clone(),
        );
        move || {
            runner.set_may_sync(true);
            let worker = tokio::spawn(webhooks::worker(
                hint_rx,
                runner.clone(),
                metrics,
                cancel.clone(),
            ));
            let scheduler = tokio::spawn(runner::schedule(runner, cancel));
            background
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend([worker, scheduler]);
        }
    };
    let mut side = Vec::new();
    match (role, &shared) {
        (Role::All, _) | (Role::Worker, None) => {
            start_syncing();
            if !synced && runner.try_start(Trigger::Startup).is_err() {
                tracing::warn!("the first sync could not start");
            }
        }
        (Role::Search, _) => {
            side.push(tokio::spawn(role::refresh_loop(
                cfg.clone(),
                index.clone(),
                searcher,
                cancel.clone(),
            )));
        }
        (Role::Worker, Some(store)) => {
            let looped = role::worker_loop(
                store.clone(),
                runner.clone(),
                hints,
                start_syncing,
                cancel.clone(),
            );
            side.push(tokio::spawn(async move {
                if let Err(e) = looped.await {
                    tracing::error!(error = %e, "the worker stopped");
                }
            }));
        }
    }
    tracing::info!(role = role.name(), "role");
    let serve_cfg = cfg.serve.clone();
    let app = listen::limited(router(state.clone()), &serve_cfg);
    let shutdown = cancel.clone();
    let task = tokio::spawn(async move {
        tracing::info!(%addr, "serving");
        let served = listen::serve(listener, app, &serve_cfg, shutdown).await;
        for t in side {
            t.abort();
        }
        for t in background
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            t.abort();
        }
        runner.drain(SHUTDOWN_GRACE).await;
        let closing = index.clone();
        let _ = tokio::task::spawn_blocking(move || closing.wait_merges()).await;
        tracing::info!("stopped");
        served.map_err(|e| ServeError::Server(e.to_string()))
    });
    Ok(Server {
        addr,
        state,
        cancel,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcp_answers_loopback_the_listen_host_and_the_public_host() {
        let mut cfg = config::serve::ServeConfig {
            listen: "0.0.0.0:8080".into(),
            ..Default::default()
        };
        assert_eq!(mcp_allowed_hosts(&cfg), ["localhost", "127.0.0.1", "::1"]);
        cfg.listen = "10.1.2.3:8080".into();
        cfg.public_url = Some("https://search.example.com/jira".into());
        cfg.mcp_allowed_hosts = vec!["search.internal:8443".into()];
        assert_eq!(
            mcp_allowed_hosts(&cfg),
            [
                "localhost",
                "127.0.0.1",
                "::1",
                "10.1.2.3",
                "search.example.com",
                "search.internal:8443"
            ]
        );
    }
}

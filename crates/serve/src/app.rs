//! [`AppState`]: what every handler of the server shares (the live config, the
//! index and searcher, the sync runner, authentication, metrics, the console's
//! sessions, the webhook queue).

use std::sync::Arc;

use config::Config;
use index::SearchIndex;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::auth::Authenticator;
use crate::metrics::Metrics;
use crate::runner::{SearcherSlot, SyncRunner};
use crate::webhooks::Hint;
use crate::{admin, runner, verify, webhooks};

/// What every handler shares.
pub struct AppState {
    /// The config in use; the console's saved settings replace it.
    pub config: Arc<runner::LiveConfig>,
    /// The index searches and syncs share (a sync's commit is visible to the next search).
    pub index: Arc<SearchIndex>,
    /// The searcher, once something is synced.
    pub searcher: Arc<SearcherSlot>,
    /// Runs syncs, one at a time, on schedule or on demand.
    pub runner: Arc<SyncRunner>,
    /// Who is calling: API keys and the trusted proxy.
    pub auth: Authenticator,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The webhook secret (HMAC key); `None`: webhooks are refused.
    pub webhook_secret: Option<String>,
    /// Targeted re-reads the webhook worker applies.
    pub hints: mpsc::Sender<Hint>,
    /// What this process does (`serve --role`).
    pub role: crate::Role,
    /// The shared state store of `--role search` and `--role worker`: webhooks are
    /// queued there for whichever worker holds the lock.
    pub shared: Option<Arc<state::StateStore>>,
    /// Cancelled at shutdown (also closes MCP sessions and their streams).
    pub cancel: CancellationToken,
    /// Admin console sessions.
    pub admin_sessions: admin::Sessions,
    /// verify-access: one run at a time, the last report.
    pub verify: verify::VerifyState,
    /// Webhook deliveries already applied (Jira retries one delivery with its id).
    pub webhook_ids: webhooks::Seen,
}

impl AppState {
    /// The config in use now.
    pub fn cfg(&self) -> Arc<Config> {
        self.config.get()
    }
}

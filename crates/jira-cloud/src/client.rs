//! `JiraClient`: the cheap-to-clone handle every endpoint hangs off.

use std::sync::Arc;

use crate::JiraError;
use crate::config::ClientConfig;
use crate::rate::RateBudgetSnapshot;
use crate::transport::Transport;

/// A client of one Jira Cloud site. Clones share the connection pool, the request
/// counter and the site's rate budget.
#[derive(Clone)]
pub struct JiraClient {
    pub(crate) inner: Arc<Transport>,
}

impl std::fmt::Debug for JiraClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraClient")
            .field("base_url", &self.inner.base_str())
            .field("auth", &self.inner.cfg.auth)
            .finish_non_exhaustive()
    }
}

impl JiraClient {
    /// Builds a client; checks the base URL and the credentials' header form (no
    /// request is sent: call [`JiraClient::myself`] to test the connection).
    pub fn new(cfg: ClientConfig) -> Result<Self, JiraError> {
        Ok(JiraClient {
            inner: Arc::new(Transport::new(cfg)?),
        })
    }

    /// The site URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.inner.base_str()
    }

    /// The browser URL of an issue: `<site>/browse/KEY`.
    pub fn browse_url(&self, issue_key: &str) -> String {
        format!("{}/browse/{}", self.inner.base_str(), issue_key)
    }

    /// HTTP requests sent so far by this client and its clones (retries included).
    pub fn request_count(&self) -> u64 {
        self.inner.request_count()
    }

    /// Of [`JiraClient::request_count`], the requests for attachment bytes.
    pub fn attachment_request_count(&self) -> u64 {
        self.inner.attachment_request_count()
    }

    /// The site's shared rate budget right now.
    pub fn rate_budget(&self) -> RateBudgetSnapshot {
        self.inner.budget.snapshot()
    }

    /// The fan-out of per-item fetches (`max_concurrency`, at least 1).
    pub(crate) fn concurrency(&self) -> usize {
        self.inner.cfg.max_concurrency.max(1)
    }
}

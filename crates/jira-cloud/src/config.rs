//! Client configuration with its documented defaults in one place.

use std::time::Duration;

use crate::Auth;

/// How a [`crate::JiraClient`] talks to one Jira Cloud site.
///
/// Build it with [`ClientConfig::new`] and change the fields you need; the
/// defaults suit Jira Cloud.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Site URL, e.g. `https://acme.atlassian.net` (no `/rest/...` suffix; a trailing
    /// slash is fine). For OAuth: `https://api.atlassian.com/ex/jira/<cloudId>`.
    pub base_url: String,
    /// Credentials (their `Debug` is redacted).
    pub auth: Auth,
    /// Retries after the first attempt, for 429, 5xx and connection errors. Default 6.
    pub max_retries: u32,
    /// Timeout of one HTTP request, body included. Default 60 s.
    pub timeout: Duration,
    /// `maxResults` asked for on offset/array pages. Default 100.
    pub page_size: usize,
    /// Requests in flight at once, and the fan-out of per-item fetches
    /// (e.g. the roles of a project). Default 4.
    pub max_concurrency: usize,
    /// Shared request budget (AIMD token bucket) of the site.
    pub rate_limit: RateLimitConfig,
}

impl ClientConfig {
    /// A configuration with the defaults: 6 retries, 60 s timeout, pages of 100,
    /// 4 requests in flight, [`RateLimitConfig::default`].
    pub fn new(base_url: impl Into<String>, auth: Auth) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            auth,
            max_retries: 6,
            timeout: Duration::from_secs(60),
            page_size: 100,
            max_concurrency: 4,
            rate_limit: RateLimitConfig::default(),
        }
    }
}

/// The AIMD token bucket shared by every client of one site.
///
/// The request rate starts at `initial_per_sec`, grows by `increase_per_success` after
/// each successful answer (four times that until Jira first answers 429 or says it is
/// near the limit) up to `max_per_sec`, and halves on every 429 down to
/// `min_per_sec`. Rate-limit headers (`RateLimit`, `X-RateLimit-*`) can cap it further.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimitConfig {
    /// Requests per second at the start. Default 20.
    pub initial_per_sec: f64,
    /// Ceiling. Default 100.
    pub max_per_sec: f64,
    /// Floor after repeated halving. Default 0.5.
    pub min_per_sec: f64,
    /// Additive increase per successful answer (req/s). Default 0.25.
    pub increase_per_success: f64,
    /// Bucket size: requests that may go out back to back. Default 10.
    pub burst: f64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            initial_per_sec: 20.0,
            max_per_sec: 100.0,
            min_per_sec: 0.5,
            increase_per_success: 0.25,
            burst: 10.0,
        }
    }
}

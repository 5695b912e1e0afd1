//! Seeded fault injection, the rate-limit model and the request log.
//!
//! Every REST request passes through [`FaultState::decide`] before it is answered:
//! - a site-wide points budget per window (`points_per_window`; JQL search pages cost
//!   more than single reads), reported on every response with Jira's headers
//!   (`RateLimit-Policy`/`RateLimit`, with a `Beta-` prefix when configured, and
//!   `X-RateLimit-*`), answered with 429 and `Retry-After` when spent;
//! - random 429s (`Retry-After` drawn from a range), 500/503s, slow responses,
//!   connections aborted before the body, and bodies truncated mid-way;
//! - after a 429, every request that arrives before its `Retry-After` expired is
//!   answered 429 again and marked `early` in the log: a client that honours
//!   `Retry-After` never has an early request.
//!
//! The random draws come from one ChaCha stream seeded by `seed`: the same sequence of
//! requests meets the same faults. The log records every request with its time, path,
//! status and fault, for tests (no request before `Retry-After`) and benchmarks (API
//! calls per endpoint).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// What to inject. Rates are probabilities per request, in `0.0..=1.0`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed of the random stream the faults are drawn from.
    pub seed: u64,
    /// 429 with `Retry-After` drawn from `retry_after_secs`.
    pub rate_limited: f64,
    /// Inclusive range of the `Retry-After` seconds of random 429s.
    pub retry_after_secs: (u64, u64),
    /// 503 (two thirds) or 500 (one third).
    pub server_errors: f64,
    /// The connection is aborted after the status line, before any body byte.
    pub connection_resets: f64,
    /// The body stops half-way (the declared length is not reached).
    pub truncated_bodies: f64,
    /// The response is delayed by `slow_ms`.
    pub slow: f64,
    /// Delay of a slow response, in milliseconds.
    pub slow_ms: u64,
    /// Points the site may spend per window; `None` = unlimited.
    pub points_per_window: Option<u64>,
    /// Length of the points window in seconds (Jira: 3600).
    pub window_secs: u64,
    /// Send the points headers with the `Beta-` prefix (not enforced yet in Jira).
    pub beta_headers: bool,
    /// Issue keys Jira cannot render: a `search/jql` page with content fields that
    /// holds one of them answers 500, every time (id-only pages still work).
    pub broken_issues: Vec<String>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            seed: 0,
            rate_limited: 0.0,
            retry_after_secs: (1, 2),
            server_errors: 0.0,
            connection_resets: 0.0,
            truncated_bodies: 0.0,
            slow: 0.0,
            slow_ms: 0,
            points_per_window: None,
            window_secs: 3600,
            beta_headers: false,
            broken_issues: Vec::new(),
        }
    }
}

impl FaultConfig {
    /// No faults, no budget.
    pub fn none() -> Self {
        Self::default()
    }

    /// The storm of the client's acceptance test: 10% 429s (`Retry-After` 1–2 s), 5%
    /// 503s, 1% connection resets.
    pub fn storm(seed: u64) -> Self {
        FaultConfig {
            seed,
            rate_limited: 0.10,
            retry_after_secs: (1, 2),
            server_errors: 0.05,
            connection_resets: 0.01,
            ..Self::default()
        }
    }

    /// Checks the rates and ranges.
    pub fn validate(&self) -> Result<(), FaultConfigError> {
        for (name, rate) in [
            ("rate_limited", self.rate_limited),
            ("server_errors", self.server_errors),
            ("connection_resets", self.connection_resets),
            ("truncated_bodies", self.truncated_bodies),
            ("slow", self.slow),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(FaultConfigError::RateOutOfRange { name, rate });
            }
        }
        let total =
            self.rate_limited + self.server_errors + self.connection_resets + self.truncated_bodies;
        if total > 1.0 {
            return Err(FaultConfigError::RatesOverOne { total });
        }
        if self.retry_after_secs.0 > self.retry_after_secs.1 {
            return Err(FaultConfigError::RetryAfterRange);
        }
        if self.window_secs == 0 {
            return Err(FaultConfigError::ZeroWindow);
        }
        Ok(())
    }
}

/// A fault configuration that cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FaultConfigError {
    /// A rate is not a probability.
    #[error("{name} = {rate}: must be within 0..=1")]
    RateOutOfRange {
        /// The field, e.g. `rate_limited`.
        name: &'static str,
        /// Its value.
        rate: f64,
    },
    /// The fault rates together exceed 1.
    #[error("fault rates add up to {total} > 1")]
    RatesOverOne {
        /// Their sum.
        total: f64,
    },
    /// `retry_after_secs` has its minimum above its maximum.
    #[error("retry_after_secs: min > max")]
    RetryAfterRange,
    /// `window_secs` is 0.
    #[error("window_secs must be > 0")]
    ZeroWindow,
}

/// What happens to one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// 429; `early` when the request came before an earlier `Retry-After` expired.
    RateLimited {
        /// The `Retry-After` sent.
        retry_after_secs: u64,
        /// Jira's `RateLimit-Reason`, e.g. `jira-burst-based` or `jira-quota-global-based`.
        reason: String,
        /// Whether the request came before an earlier `Retry-After` expired.
        early: bool,
    },
    /// A 500 or 503.
    ServerError {
        /// The status sent.
        status: u16,
    },
    /// The connection aborted before any body byte.
    ConnectionReset,
    /// The body stopped half-way.
    TruncatedBody,
}

/// The decision for one request: an optional fault, an optional delay, and the
/// rate-limit headers to send.
#[derive(Clone, Debug)]
pub struct Decision {
    /// Position of the request, from 0.
    pub seq: u64,
    /// For a request before `Retry-After` expired: time since that 429.
    pub since_limit: Option<Duration>,
    /// The fault to inject, if any.
    pub fault: Option<Fault>,
    /// How long to wait before answering, if at all.
    pub delay: Option<Duration>,
    /// Rate-limit headers to add to the response.
    pub headers: Vec<(String, String)>,
}

/// One request as the simulator saw it.
#[derive(Clone, Debug, Serialize)]
pub struct RequestRecord {
    /// Position of the request, from 0.
    pub seq: u64,
    /// Milliseconds since the simulator started.
    pub at_ms: f64,
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// Query string (may be empty).
    pub query: String,
    /// Status answered.
    pub status: u16,
    /// The fault injected, if any.
    pub fault: Option<Fault>,
    /// Sent before the `Retry-After` of an earlier 429 expired.
    pub early: bool,
    /// For an early request: milliseconds since that 429 was answered. A request the
    /// client had in flight when the 429 left shows a few milliseconds here; one sent
    /// after the client read it shows more.
    pub ms_after_429: Option<f64>,
}

/// The mutable fault and rate-limit state of a running simulator.
pub struct FaultState {
    started: Instant,
    inner: Mutex<Inner>,
    log: Mutex<Vec<RequestRecord>>,
}

struct Inner {
    config: FaultConfig,
    rng: ChaCha8Rng,
    seq: u64,
    /// No request may arrive before this instant (the latest `Retry-After`).
    not_before: Option<Instant>,
    /// When the 429 that set `not_before` was decided.
    limited_at: Option<Instant>,
    window_start: Instant,
    points_used: u64,
}

/// Points a request costs: JQL search pages and bulk fetches are the heavy reads.
pub fn cost(method: &str, path: &str) -> u64 {
    if path.ends_with("/search/jql") || path.ends_with("/issue/bulkfetch") {
        10
    } else if method == "GET" {
        1
    } else {
        2
    }
}

impl FaultState {
    /// Fault state with this configuration, an empty log and a fresh points window.
    pub fn new(config: FaultConfig) -> Self {
        let now = Instant::now();
        FaultState {
            started: now,
            inner: Mutex::new(Inner {
                rng: ChaCha8Rng::seed_from_u64(config.seed),
                config,
                seq: 0,
                not_before: None,
                limited_at: None,
                window_start: now,
                points_used: 0,
            }),
            log: Mutex::new(Vec::new()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the configuration (the random stream restarts from its seed; the
    /// points window and any pending `Retry-After` are kept).
    pub fn set_config(&self, config: FaultConfig) {
        let mut inner = self.inner();
        inner.rng = ChaCha8Rng::seed_from_u64(config.seed);
        inner.config = config;
    }

    /// The current configuration.
    pub fn config(&self) -> FaultConfig {
        self.inner().config.clone()
    }

    /// Decides the fate of one request.
    pub fn decide(&self, method: &str, path: &str) -> Decision {
        let now = Instant::now();
        let mut inner = self.inner();
        inner.seq += 1;
        let seq = inner.seq;
        let cfg = inner.config.clone();

        // The points window.
        let window = Duration::from_secs(cfg.window_secs);
        if now.duration_since(inner.window_start) >= window {
            inner.window_start = now;
            inner.points_used = 0;
        }
        let reset_in = window.saturating_sub(now.duration_since(inner.window_start));
        let mut headers = Vec::new();
        let mut fault = None;
        let mut since_limit = None;

        // A request before the last Retry-After expired: 429 again.
        if let Some(nb) = inner.not_before
            && now < nb
        {
            let secs = ceil_secs(nb - now);
            since_limit = inner.limited_at.map(|t| now.duration_since(t));
            fault = Some(Fault::RateLimited {
                retry_after_secs: secs,
                reason: "jira-burst-based".into(),
                early: true,
            });
        }

        if let Some(quota) = cfg.points_per_window {
            let prefix = if cfg.beta_headers { "Beta-" } else { "" };
            let cost = cost(method, path);
            if fault.is_none() {
                if inner.points_used + cost > quota {
                    let secs = ceil_secs(reset_in).max(1);
                    inner.not_before = Some(now + Duration::from_secs(secs));
                    inner.limited_at = Some(now);
                    fault = Some(Fault::RateLimited {
                        retry_after_secs: secs,
                        reason: "jira-quota-global-based".into(),
                        early: false,
                    });
                } else {
                    inner.points_used += cost;
                }
            }
            let remaining = quota.saturating_sub(inner.points_used);
            headers.push((
                format!("{prefix}RateLimit-Policy"),
                format!("\"global-app-quota\";q={quota};w={}", cfg.window_secs),
            ));
            headers.push((
                format!("{prefix}RateLimit"),
                format!(
                    "\"global-app-quota\";r={remaining};t={}",
                    ceil_secs(reset_in)
                ),
            ));
            headers.push(("X-RateLimit-Limit".into(), quota.to_string()));
            headers.push(("X-RateLimit-Remaining".into(), remaining.to_string()));
            let reset_at = chrono::Utc::now()
                + chrono::Duration::from_std(reset_in).unwrap_or_else(|_| chrono::Duration::zero());
            headers.push((
                "X-RateLimit-Reset".into(),
                reset_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ));
            if remaining * 5 < quota {
                headers.push(("X-RateLimit-NearLimit".into(), "true".into()));
            }
        }

        // Random faults, drawn in a fixed order so that the stream is reproducible.
        let roll: f64 = inner.rng.r#gen();
        let slow_roll: f64 = inner.rng.r#gen();
        let retry_after = inner
            .rng
            .gen_range(cfg.retry_after_secs.0..=cfg.retry_after_secs.1);
        let status_roll: f64 = inner.rng.r#gen();
        if fault.is_none() {
            let mut edge = cfg.rate_limited;
            if roll < edge {
                inner.not_before = Some(now + Duration::from_secs(retry_after));
                inner.limited_at = Some(now);
                fault = Some(Fault::RateLimited {
                    retry_after_secs: retry_after,
                    reason: "jira-burst-based".into(),
                    early: false,
                });
            } else if roll < {
                edge += cfg.server_errors;
                edge
            } {
                let status = if status_roll < 2.0 / 3.0 { 503 } else { 500 };
                fault = Some(Fault::ServerError { status });
            } else if roll < {
                edge += cfg.connection_resets;
                edge
            } {
                fault = Some(Fault::ConnectionReset);
            } else if roll < edge + cfg.truncated_bodies {
                fault = Some(Fault::TruncatedBody);
            }
        }
        if let Some(Fault::RateLimited {
            retry_after_secs,
            reason,
            ..
        }) = &fault
        {
            headers.push(("Retry-After".into(), retry_after_secs.to_string()));
            headers.push(("RateLimit-Reason".into(), reason.clone()));
        }
        let delay =
            (slow_roll < cfg.slow && cfg.slow_ms > 0).then(|| Duration::from_millis(cfg.slow_ms));
        Decision {
            seq,
            since_limit,
            fault,
            delay,
            headers,
        }
    }

    /// Records a request after it was answered.
    pub fn record(&self, decision: &Decision, method: &str, path: &str, query: &str, status: u16) {
        let early = matches!(decision.fault, Some(Fault::RateLimited { early: true, .. }));
        let record = RequestRecord {
            seq: decision.seq,
            at_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            status,
            fault: decision.fault.clone(),
            early,
            ms_after_429: decision.since_limit.map(|d| d.as_secs_f64() * 1000.0),
        };
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }

    /// Every request so far, in arrival order.
    pub fn log(&self) -> Vec<RequestRecord> {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner()).clone();
        log.sort_by_key(|r| r.seq);
        log
    }

    /// Forgets the log (e.g. between the phases of a benchmark).
    pub fn clear_log(&self) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Requests per endpoint (ids and keys in paths replaced by `{id}`).
pub fn calls_per_endpoint(log: &[RequestRecord]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in log {
        *out.entry(format!("{} {}", r.method, endpoint_of(&r.path)))
            .or_insert(0) += 1;
    }
    out
}

/// A path with its variable segments (numbers, issue keys, account ids) replaced.
pub fn endpoint_of(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let variable =
                seg.chars().any(|c| c.is_ascii_digit()) && !matches!(seg, "3" | "v1" | "v2");
            if variable { "{id}" } else { seg }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn ceil_secs(d: Duration) -> u64 {
    let s = d.as_secs();
    if d.subsec_nanos() > 0 { s + 1 } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_faults() {
        let run = || {
            let st = FaultState::new(FaultConfig::storm(9));
            (0..500)
                .map(|_| {
                    st.decide("GET", "/rest/api/3/myself")
                        .fault
                        .map(|f| format!("{f:?}"))
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn storm_rates_are_roughly_right() {
        let st = FaultState::new(FaultConfig {
            retry_after_secs: (0, 0),
            ..FaultConfig::storm(1)
        });
        let mut counts = BTreeMap::new();
        for _ in 0..20_000 {
            let kind = match st.decide("GET", "/x").fault {
                None => "ok",
                Some(Fault::RateLimited { .. }) => "429",
                Some(Fault::ServerError { .. }) => "5xx",
                Some(Fault::ConnectionReset) => "reset",
                Some(Fault::TruncatedBody) => "truncated",
            };
            *counts.entry(kind).or_insert(0usize) += 1;
        }
        let share = |k: &str| counts.get(k).copied().unwrap_or(0) as f64 / 20_000.0;
        assert!((share("429") - 0.10).abs() < 0.02, "{counts:?}");
        assert!((share("5xx") - 0.05).abs() < 0.015, "{counts:?}");
        assert!((share("reset") - 0.01).abs() < 0.005, "{counts:?}");
        assert_eq!(share("truncated"), 0.0);
    }

    #[test]
    fn requests_before_retry_after_are_early() {
        let st = FaultState::new(FaultConfig {
            rate_limited: 1.0,
            retry_after_secs: (30, 30),
            ..FaultConfig::none()
        });
        let first = st.decide("GET", "/x");
        assert!(matches!(
            first.fault,
            Some(Fault::RateLimited {
                early: false,
                retry_after_secs: 30,
                ..
            })
        ));
        assert!(
            first
                .headers
                .iter()
                .any(|(k, v)| k == "Retry-After" && v == "30")
        );
        st.set_config(FaultConfig::none());
        let second = st.decide("GET", "/x");
        assert!(matches!(
            second.fault,
            Some(Fault::RateLimited { early: true, .. })
        ));
    }

    #[test]
    fn points_budget_runs_out_and_is_reported() {
        let st = FaultState::new(FaultConfig {
            points_per_window: Some(24),
            beta_headers: true,
            ..FaultConfig::none()
        });
        let d = st.decide("GET", "/rest/api/3/search/jql");
        assert!(d.fault.is_none());
        let header = |d: &Decision, k: &str| {
            d.headers
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header(&d, "Beta-RateLimit-Policy").as_deref(),
            Some("\"global-app-quota\";q=24;w=3600")
        );
        assert!(
            header(&d, "Beta-RateLimit")
                .unwrap()
                .starts_with("\"global-app-quota\";r=14;")
        );
        st.decide("GET", "/rest/api/3/search/jql");
        let third = st.decide("GET", "/rest/api/3/search/jql");
        assert!(matches!(
            third.fault,
            Some(Fault::RateLimited { ref reason, .. }) if reason == "jira-quota-global-based"
        ));
        assert_eq!(
            header(&third, "X-RateLimit-NearLimit").as_deref(),
            Some("true")
        );
    }

    #[test]
    fn endpoints_are_grouped() {
        assert_eq!(
            endpoint_of("/rest/api/3/issue/10042/comment"),
            "/rest/api/3/issue/{id}/comment"
        );
        assert_eq!(
            endpoint_of("/rest/api/3/search/jql"),
            "/rest/api/3/search/jql"
        );
    }
}

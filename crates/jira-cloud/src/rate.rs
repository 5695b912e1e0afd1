//! The request budget of one Jira site, shared by every client of that site.
//!
//! An AIMD token bucket: the rate grows additively after each success and halves on
//! each 429. A 429's `Retry-After` (or `X-RateLimit-Reset`) blocks *every* request to
//! the site until it has passed, so nothing is sent before Jira allows it. The
//! `RateLimit` / `Beta-RateLimit` (`"quota";r=<remaining>;t=<seconds>`) and
//! `X-RateLimit-Remaining`/`-Reset` headers pace proactively: the remaining budget is
//! spread over the time left in its window.
//!
//! Not here: deciding whether to retry (see `transport`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;

use crate::config::RateLimitConfig;

/// What Jira said about the remaining budget of one quota.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuotaReading {
    /// Points (or requests) left in the window.
    pub remaining: f64,
    /// Seconds until the window resets.
    pub reset_secs: f64,
    /// False for `Beta-` headers (reported, not enforced yet).
    pub enforced: bool,
}

/// A point-in-time view of a site's budget, for status pages and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct RateBudgetSnapshot {
    /// Current AIMD rate, requests per second.
    pub rate_per_sec: f64,
    /// The cap from rate-limit headers, if one applies now.
    pub header_cap_per_sec: Option<f64>,
    /// How long every request to the site must still wait (after a 429).
    pub blocked_for: Duration,
    /// 429 answers seen so far.
    pub throttled: u64,
    /// Estimated quota points one request costs (learned from `RateLimit` headers).
    pub points_per_request: f64,
    /// The last `RateLimit-Policy` seen: (name, quota, window seconds).
    pub policies: Vec<(String, f64, f64)>,
}

/// The shared AIMD token bucket of one site.
#[derive(Debug)]
pub(crate) struct SiteBudget {
    cfg: RateLimitConfig,
    state: Mutex<BudgetState>,
}

#[derive(Debug)]
struct BudgetState {
    rate: f64,
    /// Until the first 429 or near-limit signal the rate grows [`SLOW_START_FACTOR`]
    /// times faster (like TCP's slow start); after it, additively.
    slow_start: bool,
    tokens: f64,
    last_refill: Instant,
    blocked_until: Option<Instant>,
    header_cap: Option<(f64, Instant)>,
    throttled: u64,
    last_remaining: Option<f64>,
    points_per_request: f64,
    policies: Vec<(String, f64, f64)>,
}

/// How much faster the rate grows before Jira first pushes back.
const SLOW_START_FACTOR: f64 = 4.0;

static SITES: OnceLock<Mutex<HashMap<String, Weak<SiteBudget>>>> = OnceLock::new();

impl SiteBudget {
    pub(crate) fn new(cfg: RateLimitConfig) -> Self {
        let cfg = sanitize(cfg);
        SiteBudget {
            state: Mutex::new(BudgetState {
                rate: cfg.initial_per_sec,
                slow_start: true,
                tokens: cfg.burst,
                last_refill: Instant::now(),
                blocked_until: None,
                header_cap: None,
                throttled: 0,
                last_remaining: None,
                points_per_request: 1.0,
                policies: Vec::new(),
            }),
            cfg,
        }
    }

    /// The budget of `site` (normalized base URL), shared with every other live client
    /// of the same site. The first client's configuration wins.
    pub(crate) fn for_site(site: &str, cfg: &RateLimitConfig) -> Arc<SiteBudget> {
        let sites = SITES.get_or_init(|| Mutex::new(HashMap::new()));
        let mut map = sites.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(b) = map.get(site).and_then(Weak::upgrade) {
            return b;
        }
        let b = Arc::new(SiteBudget::new(cfg.clone()));
        map.insert(site.to_string(), Arc::downgrade(&b));
        b
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BudgetState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until the site may receive one more request, and takes its token.
    pub(crate) async fn acquire(&self) {
        loop {
            let wait = self.try_take(Instant::now());
            match wait {
                None => return,
                Some(d) => tokio::time::sleep(d).await,
            }
        }
    }

    /// Takes a token at `now`, or says how long to wait first.
    fn try_take(&self, now: Instant) -> Option<Duration> {
        let mut s = self.lock();
        if let Some(until) = s.blocked_until {
            if until > now {
                return Some(until - now);
            }
            s.blocked_until = None;
        }
        let rate = s.effective_rate(now, self.cfg.min_per_sec);
        let elapsed = now.saturating_duration_since(s.last_refill).as_secs_f64();
        s.tokens = (s.tokens + elapsed * rate).min(self.cfg.burst);
        s.last_refill = now;
        if s.tokens >= 1.0 {
            s.tokens -= 1.0;
            None
        } else {
            let secs = (1.0 - s.tokens) / rate;
            Some(Duration::from_secs_f64(secs.max(0.001)))
        }
    }

    /// A 2xx answer: additive increase (faster during slow start; held back when Jira
    /// says we are near the limit).
    pub(crate) fn on_success(&self, headers: &HeaderMap) {
        let near = header_str(headers, "x-ratelimit-nearlimit")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let mut s = self.lock();
        if near {
            s.slow_start = false;
            s.rate = (s.rate * 0.75).max(self.cfg.min_per_sec);
        } else {
            let step = if s.slow_start {
                self.cfg.increase_per_success * SLOW_START_FACTOR
            } else {
                self.cfg.increase_per_success
            };
            s.rate = (s.rate + step).min(self.cfg.max_per_sec);
        }
    }

    /// A 429 (or a 503 with `Retry-After`): halve the rate and block the whole site
    /// for `wait`, measured from now.
    pub(crate) fn on_throttled(&self, wait: Duration) {
        let now = Instant::now();
        let mut s = self.lock();
        s.throttled += 1;
        s.slow_start = false;
        s.rate = (s.rate / 2.0).max(self.cfg.min_per_sec);
        s.tokens = 0.0;
        s.last_refill = now;
        let until = now + wait;
        if s.blocked_until.is_none_or(|b| b < until) {
            s.blocked_until = Some(until);
        }
    }

    /// Reads the rate-limit headers of any answer and paces accordingly.
    pub(crate) fn observe(&self, headers: &HeaderMap) {
        let policies = parse_policies(headers);
        let reading = quota_reading(headers, SystemTime::now());
        if policies.is_empty() && reading.is_none() {
            return;
        }
        let now = Instant::now();
        let mut s = self.lock();
        if !policies.is_empty() {
            s.policies = policies;
        }
        let Some(q) = reading else { return };
        // Learn what one request costs from the drop in `remaining`.
        if let Some(prev) = s.last_remaining {
            let drop = prev - q.remaining;
            if drop > 0.0 && drop < 10_000.0 {
                s.points_per_request = 0.8 * s.points_per_request + 0.2 * drop;
            }
        }
        s.last_remaining = Some(q.remaining);
        let window = q.reset_secs.max(0.001);
        if q.remaining <= 0.0 && !q.enforced {
            // A spent `Beta-` quota is not enforced yet: nothing to pace against.
            s.header_cap = None;
            return;
        }
        if q.remaining <= 0.0 {
            if q.enforced {
                let until = now + Duration::from_secs_f64(window.min(3600.0));
                if s.blocked_until.is_none_or(|b| b < until) {
                    tracing::warn!(
                        wait_s = window,
                        "Jira reports the rate budget spent; pausing all requests to the site"
                    );
                    s.blocked_until = Some(until);
                }
            }
            s.header_cap = Some((self.cfg.min_per_sec, now + Duration::from_secs_f64(window)));
            return;
        }
        let cap =
            (q.remaining / (window * s.points_per_request.max(1.0))).max(self.cfg.min_per_sec);
        s.header_cap = Some((cap, now + Duration::from_secs_f64(window)));
    }

    pub(crate) fn snapshot(&self) -> RateBudgetSnapshot {
        let now = Instant::now();
        let s = self.lock();
        RateBudgetSnapshot {
            rate_per_sec: s.rate,
            header_cap_per_sec: s
                .header_cap
                .filter(|(_, until)| *until > now)
                .map(|(c, _)| c),
            blocked_for: s
                .blocked_until
                .map(|b| b.saturating_duration_since(now))
                .unwrap_or_default(),
            throttled: s.throttled,
            points_per_request: s.points_per_request,
            policies: s.policies.clone(),
        }
    }
}

impl BudgetState {
    fn effective_rate(&mut self, now: Instant, floor: f64) -> f64 {
        if let Some((_, until)) = self.header_cap
            && until <= now
        {
            self.header_cap = None;
        }
        let rate = match self.header_cap {
            Some((cap, _)) => self.rate.min(cap),
            None => self.rate,
        };
        rate.max(floor).max(0.001)
    }
}

fn sanitize(mut c: RateLimitConfig) -> RateLimitConfig {
    let pos = |v: f64, d: f64| if v.is_finite() && v > 0.0 { v } else { d };
    let d = RateLimitConfig::default();
    c.min_per_sec = pos(c.min_per_sec, d.min_per_sec);
    c.max_per_sec = pos(c.max_per_sec, d.max_per_sec).max(c.min_per_sec);
    c.initial_per_sec =
        pos(c.initial_per_sec, d.initial_per_sec).clamp(c.min_per_sec, c.max_per_sec);
    c.increase_per_success = if c.increase_per_success.is_finite() && c.increase_per_success >= 0.0
    {
        c.increase_per_success
    } else {
        d.increase_per_success
    };
    c.burst = pos(c.burst, d.burst).max(1.0);
    c
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// How long a 429/503 asks us to wait: `Retry-After` (seconds or HTTP date), else
/// `X-RateLimit-Reset` (ISO time, or epoch/delta seconds), else the enforced
/// `RateLimit` reset when its budget is spent.
pub(crate) fn retry_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(v) = header_str(headers, "retry-after") {
        if let Ok(secs) = v.parse::<f64>()
            && secs.is_finite()
            && secs >= 0.0
        {
            return Some(Duration::from_secs_f64(secs));
        }
        if let Ok(at) = httpdate::parse_http_date(v) {
            return Some(at.duration_since(now).unwrap_or_default());
        }
    }
    if let Some(d) = header_str(headers, "x-ratelimit-reset").and_then(|v| reset_to_wait(v, now)) {
        return Some(d);
    }
    quota_reading(headers, now)
        .filter(|q| q.remaining <= 0.0 && q.enforced)
        .map(|q| Duration::from_secs_f64(q.reset_secs.max(0.0)))
}

/// `X-RateLimit-Reset`: an ISO time (Jira), or a number (epoch seconds if large,
/// else seconds from now).
fn reset_to_wait(v: &str, now: SystemTime) -> Option<Duration> {
    let now_ms = now.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_millis() as i64;
    if let Some(at_ms) = crate::parse_jira_time(v) {
        return Some(Duration::from_millis((at_ms - now_ms).max(0) as u64));
    }
    let n: f64 = v.parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    if n > 1.0e9 {
        let at_ms = (n * 1000.0) as i64;
        Some(Duration::from_millis((at_ms - now_ms).max(0) as u64))
    } else {
        Some(Duration::from_secs_f64(n))
    }
}

/// The tightest quota reading among `RateLimit`, `Beta-RateLimit`, the older draft's
/// `RateLimit-Remaining`/`RateLimit-Reset`, and `X-RateLimit-Remaining`/`-Reset`.
pub(crate) fn quota_reading(headers: &HeaderMap, now: SystemTime) -> Option<QuotaReading> {
    let mut readings = Vec::new();
    for (name, enforced) in [("ratelimit", true), ("beta-ratelimit", false)] {
        for v in headers.get_all(name).iter().filter_map(|v| v.to_str().ok()) {
            readings.extend(parse_structured_ratelimit(v, enforced));
        }
    }
    for (prefix, enforced) in [("ratelimit", true), ("beta-ratelimit", false)] {
        let rem =
            header_str(headers, &format!("{prefix}-remaining")).and_then(|v| v.parse::<f64>().ok());
        let reset =
            header_str(headers, &format!("{prefix}-reset")).and_then(|v| v.parse::<f64>().ok());
        if let (Some(remaining), Some(reset_secs)) = (rem, reset) {
            readings.push(QuotaReading {
                remaining,
                reset_secs,
                enforced,
            });
        }
    }
    let rem = header_str(headers, "x-ratelimit-remaining").and_then(|v| v.parse::<f64>().ok());
    let reset = header_str(headers, "x-ratelimit-reset").and_then(|v| reset_to_wait(v, now));
    if let (Some(remaining), Some(reset)) = (rem, reset) {
        readings.push(QuotaReading {
            remaining,
            reset_secs: reset.as_secs_f64(),
            enforced: true,
        });
    }
    readings
        .into_iter()
        .filter(|q| q.remaining.is_finite() && q.reset_secs.is_finite() && q.reset_secs >= 0.0)
        // A spent `Beta-` quota is not enforced: it says nothing about pacing.
        .filter(|q| q.enforced || q.remaining > 0.0)
        .min_by(|a, b| {
            let ra = a.remaining / a.reset_secs.max(0.001);
            let rb = b.remaining / b.reset_secs.max(0.001);
            // Enforced readings first when equally tight.
            ra.total_cmp(&rb).then(b.enforced.cmp(&a.enforced))
        })
}

/// `"global-app-quota";r=100;t=30, "burst";r=5;t=1` → readings. Also the older
/// draft form `limit=100, remaining=50, reset=30` (one reading).
fn parse_structured_ratelimit(v: &str, enforced: bool) -> Vec<QuotaReading> {
    let mut out = Vec::new();
    let mut draft: HashMap<String, f64> = HashMap::new();
    for item in v.split(',') {
        let mut r = None;
        let mut t = None;
        for part in item.split(';').map(str::trim) {
            let Some((k, val)) = part.split_once('=') else {
                continue;
            };
            let k = k.trim().to_ascii_lowercase();
            let Ok(n) = val.trim().trim_matches('"').parse::<f64>() else {
                continue;
            };
            match k.as_str() {
                "r" => r = Some(n),
                "t" => t = Some(n),
                "remaining" | "reset" | "limit" => {
                    draft.insert(k, n);
                }
                _ => {}
            }
        }
        if let (Some(remaining), Some(reset_secs)) = (r, t) {
            out.push(QuotaReading {
                remaining,
                reset_secs,
                enforced,
            });
        }
    }
    if let (Some(&remaining), Some(&reset_secs)) = (draft.get("remaining"), draft.get("reset")) {
        out.push(QuotaReading {
            remaining,
            reset_secs,
            enforced,
        });
    }
    out
}

/// `RateLimit-Policy: "global-app-quota";q=65000;w=3600` (also `Beta-`) → (name, q, w).
pub(crate) fn parse_policies(headers: &HeaderMap) -> Vec<(String, f64, f64)> {
    let mut out = Vec::new();
    for name in ["ratelimit-policy", "beta-ratelimit-policy"] {
        for v in headers.get_all(name).iter().filter_map(|v| v.to_str().ok()) {
            for item in v.split(',') {
                let mut parts = item.split(';').map(str::trim);
                let label = parts
                    .next()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_string();
                let mut q = None;
                let mut w = None;
                for p in parts {
                    if let Some((k, val)) = p.split_once('=') {
                        let n = val.trim().trim_matches('"').parse::<f64>().ok();
                        match k.trim() {
                            "q" => q = n,
                            "w" => w = n,
                            _ => {}
                        }
                    }
                }
                if let (Some(q), Some(w)) = (q, w) {
                    out.push((label, q, w));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_wait(&headers(&[("Retry-After", "7")]), now),
            Some(Duration::from_secs(7))
        );
        let at = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_wait(&headers(&[("Retry-After", &at)]), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_wait(&headers(&[]), now), None);
    }

    #[test]
    fn x_ratelimit_reset_iso_time() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_741_107_700_000);
        let h = headers(&[("X-RateLimit-Reset", "2025-03-04T17:01:51.123Z")]);
        assert_eq!(retry_wait(&h, now), Some(Duration::from_millis(11_123)));
        // In the past → no wait.
        let h = headers(&[("X-RateLimit-Reset", "2020-01-01T00:00:00Z")]);
        assert_eq!(retry_wait(&h, now), Some(Duration::ZERO));
        // Retry-After wins over the reset time.
        let h = headers(&[
            ("Retry-After", "2"),
            ("X-RateLimit-Reset", "2025-03-04T17:01:51.123Z"),
        ]);
        assert_eq!(retry_wait(&h, now), Some(Duration::from_secs(2)));
    }

    #[test]
    fn ratelimit_structured_headers_pick_the_tightest() {
        let now = SystemTime::now();
        let h = headers(&[
            (
                "RateLimit",
                "\"global-app-quota\";r=600;t=60, \"burst\";r=5;t=1",
            ),
            ("Beta-RateLimit", "\"global-app-quota\";r=10;t=100"),
        ]);
        let q = quota_reading(&h, now).unwrap();
        assert_eq!(
            (q.remaining, q.reset_secs, q.enforced),
            (10.0, 100.0, false)
        );
        let h = headers(&[("RateLimit", "limit=100, remaining=0, reset=12")]);
        let q = quota_reading(&h, now).unwrap();
        assert_eq!((q.remaining, q.reset_secs, q.enforced), (0.0, 12.0, true));
        assert_eq!(retry_wait(&h, now), Some(Duration::from_secs(12)));
        let h = headers(&[("X-RateLimit-Remaining", "50"), ("X-RateLimit-Reset", "25")]);
        let q = quota_reading(&h, now).unwrap();
        assert_eq!((q.remaining, q.reset_secs), (50.0, 25.0));
    }

    #[test]
    fn policies_parse() {
        let h = headers(&[(
            "Beta-RateLimit-Policy",
            "\"global-app-quota\";q=65000;w=3600",
        )]);
        assert_eq!(
            parse_policies(&h),
            vec![("global-app-quota".to_string(), 65000.0, 3600.0)]
        );
    }

    fn cfg() -> RateLimitConfig {
        RateLimitConfig {
            initial_per_sec: 10.0,
            max_per_sec: 12.0,
            min_per_sec: 1.0,
            increase_per_success: 1.0,
            burst: 2.0,
        }
    }

    #[test]
    fn slow_start_grows_fast_until_the_first_push_back() {
        let b = SiteBudget::new(RateLimitConfig {
            max_per_sec: 100.0,
            ..cfg()
        });
        b.on_success(&HeaderMap::new());
        assert_eq!(b.snapshot().rate_per_sec, 10.0 + SLOW_START_FACTOR);
        b.on_throttled(Duration::ZERO);
        let halved = (10.0 + SLOW_START_FACTOR) / 2.0;
        assert_eq!(b.snapshot().rate_per_sec, halved);
        b.on_success(&HeaderMap::new());
        assert_eq!(
            b.snapshot().rate_per_sec,
            halved + 1.0,
            "additive after a 429"
        );
    }

    #[test]
    fn aimd_halves_on_429_and_recovers_additively() {
        let b = SiteBudget::new(cfg());
        b.on_throttled(Duration::ZERO);
        assert_eq!(b.snapshot().rate_per_sec, 5.0);
        b.on_throttled(Duration::ZERO);
        b.on_throttled(Duration::ZERO);
        b.on_throttled(Duration::ZERO);
        assert_eq!(b.snapshot().rate_per_sec, 1.0, "floored at min_per_sec");
        for _ in 0..3 {
            b.on_success(&HeaderMap::new());
        }
        assert_eq!(b.snapshot().rate_per_sec, 4.0);
        for _ in 0..20 {
            b.on_success(&HeaderMap::new());
        }
        assert_eq!(b.snapshot().rate_per_sec, 12.0, "capped at max_per_sec");
        b.on_success(&headers(&[("X-RateLimit-NearLimit", "true")]));
        assert_eq!(b.snapshot().rate_per_sec, 9.0);
        assert_eq!(b.snapshot().throttled, 4);
    }

    #[test]
    fn bucket_spends_burst_then_paces() {
        let b = SiteBudget::new(cfg());
        let t0 = Instant::now();
        assert_eq!(b.try_take(t0), None);
        assert_eq!(b.try_take(t0), None);
        let wait = b.try_take(t0).expect("burst of 2 is spent");
        assert!(
            (wait.as_secs_f64() - 0.1).abs() < 0.01,
            "{wait:?} at 10 req/s"
        );
        assert_eq!(b.try_take(t0 + Duration::from_millis(100)), None);
    }

    #[test]
    fn throttle_blocks_the_site_for_the_whole_wait() {
        let b = SiteBudget::new(cfg());
        b.on_throttled(Duration::from_secs(5));
        let wait = b.try_take(Instant::now()).expect("blocked");
        assert!(
            wait > Duration::from_millis(4900) && wait <= Duration::from_secs(5),
            "{wait:?}"
        );
        // A shorter later throttle does not shorten the block.
        b.on_throttled(Duration::from_secs(1));
        assert!(b.snapshot().blocked_for > Duration::from_millis(4900));
    }

    #[test]
    fn headers_cap_the_rate_and_spent_budget_blocks() {
        let b = SiteBudget::new(cfg());
        b.observe(&headers(&[("RateLimit", "\"q\";r=20;t=10")]));
        assert_eq!(b.snapshot().header_cap_per_sec, Some(2.0));
        // 20 → 16 over one request: each request costs more than one point.
        b.observe(&headers(&[("RateLimit", "\"q\";r=16;t=10")]));
        let snap = b.snapshot();
        assert!(snap.points_per_request > 1.0, "{snap:?}");
        assert!(snap.header_cap_per_sec.unwrap() < 1.6, "{snap:?}");
        // Beta headers pace but never block, nor cap once spent.
        b.observe(&headers(&[("Beta-RateLimit", "\"q\";r=30;t=30")]));
        assert!(b.snapshot().header_cap_per_sec.is_some());
        b.observe(&headers(&[("Beta-RateLimit", "\"q\";r=0;t=30")]));
        assert_eq!(b.snapshot().blocked_for, Duration::ZERO);
        // An enforced spent budget blocks until the reset.
        b.observe(&headers(&[("RateLimit", "\"q\";r=0;t=3")]));
        let blocked = b.snapshot().blocked_for;
        assert!(blocked > Duration::from_millis(2900), "{blocked:?}");
    }

    #[test]
    fn sites_share_one_budget() {
        let a = SiteBudget::for_site("https://shared.example", &cfg());
        let b = SiteBudget::for_site("https://shared.example", &RateLimitConfig::default());
        assert!(Arc::ptr_eq(&a, &b));
        let c = SiteBudget::for_site("https://other.example", &cfg());
        assert!(!Arc::ptr_eq(&a, &c));
    }
}

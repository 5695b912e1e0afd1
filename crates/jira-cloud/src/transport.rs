//! One HTTP exchange with Jira, with the retry policy: 429 waits exactly what Jira asks
//! (the whole site waits), 5xx and connection failures back off exponentially with
//! jitter, everything else is an error at once. URLs are logged at debug; headers
//! never are.
//!
//! Not here: what the endpoints mean or how they page (see `paging` and the
//! endpoint modules).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use url::Url;

use crate::Auth;
use crate::JiraError;
use crate::backoff::backoff_delay;
use crate::config::ClientConfig;
use crate::error::{jira_messages, shorten};
use crate::oauth::OAuthSession;
use crate::rate::{SiteBudget, retry_wait};

/// Error bodies are read up to this size (enough for Jira's messages).
const ERROR_BODY_LIMIT: u64 = 256 * 1024;
/// Redirects followed at most (attachment downloads redirect once).
const MAX_REDIRECTS: usize = 5;

/// Where the `Authorization` header comes from.
enum Credentials {
    /// Basic auth: one header for the client's life.
    Fixed(HeaderValue),
    /// OAuth: a bearer token refreshed as it expires.
    OAuth(OAuthSession),
}

/// The shared state behind a `JiraClient`.
pub(crate) struct Transport {
    http: reqwest::Client,
    /// Base URL with its path ending in `/`.
    base: Url,
    /// Base URL as given, without a trailing slash.
    base_str: String,
    credentials: Credentials,
    pub(crate) cfg: ClientConfig,
    requests: AtomicU64,
    /// Of `requests`, those for attachment bytes.
    attachment_requests: AtomicU64,
    pub(crate) budget: Arc<SiteBudget>,
    in_flight: Semaphore,
}

impl Transport {
    pub(crate) fn new(cfg: ClientConfig) -> Result<Self, JiraError> {
        let trimmed = cfg.base_url.trim().trim_end_matches('/').to_string();
        let mut base = Url::parse(&trimmed).map_err(|e| JiraError::Config {
            detail: format!(
                "base_url {trimmed:?} is not a URL ({e}); use e.g. https://acme.atlassian.net"
            ),
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(JiraError::Config {
                detail: format!("base_url {trimmed:?} must be an http(s) URL"),
            });
        }
        // Credentials travel with every request: in clear only to this machine.
        if base.scheme() == "http" && !is_loopback(&base) {
            return Err(JiraError::Config {
                detail: format!(
                    "base_url {trimmed:?}: http:// is refused for hosts other than this machine (credentials would travel in clear); use https://"
                ),
            });
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(JiraError::Config {
                detail: format!("base_url {trimmed:?} must not carry a query or fragment"),
            });
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let credentials = match (&cfg.auth, cfg.auth.header_value()?) {
            (_, Some(fixed)) => Credentials::Fixed(fixed),
            (Auth::OAuth(creds), None) => Credentials::OAuth(OAuthSession::new(creds.clone())),
            (Auth::Basic { .. }, None) => {
                return Err(JiraError::Config {
                    detail: "basic auth produced no header".into(),
                });
            }
        };
        let site_host = base.host_str().unwrap_or_default().to_ascii_lowercase();
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(30)))
            .user_agent(concat!("jira-index/", env!("CARGO_PKG_VERSION")))
            // reqwest drops `Authorization` on a redirect to another host; refuse
            // https → http downgrades too, so credentials never travel in clear.
            // Redirects are followed only to the site itself and to Atlassian's media
            // hosts (where attachment content lives), never elsewhere.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                let downgrade = attempt.url().scheme() == "http"
                    && attempt.previous().iter().any(|u| u.scheme() == "https");
                let host = attempt
                    .url()
                    .host_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if downgrade {
                    attempt.error("refusing a redirect from https to http")
                } else if !redirect_host_allowed(&host, &site_host) {
                    let why = format!(
                        "refusing a redirect to {host}: not the site or Atlassian's media host"
                    );
                    attempt.error(why)
                } else if attempt.previous().len() > MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| JiraError::Config {
                detail: format!("could not build the HTTP client: {e}"),
            })?;
        // Keyed by the parsed URL, so `HTTPS://Acme.atlassian.net/` and
        // `https://acme.atlassian.net` share one budget.
        let budget = SiteBudget::for_site(base.as_str(), &cfg.rate_limit);
        let in_flight = Semaphore::new(cfg.max_concurrency.max(1));
        Ok(Transport {
            http,
            base,
            base_str: trimmed,
            credentials,
            cfg,
            requests: AtomicU64::new(0),
            attachment_requests: AtomicU64::new(0),
            budget,
            in_flight,
        })
    }

    pub(crate) fn base_str(&self) -> &str {
        &self.base_str
    }

    pub(crate) fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn attachment_request_count(&self) -> u64 {
        self.attachment_requests.load(Ordering::Relaxed)
    }

    /// `<base>/rest/api/3/<segments…>` with each segment percent-encoded.
    pub(crate) fn api_url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend(["rest", "api", "3"])
                .extend(segments);
        }
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        url
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<T, JiraError> {
        let url = self.api_url(segments, query);
        let body = self.execute(Method::GET, &url, None).await?;
        decode(&url, &body)
    }

    pub(crate) async fn post_json<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        body: &B,
    ) -> Result<T, JiraError> {
        let url = self.api_url(segments, &[]);
        let payload = serde_json::to_vec(body).map_err(|e| JiraError::Decode {
            url: url.to_string(),
            detail: format!("could not encode the request body: {e}"),
        })?;
        let answer = self.execute(Method::POST, &url, Some(payload)).await?;
        decode(&url, &answer)
    }

    /// Sends one request, retrying per the policy above; returns the 2xx body.
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, JiraError> {
        self.execute_limited(method, url, body, "application/json", Some(MAX_JSON_BYTES))
            .await?
            .ok_or_else(|| JiraError::Decode {
                url: url.to_string(),
                detail: format!(
                    "the answer is larger than {} MiB; not read",
                    MAX_JSON_BYTES / (1024 * 1024)
                ),
            })
    }

    /// [`Transport::execute`] with an `Accept` value and a limit on the size of a 2xx
    /// body: `Ok(None)` when the body is larger than `limit` (it is not read further).
    pub(crate) async fn execute_limited(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        accept: &'static str,
        limit: Option<u64>,
    ) -> Result<Option<Vec<u8>>, JiraError> {
        let max_attempts = self.cfg.max_retries.saturating_add(1);
        let mut last = String::new();
        let mut refreshed_after_401 = false;
        for attempt in 1..=max_attempts {
            let (auth, generation) = match &self.credentials {
                Credentials::Fixed(h) => (h.clone(), 0),
                Credentials::OAuth(session) => {
                    session
                        .header(&self.http, self.cfg.max_retries, &self.requests)
                        .await?
                }
            };
            self.budget.acquire().await;
            let permit = self.in_flight.acquire().await.ok();
            self.requests.fetch_add(1, Ordering::Relaxed);
            if url.path().contains("/attachment/content/") {
                self.attachment_requests.fetch_add(1, Ordering::Relaxed);
            }
            tracing::debug!(%method, %url, attempt, "jira request");
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, auth)
                .header(ACCEPT, accept);
            if let Some(b) = &body {
                req = req.header(CONTENT_TYPE, "application/json").body(b.clone());
            }
            let outcome = req.send().await;
            let resp = match outcome {
                Ok(r) => r,
                Err(e) => {
                    drop(permit);
                    if !is_retryable(&e) {
                        return Err(JiraError::Transport {
                            url: url.to_string(),
                            source: e,
                        });
                    }
                    last = format!("connection error: {e}");
                    self.back_off(url, attempt, max_attempts, &last, None).await;
                    continue;
                }
            };
            let status = resp.status();
            let headers = resp.headers().clone();
            self.budget.observe(&headers);
            let limit = if status.is_success() {
                limit
            } else {
                Some(ERROR_BODY_LIMIT)
            };
            let bytes = match read_body(resp, limit).await {
                Ok(Some(b)) => b,
                Ok(None) if status.is_success() => {
                    tracing::debug!(%url, limit, "answer larger than the limit; not read");
                    return Ok(None);
                }
                Ok(None) => Vec::new(),
                Err(e) => {
                    drop(permit);
                    last = format!("reading the answer (HTTP {}) failed: {e}", status.as_u16());
                    if status.is_success()
                        || status.is_server_error()
                        || status == StatusCode::TOO_MANY_REQUESTS
                    {
                        self.back_off(url, attempt, max_attempts, &last, None).await;
                        continue;
                    }
                    return Err(JiraError::Transport {
                        url: url.to_string(),
                        source: e,
                    });
                }
            };
            drop(permit);
            if status.is_success() {
                self.budget.on_success(&headers);
                return Ok(Some(bytes));
            }
            let url_s = url.to_string();
            match status.as_u16() {
                429 => {
                    let wait = retry_wait(&headers, SystemTime::now());
                    last = format!("HTTP 429 (rate limited){}", reason(&headers));
                    match wait {
                        Some(w) => {
                            // The whole site waits, not only this request.
                            self.budget.on_throttled(w);
                            if attempt < max_attempts {
                                tracing::warn!(url = %url_s, wait_ms = w.as_millis() as u64, attempt, "Jira rate limit (429): waiting as Retry-After asks");
                            }
                        }
                        None => {
                            self.budget.on_throttled(Duration::ZERO);
                            self.back_off(url, attempt, max_attempts, &last, None).await;
                        }
                    }
                }
                401 => match &self.credentials {
                    // An OAuth access token can be revoked before it expires: get a
                    // new one, once.
                    Credentials::OAuth(session) if !refreshed_after_401 => {
                        refreshed_after_401 = true;
                        session.invalidate(generation).await;
                        last = "HTTP 401 with an OAuth access token".into();
                        tracing::warn!(url = %url_s, "Jira refused the OAuth access token; refreshing it once");
                    }
                    _ => return Err(JiraError::Unauthorized { url: url_s }),
                },
                410 => return Err(JiraError::Gone { url: url_s }),
                s if status.is_server_error() => {
                    let msgs = jira_messages(&bytes);
                    last = if msgs.is_empty() {
                        format!("HTTP {s}")
                    } else {
                        format!("HTTP {s}: {}", msgs.join("; "))
                    };
                    // A 503 with Retry-After is a throttle of the whole site.
                    let asked = retry_wait(&headers, SystemTime::now());
                    if let Some(w) = asked {
                        self.budget.on_throttled(w);
                    }
                    self.back_off(url, attempt, max_attempts, &last, asked)
                        .await;
                }
                s => {
                    return Err(JiraError::Http {
                        status: s,
                        url: url_s,
                        messages: jira_messages(&bytes),
                    });
                }
            }
        }
        Err(JiraError::RetriesExhausted {
            url: url.to_string(),
            attempts: max_attempts,
            last,
        })
    }

    /// Sleeps the jittered exponential backoff of `attempt` (not after the last one).
    async fn back_off(
        &self,
        url: &Url,
        attempt: u32,
        max_attempts: u32,
        why: &str,
        at_least: Option<Duration>,
    ) {
        if attempt >= max_attempts {
            return;
        }
        let mut wait = backoff_delay(attempt, &mut rand::thread_rng());
        if let Some(min) = at_least {
            wait = wait.max(min);
        }
        tracing::warn!(%url, attempt, wait_ms = wait.as_millis() as u64, why, "Jira request failed; retrying");
        tokio::time::sleep(wait).await;
    }
}

/// The largest JSON answer read (a page of issues with every field is a few MiB).
pub(crate) const MAX_JSON_BYTES: u64 = 64 * 1024 * 1024;

/// Whether `url`'s host is this machine (`localhost`, 127.0.0.0/8, `::1`).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Redirect targets: the site's own host, and Atlassian's media hosts
/// (`api.media.atlassian.com`, where Jira Cloud redirects attachment downloads). A
/// site on this machine (a stand-in for Jira) may redirect to this machine too.
fn redirect_host_allowed(host: &str, site_host: &str) -> bool {
    let local = |h: &str| {
        h.eq_ignore_ascii_case("localhost")
            || h.trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    host == site_host
        || host == "api.media.atlassian.com"
        || host.ends_with(".media.atlassian.com")
        || (local(site_host) && local(host))
}

/// Reads a body up to `limit` bytes; `None` when it is larger.
async fn read_body(
    mut resp: reqwest::Response,
    limit: Option<u64>,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if let (Some(limit), Some(len)) = (limit, resp.content_length())
        && len > limit
    {
        return Ok(None);
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if limit.is_some_and(|l| (buf.len() + chunk.len()) as u64 > l) {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf))
}

fn reason(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get("ratelimit-reason")
        .and_then(|v| v.to_str().ok())
        .map(|r| format!(", reason {}", shorten(r, 60)))
        .unwrap_or_default()
}

fn is_retryable(e: &reqwest::Error) -> bool {
    e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() || e.is_decode()
}

pub(crate) fn decode<T: DeserializeOwned>(url: &Url, body: &[u8]) -> Result<T, JiraError> {
    serde_json::from_slice(body).map_err(|e| JiraError::Decode {
        url: url.to_string(),
        detail: format!(
            "{e}; the answer starts with: {}",
            shorten(&String::from_utf8_lossy(body), 200)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Auth;

    #[test]
    fn urls_are_built_under_the_base_path_and_encoded() {
        let cfg = ClientConfig::new(
            "https://api.atlassian.com/ex/jira/abc-123/",
            Auth::basic("a@b.c", "t"),
        );
        let t = Transport::new(cfg).unwrap();
        let u = t.api_url(
            &["project", "A B/C", "role"],
            &[("status", "live".into()), ("status", "archived".into())],
        );
        assert_eq!(
            u.as_str(),
            "https://api.atlassian.com/ex/jira/abc-123/rest/api/3/project/A%20B%2FC/role?status=live&status=archived"
        );
        assert_eq!(t.base_str(), "https://api.atlassian.com/ex/jira/abc-123");
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for bad in [
            "not a url",
            "ftp://x",
            "https://x/?a=b",
            "mailto:a@b.c",
            "http://acme.atlassian.net",
            "http://10.0.0.5:8080",
        ] {
            let r = Transport::new(ClientConfig::new(bad, Auth::basic("a", "b")));
            assert!(matches!(r, Err(JiraError::Config { .. })), "{bad}");
        }
        for good in [
            "https://acme.atlassian.net",
            "http://127.0.0.1:8080",
            "http://localhost:9000",
            "http://[::1]:9000",
        ] {
            assert!(
                Transport::new(ClientConfig::new(good, Auth::basic("a", "b"))).is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn redirects_go_only_to_the_site_and_atlassian_media() {
        let site = "acme.atlassian.net";
        assert!(redirect_host_allowed("acme.atlassian.net", site));
        assert!(redirect_host_allowed("api.media.atlassian.com", site));
        assert!(!redirect_host_allowed("evil.example", site));
        assert!(!redirect_host_allowed("other.atlassian.net", site));
        assert!(!redirect_host_allowed(
            "media.atlassian.com.evil.example",
            site
        ));
        assert!(!redirect_host_allowed("localhost", site));
        // A stand-in on this machine serves its files from this machine.
        assert!(redirect_host_allowed("localhost", "127.0.0.1"));
        assert!(!redirect_host_allowed("evil.example", "127.0.0.1"));
    }

    /// A one-shot HTTP server on loopback answering every connection with `reply`.
    async fn serve_once(reply: String) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(reply.as_bytes()).await;
            }
        });
        addr
    }

    #[tokio::test]
    async fn a_redirect_elsewhere_and_an_oversize_answer_are_errors() {
        let cfg_for = |addr: std::net::SocketAddr| {
            let mut c = ClientConfig::new(format!("http://{addr}"), Auth::basic("a", "b"));
            c.max_retries = 0;
            Transport::new(c).unwrap()
        };
        let away = serve_once(
            "HTTP/1.1 302 Found\r\nLocation: http://steal.example/x\r\nContent-Length: 0\r\n\r\n"
                .into(),
        )
        .await;
        let t = cfg_for(away);
        let err = t
            .get_json::<serde_json::Value>(&["myself"], &[])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("redirect"), "{err}");
        let huge = serve_once(format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{}}",
            MAX_JSON_BYTES + 1
        ))
        .await;
        let t = cfg_for(huge);
        let err = t
            .get_json::<serde_json::Value>(&["myself"], &[])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
    }
}

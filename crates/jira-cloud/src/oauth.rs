//! OAuth 2.0 (3LO) access tokens: one refresh at a time (single flight), rotation of
//! the refresh token handed to the caller's sink, and a fresh token after a 401.
//!
//! Not here: the authorization-code dance in a browser (the CLI owns that) or
//! `accessible-resources` (the caller picks the cloud id and base URL).

use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::JiraError;
use crate::auth::{OAuthCredentials, bearer};
use crate::backoff::backoff_delay;
use crate::error::jira_messages;

/// Refresh this long before the access token expires (a quarter of the lifetime for
/// tokens that live less than four minutes).
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

fn margin(lifetime: Duration) -> Duration {
    EXPIRY_MARGIN.min(lifetime / 4)
}

pub(crate) struct OAuthSession {
    creds: OAuthCredentials,
    state: Mutex<TokenState>,
}

struct TokenState {
    access: Option<(HeaderValue, Instant)>,
    refresh_token: String,
    /// Bumped on every refresh; a 401 only invalidates the token it was sent with.
    generation: u64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

impl OAuthSession {
    pub(crate) fn new(creds: OAuthCredentials) -> Self {
        let refresh_token = creds.refresh_token.clone();
        OAuthSession {
            creds,
            state: Mutex::new(TokenState {
                access: None,
                refresh_token,
                generation: 0,
            }),
        }
    }

    /// A valid `Authorization` header and its generation, refreshing first if needed.
    /// Concurrent callers wait for one refresh instead of each spending the refresh token.
    pub(crate) async fn header(
        &self,
        http: &reqwest::Client,
        max_retries: u32,
        requests: &std::sync::atomic::AtomicU64,
    ) -> Result<(HeaderValue, u64), JiraError> {
        let mut s = self.state.lock().await;
        // `access` holds the instant to refresh at: expiry minus the margin.
        if let Some((h, refresh_at)) = &s.access
            && *refresh_at > Instant::now()
        {
            return Ok((h.clone(), s.generation));
        }
        let answer = self
            .refresh(http, &s.refresh_token, max_retries, requests)
            .await?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        let header = bearer(&answer.access_token)?;
        s.access = Some((header.clone(), Instant::now() + lifetime - margin(lifetime)));
        s.generation += 1;
        if let Some(new) = answer
            .refresh_token
            .filter(|t| !t.is_empty() && *t != s.refresh_token)
        {
            s.refresh_token = new;
            if let Some(sink) = &self.creds.on_rotate {
                sink(&s.refresh_token);
            }
            tracing::info!("OAuth refresh token rotated; the new one was handed to the sink");
        }
        Ok((header, s.generation))
    }

    /// Forgets the access token of `generation` (Jira answered 401 with it).
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut s = self.state.lock().await;
        if s.generation == generation {
            s.access = None;
        }
    }

    async fn refresh(
        &self,
        http: &reqwest::Client,
        refresh_token: &str,
        max_retries: u32,
        requests: &std::sync::atomic::AtomicU64,
    ) -> Result<TokenAnswer, JiraError> {
        let url = self.creds.token_url.clone();
        let body = serde_json::json!({
            "grant_type": "refresh_token",
            "client_id": self.creds.client_id,
            "client_secret": self.creds.client_secret,
            "refresh_token": refresh_token,
        });
        let attempts = max_retries.saturating_add(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(%url, attempt, "OAuth token refresh");
            let sent = http
                .post(&url)
                .header(ACCEPT, "application/json")
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string())
                .send()
                .await;
            match sent {
                Ok(resp) if resp.status().is_success() => {
                    let bytes = resp.bytes().await.map_err(|e| JiraError::Transport {
                        url: url.clone(),
                        source: e,
                    })?;
                    return serde_json::from_slice(&bytes).map_err(|e| JiraError::Decode {
                        url: url.clone(),
                        detail: format!("token answer without access_token: {e}"),
                    });
                }
                Ok(resp) if resp.status().is_server_error() || resp.status().as_u16() == 429 => {
                    last = format!("HTTP {}", resp.status().as_u16());
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let bytes = resp.bytes().await.unwrap_or_default();
                    // `{"error":"invalid_grant","error_description":"…"}`: no secrets in it.
                    let why = serde_json::from_slice::<serde_json::Value>(&bytes)
                        .ok()
                        .and_then(|v| {
                            v.get("error_description")
                                .or_else(|| v.get("error"))
                                .and_then(|e| e.as_str())
                                .map(str::to_string)
                        })
                        .or_else(|| jira_messages(&bytes).into_iter().next())
                        .unwrap_or_default();
                    tracing::warn!(%url, status, why, "OAuth token refresh refused; re-authorize the app");
                    return Err(JiraError::Unauthorized { url });
                }
                Err(e) => last = format!("connection error: {e}"),
            }
            if attempt < attempts {
                let wait = backoff_delay(attempt, &mut rand::thread_rng());
                tokio::time::sleep(wait).await;
            }
        }
        Err(JiraError::RetriesExhausted {
            url,
            attempts,
            last,
        })
    }
}

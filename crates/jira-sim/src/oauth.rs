//! OAuth 2.0 (3LO) as Atlassian runs it, on the simulator's own base URL (which stands
//! in for `auth.atlassian.com` and `api.atlassian.com` alike):
//!
//! - `GET /authorize?client_id&redirect_uri&state&response_type=code&scope` — the
//!   consent screen, approved at once: a 302 to `redirect_uri?code=…&state=…`;
//! - `POST /oauth/token` (JSON) with `grant_type` `authorization_code` or
//!   `refresh_token` → `{access_token, expires_in, token_type, scope, refresh_token}`.
//!   Refresh tokens rotate: each use returns a new one and invalidates the old; a reused
//!   refresh token is refused (403 `invalid_grant`) and revokes its whole family, access
//!   tokens included (reuse detection);
//! - `GET /oauth/token/accessible-resources` (bearer) → `[{id: cloudId, url, name, scopes}]`;
//! - REST calls under `/ex/jira/{cloudId}/rest/api/3/…` with `Authorization: Bearer`.
//!
//! Access tokens expire after `access_ttl` (short in tests). Counters let tests prove
//! single-flight refreshing and that a used refresh token is never sent again.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The OAuth app the simulator accepts.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OAuthConfig {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// The site's cloud id (`/ex/jira/{cloudId}`).
    pub cloud_id: String,
    /// Lifetime of access tokens (Atlassian: 3600 s).
    pub access_ttl: Duration,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            client_id: "sim-client-id".into(),
            client_secret: "sim-client-secret".into(),
            cloud_id: "11111111-2222-4333-8444-555555555555".into(),
            access_ttl: Duration::from_secs(3600),
        }
    }
}

/// Counters of what the token endpoint saw.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct OAuthStats {
    /// Authorization codes handed out by `/authorize`.
    pub codes_issued: usize,
    /// Codes exchanged for tokens.
    pub code_exchanges: usize,
    /// Successful refreshes.
    pub refreshes: usize,
    /// Refresh attempts with a token that was already used (or revoked).
    pub reused_refresh_tokens: usize,
    /// Bearer requests refused because the access token had expired.
    pub expired_access_tokens: usize,
}

#[derive(Debug)]
struct RefreshToken {
    family: u64,
    used: bool,
}

#[derive(Debug)]
struct AccessToken {
    family: u64,
    expires: Instant,
}

/// Token state of a running simulator.
pub struct OAuthState {
    /// The app it accepts.
    pub config: OAuthConfig,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    codes: HashMap<String, String>,
    refresh: HashMap<String, RefreshToken>,
    access: HashMap<String, AccessToken>,
    revoked: HashSet<u64>,
    stats: OAuthStats,
}

/// An error of the token endpoint: HTTP status and the OAuth error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// HTTP status, e.g. 400 or 401.
    pub status: u16,
    /// OAuth error code, e.g. `invalid_grant`.
    pub error: &'static str,
    /// What went wrong.
    pub description: String,
}

/// A successful token response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenResponse {
    /// The new access token.
    pub access_token: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// Always `Bearer`.
    pub token_type: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The new refresh token (rotating: the old one is spent).
    pub refresh_token: String,
}

/// The JSON body of `POST /oauth/token`.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenRequest {
    /// `authorization_code` or `refresh_token`.
    pub grant_type: String,
    /// The app's client id.
    pub client_id: Option<String>,
    /// The app's client secret.
    pub client_secret: Option<String>,
    /// The authorization code (code exchange).
    pub code: Option<String>,
    /// The redirect URI the code was issued for (code exchange).
    pub redirect_uri: Option<String>,
    /// The refresh token (refresh).
    pub refresh_token: Option<String>,
}

/// Whether a bearer token may call the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerCheck {
    /// A live access token.
    Valid,
    /// An access token past its lifetime.
    Expired,
    /// A token the simulator never issued (or revoked).
    Unknown,
}

const SCOPES: &str = "read:jira-work read:jira-user offline_access";

impl OAuthState {
    /// Token state for this app, with no tokens yet.
    pub fn new(config: OAuthConfig) -> Self {
        OAuthState {
            config,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counters so far.
    pub fn stats(&self) -> OAuthStats {
        self.inner().stats.clone()
    }

    /// The consent step: a one-time code bound to the redirect URI.
    pub fn authorize(&self, client_id: &str, redirect_uri: &str) -> Result<String, TokenError> {
        if client_id != self.config.client_id {
            return Err(bad_client());
        }
        let mut inner = self.inner();
        inner.next += 1;
        let code = format!("sim-code-{}", inner.next);
        inner.codes.insert(code.clone(), redirect_uri.to_string());
        inner.stats.codes_issued += 1;
        Ok(code)
    }

    /// `POST /oauth/token`.
    pub fn token(&self, req: &TokenRequest) -> Result<TokenResponse, TokenError> {
        if req.client_id.as_deref() != Some(&self.config.client_id)
            || req.client_secret.as_deref() != Some(&self.config.client_secret)
        {
            return Err(bad_client());
        }
        let mut inner = self.inner();
        let family = match req.grant_type.as_str() {
            "authorization_code" => {
                let code = req.code.as_deref().unwrap_or_default();
                match inner.codes.remove(code) {
                    Some(uri) if Some(uri.as_str()) == req.redirect_uri.as_deref() => {}
                    Some(_) => return Err(invalid_grant("redirect_uri does not match")),
                    None => return Err(invalid_grant("Invalid authorization code")),
                }
                inner.stats.code_exchanges += 1;
                inner.next += 1;
                inner.next
            }
            "refresh_token" => {
                let token = req.refresh_token.as_deref().unwrap_or_default();
                let Some((family, used)) = inner.refresh.get(token).map(|e| (e.family, e.used))
                else {
                    inner.stats.reused_refresh_tokens += 1;
                    return Err(invalid_grant("Unknown or invalid refresh token."));
                };
                if used || inner.revoked.contains(&family) {
                    // Reuse detection: the whole family is revoked.
                    inner.revoked.insert(family);
                    inner.stats.reused_refresh_tokens += 1;
                    return Err(invalid_grant("Unknown or invalid refresh token."));
                }
                if let Some(entry) = inner.refresh.get_mut(token) {
                    entry.used = true;
                }
                inner.stats.refreshes += 1;
                family
            }
            other => {
                return Err(TokenError {
                    status: 400,
                    error: "unsupported_grant_type",
                    description: format!("grant_type {other:?} is not supported"),
                });
            }
        };
        inner.next += 1;
        let n = inner.next;
        let access_token = format!("sim-access-{family}-{n}");
        let refresh_token = format!("sim-refresh-{family}-{n}");
        inner.access.insert(
            access_token.clone(),
            AccessToken {
                family,
                expires: Instant::now() + self.config.access_ttl,
            },
        );
        inner.refresh.insert(
            refresh_token.clone(),
            RefreshToken {
                family,
                used: false,
            },
        );
        Ok(TokenResponse {
            access_token,
            expires_in: self.config.access_ttl.as_secs(),
            token_type: "Bearer".into(),
            scope: SCOPES.into(),
            refresh_token,
        })
    }

    /// Checks a bearer token (counting expired ones).
    pub fn check_bearer(&self, token: &str) -> BearerCheck {
        let mut inner = self.inner();
        let verdict = match inner.access.get(token) {
            Some(t) if inner.revoked.contains(&t.family) => BearerCheck::Unknown,
            Some(t) if Instant::now() >= t.expires => BearerCheck::Expired,
            Some(_) => BearerCheck::Valid,
            None => BearerCheck::Unknown,
        };
        if verdict == BearerCheck::Expired {
            inner.stats.expired_access_tokens += 1;
        }
        verdict
    }
}

fn bad_client() -> TokenError {
    TokenError {
        status: 401,
        error: "access_denied",
        description: "Unauthorized".into(),
    }
}

fn invalid_grant(description: &str) -> TokenError {
    TokenError {
        status: 403,
        error: "invalid_grant",
        description: description.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(grant: &str) -> TokenRequest {
        TokenRequest {
            grant_type: grant.into(),
            client_id: Some("sim-client-id".into()),
            client_secret: Some("sim-client-secret".into()),
            code: None,
            redirect_uri: None,
            refresh_token: None,
        }
    }

    #[test]
    fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
        let st = OAuthState::new(OAuthConfig::default());
        let code = st
            .authorize("sim-client-id", "http://127.0.0.1:1/cb")
            .unwrap();
        let first = st
            .token(&TokenRequest {
                code: Some(code.clone()),
                redirect_uri: Some("http://127.0.0.1:1/cb".into()),
                ..req("authorization_code")
            })
            .unwrap();
        assert_eq!(st.check_bearer(&first.access_token), BearerCheck::Valid);
        // The code is single-use.
        assert!(
            st.token(&TokenRequest {
                code: Some(code),
                redirect_uri: Some("http://127.0.0.1:1/cb".into()),
                ..req("authorization_code")
            })
            .is_err()
        );
        let refresh = |t: &str| {
            st.token(&TokenRequest {
                refresh_token: Some(t.into()),
                ..req("refresh_token")
            })
        };
        let second = refresh(&first.refresh_token).unwrap();
        assert_ne!(second.refresh_token, first.refresh_token);
        let err = refresh(&first.refresh_token).unwrap_err();
        assert_eq!((err.status, err.error), (403, "invalid_grant"));
        // Reuse revoked the family: the newer tokens are dead too.
        assert!(refresh(&second.refresh_token).is_err());
        assert_eq!(st.check_bearer(&second.access_token), BearerCheck::Unknown);
        let stats = st.stats();
        assert_eq!((stats.refreshes, stats.reused_refresh_tokens), (1, 2));
    }

    #[test]
    fn access_tokens_expire() {
        let st = OAuthState::new(OAuthConfig {
            access_ttl: Duration::from_millis(0),
            ..OAuthConfig::default()
        });
        let code = st.authorize("sim-client-id", "x").unwrap();
        let t = st
            .token(&TokenRequest {
                code: Some(code),
                redirect_uri: Some("x".into()),
                ..req("authorization_code")
            })
            .unwrap();
        assert_eq!(st.check_bearer(&t.access_token), BearerCheck::Expired);
        assert_eq!(st.stats().expired_access_tokens, 1);
        assert_eq!(st.check_bearer("nonsense"), BearerCheck::Unknown);
    }

    #[test]
    fn wrong_client_is_refused() {
        let st = OAuthState::new(OAuthConfig::default());
        assert_eq!(st.authorize("other", "x").unwrap_err().status, 401);
        let mut r = req("refresh_token");
        r.client_secret = Some("wrong".into());
        assert_eq!(st.token(&r).unwrap_err().status, 401);
    }
}

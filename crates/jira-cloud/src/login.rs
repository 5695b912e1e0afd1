//! The one-time OAuth 2.0 (3LO) consent: the authorize URL a person opens, a loopback
//! listener that receives Atlassian's redirect with the code, the code exchange, and
//! the cloud id of the site from `accessible-resources`. The caller persists the
//! refresh token (it rotates on every refresh afterwards, see [`crate::oauth`]).
//!
//! Nothing here logs a code, token or secret.

use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::JiraError;

/// Scopes the connector asks for: read issues and users, and a refresh token.
pub const SCOPES: &str = "read:jira-work read:jira-user offline_access";

/// Where the OAuth endpoints live (Atlassian's hosts unless testing).
#[derive(Clone, Debug)]
pub struct OAuthEndpoints {
    /// `https://auth.atlassian.com`: `/authorize` and `/oauth/token`.
    pub auth_url: String,
    /// `https://api.atlassian.com`: `/oauth/token/accessible-resources` and `/ex/jira/…`.
    pub api_url: String,
}

impl Default for OAuthEndpoints {
    fn default() -> Self {
        OAuthEndpoints {
            auth_url: "https://auth.atlassian.com".into(),
            api_url: "https://api.atlassian.com".into(),
        }
    }
}

impl OAuthEndpoints {
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.auth_url.trim_end_matches('/'))
    }
    /// REST base of a site reached through OAuth.
    pub fn site_api_base(&self, cloud_id: &str) -> String {
        format!("{}/ex/jira/{cloud_id}", self.api_url.trim_end_matches('/'))
    }
}

/// What the consent produced.
#[derive(Clone)]
pub struct LoginResult {
    pub refresh_token: String,
    pub cloud_id: String,
    /// The site's own URL, as `accessible-resources` names it.
    pub site_url: String,
}

impl std::fmt::Debug for LoginResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResult")
            .field("refresh_token", &"<redacted>")
            .field("cloud_id", &self.cloud_id)
            .field("site_url", &self.site_url)
            .finish()
    }
}

/// The authorize URL for a person to open.
pub fn authorize_url(
    endpoints: &OAuthEndpoints,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("audience", "api.atlassian.com")
        .append_pair("client_id", client_id)
        .append_pair("scope", SCOPES)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("response_type", "code")
        .append_pair("prompt", "consent")
        .finish();
    format!(
        "{}/authorize?{query}",
        endpoints.auth_url.trim_end_matches('/')
    )
}

/// Waits on `listener` for the browser's redirect to `/callback?code=…&state=…`;
/// answers it with a short page and returns the code. A wrong `state` or an `error`
/// parameter is an error; other requests (e.g. `/favicon.ico`) are answered 404 and
/// ignored.
pub async fn receive_code(
    listener: &TcpListener,
    state: &str,
    timeout: Duration,
) -> Result<String, JiraError> {
    let wait = async {
        loop {
            let (mut stream, _) = listener.accept().await.map_err(|e| JiraError::Config {
                detail: format!("OAuth callback listener failed: {e}"),
            })?;
            let mut buf = vec![0u8; 8192];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let target = head
                .lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .unwrap_or_default()
                .to_string();
            let Some(query) = target.strip_prefix("/callback?") else {
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    )
                    .await;
                continue;
            };
            let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let get = |k: &str| {
                params
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
            };
            let (status, page, outcome) = if let Some(err) = get("error") {
                (
                    "400 Bad Request",
                    "Authorization was refused. You can close this tab.",
                    Err(JiraError::Config {
                        detail: format!("the authorization was refused: {err}"),
                    }),
                )
            } else if get("state").as_deref() != Some(state) {
                (
                    "400 Bad Request",
                    "This answer does not belong to this login. You can close this tab.",
                    Err(JiraError::Config {
                        detail: "OAuth callback with a wrong state parameter (a stale or forged redirect)".into(),
                    }),
                )
            } else if let Some(code) = get("code") {
                (
                    "200 OK",
                    "jira-index is authorized. You can close this tab.",
                    Ok(code),
                )
            } else {
                (
                    "400 Bad Request",
                    "No authorization code. You can close this tab.",
                    Err(JiraError::Config {
                        detail: "OAuth callback without a code".into(),
                    }),
                )
            };
            let body = format!("<!doctype html><title>jira-index</title><p>{page}</p>");
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            return outcome;
        }
    };
    tokio::time::timeout(timeout, wait)
        .await
        .map_err(|_| JiraError::Config {
            detail: format!(
                "no OAuth callback within {} s: open the printed URL and approve",
                timeout.as_secs()
            ),
        })?
}

#[derive(Deserialize)]
struct CodeAnswer {
    access_token: String,
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct Resource {
    id: String,
    url: String,
}

/// Exchanges the code for tokens, then picks the site: the accessible resource whose
/// URL is `site_url` (or the only one when `site_url` is empty).
pub async fn exchange_code(
    endpoints: &OAuthEndpoints,
    client_id: &str,
    client_secret: &str,
    code: &str,
    redirect_uri: &str,
    site_url: &str,
) -> Result<LoginResult, JiraError> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| JiraError::Config {
            detail: format!("HTTP client: {e}"),
        })?;
    let token_url = endpoints.token_url();
    let resp = http
        .post(&token_url)
        .json(&serde_json::json!({
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        }))
        .send()
        .await
        .map_err(|source| JiraError::Transport {
            url: token_url.clone(),
            source,
        })?;
    if !resp.status().is_success() {
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        let why = body
            .get("error_description")
            .or_else(|| body.get("error"))
            .and_then(|v| v.as_str())
            .unwrap_or("no reason given")
            .to_string();
        return Err(JiraError::Http {
            status,
            url: token_url,
            messages: vec![format!("the code exchange was refused: {why}")],
        });
    }
    let answer: CodeAnswer = resp.json().await.map_err(|e| JiraError::Decode {
        url: token_url.clone(),
        detail: format!("token answer: {e}"),
    })?;
    let refresh_token = answer.refresh_token.ok_or_else(|| JiraError::Config {
        detail: "no refresh token in the answer: the app must ask for the offline_access scope"
            .into(),
    })?;
    let res_url = format!(
        "{}/oauth/token/accessible-resources",
        endpoints.api_url.trim_end_matches('/')
    );
    let resources: Vec<Resource> = http
        .get(&res_url)
        .bearer_auth(&answer.access_token)
        .send()
        .await
        .map_err(|source| JiraError::Transport {
            url: res_url.clone(),
            source,
        })?
        .json()
        .await
        .map_err(|e| JiraError::Decode {
            url: res_url.clone(),
            detail: e.to_string(),
        })?;
    let wanted = site_url.trim_end_matches('/');
    let site = resources
        .iter()
        .find(|r| !wanted.is_empty() && r.url.trim_end_matches('/') == wanted)
        .or_else(|| (wanted.is_empty() && resources.len() == 1).then(|| &resources[0]))
        .ok_or_else(|| JiraError::Config {
            detail: format!(
                "the authorization does not cover the site {wanted:?}; it covers: {}",
                resources
                    .iter()
                    .map(|r| r.url.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
    Ok(LoginResult {
        refresh_token,
        cloud_id: site.id.clone(),
        site_url: site.url.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_has_every_parameter() {
        let url = authorize_url(
            &OAuthEndpoints::default(),
            "cid",
            "http://127.0.0.1:8765/callback",
            "st",
        );
        assert!(url.starts_with("https://auth.atlassian.com/authorize?audience=api.atlassian.com&client_id=cid&scope=read%3Ajira-work+read%3Ajira-user+offline_access"));
        assert!(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback"));
        assert!(url.ends_with("&state=st&response_type=code&prompt=consent"));
    }
}

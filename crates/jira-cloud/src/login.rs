//! The one-time OAuth 2.0 (3LO) consent: the authorize URL a person opens, a loopback
//! listener that receives Atlassian's redirect with the code, the code exchange, and
//! the cloud id of the site from `accessible-resources`. The caller persists the
//! refresh token (it rotates on every refresh afterwards, see the `oauth` module).
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
    /// The token endpoint: `<auth_url>/oauth/token`.
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
    /// The first refresh token (it rotates on every refresh).
    pub refresh_token: String,
    /// The chosen site's cloud id.
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

/// How long one connection to the callback listener may take to send its request.
const CALLBACK_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Waits on `listener` for the browser's redirect to `/callback?code=…&state=…`;
/// answers it with a short page and returns the code. The `state` is checked first:
/// a callback with a wrong or missing state (stale, or forged by another page) is
/// answered 400 and ignored — it can neither end the login nor report an error — and
/// only a callback with the right state may carry the `error` that ends it. A
/// connection that sends nothing within 5 s is dropped; other requests (e.g.
/// `/favicon.ico`) are answered 404 and ignored.
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
            let n = match tokio::time::timeout(CALLBACK_READ_TIMEOUT, stream.read(&mut buf)).await {
                Ok(Ok(n)) => n,
                _ => continue,
            };
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
            let (status, page, outcome) = if get("state").as_deref() != Some(state) {
                tracing::warn!(
                    "OAuth callback with a wrong state ignored (a stale or forged redirect)"
                );
                (
                    "400 Bad Request",
                    "This answer does not belong to this login. You can close this tab.",
                    None,
                )
            } else if let Some(err) = get("error") {
                let why = get("error_description").unwrap_or_default();
                (
                    "400 Bad Request",
                    "Authorization was refused. You can close this tab.",
                    Some(Err(JiraError::Config {
                        detail: format!(
                            "the authorization was refused: {} {}",
                            printable(&err),
                            printable(&why)
                        ),
                    })),
                )
            } else if let Some(code) = get("code") {
                (
                    "200 OK",
                    "jira-index is authorized. You can close this tab.",
                    Some(Ok(code)),
                )
            } else {
                (
                    "400 Bad Request",
                    "No authorization code. You can close this tab.",
                    Some(Err(JiraError::Config {
                        detail: "OAuth callback without a code".into(),
                    })),
                )
            };
            // The page is one of the fixed texts above: nothing from the request is
            // echoed into it.
            let body = format!("<!doctype html><title>jira-index</title><p>{page}</p>");
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            if let Some(outcome) = outcome {
                return outcome;
            }
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

/// `text` as it may be shown on a terminal: control characters (escape sequences
/// included) escaped, at most 200 characters.
fn printable(text: &str) -> String {
    let escaped: String = text.chars().flat_map(char::escape_default).collect();
    escaped.chars().take(200).collect()
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

    async fn callback(addr: std::net::SocketAddr, query: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET /callback?{query} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out).await;
        out
    }

    #[tokio::test]
    async fn a_forged_or_stale_callback_cannot_end_the_login() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let waiting = tokio::spawn(async move {
            receive_code(&listener, "right-state", Duration::from_secs(30)).await
        });
        // A connection that sends nothing does not hold the listener.
        let _silent = tokio::net::TcpStream::connect(addr).await.unwrap();
        let forged = callback(addr, "error=access_denied&state=forged").await;
        assert!(forged.starts_with("HTTP/1.1 400"), "{forged}");
        let stateless = callback(addr, "error=access_denied").await;
        assert!(stateless.starts_with("HTTP/1.1 400"), "{stateless}");
        let ok = callback(addr, "code=the-code&state=right-state").await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        assert_eq!(waiting.await.unwrap().unwrap(), "the-code");
    }

    #[tokio::test]
    async fn a_refusal_is_reported_escaped_and_never_echoed_into_the_page() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let waiting =
            tokio::spawn(
                async move { receive_code(&listener, "st", Duration::from_secs(30)).await },
            );
        let page = callback(
            addr,
            "state=st&error=%1b%5b31mdenied%3cscript%3e&error_description=%0aspoofed",
        )
        .await;
        assert!(
            page.starts_with("HTTP/1.1 400") && !page.contains("script"),
            "{page}"
        );
        let err = waiting.await.unwrap().unwrap_err().to_string();
        assert!(!err.contains('\u{1b}') && !err.contains('\n'), "{err:?}");
        assert!(err.contains("\\u{1b}[31mdenied<script>"), "{err}");
    }
}

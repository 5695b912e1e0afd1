//! Credentials for Jira Cloud and the `Authorization` header they produce.
//!
//! Secrets never leave this module in readable form: `Debug` redacts them and the
//! header value is marked sensitive so that `reqwest`/`http` never print it.
//! The OAuth token exchange itself lives in `oauth`.

use std::sync::Arc;

use base64::Engine as _;
use reqwest::header::HeaderValue;

use crate::JiraError;

/// Atlassian's token endpoint for OAuth 2.0 (3LO).
pub const ATLASSIAN_TOKEN_URL: &str = "https://auth.atlassian.com/oauth/token";

/// How the client authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// API token (site admin or a service account): `Authorization: Basic base64(email:token)`.
    Basic {
        /// The Atlassian account's e-mail.
        email: String,
        /// The API token (a secret: never logged).
        api_token: String,
    },
    /// OAuth 2.0 (3LO): bearer access tokens obtained from a rotating refresh token.
    /// The base URL is then `https://api.atlassian.com/ex/jira/<cloudId>`.
    OAuth(OAuthCredentials),
}

/// Receives each new refresh token. Atlassian rotates refresh tokens: the old one is
/// invalid once used, so the new one must be stored before the process ends.
pub type RefreshTokenSink = Arc<dyn Fn(&str) + Send + Sync>;

/// OAuth 2.0 (3LO) client credentials and the current refresh token.
#[derive(Clone)]
pub struct OAuthCredentials {
    /// The OAuth app's client id.
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: String,
    /// The refresh token to start from (scope `offline_access`).
    pub refresh_token: String,
    /// Token endpoint; [`ATLASSIAN_TOKEN_URL`] unless testing.
    pub token_url: String,
    /// Called with every rotated refresh token; persist it.
    pub on_rotate: Option<RefreshTokenSink>,
}

impl OAuthCredentials {
    /// Credentials against Atlassian's token endpoint, without a rotation sink.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Self {
        OAuthCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            refresh_token: refresh_token.into(),
            token_url: ATLASSIAN_TOKEN_URL.to_string(),
            on_rotate: None,
        }
    }
}

impl PartialEq for OAuthCredentials {
    fn eq(&self, other: &Self) -> bool {
        self.client_id == other.client_id
            && self.client_secret == other.client_secret
            && self.refresh_token == other.refresh_token
            && self.token_url == other.token_url
    }
}

impl Eq for OAuthCredentials {}

impl std::fmt::Debug for OAuthCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("token_url", &self.token_url)
            .field("on_rotate", &self.on_rotate.is_some())
            .finish()
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { email, .. } => f
                .debug_struct("Basic")
                .field("email", email)
                .field("api_token", &"<redacted>")
                .finish(),
            Auth::OAuth(creds) => f.debug_tuple("OAuth").field(creds).finish(),
        }
    }
}

impl Auth {
    /// Basic auth from an account e-mail and an API token.
    pub fn basic(email: impl Into<String>, api_token: impl Into<String>) -> Self {
        Auth::Basic {
            email: email.into(),
            api_token: api_token.into(),
        }
    }

    /// The fixed `Authorization` header value (basic auth), marked sensitive;
    /// `None` for OAuth, whose header changes with each access token.
    pub(crate) fn header_value(&self) -> Result<Option<HeaderValue>, JiraError> {
        match self {
            Auth::OAuth(_) => Ok(None),
            Auth::Basic { email, api_token } => {
                let raw = format!("{email}:{api_token}");
                let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
                let mut v = HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| {
                    JiraError::Config {
                        detail: "the e-mail or API token contains characters not allowed in an HTTP header".into(),
                    }
                })?;
                v.set_sensitive(true);
                Ok(Some(v))
            }
        }
    }
}

/// `Bearer <token>`, marked sensitive.
pub(crate) fn bearer(token: &str) -> Result<HeaderValue, JiraError> {
    let mut v =
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| JiraError::Config {
            detail: "the OAuth access token contains characters not allowed in an HTTP header"
                .into(),
        })?;
    v.set_sensitive(true);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_api_token() {
        let auth = Auth::basic("admin@example.com", "SECRET-TOKEN-123");
        let shown = format!("{auth:?}");
        assert!(shown.contains("admin@example.com"), "{shown}");
        assert!(!shown.contains("SECRET-TOKEN-123"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        let pretty = format!("{auth:#?}");
        assert!(!pretty.contains("SECRET-TOKEN-123"), "{pretty}");
    }

    #[test]
    fn debug_redacts_oauth_secrets() {
        let auth = Auth::OAuth(OAuthCredentials::new(
            "client-1",
            "CLIENT-SECRET",
            "REFRESH-TOKEN",
        ));
        let shown = format!("{auth:?} {auth:#?}");
        assert!(shown.contains("client-1"), "{shown}");
        assert!(!shown.contains("CLIENT-SECRET"), "{shown}");
        assert!(!shown.contains("REFRESH-TOKEN"), "{shown}");
        assert!(bearer("abc").unwrap().is_sensitive());
    }

    #[test]
    fn basic_header_is_base64_of_email_colon_token_and_sensitive() {
        let v = Auth::basic("a@b.c", "tok").header_value().unwrap().unwrap();
        assert!(v.is_sensitive());
        // base64("a@b.c:tok")
        assert_eq!(v.to_str().unwrap(), "Basic YUBiLmM6dG9r");
        assert!(!format!("{v:?}").contains("YUBi"));
    }
}

//! The `[serve]` table: how `jira-index serve` listens, who may call it (API keys
//! stored as SHA-256 hashes, or a trusted proxy with a shared secret), how Jira's
//! webhooks are verified, and how often it syncs. Secrets are read from environment
//! variables named here, never written in the file.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// What an API key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Search and read issues as the key's own identity.
    Search,
    /// Search and read issues as any named person (enterprise search front ends
    /// that act for their logged-in employee).
    Impersonate,
    /// Status, run history, manual sync, the console, metrics of the index. Searching
    /// as someone else still needs `impersonate`, in the console too.
    Admin,
    /// `GET /metrics` only (a Prometheus scraper).
    Metrics,
}

/// One API key. The key itself is never stored: `sha256` is the hex SHA-256 of it
/// (`jira-index api-key new` prints both).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// A name for logs and the admin console (never the key).
    pub name: String,
    /// Lowercase hex SHA-256 of the key.
    pub sha256: String,
    /// The person the key searches as when a request names nobody.
    #[serde(default)]
    pub email: Option<String>,
    /// What the key may do (default: `search`).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<Scope>,
}

fn default_scopes() -> Vec<Scope> {
    vec![Scope::Search]
}

/// A reverse proxy that authenticates employees (SSO) and passes their email on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustedProxyConfig {
    /// Header carrying the employee's email.
    #[serde(default = "default_email_header")]
    pub email_header: String,
    /// Header carrying the shared secret.
    #[serde(default = "default_secret_header")]
    pub secret_header: String,
    /// Environment variable holding the shared secret.
    pub secret_env: String,
}

fn default_email_header() -> String {
    "x-forwarded-email".into()
}
fn default_secret_header() -> String {
    "x-proxy-secret".into()
}

/// The `[serve]` table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Address to listen on.
    pub listen: String,
    /// Minutes between scheduled syncs; 0 turns the schedule off.
    pub sync_interval_minutes: u64,
    /// Whether `GET /metrics` answers without credentials (counters only, no
    /// content). Default false: a key with the `metrics` (or `admin`) scope.
    pub metrics_public: bool,
    /// Environment variable holding the secret of Jira's webhook; without it,
    /// `POST /webhooks/jira` is refused (unverified webhooks are never applied).
    pub webhook_secret_env: Option<String>,
    /// The API keys callers authenticate with.
    pub api_keys: Vec<ApiKeyConfig>,
    /// A reverse proxy trusted to name the employee (SSO in front of the server).
    pub trusted_proxy: Option<TrustedProxyConfig>,
    /// The URL people and proxies reach this server at (e.g.
    /// `https://search.example.com`): an https URL makes the console's cookie
    /// `Secure`.
    pub public_url: Option<String>,
    /// More `Host` names `/mcp` answers to, beside loopback, the `listen` host and
    /// the `public_url` host (e.g. `["search.internal:8443"]`).
    pub mcp_allowed_hosts: Vec<String>,
    /// Seconds a client has to send its request headers before it is dropped.
    pub header_read_timeout_secs: u64,
    /// Seconds a request body may take to arrive, and an answer to be ready (then 408).
    pub request_timeout_secs: u64,
    /// Open connections at most; more are closed at once.
    pub max_connections: usize,
    /// Requests in progress at most; more wait their turn.
    pub max_concurrent_requests: usize,
    /// Largest request body accepted (then 413).
    pub max_body_bytes: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            sync_interval_minutes: 60,
            metrics_public: false,
            webhook_secret_env: None,
            api_keys: Vec::new(),
            trusted_proxy: None,
            public_url: None,
            mcp_allowed_hosts: Vec::new(),
            header_read_timeout_secs: 10,
            request_timeout_secs: 60,
            max_connections: 1024,
            max_concurrent_requests: 256,
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

impl ServeConfig {
    /// Checks the table; the error names the bad field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::new(
                "serve.listen",
                format!("{:?} is not an address and port", self.listen),
            )
            .fix("e.g. \"127.0.0.1:8080\""));
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConfigError::new(
                "serve.public_url",
                format!("{url:?} is not an http(s) URL"),
            )
            .fix("e.g. \"https://search.example.com\""));
        }
        let mut names = std::collections::HashSet::new();
        for (i, key) in self.api_keys.iter().enumerate() {
            let at = format!("serve.api_keys[{i}]");
            let named =
                |problem: &str| ConfigError::new(at.clone(), format!("({:?}) {problem}", key.name));
            if key.name.trim().is_empty() {
                return Err(ConfigError::new(at, "name is empty"));
            }
            if !names.insert(key.name.as_str()) {
                return Err(named("the name is used twice"));
            }
            let hex_ok = key.sha256.len() == 64
                && key
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex_ok {
                return Err(named(
                    "sha256 must be 64 lowercase hex digits (the hash of the key, never the key)",
                )
                .fix("`jira-index api-key new` prints it"));
            }
            if key.scopes.is_empty() {
                return Err(named("scopes is empty"));
            }
            if key.email.as_deref().is_none_or(|e| !e.contains('@'))
                && !key.scopes.contains(&Scope::Impersonate)
                && key.scopes.contains(&Scope::Search)
            {
                return Err(named(
                    "a search key needs an email (the person it searches as) or the impersonate scope",
                ));
            }
        }
        if let Some(p) = &self.trusted_proxy {
            if p.secret_env.trim().is_empty() {
                return Err(ConfigError::new(
                    "serve.trusted_proxy.secret_env",
                    "is empty",
                ));
            }
            for (field, value) in [
                ("email_header", &p.email_header),
                ("secret_header", &p.secret_header),
            ] {
                if axum_header_name_ok(value) {
                    continue;
                }
                return Err(ConfigError::new(
                    format!("serve.trusted_proxy.{field}"),
                    format!("{value:?} is not a valid header name"),
                )
                .fix("lowercase letters, digits and -"));
            }
        }
        if self
            .webhook_secret_env
            .as_deref()
            .is_some_and(|v| v.trim().is_empty())
        {
            return Err(ConfigError::new("serve.webhook_secret_env", "is empty"));
        }
        Ok(())
    }

    /// The trusted proxy's secret, from its environment variable.
    pub fn proxy_secret(&self) -> Result<Option<String>, ConfigError> {
        let Some(p) = &self.trusted_proxy else {
            return Ok(None);
        };
        secret_from_env("serve.trusted_proxy.secret_env", &p.secret_env).map(Some)
    }

    /// The webhook secret, from its environment variable.
    pub fn webhook_secret(&self) -> Result<Option<String>, ConfigError> {
        match &self.webhook_secret_env {
            None => Ok(None),
            Some(var) => secret_from_env("serve.webhook_secret_env", var).map(Some),
        }
    }
}

fn secret_from_env(field: &str, var: &str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if v.len() >= 16 => Ok(v),
        Ok(_) => Err(ConfigError::new(
            field,
            format!("{var:?}: the secret is shorter than 16 characters"),
        )),
        Err(_) => Err(ConfigError::new(
            field,
            format!("{var:?}: the environment variable {var} is not set"),
        )),
    }
}

/// Header names: lowercase token characters (RFC 9110), as HTTP/2 requires.
fn axum_header_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.!#$%&'*+^`|~".contains(&b)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(scopes: Vec<Scope>, email: Option<&str>) -> ApiKeyConfig {
        ApiKeyConfig {
            name: "k".into(),
            sha256: "a".repeat(64),
            email: email.map(str::to_string),
            scopes,
        }
    }

    #[test]
    fn defaults_are_valid() {
        ServeConfig::default().validate().unwrap();
    }

    #[test]
    fn bad_keys_are_named() {
        let mut cfg = ServeConfig {
            api_keys: vec![ApiKeyConfig {
                sha256: "not-a-hash".into(),
                ..key(vec![Scope::Search], Some("a@example.com"))
            }],
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().to_string().contains("sha256"));
        cfg.api_keys = vec![key(vec![Scope::Search], None)];
        assert!(
            cfg.validate()
                .unwrap_err()
                .to_string()
                .contains("needs an email")
        );
        cfg.api_keys = vec![key(vec![Scope::Impersonate], None)];
        cfg.validate().unwrap();
        cfg.api_keys = vec![key(vec![Scope::Admin], None), key(vec![Scope::Admin], None)];
        assert!(cfg.validate().unwrap_err().to_string().contains("twice"));
        cfg.api_keys.clear();
        cfg.listen = "localhost".into();
        assert!(
            cfg.validate()
                .unwrap_err()
                .to_string()
                .contains("serve.listen")
        );
    }

    #[test]
    fn proxy_header_names_checked() {
        let cfg = ServeConfig {
            trusted_proxy: Some(TrustedProxyConfig {
                email_header: "X Email".into(),
                secret_header: default_secret_header(),
                secret_env: "S".into(),
            }),
            ..Default::default()
        };
        assert!(
            cfg.validate()
                .unwrap_err()
                .to_string()
                .contains("email_header")
        );
    }
}

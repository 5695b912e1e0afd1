//! The OAuth token file: the current (rotating) refresh token and the site's cloud id.
//! Written atomically and owner-only before a new refresh token is ever used, so a
//! crash between a refresh and its use cannot lock the connector out; read at the
//! start of every run. Its `Debug` never shows the token.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::SyncError;
use config::{Config, ConfigError, FileError, OAuthAppConfig, read_json, write_json_atomic};

/// What `jira-index auth login` stores and every refresh updates.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OAuthTokenFile {
    /// The current refresh token (rotated on every use).
    pub refresh_token: String,
    /// The site's cloud id (`/ex/jira/{cloudId}`).
    pub cloud_id: String,
    /// The site's URL.
    pub site_url: String,
    /// When the refresh token was last rotated (epoch ms).
    pub updated_ms: i64,
}

impl std::fmt::Debug for OAuthTokenFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthTokenFile")
            .field("refresh_token", &"<redacted>")
            .field("cloud_id", &self.cloud_id)
            .field("site_url", &self.site_url)
            .field("updated_ms", &self.updated_ms)
            .finish()
    }
}

/// Reads the token file; a missing file says how to create it.
pub fn read_token_file(path: &Path) -> Result<OAuthTokenFile, SyncError> {
    read_json(path)?.ok_or_else(|| {
        SyncError::Config(
            ConfigError::new(
                "jira.oauth.token_file",
                format!("{}: no OAuth token yet", path.display()),
            )
            .fix("run `jira-index auth login` once"),
        )
    })
}

/// Where the OAuth app's authorize, token and API requests go.
pub fn oauth_endpoints(app: &OAuthAppConfig) -> jira_cloud::login::OAuthEndpoints {
    jira_cloud::login::OAuthEndpoints {
        auth_url: app.auth_url.clone(),
        api_url: app.api_url.clone(),
    }
}

/// Writes the token file atomically (temp file, fsync, rename), owner-only.
pub fn write_token_file(path: &Path, file: &OAuthTokenFile) -> Result<(), SyncError> {
    Ok(write_json_atomic(path, file)?)
}

/// A sink for the client's rotated refresh tokens: each is written to the token file
/// before the client goes on. A failed write is logged as an error (the token is not).
pub fn rotation_sink(path: &Path, current: OAuthTokenFile) -> jira_cloud::RefreshTokenSink {
    let path = path.to_path_buf();
    let state = std::sync::Mutex::new(current);
    Arc::new(move |token: &str| {
        let mut file = state.lock().unwrap_or_else(|e| e.into_inner());
        file.refresh_token = token.to_string();
        file.updated_ms = crate::clock::now_ms();
        if let Err(e) = write_token_file(&path, &file) {
            tracing::error!(path = %path.display(), error = %e, "could not store the rotated OAuth refresh token; run `jira-index auth login` again if the next run is refused");
        }
    })
}

/// `jira-index auth login`: listens on the callback port, hands the authorize URL to
/// `show_url` (the CLI prints it), waits for the browser's redirect, exchanges the code,
/// finds the site's cloud id and writes the token file. Returns what it wrote.
pub async fn login(
    cfg: &Config,
    show_url: impl FnOnce(&str),
    timeout: std::time::Duration,
) -> Result<OAuthTokenFile, SyncError> {
    use jira_cloud::login::{authorize_url, exchange_code, receive_code};
    let app = cfg.jira.oauth.as_ref().ok_or_else(|| {
        ConfigError::new("jira.oauth", "is not configured")
            .fix("add a [jira.oauth] table with client_id and client_secret_env")
    })?;
    let secret = app.client_secret()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", app.callback_port))
        .await
        .map_err(|source| FileError::Io {
            path: format!("127.0.0.1:{} (OAuth callback)", app.callback_port),
            source,
        })?;
    let port = listener
        .local_addr()
        .map_err(|source| FileError::Io {
            path: "OAuth callback listener".into(),
            source,
        })?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let state = format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    );
    let endpoints = oauth_endpoints(app);
    show_url(&authorize_url(
        &endpoints,
        &app.client_id,
        &redirect_uri,
        &state,
    ));
    let code = receive_code(&listener, &state, timeout)
        .await
        .map_err(|e| SyncError::jira("waiting for the OAuth callback", e))?;
    let result = exchange_code(
        &endpoints,
        &app.client_id,
        &secret,
        &code,
        &redirect_uri,
        cfg.jira.base_url.trim_end_matches('/'),
    )
    .await
    .map_err(|e| SyncError::jira("exchanging the OAuth code", e))?;
    let file = OAuthTokenFile {
        refresh_token: result.refresh_token,
        cloud_id: result.cloud_id,
        site_url: result.site_url,
        updated_ms: crate::clock::now_ms(),
    };
    write_token_file(&app.token_file, &file)?;
    tracing::info!(cloud_id = %file.cloud_id, path = %app.token_file.display(), "OAuth login stored");
    Ok(file)
}

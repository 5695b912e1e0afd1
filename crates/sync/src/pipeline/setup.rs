//! Setting a run up from the config: the Jira client, the embedder, the data
//! directory's permissions, the repair of an interrupted write, and the fingerprint
//! of the settings that shape chunks.

use std::sync::Arc;

use config::{Config, DataDir};
use index::{Embedder, SearchIndex};
use jira_cloud::{Auth, ClientConfig, JiraClient, OAuthCredentials};
use state::StateStore;

use crate::error::SyncError;

/// Builds the Jira client from the config: email + API token against the site URL,
/// or OAuth through `api.atlassian.com/ex/jira/{cloudId}` with the token file's
/// refresh token (every rotation is written back before it is used).
pub fn jira_client(cfg: &Config) -> Result<JiraClient, SyncError> {
    let (base, auth) = match &cfg.jira.oauth {
        None => (
            cfg.jira.base_url.trim_end_matches('/').to_string(),
            Auth::Basic {
                email: cfg.jira.email.clone(),
                api_token: cfg.api_token()?,
            },
        ),
        Some(app) => {
            let tokens = crate::credentials::read_token_file(&app.token_file)?;
            let endpoints = crate::credentials::oauth_endpoints(app);
            let creds = OAuthCredentials {
                token_url: endpoints.token_url(),
                on_rotate: Some(crate::credentials::rotation_sink(
                    &app.token_file,
                    tokens.clone(),
                )),
                ..OAuthCredentials::new(
                    app.client_id.clone(),
                    app.client_secret()?,
                    tokens.refresh_token.clone(),
                )
            };
            (
                endpoints.site_api_base(&tokens.cloud_id),
                Auth::OAuth(creds),
            )
        }
    };
    let mut client_cfg = ClientConfig::new(base, auth);
    client_cfg.page_size = cfg.jira.page_size as usize;
    client_cfg.max_concurrency = cfg.jira.max_concurrency;
    client_cfg.rate_limit.max_per_sec = cfg.jira.max_requests_per_sec;
    client_cfg.rate_limit.initial_per_sec = client_cfg
        .rate_limit
        .initial_per_sec
        .min(cfg.jira.max_requests_per_sec);
    JiraClient::new(client_cfg).map_err(|e| SyncError::jira("creating the client", e))
}

/// Loads the embedder named by the config (fetching the model once into the cache),
/// or `None` when embedding is disabled. Blocking: call outside async code.
pub fn load_embedder(cfg: &Config) -> Result<Option<Arc<Embedder>>, SyncError> {
    if !cfg.embedding.enabled {
        return Ok(None);
    }
    let cache = cfg
        .embedding
        .cache_dir
        .clone()
        .unwrap_or_else(index::default_cache_dir);
    let assets = index::ensure_model(&cache, cfg.embedding.model)?;
    let options = index::EmbedderOptions {
        device: cfg.embedding.device,
        ..Default::default()
    };
    let embedder = Embedder::load_with(&assets, options)?;
    tracing::info!(
        model = %embedder.model(),
        device = %embedder.device(),
        "embedder ready"
    );
    Ok(Some(Arc::new(embedder)))
}

/// Issues the index removed while repairing an interrupted write are forgotten in
/// the state, so this run fetches and indexes them again.
pub(crate) fn forget_recovered(index: &SearchIndex, store: &StateStore) -> Result<(), SyncError> {
    let recovered = index.recovered_issues()?;
    if recovered.is_empty() {
        return Ok(());
    }
    store.remove_issues(&recovered)?;
    index.clear_recovered()?;
    tracing::warn!(
        issues = recovered.len(),
        "issues half-written by an interrupted run are indexed again"
    );
    Ok(())
}

/// Makes the data directory owner-only, saying how many entries were loosened.
pub fn secure_data_dir(data: &DataDir) -> Result<(), SyncError> {
    let fixed = data.secure()?;
    if fixed > 0 {
        tracing::warn!(
            dir = %data.root().display(),
            fixed,
            "the data directory was readable by others: made owner-only (directories 0700, files 0600)"
        );
    }
    Ok(())
}

/// Hash of the settings that shape chunks: checkpoints made under other settings are
/// not used.
pub(crate) fn settings_fingerprint(cfg: &Config, fields: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::json!({
        "indexing": cfg.indexing,
        "chunking": cfg.chunking,
        "embedding": cfg.embedding.enabled,
        "model": cfg.embedding.enabled.then_some(cfg.embedding.model),
        "fields": fields,
    })
    .to_string();
    hex::encode(Sha256::digest(text.as_bytes()))
}

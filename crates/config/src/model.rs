//! The configuration file's model (`jira-index.toml`): what site to read, where to
//! keep the index, what to sync and how to index it, each table with its defaults.
//! Loading and validation are in `load`. Secrets never show in `Debug` output.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// The whole configuration file.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The Jira Cloud site and the account the connector reads it with.
    pub jira: JiraConfig,
    /// Where the index and the sync state live.
    #[serde(default)]
    pub data: DataConfig,
    /// The embedding model used for vector search.
    #[serde(default)]
    pub embedding: EmbeddingConfig,
    /// How text is cut into chunks.
    #[serde(default)]
    pub chunking: ChunkingConfig,
    /// How search callers (by email) are matched to Jira accounts.
    #[serde(default)]
    pub identity: IdentityConfig,
    /// What is fetched from Jira.
    #[serde(default)]
    pub filters: SyncFilters,
    /// What of the fetched issues is indexed: issue text, comments, attachments.
    #[serde(default)]
    pub indexing: IndexingConfig,
    /// Where vectors live: embedded (default) or a Qdrant server / cluster.
    #[serde(default)]
    pub vectors: VectorsConfig,
    /// Where the whole index lives: the data directory (default) or a Qdrant cluster.
    #[serde(default)]
    pub index: crate::scale::IndexConfig,
    /// Where the sync state lives: SQLite in the data directory (default) or PostgreSQL.
    #[serde(default)]
    pub state: crate::scale::StateConfig,
    /// The long-running server: listen address, API keys, webhooks, schedule.
    #[serde(default)]
    pub serve: crate::serve::ServeConfig,
    /// The file this config was read from (not a key of the file): where the admin
    /// console saves the settings it changes.
    #[serde(skip)]
    #[schemars(skip)]
    pub source: Option<PathBuf>,
}

/// The vector store. Without `qdrant`, vectors live in the data directory
/// (qdrant-edge); with it, in a Qdrant server or cluster (the keyword index and the
/// sync state stay in the data directory).
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VectorsConfig {
    /// The Qdrant server or cluster (absent: vectors embedded in the data directory).
    #[serde(default)]
    pub qdrant: Option<index::QdrantServerConfig>,
    /// Name of the environment variable holding the Qdrant API key (preferred over
    /// `qdrant.api_key`).
    #[serde(default)]
    pub qdrant_api_key_env: Option<String>,
}

impl VectorsConfig {
    /// The server config with the API key resolved, when a server is configured.
    pub fn server(&self) -> Result<Option<index::QdrantServerConfig>, ConfigError> {
        let Some(cfg) = &self.qdrant else {
            return Ok(None);
        };
        let mut cfg = cfg.clone();
        if let Some(var) = &self.qdrant_api_key_env {
            cfg.api_key = Some(std::env::var(var).map_err(|_| {
                ConfigError::new(
                    "vectors.qdrant_api_key_env",
                    format!("{var:?}: the environment variable {var} is not set"),
                )
            })?);
        }
        Ok(Some(cfg))
    }
}

/// The Jira site and the connector's credentials.
#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JiraConfig {
    /// Site URL, e.g. `https://example.atlassian.net` (no trailing `/rest/...`).
    pub base_url: String,
    /// Email of the account the connector reads the site with (API-token auth).
    #[serde(default)]
    pub email: String,
    /// Name of the environment variable holding the API token (preferred).
    #[serde(default)]
    pub api_token_env: Option<String>,
    /// The API token itself. Only for local simulators: prefer `api_token_env`.
    #[serde(default)]
    pub api_token: Option<String>,
    /// Issues fetched per `search/jql` page (at most 100 with content fields).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Ceiling of the request rate to the site (requests/s). The client starts at 20/s,
    /// grows while Jira answers well, halves on a 429 and follows the quota Jira's
    /// rate-limit headers report; this caps how far it grows.
    #[serde(default = "default_max_rate")]
    pub max_requests_per_sec: f64,
    /// Requests in flight at once.
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: usize,
    /// OAuth 2.0 (3LO) instead of email + API token; see `jira-index auth login`.
    #[serde(default)]
    pub oauth: Option<OAuthAppConfig>,
}

/// An OAuth 2.0 (3LO) app registered in the Atlassian developer console.
#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthAppConfig {
    /// The app's client id.
    pub client_id: String,
    /// Name of the environment variable holding the client secret (preferred).
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// The client secret itself. Only for local simulators.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Where the rotating refresh token and the cloud id are kept (written atomically,
    /// mode 0600), relative to the config file.
    #[serde(default = "default_token_file")]
    pub token_file: PathBuf,
    /// Loopback port of the login callback; the app's callback URL must be
    /// `http://127.0.0.1:<port>/callback`.
    #[serde(default = "default_callback_port")]
    pub callback_port: u16,
    /// `https://auth.atlassian.com` (override only for a simulator).
    #[serde(default = "default_auth_url")]
    pub auth_url: String,
    /// `https://api.atlassian.com` (override only for a simulator).
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

impl std::fmt::Debug for OAuthAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthAppConfig")
            .field("client_id", &self.client_id)
            .field("client_secret_env", &self.client_secret_env)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("token_file", &self.token_file)
            .field("callback_port", &self.callback_port)
            .field("auth_url", &self.auth_url)
            .field("api_url", &self.api_url)
            .finish()
    }
}

impl OAuthAppConfig {
    /// The client secret, from the environment variable or the literal.
    pub fn client_secret(&self) -> Result<String, ConfigError> {
        if let Some(var) = &self.client_secret_env {
            return std::env::var(var).map_err(|_| {
                ConfigError::new(
                    "jira.oauth.client_secret_env",
                    format!("{var:?}: the environment variable {var} is not set"),
                )
            });
        }
        self.client_secret.clone().ok_or_else(|| {
            ConfigError::new("jira.oauth", "no client secret").fix(
                "set client_secret_env (the name of an environment variable holding the client secret)",
            )
        })
    }
}

fn default_token_file() -> PathBuf {
    PathBuf::from("jira-index-oauth.json")
}
fn default_callback_port() -> u16 {
    8765
}
fn default_auth_url() -> String {
    "https://auth.atlassian.com".into()
}
fn default_api_url() -> String {
    "https://api.atlassian.com".into()
}

impl std::fmt::Debug for JiraConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraConfig")
            .field("base_url", &self.base_url)
            .field("email", &self.email)
            .field("api_token_env", &self.api_token_env)
            .field("api_token", &self.api_token.as_ref().map(|_| "<redacted>"))
            .field("page_size", &self.page_size)
            .field("max_requests_per_sec", &self.max_requests_per_sec)
            .field("max_concurrency", &self.max_concurrency)
            .field("oauth", &self.oauth)
            .finish()
    }
}

fn default_max_rate() -> f64 {
    100.0
}

fn default_max_concurrency() -> usize {
    8
}

fn default_page_size() -> u32 {
    100
}

/// Where data is kept.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// Directory of the index and the sync state, relative to the config file.
    #[serde(default = "default_data_dir")]
    pub dir: PathBuf,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            dir: default_data_dir(),
        }
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("jira-index-data")
}

/// The embedding model.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingConfig {
    /// `false` gives a keyword-only index (no model needed, much faster sync).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Where the model and ONNX Runtime are cached (default: `$JIRA_INDEX_CACHE` or
    /// `~/.cache/jira-index`).
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// The model (`minilm-l6-v2-qint8`, the default; `minilm-l6-v2-int8-weights`;
    /// `potion-base-8m`, a static model, much faster and less precise). Changing it
    /// re-embeds every chunk at the next sync; `preview` says what that costs.
    #[serde(default)]
    pub model: index::EmbeddingModel,
    /// Where an ONNX model runs: `cpu` (default) or `cuda` (ONNX Runtime's CUDA
    /// execution provider; the CPU, with a warning, when CUDA cannot be used).
    #[serde(default)]
    pub device: index::Device,
}

impl Default for EmbeddingConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            cache_dir: None,
            model: Default::default(),
            device: Default::default(),
        }
    }
}

fn yes() -> bool {
    true
}

/// Chunking parameters, in tokens of the embedding model's tokenizer.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChunkingConfig {
    /// Largest chunk, in tokens.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    /// Tokens repeated between consecutive chunks.
    #[serde(default = "default_overlap")]
    pub overlap_tokens: usize,
}

impl Default for ChunkingConfig {
    fn default() -> Self {
        Self {
            max_tokens: default_max_tokens(),
            overlap_tokens: default_overlap(),
        }
    }
}

fn default_max_tokens() -> usize {
    256
}
fn default_overlap() -> usize {
    32
}

/// Identity matching of search callers, and how often identity is read in full.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// A TOML file mapping emails that Jira hides to account ids
    /// (`"ana@example.com" = "5b10ac8d..."`), relative to the config file.
    #[serde(default)]
    pub email_mapping_file: Option<PathBuf>,
    /// Group members, project roles, permission grants and security levels are re-read
    /// in full at least this often (minutes); between full reads a run re-reads only
    /// users, groups, projects and application roles, and reads the rest again when
    /// the audit log names a change (or cannot be read). 0: in full every run.
    #[serde(default = "default_identity_refresh")]
    pub full_refresh_minutes: u64,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            email_mapping_file: None,
            full_refresh_minutes: default_identity_refresh(),
        }
    }
}

fn default_identity_refresh() -> u64 {
    60
}

/// What is fetched from Jira. Empty lists mean "all projects".
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncFilters {
    /// Only these project keys (empty: all).
    #[serde(default)]
    pub projects_in: Vec<String>,
    /// Never these project keys.
    #[serde(default)]
    pub projects_not_in: Vec<String>,
    /// Only issues created on or after this day (`"yyyy-MM-dd"`, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_from: Option<String>,
    /// Only issues created before this day (`"yyyy-MM-dd"`, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_before: Option<String>,
    /// Only issues updated on or after this day (`"yyyy-MM-dd"`, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_from: Option<String>,
}

/// What of each synced issue is indexed. Issues themselves are always tracked (for
/// deletions and permissions); these switches decide which texts become chunks.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IndexingConfig {
    /// Summary and description.
    pub issues: bool,
    /// Comments (each with its own visibility restriction).
    pub comments: bool,
    /// Attachment text. Off: attachments are not indexed at all, not even by name.
    pub attachments: bool,
    /// Attachments larger than this (as declared by Jira, and checked while reading)
    /// are indexed by name and not downloaded. Default 50 MiB.
    pub attachment_max_bytes: u64,
    /// File name extensions whose text is extracted (e.g. `["pdf", "docx", "txt"]`);
    /// empty means every type. Other attachments are indexed by name only and not
    /// downloaded. The extracted format itself is always sniffed from the bytes.
    pub attachment_types: Vec<String>,
}

impl Default for IndexingConfig {
    fn default() -> Self {
        Self {
            issues: true,
            comments: true,
            attachments: true,
            attachment_max_bytes: 50 * 1024 * 1024,
            attachment_types: Vec::new(),
        }
    }
}

impl IndexingConfig {
    /// Whether an attachment's text should be downloaded and extracted, or why not.
    pub fn download_decision(
        &self,
        file_name: &str,
        declared_size: u64,
    ) -> Result<(), NotDownloaded> {
        if declared_size > self.attachment_max_bytes {
            return Err(NotDownloaded::TooLarge {
                size: declared_size,
                max: self.attachment_max_bytes,
            });
        }
        if !self.attachment_types.is_empty() {
            let ext = file_name
                .rsplit_once('.')
                .map(|(_, e)| e.to_ascii_lowercase())
                .unwrap_or_default();
            if !self
                .attachment_types
                .iter()
                .any(|t| t.trim_start_matches('.').eq_ignore_ascii_case(&ext))
            {
                return Err(NotDownloaded::TypeNotListed { extension: ext });
            }
        }
        Ok(())
    }
}

/// Why an attachment is indexed by name only, without downloading it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotDownloaded {
    /// Jira declares it larger than `indexing.attachment_max_bytes`.
    #[error("{size} bytes, over indexing.attachment_max_bytes ({max}): indexed by name only")]
    TooLarge {
        /// The declared size in bytes.
        size: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// Its extension is not in `indexing.attachment_types`.
    #[error("type {extension:?} is not in indexing.attachment_types: indexed by name only")]
    TypeNotListed {
        /// The file name's extension, lowercase (empty when it has none).
        extension: String,
    },
}

impl SyncFilters {
    /// Whether a project key passes the filters.
    pub fn allows_project(&self, key: &str) -> bool {
        let listed = |list: &[String]| list.iter().any(|k| k.eq_ignore_ascii_case(key));
        (self.projects_in.is_empty() || listed(&self.projects_in)) && !listed(&self.projects_not_in)
    }

    /// The JQL clauses of the date ranges (each starting with ` AND `), empty when none.
    pub fn date_clauses(&self) -> String {
        let mut out = String::new();
        for (field, op, day) in [
            ("created", ">=", &self.created_from),
            ("created", "<", &self.created_before),
            ("updated", ">=", &self.updated_from),
        ] {
            if let Some(day) = day {
                out.push_str(&format!(" AND {field} {op} \"{day}\""));
            }
        }
        out
    }
}

//! The tables of a distributed deployment: `[index]` (where the whole index lives:
//! the data directory, or one Qdrant collection on a server or cluster) and
//! `[state]` (where the sync state lives: SQLite in the data directory, or
//! PostgreSQL shared by the sync worker and the search replicas).

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// Where the index lives.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IndexBackend {
    /// tantivy (BM25) and qdrant-edge (vectors) in the data directory; the vectors
    /// alone may move to `[vectors.qdrant]`.
    #[default]
    Local,
    /// One collection on the Qdrant server or cluster of `[index.qdrant]` holds each
    /// chunk's dense vector, BM25 sparse vector, text and ACL tags: search replicas
    /// need no local index.
    Qdrant,
}

/// The `[index]` table.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexConfig {
    /// `local` (default) or `qdrant`.
    #[serde(default)]
    pub backend: IndexBackend,
    /// The Qdrant server or cluster of the `qdrant` backend.
    #[serde(default)]
    pub qdrant: Option<index::QdrantServerConfig>,
    /// Name of the environment variable holding the Qdrant API key (preferred over
    /// `qdrant.api_key`).
    #[serde(default)]
    pub qdrant_api_key_env: Option<String>,
}

impl IndexConfig {
    /// The server config of the `qdrant` backend with its API key resolved; `None`
    /// for the local backend.
    pub fn server(&self) -> Result<Option<index::QdrantServerConfig>, ConfigError> {
        if self.backend != IndexBackend::Qdrant {
            return Ok(None);
        }
        let Some(cfg) = &self.qdrant else {
            return Err(ConfigError::new("index.qdrant", "is missing")
                .fix("backend = \"qdrant\" needs [index.qdrant] with the server's url"));
        };
        let mut cfg = cfg.clone();
        if let Some(var) = &self.qdrant_api_key_env {
            cfg.api_key = Some(std::env::var(var).map_err(|_| {
                ConfigError::new(
                    "index.qdrant_api_key_env",
                    format!("{var:?}: the environment variable {var} is not set"),
                )
            })?);
        }
        Ok(Some(cfg))
    }

    /// Checks the table.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match (self.backend, &self.qdrant) {
            (IndexBackend::Qdrant, None) => Err(ConfigError::new("index.qdrant", "is missing")
                .fix("backend = \"qdrant\" needs [index.qdrant] with the server's url")),
            (IndexBackend::Qdrant, Some(q)) => q
                .validate()
                .map_err(|e| ConfigError::new("index.qdrant", e.to_string())),
            (IndexBackend::Local, Some(_)) => Err(ConfigError::new(
                "index.qdrant",
                "is set but index.backend is \"local\"",
            )
            .fix("set backend = \"qdrant\", or move the server to [vectors.qdrant] to keep only the vectors there")),
            (IndexBackend::Local, None) => Ok(()),
        }
    }
}

/// The `[state]` table.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    /// PostgreSQL URL without a password, e.g.
    /// `postgres://jira_index@db.internal:5432/jira_index` (default: SQLite `state.db`
    /// in the data directory).
    #[serde(default)]
    pub url: Option<String>,
    /// Name of the environment variable holding the database password.
    #[serde(default)]
    pub password_env: Option<String>,
}

impl StateConfig {
    /// Checks the table: a `postgres://` URL, and no password written in it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let Some(url) = &self.url else {
            if self.password_env.is_some() {
                return Err(ConfigError::new(
                    "state.password_env",
                    "is set without state.url",
                ));
            }
            return Ok(());
        };
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(|| {
                ConfigError::new("state.url", format!("{url:?} is not a postgres:// URL"))
                    .fix("e.g. \"postgres://jira_index@127.0.0.1:5432/jira_index\"")
            })?;
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
        {
            return Err(ConfigError::new("state.url", "holds a password").fix(
                "remove it from the URL and name an environment variable in state.password_env",
            ));
        }
        Ok(())
    }

    /// The password from `password_env`, when one is named.
    pub fn password(&self) -> Result<Option<String>, ConfigError> {
        match &self.password_env {
            None => Ok(None),
            Some(var) => std::env::var(var).map(Some).map_err(|_| {
                ConfigError::new(
                    "state.password_env",
                    format!("{var:?}: the environment variable {var} is not set"),
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qdrant_backend_needs_its_server_and_a_state_url_no_password() {
        let mut index = IndexConfig {
            backend: IndexBackend::Qdrant,
            ..Default::default()
        };
        assert_eq!(index.validate().unwrap_err().key, "index.qdrant");
        index.qdrant = Some(index::QdrantServerConfig::new("http://127.0.0.1:6334"));
        index.validate().unwrap();
        assert!(index.server().unwrap().is_some());
        index.backend = IndexBackend::Local;
        assert!(index.validate().is_err());

        let ok = StateConfig {
            url: Some("postgres://jira@db:5432/jira".into()),
            password_env: Some("PGPASSWORD".into()),
        };
        ok.validate().unwrap();
        for bad in ["mysql://db/x", "postgres://jira:secret@db/jira"] {
            let cfg = StateConfig {
                url: Some(bad.into()),
                password_env: None,
            };
            assert_eq!(cfg.validate().unwrap_err().key, "state.url", "{bad}");
        }
    }
}

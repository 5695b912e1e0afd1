//! Loading and validating the config file: serde first (unknown keys are errors),
//! then the checks serde cannot make (URLs, ranges, credentials present). Every error
//! is a [`ConfigError`] naming the key and, where one thing can be said, the fix.

use std::path::Path;

use crate::error::ConfigError;
use crate::model::{Config, SyncFilters};

impl Config {
    /// Reads, parses and validates a config file; relative paths in it are resolved
    /// against the file's directory. An error's key starts with the file's path.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let at = |e: ConfigError| ConfigError {
            key: format!("{}: {}", path.display(), e.key),
            ..e
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(path.display().to_string(), format!("cannot read: {e}"))
        })?;
        let mut cfg = Self::parse(&text).map_err(at)?;
        let base = path.parent().unwrap_or(Path::new("."));
        if cfg.data.dir.is_relative() {
            cfg.data.dir = base.join(&cfg.data.dir);
        }
        if let Some(f) = cfg.identity.email_mapping_file.as_mut()
            && f.is_relative()
        {
            *f = base.join(&*f);
        }
        if let Some(app) = cfg.jira.oauth.as_mut()
            && app.token_file.is_relative()
        {
            app.token_file = base.join(&app.token_file);
        }
        cfg.source = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Parses and validates config text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let cfg: Config =
            toml::from_str(text).map_err(|e| ConfigError::new("config", e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks values serde cannot: URLs, ranges, credentials present.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_jira()?;
        if let Some(q) = &self.vectors.qdrant {
            q.validate()
                .map_err(|e| ConfigError::new("vectors.qdrant", e.to_string()))?;
        }
        self.validate_indexing()?;
        self.index.validate()?;
        if self.index.backend == crate::IndexBackend::Qdrant && self.vectors.qdrant.is_some() {
            return Err(ConfigError::new(
                "vectors.qdrant",
                "is set with index.backend = \"qdrant\", which keeps the vectors in [index.qdrant]",
            )
            .fix("remove [vectors.qdrant]"));
        }
        self.state.validate()?;
        self.serve.validate()?;
        self.filters.validate()?;
        Ok(())
    }

    fn validate_jira(&self) -> Result<(), ConfigError> {
        let url = self.jira.base_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::new(
                "jira.base_url",
                format!("{url:?}: must start with https://"),
            )
            .fix("e.g. \"https://example.atlassian.net\""));
        }
        if url.contains("/rest/") {
            return Err(ConfigError::new(
                "jira.base_url",
                format!("{url:?}: give the site URL only, without /rest/api/..."),
            ));
        }
        match &self.jira.oauth {
            Some(app) => {
                if app.client_id.trim().is_empty() {
                    return Err(ConfigError::new("jira.oauth.client_id", "is empty"));
                }
                if app.client_secret_env.is_none() && app.client_secret.is_none() {
                    return Err(ConfigError::new("jira.oauth", "no client secret").fix(
                        "set client_secret_env = \"JIRA_OAUTH_CLIENT_SECRET\" (the name of an environment variable holding the client secret)",
                    ));
                }
            }
            None => {
                if !self.jira.email.contains('@') {
                    return Err(ConfigError::new(
                        "jira.email",
                        format!(
                            "{:?}: must be the connector account's email (or configure [jira.oauth])",
                            self.jira.email
                        ),
                    ));
                }
                if self.jira.api_token_env.is_none() && self.jira.api_token.is_none() {
                    return Err(ConfigError::new("jira", "no API token").fix(
                        "set api_token_env = \"JIRA_API_TOKEN\" (the name of an environment variable holding the token)",
                    ));
                }
            }
        }
        let j = &self.jira;
        if !(j.max_requests_per_sec >= 1.0 && j.max_requests_per_sec.is_finite()) {
            return Err(ConfigError::new(
                "jira.max_requests_per_sec",
                format!("{}: must be at least 1", j.max_requests_per_sec),
            ));
        }
        if !(1..=64).contains(&j.max_concurrency) {
            return Err(ConfigError::new(
                "jira.max_concurrency",
                format!("{}: must be between 1 and 64", j.max_concurrency),
            ));
        }
        if !(1..=100).contains(&j.page_size) {
            return Err(ConfigError::new(
                "jira.page_size",
                format!("{}: must be between 1 and 100", j.page_size),
            ));
        }
        Ok(())
    }

    fn validate_indexing(&self) -> Result<(), ConfigError> {
        let chunking = &self.chunking;
        if !(16..=512).contains(&chunking.max_tokens) {
            return Err(ConfigError::new(
                "chunking.max_tokens",
                format!("{}: must be between 16 and 512", chunking.max_tokens),
            )
            .fix("the model reads at most 256 tokens; 256 is the default"));
        }
        if chunking.overlap_tokens * 2 > chunking.max_tokens {
            return Err(ConfigError::new(
                "chunking.overlap_tokens",
                format!(
                    "{}: must be at most half of chunking.max_tokens ({})",
                    chunking.overlap_tokens, chunking.max_tokens
                ),
            ));
        }
        if self.indexing.attachment_max_bytes == 0 {
            return Err(ConfigError::new("indexing.attachment_max_bytes", "0").fix(
                "set attachments = false to skip attachments, or give a size in bytes (default 52428800)",
            ));
        }
        if let Some(t) = self
            .indexing
            .attachment_types
            .iter()
            .find(|t| t.trim().is_empty() || t.contains(['/', '\\', ' ']))
        {
            return Err(ConfigError::new(
                "indexing.attachment_types",
                format!("{t:?} is not a file name extension (e.g. \"pdf\")"),
            ));
        }
        Ok(())
    }

    /// The API token, from the environment variable named by `api_token_env` or the
    /// literal `api_token`.
    pub fn api_token(&self) -> Result<String, ConfigError> {
        if let Some(var) = &self.jira.api_token_env {
            return std::env::var(var).map_err(|_| {
                ConfigError::new(
                    "jira.api_token_env",
                    format!("{var:?}: the environment variable {var} is not set"),
                )
                .fix("export it with the API token")
            });
        }
        self.jira
            .api_token
            .clone()
            .ok_or_else(|| ConfigError::new("jira.api_token_env", "is missing"))
    }

    /// Renders a config as TOML (used by `demo` to leave its config behind).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

impl SyncFilters {
    /// Checks the date ranges; the error names the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (name, day) in [
            ("created_from", &self.created_from),
            ("created_before", &self.created_before),
            ("updated_from", &self.updated_from),
        ] {
            if let Some(day) = day
                && chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err()
            {
                return Err(ConfigError::new(
                    format!("filters.{name}"),
                    format!("{day:?} is not a day written yyyy-MM-dd"),
                )
                .fix("e.g. \"2024-01-31\""));
            }
        }
        if let (Some(a), Some(b)) = (&self.created_from, &self.created_before)
            && a >= b
        {
            return Err(ConfigError::new(
                "filters.created_from",
                format!(
                    "{a:?} is not before filters.created_before = {b:?}: no issue would be synced"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const MINIMAL: &str = r#"
[jira]
base_url = "https://example.atlassian.net"
email = "bot@example.com"
api_token_env = "JIRA_API_TOKEN"
"#;

    #[test]
    fn minimal_config_gets_defaults() {
        let cfg = Config::parse(MINIMAL).unwrap();
        assert_eq!(cfg.chunking.max_tokens, 256);
        assert!(cfg.embedding.enabled);
        assert_eq!(cfg.data.dir, PathBuf::from("jira-index-data"));
        assert!(cfg.filters.allows_project("ENG"));
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let err = Config::parse(&format!("{MINIMAL}\n[data]\ndri = \"x\"\n")).unwrap_err();
        assert!(err.to_string().contains("dri"), "{err}");
    }

    #[test]
    fn bad_url_names_the_key() {
        let text = MINIMAL.replace("https://example.atlassian.net", "example.atlassian.net");
        let err = Config::parse(&text).unwrap_err();
        assert!(err.to_string().contains("jira.base_url"), "{err}");
    }

    #[test]
    fn missing_token_says_how_to_fix() {
        let text = MINIMAL.replace("api_token_env = \"JIRA_API_TOKEN\"", "");
        let err = Config::parse(&text).unwrap_err();
        assert!(err.to_string().contains("api_token_env"), "{err}");
    }

    #[test]
    fn debug_redacts_literal_token() {
        let text = MINIMAL.replace(
            "api_token_env = \"JIRA_API_TOKEN\"",
            "api_token = \"s3cr3t-token-value\"",
        );
        let cfg = Config::parse(&text).unwrap();
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("s3cr3t-token-value"), "{shown}");
    }

    #[test]
    fn the_example_config_is_valid() {
        let text = include_str!("../../../config/jira-index.example.toml");
        Config::parse(text).unwrap();
    }

    #[test]
    fn oauth_config_needs_no_email_and_hides_its_secret() {
        let text = r#"
[jira]
base_url = "https://example.atlassian.net"
[jira.oauth]
client_id = "cid"
client_secret = "very-secret-value"
"#;
        let cfg = Config::parse(text).unwrap();
        let app = cfg.jira.oauth.as_ref().unwrap();
        assert_eq!(app.callback_port, 8765);
        assert_eq!(app.token_file, PathBuf::from("jira-index-oauth.json"));
        assert!(!format!("{cfg:?}").contains("very-secret-value"));
        let err =
            Config::parse(&text.replace("client_secret = \"very-secret-value\"", "")).unwrap_err();
        assert!(err.to_string().contains("client_secret_env"), "{err}");
        // Without [jira.oauth], the email is required.
        let err = Config::parse(
            "[jira]\nbase_url = \"https://x.atlassian.net\"\napi_token_env = \"T\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("jira.email"), "{err}");
    }

    #[test]
    fn project_filters() {
        let f = SyncFilters {
            projects_in: vec!["ENG".into(), "OPS".into()],
            projects_not_in: vec!["OPS".into()],
            ..Default::default()
        };
        assert!(f.allows_project("eng"));
        assert!(!f.allows_project("OPS"));
        assert!(!f.allows_project("HR"));
    }

    #[test]
    fn date_filters_become_jql_and_are_checked() {
        let f = SyncFilters {
            created_from: Some("2024-01-01".into()),
            updated_from: Some("2024-06-30".into()),
            ..Default::default()
        };
        f.validate().unwrap();
        assert_eq!(
            f.date_clauses(),
            " AND created >= \"2024-01-01\" AND updated >= \"2024-06-30\""
        );
        let bad = SyncFilters {
            created_before: Some("01/02/2024".into()),
            ..Default::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("filters.created_before")
        );
        let empty = SyncFilters {
            created_from: Some("2024-02-01".into()),
            created_before: Some("2024-01-01".into()),
            ..Default::default()
        };
        assert!(empty.validate().unwrap_err().problem.contains("no issue"));
        let err = Config::parse(&format!(
            "{MINIMAL}\n[filters]\ncreated_from = \"yesterday\"\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("filters.created_from"), "{err}");
    }
}

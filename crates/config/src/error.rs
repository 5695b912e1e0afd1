//! The errors of this crate: [`ConfigError`] for a config value (or file) that is not
//! valid — which key, what is wrong with it, how to put it right — and [`FileError`]
//! for the data directory's files (unreadable, corrupt, not encodable).

/// A config value that is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}{}", .fix.as_deref().map(|f| format!(" ({f})")).unwrap_or_default())]
pub struct ConfigError {
    /// The dotted key (`serve.listen`, `serve.api_keys[0]`, `filters.created_from`), or
    /// the file's path when the file as a whole is at fault.
    pub key: String,
    /// What is wrong with the value.
    pub problem: String,
    /// How to put it right, when one thing can be said.
    pub fix: Option<String>,
}

impl ConfigError {
    /// An error of `key`.
    pub fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            problem: problem.into(),
            fix: None,
        }
    }

    /// The same error with a fix.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// The same error with `prefix` before its problem (`not saved: ...`).
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.problem = format!("{prefix}{}", self.problem);
        self
    }

    /// The stable code a client sees for it (HTTP API, MCP, `--json`).
    pub fn code(&self) -> error_codes::ErrorCode {
        error_codes::ErrorCode::InvalidConfig
    }
}

/// A file of the data directory (or the config file itself) that could not be read,
/// written or understood.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The file holds something that does not parse.
    #[error("{path}: corrupt state file: {detail}")]
    Corrupt {
        /// The file.
        path: String,
        /// What the parser said.
        detail: String,
    },
    /// A value could not be encoded as JSON.
    #[error("encoding {what} failed: {source}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
}

impl FileError {
    /// For `map_err` on an I/O error at `path`.
    pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| FileError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// For `map_err` on JSON encoding of `what`.
    pub fn encode(what: &'static str) -> impl FnOnce(serde_json::Error) -> Self {
        move |source| FileError::Encode { what, source }
    }
}

/// Why the console's settings were not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The result would not be a valid config (nothing was written).
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// The file could not be read or replaced.
    #[error(transparent)]
    File(#[from] FileError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_key_the_problem_and_the_fix() {
        let e = ConfigError::new("serve.listen", "\"localhost\" has no port")
            .fix("e.g. \"127.0.0.1:8080\"");
        assert_eq!(e.key, "serve.listen");
        assert_eq!(
            e.to_string(),
            "serve.listen: \"localhost\" has no port (e.g. \"127.0.0.1:8080\")"
        );
        assert_eq!(ConfigError::new("k", "p").to_string(), "k: p");
    }
}

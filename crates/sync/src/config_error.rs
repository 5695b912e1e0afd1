//! The error of one config value: which key, what is wrong with it, and how to put
//! it right. Validation of the config file, the `[serve]` table and the console's
//! forms answers with it.

/// A config value that is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}{}", .fix.as_deref().map(|f| format!(" ({f})")).unwrap_or_default())]
pub struct ConfigError {
    /// The dotted key (`serve.listen`, `serve.api_keys[0]`, `filters.created_from`).
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
}

impl From<ConfigError> for crate::SyncError {
    fn from(e: ConfigError) -> Self {
        crate::SyncError::Config {
            detail: e.to_string(),
        }
    }
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

//! The stable error codes that every edge of jira-index shares: the HTTP API's error
//! bodies, MCP tool errors and the `--json` output of the CLI.
//!
//! A code names what went wrong in a way a client may branch on; it never changes
//! meaning once released. The message next to it is for people and may change. An
//! internal failure answers [`ErrorCode::Internal`] with a generic message: the
//! details go to the server's log, never to the client.
//!
//! Architecture invariant: this crate depends on nothing of ours, so every crate can
//! name a code without an import circle.

#![warn(missing_docs)]

use serde::{Deserialize, Serialize};

/// What went wrong, as a stable machine-readable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No credentials, or credentials that are not valid (HTTP 401).
    Unauthorized,
    /// The credentials are valid but lack the scope the operation needs (HTTP 403).
    Forbidden,
    /// The request is malformed: bad JSON, an unknown field, a bad parameter (HTTP 400).
    InvalidRequest,
    /// The request body is over the server's limit (HTTP 413).
    PayloadTooLarge,
    /// No such item, or one the person may not open: both answer the same (HTTP 404).
    NotFound,
    /// The feature is not configured on this server, e.g. webhooks (HTTP 404).
    NotConfigured,
    /// A webhook's signature is missing or wrong (HTTP 401).
    BadSignature,
    /// Vector or hybrid search was asked for, but embeddings are off (HTTP 400).
    VectorSearchOff,
    /// The index holds no synced data yet: the first sync has not finished (HTTP 503).
    NotSynced,
    /// A sync or an access check is already running (HTTP 409).
    SyncRunning,
    /// A stop was asked for, but no sync is running (HTTP 409).
    NoSyncRunning,
    /// Jira refused or failed a request the operation needed (HTTP 502).
    JiraFailed,
    /// The configuration file is missing or invalid.
    InvalidConfig,
    /// The server is shutting down (HTTP 503).
    ShuttingDown,
    /// Something failed inside jira-index; the server log has the details (HTTP 500).
    Internal,
}

impl ErrorCode {
    /// Every code, in documentation order.
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::InvalidRequest,
        ErrorCode::PayloadTooLarge,
        ErrorCode::NotFound,
        ErrorCode::NotConfigured,
        ErrorCode::BadSignature,
        ErrorCode::VectorSearchOff,
        ErrorCode::NotSynced,
        ErrorCode::SyncRunning,
        ErrorCode::NoSyncRunning,
        ErrorCode::JiraFailed,
        ErrorCode::InvalidConfig,
        ErrorCode::ShuttingDown,
        ErrorCode::Internal,
    ];

    /// The code as it appears on the wire, e.g. `not_synced`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NotConfigured => "not_configured",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::VectorSearchOff => "vector_search_off",
            ErrorCode::NotSynced => "not_synced",
            ErrorCode::SyncRunning => "sync_running",
            ErrorCode::NoSyncRunning => "no_sync_running",
            ErrorCode::JiraFailed => "jira_failed",
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status an answer with this code carries.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Unauthorized | ErrorCode::BadSignature => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::InvalidRequest | ErrorCode::VectorSearchOff => 400,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::NotFound | ErrorCode::NotConfigured => 404,
            ErrorCode::SyncRunning | ErrorCode::NoSyncRunning => 409,
            ErrorCode::JiraFailed => 502,
            ErrorCode::NotSynced | ErrorCode::ShuttingDown => 503,
            ErrorCode::InvalidConfig | ErrorCode::Internal => 500,
        }
    }

    /// The generic message for [`ErrorCode::Internal`]: what a client is told instead
    /// of the error's own text.
    pub const INTERNAL_MESSAGE: &'static str =
        "internal error: the server log has the details (search it for this request's error_ref)";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every error answer: `{"error": "...", "code": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// For people; may change between releases.
    pub error: String,
    /// For programs; stable.
    pub code: ErrorCode,
    /// For [`ErrorCode::Internal`]: the reference under which the server logged the
    /// details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_ref: Option<String>,
}

impl ErrorBody {
    /// An answer with `code` and a message.
    pub fn new(code: ErrorCode, error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            code,
            error_ref: None,
        }
    }

    /// The body as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("an error body always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, serde_json::json!(code.as_str()));
            let back: ErrorCode = serde_json::from_value(wire).unwrap();
            assert_eq!(back, code);
            assert!(seen.insert(code.as_str()), "{code} twice");
        }
    }

    #[test]
    fn an_error_body_has_error_and_code_and_a_ref_only_when_set() {
        let body = ErrorBody::new(ErrorCode::NotFound, "ENG-1: no such issue").to_json();
        assert_eq!(
            body,
            serde_json::json!({"error": "ENG-1: no such issue", "code": "not_found"})
        );
    }

    #[test]
    fn statuses_are_client_or_server_errors() {
        for code in ErrorCode::ALL {
            let s = code.http_status();
            assert!((400..600).contains(&s), "{code}: {s}");
            let server_side = s >= 500;
            assert_eq!(
                server_side,
                matches!(
                    code,
                    ErrorCode::JiraFailed
                        | ErrorCode::NotSynced
                        | ErrorCode::ShuttingDown
                        | ErrorCode::InvalidConfig
                        | ErrorCode::Internal
                ),
                "{code}"
            );
        }
    }
}

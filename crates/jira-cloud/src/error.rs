//! The one error type of the client: every failure names the URL it happened on and,
//! for HTTP errors, carries Jira's own messages (`errorMessages` and `errors`).
//!
//! Not here: retry decisions (see `transport`), which only classify these errors.

/// Everything that can go wrong talking to Jira Cloud.
///
/// An error never turns into an empty result: a caller that gets `Ok(vec![])` really
/// got an empty list from Jira.
#[derive(thiserror::Error, Debug)]
pub enum JiraError {
    /// Jira answered a 4xx (other than 401/410/429) or a non-retryable status.
    #[error("Jira answered HTTP {status} for {url}: {}", display_messages(.messages))]
    Http {
        /// The HTTP status.
        status: u16,
        /// The request URL.
        url: String,
        /// Jira's `errorMessages` plus `errors` rendered as `field: message`.
        messages: Vec<String>,
    },
    /// 410 Gone: the endpoint was removed by Atlassian (e.g. the old `/rest/api/3/search`).
    #[error(
        "Jira endpoint {url} is gone (HTTP 410): it was removed from the API; use its replacement"
    )]
    Gone {
        /// The request URL.
        url: String,
    },
    /// 401: the e-mail/API token (or OAuth token) was refused.
    #[error("Jira refused the credentials for {url} (HTTP 401): check the e-mail and API token")]
    Unauthorized {
        /// The request URL.
        url: String,
    },
    /// The request could not be sent or its answer could not be read.
    #[error("could not reach Jira at {url}: {source}")]
    Transport {
        /// The request URL.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// Jira answered 2xx with a body this client cannot read.
    #[error("could not read Jira's answer from {url}: {detail}")]
    Decode {
        /// The request URL.
        url: String,
        /// Why the body could not be read.
        detail: String,
    },
    /// Every attempt failed with a retryable error (429, 5xx, connection errors).
    #[error("gave up on {url} after {attempts} attempts; last failure: {last}")]
    RetriesExhausted {
        /// The request URL.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The client configuration is unusable (bad base URL, bad header value).
    #[error("invalid Jira client configuration: {detail}")]
    Config {
        /// What is wrong.
        detail: String,
    },
}

impl JiraError {
    /// The HTTP status Jira answered, where there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            JiraError::Http { status, .. } => Some(*status),
            JiraError::Gone { .. } => Some(410),
            JiraError::Unauthorized { .. } => Some(401),
            _ => None,
        }
    }

    /// True for a 404 answer (the item does not exist or the caller may not see it).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The URL the failure happened on.
    pub fn url(&self) -> Option<&str> {
        match self {
            JiraError::Http { url, .. }
            | JiraError::Gone { url }
            | JiraError::Unauthorized { url }
            | JiraError::Transport { url, .. }
            | JiraError::Decode { url, .. }
            | JiraError::RetriesExhausted { url, .. } => Some(url),
            JiraError::Config { .. } => None,
        }
    }
}

fn display_messages(messages: &[String]) -> String {
    if messages.is_empty() {
        "(no error message in the body)".to_string()
    } else {
        messages.join("; ")
    }
}

/// Extracts Jira's error messages from an error body:
/// `{"errorMessages": [...], "errors": {"field": "message"}}`. A body that is not
/// JSON contributes its (trimmed, shortened) text so the caller still sees something.
pub(crate) fn jira_messages(body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => {
            if let Some(list) = v.get("errorMessages").and_then(|m| m.as_array()) {
                out.extend(list.iter().filter_map(|m| m.as_str()).map(str::to_string));
            }
            if let Some(map) = v.get("errors").and_then(|m| m.as_object()) {
                for (field, msg) in map {
                    let msg = msg
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| msg.to_string());
                    out.push(format!("{field}: {msg}"));
                }
            }
            // Some gateways answer {"message": "..."} or {"errorMessage": "..."}.
            for key in ["message", "errorMessage"] {
                if let Some(m) = v.get(key).and_then(|m| m.as_str()) {
                    out.push(m.to_string());
                }
            }
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if !text.is_empty() {
                out.push(shorten(text, 300));
            }
        }
    }
    out
}

/// Shortens `s` to at most `max` characters, on a character boundary.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_from_error_body() {
        let body = br#"{"errorMessages":["The value 'XYZ' does not exist for the field 'project'."],"errors":{"jql":"bad"}}"#;
        assert_eq!(
            jira_messages(body),
            vec![
                "The value 'XYZ' does not exist for the field 'project'.".to_string(),
                "jql: bad".to_string()
            ]
        );
    }

    #[test]
    fn messages_from_plain_text_body() {
        assert_eq!(
            jira_messages(b"  upstream broke \n"),
            vec!["upstream broke".to_string()]
        );
        assert!(jira_messages(b"").is_empty());
    }

    #[test]
    fn display_names_url_and_messages() {
        let e = JiraError::Http {
            status: 400,
            url: "https://x/rest/api/3/search/jql".into(),
            messages: vec!["bad jql".into()],
        };
        let s = e.to_string();
        assert!(s.contains("400") && s.contains("search/jql") && s.contains("bad jql"));
        assert_eq!(e.status(), Some(400));
        assert!(!e.is_not_found());
    }
}

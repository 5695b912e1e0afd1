//! Jira's webhooks (`POST /webhooks/jira`): verified with the HMAC-SHA256 signature
//! Jira sends when the webhook has a secret (`X-Hub-Signature: sha256=<hex>`), then
//! read as hints — "issue 10042 changed", "users or groups changed" — that a worker
//! applies by re-reading Jira (never trusting the payload's content). Hints arriving
//! together are applied together; the scheduled sync still reconciles everything a
//! lost webhook missed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::runner::SyncRunner;

/// What a webhook asks the server to re-read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hint {
    /// The issue (id, or key when the payload has no id) changed or was deleted.
    Issue(String),
    /// Users, groups, projects or their permissions changed.
    Identity,
}

/// True when `signature` (the `X-Hub-Signature` value, `sha256=<hex>`) is the
/// HMAC-SHA256 of `body` under `secret`. Compared in constant time.
pub fn verify(secret: &str, body: &[u8], signature: Option<&str>) -> bool {
    let Some(hex_sig) = signature.and_then(|s| s.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The `X-Hub-Signature` value for `body` (what Jira, or the simulator, sends).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why a payload is not a Jira webhook this server can apply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotAWebhook {
    /// No `webhookEvent` field.
    #[error("not a Jira webhook: no webhookEvent")]
    NoEvent,
    /// An issue or comment event that names no issue.
    #[error("{event}: the payload names no issue")]
    NoIssue {
        /// The event's name.
        event: String,
    },
}

/// The event name and the hint of a webhook payload. `Ok((event, None))` for events
/// that change nothing indexed (e.g. sprint events); `Err` for a payload that is not
/// a Jira webhook.
pub fn parse(payload: &Value) -> Result<(String, Option<Hint>), NotAWebhook> {
    let event = payload
        .get("webhookEvent")
        .and_then(Value::as_str)
        .ok_or(NotAWebhook::NoEvent)?
        .to_string();
    let issue = || {
        let issue = payload.get("issue")?;
        issue
            .get("id")
            .and_then(id_string)
            .or_else(|| issue.get("key").and_then(id_string))
    };
    let hint = if event.starts_with("jira:issue_")
        || event.starts_with("comment_")
        || event.starts_with("attachment_")
        || event.starts_with("worklog_")
    {
        Some(Hint::Issue(issue().ok_or_else(|| {
            NotAWebhook::NoIssue {
                event: event.clone(),
            }
        })?))
    } else if event.starts_with("user_")
        || event.starts_with("group_")
        || event.starts_with("project_")
        || event.starts_with("role_")
        || event.starts_with("permission_scheme")
        || event.starts_with("issue_security")
    {
        Some(Hint::Identity)
    } else if event.starts_with("issuelink_") {
        // Links carry no text we index; the linked issues' own events follow.
        None
    } else {
        None
    };
    Ok((event, hint))
}

fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// How long the worker waits for more hints before applying a batch.
const COALESCE: Duration = Duration::from_millis(150);

/// Applies hints until cancelled, in batches.
pub async fn worker(
    mut rx: mpsc::Receiver<Hint>,
    runner: Arc<SyncRunner>,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
) {
    loop {
        let first = tokio::select! {
            _ = cancel.cancelled() => return,
            h = rx.recv() => match h { Some(h) => h, None => return },
        };
        let mut hints = vec![first];
        let deadline = tokio::time::Instant::now() + COALESCE;
        while let Ok(Some(h)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            hints.push(h);
        }
        let identity = hints.contains(&Hint::Identity);
        let ids: Vec<String> = hints
            .iter()
            .filter_map(|h| match h {
                Hint::Issue(id) => Some(id.clone()),
                Hint::Identity => None,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        match runner.apply_hints(identity, &ids).await {
            Ok(r) => tracing::info!(
                issues = ids.len(),
                identity,
                indexed = r.indexed,
                deleted = r.deleted,
                errors = r.errors.len(),
                "webhook hints applied"
            ),
            Err(e) => {
                metrics
                    .webhook_issues
                    .with_label_values(&["failed"])
                    .inc_by(ids.len() as u64);
                tracing::error!(error = %e, issues = ids.len(), "applying webhook hints failed; the next sync reconciles");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signatures_verify_and_tampering_fails() {
        let body = br#"{"webhookEvent":"jira:issue_deleted"}"#;
        let sig = sign("s3cret-s3cret-s3cret", body);
        assert!(verify("s3cret-s3cret-s3cret", body, Some(&sig)));
        assert!(!verify("other-secret-other", body, Some(&sig)));
        assert!(!verify("s3cret-s3cret-s3cret", b"{}", Some(&sig)));
        assert!(!verify("s3cret-s3cret-s3cret", body, None));
        assert!(!verify("s3cret-s3cret-s3cret", body, Some("sha256=zz")));
        assert!(!verify("s3cret-s3cret-s3cret", body, Some(&sig[7..])));
    }

    #[test]
    fn events_become_hints() {
        let cases = [
            (
                json!({"webhookEvent": "jira:issue_deleted", "issue": {"id": "10042", "key": "ENG-4"}}),
                Some(Hint::Issue("10042".into())),
            ),
            (
                json!({"webhookEvent": "comment_created", "comment": {"id": "5"}, "issue": {"id": 10043}}),
                Some(Hint::Issue("10043".into())),
            ),
            (
                json!({"webhookEvent": "attachment_created", "issue": {"key": "ENG-5"}}),
                Some(Hint::Issue("ENG-5".into())),
            ),
            (
                json!({"webhookEvent": "user_updated", "user": {"accountId": "a"}}),
                Some(Hint::Identity),
            ),
            (
                json!({"webhookEvent": "group_deleted", "group": {"name": "g"}}),
                Some(Hint::Identity),
            ),
            (json!({"webhookEvent": "sprint_started"}), None),
        ];
        for (payload, hint) in cases {
            assert_eq!(parse(&payload).unwrap().1, hint, "{payload}");
        }
        assert!(parse(&json!({"hello": 1})).is_err());
        assert_eq!(
            parse(&json!({"webhookEvent": "jira:issue_updated"})),
            Err(NotAWebhook::NoIssue {
                event: "jira:issue_updated".into()
            })
        );
    }
}

/// Delivery ids already taken (`X-Atlassian-Webhook-Identifier`, the same on Jira's
/// retries of one delivery, per Atlassian's webhook documentation), the last
/// [`Seen::CAPACITY`] kept.
#[derive(Default)]
pub struct Seen {
    inner: std::sync::Mutex<(
        std::collections::HashSet<String>,
        std::collections::VecDeque<String>,
    )>,
}

impl Seen {
    /// Delivery ids remembered (the oldest are forgotten first).
    pub const CAPACITY: usize = 10_000;

    /// `true` the first time `id` is seen.
    pub fn first(&self, id: &str) -> bool {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (set, order) = &mut *guard;
        if set.contains(id) {
            return false;
        }
        if order.len() == Self::CAPACITY
            && let Some(old) = order.pop_front()
        {
            set.remove(&old);
        }
        set.insert(id.to_string());
        order.push_back(id.to_string());
        true
    }
}

#[cfg(test)]
mod seen_tests {
    use super::Seen;

    #[test]
    fn a_delivery_id_counts_once_and_old_ids_are_forgotten() {
        let seen = Seen::default();
        assert!(seen.first("a"));
        assert!(!seen.first("a"));
        for i in 0..Seen::CAPACITY {
            assert!(seen.first(&i.to_string()));
        }
        assert!(seen.first("a"), "forgotten after CAPACITY newer ids");
    }
}

//! Webhooks, as a Jira Cloud admin webhook with a secret sends them: after each
//! mutation applied through the simulator (`/_sim/mutate` or [`SimHandle::mutate`]),
//! a JSON event is POSTed to every registered URL, signed with
//! `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`. Payload:
//! `{timestamp, webhookEvent, issue_event_type_name?, issue?: {id, key, self,
//! fields: {project}}, comment?: {id}, user?: {accountId}, project?: {id, key}}`.
//!
//! Event names follow Jira's (`jira:issue_created|updated|deleted`,
//! `comment_created|updated|deleted`, `user_updated`, `project_updated|archived|
//! restored`). Two simplifications, both on the side of more events: a group
//! membership change is sent as `user_updated` for the member, and a permission or
//! role change as `project_updated`. A silent deletion
//! (`delete_issue_silently`) sends nothing: it stands for a lost webhook.
//!
//! [`SimHandle::mutate`]: crate::SimHandle::mutate

use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::admin::Mutation;
use crate::model::Workspace;

/// A registered webhook.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WebhookTarget {
    /// Where events are POSTed.
    pub url: String,
    /// The HMAC key events are signed with.
    pub secret: String,
}

/// One delivery attempt, for tests to inspect.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// The target's URL.
    pub url: String,
    /// The event's `webhookEvent`, e.g. `jira:issue_updated`.
    pub event: String,
    /// HTTP status, or 0 when the request failed.
    pub status: u16,
}

/// Registered targets and the delivery log.
#[derive(Default)]
pub(crate) struct Webhooks {
    targets: Mutex<Vec<WebhookTarget>>,
    log: Arc<Mutex<Vec<Delivery>>>,
    client: reqwest::Client,
    /// The next delivery id (`X-Atlassian-Webhook-Identifier`).
    next_id: Arc<std::sync::atomic::AtomicU64>,
}

impl Webhooks {
    pub(crate) fn add(&self, target: WebhookTarget) {
        self.targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(target);
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sends the events to every target, in order, in the background.
    pub(crate) fn deliver(&self, events: Vec<Value>) {
        let targets = self
            .targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if targets.is_empty() || events.is_empty() {
            return;
        }
        let client = self.client.clone();
        let log = self.log.clone();
        let next_id = self.next_id.clone();
        tokio::spawn(async move {
            for event in events {
                let body = serde_json::to_vec(&event).unwrap_or_default();
                let name = event["webhookEvent"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                for t in &targets {
                    // One id per delivery, as Jira's X-Atlassian-Webhook-Identifier.
                    let id = next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let status = client
                        .post(&t.url)
                        .header("content-type", "application/json")
                        .header("x-atlassian-webhook-identifier", format!("sim-{id}"))
                        .header("x-hub-signature", sign(&t.secret, &body))
                        .body(body.clone())
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    log.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Delivery {
                            url: t.url.clone(),
                            event: name.clone(),
                            status,
                        });
                }
            }
        });
    }
}

/// `sha256=<hex>` of the body under the secret.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// What a mutation needs known before it is applied (a deleted comment's issue).
pub(crate) struct Before {
    issue_of_comment: Option<(String, String)>,
}

/// Reads, before applying `m`, what its event will name.
pub(crate) fn before(ws: &Workspace, m: &Mutation) -> Before {
    let comment = match m {
        Mutation::UpdateComment { comment, .. }
        | Mutation::RestrictComment { comment, .. }
        | Mutation::SetCommentInternal { comment, .. }
        | Mutation::DeleteComment { comment } => Some(comment.as_str()),
        _ => None,
    };
    Before {
        issue_of_comment: comment.and_then(|c| {
            ws.issues
                .iter()
                .find(|i| i.comments.iter().any(|x| x.id == c))
                .map(|i| (i.id.clone(), i.key.clone()))
        }),
    }
}

/// The events of an applied mutation (`result`: what `apply` returned).
pub(crate) fn events(ws: &Workspace, m: &Mutation, before: Before, result: &Value) -> Vec<Value> {
    let now = ws.now().timestamp_millis();
    let issue = |id_or_key: &str| -> Option<Value> {
        let i = ws
            .issues
            .iter()
            .find(|i| i.id == id_or_key || i.key == id_or_key)?;
        let project = ws.projects.iter().find(|p| p.id == i.project_id);
        Some(json!({
            "id": i.id,
            "key": i.key,
            "self": format!("/rest/api/3/issue/{}", i.id),
            "fields": {"project": project.map(|p| json!({"id": p.id, "key": p.key}))},
        }))
    };
    let issue_event = |name: &str, type_name: &str, issue: Option<Value>| -> Vec<Value> {
        issue
            .map(|i| {
                vec![json!({
                    "timestamp": now,
                    "webhookEvent": name,
                    "issue_event_type_name": type_name,
                    "issue": i,
                })]
            })
            .unwrap_or_default()
    };
    let user_event = |account: &str| {
        vec![
            json!({"timestamp": now, "webhookEvent": "user_updated", "user": {"accountId": account}}),
        ]
    };
    let project_event = |name: &str, project: &str| {
        let p = ws
            .projects
            .iter()
            .find(|p| p.id == project || p.key == project);
        vec![json!({
            "timestamp": now,
            "webhookEvent": name,
            "project": p.map(|p| json!({"id": p.id, "key": p.key})),
        })]
    };
    let comment_event = |name: &str, comment: &str, issue: Option<(String, String)>| {
        issue
            .map(|(id, key)| {
                vec![json!({
                    "timestamp": now,
                    "webhookEvent": name,
                    "comment": {"id": comment},
                    "issue": {"id": id, "key": key},
                })]
            })
            .unwrap_or_default()
    };
    match m {
        Mutation::CreateIssue { .. } => issue_event(
            "jira:issue_created",
            "issue_created",
            result["key"].as_str().and_then(issue),
        ),
        Mutation::UpdateIssue { issue: i, .. } => {
            issue_event("jira:issue_updated", "issue_generic", issue(i))
        }
        Mutation::MoveIssue { .. } => issue_event(
            "jira:issue_updated",
            "issue_moved",
            result["key"].as_str().and_then(issue),
        ),
        Mutation::DeleteIssue { .. } => vec![json!({
            "timestamp": now,
            "webhookEvent": "jira:issue_deleted",
            "issue_event_type_name": "issue_deleted",
            "issue": {"id": result["id"], "key": result["deleted"]},
        })],
        Mutation::DeleteIssueSilently { .. } => Vec::new(),
        Mutation::AddComment { issue: i, .. } => {
            let owner = issue(i).map(|v| {
                (
                    v["id"].as_str().unwrap_or_default().to_string(),
                    v["key"].as_str().unwrap_or_default().to_string(),
                )
            });
            comment_event(
                "comment_created",
                result["comment"].as_str().unwrap_or_default(),
                owner,
            )
        }
        Mutation::UpdateComment { comment, .. }
        | Mutation::RestrictComment { comment, .. }
        | Mutation::SetCommentInternal { comment, .. } => {
            comment_event("comment_updated", comment, before.issue_of_comment)
        }
        Mutation::CreateSubtask { .. } => issue_event(
            "jira:issue_created",
            "issue_created",
            result["key"].as_str().and_then(issue),
        ),
        Mutation::SetConnectorAdministersJira { .. } | Mutation::SetEndpointForbidden { .. } => {
            Vec::new()
        }
        Mutation::DeleteComment { comment } => {
            comment_event("comment_deleted", comment, before.issue_of_comment)
        }
        Mutation::AddGroupMember { account_id, .. }
        | Mutation::RemoveGroupMember { account_id, .. }
        | Mutation::SetEmailVisible { account_id, .. }
        | Mutation::SetUserActive { account_id, .. } => user_event(account_id),
        Mutation::SetProjectArchived { project, archived } => project_event(
            if *archived {
                "project_archived"
            } else {
                "project_restored"
            },
            project,
        ),
        Mutation::AddBrowseGrant { project, .. }
        | Mutation::RemoveBrowseGrant { project, .. }
        | Mutation::AddRoleActor { project, .. }
        | Mutation::RemoveRoleActor { project, .. } => project_event("project_updated", project),
    }
}

/// Applies mutations in order and returns each result plus the events to deliver,
/// or the index and error of the first that failed (earlier ones stay applied, their
/// events are still returned).
pub(crate) fn apply_all(
    ws: &mut Workspace,
    mutations: Vec<Mutation>,
) -> (
    Vec<Value>,
    Vec<Value>,
    Option<(usize, crate::mutate::MutationError)>,
) {
    let mut results = Vec::new();
    let mut events_out = Vec::new();
    for (i, m) in mutations.into_iter().enumerate() {
        let pre = before(ws, &m);
        let echo = m.clone();
        match m.apply(ws) {
            Ok(v) => {
                events_out.extend(events(ws, &echo, pre, &v));
                results.push(v);
            }
            Err(e) => return (results, events_out, Some((i, e))),
        }
    }
    (results, events_out, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenConfig, generate};

    #[test]
    fn mutations_produce_jira_shaped_events() {
        let mut ws = generate(&GenConfig::skeleton(1));
        let target = ws.issues[0].clone();
        let comment = target.comments.first().map(|c| c.id.clone());
        let mut ms = vec![
            Mutation::UpdateIssue {
                issue: target.key.clone(),
                summary: Some("changed".into()),
                description: None,
                assignee: None,
                security_level: None,
                labels: None,
            },
            Mutation::DeleteIssue {
                issue: target.key.clone(),
                actor: None,
            },
        ];
        if let Some(c) = &comment {
            ms.insert(0, Mutation::DeleteComment { comment: c.clone() });
        }
        let (_, events, failed) = apply_all(&mut ws, ms);
        assert!(failed.is_none());
        let names: Vec<&str> = events
            .iter()
            .map(|e| e["webhookEvent"].as_str().unwrap())
            .collect();
        let mut expected = vec!["jira:issue_updated", "jira:issue_deleted"];
        if comment.is_some() {
            expected.insert(0, "comment_deleted");
        }
        assert_eq!(names, expected);
        for e in &events {
            assert_eq!(e["issue"]["id"], json!(target.id), "{e}");
        }
    }

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

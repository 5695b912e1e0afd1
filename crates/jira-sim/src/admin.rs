//! The simulator's own admin API (not Jira's): workspace mutations as JSON, for tests
//! and demos that drive a simulator in another process. Served under `/_sim/` with
//! the connector's basic-auth credentials:
//!
//! - `POST /_sim/mutate` — one [`Mutation`] or an array of them, applied in order; the
//!   answer lists each result, or names the first mutation that failed (400; the
//!   earlier ones stay applied);
//! - `GET /_sim/requests` (`DELETE` clears) — the request log;
//! - `GET|PUT /_sim/faults` — the fault configuration;
//! - `GET /_sim/oauth` — the OAuth counters.
//!
//! Example: `{"op": "remove_group_member", "group_id": "…", "account_id": "…"}`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::model::{CommentVisibility, Holder, RoleActor, Workspace};
use crate::mutate::{IssueUpdate, MutationError};

/// One change to the workspace; see [`crate::mutate`] for what each does.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Mutation {
    CreateIssue {
        project: String,
        summary: String,
        #[serde(default)]
        description: String,
        reporter: String,
    },
    UpdateIssue {
        issue: String,
        summary: Option<String>,
        description: Option<String>,
        /// `null` unassigns; absent leaves it.
        #[serde(default, with = "double_option")]
        assignee: Option<Option<String>>,
        #[serde(default, with = "double_option")]
        security_level: Option<Option<String>>,
        labels: Option<Vec<String>>,
    },
    DeleteIssue {
        issue: String,
        actor: Option<String>,
    },
    /// A deletion that never reaches the audit log.
    DeleteIssueSilently {
        issue: String,
    },
    MoveIssue {
        issue: String,
        project: String,
    },
    AddComment {
        issue: String,
        author: String,
        text: String,
        visibility: Option<CommentVisibility>,
    },
    UpdateComment {
        comment: String,
        text: String,
    },
    RestrictComment {
        comment: String,
        visibility: Option<CommentVisibility>,
    },
    DeleteComment {
        comment: String,
    },
    /// Makes a comment internal (`jsdPublic: false`) or public.
    SetCommentInternal {
        comment: String,
        internal: bool,
    },
    /// Creates a sub-task under an issue.
    CreateSubtask {
        parent: String,
        summary: String,
        reporter: String,
    },
    /// Whether the connector holds *Administer Jira*
    /// ([`Workspace::connector_administers_jira`]).
    SetConnectorAdministersJira {
        administers: bool,
    },
    /// Makes an exact API path answer 403 (or, `forbidden: false`, answer again).
    SetEndpointForbidden {
        path: String,
        forbidden: bool,
    },
    AddGroupMember {
        group_id: String,
        account_id: String,
    },
    RemoveGroupMember {
        group_id: String,
        account_id: String,
    },
    SetEmailVisible {
        account_id: String,
        visible: bool,
    },
    SetUserActive {
        account_id: String,
        active: bool,
    },
    SetProjectArchived {
        project: String,
        archived: bool,
    },
    AddBrowseGrant {
        project: String,
        holder: Holder,
    },
    RemoveBrowseGrant {
        project: String,
        holder: Holder,
    },
    AddRoleActor {
        project: String,
        role_id: String,
        actor: RoleActor,
    },
    RemoveRoleActor {
        project: String,
        role_id: String,
        actor: RoleActor,
    },
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

impl Mutation {
    /// Applies the mutation; returns what it created or changed, as JSON.
    pub fn apply(self, ws: &mut Workspace) -> Result<Value, MutationError> {
        Ok(match self {
            Mutation::CreateIssue {
                project,
                summary,
                description,
                reporter,
            } => json!({"key": ws.create_issue(&project, &summary, &description, &reporter)?}),
            Mutation::UpdateIssue {
                issue,
                summary,
                description,
                assignee,
                security_level,
                labels,
            } => {
                ws.update_issue(
                    &issue,
                    IssueUpdate {
                        summary,
                        description_text: description,
                        assignee_account_id: assignee,
                        security_level_id: security_level,
                        labels,
                        ..Default::default()
                    },
                )?;
                json!({"issue": issue})
            }
            Mutation::DeleteIssue { issue, actor } => {
                let actor = actor.unwrap_or_else(|| ws.admin_account_id.clone());
                let gone = ws.delete_issue(&issue, &actor)?;
                json!({"deleted": gone.key, "id": gone.id})
            }
            Mutation::DeleteIssueSilently { issue } => {
                let gone = ws.delete_issue_silently(&issue)?;
                json!({"deleted": gone.key, "id": gone.id})
            }
            Mutation::MoveIssue { issue, project } => {
                json!({"key": ws.move_issue(&issue, &project)?})
            }
            Mutation::AddComment {
                issue,
                author,
                text,
                visibility,
            } => json!({"comment": ws.add_comment(&issue, &author, &text, visibility)?}),
            Mutation::UpdateComment { comment, text } => {
                ws.update_comment(&comment, &text)?;
                json!({"comment": comment})
            }
            Mutation::RestrictComment {
                comment,
                visibility,
            } => {
                ws.restrict_comment(&comment, visibility)?;
                json!({"comment": comment})
            }
            Mutation::DeleteComment { comment } => {
                ws.delete_comment(&comment)?;
                json!({"deleted": comment})
            }
            Mutation::SetCommentInternal { comment, internal } => {
                ws.set_comment_internal(&comment, internal)?;
                json!({"comment": comment})
            }
            Mutation::CreateSubtask {
                parent,
                summary,
                reporter,
            } => json!({"key": ws.create_subtask(&parent, &summary, &reporter)?}),
            Mutation::SetConnectorAdministersJira { administers } => {
                ws.connector_administers_jira = administers;
                json!({})
            }
            Mutation::SetEndpointForbidden { path, forbidden } => {
                ws.forbidden_endpoints.retain(|p| *p != path);
                if forbidden {
                    ws.forbidden_endpoints.push(path);
                }
                json!({})
            }
            Mutation::AddGroupMember {
                group_id,
                account_id,
            } => {
                ws.add_group_member(&group_id, &account_id)?;
                json!({})
            }
            Mutation::RemoveGroupMember {
                group_id,
                account_id,
            } => {
                ws.remove_group_member(&group_id, &account_id)?;
                json!({})
            }
            Mutation::SetEmailVisible {
                account_id,
                visible,
            } => {
                ws.set_email_visible(&account_id, visible)?;
                json!({})
            }
            Mutation::SetUserActive { account_id, active } => {
                ws.set_user_active(&account_id, active)?;
                json!({})
            }
            Mutation::SetProjectArchived { project, archived } => {
                ws.set_project_archived(&project, archived)?;
                json!({})
            }
            Mutation::AddBrowseGrant { project, holder } => {
                json!({"grant": ws.add_browse_grant(&project, holder)?})
            }
            Mutation::RemoveBrowseGrant { project, holder } => {
                json!({"removed": ws.remove_browse_grant(&project, &holder)?})
            }
            Mutation::AddRoleActor {
                project,
                role_id,
                actor,
            } => {
                ws.add_role_actor(&project, &role_id, actor)?;
                json!({})
            }
            Mutation::RemoveRoleActor {
                project,
                role_id,
                actor,
            } => {
                ws.remove_role_actor(&project, &role_id, &actor)?;
                json!({})
            }
        })
    }
}

/// Why a mutation body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MutationBodyError {
    #[error("invalid JSON: {0}")]
    Json(serde_json::Error),
    #[error("mutation {index}: {source}")]
    Item {
        index: usize,
        source: serde_json::Error,
    },
}

/// A mutation of a batch that failed (the ones before it were applied).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("mutation {index} failed: {source}")]
pub struct MutationFailed {
    pub index: usize,
    pub source: crate::mutate::MutationError,
}

/// Parses a body holding one mutation or an array of them.
pub fn parse_mutations(body: &[u8]) -> Result<Vec<Mutation>, MutationBodyError> {
    let value: Value = serde_json::from_slice(body).map_err(MutationBodyError::Json)?;
    let items = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, v)| {
            serde_json::from_value(v).map_err(|source| MutationBodyError::Item { index, source })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenConfig, generate};

    #[test]
    fn mutations_parse_and_apply() {
        let mut ws = generate(&GenConfig::skeleton(3));
        let g = ws.groups[2].clone();
        let member = g.members[0].clone();
        let body = serde_json::to_vec(&json!([
            {"op": "remove_group_member", "group_id": g.group_id, "account_id": member},
            {"op": "update_issue", "issue": ws.issues[0].key, "assignee": null},
        ]))
        .unwrap();
        for m in parse_mutations(&body).unwrap() {
            m.apply(&mut ws).unwrap();
        }
        assert!(!ws.groups[2].members.contains(&member));
        assert_eq!(ws.issues[0].assignee_account_id, None);
    }

    #[test]
    fn bad_mutations_are_named() {
        let err = parse_mutations(br#"[{"op": "add_group_member", "group_id": "x", "account_id": "y"}, {"op": "explode"}]"#)
            .unwrap_err();
        assert!(
            matches!(err, MutationBodyError::Item { index: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().starts_with("mutation 1:"), "{err}");
        let mut ws = generate(&GenConfig::skeleton(3));
        let m = parse_mutations(br#"{"op": "delete_issue", "issue": "NOPE-1"}"#).unwrap();
        let err = m.into_iter().next().unwrap().apply(&mut ws).unwrap_err();
        assert_eq!(err, MutationError::UnknownIssue("NOPE-1".into()));
    }
}

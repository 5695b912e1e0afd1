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
    /// Creates an issue ([`Workspace::create_issue`]).
    CreateIssue {
        /// Project id or key.
        project: String,
        /// The summary.
        summary: String,
        /// Plain-text description (may be empty).
        #[serde(default)]
        description: String,
        /// Reporter's account id.
        reporter: String,
    },
    /// Changes an issue ([`Workspace::update_issue`]); absent fields stay.
    UpdateIssue {
        /// Issue id or key.
        issue: String,
        /// New summary.
        summary: Option<String>,
        /// New plain-text description.
        description: Option<String>,
        /// `null` unassigns; absent leaves it.
        #[serde(default, with = "double_option")]
        assignee: Option<Option<String>>,
        /// New security level id; `null` clears it.
        #[serde(default, with = "double_option")]
        security_level: Option<Option<String>>,
        /// New labels.
        labels: Option<Vec<String>>,
    },
    /// Deletes an issue with an audit record ([`Workspace::delete_issue`]).
    DeleteIssue {
        /// Issue id or key.
        issue: String,
        /// Who deletes it (the connector when absent).
        actor: Option<String>,
    },
    /// A deletion that never reaches the audit log.
    DeleteIssueSilently {
        /// Issue id or key.
        issue: String,
    },
    /// Moves an issue to another project ([`Workspace::move_issue`]).
    MoveIssue {
        /// Issue id or key.
        issue: String,
        /// Target project id or key.
        project: String,
    },
    /// Adds a comment ([`Workspace::add_comment`]).
    AddComment {
        /// Issue id or key.
        issue: String,
        /// Author's account id.
        author: String,
        /// Plain-text body.
        text: String,
        /// Restriction to a group or role, if any.
        visibility: Option<CommentVisibility>,
    },
    /// Replaces a comment's text.
    UpdateComment {
        /// Comment id.
        comment: String,
        /// New plain-text body.
        text: String,
    },
    /// Restricts a comment, or opens it with `null`.
    RestrictComment {
        /// Comment id.
        comment: String,
        /// The new restriction.
        visibility: Option<CommentVisibility>,
    },
    /// Deletes a comment.
    DeleteComment {
        /// Comment id.
        comment: String,
    },
    /// Makes a comment internal (`jsdPublic: false`) or public.
    SetCommentInternal {
        /// Comment id.
        comment: String,
        /// Whether the comment is internal.
        internal: bool,
    },
    /// Creates a sub-task under an issue.
    CreateSubtask {
        /// Parent issue id or key.
        parent: String,
        /// The sub-task's summary.
        summary: String,
        /// Reporter's account id.
        reporter: String,
    },
    /// Whether the connector holds *Administer Jira*
    /// ([`Workspace::connector_administers_jira`]).
    SetConnectorAdministersJira {
        /// Whether it does.
        administers: bool,
    },
    /// Makes an exact API path answer 403 (or, `forbidden: false`, answer again).
    SetEndpointForbidden {
        /// Exact API path, e.g. `/rest/api/3/applicationrole`.
        path: String,
        /// Whether the path answers 403.
        forbidden: bool,
    },
    /// Adds an account to a group.
    AddGroupMember {
        /// The group's id.
        group_id: String,
        /// The account's id.
        account_id: String,
    },
    /// Removes an account from a group.
    RemoveGroupMember {
        /// The group's id.
        group_id: String,
        /// The account's id.
        account_id: String,
    },
    /// Shows or hides an account's email.
    SetEmailVisible {
        /// The account's id.
        account_id: String,
        /// Whether the email is served.
        visible: bool,
    },
    /// Activates or deactivates an account.
    SetUserActive {
        /// The account's id.
        account_id: String,
        /// Whether the account is active.
        active: bool,
    },
    /// Archives or restores a project.
    SetProjectArchived {
        /// Project id or key.
        project: String,
        /// Whether the project is archived.
        archived: bool,
    },
    /// Adds a BROWSE_PROJECTS grant to a classic project's scheme.
    AddBrowseGrant {
        /// Project id or key.
        project: String,
        /// Who is granted it.
        holder: Holder,
    },
    /// Removes the BROWSE_PROJECTS grants equal to a holder.
    RemoveBrowseGrant {
        /// Project id or key.
        project: String,
        /// The holder to remove.
        holder: Holder,
    },
    /// Adds an actor to a project role.
    AddRoleActor {
        /// Project id or key.
        project: String,
        /// The role's id.
        role_id: String,
        /// The account or group.
        actor: RoleActor,
    },
    /// Removes an actor from a project role.
    RemoveRoleActor {
        /// Project id or key.
        project: String,
        /// The role's id.
        role_id: String,
        /// The account or group.
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
    /// The body is not JSON.
    #[error("invalid JSON: {0}")]
    Json(serde_json::Error),
    /// An item of the array is not a mutation.
    #[error("mutation {index}: {source}")]
    Item {
        /// Position of the item in the array.
        index: usize,
        /// Why it is not one.
        source: serde_json::Error,
    },
}

/// A mutation of a batch that failed (the ones before it were applied).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("mutation {index} failed: {source}")]
pub struct MutationFailed {
    /// Position of the mutation in the batch.
    pub index: usize,
    /// Why it failed.
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

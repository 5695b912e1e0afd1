//! Typed serde models of the Jira Cloud REST v3 answers this client reads.
//!
//! Reading is lenient: unknown fields are ignored, ids are accepted as strings or
//! numbers (and kept as strings), `null` reads as empty, optional fields may be
//! missing. What cannot be represented safely (a role actor of an unknown type, a
//! user reference without an account id) is dropped, never widened: fewer grants, not
//! more. Serialization writes Jira's camelCase shapes back (used by caches and the
//! simulator's tests).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::de;

/// A Jira user (`users/search`, `group/member`, `myself`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(deserialize_with = "de::id")]
    pub account_id: String,
    /// `atlassian`, `app` or `customer`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub account_type: String,
    /// Absent when the user's profile hides it.
    #[serde(
        default,
        deserialize_with = "de::opt_nonempty",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_address: Option<String>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub display_name: String,
    /// Missing reads as `false` (an inactive user matches nothing: fail closed).
    #[serde(default, deserialize_with = "de::null_default")]
    pub active: bool,
}

/// A reference to a user inside another object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    #[serde(deserialize_with = "de::id")]
    pub account_id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub display_name: String,
}

/// A group, keyed by `groupId` (names can be renamed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Empty only when Jira named the group without its id (old `applicationrole`
    /// answers, group role actors without `actorGroup`) and the client could not
    /// resolve the name: resolve by `name` then, or treat as no grant.
    #[serde(default, deserialize_with = "de::id")]
    pub group_id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
}

/// A product access role (`applicationrole`), e.g. `jira-software`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "RawApplicationRole")]
pub struct ApplicationRole {
    pub key: String,
    pub name: String,
    /// The groups that grant this product; from `groupDetails`, or built from the
    /// `groups` names (with an empty `group_id`) when Jira sent only those.
    pub group_details: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawApplicationRole {
    #[serde(deserialize_with = "de::id")]
    key: String,
    #[serde(default, deserialize_with = "de::null_default")]
    name: String,
    #[serde(default, deserialize_with = "de::null_default")]
    group_details: Vec<Group>,
    #[serde(default, deserialize_with = "de::null_default")]
    groups: Vec<String>,
}

impl From<RawApplicationRole> for ApplicationRole {
    fn from(r: RawApplicationRole) -> Self {
        let mut group_details = r.group_details;
        for name in r.groups {
            if !group_details.iter().any(|g| g.name == name) {
                group_details.push(Group {
                    group_id: String::new(),
                    name,
                });
            }
        }
        ApplicationRole {
            key: r.key,
            name: r.name,
            group_details,
        }
    }
}

/// A project (`project/search?expand=lead`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(deserialize_with = "de::null_default")]
    pub key: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    /// `software`, `service_desk`, `business`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub project_type_key: String,
    /// `classic` (company-managed) or `next-gen` (team-managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// True for team-managed projects.
    #[serde(default, deserialize_with = "de::null_default")]
    pub simplified: bool,
    #[serde(default, deserialize_with = "de::null_default")]
    pub is_private: bool,
    #[serde(default, deserialize_with = "de::null_default")]
    pub archived: bool,
    #[serde(
        default,
        deserialize_with = "de::opt_user_ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub lead: Option<UserRef>,
}

/// A project role with its actors in one project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRole {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "de_actors")]
    pub actors: Vec<RoleActor>,
}

/// Who holds a project role: a user or a group.
///
/// Read from `atlassian-user-role-actor` / `atlassian-group-role-actor`; actors of any
/// other type are dropped (logged), so they grant nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleActor {
    User {
        account_id: String,
    },
    /// `group_id` is empty only if Jira sent the group's name alone.
    Group {
        group_id: String,
        name: String,
    },
}

impl Serialize for RoleActor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = match self {
            RoleActor::User { account_id } => serde_json::json!({
                "type": "atlassian-user-role-actor",
                "actorUser": { "accountId": account_id },
            }),
            RoleActor::Group { group_id, name } => serde_json::json!({
                "type": "atlassian-group-role-actor",
                "name": name,
                "actorGroup": { "name": name, "groupId": group_id },
            }),
        };
        v.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RoleActor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        role_actor_from_value(&v).map_err(serde::de::Error::custom)
    }
}

fn role_actor_from_value(v: &Value) -> Result<RoleActor, String> {
    let ty = v.get("type").and_then(Value::as_str).unwrap_or_default();
    let text = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    match ty {
        "atlassian-user-role-actor" => {
            let account = text(v.get("actorUser").and_then(|u| u.get("accountId")))
                .ok_or_else(|| "user role actor without actorUser.accountId".to_string())?;
            Ok(RoleActor::User {
                account_id: account,
            })
        }
        "atlassian-group-role-actor" => {
            let group = v.get("actorGroup");
            let group_id = text(group.and_then(|g| g.get("groupId"))).unwrap_or_default();
            let name = text(group.and_then(|g| g.get("name")))
                .or_else(|| text(v.get("name")))
                .unwrap_or_default();
            if group_id.is_empty() && name.is_empty() {
                return Err("group role actor without groupId or name".into());
            }
            Ok(RoleActor::Group { group_id, name })
        }
        other => Err(format!("unknown role actor type {other:?}")),
    }
}

fn de_actors<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<RoleActor>, D::Error> {
    let raw: Vec<Value> = de::null_default(d)?;
    Ok(raw
        .iter()
        .filter_map(|v| match role_actor_from_value(v) {
            Ok(a) => Some(a),
            Err(why) => {
                tracing::warn!(%why, "dropping a project role actor the client does not understand (it grants nothing)");
                None
            }
        })
        .collect())
}

/// A permission scheme with its grants (`permissionscheme/{id}?expand=permissions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionScheme {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub permissions: Vec<PermissionGrant>,
}

/// One grant of a permission (`BROWSE_PROJECTS`, …) to a holder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionGrant {
    #[serde(default, deserialize_with = "de::id")]
    pub id: String,
    pub permission: String,
    pub holder: PermissionHolder,
}

/// Who a grant or a security level names: `anyone`, `applicationRole`, `group`
/// (parameter = name, value = groupId), `user`, `projectRole`, `projectLead`,
/// `reporter`, `assignee`, `userCustomField`, `groupCustomField`, …
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PermissionHolder {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub parameter: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
}

/// The issue security scheme of a project with its levels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueSecurityScheme {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_security_level_id: Option<String>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub levels: Vec<SecurityLevelRef>,
}

/// A security level (`{id, name}`), also the issue field `security`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityLevelRef {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
}

/// An issue security scheme with the projects using it
/// (`issuesecurityschemes/search`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecuritySchemeProjects {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_id")]
    pub default_level: Option<String>,
    #[serde(default, deserialize_with = "de::ids")]
    pub project_ids: Vec<String>,
}

/// A security level with its scheme (`issuesecurityschemes/level`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemeLevel {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    #[serde(deserialize_with = "de::id")]
    pub issue_security_scheme_id: String,
}

/// One holder of a security level (`issuesecurityschemes/level/member`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityLevelMember {
    #[serde(default, deserialize_with = "de::id")]
    pub id: String,
    #[serde(deserialize_with = "de::id")]
    pub issue_security_level_id: String,
    pub holder: PermissionHolder,
}

/// An issue from `search/jql` or `issue/bulkfetch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// Empty on id-only pages that did not ask for the key.
    #[serde(default, deserialize_with = "de::null_default")]
    pub key: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub fields: IssueFields,
}

impl Issue {
    /// True when `fields.comment` holds every comment of the issue (or comments were
    /// not requested): no need to page `issue/{id}/comment`.
    pub fn comments_complete(&self) -> bool {
        match &self.fields.comment {
            None => true,
            Some(page) => page.start_at == 0 && page.comments.len() as u64 >= page.total,
        }
    }
}

/// The fields this client knows; every other field (custom fields `customfield_NNNNN`,
/// `parent`, `issuerestriction`, …) lands in `custom` untouched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueFields {
    #[serde(default, deserialize_with = "de::null_default")]
    pub summary: String,
    /// ADF document, or `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Named>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuetype: Option<IssueType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectRef>,
    /// The parent of a sub-task (or of an issue under an epic): `{id, key, …}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<IssueRef>,
    /// The sub-tasks of this issue.
    #[serde(default, deserialize_with = "de::null_default")]
    pub subtasks: Vec<IssueRef>,
    #[serde(
        default,
        deserialize_with = "de::opt_user_ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub reporter: Option<UserRef>,
    #[serde(
        default,
        deserialize_with = "de::opt_user_ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub assignee: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// The issue's security level; `None` = unrestricted by issue security.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<SecurityLevelRef>,
    /// The first page of comments, when `comment` was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<CommentPage>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub attachment: Vec<Attachment>,
    #[serde(flatten)]
    pub custom: BTreeMap<String, Value>,
}

/// `status: {name, …}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
}

/// Anything shown by name: `priority`, `issuetype`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
}

/// `issuetype: {name, subtask, …}` (OpenAPI `IssueTypeDetails`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueType {
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    /// Whether this is a sub-task issue type.
    #[serde(default, deserialize_with = "de::null_default")]
    pub subtask: bool,
}

/// Another issue named inside an issue: `parent`, `subtasks[]` (`{id, key, …}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRef {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub key: String,
}

/// `project: {id, key}` on an issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRef {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub key: String,
}

/// A page of comments: inline `fields.comment`, or `issue/{id}/comment`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentPage {
    #[serde(default, deserialize_with = "de::null_default")]
    pub comments: Vec<Comment>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub start_at: u64,
    #[serde(default, deserialize_with = "de::null_default")]
    pub max_results: u64,
    #[serde(default, deserialize_with = "de::null_default")]
    pub total: u64,
}

/// An attachment on an issue (`fields.attachment`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub filename: String,
    /// As Jira claims it; sniff the bytes instead of trusting it.
    #[serde(default, deserialize_with = "de::null_default")]
    pub mime_type: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// URL of the bytes: `…/rest/api/3/attachment/content/{id}`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub content: String,
}

/// A comment on an issue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(
        default,
        deserialize_with = "de::opt_user_ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub author: Option<UserRef>,
    /// ADF document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// `None` = visible to everyone who sees the issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// `jsdPublic` (OpenAPI `Comment`: "Whether the comment is visible in Jira Service
    /// Desk. Defaults to true when comments are created in the Jira Cloud Platform");
    /// `Some(false)` marks a Jira Service Management internal comment.
    #[serde(default, rename = "jsdPublic", skip_serializing_if = "Option::is_none")]
    pub jsd_public: Option<bool>,
}

impl Comment {
    /// A Jira Service Management internal comment (`jsdPublic: false`): for agents
    /// (people with product access) only, never for customers.
    pub fn is_internal(&self) -> bool {
        self.jsd_public == Some(false)
    }
}

/// A comment restriction (OpenAPI `Visibility`): `type` is `group` (identifier = the
/// groupId, value = the group's name) or `role` (identifier and value = the role's
/// NAME: "The ID of the group or the name of the role that visibility of this item is
/// restricted to"). Role names are resolved to ids per project by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visibility {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub identifier: Option<String>,
}

/// One audit-log record (`auditing/record`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub category: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub event_source: String,
    /// `authorAccountId` (what Jira sends) or `authorKey` (what its schema says).
    #[serde(
        default,
        alias = "authorKey",
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub author_account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_item: Option<AuditItem>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub associated_items: Vec<AuditItem>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub changed_values: Vec<Value>,
}

/// The object an audit record is about, or one associated with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditItem {
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub type_name: String,
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_name: Option<String>,
}

/// What `issue/bulkfetch` answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkFetch {
    #[serde(default, deserialize_with = "de::null_default")]
    pub issues: Vec<Issue>,
    /// Ids or keys Jira could not return (deleted, or not visible to the caller).
    #[serde(default, deserialize_with = "de::null_default")]
    pub issue_errors: Vec<IssueError>,
}

/// One id or key `issue/bulkfetch` could not return.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueError {
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub error_message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_with_hidden_email_and_numeric_fields() {
        let u: User = serde_json::from_value(json!({
            "accountId": "5b10ac8d82e05b22cc7d4ef5", "accountType": "atlassian",
            "displayName": "Mia", "active": true, "timeZone": "Europe/Paris", "emailAddress": ""
        }))
        .unwrap();
        assert_eq!(u.email_address, None);
        assert!(u.active);
        let u: User =
            serde_json::from_value(json!({"accountId": "x", "displayName": null})).unwrap();
        assert_eq!(
            (u.display_name.as_str(), u.active, u.account_type.as_str()),
            ("", false, "")
        );
        assert!(serde_json::from_value::<User>(json!({"displayName": "no id"})).is_err());
    }

    #[test]
    fn ids_as_numbers_or_strings() {
        let p: Project = serde_json::from_value(json!({
            "id": 10000, "key": "DEMO", "name": "Demo", "projectTypeKey": "software",
            "style": "classic", "simplified": false, "isPrivate": false,
            "lead": {"accountId": "acc-1", "displayName": "Lead"}
        }))
        .unwrap();
        assert_eq!(p.id, "10000");
        assert_eq!(p.lead.unwrap().account_id, "acc-1");
        assert!(!p.archived);
        let s: IssueSecurityScheme = serde_json::from_value(json!({
            "id": 10001, "name": "Sec", "defaultSecurityLevelId": 10021,
            "levels": [{"id": "10021", "name": "Staff", "description": "x"}]
        }))
        .unwrap();
        assert_eq!(s.id, "10001");
        assert_eq!(s.default_security_level_id.as_deref(), Some("10021"));
        assert_eq!(s.levels[0].id, "10021");
        let m: SecurityLevelMember = serde_json::from_value(json!({
            "id": 3, "issueSecurityLevelId": 10021, "holder": {"type": "projectRole", "parameter": 10002}
        }))
        .unwrap();
        assert_eq!(m.holder.parameter.as_deref(), Some("10002"));
        assert_eq!(m.issue_security_level_id, "10021");
        assert!(serde_json::from_value::<Project>(json!({"id": 1.5, "key": "X"})).is_err());
    }

    #[test]
    fn project_lead_without_account_is_none() {
        let p: Project =
            serde_json::from_value(json!({"id": "1", "key": "K", "lead": {"displayName": "gone"}}))
                .unwrap();
        assert_eq!(p.lead, None);
    }

    #[test]
    fn project_role_actors_known_and_unknown() {
        let r: ProjectRole = serde_json::from_value(json!({
            "id": 10002, "name": "Developers", "self": "…",
            "actors": [
                {"id": 1, "type": "atlassian-user-role-actor", "actorUser": {"accountId": "acc-1"}},
                {"id": 2, "type": "atlassian-group-role-actor", "name": "devs",
                 "actorGroup": {"name": "devs", "groupId": "g-1", "displayName": "devs"}},
                {"id": 3, "type": "atlassian-group-role-actor", "name": "legacy"},
                {"id": 4, "type": "atlassian-team-role-actor"},
                {"id": 5, "type": "atlassian-user-role-actor", "actorUser": {}}
            ]
        }))
        .unwrap();
        assert_eq!(r.id, "10002");
        assert_eq!(
            r.actors,
            vec![
                RoleActor::User {
                    account_id: "acc-1".into()
                },
                RoleActor::Group {
                    group_id: "g-1".into(),
                    name: "devs".into()
                },
                RoleActor::Group {
                    group_id: String::new(),
                    name: "legacy".into()
                },
            ]
        );
        // Round trip through Jira's shape.
        let back: ProjectRole = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn application_role_group_fallback() {
        let with_details: ApplicationRole = serde_json::from_value(json!({
            "key": "jira-software", "name": "Jira Software",
            "groupDetails": [{"groupId": "g-1", "name": "jira-software-users"}],
            "groups": ["jira-software-users"]
        }))
        .unwrap();
        assert_eq!(
            with_details.group_details,
            vec![Group {
                group_id: "g-1".into(),
                name: "jira-software-users".into()
            }]
        );
        let names_only: ApplicationRole = serde_json::from_value(json!({
            "key": "jira-core", "groups": ["a", "b"]
        }))
        .unwrap();
        assert_eq!(names_only.group_details.len(), 2);
        assert!(
            names_only
                .group_details
                .iter()
                .all(|g| g.group_id.is_empty())
        );
    }

    #[test]
    fn permission_scheme_grants() {
        let s: PermissionScheme = serde_json::from_value(json!({
            "id": 0, "name": "Default", "expand": "permissions",
            "permissions": [
                {"id": 10000, "permission": "BROWSE_PROJECTS", "holder": {"type": "group", "parameter": "jira-users", "value": "g-1", "expand": "group"}},
                {"id": 10001, "permission": "BROWSE_PROJECTS", "holder": {"type": "applicationRole"}},
                {"id": 10002, "permission": "BROWSE_PROJECTS", "holder": {"type": "userCustomField", "parameter": "customfield_10050"}}
            ]
        }))
        .unwrap();
        assert_eq!(s.id, "0");
        assert_eq!(s.permissions.len(), 3);
        assert_eq!(s.permissions[0].holder.value.as_deref(), Some("g-1"));
        assert_eq!(
            s.permissions[1].holder,
            PermissionHolder {
                type_: "applicationRole".into(),
                parameter: None,
                value: None
            }
        );
        let v = serde_json::to_value(&s.permissions[1].holder).unwrap();
        assert_eq!(v, json!({"type": "applicationRole"}));
    }

    #[test]
    fn issue_with_nulls_and_custom_fields() {
        let i: Issue = serde_json::from_value(json!({
            "id": "10042", "key": "DEMO-7", "self": "…", "expand": "…",
            "fields": {
                "summary": "Printer on fire", "description": null, "labels": null,
                "status": {"name": "Open", "statusCategory": {"key": "new"}},
                "priority": {"name": "High"}, "issuetype": {"name": "Bug"},
                "project": {"id": 10000, "key": "DEMO"},
                "reporter": {"accountId": "acc-1", "displayName": "R"}, "assignee": null,
                "created": "2025-03-04T17:01:51.123+0000", "updated": "2025-03-05T17:01:51.123+0000",
                "security": {"id": "10021", "name": "Staff"},
                "comment": {"comments": [{"id": "1", "body": {"type": "doc", "version": 1, "content": []},
                    "visibility": {"type": "group", "value": "admins", "identifier": "g-9"},
                    "author": {"accountId": "acc-2"}}], "startAt": 0, "maxResults": 1, "total": 3},
                "attachment": [{"id": 77, "filename": "a.pdf", "mimeType": "application/pdf", "size": 1234,
                    "created": "2025-03-04T17:01:51.123+0000", "content": "https://x/rest/api/3/attachment/content/77"}],
                "customfield_10050": {"accountId": "acc-3"},
                "parent": {"id": "10001", "key": "DEMO-1"}
            }
        }))
        .unwrap();
        assert_eq!(i.key, "DEMO-7");
        let f = &i.fields;
        assert_eq!(f.description, None);
        assert!(f.labels.is_empty());
        assert_eq!(f.assignee, None);
        assert_eq!(f.project.as_ref().unwrap().id, "10000");
        assert_eq!(f.security.as_ref().unwrap().id, "10021");
        assert_eq!(f.attachment[0].id, "77");
        assert_eq!(f.attachment[0].size, 1234);
        let c = f.comment.as_ref().unwrap();
        assert_eq!(c.total, 3);
        assert_eq!(
            c.comments[0]
                .visibility
                .as_ref()
                .unwrap()
                .identifier
                .as_deref(),
            Some("g-9")
        );
        assert_eq!(
            f.custom.get("customfield_10050"),
            Some(&json!({"accountId": "acc-3"}))
        );
        // `parent` is a field of its own (the sub-task's parent), not a custom field.
        assert_eq!(f.parent.as_ref().map(|p| p.key.as_str()), Some("DEMO-1"));
        assert!(!f.custom.contains_key("parent"));
        assert!(!f.custom.contains_key("summary"));
        assert!(!i.comments_complete());
        let id_only: Issue = serde_json::from_value(json!({"id": 5})).unwrap();
        assert_eq!((id_only.id.as_str(), id_only.key.as_str()), ("5", ""));
        assert!(id_only.comments_complete());
    }

    #[test]
    fn audit_record_author_aliases() {
        let a: AuditRecord = serde_json::from_value(json!({
            "id": 1, "summary": "Issue deleted", "created": "2025-03-04T17:01:51.123+0000",
            "category": "issue", "eventSource": "", "authorKey": "acc-1",
            "objectItem": {"id": "10042", "name": "DEMO-7", "typeName": "ISSUE", "parentId": 10000, "parentName": "Demo"}
        }))
        .unwrap();
        assert_eq!(a.author_account_id.as_deref(), Some("acc-1"));
        let o = a.object_item.unwrap();
        assert_eq!(
            (o.id.as_deref(), o.parent_id.as_deref()),
            (Some("10042"), Some("10000"))
        );
        let b: AuditRecord =
            serde_json::from_value(json!({"id": "2", "authorAccountId": "acc-2"})).unwrap();
        assert_eq!(b.author_account_id.as_deref(), Some("acc-2"));
    }
}

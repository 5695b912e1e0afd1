//! Issues as `search/jql` and `issue/bulkfetch` answer them: fields, comments,
//! attachments and comment visibility.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::scheme::SecurityLevelRef;
use super::user::{UserRef, opt_user_ref};
use crate::de;

/// An issue from `search/jql` or `issue/bulkfetch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    /// The issue id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// Empty on id-only pages that did not ask for the key.
    #[serde(default, deserialize_with = "de::null_default")]
    pub key: String,
    /// The fields that were asked for.
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
    /// The summary (title).
    #[serde(default, deserialize_with = "de::null_default")]
    pub summary: String,
    /// ADF document, or `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Value>,
    /// The workflow status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Named>,
    /// The labels.
    #[serde(default, deserialize_with = "de::null_default")]
    pub labels: Vec<String>,
    /// The issue type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuetype: Option<IssueType>,
    /// The project the issue belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectRef>,
    /// The parent of a sub-task (or of an issue under an epic): `{id, key, …}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<IssueRef>,
    /// The sub-tasks of this issue.
    #[serde(default, deserialize_with = "de::null_default")]
    pub subtasks: Vec<IssueRef>,
    /// The reporter; `None` when unset or without an account.
    #[serde(
        default,
        deserialize_with = "opt_user_ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub reporter: Option<UserRef>,
    /// The assignee; `None` when unassigned.
    #[serde(
        default,
        deserialize_with = "opt_user_ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub assignee: Option<UserRef>,
    /// When the issue was created, as Jira's timestamp text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When the issue was last updated, as Jira's timestamp text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// The issue's security level; `None` = unrestricted by issue security.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<SecurityLevelRef>,
    /// The first page of comments, when `comment` was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<CommentPage>,
    /// The attachments.
    #[serde(default, deserialize_with = "de::null_default")]
    pub attachment: Vec<Attachment>,
    /// Every other field, by field id, as Jira sent it.
    #[serde(flatten)]
    pub custom: BTreeMap<String, Value>,
}

/// `status: {name, …}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The status name, e.g. `Open`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
}

/// Anything shown by name: `priority`, `issuetype`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    /// The display name.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
}

/// `issuetype: {name, subtask, …}` (OpenAPI `IssueTypeDetails`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueType {
    /// The issue type name, e.g. `Bug`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    /// Whether this is a sub-task issue type.
    #[serde(default, deserialize_with = "de::null_default")]
    pub subtask: bool,
}

/// Another issue named inside an issue: `parent`, `subtasks[]` (`{id, key, …}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRef {
    /// The issue id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The issue key, e.g. `DEMO-7`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub key: String,
}

/// `project: {id, key}` on an issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRef {
    /// The project id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The project key.
    #[serde(default, deserialize_with = "de::null_default")]
    pub key: String,
}

/// A page of comments: inline `fields.comment`, or `issue/{id}/comment`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentPage {
    /// The comments on this page.
    #[serde(default, deserialize_with = "de::null_default")]
    pub comments: Vec<Comment>,
    /// Offset of the page's first comment.
    #[serde(default, deserialize_with = "de::null_default")]
    pub start_at: u64,
    /// Page size Jira used.
    #[serde(default, deserialize_with = "de::null_default")]
    pub max_results: u64,
    /// Number of comments on the issue.
    #[serde(default, deserialize_with = "de::null_default")]
    pub total: u64,
}

/// An attachment on an issue (`fields.attachment`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// The attachment id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The file name, as uploaded.
    #[serde(default, deserialize_with = "de::null_default")]
    pub filename: String,
    /// As Jira claims it; sniff the bytes instead of trusting it.
    #[serde(default, deserialize_with = "de::null_default")]
    pub mime_type: String,
    /// Size in bytes.
    #[serde(default, deserialize_with = "de::null_default")]
    pub size: u64,
    /// When it was attached, as Jira's timestamp text.
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
    /// The comment id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The author; `None` when the account is gone or unknown.
    #[serde(
        default,
        deserialize_with = "opt_user_ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub author: Option<UserRef>,
    /// ADF document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// When it was written, as Jira's timestamp text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When it was last edited, as Jira's timestamp text.
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
    /// `group` or `role`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The group's or the role's name.
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    /// The groupId (for a group) or the role's name (for a role).
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub identifier: Option<String>,
}

/// What `issue/bulkfetch` answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkFetch {
    /// The issues Jira returned.
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
    /// The id or key that failed, if Jira named it.
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// Jira's reason.
    #[serde(default, deserialize_with = "de::null_default")]
    pub error_message: String,
}

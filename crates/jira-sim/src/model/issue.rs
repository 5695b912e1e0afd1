//! Issues and comments: the issue with its fields, comments and attachments, who may
//! read a comment, and what a generated issue is about ([`Subject`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::adf::AdfDoc;
use super::attachment::Attachment;

/// Issue type name of sub-tasks (an issue type with `"subtask": true`, OpenAPI
/// `IssueTypeDetails.subtask`).
pub const SUBTASK_TYPE: &str = "Subtask";

/// Who may read a restricted comment: members of a group, or holders of a project role.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum CommentVisibility {
    /// Members of a group.
    Group {
        /// The group's id.
        group_id: String,
        /// The group's name (what Jira serves as `visibility.value`).
        name: String,
    },
    /// Holders of a project role in the issue's project.
    Role {
        /// The role's id.
        role_id: String,
        /// The role's name (served as `visibility.value` and `identifier`).
        name: String,
    },
}

/// A comment on an issue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Comment {
    /// Numeric id as a string.
    pub id: String,
    /// Who wrote it.
    pub author_account_id: String,
    /// The body as compact ADF.
    pub body: AdfDoc,
    /// Plain text of the body as the generator wrote it.
    pub body_text: String,
    /// When it was written.
    pub created: DateTime<Utc>,
    /// When it was last edited.
    pub updated: DateTime<Utc>,
    /// Restriction to a group or role; `None` for everyone who sees the issue.
    pub visibility: Option<CommentVisibility>,
    /// A Jira Service Management internal comment (served as `"jsdPublic": false`,
    /// OpenAPI `Comment.jsdPublic`): only accounts with product access read it, never
    /// customers or anonymous visitors.
    #[serde(default)]
    pub internal: bool,
}

/// An issue, with its comments and attachments.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Issue {
    /// Numeric id as a string.
    pub id: String,
    /// Issue key, e.g. `ENG-12`.
    pub key: String,
    /// Id of the project holding it.
    pub project_id: String,
    /// One-line title.
    pub summary: String,
    /// The description as compact ADF.
    pub description: AdfDoc,
    /// Plain text of the description as the generator wrote it.
    pub description_text: String,
    /// Status name, e.g. `In Progress`.
    pub status: String,
    /// "new", "indeterminate" or "done".
    pub status_category: String,
    /// Priority name, e.g. `High`.
    pub priority: String,
    /// Issue type name, e.g. `Bug` (or [`SUBTASK_TYPE`]).
    pub issue_type: String,
    /// Labels, sorted.
    pub labels: Vec<String>,
    /// Who reported it.
    pub reporter_account_id: Option<String>,
    /// Who it is assigned to.
    pub assignee_account_id: Option<String>,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it last changed (an issue or comment change moves it).
    pub updated: DateTime<Utc>,
    /// The issue's own security level. For a sub-task Jira always uses its parent's
    /// (the oracle reads the parent's; this copy is kept equal to it).
    pub security_level_id: Option<String>,
    /// Sub-tasks: the parent issue's id (issue type [`SUBTASK_TYPE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Team-managed issue restriction: project role ids allowed to see the issue.
    pub restricted_to_role_ids: Vec<String>,
    /// customfield id → account ids (user pickers).
    pub user_custom_fields: BTreeMap<String, Vec<String>>,
    /// customfield id → group ids (group pickers).
    pub group_custom_fields: BTreeMap<String, Vec<String>>,
    /// Its comments, in the order they were added.
    pub comments: Vec<Comment>,
    /// Files attached to the issue (they are visible to whoever sees the issue).
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// What the summary is about, as the generator chose it: the ground truth of the
    /// labeled query set (none for issues created later through the admin API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
}

impl Issue {
    /// Whether the issue is a sub-task (has a parent).
    pub fn is_subtask(&self) -> bool {
        self.parent_id.is_some()
    }
}

/// The subject of a generated issue's summary: its topic (the topic's first label,
/// e.g. `payments`) and the component, symptom or feature phrase the summary names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Subject {
    /// The topic's first label, e.g. `payments`.
    pub topic: String,
    /// The component phrase named, if any.
    pub component: Option<String>,
    /// The symptom phrase named, if any.
    pub symptom: Option<String>,
    /// The feature phrase named, if any.
    pub feature: Option<String>,
}

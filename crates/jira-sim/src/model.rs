//! The simulator's data model: a whole Jira Cloud site (users, groups, projects, roles,
//! permission and issue-security schemes, issues, comments, audit records).
//!
//! Every field is public and serde-serializable so tests can inspect ground truth.
//! Rich text is kept in a compact form ([`AdfDoc`]) and rendered to Atlassian Document
//! Format JSON on demand, which keeps large workspaces cheap to generate and hold.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// Search marker planted only in issue descriptions.
pub const MARKER_IN_DESCRIPTION: &str = "zephyrine";
/// Search marker planted only in comment bodies.
pub const MARKER_IN_COMMENT: &str = "quokka";
/// A word planted in the text of some attachments (and nowhere else).
pub const MARKER_IN_ATTACHMENT: &str = "xylophone";

/// Formats a timestamp the way Jira Cloud does: `2025-03-04T17:01:51.123+0000`.
pub fn jira_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// Issue type name of sub-tasks (an issue type with `"subtask": true`, OpenAPI
/// `IssueTypeDetails.subtask`).
pub const SUBTASK_TYPE: &str = "Subtask";

fn yes() -> bool {
    true
}

/// A whole simulated Jira Cloud site.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workspace {
    /// Seed the workspace was generated from.
    pub seed: u64,
    /// The connector's account (site admin): basic auth `admin_email:admin_api_token`.
    pub admin_email: String,
    pub admin_api_token: String,
    pub admin_account_id: String,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub application_roles: Vec<ApplicationRole>,
    /// Global project role definitions (the roles every project has).
    pub project_roles: Vec<ProjectRoleDef>,
    pub projects: Vec<Project>,
    pub permission_schemes: Vec<PermissionScheme>,
    pub security_schemes: Vec<IssueSecurityScheme>,
    /// Custom fields (user pickers and group pickers) that permission grants may name.
    pub custom_fields: Vec<CustomField>,
    pub issues: Vec<Issue>,
    pub audit_records: Vec<AuditRecord>,
    /// Next numeric id handed out to new entities (issues, comments, audit records...).
    pub next_id: u64,
    /// Groups holding the *Administer Jira* global permission (Jira Cloud grants global
    /// permissions to groups, e.g. `jira-admins`; see
    /// <https://support.atlassian.com/jira-cloud-administration/docs/manage-global-permissions/>).
    /// Other accounts than the connector hold it through these groups.
    #[serde(default)]
    pub administer_jira_group_ids: Vec<String>,
    /// Whether the connector account holds *Administer Jira* (default true). When false,
    /// `GET /rest/api/3/applicationrole` and `permissions/check` for another account
    /// answer 403, as the OpenAPI document says they need that permission.
    #[serde(default = "yes")]
    pub connector_administers_jira: bool,
    /// Exact API paths (e.g. `/rest/api/3/applicationrole`) that answer 403 with a Jira
    /// error body, whatever the permissions: a switch for tests.
    #[serde(default)]
    pub forbidden_endpoints: Vec<String>,
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace {
            seed: 0,
            admin_email: String::new(),
            admin_api_token: String::new(),
            admin_account_id: String::new(),
            users: Vec::new(),
            groups: Vec::new(),
            application_roles: Vec::new(),
            project_roles: Vec::new(),
            projects: Vec::new(),
            permission_schemes: Vec::new(),
            security_schemes: Vec::new(),
            custom_fields: Vec::new(),
            issues: Vec::new(),
            audit_records: Vec::new(),
            next_id: 0,
            administer_jira_group_ids: Vec::new(),
            connector_administers_jira: true,
            forbidden_endpoints: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct User {
    pub account_id: String,
    /// "atlassian", "app" or "customer".
    pub account_type: String,
    /// The user's real email; served only when `email_visible`.
    pub email: String,
    pub email_visible: bool,
    pub display_name: String,
    pub active: bool,
    pub time_zone: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Group {
    pub group_id: String,
    pub name: String,
    /// Account ids of the members (active or not).
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApplicationRole {
    /// e.g. "jira-software".
    pub key: String,
    pub name: String,
    /// Group ids whose members hold this application role.
    pub group_ids: Vec<String>,
    pub default_group_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProjectRoleDef {
    /// Numeric id as string, e.g. "10002".
    pub id: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RoleActor {
    User { account_id: String },
    Group { group_id: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub key: String,
    pub name: String,
    /// "software", "service_desk" or "business".
    pub project_type_key: String,
    /// "classic" or "next-gen" (team-managed).
    pub style: String,
    /// Team-managed `private` access level (mirrors `access_level`). Not what the API
    /// serves as `isPrivate`: that is "private from the user's perspective" (OpenAPI
    /// `Project.isPrivate`), computed for the caller.
    pub is_private: bool,
    pub archived: bool,
    pub lead_account_id: String,
    /// Classic projects only.
    pub permission_scheme_id: Option<String>,
    pub security_scheme_id: Option<String>,
    /// Team-managed access level: "open", "limited" or "private" (None for classic).
    pub access_level: Option<String>,
    /// roleId → actors.
    pub role_actors: BTreeMap<String, Vec<RoleActor>>,
}

impl Project {
    pub fn is_team_managed(&self) -> bool {
        self.style == "next-gen"
    }
}

/// Who a permission grant or security level member names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Holder {
    Anyone,
    /// `key` None = any product user.
    ApplicationRole {
        key: Option<String>,
    },
    Group {
        group_id: String,
    },
    User {
        account_id: String,
    },
    ProjectRole {
        role_id: String,
    },
    ProjectLead,
    Reporter,
    Assignee,
    UserCustomField {
        field_id: String,
    },
    GroupCustomField {
        field_id: String,
    },
}

impl Holder {
    /// The Jira holder type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Holder::Anyone => "anyone",
            Holder::ApplicationRole { .. } => "applicationRole",
            Holder::Group { .. } => "group",
            Holder::User { .. } => "user",
            Holder::ProjectRole { .. } => "projectRole",
            Holder::ProjectLead => "projectLead",
            Holder::Reporter => "reporter",
            Holder::Assignee => "assignee",
            Holder::UserCustomField { .. } => "userCustomField",
            Holder::GroupCustomField { .. } => "groupCustomField",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PermissionGrant {
    pub id: String,
    /// e.g. "BROWSE_PROJECTS".
    pub permission: String,
    pub holder: Holder,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PermissionScheme {
    pub id: String,
    pub name: String,
    pub description: String,
    pub grants: Vec<PermissionGrant>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SecurityLevelMember {
    pub id: String,
    pub holder: Holder,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SecurityLevel {
    pub id: String,
    pub name: String,
    pub description: String,
    pub members: Vec<SecurityLevelMember>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssueSecurityScheme {
    pub id: String,
    pub name: String,
    pub description: String,
    pub default_level_id: Option<String>,
    pub levels: Vec<SecurityLevel>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CustomField {
    /// e.g. "customfield_10050".
    pub id: String,
    pub name: String,
    /// "user" (multi user picker) or "group" (multi group picker).
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum CommentVisibility {
    Group { group_id: String, name: String },
    Role { role_id: String, name: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Comment {
    pub id: String,
    pub author_account_id: String,
    pub body: AdfDoc,
    /// Plain text of the body as the generator wrote it.
    pub body_text: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub visibility: Option<CommentVisibility>,
    /// A Jira Service Management internal comment (served as `"jsdPublic": false`,
    /// OpenAPI `Comment.jsdPublic`): only accounts with product access read it, never
    /// customers or anonymous visitors.
    #[serde(default)]
    pub internal: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Issue {
    pub id: String,
    pub key: String,
    pub project_id: String,
    pub summary: String,
    pub description: AdfDoc,
    /// Plain text of the description as the generator wrote it.
    pub description_text: String,
    pub status: String,
    /// "new", "indeterminate" or "done".
    pub status_category: String,
    pub priority: String,
    pub issue_type: String,
    pub labels: Vec<String>,
    pub reporter_account_id: Option<String>,
    pub assignee_account_id: Option<String>,
    pub created: DateTime<Utc>,
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
    pub comments: Vec<Comment>,
    /// Files attached to the issue (they are visible to whoever sees the issue).
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// What the summary is about, as the generator chose it: the ground truth of the
    /// labeled query set (none for issues created later through the admin API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
}

/// The subject of a generated issue's summary: its topic (the topic's first label,
/// e.g. `payments`) and the component, symptom or feature phrase the summary names.
impl Issue {
    /// Whether the issue is a sub-task (has a parent).
    pub fn is_subtask(&self) -> bool {
        self.parent_id.is_some()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Subject {
    pub topic: String,
    pub component: Option<String>,
    pub symptom: Option<String>,
    pub feature: Option<String>,
}

/// What an attachment's bytes are made of (see [`crate::files`]).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Pdf,
    Html,
    Docx,
    Xlsx,
    Pptx,
    Csv,
    Json,
    Text,
    Png,
    /// A PDF whose body is damaged.
    CorruptPdf,
    /// A DOCX cut in half.
    TruncatedDocx,
    /// Declared (and served) larger than 50 MiB: a connector should index it by name
    /// without downloading it.
    Huge,
}

impl AttachmentKind {
    /// Whether a connector can get the planted text out of the file: not images,
    /// damaged files, or files over the default 50 MiB limit.
    pub fn has_extractable_text(self) -> bool {
        !matches!(
            self,
            AttachmentKind::Png
                | AttachmentKind::CorruptPdf
                | AttachmentKind::TruncatedDocx
                | AttachmentKind::Huge
        )
    }
}

/// Size of a [`AttachmentKind::Huge`] attachment.
pub const HUGE_ATTACHMENT_BYTES: u64 = 60 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attachment {
    pub id: String,
    pub filename: String,
    pub mime_type: String,
    pub author_account_id: String,
    pub created: DateTime<Utc>,
    pub kind: AttachmentKind,
    /// The text planted in the file (what extraction should find).
    pub text: String,
    /// Size of the bytes served, computed once.
    pub size: u64,
    /// The bytes served, kept from when the attachment was made (as Jira stores the
    /// upload); absent after deserializing, then made again on request.
    #[serde(skip)]
    pub data: Option<bytes::Bytes>,
}

impl Attachment {
    /// Builds an attachment and computes its size.
    pub fn new(
        id: String,
        filename: String,
        author_account_id: String,
        created: DateTime<Utc>,
        kind: AttachmentKind,
        text: String,
    ) -> Self {
        let mut a = Attachment {
            id,
            filename,
            mime_type: mime_of(kind).into(),
            author_account_id,
            created,
            kind,
            text,
            size: 0,
            data: None,
        };
        a.size = match kind {
            AttachmentKind::Huge => HUGE_ATTACHMENT_BYTES,
            _ => {
                let data = bytes::Bytes::from(a.make_bytes());
                let size = data.len() as u64;
                a.data = Some(data);
                size
            }
        };
        a
    }

    /// The file's bytes (for [`AttachmentKind::Huge`], one line of it, repeated when
    /// served).
    pub fn bytes(&self) -> bytes::Bytes {
        match &self.data {
            Some(d) => d.clone(),
            None => self.make_bytes().into(),
        }
    }

    fn make_bytes(&self) -> Vec<u8> {
        use crate::files;
        let paras: Vec<String> = self
            .text
            .split(". ")
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
            .collect();
        match self.kind {
            AttachmentKind::Pdf => files::pdf(&paras),
            AttachmentKind::Html => files::html(&self.filename, &self.text),
            AttachmentKind::Docx => files::docx(&paras),
            AttachmentKind::Xlsx => {
                files::xlsx(&paras.iter().map(|p| vec![p.clone()]).collect::<Vec<_>>())
            }
            AttachmentKind::Pptx => files::pptx(&paras),
            AttachmentKind::Csv => files::csv(
                &paras
                    .iter()
                    .enumerate()
                    .map(|(i, p)| vec![i.to_string(), p.clone()])
                    .collect::<Vec<_>>(),
            ),
            AttachmentKind::Json => files::json(&json!({"notes": paras})),
            AttachmentKind::Text => files::text(&self.text),
            AttachmentKind::Png => files::png(16, 16),
            AttachmentKind::CorruptPdf => files::corrupt_pdf(&paras),
            AttachmentKind::TruncatedDocx => files::truncated(&files::docx(&paras)),
            AttachmentKind::Huge => files::text(&self.text),
        }
    }
}

/// The MIME type Jira would report for a kind.
pub fn mime_of(kind: AttachmentKind) -> &'static str {
    match kind {
        AttachmentKind::Pdf | AttachmentKind::CorruptPdf => "application/pdf",
        AttachmentKind::Html => "text/html",
        AttachmentKind::Docx | AttachmentKind::TruncatedDocx => {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
        AttachmentKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        AttachmentKind::Pptx => {
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        }
        AttachmentKind::Csv => "text/csv",
        AttachmentKind::Json => "application/json",
        AttachmentKind::Text | AttachmentKind::Huge => "text/plain",
        AttachmentKind::Png => "image/png",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: u64,
    pub summary: String,
    pub created: DateTime<Utc>,
    pub category: String,
    pub event_source: String,
    pub author_account_id: String,
    pub object_id: String,
    pub object_name: String,
    pub object_type_name: String,
    pub parent_id: Option<String>,
    pub parent_name: Option<String>,
    pub changed_values: Vec<(String, String, String)>,
}

// ---------------------------------------------------------------------------------
// Compact ADF
// ---------------------------------------------------------------------------------

/// An inline mark.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Mark {
    Strong,
    Em,
    Code,
    Strike,
    Underline,
    Link(String),
}

/// An inline node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Inline {
    Text { text: String, marks: Vec<Mark> },
    Mention { account_id: String, text: String },
    HardBreak,
}

/// A block node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    Heading {
        level: u8,
        text: String,
    },
    BulletList(Vec<String>),
    OrderedList(Vec<String>),
    CodeBlock {
        language: String,
        text: String,
    },
    Panel {
        panel_type: String,
        text: String,
    },
    Blockquote(String),
    Rule,
    /// The showcase of every ADF node and mark type ([`crate::rich`]), rendered from
    /// the issue key when served (not stored: it is large).
    Showcase {
        key: String,
    },
}

/// A compact Atlassian Document Format document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct AdfDoc {
    pub blocks: Vec<Block>,
}

impl AdfDoc {
    /// A document of paragraphs from plain text (blank lines separate paragraphs).
    pub fn from_text(text: &str) -> AdfDoc {
        AdfDoc {
            blocks: text
                .split("\n\n")
                .filter(|p| !p.trim().is_empty())
                .map(|p| {
                    Block::Paragraph(vec![Inline::Text {
                        text: p.to_string(),
                        marks: vec![],
                    }])
                })
                .collect(),
        }
    }

    /// Plain text of the document: blocks separated by blank lines, list items by newlines.
    pub fn plain_text(&self) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            match b {
                Block::Paragraph(inlines) => {
                    let mut s = String::new();
                    for i in inlines {
                        match i {
                            Inline::Text { text, .. } => s.push_str(text),
                            Inline::Mention { text, .. } => s.push_str(text),
                            Inline::HardBreak => s.push('\n'),
                        }
                    }
                    parts.push(s);
                }
                Block::Heading { text, .. }
                | Block::CodeBlock { text, .. }
                | Block::Panel { text, .. }
                | Block::Blockquote(text) => parts.push(text.clone()),
                Block::BulletList(items) | Block::OrderedList(items) => {
                    parts.push(items.join("\n"))
                }
                Block::Rule => {}
                Block::Showcase { key } => parts.push(crate::rich::showcase(key).1),
            }
        }
        parts.join("\n\n")
    }
}

// ---------------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------------

impl Workspace {
    pub fn user(&self, account_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.account_id == account_id)
    }
    pub fn group(&self, group_id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.group_id == group_id)
    }
    pub fn group_by_name(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }
    pub fn project(&self, project_id: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.id == project_id)
    }
    /// A project by id or key (key case-insensitive).
    pub fn project_by_id_or_key(&self, id_or_key: &str) -> Option<&Project> {
        self.projects
            .iter()
            .find(|p| p.id == id_or_key || p.key.eq_ignore_ascii_case(id_or_key))
    }
    pub fn role_def(&self, role_id: &str) -> Option<&ProjectRoleDef> {
        self.project_roles.iter().find(|r| r.id == role_id)
    }
    pub fn permission_scheme(&self, id: &str) -> Option<&PermissionScheme> {
        self.permission_schemes.iter().find(|s| s.id == id)
    }
    pub fn security_scheme(&self, id: &str) -> Option<&IssueSecurityScheme> {
        self.security_schemes.iter().find(|s| s.id == id)
    }
    /// The security level with this id, and its scheme.
    pub fn security_level(&self, level_id: &str) -> Option<(&IssueSecurityScheme, &SecurityLevel)> {
        self.security_schemes
            .iter()
            .find_map(|s| s.levels.iter().find(|l| l.id == level_id).map(|l| (s, l)))
    }
    pub fn issue(&self, issue_id: &str) -> Option<&Issue> {
        self.issues.iter().find(|i| i.id == issue_id)
    }
    /// An issue by id or key (key case-insensitive).
    pub fn issue_by_id_or_key(&self, id_or_key: &str) -> Option<&Issue> {
        self.issues
            .iter()
            .find(|i| i.id == id_or_key || i.key.eq_ignore_ascii_case(id_or_key))
    }
    pub fn issue_by_key(&self, key: &str) -> Option<&Issue> {
        self.issues.iter().find(|i| i.key.eq_ignore_ascii_case(key))
    }
    /// A comment and the issue holding it.
    pub fn comment(&self, comment_id: &str) -> Option<(&Issue, &Comment)> {
        self.issues.iter().find_map(|i| {
            i.comments
                .iter()
                .find(|c| c.id == comment_id)
                .map(|c| (i, c))
        })
    }
    /// A user by email (trimmed, case-insensitive), whether or not the email is visible.
    pub fn user_by_any_email(&self, email: &str) -> Option<&User> {
        let e = email.trim();
        self.users.iter().find(|u| u.email.eq_ignore_ascii_case(e))
    }
    /// Group ids the account is a member of.
    pub fn groups_of(&self, account_id: &str) -> Vec<&Group> {
        self.groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == account_id))
            .collect()
    }
    /// Hands out a fresh numeric id.
    pub fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

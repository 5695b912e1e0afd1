//! The simulator's data model: a whole Jira Cloud site (users, groups, projects, roles,
//! permission and issue-security schemes, issues, comments, audit records).
//!
//! Every field is public and serde-serializable so tests can inspect ground truth.
//! Rich text is kept in a compact form ([`AdfDoc`]) and rendered to Atlassian Document
//! Format JSON on demand, which keeps large workspaces cheap to generate and hold.
//!
//! The types live by subject: people and groups (`identity`), projects, roles and
//! schemes (`project`), issues and comments (`issue`), attachments (`attachment`) and
//! compact ADF (`adf`); this module holds the [`Workspace`] and its lookups.

mod adf;
mod attachment;
mod identity;
mod issue;
mod project;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use adf::{AdfDoc, Block, Inline, Mark};
pub use attachment::{Attachment, AttachmentKind, HUGE_ATTACHMENT_BYTES, mime_of};
pub use identity::{ApplicationRole, Group, User};
pub use issue::{Comment, CommentVisibility, Issue, SUBTASK_TYPE, Subject};
pub use project::{
    CustomField, Holder, IssueSecurityScheme, PermissionGrant, PermissionScheme, Project,
    ProjectRoleDef, RoleActor, SecurityLevel, SecurityLevelMember,
};

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
    /// The connector's API token.
    pub admin_api_token: String,
    /// The connector's account id.
    pub admin_account_id: String,
    /// Every account: people, apps and customers.
    pub users: Vec<User>,
    /// Every group.
    pub groups: Vec<Group>,
    /// The products and the groups that hold them.
    pub application_roles: Vec<ApplicationRole>,
    /// Global project role definitions (the roles every project has).
    pub project_roles: Vec<ProjectRoleDef>,
    /// Every project, live or archived.
    pub projects: Vec<Project>,
    /// Permission schemes of classic projects.
    pub permission_schemes: Vec<PermissionScheme>,
    /// Issue security schemes.
    pub security_schemes: Vec<IssueSecurityScheme>,
    /// Custom fields (user pickers and group pickers) that permission grants may name.
    pub custom_fields: Vec<CustomField>,
    /// Every issue of every project, sub-tasks included.
    pub issues: Vec<Issue>,
    /// The audit log, oldest first.
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

/// An entry of the audit log (`GET /rest/api/3/auditing/record`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditRecord {
    /// Numeric id.
    pub id: u64,
    /// What happened, e.g. `Issue deleted`.
    pub summary: String,
    /// When it happened.
    pub created: DateTime<Utc>,
    /// Jira's category, e.g. `issue management` or `group management`.
    pub category: String,
    /// Where the change came from (empty here).
    pub event_source: String,
    /// Who made the change.
    pub author_account_id: String,
    /// Id of the changed object.
    pub object_id: String,
    /// Name of the changed object (an issue key, a group name...).
    pub object_name: String,
    /// Type of the changed object, e.g. `ISSUE`.
    pub object_type_name: String,
    /// Id of the object's parent (an issue's project), if any.
    pub parent_id: Option<String>,
    /// Name of the object's parent, if any.
    pub parent_name: Option<String>,
    /// Changed values as (field, from, to).
    pub changed_values: Vec<(String, String, String)>,
}

// ---------------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------------

impl Workspace {
    /// A user by account id.
    pub fn user(&self, account_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.account_id == account_id)
    }
    /// A group by id.
    pub fn group(&self, group_id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.group_id == group_id)
    }
    /// A group by name (exact).
    pub fn group_by_name(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }
    /// A project by id.
    pub fn project(&self, project_id: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.id == project_id)
    }
    /// A project by id or key (key case-insensitive).
    pub fn project_by_id_or_key(&self, id_or_key: &str) -> Option<&Project> {
        self.projects
            .iter()
            .find(|p| p.id == id_or_key || p.key.eq_ignore_ascii_case(id_or_key))
    }
    /// A project role definition by id.
    pub fn role_def(&self, role_id: &str) -> Option<&ProjectRoleDef> {
        self.project_roles.iter().find(|r| r.id == role_id)
    }
    /// A permission scheme by id.
    pub fn permission_scheme(&self, id: &str) -> Option<&PermissionScheme> {
        self.permission_schemes.iter().find(|s| s.id == id)
    }
    /// An issue security scheme by id.
    pub fn security_scheme(&self, id: &str) -> Option<&IssueSecurityScheme> {
        self.security_schemes.iter().find(|s| s.id == id)
    }
    /// The security level with this id, and its scheme.
    pub fn security_level(&self, level_id: &str) -> Option<(&IssueSecurityScheme, &SecurityLevel)> {
        self.security_schemes
            .iter()
            .find_map(|s| s.levels.iter().find(|l| l.id == level_id).map(|l| (s, l)))
    }
    /// An issue by id.
    pub fn issue(&self, issue_id: &str) -> Option<&Issue> {
        self.issues.iter().find(|i| i.id == issue_id)
    }
    /// An issue by id or key (key case-insensitive).
    pub fn issue_by_id_or_key(&self, id_or_key: &str) -> Option<&Issue> {
        self.issues
            .iter()
            .find(|i| i.id == id_or_key || i.key.eq_ignore_ascii_case(id_or_key))
    }
    /// An issue by key (case-insensitive).
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
    /// The groups the account is a member of.
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

//! Projects and who may browse them: project roles and their actors, projects,
//! permission schemes with their grants and holders, issue security schemes and their
//! levels, and the custom fields a holder may name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A project role every project has (Users, Developers, Administrators).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProjectRoleDef {
    /// Numeric id as string, e.g. "10002".
    pub id: String,
    /// Role name, e.g. `Developers`.
    pub name: String,
    /// What the role is for.
    pub description: String,
}

/// Who holds a project role in a project: an account or a group's members.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RoleActor {
    /// One account.
    User {
        /// The account's id.
        account_id: String,
    },
    /// Every member of a group.
    Group {
        /// The group's id.
        group_id: String,
    },
}

/// A project, classic or team-managed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Project {
    /// Numeric id as a string.
    pub id: String,
    /// Project key, e.g. `ENG`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// "software", "service_desk" or "business".
    pub project_type_key: String,
    /// "classic" or "next-gen" (team-managed).
    pub style: String,
    /// Team-managed `private` access level (mirrors `access_level`). Not what the API
    /// serves as `isPrivate`: that is "private from the user's perspective" (OpenAPI
    /// `Project.isPrivate`), computed for the caller.
    pub is_private: bool,
    /// Archived projects keep their issues but leave search.
    pub archived: bool,
    /// The project lead.
    pub lead_account_id: String,
    /// Classic projects only.
    pub permission_scheme_id: Option<String>,
    /// Issue security scheme (classic projects only).
    pub security_scheme_id: Option<String>,
    /// Team-managed access level: "open", "limited" or "private" (None for classic).
    pub access_level: Option<String>,
    /// roleId → actors.
    pub role_actors: BTreeMap<String, Vec<RoleActor>>,
}

impl Project {
    /// Whether the project is team-managed (`next-gen` style).
    pub fn is_team_managed(&self) -> bool {
        self.style == "next-gen"
    }
}

/// Who a permission grant or security level member names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Holder {
    /// Everyone, anonymous visitors included.
    Anyone,
    /// `key` None = any product user.
    ApplicationRole {
        /// The application role's key.
        key: Option<String>,
    },
    /// Members of a group.
    Group {
        /// The group's id.
        group_id: String,
    },
    /// One account.
    User {
        /// The account's id.
        account_id: String,
    },
    /// Holders of a project role in the project.
    ProjectRole {
        /// The role's id.
        role_id: String,
    },
    /// The project's lead.
    ProjectLead,
    /// The issue's reporter.
    Reporter,
    /// The issue's assignee.
    Assignee,
    /// Accounts named in a user picker field of the issue.
    UserCustomField {
        /// The custom field's id.
        field_id: String,
    },
    /// Members of groups named in a group picker field of the issue.
    GroupCustomField {
        /// The custom field's id.
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

/// One permission granted to a holder in a permission scheme.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PermissionGrant {
    /// Numeric id as a string.
    pub id: String,
    /// e.g. "BROWSE_PROJECTS".
    pub permission: String,
    /// Who is granted it.
    pub holder: Holder,
}

/// A permission scheme of classic projects.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PermissionScheme {
    /// Numeric id as a string.
    pub id: String,
    /// Scheme name.
    pub name: String,
    /// What the scheme is for.
    pub description: String,
    /// Its grants.
    pub grants: Vec<PermissionGrant>,
}

/// A holder that belongs to a security level.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SecurityLevelMember {
    /// Numeric id as a string.
    pub id: String,
    /// Who belongs to the level.
    pub holder: Holder,
}

/// An issue security level: only its members see issues set to it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SecurityLevel {
    /// Numeric id as a string.
    pub id: String,
    /// Level name, e.g. `Internal`.
    pub name: String,
    /// What the level is for.
    pub description: String,
    /// Who belongs to it.
    pub members: Vec<SecurityLevelMember>,
}

/// An issue security scheme: the levels a classic project's issues may have.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssueSecurityScheme {
    /// Numeric id as a string.
    pub id: String,
    /// Scheme name.
    pub name: String,
    /// What the scheme is for.
    pub description: String,
    /// Level new issues get, if any.
    pub default_level_id: Option<String>,
    /// Its levels.
    pub levels: Vec<SecurityLevel>,
}

/// A custom field that permission grants and security levels may name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CustomField {
    /// e.g. "customfield_10050".
    pub id: String,
    /// Field name, e.g. `Stakeholders`.
    pub name: String,
    /// "user" (multi user picker) or "group" (multi group picker).
    pub kind: String,
}

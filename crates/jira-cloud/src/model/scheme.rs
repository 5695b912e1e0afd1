//! Permission schemes and issue security schemes: grants, holders, security levels
//! and their members.

use serde::{Deserialize, Serialize};

use crate::de;

/// A permission scheme with its grants (`permissionscheme/{id}?expand=permissions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionScheme {
    /// The scheme id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The scheme name.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    /// Every grant of the scheme, for all permissions.
    #[serde(default, deserialize_with = "de::null_default")]
    pub permissions: Vec<PermissionGrant>,
}

/// One grant of a permission (`BROWSE_PROJECTS`, …) to a holder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionGrant {
    /// The grant id.
    #[serde(default, deserialize_with = "de::id")]
    pub id: String,
    /// The permission key, e.g. `BROWSE_PROJECTS`.
    pub permission: String,
    /// Who the permission is granted to.
    pub holder: PermissionHolder,
}

/// Who a grant or a security level names: `anyone`, `applicationRole`, `group`
/// (parameter = name, value = groupId), `user`, `projectRole`, `projectLead`,
/// `reporter`, `assignee`, `userCustomField`, `groupCustomField`, …
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PermissionHolder {
    /// The holder type, e.g. `group`, `projectRole`, `anyone`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The type's parameter, e.g. a group name, role id or custom-field id.
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub parameter: Option<String>,
    /// The type's value, e.g. the groupId of a `group` holder.
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
    /// The scheme id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The scheme name.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    /// The level new issues get when none is chosen.
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_security_level_id: Option<String>,
    /// The levels of the scheme.
    #[serde(default, deserialize_with = "de::null_default")]
    pub levels: Vec<SecurityLevelRef>,
}

/// A security level (`{id, name}`), also the issue field `security`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityLevelRef {
    /// The level id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The level name.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
}

/// An issue security scheme with the projects using it
/// (`issuesecurityschemes/search`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecuritySchemeProjects {
    /// The scheme id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The scheme name.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    /// The scheme's default level id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub default_level: Option<String>,
    /// Ids of the projects using the scheme.
    #[serde(default, deserialize_with = "de::ids")]
    pub project_ids: Vec<String>,
}

/// A security level with its scheme (`issuesecurityschemes/level`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemeLevel {
    /// The level id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The level name.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    /// The id of the scheme the level belongs to.
    #[serde(deserialize_with = "de::id")]
    pub issue_security_scheme_id: String,
}

/// One holder of a security level (`issuesecurityschemes/level/member`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityLevelMember {
    /// The membership id.
    #[serde(default, deserialize_with = "de::id")]
    pub id: String,
    /// The level the holder is a member of.
    #[serde(deserialize_with = "de::id")]
    pub issue_security_level_id: String,
    /// Who is a member.
    pub holder: PermissionHolder,
}

//! Fixed ids and names every generated workspace shares: the connector's credentials,
//! the global project roles, the custom fields grants may name, the application roles,
//! the accounts added with fixed ids and the private LAB project's key.

/// The connector's email on every generated workspace (basic auth user).
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// The connector's API token on every generated workspace (basic auth password).
pub const ADMIN_API_TOKEN: &str = "sim-api-token";

/// Role id of the global Users project role.
pub const ROLE_USERS: &str = "10000";
/// Role id of the global Developers project role.
pub const ROLE_DEVELOPERS: &str = "10001";
/// Role id of the global Administrators project role.
pub const ROLE_ADMINISTRATORS: &str = "10002";

/// The user picker field (Stakeholders) that userCustomField holders name.
pub const CF_USER_PICKER: &str = "customfield_10050";
/// The group picker field (Owning teams) that groupCustomField holders name.
pub const CF_GROUP_PICKER: &str = "customfield_10051";

/// Application role key of Jira Software.
pub const APP_SOFTWARE: &str = "jira-software";
/// Application role key of Jira Service Management.
pub const APP_SERVICEDESK: &str = "jira-servicedesk";

/// Trent: member of engineering and ops-team (groups with BROWSE grants and role
/// actors) without any application role.
pub const ACCOUNT_TRENT: &str = "5f3e2a1b0c9d8e7f6a5b4c3d";
/// Peggy: security-team and ops-team member, OPS Developers user actor, no
/// application role.
pub const ACCOUNT_PEGGY: &str = "6a4f3b2c1d0e9f8a7b6c5d4e";
/// Victor: holds *Administer Jira* (jira-admins) and product access, no project role.
pub const ACCOUNT_VICTOR: &str = "7b5a4c3d2e1f0a9b8c7d6e5f";
/// An app account that shows Grace's email (a mail handler set up with her address).
pub const ACCOUNT_MAIL_APP: &str = "557058:0b0b0b0b-app1-4000-8000-mailhandler1";
/// Key of the private team-managed project every preset has.
pub const LAB_KEY: &str = "LAB";

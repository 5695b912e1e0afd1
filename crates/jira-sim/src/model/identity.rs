//! People and groups of a site: accounts ([`User`]), groups and application roles.

use serde::{Deserialize, Serialize};

/// An account of the site: a person, an app or a service-desk customer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct User {
    /// Atlassian account id.
    pub account_id: String,
    /// "atlassian", "app" or "customer".
    pub account_type: String,
    /// The user's real email; served only when `email_visible`.
    pub email: String,
    /// Whether the email is served (profile visibility).
    pub email_visible: bool,
    /// Full name as shown.
    pub display_name: String,
    /// Whether the account may log in; inactive accounts see nothing.
    pub active: bool,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
}

/// A group of accounts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Group {
    /// Group id (a UUID).
    pub group_id: String,
    /// Group name, e.g. `engineering`.
    pub name: String,
    /// Account ids of the members (active or not).
    pub members: Vec<String>,
}

/// An application role (a product: Jira Software, Jira Service Management).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApplicationRole {
    /// e.g. "jira-software".
    pub key: String,
    /// Display name, e.g. "Jira Software".
    pub name: String,
    /// Group ids whose members hold this application role.
    pub group_ids: Vec<String>,
    /// Group ids new users of the product join.
    pub default_group_ids: Vec<String>,
}

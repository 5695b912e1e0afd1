//! What a mutation fails with ([`MutationError`]).

/// A mutation that names something the workspace does not have.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MutationError {
    /// No issue has this id or key.
    #[error("issue '{0}' does not exist")]
    UnknownIssue(String),
    /// No project has this id or key.
    #[error("project '{0}' does not exist")]
    UnknownProject(String),
    /// No comment has this id.
    #[error("comment '{0}' does not exist")]
    UnknownComment(String),
    /// No account has this id.
    #[error("user '{0}' does not exist")]
    UnknownUser(String),
    /// No group has this id.
    #[error("group '{0}' does not exist")]
    UnknownGroup(String),
    /// The level is not one of the project's security scheme.
    #[error("security level '{level}' is not in the issue security scheme of project '{project}'")]
    UnknownSecurityLevel {
        /// The project's key.
        project: String,
        /// The level asked for.
        level: String,
    },
    /// No project role has this id.
    #[error("project role '{0}' does not exist")]
    UnknownRole(String),
    /// The project has no permission scheme (team-managed).
    #[error("permission scheme of project '{0}' does not exist (team-managed project?)")]
    NoPermissionScheme(String),
}

//! What a mutation fails with ([`MutationError`]).

/// A mutation that names something the workspace does not have.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MutationError {
    #[error("issue '{0}' does not exist")]
    UnknownIssue(String),
    #[error("project '{0}' does not exist")]
    UnknownProject(String),
    #[error("comment '{0}' does not exist")]
    UnknownComment(String),
    #[error("user '{0}' does not exist")]
    UnknownUser(String),
    #[error("group '{0}' does not exist")]
    UnknownGroup(String),
    #[error("security level '{level}' is not in the issue security scheme of project '{project}'")]
    UnknownSecurityLevel { project: String, level: String },
    #[error("project role '{0}' does not exist")]
    UnknownRole(String),
    #[error("permission scheme of project '{0}' does not exist (team-managed project?)")]
    NoPermissionScheme(String),
}

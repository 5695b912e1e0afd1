//! Typed serde models of the Jira Cloud REST v3 answers this client reads.
//!
//! Reading is lenient: unknown fields are ignored, ids are accepted as strings or
//! numbers (and kept as strings), `null` reads as empty, optional fields may be
//! missing. What cannot be represented safely (a role actor of an unknown type, a
//! user reference without an account id) is dropped, never widened: fewer grants, not
//! more. Serialization writes Jira's camelCase shapes back (used by caches and the
//! simulator's tests).
mod audit;
mod issue;
mod project;
mod scheme;
mod user;

pub use audit::{AuditItem, AuditRecord};
pub use issue::{
    Attachment, BulkFetch, Comment, CommentPage, Issue, IssueError, IssueFields, IssueRef,
    IssueType, Named, ProjectRef, Status, Visibility,
};
pub use project::{Project, ProjectRole, RoleActor};
pub use scheme::{
    IssueSecurityScheme, PermissionGrant, PermissionHolder, PermissionScheme, SchemeLevel,
    SecurityLevelMember, SecurityLevelRef, SecuritySchemeProjects,
};
pub use user::{ApplicationRole, Group, User, UserRef};

#[cfg(test)]
mod tests;

//! Workspace mutations, as a Rust API on [`Workspace`](crate::model::Workspace).
//!
//! Every issue/comment mutation moves the affected issue's `updated` to now (never
//! backdated: strictly after every existing `updated`) and writes an audit record,
//! except [`delete_issue_silently`](crate::model::Workspace::delete_issue_silently),
//! which models a deletion that never reaches the audit log. Identity and scheme
//! changes write audit records too.
//!
//! The helpers every mutation shares (clock, lookups, audit records) are in `base`;
//! issue and comment mutations in `issues`; group, user, project, grant and role
//! mutations in `access`.

mod access;
mod base;
mod error;
mod issues;

pub use error::MutationError;
pub use issues::IssueUpdate;

#[cfg(test)]
mod tests;

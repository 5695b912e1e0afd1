//! The sync state store: what a sync must remember between runs, in one SQLite
//! database in the data directory (`state.db`) — per-issue content hashes and chunk
//! ids, per-project checkpoints, the identity tables, identity-sync bookkeeping, the
//! run history and the audit of settings changed from the console.
//!
//! Architecture invariant: only the sync writes the store; search, `status` and the
//! server read it. It never calls Jira and never touches the search index.

#![warn(missing_docs)]

pub mod error;
pub mod records;
pub mod store;

pub use error::StateError;
pub use records::{
    AttachmentCounts, Checkpoint, IssueState, RunError, RunErrorKind, RunKind, RunRecord, SyncState,
};
pub use store::{ConfigAudit, IdentityMeta, StateStore};

#[cfg(test)]
mod tests;

//! The sync state store: what a sync must remember between runs — per-issue content
//! hashes and chunk ids, per-project checkpoints, the identity tables and their
//! version, identity-sync bookkeeping, the run history and the audit of settings
//! changed from the console — plus what a distributed deployment coordinates through
//! it: the worker lock, the webhook hint queue and the unmatched search callers.
//! It lives in SQLite in the data directory (`state.db`, the default) or in
//! PostgreSQL (`[state] url`), behind one [`StateStore`] API.
//!
//! Architecture invariant: only the holder of the [`WorkerLock`] runs syncs and
//! writes the sync state (issues, checkpoints, runs, identity tables); search
//! replicas, `status` and the server read it and write only webhook hints, unmatched
//! callers and the settings audit. It never calls Jira and never touches the search
//! index.

#![warn(missing_docs)]

pub mod error;
pub mod records;
pub mod store;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

pub use error::StateError;
pub use records::{
    AttachmentCounts, Checkpoint, IssueState, RunError, RunErrorKind, RunKind, RunRecord, SyncState,
};
pub use store::{ConfigAudit, IdentityMeta, StateStore, WorkerLock};

#[cfg(test)]
mod tests;

//! The sync: reads a Jira Cloud site through `jira-cloud`, turns what it reads into
//! permission-tagged chunks (`content` + `access`) and writes them into the search
//! index (`index`), recording what it wrote in the state store (`state`). It also
//! holds the admin's read-only views of a site and a data directory: `check`,
//! `preview`, `status` and `verify-access`.
//!
//! Stages (see `pipeline`): identity → issue pages → documents → embeddings → writes,
//! joined by bounded channels so a slow stage slows its producers instead of filling
//! memory. What this crate never does: decide visibility itself (that is `access`),
//! parse ADF or files (that is `content`), or speak HTTP other than through
//! `jira-cloud`.
//!
//! Architecture invariant: the sync is the only writer of the index and the state
//! store; it never answers searches (that is `search`).

#![warn(missing_docs)]

pub mod attachments;
pub mod check;
pub mod clock;
pub mod credentials;
pub mod directory;
pub mod documents;
pub mod error;
pub mod issues;
pub mod pipeline;
pub mod preview;
pub mod progress;
mod stages;
pub mod status;
pub mod team_access;
pub mod verify;

pub use issues::{IssueUpdateReport, sync_issues};
pub use pipeline::{SyncOptions, SyncReport, run_identity_sync, run_sync, run_sync_into};

pub use error::SyncError;

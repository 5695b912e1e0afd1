//! Search on behalf of a named person: the caller's email is resolved to a Jira
//! account through the synced identity directory (plus the admin's mapping file),
//! expanded into a principal set at query time (`access`), and the index (`index`)
//! returns only chunks whose three ACL gates that set passes. [`Searcher`] answers
//! searches, assembles the issue view a person may see ([`IssueView`]) and explains
//! a verdict chunk by chunk ([`IssueAccess`]).
//!
//! Architecture invariant: search never calls Jira and never writes the index (nor
//! the state store). It reads the data directory the sync writes: the index, the
//! identity snapshot (`directory.json`) and the mapping file; the only file it
//! writes is its own list of callers no account matched.

#![warn(missing_docs)]

pub mod error;
pub mod explain;
pub mod open;
pub mod searcher;
pub mod views;

pub use error::SearchError;
pub use explain::{ChunkAccess, IssueAccess};
pub use open::open_index;
pub use searcher::{SearchOutcome, Searcher, describe_identity, load_mapping};
pub use views::{IssueView, PartView, ProjectView};

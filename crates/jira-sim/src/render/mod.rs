//! Writes what the simulator serves most — issues with their ADF, comments, users and
//! attachments — straight to JSON, without building `serde_json::Value` trees first:
//! search pages are most of its work during a sync, and building then dropping a tree
//! per issue cost more than the sync's own parsing. Handlers that need a `Value` take
//! `serde_json::to_value` of the same types, so each shape is written once.
//!
//! The shapes live by subject: the ADF writer (`adf`), users (`user`), comments and
//! attachments (`comment`), and issues (`issue`).

mod adf;
mod comment;
mod issue;
mod user;

pub use adf::Adf;
pub use comment::{AttachmentOut, CommentOut, num_cmp, sorted_comments};
pub use issue::{Family, INLINE_COMMENTS, IssueOut};
pub use user::{UserOut, UserRef};

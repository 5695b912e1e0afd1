//! Errors of this crate. The only external input `access` parses is the admin's
//! email-mapping file; everything else is already-typed directory data.

use thiserror::Error;

/// What went wrong, naming the offending entry.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AccessError {
    /// The mapping file is not valid TOML/JSON.
    #[error("email mapping file is not valid {format}: {detail}")]
    MappingSyntax {
        format: &'static str,
        detail: String,
    },
    /// One entry of the mapping file is malformed.
    #[error("email mapping entry {entry:?}: {detail}")]
    MappingEntry { entry: String, detail: String },
    /// The same email (after trimming and lower-casing) maps to two accounts.
    #[error(
        "email mapping maps {email} to two accounts ({first} and {second}): keep one line per email"
    )]
    MappingConflict {
        email: String,
        first: String,
        second: String,
    },
}

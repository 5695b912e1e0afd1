//! Errors of this crate. The only external input `access` parses is the admin's
//! email-mapping file; everything else is already-typed directory data.

use thiserror::Error;

/// What went wrong, naming the offending entry.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AccessError {
    /// The mapping file is not valid TOML/JSON.
    #[error("email mapping file is not valid {format}: {detail}")]
    MappingSyntax {
        /// `TOML` or `JSON`.
        format: &'static str,
        /// The parser's message.
        detail: String,
    },
    /// One entry of the mapping file is malformed.
    #[error("email mapping entry {entry:?}: {detail}")]
    MappingEntry {
        /// Where the entry is: its key (the email as written) or its place in the file.
        entry: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The same email (after trimming and lower-casing) maps to two accounts.
    #[error(
        "email mapping maps {email} to two accounts ({first} and {second}): keep one line per email"
    )]
    MappingConflict {
        /// The email, normalized.
        email: String,
        /// The account of the first entry.
        first: String,
        /// The account of the other entry.
        second: String,
    },
}

//! One line of the `check` report.

use serde::Serialize;

/// One capability, read or not.
#[derive(Debug, Clone, Serialize)]
pub struct CheckItem {
    /// What was checked.
    pub what: String,
    /// Whether the account can read it.
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// What to do when it is not ok (or worth knowing when it is).
    pub advice: Option<String>,
}

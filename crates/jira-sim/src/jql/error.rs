//! What a query that cannot run fails with ([`JqlError`]).

/// A JQL query the simulator cannot run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JqlError {
    /// The query does not parse.
    #[error("Error in the JQL Query: {0}")]
    Syntax(String),
    /// The query uses JQL the simulator does not implement.
    #[error("The JQL feature '{0}' is not supported by the simulator.")]
    Unsupported(String),
    /// A value that names nothing (e.g. a project key that does not exist).
    #[error("The value '{value}' does not exist for the field '{field}'.")]
    UnknownValue {
        /// The field, e.g. `project`.
        field: String,
        /// The value given.
        value: String,
    },
}

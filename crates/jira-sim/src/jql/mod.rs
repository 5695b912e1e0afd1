//! The JQL subset the simulator understands, and `search/jql` page tokens.
//!
//! Supported: `project = A`, `project != A`, `project in (A, B)`, `project not in (…)`,
//! `key in (…)`, `id in (…)`, `key = X`, `id = N`, `parent = X`, `parent in (…)`,
//! `updated|created` with `>=, >, <=, <, =`
//! against epoch milliseconds or a quoted `"yyyy/MM/dd HH:mm"` / `"yyyy-MM-dd"` (read in
//! UTC, the connector account's time zone), clauses joined by `AND` and `OR` (AND binds
//! tighter) and grouped by parentheses, and
//! `ORDER BY updated|created|key|id [ASC|DESC], …`. Anything else is an error naming the
//! unsupported part. Issues of archived projects never match.
//!
//! A query is tokenized (`lex`), parsed (`parse`) into its condition and sort keys
//! (`ast`) and run on a workspace (`eval`); `token` makes the page tokens.

mod ast;
mod error;
mod eval;
mod lex;
mod parse;
mod token;

pub use ast::Jql;
pub use error::JqlError;
pub use parse::{parse, parse_iso};
pub use token::{decode_token, encode_token, fingerprint};

#[cfg(test)]
mod tests;

//! `jira-sim`: a Jira Cloud simulator for tests and demos.
//!
//! Owns: the seeded workspace generator ([`generate`](mod@generate)), the data model
//! ([`model`]), an axum server speaking the Jira Cloud REST v3 shapes on loopback
//! ([`server`]), the ground-truth visibility oracle ([`oracle`]), workspace mutations
//! ([`mutate`], also over HTTP: [`admin`]), seeded fault injection with a request log
//! ([`faults`]) and OAuth 2.0 (3LO) with rotating refresh tokens ([`oauth`]), and
//! signed webhooks sent after each mutation ([`webhooks`]).
//!
//! Must never: depend on the project's `access` crate (the oracle is an independent
//! reimplementation of Jira's rules), listen on a non-loopback address by default, or log
//! credentials.
//!
//! Story entities of every preset (emails `<name>@example.com`):
//! admin (connector, site admin), alice (engineering, ENG lead), bob (engineering, ENG
//! Developers role), carol (engineering + security-team), dave (security-team only),
//! erin (ops-team, OPS Administrators role), frank (OPS Developers user actor), grace
//! (HR single-user grant), heidi (hidden email), ivan (inactive, engineering), judy
//! (PUB lead, service-desk-agents), mallory (service-desk-agents only, no jira-software).

#![warn(missing_docs)]

pub mod admin;
pub mod faults;
pub mod files;
pub mod generate;
pub mod jql;
pub mod model;
pub mod mutate;
pub mod oauth;
pub mod oracle;
pub mod render;
pub mod rich;
pub mod server;
pub mod webhooks;

pub use generate::{GenConfig, generate};
pub use model::{MARKER_IN_COMMENT, MARKER_IN_DESCRIPTION, User, Workspace};
pub use server::{SimHandle, SimOptions, start, start_with};

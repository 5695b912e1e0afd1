//! `jira-cloud`: the REST client of Jira Cloud (platform API v3) for jira-index.
//!
//! Owns: authentication (API token basic auth; OAuth 2.0 3LO with single-flight
//! refresh and rotating refresh tokens), the site's shared rate budget (AIMD token
//! bucket, `Retry-After`, `RateLimit`/`X-RateLimit-*` headers), retries with jittered
//! backoff, typed serde models of the answers, and walking every pagination style
//! (offset + `isLast`, bare arrays, `nextPageToken`, offset + `total`).
//!
//! Must never: log or print a secret (the `Authorization` header is marked sensitive,
//! `Debug` of [`Auth`] redacts the token, only URLs are logged); turn an error into an
//! empty result; send a request before a `Retry-After` has passed; call the removed
//! `/rest/api/3/search` (410). It knows nothing about indexing or permissions
//! semantics: it reads what Jira says and hands it on.
//!
//! Notes for callers:
//! - Build one [`JiraClient`] per site and clone it: clones share the connection pool,
//!   the request counter and the in-flight limit (`max_concurrency`). Every client of a
//!   site (same base URL) shares one rate budget; the first client's
//!   [`RateLimitConfig`] wins.
//! - Team-managed (`simplified`) projects have no permission scheme: Jira answers 404,
//!   so [`JiraClient::project_permission_scheme`] returns `JiraError::Http { status: 404 }`
//!   ([`JiraError::is_not_found`]). A missing issue security scheme is `Ok(None)`.
//! - Ids are strings everywhere, whatever JSON type Jira used. Group role actors,
//!   application-role groups and holders may lack a group id when Jira named the group
//!   only: `group_id` is then empty (resolve by name or grant nothing).
//! - Unknown role-actor types are dropped (logged): they grant nothing.
//! - `search/jql` pages hold at most 100 issues with content fields; inline comments may
//!   be a first page only: [`JiraClient::complete_comments_all`] fetches the rest.
//!
//! ```no_run
//! # async fn demo() -> Result<(), jira_cloud::JiraError> {
//! use jira_cloud::{Auth, ClientConfig, JiraClient, JqlRequest};
//! let client = JiraClient::new(ClientConfig::new(
//!     "https://acme.atlassian.net",
//!     Auth::basic("admin@acme.com", std::env::var("JIRA_API_TOKEN").unwrap_or_default()),
//! ))?;
//! let me = client.myself().await?;
//! let issues = client
//!     .search_jql_all(&JqlRequest::new("project = DEMO ORDER BY updated ASC, key ASC"))
//!     .await?;
//! println!("{} sees {} issues", me.display_name, issues.len());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod attachments;
mod audit;
mod auth;
mod backoff;
mod client;
mod config;
mod de;
mod error;
mod identity;
pub mod jql;
pub mod login;
pub mod model;
mod oauth;
mod paging;
pub mod permissions;
mod projects;
mod rate;
mod search;
mod time;
mod transport;

pub use auth::{ATLASSIAN_TOKEN_URL, Auth, OAuthCredentials, RefreshTokenSink};
pub use client::JiraClient;
pub use config::{ClientConfig, RateLimitConfig};
pub use error::JiraError;
pub use permissions::{
    MAX_PERMISSION_CHECK_IDS, PermissionCheck, PermissionGrants, ProjectPermissionGrant,
    ProjectPermissionQuery,
};
pub use rate::{QuotaReading, RateBudgetSnapshot};
pub use search::{
    ISSUE_FIELDS, JqlPage, JqlRequest, MAX_BULKFETCH, MAX_CONTENT_PAGE, MAX_ID_PAGE, MAX_RECONCILE,
};
pub use time::{format_epoch_ms, parse_jira_time};

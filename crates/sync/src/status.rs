//! What `jira-index status` (and later the admin console) reports about a data
//! directory: the sync history and the identity problems an admin can act on —
//! people whose email Jira hides and that the mapping file does not cover, inactive
//! accounts, what each mapping line does, and callers no account matched; and the
//! attachments whose text could not be extracted.

use access::{Directory, EmailMapping, IdentityReport, identity_report};
use serde::Serialize;

use crate::attachments::AttachmentCache;
use crate::error::SyncError;
use config::Config;
use config::{DataDir, read_json};
use search::load_mapping;
use state::{RunRecord, StateStore, SyncState};

/// The status of one data directory.
#[derive(Debug, Serialize)]
pub struct Status {
    /// The data directory.
    pub data_dir: String,
    /// Whether an identity directory was ever synced.
    pub synced: bool,
    /// Issues in the index.
    pub indexed_issues: usize,
    /// Chunks in the index.
    pub indexed_chunks: usize,
    /// Users in the synced directory.
    pub users: usize,
    /// Groups in the synced directory.
    pub groups: usize,
    /// Projects in the synced directory.
    pub projects: usize,
    /// The most recent runs, oldest first.
    pub runs: Vec<RunRecord>,
    /// Hidden emails, inactive accounts and what each mapping line does.
    pub identity: IdentityReport,
    /// Emails that searched and matched no Jira account (they saw only what `anyone`
    /// may see). Add a mapping line for the ones that belong to a hidden-email person.
    pub unmatched_callers: Vec<String>,
    /// Attachments whose text could not be extracted (damaged files); they are
    /// indexed by name only.
    pub attachment_failures: Vec<AttachmentFailure>,
    /// What the last identity read could not read (application roles, team-managed
    /// access levels, administrators), each with how it denies (fail closed).
    pub access_warnings: Vec<String>,
    /// People without Jira product access (active `atlassian` accounts in no group of
    /// an application role) and customers: they find only what anyone may see.
    pub without_product_access: usize,
}

/// One attachment that gave no text.
#[derive(Debug, Serialize)]
pub struct AttachmentFailure {
    /// The attachment id.
    pub attachment_id: String,
    /// The issue it was on.
    pub issue_key: String,
    /// Its file name.
    pub file_name: String,
    /// Why it gave no text.
    pub error: String,
}

/// Reads the status of the config's data directory (nothing is fetched from Jira).
pub fn status(cfg: &Config) -> Result<Status, SyncError> {
    let data = DataDir::new(&cfg.data.dir);
    let store = StateStore::open_config(cfg)?;
    let state: SyncState = store.load()?;
    let directory: Option<Directory> = store.load_directory()?;
    let mapping = match &cfg.identity.email_mapping_file {
        Some(path) => load_mapping(path)?,
        None => EmailMapping::default(),
    };
    // Search replicas record them in the shared store; one machine in its data directory.
    let unmatched_callers: Vec<String> = match cfg.state.url {
        Some(_) => store.unmatched_callers()?,
        None => read_json(&data.unmatched_callers_file())?.unwrap_or_default(),
    };
    let synced = directory.is_some();
    let directory = directory.unwrap_or_default();
    let identity = identity_report(&directory, &mapping);
    let without_product_access = directory
        .users
        .iter()
        .filter(|u| u.active && u.account_type != "app")
        .filter(|u| !directory.has_product_access(&u.account_id))
        .count();
    let access_warnings = directory.warnings.clone();
    // A caller that a mapping line now covers is no longer unmatched.
    let unmatched_callers = unmatched_callers
        .into_iter()
        .filter(|email| {
            access::resolve_email(&directory, email, &mapping) == access::Identity::Unmatched
        })
        .collect();
    Ok(Status {
        data_dir: data.root().display().to_string(),
        synced,
        indexed_issues: state.issues.len(),
        indexed_chunks: state.issues.values().map(|s| s.chunk_ids.len()).sum(),
        users: directory.users.len(),
        groups: directory.groups.len(),
        projects: directory.projects.len(),
        runs: state.runs.iter().rev().take(10).rev().cloned().collect(),
        identity,
        unmatched_callers,
        attachment_failures: AttachmentCache::new(&data)
            .failures()
            .into_iter()
            .map(|(id, e)| AttachmentFailure {
                attachment_id: id,
                issue_key: e.issue_key,
                file_name: e.file_name,
                error: e.error.unwrap_or_default(),
            })
            .collect(),
        access_warnings,
        without_product_access,
    })
}

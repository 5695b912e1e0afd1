//! The records a sync keeps between runs: what the index holds for each issue
//! ([`IssueState`]: content hashes and chunk ids, so unchanged issues are never
//! re-chunked or re-embedded and deleted issues can be removed), per-project
//! [`Checkpoint`]s, and the run history ([`RunRecord`], with typed [`RunError`]s).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the index holds for one issue.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssueState {
    /// The issue key (`ENG-12`).
    pub key: String,
    /// Its project's id.
    pub project_id: String,
    /// Its project's key.
    pub project_key: String,
    /// Hash over everything the issue's chunks are made from (text, ACL facts, metadata).
    pub content_hash: String,
    /// The ids of its chunks in the index.
    pub chunk_ids: Vec<String>,
    /// Content hash of each chunk, in `chunk_ids` order.
    #[serde(default)]
    pub chunk_hashes: Vec<String>,
    /// The issue's `updated` time, epoch ms.
    pub updated: i64,
}

/// What a run synced.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// Identity and issues.
    #[default]
    Full,
    /// Identity only (users, groups, roles, grants, security levels).
    Identity,
}

/// One sync run, as shown by `jira-index status`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunRecord {
    /// Identity and issues, or identity only.
    #[serde(default)]
    pub kind: RunKind,
    /// Start (epoch ms).
    pub started_ms: i64,
    /// End (epoch ms).
    pub finished_ms: i64,
    /// Issues read from Jira.
    pub issues_seen: usize,
    /// Issues whose chunks were (re)written.
    pub issues_indexed: usize,
    /// Issues read whose content hash had not changed (nothing written).
    pub issues_unchanged: usize,
    /// Issues removed from the index (by the audit log and by reconciliation).
    pub issues_deleted: usize,
    /// Of those, the ones the audit log reported.
    #[serde(default)]
    pub issues_deleted_audit: usize,
    /// Whether group members, roles, grants and levels were read in full.
    #[serde(default)]
    pub identity_full: bool,
    /// How long the identity stage took (ms).
    #[serde(default)]
    pub identity_ms: i64,
    /// Chunks written to the index.
    pub chunks_written: usize,
    /// Projects read incrementally (changes since their checkpoint, plus the id set).
    #[serde(default)]
    pub projects_incremental: usize,
    /// Projects read in full (first run, new in scope, settings changed, `--force`).
    #[serde(default)]
    pub projects_full: usize,
    /// HTTP requests to Jira, retries and attachment downloads included.
    pub api_calls: u64,
    /// Of `api_calls`, the requests for attachment bytes.
    #[serde(default)]
    pub attachment_calls: u64,
    /// Attachments: downloaded now, text from the cache, not downloaded by policy
    /// (size, type), failed (download or extraction; each also in `errors`).
    #[serde(default)]
    pub attachments: AttachmentCounts,
    /// What went wrong, item by item (the rest of the run went on).
    #[serde(deserialize_with = "records_errors")]
    pub errors: Vec<RunError>,
    /// What the identity stage could not read (application roles, team-managed
    /// access levels, administrators), each with how it denies (fail closed).
    #[serde(default)]
    pub access_warnings: Vec<String>,
    /// Stopped before the end (by an admin): what was written stays, the rest is
    /// read by the next run.
    #[serde(default)]
    pub stopped: bool,
}

/// What a run did with attachments.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttachmentCounts {
    /// Downloaded and extracted now.
    pub downloaded: usize,
    /// Bytes downloaded.
    pub downloaded_bytes: u64,
    /// Text taken from the cache (the file was read before).
    pub cached: usize,
    /// Not downloaded by policy (size, type): indexed by name.
    pub skipped: usize,
    /// Download or extraction failed (each also in the run's errors).
    pub failed: usize,
}

/// The persisted sync state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SyncState {
    /// Issue id → what the index holds for it.
    pub issues: BTreeMap<String, IssueState>,
    /// The most recent runs, oldest first.
    pub runs: Vec<RunRecord>,
    /// Where the next run may start reading changes, per project.
    #[serde(default)]
    pub checkpoint: Checkpoint,
}

/// Incremental-sync checkpoints. Valid only for the settings they were made under:
/// when what becomes chunks changes (indexing switches, chunking, embedding), the
/// fingerprint differs and every project is read in full again.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    /// Hash of the settings that shape chunks.
    pub fingerprint: String,
    /// Project key → the newest `updated` (epoch ms) of the project's issues that a
    /// run read and indexed without error.
    pub projects: BTreeMap<String, i64>,
}

/// What kind of item a [`RunError`] is about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunErrorKind {
    /// A project's issues could not be fetched; its checkpoint stays and nothing of it
    /// is deleted.
    Project,
    /// An issue could not be documented (its comments or its parent's security level
    /// could not be read); the index keeps what it had for it.
    Issue,
    /// An attachment could not be downloaded or read; it is indexed by name only.
    Attachment,
    /// A restriction that could not be resolved (e.g. a comment restricted to a role
    /// name the directory does not know): the text is hidden (fail closed).
    Access,
    /// A worker task stopped; nothing is deleted by this run.
    Worker,
    /// Recorded by a version before errors were typed.
    #[default]
    Other,
}

/// One thing a run could not do, and the item it was about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    /// What kind of item.
    pub kind: RunErrorKind,
    /// The item: a project key for [`RunErrorKind::Project`], an issue key otherwise
    /// (empty when no single item is to blame).
    pub item: String,
    /// What went wrong (for an attachment, its file name first).
    pub message: String,
}

impl RunError {
    /// An error of `kind` about `item`.
    pub fn new(kind: RunErrorKind, item: impl Into<String>, message: impl Into<String>) -> Self {
        RunError {
            kind,
            item: item.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.kind, self.item.is_empty()) {
            (_, true) => f.write_str(&self.message),
            (RunErrorKind::Project, false) => write!(f, "project {}: {}", self.item, self.message),
            (_, false) => write!(f, "{}: {}", self.item, self.message),
        }
    }
}

/// Reads run errors as recorded now (objects) or before they were typed (strings).
fn records_errors<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<RunError>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Typed(RunError),
        Text(String),
    }
    Ok(Vec::<Stored>::deserialize(d)?
        .into_iter()
        .map(|e| match e {
            Stored::Typed(e) => e,
            Stored::Text(message) => RunError::new(RunErrorKind::Other, "", message),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_errors_read_both_typed_and_legacy_records() {
        let typed = RunError::new(RunErrorKind::Project, "ENG", "fetching issues failed: 500");
        assert_eq!(
            typed.to_string(),
            "project ENG: fetching issues failed: 500"
        );
        let run = RunRecord {
            errors: vec![typed.clone()],
            ..Default::default()
        };
        let back: RunRecord = serde_json::from_str(&serde_json::to_string(&run).unwrap()).unwrap();
        assert_eq!(back.errors, vec![typed]);
        let mut legacy = serde_json::to_value(&run).unwrap();
        legacy["errors"] = serde_json::json!(["ENG-1: report.pdf: corrupt"]);
        let back: RunRecord = serde_json::from_value(legacy).unwrap();
        assert_eq!(back.errors[0].kind, RunErrorKind::Other);
        assert_eq!(back.errors[0].to_string(), "ENG-1: report.pdf: corrupt");
    }
}

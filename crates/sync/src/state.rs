//! The sync state's types and the data directory's layout: per-issue content hashes
//! and chunk ids (so unchanged issues are never re-chunked or re-embedded and deleted
//! issues can be removed), checkpoints and the run history — persisted by
//! `crate::store::StateStore` — and the atomically written JSON files: the identity
//! snapshot searches load (`directory.json`), token files, the attachment text cache.
//! Atomic writes go to a temp file, fsync, rename: a crash leaves the old or the new
//! version, never half of one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::SyncError;

/// Paths inside the data directory.
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }
    pub fn directory_file(&self) -> PathBuf {
        self.root.join("directory.json")
    }
    /// The state left by versions before the state database; imported once.
    pub fn state_file(&self) -> PathBuf {
        self.root.join("state.json")
    }
    /// The sync state database (`crate::store::StateStore`).
    pub fn state_db(&self) -> PathBuf {
        self.root.join("state.db")
    }
    /// Emails of callers no Jira account matched, as seen by searches.
    pub fn unmatched_callers_file(&self) -> PathBuf {
        self.root.join("unmatched-callers.json")
    }
    /// Creates the data directory, owner-only (0700), if it is missing; tightens the
    /// directory itself when others may enter it. Cheap: see [`DataDir::secure`] for
    /// the whole tree.
    pub fn ensure(&self) -> Result<(), SyncError> {
        let io = |source| SyncError::Io {
            path: self.root.display().to_string(),
            source,
        };
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.root).map_err(io)?;
        #[cfg(unix)]
        tighten(&self.root, true).map_err(io)?;
        Ok(())
    }

    /// Makes everything under the data directory owner-only: directories 0700, files
    /// 0600 (the index, vectors, attachment text cache and state hold Jira content
    /// that only the people Jira lets see it may read). Returns how many entries were
    /// tightened; symbolic links are not followed. Run at start-up and after a sync
    /// (the index libraries create files with the process umask).
    pub fn secure(&self) -> Result<usize, SyncError> {
        self.ensure()?;
        #[cfg(unix)]
        {
            let mut fixed = 0usize;
            let mut stack = vec![self.root.clone()];
            while let Some(dir) = stack.pop() {
                let io = |source| SyncError::Io {
                    path: dir.display().to_string(),
                    source,
                };
                if tighten(&dir, true).map_err(io)? {
                    fixed += 1;
                }
                for entry in std::fs::read_dir(&dir).map_err(io)? {
                    let entry = entry.map_err(io)?;
                    let kind = entry.file_type().map_err(io)?;
                    if kind.is_dir() {
                        stack.push(entry.path());
                    } else if kind.is_file() && tighten(&entry.path(), false).map_err(io)? {
                        fixed += 1;
                    }
                }
            }
            Ok(fixed)
        }
        #[cfg(not(unix))]
        Ok(0)
    }
}

/// Removes group and other permission bits (keeping the owner's, plus owner rwx on
/// directories); `true` when the mode changed.
#[cfg(unix)]
fn tighten(path: &Path, dir: bool) -> std::io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::symlink_metadata(path)?.permissions().mode();
    let want = if dir {
        (mode & 0o700) | 0o700
    } else {
        (mode & 0o700) | 0o600
    } & 0o7777;
    if mode & 0o7777 == want {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(want))?;
    Ok(true)
}

/// What the index holds for one issue.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssueState {
    pub key: String,
    pub project_id: String,
    pub project_key: String,
    /// Hash over everything the issue's chunks are made from (text, ACL facts, metadata).
    pub content_hash: String,
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
    #[serde(default)]
    pub kind: RunKind,
    pub started_ms: i64,
    pub finished_ms: i64,
    pub issues_seen: usize,
    pub issues_indexed: usize,
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
    pub errors: Vec<String>,
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
    pub downloaded: usize,
    pub downloaded_bytes: u64,
    pub cached: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// The persisted sync state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SyncState {
    pub issues: BTreeMap<String, IssueState>,
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

/// Writes `value` as JSON to `path` atomically and durably (fsync of the file and its
/// directory).
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), SyncError> {
    let bytes = serde_json::to_vec(value).map_err(SyncError::encode("a state file"))?;
    write_bytes_atomic(path, &bytes, None)
}

/// Replaces `path` with `bytes` atomically and durably (temp file in the same
/// directory, fsync, rename, fsync of the directory); the new file gets `mode` (unix
/// permission bits) or, without it, owner read/write only.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), SyncError> {
    let io = |source| SyncError::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile_in(dir).map_err(io)?;
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        tmp.1
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(io)?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.1.write_all(bytes).map_err(io)?;
    tmp.1.sync_all().map_err(io)?;
    std::fs::rename(&tmp.0, path).map_err(io)?;
    // The rename is durable once the directory is synced.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new temporary file in `dir`, readable by its owner only (state and token files
/// can hold secrets).
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = format!(".tmp-{}-{}", std::process::id(), rand_suffix());
    let path = dir.join(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path)?;
    Ok((path, file))
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Reads JSON from `path`; `Ok(None)` when the file does not exist.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, SyncError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| SyncError::CorruptState {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SyncError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Opens the search index of a config: the keyword index in the data directory, and
/// the vectors embedded beside it or, when `[vectors.qdrant]` is set and an embedder is
/// given, on the Qdrant server.
pub fn open_index(
    cfg: &crate::Config,
    embedder: Option<std::sync::Arc<index::Embedder>>,
) -> Result<index::SearchIndex, SyncError> {
    let data = DataDir::new(&cfg.data.dir);
    data.ensure()?;
    let dir = data.index_dir();
    match (cfg.vectors.server()?, &embedder) {
        (Some(server), Some(e)) => {
            let store =
                index::QdrantServerStore::connect(&server, e.dim())?.with_model(e.model().id());
            Ok(index::SearchIndex::with_store(
                &dir,
                embedder,
                Some(Box::new(store)),
            )?)
        }
        _ => Ok(index::SearchIndex::open(&dir, embedder)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_roundtrip_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(read_json::<SyncState>(&path).unwrap().is_none());
        let mut state = SyncState::default();
        state.issues.insert(
            "10001".into(),
            IssueState {
                key: "ENG-1".into(),
                ..Default::default()
            },
        );
        write_json_atomic(&path, &state).unwrap();
        let back: SyncState = read_json(&path).unwrap().unwrap();
        assert_eq!(back.issues["10001"].key, "ENG-1");
        // no temp files left behind
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn corrupt_state_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, b"{not json").unwrap();
        let err = read_json::<SyncState>(&path).unwrap_err();
        assert!(err.to_string().contains("state.json"), "{err}");
    }
}

//! [`StateStore`]: what a sync must remember between runs — per-issue content hashes
//! and chunk ids with each chunk's content hash (issue body, comments, attachments),
//! per-project checkpoints and the settings fingerprint they were made under, the
//! identity tables (users, groups and members, projects, roles, grants, security
//! levels) and their version, identity-sync bookkeeping, the run history that
//! `jira-index status` shows, the audit of settings changed from the console — and,
//! for a distributed deployment, the worker lock, the webhook hint queue and the
//! unmatched search callers.
//!
//! It lives in one of two backends, chosen by the config's `[state]` table
//! ([`StateStore::open_config`]): SQLite in the data directory (`sqlite`, the
//! default; one machine) or PostgreSQL (`postgres`; shared by the sync worker and the
//! search replicas). Both keep the same tables and answer every call the same way;
//! `rows` holds what they share. A `state.json` left by an older version is imported
//! once into a new SQLite database.

mod postgres;
mod rows;
mod sqlite;

use std::time::Duration;

use access::Directory;
use serde::{Deserialize, Serialize};

use config::{DataDir, FileError, read_json};

use self::postgres::{PgConn, Postgres};
use self::rows::{RUNS_LOADED, json};
use self::sqlite::Sqlite;
use crate::error::StateError;
use crate::records::{Checkpoint, IssueState, RunRecord, SyncState};

/// Bookkeeping of the identity stage: when the directory was last read in full, and
/// the audit records already acted on (those inside the overlap window).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdentityMeta {
    /// Start of the last full identity read (epoch ms, this machine's clock).
    pub full_read_ms: i64,
    /// Start of the last identity stage of any kind.
    pub last_read_ms: i64,
    /// Audit record ids seen by the last identity stage.
    pub audit_seen: Vec<String>,
}

/// One recorded settings change: when, who, what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigAudit {
    /// When (epoch ms).
    pub at_ms: i64,
    /// The admin (API key name or proxy email).
    pub who: String,
    /// The setting and its values before and after.
    pub change: config::editable::SettingChange,
}

/// Where the state lives.
// One per open store: the variants' size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum Backend {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

/// The open state store. The sync worker writes the sync state; search and the
/// server read it (and write only the audit of settings, webhook hints and unmatched
/// callers). Safe to share between threads and to call from any thread, async fns
/// included (a call blocks its thread for one transaction).
pub struct StateStore {
    backend: Backend,
}

/// Calls the same method on whichever backend is open.
macro_rules! each {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match &$self.backend {
            Backend::Sqlite(b) => b.$method($($arg),*),
            Backend::Postgres(b) => b.$method($($arg),*),
        }
    };
}

/// The right to run syncs against a state store: at most one holder at a time,
/// across every process sharing the store. Only the holder may run syncs (write
/// the index and the sync state); everyone else only reads, or hands work over
/// through [`StateStore::push_hint`]. Dropping it releases the lock; so does the
/// holder's process ending in any way (PostgreSQL drops a session's advisory locks
/// with its connection, the kernel drops a file lock with its last descriptor).
pub struct WorkerLock {
    held: Held,
}

enum Held {
    /// An exclusive lock on `worker.lock` in the data directory.
    File(#[allow(dead_code)] std::fs::File),
    /// A session-level advisory lock on a connection of its own.
    Postgres(PgConn),
}

impl WorkerLock {
    /// Whether the lock is still held. Always true for the SQLite backend; for
    /// PostgreSQL, false once its connection was lost (a server restart, a network
    /// cut, a terminated session): the lock is then free for another worker, and this
    /// one should stop syncing and take the lock again.
    pub fn is_held(&self) -> bool {
        match &self.held {
            Held::File(_) => true,
            Held::Postgres(conn) => postgres::lock_held(conn),
        }
    }
}

impl Drop for WorkerLock {
    fn drop(&mut self) {
        if let Held::Postgres(conn) = &self.held {
            // Released before the connection closes, so the next taker needs no wait.
            postgres::unlock(conn);
        }
    }
}

impl std::fmt::Debug for WorkerLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.held {
            Held::File(_) => "file",
            Held::Postgres(_) => "postgres",
        };
        f.debug_struct("WorkerLock").field("kind", &kind).finish()
    }
}

impl StateStore {
    /// Opens (creating) the data directory's SQLite state database; imports a legacy
    /// `state.json` into a new one.
    pub fn open(data: &DataDir) -> Result<Self, StateError> {
        data.ensure()?;
        let path = data.state_db();
        let fresh = !path.exists();
        let store = StateStore {
            backend: Backend::Sqlite(Sqlite::open(&path)?),
        };
        let legacy = data.state_file();
        if fresh && legacy.exists() {
            let state: SyncState = read_json(&legacy)?.unwrap_or_default();
            store.import(&state)?;
            let done = legacy.with_extension("json.imported");
            std::fs::rename(&legacy, &done).map_err(FileError::io(&legacy))?;
            tracing::info!(
                issues = state.issues.len(),
                "imported state.json into state.db"
            );
        }
        Ok(store)
    }

    /// Opens the store the config names: PostgreSQL at `[state] url` (with the
    /// password from the variable `password_env` names; the schema is made on first
    /// use), else SQLite in the data directory ([`StateStore::open`]).
    pub fn open_config(cfg: &config::Config) -> Result<Self, StateError> {
        match &cfg.state.url {
            Some(url) => {
                let password = cfg.state.password()?;
                Ok(StateStore {
                    backend: Backend::Postgres(Postgres::open(url, password.as_deref())?),
                })
            }
            None => Self::open(&DataDir::new(&cfg.data.dir)),
        }
    }

    /// Opens the PostgreSQL state database at `url` (no password in it), making the
    /// schema on first use.
    pub fn open_postgres(url: &str, password: Option<&str>) -> Result<Self, StateError> {
        Ok(StateStore {
            backend: Backend::Postgres(Postgres::open(url, password)?),
        })
    }

    /// The database: a file path, or `postgres://user@host:port/name`.
    pub fn location(&self) -> &str {
        each!(self.label())
    }

    fn import(&self, state: &SyncState) -> Result<(), StateError> {
        let issues: Vec<(String, IssueState)> = state
            .issues
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.record_issues(&issues)?;
        self.set_checkpoint(&state.checkpoint)?;
        for run in &state.runs {
            self.push_run(run)?;
        }
        Ok(())
    }

    /// Everything a run starts from: indexed issues, checkpoints, recent runs.
    pub fn load(&self) -> Result<SyncState, StateError> {
        Ok(SyncState {
            issues: each!(self.issues())?,
            checkpoint: self.checkpoint()?,
            runs: self.runs(RUNS_LOADED)?,
        })
    }

    /// Records issues whose chunks were committed to the index (one transaction).
    pub fn record_issues(&self, issues: &[(String, IssueState)]) -> Result<(), StateError> {
        each!(self.record_issues(issues))
    }

    /// Forgets issues removed from the index (one transaction).
    pub fn remove_issues(&self, ids: &[String]) -> Result<(), StateError> {
        each!(self.remove_issues(ids))
    }

    /// The checkpoints and the settings fingerprint they were made under.
    pub fn checkpoint(&self) -> Result<Checkpoint, StateError> {
        let fingerprint = each!(self.meta("fingerprint"))?.unwrap_or_default();
        Ok(Checkpoint {
            fingerprint,
            projects: each!(self.checkpoints())?,
        })
    }

    /// Replaces the checkpoints (one transaction).
    pub fn set_checkpoint(&self, cp: &Checkpoint) -> Result<(), StateError> {
        each!(self.set_checkpoint(&cp.fingerprint, &cp.projects))
    }

    /// Appends a run to the history (keeping the last 1,000).
    pub fn push_run(&self, run: &RunRecord) -> Result<(), StateError> {
        each!(self.push_run(run))
    }

    /// Records settings changed through the admin console, and by whom.
    pub fn record_config_changes(
        &self,
        who: &str,
        at_ms: i64,
        changes: &[config::editable::SettingChange],
    ) -> Result<(), StateError> {
        each!(self.record_config_changes(who, at_ms, changes))
    }

    /// The last `limit` recorded settings changes, newest first.
    pub fn config_changes(&self, limit: i64) -> Result<Vec<ConfigAudit>, StateError> {
        each!(self.config_changes(limit))
    }

    /// The last `limit` runs, oldest first.
    pub fn runs(&self, limit: i64) -> Result<Vec<RunRecord>, StateError> {
        let mut out = each!(self.run_records(limit))?
            .iter()
            .map(|text| {
                serde_json::from_str::<RunRecord>(text).map_err(|e| StateError::Record {
                    path: self.location().to_string(),
                    detail: format!("run record: {e}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// The identity stage's bookkeeping (defaults when never recorded).
    pub fn identity_meta(&self) -> Result<IdentityMeta, StateError> {
        Ok(each!(self.meta("identity"))?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    /// Records the identity stage's bookkeeping.
    pub fn set_identity_meta(&self, m: &IdentityMeta) -> Result<(), StateError> {
        each!(self.set_meta("identity", &json(m)?))
    }

    /// Replaces the identity tables with `dir` (one transaction). Saving the
    /// directory stored last changes nothing, its [`version`](Self::directory_version)
    /// included.
    pub fn save_directory(&self, dir: &Directory) -> Result<(), StateError> {
        each!(self.save_directory(dir))
    }

    /// The identity tables as a directory; `None` before the first identity sync.
    pub fn load_directory(&self) -> Result<Option<Directory>, StateError> {
        each!(self.load_directory())
    }

    /// The version of the stored directory: 0 before the first, then a larger number
    /// each time [`save_directory`](Self::save_directory) stores a directory that
    /// differs from the last. A search replica polls it (one small read) and reloads
    /// the identity data only when it moved.
    pub fn directory_version(&self) -> Result<i64, StateError> {
        Ok(each!(self.meta("directory_version"))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Takes the worker lock if no one holds it; `None` while another holder has it
    /// (in this process or another). Only the holder may run syncs; see
    /// [`WorkerLock`]. PostgreSQL: a session-level advisory lock on a connection the
    /// lock owns; SQLite: an exclusive lock on `worker.lock` in the data directory.
    pub fn try_worker_lock(&self) -> Result<Option<WorkerLock>, StateError> {
        match &self.backend {
            Backend::Sqlite(b) => Ok(b.try_worker_lock()?.map(|f| WorkerLock {
                held: Held::File(f),
            })),
            Backend::Postgres(b) => {
                let conn = b.lock_conn()?;
                Ok(postgres::try_lock(&conn)?.then_some(WorkerLock {
                    held: Held::Postgres(conn),
                }))
            }
        }
    }

    /// Waits for the worker lock, trying every `poll`, until it holds it (`Some`) or
    /// `stop()` turns true (`None`). A failure to reach the database ends the wait
    /// with the error (the caller decides whether to wait again). Only the holder may
    /// run syncs; see [`WorkerLock`].
    pub fn worker_lock_blocking(
        &self,
        poll: Duration,
        stop: impl Fn() -> bool,
    ) -> Result<Option<WorkerLock>, StateError> {
        // PostgreSQL: one connection for the whole wait, which becomes the lock's.
        let conn = match &self.backend {
            Backend::Postgres(b) => Some(b.lock_conn()?),
            Backend::Sqlite(_) => None,
        };
        loop {
            if stop() {
                return Ok(None);
            }
            match (&self.backend, &conn) {
                (Backend::Postgres(_), Some(c)) => {
                    if postgres::try_lock(c)? {
                        let conn = conn.expect("matched Some");
                        return Ok(Some(WorkerLock {
                            held: Held::Postgres(conn),
                        }));
                    }
                }
                _ => {
                    if let Some(lock) = self.try_worker_lock()? {
                        return Ok(Some(lock));
                    }
                }
            }
            // Sleep in short steps so that `stop` is seen soon.
            let until = std::time::Instant::now() + poll;
            while std::time::Instant::now() < until && !stop() {
                std::thread::sleep(poll.min(Duration::from_millis(100)));
            }
        }
    }

    /// Queues a webhook hint (an opaque JSON string) for the worker, with an id and
    /// the time. The queue keeps the newest 100,000.
    pub fn push_hint(&self, hint: &str) -> Result<(), StateError> {
        each!(self.push_hint(hint))
    }

    /// Removes and returns the oldest `max` queued hints, oldest first. Atomic: two
    /// workers taking at once never get the same hint.
    pub fn take_hints(&self, max: usize) -> Result<Vec<String>, StateError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        each!(self.take_hints(max))
    }

    /// Remembers the email of a search caller no Jira account matched (normalized;
    /// up to 10,000 are kept, later ones are not recorded).
    pub fn note_unmatched_caller(&self, email: &str) -> Result<(), StateError> {
        let email = access::normalize_email(email);
        if email.is_empty() {
            return Ok(());
        }
        each!(self.note_unmatched_caller(&email))
    }

    /// The unmatched callers recorded, sorted.
    pub fn unmatched_callers(&self) -> Result<Vec<String>, StateError> {
        each!(self.unmatched_callers())
    }
}

impl std::fmt::Debug for StateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateStore")
            .field("location", &self.location())
            .finish()
    }
}

#[cfg(test)]
mod tests;

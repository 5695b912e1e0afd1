//! The SQLite backend: one database file, `state.db` (rusqlite with SQLite bundled,
//! WAL journal), in the data directory, and the worker lock as an exclusive lock on
//! `worker.lock` beside it. One machine: the processes sharing it share the
//! directory.
//!
//! Why SQLite and not a JSON file: each write batch records its issues in one small
//! transaction instead of rewriting the whole state (a 50,000-issue site made that
//! quadratic), a crash at any point leaves the last committed transaction, and readers
//! (`status`, the server) read while a sync writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use access::{DirProject, DirUser, Directory};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use config::FileError;

use super::ConfigAudit;
use super::rows::{
    DirRows, MAX_HINTS, MAX_UNMATCHED_CALLERS, RUN_HISTORY, json, next_directory_version, now_ms,
};
use crate::error::StateError;
use crate::records::{IssueState, RunRecord};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS issues(
    id TEXT PRIMARY KEY, key TEXT NOT NULL, project_id TEXT NOT NULL,
    project_key TEXT NOT NULL, content_hash TEXT NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(
    chunk_id TEXT PRIMARY KEY, issue_id TEXT NOT NULL, seq INTEGER NOT NULL,
    content_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_issue ON chunks(issue_id, seq);
CREATE TABLE IF NOT EXISTS checkpoints(project_key TEXT PRIMARY KEY, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_ms INTEGER NOT NULL,
    finished_ms INTEGER NOT NULL, issues_indexed INTEGER NOT NULL,
    issues_deleted INTEGER NOT NULL, api_calls INTEGER NOT NULL, errors INTEGER NOT NULL,
    record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users(
    account_id TEXT PRIMARY KEY, email TEXT, display_name TEXT NOT NULL,
    active INTEGER NOT NULL, account_type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups(group_id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS group_members(
    group_id TEXT NOT NULL, account_id TEXT NOT NULL, PRIMARY KEY(group_id, account_id));
CREATE TABLE IF NOT EXISTS projects(
    id TEXT PRIMARY KEY, key TEXT NOT NULL, name TEXT NOT NULL, lead TEXT,
    archived INTEGER NOT NULL, team_managed INTEGER NOT NULL, is_private INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS permissions(part TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS config_changes(
    id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, who TEXT NOT NULL,
    key TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hints(
    id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, hint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unmatched_callers(email TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);
";

/// The open SQLite state database.
pub(crate) struct Sqlite {
    conn: Mutex<Connection>,
    path: String,
    lock_file: PathBuf,
}

fn db_err(path: &str) -> impl Fn(rusqlite::Error) -> StateError + '_ {
    move |source| StateError::Db {
        path: path.to_string(),
        source,
    }
}

impl Sqlite {
    /// Opens (creating) the database at `path`.
    pub fn open(path: &Path) -> Result<Sqlite, StateError> {
        let p = path.display().to_string();
        let conn = Connection::open(path).map_err(db_err(&p))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err(&p))?;
        // WAL: readers never block the sync. NORMAL: a commit survives a killed
        // process; after a power cut the last commits may be lost, which only makes the
        // next run write those issues again (writes are idempotent).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err(&p))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db_err(&p))?;
        conn.execute_batch(SCHEMA).map_err(db_err(&p))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(Sqlite {
            conn: Mutex::new(conn),
            path: p,
            lock_file: path.with_file_name("worker.lock"),
        })
    }

    /// The database file, for messages.
    pub fn label(&self) -> &str {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction half applied
        // (SQLite rolls it back), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StateError + '_ {
        db_err(&self.path)
    }

    pub fn issues(&self) -> Result<BTreeMap<String, IssueState>, StateError> {
        let conn = self.conn();
        let mut issues = BTreeMap::new();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, key, project_id, project_key, content_hash, updated_ms FROM issues",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    IssueState {
                        key: r.get(1)?,
                        project_id: r.get(2)?,
                        project_key: r.get(3)?,
                        content_hash: r.get(4)?,
                        updated: r.get(5)?,
                        chunk_ids: Vec::new(),
                        chunk_hashes: Vec::new(),
                    },
                ))
            })
            .map_err(self.err())?;
        for row in rows {
            let (id, s) = row.map_err(self.err())?;
            issues.insert(id, s);
        }
        let mut stmt = conn
            .prepare_cached(
                "SELECT issue_id, chunk_id, content_hash FROM chunks ORDER BY issue_id, seq",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(self.err())?;
        for row in rows {
            let (issue, chunk, hash) = row.map_err(self.err())?;
            if let Some(s) = issues.get_mut(&issue) {
                s.chunk_ids.push(chunk);
                s.chunk_hashes.push(hash);
            }
        }
        Ok(issues)
    }

    pub fn record_issues(&self, issues: &[(String, IssueState)]) -> Result<(), StateError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(self.err())?;
        {
            let mut del = tx
                .prepare_cached("DELETE FROM chunks WHERE issue_id = ?1")
                .map_err(self.err())?;
            let mut up = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO issues(id, key, project_id, project_key, content_hash, updated_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(self.err())?;
            let mut chunk = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO chunks(chunk_id, issue_id, seq, content_hash) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(self.err())?;
            for (id, s) in issues {
                del.execute([id]).map_err(self.err())?;
                up.execute(params![
                    id,
                    s.key,
                    s.project_id,
                    s.project_key,
                    s.content_hash,
                    s.updated
                ])
                .map_err(self.err())?;
                for (seq, c) in s.chunk_ids.iter().enumerate() {
                    let hash = s.chunk_hashes.get(seq).map(String::as_str).unwrap_or("");
                    chunk
                        .execute(params![c, id, seq as i64, hash])
                        .map_err(self.err())?;
                }
            }
        }
        tx.commit().map_err(self.err())
    }

    pub fn remove_issues(&self, ids: &[String]) -> Result<(), StateError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(self.err())?;
        {
            let mut a = tx
                .prepare_cached("DELETE FROM issues WHERE id = ?1")
                .map_err(self.err())?;
            let mut b = tx
                .prepare_cached("DELETE FROM chunks WHERE issue_id = ?1")
                .map_err(self.err())?;
            for id in ids {
                a.execute([id]).map_err(self.err())?;
                b.execute([id]).map_err(self.err())?;
            }
        }
        tx.commit().map_err(self.err())
    }

    pub fn checkpoints(&self) -> Result<BTreeMap<String, i64>, StateError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT project_key, updated_ms FROM checkpoints")
            .map_err(self.err())?;
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(self.err())?
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map_err(self.err())
    }

    pub fn set_checkpoint(
        &self,
        fingerprint: &str,
        projects: &BTreeMap<String, i64>,
    ) -> Result<(), StateError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(self.err())?;
        tx.execute("DELETE FROM checkpoints", [])
            .map_err(self.err())?;
        for (k, ms) in projects {
            tx.execute(
                "INSERT INTO checkpoints(project_key, updated_ms) VALUES (?1, ?2)",
                params![k, ms],
            )
            .map_err(self.err())?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('fingerprint', ?1)",
            [fingerprint],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())
    }

    pub fn push_run(&self, run: &RunRecord) -> Result<(), StateError> {
        let conn = self.conn();
        conn
            .execute(
                "INSERT INTO runs(started_ms, finished_ms, issues_indexed, issues_deleted, api_calls, errors, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    run.started_ms,
                    run.finished_ms,
                    run.issues_indexed as i64,
                    run.issues_deleted as i64,
                    run.api_calls as i64,
                    run.errors.len() as i64,
                    json(run)?
                ],
            )
            .map_err(self.err())?;
        conn.execute(
            "DELETE FROM runs WHERE id <= (SELECT MAX(id) FROM runs) - ?1",
            [RUN_HISTORY],
        )
        .map_err(self.err())?;
        Ok(())
    }

    /// The last `limit` runs' records as stored, newest first.
    pub fn run_records(&self, limit: i64) -> Result<Vec<String>, StateError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT record FROM runs ORDER BY id DESC LIMIT ?1")
            .map_err(self.err())?;
        stmt.query_map([limit], |r| r.get::<_, String>(0))
            .map_err(self.err())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err())
    }

    pub fn record_config_changes(
        &self,
        who: &str,
        at_ms: i64,
        changes: &[config::editable::SettingChange],
    ) -> Result<(), StateError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(self.err())?;
        for c in changes {
            tx.execute(
                "INSERT INTO config_changes(at_ms, who, key, before, after) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![at_ms, who, c.key, c.before, c.after],
            )
            .map_err(self.err())?;
        }
        tx.commit().map_err(self.err())
    }

    pub fn config_changes(&self, limit: i64) -> Result<Vec<ConfigAudit>, StateError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT at_ms, who, key, before, after FROM config_changes ORDER BY id DESC LIMIT ?1",
            )
            .map_err(self.err())?;
        stmt.query_map([limit], |r| {
            Ok(ConfigAudit {
                at_ms: r.get(0)?,
                who: r.get(1)?,
                change: config::editable::SettingChange {
                    key: r.get(2)?,
                    before: r.get(3)?,
                    after: r.get(4)?,
                },
            })
        })
        .map_err(self.err())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(self.err())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StateError> {
        let conn = self.conn();
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.err())
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StateError> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
            [key, value],
        )
        .map_err(self.err())?;
        Ok(())
    }

    pub fn save_directory(&self, dir: &Directory) -> Result<(), StateError> {
        let rows = DirRows::new(dir)?;
        let mut conn = self.conn();
        // IMMEDIATE: another process saving at once waits instead of failing late.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.err())?;
        let meta = |key: &str| -> Result<Option<String>, StateError> {
            tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(self.err())
        };
        if meta("directory_hash")?.as_deref() == Some(rows.hash.as_str()) {
            return Ok(());
        }
        let version: i64 = meta("directory_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        for table in [
            "users",
            "groups",
            "group_members",
            "projects",
            "permissions",
        ] {
            tx.execute(&format!("DELETE FROM {table}"), [])
                .map_err(self.err())?;
        }
        {
            let mut u = tx
                .prepare_cached("INSERT OR REPLACE INTO users VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(self.err())?;
            for x in &rows.users {
                u.execute(params![
                    x.account_id,
                    x.email,
                    x.display_name,
                    x.active,
                    x.account_type
                ])
                .map_err(self.err())?;
            }
            let mut g = tx
                .prepare_cached("INSERT OR REPLACE INTO groups VALUES (?1, ?2)")
                .map_err(self.err())?;
            for (id, name) in &rows.groups {
                g.execute(params![id, name]).map_err(self.err())?;
            }
            let mut m = tx
                .prepare_cached("INSERT OR REPLACE INTO group_members VALUES (?1, ?2)")
                .map_err(self.err())?;
            for (g, a) in &rows.members {
                m.execute(params![g, a]).map_err(self.err())?;
            }
            let mut p = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO projects VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(self.err())?;
            for x in &rows.projects {
                p.execute(params![
                    x.id,
                    x.key,
                    x.name,
                    x.lead,
                    x.archived,
                    x.team_managed,
                    x.is_private
                ])
                .map_err(self.err())?;
            }
            let mut perm = tx
                .prepare_cached("INSERT OR REPLACE INTO permissions VALUES (?1, ?2)")
                .map_err(self.err())?;
            for (part, value) in &rows.parts {
                perm.execute(params![part, value]).map_err(self.err())?;
            }
            let mut set = tx
                .prepare_cached("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")
                .map_err(self.err())?;
            set.execute(params!["directory_hash", rows.hash])
                .map_err(self.err())?;
            set.execute(params![
                "directory_version",
                next_directory_version(version).to_string()
            ])
            .map_err(self.err())?;
        }
        tx.commit().map_err(self.err())
    }

    pub fn load_directory(&self) -> Result<Option<Directory>, StateError> {
        let conn = self.conn();
        let pairs = |sql: &str| -> Result<Vec<(String, String)>, StateError> {
            let mut stmt = conn.prepare_cached(sql).map_err(self.err())?;
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(self.err())?
                .collect::<Result<_, _>>()
                .map_err(self.err())
        };
        let parts: BTreeMap<String, String> = pairs("SELECT part, value FROM permissions")?
            .into_iter()
            .collect();
        if parts.is_empty() {
            return Ok(None);
        }
        let mut stmt = conn
            .prepare_cached(
                "SELECT account_id, email, display_name, active, account_type FROM users ORDER BY rowid",
            )
            .map_err(self.err())?;
        let users = stmt
            .query_map([], |r| {
                Ok(DirUser {
                    account_id: r.get(0)?,
                    email: r.get(1)?,
                    display_name: r.get(2)?,
                    active: r.get(3)?,
                    account_type: r.get(4)?,
                    product_keys: None,
                })
            })
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        let members = pairs("SELECT group_id, account_id FROM group_members ORDER BY rowid")?;
        let groups = pairs("SELECT group_id, name FROM groups ORDER BY rowid")?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, key, name, lead, archived, team_managed, is_private FROM projects ORDER BY rowid",
            )
            .map_err(self.err())?;
        let projects = stmt
            .query_map([], |r| {
                Ok(DirProject {
                    id: r.get(0)?,
                    key: r.get(1)?,
                    name: r.get(2)?,
                    lead: r.get(3)?,
                    archived: r.get(4)?,
                    team_managed: r.get(5)?,
                    is_private: r.get(6)?,
                    access_level: None,
                })
            })
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        DirRows::loaded(users, groups, members, projects).into_directory(parts, &self.path)
    }

    pub fn push_hint(&self, hint: &str) -> Result<(), StateError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO hints(at_ms, hint) VALUES (?1, ?2)",
            params![now_ms(), hint],
        )
        .map_err(self.err())?;
        conn.execute(
            "DELETE FROM hints WHERE id <= (SELECT MAX(id) FROM hints) - ?1",
            [MAX_HINTS],
        )
        .map_err(self.err())?;
        Ok(())
    }

    pub fn take_hints(&self, max: usize) -> Result<Vec<String>, StateError> {
        let mut conn = self.conn();
        // IMMEDIATE: the read and the delete are one step for every process.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.err())?;
        let taken: Vec<(i64, String)> = {
            let mut stmt = tx
                .prepare_cached("SELECT id, hint FROM hints ORDER BY id LIMIT ?1")
                .map_err(self.err())?;
            stmt.query_map([max.min(i64::MAX as usize) as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?
        };
        if let Some((last, _)) = taken.last() {
            tx.execute("DELETE FROM hints WHERE id <= ?1", [last])
                .map_err(self.err())?;
        }
        tx.commit().map_err(self.err())?;
        Ok(taken.into_iter().map(|(_, h)| h).collect())
    }

    pub fn note_unmatched_caller(&self, email: &str) -> Result<(), StateError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO unmatched_callers(email, at_ms)
             SELECT ?1, ?2 WHERE (SELECT COUNT(*) FROM unmatched_callers) < ?3
             ON CONFLICT(email) DO UPDATE SET at_ms = excluded.at_ms",
            params![email, now_ms(), MAX_UNMATCHED_CALLERS],
        )
        .map_err(self.err())?;
        Ok(())
    }

    pub fn unmatched_callers(&self) -> Result<Vec<String>, StateError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT email FROM unmatched_callers ORDER BY email")
            .map_err(self.err())?;
        stmt.query_map([], |r| r.get(0))
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())
    }

    /// Takes the exclusive lock on `worker.lock` without waiting; `None` while another
    /// holder (this process or another) has it. The kernel drops it with the process.
    pub fn try_worker_lock(&self) -> Result<Option<std::fs::File>, StateError> {
        let path = &self.lock_file;
        let mut open = std::fs::OpenOptions::new();
        open.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            open.mode(0o600);
        }
        let file = open.open(path).map_err(FileError::io(path))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(FileError::io(path)(e).into()),
        }
    }
}

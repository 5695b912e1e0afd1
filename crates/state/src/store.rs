//! The sync state store: one SQLite database (`state.db`, rusqlite with SQLite bundled,
//! WAL journal) in the data directory. It holds what a sync must remember between
//! runs: per-issue content hashes and chunk ids with each chunk's content hash (issue
//! body, comments, attachments), per-project checkpoints and the settings fingerprint
//! they were made under, the identity tables (users, groups and members, projects,
//! roles, grants, security levels), identity-sync bookkeeping, and the run history
//! that `jira-index status` shows.
//!
//! Why SQLite and not a JSON file: each write batch records its issues in one small
//! transaction instead of rewriting the whole state (a 50,000-issue site made that
//! quadratic), a crash at any point leaves the last committed transaction, and readers
//! (`status`, the server) read while a sync writes. A `state.json` left by an older
//! version is imported once.

use std::collections::BTreeMap;
use std::path::Path;

use access::{DirGroup, DirProject, DirUser, Directory};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use config::{DataDir, FileError, read_json};

use crate::error::StateError;
use crate::records::{Checkpoint, IssueState, RunRecord, SyncState};

/// Runs kept in the history.
const RUN_HISTORY: i64 = 1000;
/// Runs loaded into [`SyncState::runs`].
const RUNS_LOADED: i64 = 100;

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
";

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

/// The open state database. The sync writes it; search and the server only read it.
pub struct StateStore {
    conn: std::sync::Mutex<Connection>,
    path: String,
}

fn db_err(path: &str) -> impl Fn(rusqlite::Error) -> StateError + '_ {
    move |source| StateError::Db {
        path: path.to_string(),
        source,
    }
}

fn json<T: Serialize>(v: &T) -> Result<String, StateError> {
    Ok(serde_json::to_string(v).map_err(FileError::encode("a stored value"))?)
}

impl StateStore {
    /// Opens (creating) the data directory's state database; imports a legacy
    /// `state.json` into a new one.
    pub fn open(data: &DataDir) -> Result<Self, StateError> {
        data.ensure()?;
        let path = data.state_db();
        let fresh = !path.exists();
        let store = Self::open_path(&path)?;
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

    fn open_path(path: &Path) -> Result<Self, StateError> {
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
        Ok(Self {
            conn: std::sync::Mutex::new(conn),
            path: p,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction half applied
        // (SQLite rolls it back), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StateError + '_ {
        db_err(&self.path)
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
        let mut state = SyncState::default();
        {
            let conn = self.conn();
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
                state.issues.insert(id, s);
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
                if let Some(s) = state.issues.get_mut(&issue) {
                    s.chunk_ids.push(chunk);
                    s.chunk_hashes.push(hash);
                }
            }
        }
        state.checkpoint = self.checkpoint()?;
        state.runs = self.runs(RUNS_LOADED)?;
        Ok(state)
    }

    /// Records issues whose chunks were committed to the index (one transaction).
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

    /// Forgets issues removed from the index (one transaction).
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

    /// The checkpoints and the settings fingerprint they were made under.
    pub fn checkpoint(&self) -> Result<Checkpoint, StateError> {
        let fingerprint = self.meta("fingerprint")?.unwrap_or_default();
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT project_key, updated_ms FROM checkpoints")
            .map_err(self.err())?;
        let projects = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(self.err())?
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map_err(self.err())?;
        Ok(Checkpoint {
            fingerprint,
            projects,
        })
    }

    /// Replaces the checkpoints (one transaction).
    pub fn set_checkpoint(&self, cp: &Checkpoint) -> Result<(), StateError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(self.err())?;
        tx.execute("DELETE FROM checkpoints", [])
            .map_err(self.err())?;
        for (k, ms) in &cp.projects {
            tx.execute(
                "INSERT INTO checkpoints(project_key, updated_ms) VALUES (?1, ?2)",
                params![k, ms],
            )
            .map_err(self.err())?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('fingerprint', ?1)",
            [&cp.fingerprint],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())
    }

    /// Appends a run to the history (keeping the last [`RUN_HISTORY`]).
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

    /// Records settings changed through the admin console, and by whom.
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

    /// The last `limit` recorded settings changes, newest first.
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

    /// The last `limit` runs, oldest first.
    pub fn runs(&self, limit: i64) -> Result<Vec<RunRecord>, StateError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT record FROM runs ORDER BY id DESC LIMIT ?1")
            .map_err(self.err())?;
        let mut out = stmt
            .query_map([limit], |r| r.get::<_, String>(0))
            .map_err(self.err())?
            .map(|r| {
                let text = r.map_err(self.err())?;
                serde_json::from_str::<RunRecord>(&text).map_err(|e| StateError::Record {
                    path: self.path.clone(),
                    detail: format!("run record: {e}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok(out)
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StateError> {
        let conn = self.conn();
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.err())
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), StateError> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
            [key, value],
        )
        .map_err(self.err())?;
        Ok(())
    }

    /// The identity stage's bookkeeping (defaults when never recorded).
    pub fn identity_meta(&self) -> Result<IdentityMeta, StateError> {
        Ok(self
            .meta("identity")?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    /// Records the identity stage's bookkeeping.
    pub fn set_identity_meta(&self, m: &IdentityMeta) -> Result<(), StateError> {
        self.set_meta("identity", &json(m)?)
    }

    /// Replaces the identity tables with `dir` (one transaction).
    pub fn save_directory(&self, dir: &Directory) -> Result<(), StateError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(self.err())?;
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
            for x in &dir.users {
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
            let mut m = tx
                .prepare_cached("INSERT OR REPLACE INTO group_members VALUES (?1, ?2)")
                .map_err(self.err())?;
            for x in &dir.groups {
                g.execute(params![x.group_id, x.name]).map_err(self.err())?;
                for a in &x.members {
                    m.execute(params![x.group_id, a]).map_err(self.err())?;
                }
            }
            let mut p = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO projects VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(self.err())?;
            for x in &dir.projects {
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
            perm.execute(params!["application_roles", json(&dir.application_roles)?])
                .map_err(self.err())?;
            perm.execute(params!["role_actors", json(&dir.role_actors)?])
                .map_err(self.err())?;
            perm.execute(params!["browse_grants", json(&dir.browse_grants)?])
                .map_err(self.err())?;
            perm.execute(params!["security_levels", json(&dir.security_levels)?])
                .map_err(self.err())?;
            let access = AccessFacts {
                jira_admins: dir.jira_admins.clone(),
                application_roles_unreadable: dir.application_roles_unreadable,
                warnings: dir.warnings.clone(),
                access_levels: dir
                    .projects
                    .iter()
                    .filter_map(|p| p.access_level.clone().map(|l| (p.id.clone(), l)))
                    .collect(),
                product_keys: dir
                    .users
                    .iter()
                    .filter_map(|u| u.product_keys.clone().map(|k| (u.account_id.clone(), k)))
                    .collect(),
            };
            perm.execute(params!["access", json(&access)?])
                .map_err(self.err())?;
        }
        tx.commit().map_err(self.err())
    }

    /// The identity tables as a directory; `None` before the first identity sync.
    pub fn load_directory(&self) -> Result<Option<Directory>, StateError> {
        let conn = self.conn();
        let mut perms: BTreeMap<String, String> = BTreeMap::new();
        {
            let mut stmt = conn
                .prepare_cached("SELECT part, value FROM permissions")
                .map_err(self.err())?;
            for row in stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(self.err())?
            {
                let (k, v) = row.map_err(self.err())?;
                perms.insert(k, v);
            }
        }
        if perms.is_empty() {
            return Ok(None);
        }
        let part = |name: &str| -> Result<String, StateError> {
            Ok(perms.get(name).cloned().unwrap_or_else(|| "[]".into()))
        };
        let corrupt = |e: serde_json::Error| StateError::Record {
            path: self.path.clone(),
            detail: format!("identity tables: {e}"),
        };
        let mut dir = Directory {
            application_roles: serde_json::from_str(&part("application_roles")?)
                .map_err(corrupt)?,
            role_actors: serde_json::from_str(&part("role_actors")?).map_err(corrupt)?,
            browse_grants: serde_json::from_str(&part("browse_grants")?).map_err(corrupt)?,
            security_levels: serde_json::from_str(&part("security_levels")?).map_err(corrupt)?,
            ..Default::default()
        };
        let mut stmt = conn
            .prepare_cached(
                "SELECT account_id, email, display_name, active, account_type FROM users ORDER BY rowid",
            )
            .map_err(self.err())?;
        dir.users = stmt
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
        let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut stmt = conn
            .prepare_cached("SELECT group_id, account_id FROM group_members ORDER BY rowid")
            .map_err(self.err())?;
        for row in stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(self.err())?
        {
            let (g, a) = row.map_err(self.err())?;
            members.entry(g).or_default().push(a);
        }
        let mut stmt = conn
            .prepare_cached("SELECT group_id, name FROM groups ORDER BY rowid")
            .map_err(self.err())?;
        dir.groups = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(self.err())?
            .map(|row| {
                let (group_id, name) = row.map_err(self.err())?;
                let members = members.remove(&group_id).unwrap_or_default();
                Ok(DirGroup {
                    group_id,
                    name,
                    members,
                })
            })
            .collect::<Result<_, StateError>>()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, key, name, lead, archived, team_managed, is_private FROM projects ORDER BY rowid",
            )
            .map_err(self.err())?;
        dir.projects = stmt
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
        let access: AccessFacts = match perms.get("access") {
            Some(v) => serde_json::from_str(v).map_err(corrupt)?,
            None => AccessFacts::default(),
        };
        dir.jira_admins = access.jira_admins;
        dir.application_roles_unreadable = access.application_roles_unreadable;
        dir.warnings = access.warnings;
        for p in &mut dir.projects {
            p.access_level = access.access_levels.get(&p.id).cloned();
        }
        for u in &mut dir.users {
            u.product_keys = access.product_keys.get(&u.account_id).cloned();
        }
        Ok(Some(dir))
    }
}

/// The directory's access facts that have no table of their own.
#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(default)]
struct AccessFacts {
    jira_admins: Vec<String>,
    application_roles_unreadable: bool,
    warnings: Vec<String>,
    /// Project id → team-managed access level.
    access_levels: BTreeMap<String, String>,
    /// Account id → products Jira says the account holds (read only when the
    /// application roles are unreadable; see `DirUser::product_keys`).
    product_keys: BTreeMap<String, Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(key: &str, chunks: &[&str]) -> IssueState {
        IssueState {
            key: key.into(),
            project_id: "1".into(),
            project_key: "ENG".into(),
            content_hash: format!("h-{key}"),
            chunk_ids: chunks.iter().map(|c| c.to_string()).collect(),
            chunk_hashes: chunks.iter().map(|c| format!("ch-{c}")).collect(),
            updated: 7,
        }
    }

    #[test]
    fn issues_checkpoints_and_runs_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        {
            let s = StateStore::open(&data).unwrap();
            s.record_issues(&[
                ("10".into(), issue("ENG-1", &["issue:10:0", "comment:5:0"])),
                ("11".into(), issue("ENG-2", &["issue:11:0"])),
            ])
            .unwrap();
            // Rewriting an issue replaces its chunk list.
            s.record_issues(&[("10".into(), issue("ENG-1", &["issue:10:0"]))])
                .unwrap();
            s.remove_issues(&["11".into()]).unwrap();
            s.set_checkpoint(&Checkpoint {
                fingerprint: "fp".into(),
                projects: [("ENG".to_string(), 42)].into(),
            })
            .unwrap();
            for n in 0..3 {
                s.push_run(&RunRecord {
                    started_ms: n,
                    ..Default::default()
                })
                .unwrap();
            }
        }
        let s = StateStore::open(&data).unwrap();
        let state = s.load().unwrap();
        assert_eq!(state.issues.len(), 1);
        assert_eq!(state.issues["10"].chunk_ids, vec!["issue:10:0"]);
        assert_eq!(state.issues["10"].chunk_hashes, vec!["ch-issue:10:0"]);
        assert_eq!(state.checkpoint.fingerprint, "fp");
        assert_eq!(state.checkpoint.projects["ENG"], 42);
        let starts: Vec<i64> = state.runs.iter().map(|r| r.started_ms).collect();
        assert_eq!(starts, vec![0, 1, 2]);
    }

    #[test]
    fn directory_roundtrips_through_identity_tables() {
        let dir = tempfile::tempdir().unwrap();
        let s = StateStore::open(&DataDir::new(dir.path())).unwrap();
        assert!(s.load_directory().unwrap().is_none());
        let d = Directory {
            users: vec![DirUser {
                account_id: "a1".into(),
                email: Some("a@x".into()),
                display_name: "A".into(),
                active: true,
                account_type: "atlassian".into(),
                product_keys: Some(vec!["jira-software".into()]),
            }],
            application_roles_unreadable: true,
            groups: vec![DirGroup {
                group_id: "g1".into(),
                name: "eng".into(),
                members: vec!["a1".into()],
            }],
            projects: vec![DirProject {
                id: "100".into(),
                key: "ENG".into(),
                name: "Eng".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        s.save_directory(&d).unwrap();
        assert_eq!(s.load_directory().unwrap().unwrap(), d);
    }

    #[test]
    fn legacy_state_json_is_imported_once() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        let mut legacy = SyncState::default();
        legacy
            .issues
            .insert("10".into(), issue("ENG-1", &["issue:10:0"]));
        config::write_json_atomic(&data.state_file(), &legacy).unwrap();
        let s = StateStore::open(&data).unwrap();
        assert_eq!(s.load().unwrap().issues.len(), 1);
        assert!(!data.state_file().exists());
    }
}

//! The PostgreSQL backend: the same tables as SQLite in one database shared by the
//! sync worker and the search replicas of a distributed deployment (`[state] url`).
//! The schema is made on first use, under a transaction-scoped advisory lock so that
//! processes starting at once do not race; the worker lock is a session-level
//! advisory lock on a connection of its own ([`PgConn`] without reconnection), which
//! the server drops with that connection (the process exited or was killed).
//!
//! Bulk writes (issues, chunks, the identity tables) send one statement per table
//! with arrays (`unnest`), not one per row. A key given twice in one batch keeps its
//! last row, as SQLite's `INSERT OR REPLACE` does.

mod conn;
mod directory;

use std::collections::BTreeMap;

use postgres::Client;

pub(crate) use conn::{Fail, PgConn, Retry, Target};

use super::ConfigAudit;
use super::rows::{MAX_HINTS, MAX_UNMATCHED_CALLERS, RUN_HISTORY, json, last_wins, now_ms};
use crate::error::StateError;
use crate::records::{IssueState, RunRecord};

/// Advisory lock keys ("jira" and a number): the schema migration, the worker, the
/// directory's writers.
const KEY_SCHEMA: i64 = 0x6a69_7261_0001;
const KEY_WORKER: i64 = 0x6a69_7261_0002;
const KEY_DIRECTORY: i64 = 0x6a69_7261_0003;

/// The schema version this build writes; a database marked newer is refused.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS issues(
    id TEXT PRIMARY KEY, key TEXT NOT NULL, project_id TEXT NOT NULL,
    project_key TEXT NOT NULL, content_hash TEXT NOT NULL, updated_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(
    chunk_id TEXT PRIMARY KEY, issue_id TEXT NOT NULL, seq INTEGER NOT NULL,
    content_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_issue ON chunks(issue_id, seq);
CREATE TABLE IF NOT EXISTS checkpoints(project_key TEXT PRIMARY KEY, updated_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, started_ms BIGINT NOT NULL,
    finished_ms BIGINT NOT NULL, issues_indexed BIGINT NOT NULL,
    issues_deleted BIGINT NOT NULL, api_calls BIGINT NOT NULL, errors BIGINT NOT NULL,
    record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users(
    account_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, email TEXT,
    display_name TEXT NOT NULL, active BOOLEAN NOT NULL, account_type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups(group_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS group_members(
    group_id TEXT NOT NULL, account_id TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY(group_id, account_id));
CREATE TABLE IF NOT EXISTS projects(
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
    lead TEXT, archived BOOLEAN NOT NULL, team_managed BOOLEAN NOT NULL,
    is_private BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS permissions(part TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS config_changes(
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at_ms BIGINT NOT NULL,
    who TEXT NOT NULL, key TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hints(
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at_ms BIGINT NOT NULL,
    hint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unmatched_callers(email TEXT PRIMARY KEY, at_ms BIGINT NOT NULL);
";

/// The open PostgreSQL state database.
pub(crate) struct Postgres {
    target: Target,
    conn: PgConn,
}

/// Creates the tables unless this schema version (or a newer one) is there.
fn migrate(c: &mut Client, label: &str) -> Result<(), Fail> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&KEY_SCHEMA])?;
    let exists: bool = tx
        .query_one("SELECT to_regclass('meta') IS NOT NULL", &[])?
        .get(0);
    let current: i64 = if exists {
        tx.query_opt("SELECT value FROM meta WHERE key = 'schema_version'", &[])?
            .and_then(|r| r.get::<_, String>(0).parse().ok())
            .unwrap_or(0)
    } else {
        0
    };
    if current > SCHEMA_VERSION {
        return Err(Fail::State(StateError::Backend {
            database: label.to_string(),
            detail: format!(
                "schema version {current} was written by a newer jira-index (this one knows {SCHEMA_VERSION})"
            ),
        }));
    }
    if current < SCHEMA_VERSION {
        tx.batch_execute(SCHEMA)?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('schema_version', $1)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&SCHEMA_VERSION.to_string()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

impl Postgres {
    /// Connects to `url` (no password in it) and makes the schema on first use.
    pub fn open(url: &str, password: Option<&str>) -> Result<Postgres, StateError> {
        let target = Target::new(url, password)?;
        let conn = PgConn::open(&target, true)?;
        let label = target.label.clone();
        conn.call(Retry::Once, move |c| migrate(c, &label))?;
        Ok(Postgres { target, conn })
    }

    /// The database, for messages.
    pub fn label(&self) -> &str {
        self.conn.label()
    }

    pub fn issues(&self) -> Result<BTreeMap<String, IssueState>, StateError> {
        self.conn.call(Retry::Once, |c| {
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let mut issues = BTreeMap::new();
            for r in tx.query(
                "SELECT id, key, project_id, project_key, content_hash, updated_ms FROM issues",
                &[],
            )? {
                issues.insert(
                    r.get::<_, String>(0),
                    IssueState {
                        key: r.get(1),
                        project_id: r.get(2),
                        project_key: r.get(3),
                        content_hash: r.get(4),
                        updated: r.get(5),
                        chunk_ids: Vec::new(),
                        chunk_hashes: Vec::new(),
                    },
                );
            }
            for r in tx.query(
                "SELECT issue_id, chunk_id, content_hash FROM chunks ORDER BY issue_id, seq",
                &[],
            )? {
                if let Some(s) = issues.get_mut(r.get::<_, &str>(0)) {
                    s.chunk_ids.push(r.get(1));
                    s.chunk_hashes.push(r.get(2));
                }
            }
            tx.commit()?;
            Ok(issues)
        })
    }

    pub fn record_issues(&self, issues: &[(String, IssueState)]) -> Result<(), StateError> {
        let issues = last_wins(issues.iter().cloned(), |(id, _)| id.clone());
        let mut chunks: Vec<(String, String, i32, String)> = Vec::new();
        for (id, s) in &issues {
            for (seq, c) in s.chunk_ids.iter().enumerate() {
                let hash = s.chunk_hashes.get(seq).cloned().unwrap_or_default();
                chunks.push((c.clone(), id.clone(), seq as i32, hash));
            }
        }
        let chunks = last_wins(chunks, |c| c.0.clone());
        let col = |f: fn(&IssueState) -> &str| -> Vec<String> {
            issues.iter().map(|(_, s)| f(s).to_string()).collect()
        };
        let (keys, project_ids) = (col(|s| &s.key), col(|s| &s.project_id));
        let (project_keys, hashes) = (col(|s| &s.project_key), col(|s| &s.content_hash));
        let updated: Vec<i64> = issues.iter().map(|(_, s)| s.updated).collect();
        let ids: Vec<String> = issues.into_iter().map(|(id, _)| id).collect();
        let chunk_ids: Vec<String> = chunks.iter().map(|c| c.0.clone()).collect();
        let chunk_issues: Vec<String> = chunks.iter().map(|c| c.1.clone()).collect();
        let chunk_seqs: Vec<i32> = chunks.iter().map(|c| c.2).collect();
        let chunk_hashes: Vec<String> = chunks.into_iter().map(|c| c.3).collect();
        self.conn.call(Retry::Once, move |c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM chunks WHERE issue_id = ANY($1)", &[&ids])?;
            tx.execute(
                "INSERT INTO issues(id, key, project_id, project_key, content_hash, updated_ms)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
                 ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key, project_id = EXCLUDED.project_id,
                   project_key = EXCLUDED.project_key, content_hash = EXCLUDED.content_hash,
                   updated_ms = EXCLUDED.updated_ms",
                &[&ids, &keys, &project_ids, &project_keys, &hashes, &updated],
            )?;
            tx.execute(
                "INSERT INTO chunks(chunk_id, issue_id, seq, content_hash)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[])
                 ON CONFLICT (chunk_id) DO UPDATE SET issue_id = EXCLUDED.issue_id,
                   seq = EXCLUDED.seq, content_hash = EXCLUDED.content_hash",
                &[&chunk_ids, &chunk_issues, &chunk_seqs, &chunk_hashes],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    pub fn remove_issues(&self, ids: &[String]) -> Result<(), StateError> {
        let ids = ids.to_vec();
        self.conn.call(Retry::Once, move |c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM issues WHERE id = ANY($1)", &[&ids])?;
            tx.execute("DELETE FROM chunks WHERE issue_id = ANY($1)", &[&ids])?;
            tx.commit()?;
            Ok(())
        })
    }

    pub fn checkpoints(&self) -> Result<BTreeMap<String, i64>, StateError> {
        self.conn.call(Retry::Once, |c| {
            Ok(
                c.query("SELECT project_key, updated_ms FROM checkpoints", &[])?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect(),
            )
        })
    }

    pub fn set_checkpoint(
        &self,
        fingerprint: &str,
        projects: &BTreeMap<String, i64>,
    ) -> Result<(), StateError> {
        let fingerprint = fingerprint.to_string();
        let keys: Vec<String> = projects.keys().cloned().collect();
        let ms: Vec<i64> = projects.values().copied().collect();
        self.conn.call(Retry::Once, move |c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM checkpoints", &[])?;
            tx.execute(
                "INSERT INTO checkpoints(project_key, updated_ms)
                 SELECT * FROM unnest($1::text[], $2::bigint[])",
                &[&keys, &ms],
            )?;
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('fingerprint', $1)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&fingerprint],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    pub fn push_run(&self, run: &RunRecord) -> Result<(), StateError> {
        let record = json(run)?;
        let nums = [
            run.started_ms,
            run.finished_ms,
            run.issues_indexed as i64,
            run.issues_deleted as i64,
            run.api_calls as i64,
            run.errors.len() as i64,
        ];
        // Never retried: a run recorded twice would show twice.
        self.conn.call(Retry::Never, move |c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "INSERT INTO runs(started_ms, finished_ms, issues_indexed, issues_deleted, api_calls, errors, record)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&nums[0], &nums[1], &nums[2], &nums[3], &nums[4], &nums[5], &record],
            )?;
            tx.execute(
                "DELETE FROM runs WHERE id < (SELECT id FROM runs ORDER BY id DESC OFFSET $1 LIMIT 1)",
                &[&(RUN_HISTORY - 1)],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// The last `limit` runs' records as stored, newest first.
    pub fn run_records(&self, limit: i64) -> Result<Vec<String>, StateError> {
        self.conn.call(Retry::Once, move |c| {
            Ok(c.query(
                "SELECT record FROM runs ORDER BY id DESC LIMIT $1",
                &[&limit.max(0)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
        })
    }

    pub fn record_config_changes(
        &self,
        who: &str,
        at_ms: i64,
        changes: &[config::editable::SettingChange],
    ) -> Result<(), StateError> {
        let who = who.to_string();
        let changes = changes.to_vec();
        // Never retried: an audit line must not show twice.
        self.conn.call(Retry::Never, move |c| {
            let mut tx = c.transaction()?;
            for ch in &changes {
                tx.execute(
                    "INSERT INTO config_changes(at_ms, who, key, before, after) VALUES ($1, $2, $3, $4, $5)",
                    &[&at_ms, &who, &ch.key, &ch.before, &ch.after],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    pub fn config_changes(&self, limit: i64) -> Result<Vec<ConfigAudit>, StateError> {
        self.conn.call(Retry::Once, move |c| {
            Ok(c.query(
                "SELECT at_ms, who, key, before, after FROM config_changes ORDER BY id DESC LIMIT $1",
                &[&limit.max(0)],
            )?
            .iter()
            .map(|r| ConfigAudit {
                at_ms: r.get(0),
                who: r.get(1),
                change: config::editable::SettingChange {
                    key: r.get(2),
                    before: r.get(3),
                    after: r.get(4),
                },
            })
            .collect())
        })
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StateError> {
        let key = key.to_string();
        self.conn.call(Retry::Once, move |c| {
            Ok(
                c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
                    .map(|r| r.get(0)),
            )
        })
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StateError> {
        let (key, value) = (key.to_string(), value.to_string());
        self.conn.call(Retry::Once, move |c| {
            c.execute(
                "INSERT INTO meta(key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&key, &value],
            )?;
            Ok(())
        })
    }

    pub fn push_hint(&self, hint: &str) -> Result<(), StateError> {
        let hint = hint.to_string();
        // Retried: a hint stored twice only re-reads an issue twice; one lost is worse.
        self.conn.call(Retry::Once, move |c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "INSERT INTO hints(at_ms, hint) VALUES ($1, $2)",
                &[&now_ms(), &hint],
            )?;
            tx.execute(
                "DELETE FROM hints WHERE id <= (SELECT MAX(id) FROM hints) - $1",
                &[&MAX_HINTS],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    pub fn take_hints(&self, max: usize) -> Result<Vec<String>, StateError> {
        let max = max.min(i64::MAX as usize) as i64;
        // Never retried: a take whose answer was lost must not take more.
        self.conn.call(Retry::Never, move |c| {
            let mut taken: Vec<(i64, String)> = c
                .query(
                    "DELETE FROM hints WHERE id IN (
                       SELECT id FROM hints ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
                     RETURNING id, hint",
                    &[&max],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            taken.sort_by_key(|(id, _)| *id);
            Ok(taken.into_iter().map(|(_, h)| h).collect())
        })
    }

    pub fn note_unmatched_caller(&self, email: &str) -> Result<(), StateError> {
        let email = email.to_string();
        self.conn.call(Retry::Once, move |c| {
            c.execute(
                "INSERT INTO unmatched_callers(email, at_ms)
                 SELECT $1, $2 WHERE (SELECT count(*) FROM unmatched_callers) < $3
                 ON CONFLICT (email) DO UPDATE SET at_ms = EXCLUDED.at_ms",
                &[&email, &now_ms(), &MAX_UNMATCHED_CALLERS],
            )?;
            Ok(())
        })
    }

    pub fn unmatched_callers(&self) -> Result<Vec<String>, StateError> {
        self.conn.call(Retry::Once, |c| {
            Ok(c.query(
                "SELECT email FROM unmatched_callers ORDER BY email COLLATE \"C\"",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
        })
    }

    /// A connection of its own for the worker lock (never reconnected).
    pub fn lock_conn(&self) -> Result<PgConn, StateError> {
        PgConn::open(&self.target, false)
    }
}

/// Takes the worker lock on `conn` if free; `false` while another session holds it.
pub(crate) fn try_lock(conn: &PgConn) -> Result<bool, StateError> {
    conn.call(Retry::Never, |c| {
        Ok(
            c.query_one("SELECT pg_try_advisory_lock($1)", &[&KEY_WORKER])?
                .get(0),
        )
    })
}

/// Whether `conn`'s session still holds the worker lock.
pub(crate) fn lock_held(conn: &PgConn) -> bool {
    conn.call(Retry::Never, |c| {
        Ok(c.query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
               AND pid = pg_backend_pid() AND granted AND objsubid = 1
               AND classid::bigint = $1 AND objid::bigint = $2)",
            &[&(KEY_WORKER >> 32), &(KEY_WORKER & 0xffff_ffff)],
        )?
        .get(0))
    })
    .unwrap_or(false)
}

/// Releases the worker lock held by `conn`'s session (closing it would too).
pub(crate) fn unlock(conn: &PgConn) {
    let _ = conn.call(Retry::Never, |c| {
        c.execute("SELECT pg_advisory_unlock($1)", &[&KEY_WORKER])?;
        Ok(())
    });
}

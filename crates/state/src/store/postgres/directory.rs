//! The identity tables on PostgreSQL: the directory saved in one transaction (one
//! `unnest` insert per table, skipped when it is the directory stored last, which
//! also keeps its version), read back in one consistent snapshot, and the version
//! search replicas poll.

use std::collections::BTreeMap;

use access::{DirProject, DirUser, Directory};

use super::{KEY_DIRECTORY, Postgres, Retry};
use crate::error::StateError;
use crate::store::rows::{DirRows, next_directory_version};

impl Postgres {
    pub fn save_directory(&self, dir: &Directory) -> Result<(), StateError> {
        let DirRows {
            users,
            groups,
            members,
            projects,
            parts,
            hash,
        } = DirRows::new(dir)?;
        let seq = |n: usize| -> Vec<i32> { (0..n as i32).collect() };
        let u_seq = seq(users.len());
        let u_id: Vec<String> = users.iter().map(|u| u.account_id.clone()).collect();
        let u_email: Vec<Option<String>> = users.iter().map(|u| u.email.clone()).collect();
        let u_name: Vec<String> = users.iter().map(|u| u.display_name.clone()).collect();
        let u_active: Vec<bool> = users.iter().map(|u| u.active).collect();
        let u_type: Vec<String> = users.iter().map(|u| u.account_type.clone()).collect();
        let g_seq = seq(groups.len());
        let (g_id, g_name): (Vec<String>, Vec<String>) = groups.into_iter().unzip();
        let m_seq = seq(members.len());
        let (m_group, m_account): (Vec<String>, Vec<String>) = members.into_iter().unzip();
        let p_seq = seq(projects.len());
        let p_id: Vec<String> = projects.iter().map(|p| p.id.clone()).collect();
        let p_key: Vec<String> = projects.iter().map(|p| p.key.clone()).collect();
        let p_name: Vec<String> = projects.iter().map(|p| p.name.clone()).collect();
        let p_lead: Vec<Option<String>> = projects.iter().map(|p| p.lead.clone()).collect();
        let p_archived: Vec<bool> = projects.iter().map(|p| p.archived).collect();
        let p_team: Vec<bool> = projects.iter().map(|p| p.team_managed).collect();
        let p_private: Vec<bool> = projects.iter().map(|p| p.is_private).collect();
        let (part_names, part_values): (Vec<String>, Vec<String>) =
            parts.into_iter().map(|(k, v)| (k.to_string(), v)).unzip();
        self.conn.call(Retry::Once, move |c| {
            let mut tx = c.transaction()?;
            // One writer at a time decides whether the directory changed.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&KEY_DIRECTORY])?;
            let meta = |tx: &mut postgres::Transaction<'_>, key: &str| -> Result<Option<String>, postgres::Error> {
                Ok(tx
                    .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
                    .map(|r| r.get(0)))
            };
            if meta(&mut tx, "directory_hash")?.as_deref() == Some(hash.as_str()) {
                tx.commit()?;
                return Ok(());
            }
            let version: i64 = meta(&mut tx, "directory_version")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            // DELETE, not TRUNCATE: readers keep their snapshot instead of waiting.
            for table in ["users", "groups", "group_members", "projects", "permissions"] {
                tx.execute(&format!("DELETE FROM {table}"), &[])?;
            }
            tx.execute(
                "INSERT INTO users(seq, account_id, email, display_name, active, account_type)
                 SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::text[])",
                &[&u_seq, &u_id, &u_email, &u_name, &u_active, &u_type],
            )?;
            tx.execute(
                "INSERT INTO groups(seq, group_id, name) SELECT * FROM unnest($1::int[], $2::text[], $3::text[])",
                &[&g_seq, &g_id, &g_name],
            )?;
            tx.execute(
                "INSERT INTO group_members(seq, group_id, account_id)
                 SELECT * FROM unnest($1::int[], $2::text[], $3::text[])",
                &[&m_seq, &m_group, &m_account],
            )?;
            tx.execute(
                "INSERT INTO projects(seq, id, key, name, lead, archived, team_managed, is_private)
                 SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[],
                                      $6::bool[], $7::bool[], $8::bool[])",
                &[&p_seq, &p_id, &p_key, &p_name, &p_lead, &p_archived, &p_team, &p_private],
            )?;
            tx.execute(
                "INSERT INTO permissions(part, value) SELECT * FROM unnest($1::text[], $2::text[])",
                &[&part_names, &part_values],
            )?;
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('directory_hash', $1), ('directory_version', $2)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&hash, &next_directory_version(version).to_string()],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    pub fn load_directory(&self) -> Result<Option<Directory>, StateError> {
        let label = self.label().to_string();
        self.conn.call(Retry::Once, move |c| {
            // One snapshot: a directory saved meanwhile is seen whole or not at all.
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let parts: BTreeMap<String, String> = tx
                .query("SELECT part, value FROM permissions", &[])?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            if parts.is_empty() {
                tx.commit()?;
                return Ok(None);
            }
            let users = tx
                .query(
                    "SELECT account_id, email, display_name, active, account_type FROM users ORDER BY seq",
                    &[],
                )?
                .iter()
                .map(|r| DirUser {
                    account_id: r.get(0),
                    email: r.get(1),
                    display_name: r.get(2),
                    active: r.get(3),
                    account_type: r.get(4),
                    product_keys: None,
                })
                .collect();
            let mut pairs = |sql: &str| -> Result<Vec<(String, String)>, postgres::Error> {
                Ok(tx
                    .query(sql, &[])?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect())
            };
            let groups = pairs("SELECT group_id, name FROM groups ORDER BY seq")?;
            let members = pairs("SELECT group_id, account_id FROM group_members ORDER BY seq")?;
            let projects = tx
                .query(
                    "SELECT id, key, name, lead, archived, team_managed, is_private FROM projects ORDER BY seq",
                    &[],
                )?
                .iter()
                .map(|r| DirProject {
                    id: r.get(0),
                    key: r.get(1),
                    name: r.get(2),
                    lead: r.get(3),
                    archived: r.get(4),
                    team_managed: r.get(5),
                    is_private: r.get(6),
                    access_level: None,
                })
                .collect();
            tx.commit()?;
            Ok(DirRows::loaded(users, groups, members, projects).into_directory(parts, &label)?)
        })
    }
}

//! What both backends store the same way: the history bounds, values stored as JSON,
//! the identity tables as rows ([`DirRows`], from a [`Directory`] and back) and the
//! directory's fingerprint that drives [`super::StateStore::directory_version`].

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use access::{DirGroup, DirProject, DirUser, Directory};
use serde::Serialize;
use sha2::{Digest, Sha256};

use config::FileError;

use crate::error::StateError;

/// Runs kept in the history.
pub(crate) const RUN_HISTORY: i64 = 1000;
/// Runs loaded into [`crate::SyncState::runs`].
pub(crate) const RUNS_LOADED: i64 = 100;
/// Webhook hints kept waiting for a worker (the oldest go first past it: a worker
/// that is away that long runs a full sync anyway).
pub(crate) const MAX_HINTS: i64 = 100_000;
/// Unmatched callers kept (new ones are not recorded past it).
pub(crate) const MAX_UNMATCHED_CALLERS: i64 = 10_000;

/// `v` as stored JSON text.
pub(crate) fn json<T: Serialize>(v: &T) -> Result<String, StateError> {
    Ok(serde_json::to_string(v).map_err(FileError::encode("a stored value"))?)
}

/// Milliseconds since the epoch, by this machine's clock.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The directory version that follows `prev`: larger than it, and at least the clock,
/// so a store recreated from nothing does not hand out a number seen before.
pub(crate) fn next_directory_version(prev: i64) -> i64 {
    (prev + 1).max(now_ms())
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

/// A directory as the rows of the identity tables. A key given twice keeps its last
/// row, in the last one's place (what SQLite's `INSERT OR REPLACE` always did).
pub(crate) struct DirRows {
    /// Users (their `product_keys` travel in the `access` part).
    pub users: Vec<DirUser>,
    /// Groups: id, name.
    pub groups: Vec<(String, String)>,
    /// Memberships: group id, account id.
    pub members: Vec<(String, String)>,
    /// Projects (their `access_level` travels in the `access` part).
    pub projects: Vec<DirProject>,
    /// The `permissions` table: part name, JSON value.
    pub parts: Vec<(&'static str, String)>,
    /// Fingerprint of the directory these rows were made from.
    pub hash: String,
}

/// `items` without earlier duplicates of a key: each key's last item, in its place.
pub(crate) fn last_wins<T, K: Hash + Eq>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    let mut slots: Vec<Option<T>> = Vec::new();
    let mut at: HashMap<K, usize> = HashMap::new();
    for item in items {
        if let Some(old) = at.insert(key(&item), slots.len()) {
            slots[old] = None;
        }
        slots.push(Some(item));
    }
    slots.into_iter().flatten().collect()
}

impl DirRows {
    /// The rows of `dir`.
    pub fn new(dir: &Directory) -> Result<DirRows, StateError> {
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
        let parts = vec![
            ("application_roles", json(&dir.application_roles)?),
            ("role_actors", json(&dir.role_actors)?),
            ("browse_grants", json(&dir.browse_grants)?),
            ("security_levels", json(&dir.security_levels)?),
            ("access", json(&access)?),
        ];
        let hash = Sha256::digest(json(dir)?.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(DirRows {
            users: last_wins(dir.users.iter().cloned(), |u| u.account_id.clone()),
            groups: last_wins(
                dir.groups
                    .iter()
                    .map(|g| (g.group_id.clone(), g.name.clone())),
                |g| g.0.clone(),
            ),
            members: last_wins(
                dir.groups.iter().flat_map(|g| {
                    g.members
                        .iter()
                        .map(move |a| (g.group_id.clone(), a.clone()))
                }),
                |m| m.clone(),
            ),
            projects: last_wins(dir.projects.iter().cloned(), |p| p.id.clone()),
            parts,
            hash,
        })
    }

    /// The directory stored as these rows; `None` when no part is stored (before the
    /// first identity sync). `label` names the database in errors.
    pub fn into_directory(
        self,
        parts: BTreeMap<String, String>,
        label: &str,
    ) -> Result<Option<Directory>, StateError> {
        if parts.is_empty() {
            return Ok(None);
        }
        let corrupt = |e: serde_json::Error| StateError::Record {
            path: label.to_string(),
            detail: format!("identity tables: {e}"),
        };
        let part = |name: &str| parts.get(name).map(String::as_str).unwrap_or("[]");
        let access: AccessFacts = match parts.get("access") {
            Some(v) => serde_json::from_str(v).map_err(corrupt)?,
            None => AccessFacts::default(),
        };
        let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (g, a) in self.members {
            members.entry(g).or_default().push(a);
        }
        let mut dir = Directory {
            application_roles: serde_json::from_str(part("application_roles")).map_err(corrupt)?,
            role_actors: serde_json::from_str(part("role_actors")).map_err(corrupt)?,
            browse_grants: serde_json::from_str(part("browse_grants")).map_err(corrupt)?,
            security_levels: serde_json::from_str(part("security_levels")).map_err(corrupt)?,
            users: self.users,
            projects: self.projects,
            groups: self
                .groups
                .into_iter()
                .map(|(group_id, name)| DirGroup {
                    members: members.remove(&group_id).unwrap_or_default(),
                    group_id,
                    name,
                })
                .collect(),
            jira_admins: access.jira_admins,
            application_roles_unreadable: access.application_roles_unreadable,
            warnings: access.warnings,
        };
        for p in &mut dir.projects {
            p.access_level = access.access_levels.get(&p.id).cloned();
        }
        for u in &mut dir.users {
            u.product_keys = access.product_keys.get(&u.account_id).cloned();
        }
        Ok(Some(dir))
    }

    /// Empty rows, to be filled from the tables and turned into a directory.
    pub fn loaded(
        users: Vec<DirUser>,
        groups: Vec<(String, String)>,
        members: Vec<(String, String)>,
        projects: Vec<DirProject>,
    ) -> DirRows {
        DirRows {
            users,
            groups,
            members,
            projects,
            parts: Vec::new(),
            hash: String::new(),
        }
    }
}

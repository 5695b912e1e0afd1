//! A lookup index over a [`Directory`] for fast principal-set expansion on large
//! sites: account → groups, account → role actors, group → role actors, group →
//! products. Without it, expanding one account scans every group's member list
//! (hundreds of thousands of scattered strings on a site with 10,000 groups).
//!
//! The index stores positions into the directory's lists, not copies, so it belongs
//! to the directory it was built from. Two guards keep a mismatch harmless:
//! - it remembers a fingerprint of that directory (list addresses and sizes) and is
//!   ignored, falling back to the plain scan, when handed a directory that differs;
//! - every fact it returns (membership, role actor, product group, active account,
//!   live project) is re-checked against the directory it is handed, so an index that
//!   is out of date can only miss grants, never invent one (fail closed).
//!
//! After editing a directory in place, build a new index (or call
//! [`crate::PrincipalCache::invalidate_all`]) so that new grants are seen.
//!
//! The expansion through the index, [`DirectoryIndex::principals_for_account`], is
//! defined with the expansion itself (`principals`), which uses this module.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::directory::{DirProject, Directory};
use crate::subject::{Subject, is_live, own_product_keys, sorted};

/// Addresses and sizes of the lists the index points into.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fingerprint {
    lists: [(usize, usize); 5],
    live_projects: usize,
    members: usize,
    role_entries: usize,
    app_groups: usize,
}

impl Fingerprint {
    fn of(dir: &Directory) -> Self {
        Fingerprint {
            lists: [
                (dir.users.as_ptr() as usize, dir.users.len()),
                (dir.groups.as_ptr() as usize, dir.groups.len()),
                (dir.role_actors.as_ptr() as usize, dir.role_actors.len()),
                (
                    dir.application_roles.as_ptr() as usize,
                    dir.application_roles.len(),
                ),
                (dir.projects.as_ptr() as usize, dir.projects.len()),
            ],
            live_projects: dir.projects.iter().filter(|p| is_live(p)).count(),
            members: dir.groups.iter().map(|g| g.members.len()).sum(),
            role_entries: dir
                .role_actors
                .iter()
                .map(|r| r.users.len() + r.groups.len())
                .sum(),
            app_groups: dir
                .application_roles
                .iter()
                .map(|r| r.group_ids.len())
                .sum(),
        }
    }
}

/// Lookup tables of one [`Directory`]; see the module documentation.
///
/// ```
/// use access::*;
/// let dir = Directory {
///     users: vec![DirUser { account_id: "a1".into(), active: true, ..Default::default() }],
///     groups: vec![DirGroup { group_id: "g1".into(), name: "devs".into(), members: vec!["a1".into()] }],
///     ..Default::default()
/// };
/// let index = DirectoryIndex::new(&dir);
/// assert_eq!(index.principals_for_account(&dir, "a1"), principals_for_account(&dir, "a1"));
/// ```
#[derive(Clone, Debug)]
pub struct DirectoryIndex {
    fingerprint: Fingerprint,
    /// Account → positions in `dir.users`.
    users: HashMap<String, Vec<u32>>,
    /// Account → positions in `dir.groups`.
    groups_of: HashMap<String, Vec<u32>>,
    /// Account → positions in `dir.role_actors` naming it as a user actor.
    user_roles: HashMap<String, Vec<u32>>,
    /// Group id → positions in `dir.role_actors` naming it as a group actor.
    group_roles: HashMap<String, Vec<u32>>,
    /// Group id → positions in `dir.application_roles` containing it.
    group_apps: HashMap<String, Vec<u32>>,
    /// Project id → position in `dir.projects`, for browsable projects only.
    live_projects: HashMap<String, u32>,
}

/// The positions stored under `key`.
fn positions<'m>(
    map: &'m HashMap<String, Vec<u32>>,
    key: &str,
) -> impl Iterator<Item = usize> + 'm {
    map.get(key)
        .into_iter()
        .flat_map(|v| v.iter().map(|&p| p as usize))
}

fn push(map: &mut HashMap<String, Vec<u32>>, key: &str, pos: usize) {
    let Ok(pos) = u32::try_from(pos) else {
        return;
    };
    match map.get_mut(key) {
        Some(v) => v.push(pos),
        None => {
            map.insert(key.to_string(), vec![pos]);
        }
    }
}

impl DirectoryIndex {
    /// Builds the index (linear in the size of the directory).
    pub fn new(dir: &Directory) -> Self {
        let mut users = HashMap::with_capacity_and_hasher(dir.users.len(), Default::default());
        for (i, u) in dir.users.iter().enumerate() {
            push(&mut users, &u.account_id, i);
        }
        let mut groups_of = HashMap::default();
        for (i, g) in dir.groups.iter().enumerate() {
            for m in &g.members {
                push(&mut groups_of, m, i);
            }
        }
        let mut user_roles = HashMap::default();
        let mut group_roles = HashMap::default();
        for (i, r) in dir.role_actors.iter().enumerate() {
            for u in &r.users {
                push(&mut user_roles, u, i);
            }
            for g in &r.groups {
                push(&mut group_roles, g, i);
            }
        }
        let mut group_apps = HashMap::default();
        for (i, a) in dir.application_roles.iter().enumerate() {
            for g in &a.group_ids {
                push(&mut group_apps, g, i);
            }
        }
        let mut live_projects = HashMap::default();
        for (i, p) in dir.projects.iter().enumerate() {
            if is_live(p)
                && let Ok(i) = u32::try_from(i)
            {
                live_projects.entry(p.id.clone()).or_insert(i);
            }
        }
        DirectoryIndex {
            fingerprint: Fingerprint::of(dir),
            live_projects,
            users,
            groups_of,
            user_roles,
            group_roles,
            group_apps,
        }
    }

    /// Whether the index was built from this directory (as far as its fingerprint
    /// tells; see the module documentation).
    pub fn is_current(&self, dir: &Directory) -> bool {
        self.fingerprint == Fingerprint::of(dir)
    }

    /// The browsable project with this id.
    pub(crate) fn live_project<'a>(&self, dir: &'a Directory, pid: &str) -> Option<&'a DirProject> {
        let pos = *self.live_projects.get(pid)?;
        dir.projects
            .get(pos as usize)
            .filter(|p| p.id == pid && is_live(p))
    }

    /// The account type (`atlassian`, `app`, `customer`) of the active directory
    /// entry with this account id.
    pub(crate) fn account_type<'a>(&self, dir: &'a Directory, account_id: &str) -> Option<&'a str> {
        positions(&self.users, account_id)
            .filter_map(|i| dir.users.get(i))
            .find(|u| u.account_id == account_id && u.active)
            .map(|u| u.account_type.as_str())
    }

    /// The same [`Subject`] as [`crate::subject::scan`] builds, by lookup.
    pub(crate) fn subject<'a>(&self, dir: &'a Directory, acc: &'a str) -> Subject<'a> {
        // Every fact the index claims is checked against `dir` before use, so an
        // index that is out of date can miss grants but never invent one.
        let groups: HashSet<&'a str> = positions(&self.groups_of, acc)
            .filter_map(|i| dir.groups.get(i))
            .filter(|g| !g.group_id.is_empty() && g.members.iter().any(|m| m == acc))
            .map(|g| g.group_id.as_str())
            .collect();
        let mut app_keys = HashSet::default();
        let mut roles: HashSet<(&'a str, &'a str)> = positions(&self.user_roles, acc)
            .filter_map(|i| dir.role_actors.get(i))
            .filter(|r| r.users.iter().any(|u| u == acc))
            .filter(|r| !r.project_id.is_empty() && !r.role_id.is_empty())
            .map(|r| (r.project_id.as_str(), r.role_id.as_str()))
            .collect();
        if dir.application_roles_unreadable {
            app_keys = own_product_keys(dir, acc);
        }
        for &g in &groups {
            app_keys.extend(
                positions(&self.group_apps, g)
                    .filter_map(|i| dir.application_roles.get(i))
                    .filter(|a| a.group_ids.iter().any(|x| x == g))
                    .map(|a| a.key.as_str()),
            );
            roles.extend(
                positions(&self.group_roles, g)
                    .filter_map(|i| dir.role_actors.get(i))
                    .filter(|r| r.groups.iter().any(|x| x == g))
                    .filter(|r| !r.project_id.is_empty() && !r.role_id.is_empty())
                    .map(|r| (r.project_id.as_str(), r.role_id.as_str())),
            );
        }
        Subject {
            account_id: Some(acc),
            sorted_groups: sorted(&groups),
            groups,
            app_keys,
            roles,
        }
    }
}

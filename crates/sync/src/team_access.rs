//! Who may browse a team-managed project, from Jira's own permission check.
//!
//! A team-managed project has no permission scheme; its access level (open, limited,
//! private) is not in any answer the connector can read: `Project.isPrivate` is
//! "private from the user's perspective" (OpenAPI `Project` schema), so the connector,
//! who can see the project, reads `false`. What Jira does expose is its permission
//! check, `POST /rest/api/3/permissions/check` ("Get bulk permissions"; any account
//! when the caller holds *Administer Jira*): asked for an account with product access
//! that holds no role in the project and is not a Jira administrator, BROWSE_PROJECTS
//! is granted exactly when the project is open or limited ("Open: anyone on your Jira
//! site can view …; Limited: anyone … can view …; Private: only admins and people
//! added to the project", Atlassian: "What are the access levels of team-managed
//! projects?"). One call answers for up to 1,000 projects.
//!
//! A project whose level cannot be learned is treated as private: only its role
//! holders, and the Jira administrators, find it (fail closed), and `check`, `status`
//! and the run report say so.
//!
//! Jira administrators browse private team-managed projects. Global permissions are
//! granted to groups (Atlassian: "Manage global permissions"), so one check per
//! distinct set of groups finds them; every member of a set whose first member is an
//! administrator is checked on its own, so an account is never taken for an
//! administrator on another's answer.

use std::collections::{BTreeMap, BTreeSet};

use access::{Directory, ProjectGrants};
use futures::{StreamExt, TryStreamExt};
use jira_cloud::{
    JiraClient, MAX_PERMISSION_CHECK_IDS, PermissionCheck, PermissionGrants, ProjectPermissionQuery,
};

/// `DirProject::access_level` of a project Jira's check says is open or limited.
pub const ACCESS_OPEN: &str = "open-or-limited";
/// … of one it says is private.
pub const ACCESS_PRIVATE: &str = "private";
/// … of one whose level could not be learned (treated as private).
pub const ACCESS_UNKNOWN: &str = "unknown";

const ADMINISTER: &str = "ADMINISTER";
const BROWSE: &str = "BROWSE_PROJECTS";

/// Accounts asked about a project's access before it is left `unknown`.
const MAX_PROBES: usize = 3;

/// Concurrent permission checks when listing administrators.
const ADMIN_CONCURRENCY: usize = 8;

/// Sets the access level of every team-managed project of `dir` (and, with
/// `read_admins`, the Jira administrators when some project is private), then its
/// BROWSE_PROJECTS holders ([`access::team_managed_grants`]). Never fails: what cannot
/// be read is treated as private and added to `dir.warnings`.
pub(crate) async fn read_team_managed_access(
    client: &JiraClient,
    dir: &mut Directory,
    read_admins: bool,
) {
    let tm: Vec<String> = dir
        .projects
        .iter()
        .filter(|p| p.team_managed && !p.archived)
        .map(|p| p.id.clone())
        .collect();
    let (levels, failure, probe_admins) = probe_levels(client, dir, &tm).await;
    let mut unknown = Vec::new();
    for p in dir.projects.iter_mut().filter(|p| p.team_managed) {
        let level = levels.get(&p.id).copied().unwrap_or(ACCESS_UNKNOWN);
        p.access_level = Some(level.to_string());
        p.is_private = level != ACCESS_OPEN;
        if level == ACCESS_UNKNOWN && !p.archived {
            unknown.push(p.key.clone());
        }
    }
    if !unknown.is_empty() {
        let why = failure.unwrap_or_else(|| {
            "no account with product access, outside the project's roles and not a Jira administrator, could be asked".to_string()
        });
        dir.warnings.push(format!(
            "team-managed projects {}: their access level could not be read from Jira's permission check ({why}); they are treated as private: only their role holders and Jira administrators find them",
            unknown.join(", ")
        ));
    }
    let any_private = dir
        .projects
        .iter()
        .any(|p| p.team_managed && !p.archived && p.is_private);
    if read_admins {
        dir.jira_admins = if any_private {
            match list_admins(client, dir).await {
                Ok(mut admins) => {
                    // Accounts Jira itself named administrators while probing count too.
                    admins.extend(probe_admins);
                    admins.sort();
                    admins.dedup();
                    admins
                }
                Err(e) => {
                    dir.warnings.push(format!(
                        "the Jira administrators could not be listed ({e}): they find private team-managed projects only through their roles"
                    ));
                    probe_admins.into_iter().collect()
                }
            }
        } else {
            Vec::new()
        };
    }
    set_team_managed_grants(dir);
}

/// Replaces the BROWSE_PROJECTS holders of every team-managed project.
fn set_team_managed_grants(dir: &mut Directory) {
    let tm: BTreeSet<String> = dir
        .projects
        .iter()
        .filter(|p| p.team_managed)
        .map(|p| p.id.clone())
        .collect();
    dir.browse_grants.retain(|g| !tm.contains(&g.project_id));
    for p in dir.projects.iter().filter(|p| p.team_managed) {
        dir.browse_grants.push(ProjectGrants {
            project_id: p.id.clone(),
            holders: access::team_managed_grants(p, &dir.role_actors, &dir.jira_admins),
        });
    }
}

/// Whether the account holds any role in the project, itself or through a group.
fn holds_role(dir: &Directory, groups: &BTreeSet<&str>, account: &str, pid: &str) -> bool {
    dir.role_actors
        .iter()
        .filter(|r| r.project_id == pid)
        .any(|r| {
            r.users.iter().any(|u| u == account)
                || r.groups.iter().any(|g| groups.contains(g.as_str()))
        })
}

fn groups_of<'a>(dir: &'a Directory, account: &str) -> BTreeSet<&'a str> {
    dir.groups
        .iter()
        .filter(|g| g.members.iter().any(|m| m == account))
        .map(|g| g.group_id.as_str())
        .collect()
}

/// Active `atlassian` accounts with product access, by account id.
fn licensed(dir: &Directory) -> Vec<&str> {
    let mut out: Vec<&str> = dir
        .users
        .iter()
        .filter(|u| u.active && u.account_type == "atlassian")
        .filter(|u| dir.has_product_access(&u.account_id))
        .map(|u| u.account_id.as_str())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Asks up to [`MAX_PROBES`] accounts. Returns the levels learned, why the rest could
/// not be, and the probes Jira named administrators.
async fn probe_levels(
    client: &JiraClient,
    dir: &Directory,
    tm: &[String],
) -> (
    BTreeMap<String, &'static str>,
    Option<String>,
    BTreeSet<String>,
) {
    let mut levels = BTreeMap::new();
    let mut admins = BTreeSet::new();
    let mut undecided: BTreeSet<&str> = tm.iter().map(String::as_str).collect();
    let mut tried = 0;
    for account in licensed(dir) {
        if undecided.is_empty() || tried >= MAX_PROBES {
            break;
        }
        let groups = groups_of(dir, account);
        let projects: Vec<String> = undecided
            .iter()
            .filter(|pid| !holds_role(dir, &groups, account, pid))
            .map(|p| p.to_string())
            .collect();
        if projects.is_empty() {
            continue;
        }
        tried += 1;
        let mut granted = BTreeSet::new();
        let mut is_admin = false;
        for part in projects.chunks(MAX_PERMISSION_CHECK_IDS) {
            let request = PermissionCheck {
                account_id: Some(account.to_string()),
                global_permissions: vec![ADMINISTER.to_string()],
                project_permissions: vec![ProjectPermissionQuery {
                    permissions: vec![BROWSE.to_string()],
                    projects: part.to_vec(),
                    issues: Vec::new(),
                }],
            };
            match client.check_permissions(&request).await {
                Ok(answer) => {
                    is_admin |= answer.has_global(ADMINISTER);
                    granted.extend(answer.projects_with(BROWSE));
                }
                Err(e) => return (levels, Some(e.to_string()), admins),
            }
        }
        if is_admin {
            // An administrator browses private projects too: the answer tells nothing.
            admins.insert(account.to_string());
            continue;
        }
        for pid in projects {
            let level = if granted.contains(&pid) {
                ACCESS_OPEN
            } else {
                ACCESS_PRIVATE
            };
            undecided.remove(pid.as_str());
            levels.insert(pid, level);
        }
    }
    (levels, None, admins)
}

async fn is_admin(client: &JiraClient, account: &str) -> Result<bool, jira_cloud::JiraError> {
    let request = PermissionCheck {
        account_id: Some(account.to_string()),
        global_permissions: vec![ADMINISTER.to_string()],
        project_permissions: Vec::new(),
    };
    let answer: PermissionGrants = client.check_permissions(&request).await?;
    Ok(answer.has_global(ADMINISTER))
}

/// The accounts with product access that hold *Administer Jira*: one check per
/// distinct set of groups, then each member of a set found to administer.
async fn list_admins(
    client: &JiraClient,
    dir: &Directory,
) -> Result<Vec<String>, jira_cloud::JiraError> {
    let mut by_groups: BTreeMap<BTreeSet<&str>, Vec<String>> = BTreeMap::new();
    for account in licensed(dir) {
        by_groups
            .entry(groups_of(dir, account))
            .or_default()
            .push(account.to_string());
    }
    let sets: Vec<Vec<String>> = by_groups.into_values().collect();
    let firsts: Vec<String> = sets.iter().map(|m| m[0].clone()).collect();
    let first_is_admin = check_admins(client, firsts).await?;
    let mut admins = Vec::new();
    let mut to_check = Vec::new();
    for (members, admin) in sets.iter().zip(first_is_admin) {
        if admin {
            admins.push(members[0].clone());
            to_check.extend(members[1..].iter().cloned());
        }
    }
    let more = check_admins(client, to_check.clone()).await?;
    admins.extend(
        to_check
            .into_iter()
            .zip(more)
            .filter(|(_, admin)| *admin)
            .map(|(a, _)| a),
    );
    // The connector itself, always: Administer Jira may come to an account without a
    // group (an organization admin, "Manage product permissions", Atlassian support),
    // and the connector is the account most likely to be one.
    let me = client.myself().await?.account_id;
    if !admins.contains(&me) && is_admin(client, &me).await? {
        admins.push(me);
    }
    admins.sort();
    Ok(admins)
}

/// Whether each account holds *Administer Jira*, in order.
async fn check_admins(
    client: &JiraClient,
    accounts: Vec<String>,
) -> Result<Vec<bool>, jira_cloud::JiraError> {
    let client = client.clone();
    futures::stream::iter(accounts)
        .map(move |a| {
            let client = client.clone();
            async move { is_admin(&client, &a).await }
        })
        .buffered(ADMIN_CONCURRENCY)
        .try_collect()
        .await
}

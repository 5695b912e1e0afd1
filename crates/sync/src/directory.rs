//! The identity stage: reads users, groups and their members, application roles,
//! projects, project roles and their actors, BROWSE_PROJECTS grants and issue security
//! levels from Jira, and assembles them into an `access::Directory`. Searches expand a
//! person's principal set from this directory at query time, so a change of group
//! membership needs only this stage, never a rewrite of indexed chunks.
//!
//! The stage runs every sync, frugally ([`refresh_directory`]): users, groups,
//! projects and application roles are always re-read (a handful of calls); group
//! members, project roles, grants and security levels (calls per group and per
//! project) are re-read when the audit log since the last stage names a change that is
//! not about an issue, when the lists of groups or projects changed, when the audit log
//! cannot be read, or when the last full read is older than
//! `identity.full_refresh_minutes`. The same audit read yields the issue deletions
//! Jira logged (the fast path; id-set reconciliation still confirms every run).

use std::collections::{BTreeSet, HashMap};

use access::{
    AppRole, DirGroup, DirProject, DirUser, Directory, Holder, ProjectGrants, RoleActors,
    SecurityLevel,
};
use jira_cloud::JiraClient;
use jira_cloud::model::{AuditRecord, RoleActor};

use crate::error::SyncError;
use crate::team_access::{ACCESS_UNKNOWN, read_team_managed_access};
use state::{IdentityMeta, StateStore};

/// The permission Jira checks before anything else of a project is visible.
pub const BROWSE_PROJECTS: &str = "BROWSE_PROJECTS";

/// How far back of the last identity stage the audit log is read again (Jira writes
/// audit records with some delay).
const AUDIT_OVERLAP_MS: i64 = 5 * 60 * 1000;

/// What the identity stage did.
#[derive(Debug)]
pub struct IdentityOutcome {
    /// The identity data read.
    pub directory: Directory,
    /// Whether members, roles, grants and levels were read in full, and why.
    pub full_reason: Option<String>,
    /// Issue ids the audit log reports deleted since the last stage.
    pub deleted_issue_ids: Vec<String>,
    /// Whether the audit log could be read (it needs admin rights).
    pub audit_readable: bool,
}

/// Whether an audit record is about an issue (issue records never change identity).
fn is_issue_record(r: &AuditRecord) -> bool {
    r.category.eq_ignore_ascii_case("issue management")
        || r.object_item
            .as_ref()
            .is_some_and(|o| o.type_name.eq_ignore_ascii_case("ISSUE"))
}

/// The identity stage: re-reads what is cheap, and the rest only when something may
/// have changed (see the module doc), or always with `force_full` (an identity-only
/// sync: an admin or a webhook says identity changed, and Jira may not have written
/// the audit record yet). Stores the directory and its bookkeeping.
pub async fn refresh_directory(
    client: &JiraClient,
    store: &StateStore,
    full_refresh_minutes: u64,
    force_full: bool,
    started_ms: i64,
) -> Result<IdentityOutcome, SyncError> {
    let meta = store.identity_meta()?;
    let previous = store.load_directory()?;
    let from = if meta.last_read_ms > 0 {
        meta.last_read_ms
    } else {
        started_ms
    } - AUDIT_OVERLAP_MS;
    let (records, audit_readable) = match client.audit_records(Some(from), None).await {
        Ok(r) => (r, true),
        Err(e) => {
            tracing::warn!(error = %e, "the audit log cannot be read: identity is read in full every run and deletions are found by reconciliation only");
            (Vec::new(), false)
        }
    };
    let seen: BTreeSet<&str> = meta.audit_seen.iter().map(String::as_str).collect();
    let fresh: Vec<&AuditRecord> = records
        .iter()
        .filter(|r| !seen.contains(r.id.as_str()))
        .collect();
    let deleted_issue_ids: Vec<String> = fresh
        .iter()
        .filter(|r| is_issue_record(r) && r.summary.to_ascii_lowercase().contains("deleted"))
        .filter_map(|r| r.object_item.as_ref().and_then(|o| o.id.clone()))
        .filter(|id| !id.is_empty())
        .collect();
    let identity_change = fresh.iter().find(|r| !is_issue_record(r));
    let max_age_ms = (full_refresh_minutes as i64).saturating_mul(60_000);
    let mut full_reason = if force_full {
        Some("identity-only sync (asked for, or a webhook named a change)".to_string())
    } else if previous.is_none() {
        Some("first identity read".to_string())
    } else if !audit_readable {
        Some("the audit log cannot be read".to_string())
    } else if let Some(r) = identity_change {
        Some(format!("audit log: {}", r.summary))
    } else if started_ms - meta.full_read_ms >= max_age_ms {
        Some(format!(
            "last full read is older than {full_refresh_minutes} min"
        ))
    } else {
        None
    };
    let directory = match (&full_reason, previous) {
        (None, Some(prev)) => match read_light(client, prev).await? {
            Ok(dir) => dir,
            Err(why) => {
                full_reason = Some(why);
                fetch_directory(client).await?
            }
        },
        _ => fetch_directory(client).await?,
    };
    store.save_directory(&directory)?;
    store.set_identity_meta(&IdentityMeta {
        full_read_ms: if full_reason.is_some() {
            started_ms
        } else {
            meta.full_read_ms
        },
        last_read_ms: started_ms,
        audit_seen: records.iter().map(|r| r.id.clone()).collect(),
    })?;
    Ok(IdentityOutcome {
        directory,
        full_reason,
        deleted_issue_ids,
        audit_readable,
    })
}

/// Re-reads users, groups, projects and application roles and keeps the members,
/// roles, grants and levels of `prev`. `Ok(Err(why))` when the groups or projects
/// changed, so that a full read is needed.
async fn read_light(
    client: &JiraClient,
    prev: Directory,
) -> Result<Result<Directory, String>, SyncError> {
    let users = read_users(client).await?;
    let groups = client
        .groups()
        .await
        .map_err(|e| SyncError::jira("listing groups", e))?;
    let before: BTreeSet<&str> = prev.groups.iter().map(|g| g.group_id.as_str()).collect();
    let now: BTreeSet<&str> = groups.iter().map(|g| g.group_id.as_str()).collect();
    if before != now {
        return Ok(Err("the list of groups changed".into()));
    }
    let projects: Vec<DirProject> = client
        .projects()
        .await
        .map_err(|e| SyncError::jira("listing projects", e))?
        .iter()
        .map(dir_project)
        .collect();
    // The access level is not in the project list (it is probed below): compare
    // the rest.
    let bare = |ps: &[DirProject]| -> Vec<DirProject> {
        ps.iter()
            .map(|p| DirProject {
                is_private: false,
                access_level: None,
                ..p.clone()
            })
            .collect()
    };
    if bare(&projects) != bare(&prev.projects) {
        return Ok(Err("the list of projects changed".into()));
    }
    let app_roles = read_app_roles(client).await?;
    if app_roles.is_none() != prev.application_roles_unreadable {
        // Readable now and not before, or the other way round: the administrators and
        // access levels of the last full read were read under other rights.
        return Ok(Err("the application roles' readability changed".into()));
    }
    let known = known_product_keys(&prev);
    let mut dir = Directory {
        users,
        projects,
        warnings: Vec::new(),
        ..prev
    };
    set_app_roles(client, &mut dir, app_roles, &known).await;
    // The access level of team-managed projects is asked again (one call for all of
    // them); the administrators are kept from the last full read.
    read_team_managed_access(client, &mut dir, false).await;
    Ok(Ok(dir))
}

async fn read_users(client: &JiraClient) -> Result<Vec<DirUser>, SyncError> {
    let users = client
        .users()
        .await
        .map_err(|e| SyncError::jira("listing users", e))?;
    Ok(users
        .iter()
        .map(|u| DirUser {
            account_id: u.account_id.clone(),
            email: u.email_address.clone(),
            display_name: u.display_name.clone(),
            active: u.active,
            account_type: u.account_type.clone(),
            product_keys: None,
        })
        .collect())
}

/// The site's application roles, or `None` when Jira refuses them (401, 403, 404:
/// `GET /rest/api/3/applicationrole` needs *Administer Jira*, per the OpenAPI
/// document). The sync goes on without them; see
/// [`Directory::application_roles_unreadable`].
async fn read_app_roles(client: &JiraClient) -> Result<Option<Vec<AppRole>>, SyncError> {
    let app_roles = match client.application_roles().await {
        Ok(roles) => roles,
        Err(e) if matches!(e.status(), Some(401 | 403 | 404)) => {
            tracing::warn!(error = %e, "{APP_ROLES_UNREADABLE}");
            return Ok(None);
        }
        Err(e) => return Err(SyncError::jira("listing application roles", e)),
    };
    Ok(Some(
        app_roles
            .into_iter()
            .map(|role| AppRole {
                key: role.key.clone(),
                group_ids: role
                    .group_details
                    .iter()
                    .map(|g| g.group_id.clone())
                    .filter(|id| !id.is_empty())
                    .collect(),
            })
            .collect(),
    ))
}

/// What the directory says when the application roles cannot be read.
pub const APP_ROLES_UNREADABLE: &str = "the application roles cannot be read (GET /rest/api/3/applicationrole needs Administer Jira): product access is read one account at a time instead (GET /rest/api/3/user?expand=applicationRoles, one call per active account), and an account whose answer cannot be read sees only what anyone (anonymous) may see";

/// What the directory says when not even the per-account product access can be read.
pub const PRODUCT_ACCESS_UNREADABLE: &str = "nobody's product access can be read (GET /rest/api/3/user needs Browse users and groups): every search returns only what anyone (anonymous) may see";

/// Sets the application roles read. Where Jira refused them, marks them unreadable
/// and reads each active account's own products instead (`GET /rest/api/3/user?
/// expand=applicationRoles`, which needs only *Browse users and groups*), reusing
/// the `known` answers of the last identity read for accounts it already had (a change of product access is a
/// change of group membership or of the application access configuration, which the
/// audit log names and which makes the next identity read a full one).
async fn set_app_roles(
    client: &JiraClient,
    dir: &mut Directory,
    roles: Option<Vec<AppRole>>,
    known: &HashMap<String, Vec<String>>,
) {
    let Some(roles) = roles else {
        dir.application_roles.clear();
        dir.application_roles_unreadable = true;
        dir.warnings.push(APP_ROLES_UNREADABLE.to_string());
        read_product_keys(client, dir, known).await;
        return;
    };
    dir.application_roles = roles;
    dir.application_roles_unreadable = false;
}

/// The per-account products a directory read with unreadable application roles.
fn known_product_keys(dir: &Directory) -> HashMap<String, Vec<String>> {
    if !dir.application_roles_unreadable {
        return HashMap::new();
    }
    dir.users
        .iter()
        .filter_map(|u| Some((u.account_id.clone(), u.product_keys.clone()?)))
        .collect()
}

/// Fills [`DirUser::product_keys`] for every active account that is not a customer
/// (customers never hold product access). A refused call (401, 403) ends the walk and
/// leaves everyone without product access; an account Jira no longer knows (404)
/// holds none; any other failure leaves that account without it and is reported.
async fn read_product_keys(
    client: &JiraClient,
    dir: &mut Directory,
    known: &HashMap<String, Vec<String>>,
) {
    let mut wanted = Vec::new();
    for u in dir.users.iter_mut() {
        u.product_keys = None;
        if !u.active || u.account_type == "customer" {
            continue;
        }
        match known.get(&u.account_id) {
            Some(keys) => u.product_keys = Some(keys.clone()),
            None => wanted.push(u.account_id.clone()),
        }
    }
    let mut answers = client.users_application_roles(&wanted).await;
    let refused = answers
        .values()
        .any(|r| matches!(r.as_ref().err().and_then(|e| e.status()), Some(401 | 403)));
    if refused {
        tracing::warn!("{PRODUCT_ACCESS_UNREADABLE}");
        for u in dir.users.iter_mut() {
            u.product_keys = None;
        }
        dir.warnings.push(PRODUCT_ACCESS_UNREADABLE.to_string());
        return;
    }
    let mut failed = Vec::new();
    for u in dir.users.iter_mut() {
        match answers.remove(&u.account_id) {
            None => {}
            Some(Ok(keys)) => u.product_keys = Some(keys),
            Some(Err(e)) if e.status() == Some(404) => u.product_keys = Some(Vec::new()),
            Some(Err(e)) => {
                tracing::warn!(account_id = %u.account_id, error = %e, "the account's product access cannot be read: it sees only what anyone may see until the next sync");
                failed.push(u.account_id.clone());
            }
        }
    }
    if !failed.is_empty() {
        dir.warnings.push(format!(
            "the product access of {} account(s) cannot be read ({}{}): they see only what anyone (anonymous) may see until a sync reads it",
            failed.len(),
            failed.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            if failed.len() > 5 { ", …" } else { "" }
        ));
    }
}

fn dir_project(p: &jira_cloud::model::Project) -> DirProject {
    DirProject {
        id: p.id.clone(),
        key: p.key.clone(),
        name: p.name.clone(),
        lead: p.lead.as_ref().map(|l| l.account_id.clone()),
        archived: p.archived,
        team_managed: p.style.as_deref() == Some("next-gen") || p.simplified,
        // Never `p.is_private` ("private from the user's perspective": false for the
        // connector, who sees the project). Team-managed projects count as private
        // until Jira's permission check says otherwise (`read_team_managed_access`).
        is_private: team_managed(p),
        access_level: team_managed(p).then(|| ACCESS_UNKNOWN.to_string()),
    }
}

fn team_managed(p: &jira_cloud::model::Project) -> bool {
    p.style.as_deref() == Some("next-gen") || p.simplified
}

/// Project id → its issue security scheme with levels.
type SecurityByProject = std::collections::BTreeMap<String, jira_cloud::model::IssueSecurityScheme>;

/// Projects (and permission or security schemes) read at the same time.
const IDENTITY_CONCURRENCY: usize = 8;

/// Runs a site-wide read, or answers as Jira does without Administer Jira.
async fn site_wide_read<T>(
    enabled: bool,
    read: impl std::future::Future<Output = Result<T, jira_cloud::JiraError>>,
) -> Result<T, jira_cloud::JiraError> {
    if enabled {
        read.await
    } else {
        Err(jira_cloud::JiraError::Http {
            status: 403,
            url: "(site-wide reads off)".into(),
            messages: Vec::new(),
        })
    }
}

/// What is read of one project: its roles with their actors, and for a
/// company-managed project the ids of its permission scheme and its issue security
/// scheme (with levels).
struct ProjectRead {
    roles: Vec<jira_cloud::model::ProjectRole>,
    scheme_id: Option<String>,
    security: Option<jira_cloud::model::IssueSecurityScheme>,
}

async fn read_project(
    client: &JiraClient,
    p: &jira_cloud::model::Project,
    team_managed: bool,
    global_roles: Option<&[jira_cloud::model::ProjectRole]>,
    security_schemes: Option<&SecurityByProject>,
) -> Result<ProjectRead, SyncError> {
    use futures::{StreamExt, TryStreamExt};
    let roles_err = |e| SyncError::jira(format!("reading roles of project {}", p.key), e);
    // A company-managed project has every role of the site: read each directly.
    // A team-managed project has its own roles: list them first.
    let mut roles = match (team_managed, global_roles) {
        (false, Some(global)) => {
            futures::stream::iter(global.iter().map(|r| r.id.clone()).collect::<Vec<_>>())
                .map(|role_id| {
                    let project_id = p.id.clone();
                    async move { client.project_role(&project_id, &role_id).await }
                })
                .buffer_unordered(IDENTITY_CONCURRENCY)
                .try_collect::<Vec<_>>()
                .await
                .map_err(roles_err)?
        }
        _ => client.project_roles(&p.id).await.map_err(roles_err)?,
    };
    roles.sort_by(|a, b| (a.id.len(), a.id.as_str()).cmp(&(b.id.len(), b.id.as_str())));
    if team_managed {
        return Ok(ProjectRead {
            roles,
            scheme_id: None,
            security: None,
        });
    }
    let scheme_id = client
        .project_permission_scheme_id(&p.id)
        .await
        .map_err(|e| {
            SyncError::jira(
                format!("reading the permission scheme of project {}", p.key),
                e,
            )
        })?;
    let security = match security_schemes {
        Some(all) => all.get(&p.id).cloned(),
        None => client.project_security_scheme(&p.id).await.map_err(|e| {
            SyncError::jira(
                format!("reading the issue security scheme of project {}", p.key),
                e,
            )
        })?,
    };
    Ok(ProjectRead {
        roles,
        scheme_id: Some(scheme_id),
        security,
    })
}

/// Fetches the whole identity and permission directory of the site. Groups' members,
/// projects and schemes are read [`IDENTITY_CONCURRENCY`] at a time (the client's
/// rate limit still applies); each shared scheme is read once.
pub async fn fetch_directory(client: &JiraClient) -> Result<Directory, SyncError> {
    fetch_directory_with(client, true).await
}

/// [`fetch_directory`]; `site_wide: false` skips the site-wide lists (roles, permission and
/// security schemes) and reads each project's, as without Administer Jira.
pub async fn fetch_directory_with(
    client: &JiraClient,
    site_wide: bool,
) -> Result<Directory, SyncError> {
    use futures::{StreamExt, TryStreamExt};
    let users = read_users(client).await?;
    let groups = client
        .groups()
        .await
        .map_err(|e| SyncError::jira("listing groups", e))?;
    let group_ids: Vec<String> = groups.iter().map(|g| g.group_id.clone()).collect();
    let mut members = client
        .groups_members(&group_ids, true)
        .await
        .map_err(|e| SyncError::jira("listing the members of groups", e))?;
    let mut dir = Directory {
        users,
        ..Default::default()
    };
    for g in &groups {
        dir.groups.push(DirGroup {
            group_id: g.group_id.clone(),
            name: g.name.clone(),
            members: members
                .remove(&g.group_id)
                .unwrap_or_default()
                .into_iter()
                .map(|u| u.account_id)
                .collect(),
        });
    }
    let app_roles = read_app_roles(client).await?;
    set_app_roles(client, &mut dir, app_roles, &HashMap::new()).await;
    let projects = client
        .projects()
        .await
        .map_err(|e| SyncError::jira("listing projects", e))?;
    // The site's roles in one call (Administer Jira needed); without that right, each
    // project's role list is read instead.
    let global_roles = match site_wide_read(site_wide, client.global_roles()).await {
        Ok(roles) => Some(roles),
        Err(e) if matches!(e.status(), Some(401 | 403 | 404)) => {
            tracing::info!(error = %e, "the site's role list cannot be read: listing each project's roles");
            None
        }
        Err(e) => return Err(SyncError::jira("listing project roles", e)),
    };
    // Every project's security scheme in two walks (Administer Jira needed); without
    // that right, one call per project.
    let security_schemes = match site_wide_read(site_wide, client.security_schemes_by_project())
        .await
    {
        Ok(all) => Some(all),
        Err(e) if matches!(e.status(), Some(401 | 403 | 404)) => {
            tracing::info!(error = %e, "the site's issue security schemes cannot be listed: reading each project's");
            None
        }
        Err(e) => return Err(SyncError::jira("listing issue security schemes", e)),
    };
    let global_roles = global_roles.as_deref();
    let security_schemes = security_schemes.as_ref();
    let reads: Vec<ProjectRead> = futures::stream::iter(projects.clone())
        .map(|p| async move {
            let team_managed = dir_project(&p).team_managed;
            read_project(client, &p, team_managed, global_roles, security_schemes).await
        })
        .buffered(IDENTITY_CONCURRENCY)
        .try_collect()
        .await?;
    // Every scheme with its grants in one call; a scheme that list lacks (or every
    // scheme, when the list cannot be read) is read by id, each once.
    let mut schemes: std::collections::BTreeMap<String, jira_cloud::model::PermissionScheme> =
        match site_wide_read(site_wide, client.permission_schemes()).await {
            Ok(all) => all.into_iter().map(|s| (s.id.clone(), s)).collect(),
            Err(e) if matches!(e.status(), Some(401 | 403 | 404)) => {
                tracing::info!(error = %e, "the site's permission schemes cannot be listed: reading each project's");
                Default::default()
            }
            Err(e) => return Err(SyncError::jira("listing permission schemes", e)),
        };
    let missing: BTreeSet<String> = reads
        .iter()
        .filter_map(|r| r.scheme_id.clone())
        .filter(|id| !schemes.contains_key(id))
        .collect();
    let read_by_id: Vec<(String, jira_cloud::model::PermissionScheme)> =
        futures::stream::iter(missing)
            .map(|id| async move {
                client
                    .permission_scheme(&id)
                    .await
                    .map(|s| (id.clone(), s))
                    .map_err(|e| SyncError::jira(format!("reading permission scheme {id}"), e))
            })
            .buffer_unordered(IDENTITY_CONCURRENCY)
            .try_collect()
            .await?;
    schemes.extend(read_by_id);
    let security_schemes: std::collections::BTreeMap<String, String> = reads
        .iter()
        .zip(&projects)
        .filter_map(|(r, p)| r.security.as_ref().map(|s| (s.id.clone(), p.key.clone())))
        .collect();
    let scheme_members: std::collections::BTreeMap<
        String,
        Vec<jira_cloud::model::SecurityLevelMember>,
    > = futures::stream::iter(security_schemes)
        .map(|(id, key)| async move {
            client
                .security_scheme_members(&id)
                .await
                .map(|m| (id.clone(), m))
                .map_err(|e| {
                    SyncError::jira(
                        format!("reading the members of security scheme {id} ({key})"),
                        e,
                    )
                })
        })
        .buffer_unordered(IDENTITY_CONCURRENCY)
        .try_collect()
        .await?;
    for (p, read) in projects.iter().zip(reads) {
        let project = dir_project(p);
        for role in read.roles {
            let mut actors = RoleActors {
                project_id: p.id.clone(),
                role_id: role.id.clone(),
                role_name: role.name.clone(),
                users: Vec::new(),
                groups: Vec::new(),
            };
            for actor in role.actors {
                match actor {
                    RoleActor::User { account_id } => actors.users.push(account_id),
                    RoleActor::Group { group_id, .. } => actors.groups.push(group_id),
                }
            }
            dir.role_actors.push(actors);
        }
        let holders = match &read.scheme_id {
            // Set by `read_team_managed_access` below, once the access level is known.
            None => Vec::new(),
            Some(id) => schemes[id]
                .permissions
                .iter()
                .filter(|g| g.permission == BROWSE_PROJECTS)
                .map(|g| {
                    Holder::from_jira(
                        &g.holder.type_,
                        g.holder.parameter.as_deref(),
                        g.holder.value.as_deref(),
                    )
                })
                .collect(),
        };
        dir.browse_grants.push(ProjectGrants {
            project_id: p.id.clone(),
            holders,
        });
        if let Some(scheme) = &read.security {
            for level in &scheme.levels {
                let members = scheme_members[&scheme.id]
                    .iter()
                    .filter(|m| m.issue_security_level_id == level.id);
                dir.security_levels.push(SecurityLevel {
                    project_id: p.id.clone(),
                    level_id: level.id.clone(),
                    name: level.name.clone(),
                    members: members
                        .map(|m| {
                            Holder::from_jira(
                                &m.holder.type_,
                                m.holder.parameter.as_deref(),
                                m.holder.value.as_deref(),
                            )
                        })
                        .collect(),
                });
            }
        }
        dir.projects.push(project);
    }
    read_team_managed_access(client, &mut dir, true).await;
    for (project_id, type_name) in access::unknown_holders(&dir) {
        tracing::warn!(
            project_id,
            holder_type = type_name,
            "unknown permission holder type: it grants nothing (fail closed)"
        );
    }
    Ok(dir)
}

/// Custom field ids that some grant or security level names (`userCustomField`,
/// `groupCustomField`): the only custom fields whose values decide visibility.
pub fn acl_custom_fields(dir: &Directory) -> Vec<String> {
    let mut fields: Vec<String> = dir
        .browse_grants
        .iter()
        .flat_map(|g| g.holders.iter())
        .chain(dir.security_levels.iter().flat_map(|l| l.members.iter()))
        .filter_map(|h| match h {
            Holder::UserCustomField { field_id } | Holder::GroupCustomField { field_id } => {
                Some(field_id.clone())
            }
            _ => None,
        })
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

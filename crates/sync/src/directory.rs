//! The identity stage: reads users, groups and their members, application roles,
//! projects, project roles and their actors, BROWSE_PROJECTS grants and issue security
//! levels from Jira, and assembles them into an `access::Directory`. Searches expand a
//! person's principal set from this directory at query time, so a change of group
//! membership needs only this stage, never a rewrite of indexed chunks.

use access::{
    AppRole, DirGroup, DirProject, DirUser, Directory, Holder, ProjectGrants, RoleActors,
    SecurityLevel,
};
use jira_cloud::JiraClient;
use jira_cloud::model::RoleActor;

use crate::SyncError;

/// The permission Jira checks before anything else of a project is visible.
pub const BROWSE_PROJECTS: &str = "BROWSE_PROJECTS";

/// Fetches the whole identity and permission directory of the site.
pub async fn fetch_directory(client: &JiraClient) -> Result<Directory, SyncError> {
    let users = client
        .users()
        .await
        .map_err(|e| SyncError::jira("listing users", e))?;
    let groups = client
        .groups()
        .await
        .map_err(|e| SyncError::jira("listing groups", e))?;
    let mut dir = Directory {
        users: users
            .iter()
            .map(|u| DirUser {
                account_id: u.account_id.clone(),
                email: u.email_address.clone(),
                display_name: u.display_name.clone(),
                active: u.active,
                account_type: u.account_type.clone(),
            })
            .collect(),
        ..Default::default()
    };
    for g in &groups {
        let members = client
            .group_members(&g.group_id, true)
            .await
            .map_err(|e| SyncError::jira(format!("listing members of group {}", g.name), e))?;
        dir.groups.push(DirGroup {
            group_id: g.group_id.clone(),
            name: g.name.clone(),
            members: members.into_iter().map(|u| u.account_id).collect(),
        });
    }
    let app_roles = client
        .application_roles()
        .await
        .map_err(|e| SyncError::jira("listing application roles", e))?;
    for role in app_roles {
        let group_ids = role
            .group_details
            .iter()
            .map(|g| g.group_id.clone())
            .collect();
        dir.application_roles.push(AppRole {
            key: role.key.clone(),
            group_ids,
        });
    }
    let projects = client
        .projects()
        .await
        .map_err(|e| SyncError::jira("listing projects", e))?;
    for p in &projects {
        let team_managed = p.style.as_deref() == Some("next-gen") || p.simplified;
        let project = DirProject {
            id: p.id.clone(),
            key: p.key.clone(),
            name: p.name.clone(),
            lead: p.lead.as_ref().map(|l| l.account_id.clone()),
            archived: p.archived,
            team_managed,
            is_private: p.is_private,
        };
        let roles = client
            .project_roles(&p.id)
            .await
            .map_err(|e| SyncError::jira(format!("reading roles of project {}", p.key), e))?;
        for role in roles {
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
        let holders = if team_managed {
            access::team_managed_grants(&project, &dir.role_actors)
        } else {
            let scheme = client.project_permission_scheme(&p.id).await.map_err(|e| {
                SyncError::jira(
                    format!("reading the permission scheme of project {}", p.key),
                    e,
                )
            })?;
            scheme
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
                .collect()
        };
        dir.browse_grants.push(ProjectGrants {
            project_id: p.id.clone(),
            holders,
        });
        if !team_managed
            && let Some(scheme) = client.project_security_scheme(&p.id).await.map_err(|e| {
                SyncError::jira(
                    format!("reading the issue security scheme of project {}", p.key),
                    e,
                )
            })?
        {
            for level in &scheme.levels {
                let members = client
                    .security_level_members(&scheme.id, &level.id)
                    .await
                    .map_err(|e| {
                        SyncError::jira(
                            format!(
                                "reading members of security level {} ({})",
                                level.name, p.key
                            ),
                            e,
                        )
                    })?;
                dir.security_levels.push(SecurityLevel {
                    project_id: p.id.clone(),
                    level_id: level.id.clone(),
                    name: level.name.clone(),
                    members: members
                        .iter()
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

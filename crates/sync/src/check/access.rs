//! The access part of `jira-index check`: reads the whole identity directory as a
//! sync would, and says what it could not read (application roles, team-managed
//! access levels, administrators; each denies, fail closed) and what the connector
//! account itself cannot see. The sync reads Jira as the connector, so an issue at a
//! security level the connector is not in, or a comment restricted to a group or role
//! it does not hold, never reaches the index: nobody finds it, silently, unless this
//! says so.

use std::collections::BTreeSet;

use access::{Directory, Holder, principals_for_account, tag};
use jira_cloud::JiraClient;

use super::item::CheckItem;
use crate::directory::{APP_ROLES_UNREADABLE, PRODUCT_ACCESS_UNREADABLE, fetch_directory};

/// How many names an item lists before it says "and N more".
const LIST: usize = 12;

fn listed(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(LIST).map(String::as_str).collect();
    let mut out = shown.join(", ");
    if names.len() > LIST {
        out.push_str(&format!(" and {} more", names.len() - LIST));
    }
    out
}

/// Appends the access items to a check report.
pub(crate) async fn check_access(client: &JiraClient, me: &str, items: &mut Vec<CheckItem>) {
    let dir = match fetch_directory(client).await {
        Ok(dir) => dir,
        Err(e) => {
            items.push(CheckItem {
                what: "identity directory".into(),
                ok: false,
                detail: e.to_string(),
                advice: Some("the sync reads the same: it would stop here".into()),
            });
            return;
        }
    };
    items.extend(access_items(&dir, me));
}

/// The access items for a directory read as the account `me`.
pub fn access_items(dir: &Directory, me: &str) -> Vec<CheckItem> {
    let mut items = Vec::new();
    items.push(if dir.application_roles_unreadable {
        let known = dir
            .users
            .iter()
            .filter(|u| u.product_keys.is_some())
            .count();
        let licensed = dir
            .users
            .iter()
            .filter(|u| u.product_keys.as_ref().is_some_and(|k| !k.is_empty()))
            .count();
        let detail = if dir.warnings.iter().any(|w| w == PRODUCT_ACCESS_UNREADABLE) {
            format!("{APP_ROLES_UNREADABLE}. {PRODUCT_ACCESS_UNREADABLE}")
        } else {
            format!(
                "{APP_ROLES_UNREADABLE}. read for {known} accounts, {licensed} of them with product access"
            )
        };
        CheckItem {
            what: "application roles".into(),
            ok: false,
            detail,
            advice: Some("grant the connector account the Administer Jira global permission, so that product access is read in one call rather than one call per account".into()),
        }
    } else {
        CheckItem {
            what: "application roles".into(),
            ok: true,
            detail: format!(
                "readable ({} products); only accounts with product access get grants",
                dir.application_roles.len()
            ),
            advice: None,
        }
    });
    let tm: Vec<&access::DirProject> = dir
        .projects
        .iter()
        .filter(|p| p.team_managed && !p.archived)
        .collect();
    if !tm.is_empty() {
        let unknown: Vec<String> = tm
            .iter()
            .filter(|p| p.access_level.as_deref() == Some(crate::team_access::ACCESS_UNKNOWN))
            .map(|p| p.key.clone())
            .collect();
        let private = tm.iter().filter(|p| p.is_private).count();
        items.push(CheckItem {
            what: "team-managed access".into(),
            ok: unknown.is_empty(),
            detail: if unknown.is_empty() {
                format!(
                    "{} team-managed projects, {private} private (from Jira's permission check)",
                    tm.len()
                )
            } else {
                format!(
                    "the access level of {} could not be read: treated as private (only role holders and Jira administrators find them)",
                    listed(&unknown)
                )
            },
            advice: (!unknown.is_empty()).then(|| {
                "POST /rest/api/3/permissions/check for other accounts needs the Administer Jira global permission".to_string()
            }),
        });
    }
    let admin_gap = dir
        .warnings
        .iter()
        .find(|w| w.starts_with("the Jira administrators"));
    if let Some(w) = admin_gap {
        items.push(CheckItem {
            what: "jira administrators".into(),
            ok: false,
            detail: w.clone(),
            advice: Some(
                "grant the connector account the Administer Jira global permission".into(),
            ),
        });
    }
    items.push(hidden_from(dir, me));
    items
}

/// What the connector account cannot see, and so the index lacks.
fn hidden_from(dir: &Directory, me: &str) -> CheckItem {
    let mine = principals_for_account(dir, me);
    let project_key = |pid: &str| {
        dir.projects
            .iter()
            .find(|p| p.id == pid)
            .map(|p| p.key.clone())
            .unwrap_or_else(|| pid.to_string())
    };
    let levels: Vec<String> = dir
        .security_levels
        .iter()
        .filter(|l| !mine.contains(&tag::level(&l.level_id, &l.project_id)))
        .map(|l| {
            let dynamic = l.members.iter().any(Holder::is_dynamic);
            format!(
                "{} / {}{}",
                project_key(&l.project_id),
                l.name,
                if dynamic {
                    " (unless it is the reporter, assignee or named in a field)"
                } else {
                    ""
                }
            )
        })
        .collect();
    let groups: Vec<String> = dir
        .groups
        .iter()
        .filter(|g| !mine.contains(&tag::group(&g.group_id)))
        .map(|g| g.name.clone())
        .collect();
    let roles: BTreeSet<String> = dir
        .role_actors
        .iter()
        .filter(|r| !mine.contains(&tag::role(&r.project_id, &r.role_id)))
        .map(|r| format!("{} / {}", project_key(&r.project_id), r.role_name))
        .collect();
    let roles: Vec<String> = roles.into_iter().collect();
    let mut parts = Vec::new();
    if !levels.is_empty() {
        parts.push(format!(
            "issues at these security levels: {}",
            listed(&levels)
        ));
    }
    if !groups.is_empty() {
        parts.push(format!(
            "comments restricted to these groups: {}",
            listed(&groups)
        ));
    }
    if !roles.is_empty() {
        parts.push(format!(
            "comments restricted to these project roles: {}",
            listed(&roles)
        ));
    }
    if parts.is_empty() {
        CheckItem {
            what: "hidden from the connector".into(),
            ok: true,
            detail: "the connector holds every security level, group and role: nothing is hidden from it".into(),
            advice: None,
        }
    } else {
        CheckItem {
            what: "hidden from the connector".into(),
            ok: false,
            detail: format!(
                "the connector account cannot read, so the index lacks (nobody finds them): {}",
                parts.join("; ")
            ),
            advice: Some("add the connector account to those security levels, groups and roles (an admin group usually is), then sync".into()),
        }
    }
}

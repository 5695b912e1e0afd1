//! Permission and issue security schemes: `permissionscheme`, a project's permission
//! and security schemes, `issuesecurityschemes/search`, levels and level members.

use axum::http::StatusCode;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::projects::project_or_404;
use super::reply::{Params, error, num, ok, page, slice, tri};
use super::state::AppState;
use crate::model::{Holder, IssueSecurityScheme, PermissionScheme, Workspace};

fn holder_json(ws: &Workspace, h: &Holder) -> Value {
    let mut v = json!({"type": h.type_name()});
    let (param, value): (Option<String>, Option<String>) = match h {
        Holder::Anyone | Holder::ProjectLead | Holder::Reporter | Holder::Assignee => (None, None),
        Holder::ApplicationRole { key } => (key.clone(), None),
        Holder::Group { group_id } => (
            ws.group(group_id).map(|g| g.name.clone()),
            Some(group_id.clone()),
        ),
        Holder::User { account_id } => (Some(account_id.clone()), Some(account_id.clone())),
        Holder::ProjectRole { role_id } => (Some(role_id.clone()), Some(role_id.clone())),
        Holder::UserCustomField { field_id } | Holder::GroupCustomField { field_id } => {
            (Some(field_id.clone()), Some(field_id.clone()))
        }
    };
    if let Some(p) = param {
        v["parameter"] = json!(p);
    }
    if let Some(val) = value {
        v["value"] = json!(val);
    }
    v
}

fn scheme_summary(base: &str, s: &PermissionScheme) -> Value {
    json!({
        "expand": "permissions,user,group,projectRole,field,all",
        "id": num(&s.id),
        "self": format!("{base}/rest/api/3/permissionscheme/{}", s.id),
        "name": s.name,
        "description": s.description,
    })
}

pub(super) async fn project_permission_scheme(
    State(st): State<AppState>,
    Path(id_or_key): Path<String>,
) -> Response {
    let ws = st.read();
    let p = tri!(project_or_404(&ws, &id_or_key));
    match p
        .permission_scheme_id
        .as_deref()
        .and_then(|s| ws.permission_scheme(s))
    {
        Some(s) => ok(scheme_summary(&st.base, s)),
        None => error(
            StatusCode::NOT_FOUND,
            format!(
                "Project '{}' is team-managed and has no permission scheme.",
                p.key
            ),
        ),
    }
}

pub(super) async fn permission_scheme(
    State(st): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = Params::parse(q);
    let ws = st.read();
    let Some(s) = ws.permission_scheme(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("Permission scheme with id '{id}' does not exist."),
        );
    };
    ok(scheme_json(&st.base, &ws, s, p.expands("permissions")))
}

/// A permission scheme, with its grants when `permissions` is expanded.
fn scheme_json(base: &str, ws: &Workspace, s: &PermissionScheme, grants: bool) -> Value {
    let mut v = scheme_summary(base, s);
    if grants {
        v["permissions"] = Value::Array(
            s.grants
                .iter()
                .map(|g| {
                    json!({
                        "id": num(&g.id),
                        "self": format!("{base}/rest/api/3/permissionscheme/{}/permission/{}", s.id, g.id),
                        "holder": holder_json(ws, &g.holder),
                        "permission": g.permission,
                    })
                })
                .collect(),
        );
    }
    v
}

/// `GET /rest/api/3/permissionscheme`: every permission scheme of the site (not
/// paged), with their grants when `permissions` is expanded.
pub(super) async fn permission_schemes(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = Params::parse(q);
    let ws = st.read();
    let grants = p.expands("permissions");
    ok(json!({
        "permissionSchemes": ws
            .permission_schemes
            .iter()
            .map(|s| scheme_json(&st.base, &ws, s, grants))
            .collect::<Vec<_>>(),
    }))
}

pub(super) async fn project_security_scheme(
    State(st): State<AppState>,
    Path(id_or_key): Path<String>,
) -> Response {
    let ws = st.read();
    let p = tri!(project_or_404(&ws, &id_or_key));
    let Some(s) = p
        .security_scheme_id
        .as_deref()
        .and_then(|s| ws.security_scheme(s))
    else {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "No issue security scheme is associated with project '{}'.",
                p.key
            ),
        );
    };
    let levels: Vec<Value> = s
        .levels
        .iter()
        .map(|l| {
            json!({
                "self": format!("{}/rest/api/3/securitylevel/{}", st.base, l.id),
                "id": l.id,
                "name": l.name,
                "description": l.description,
                "isDefault": s.default_level_id.as_deref() == Some(l.id.as_str()),
                "issueSecuritySchemeId": s.id,
            })
        })
        .collect();
    let mut v = json!({
        "self": format!("{}/rest/api/3/issuesecurityschemes/{}", st.base, s.id),
        "id": num(&s.id),
        "name": s.name,
        "description": s.description,
        "levels": levels,
    });
    if let Some(d) = &s.default_level_id {
        v["defaultSecurityLevelId"] = num(d);
    }
    ok(v)
}

/// The (scheme, level) pairs named by `schemeId` and level id filters (empty: all).
fn scheme_levels<'a>(
    ws: &'a Workspace,
    scheme_ids: &'a [&'a str],
    level_ids: &'a [&'a str],
) -> impl Iterator<Item = (&'a IssueSecurityScheme, &'a crate::model::SecurityLevel)> + 'a {
    ws.security_schemes
        .iter()
        .filter(|s| scheme_ids.is_empty() || scheme_ids.contains(&s.id.as_str()))
        .flat_map(move |s| {
            s.levels
                .iter()
                .filter(|l| level_ids.is_empty() || level_ids.contains(&l.id.as_str()))
                .map(move |l| (s, l))
        })
}

/// `GET /rest/api/3/issuesecurityschemes/search`: the schemes with the ids of the
/// projects using them (offset pages).
pub(super) async fn security_schemes_search(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 100);
    let ids = p.all("id");
    let project_ids = p.all("projectId");
    let ws = st.read();
    let schemes: Vec<Value> = ws
        .security_schemes
        .iter()
        .filter(|s| ids.is_empty() || ids.contains(&s.id.as_str()))
        .filter_map(|s| {
            let using: Vec<Value> = ws
                .projects
                .iter()
                .filter(|p| p.security_scheme_id.as_deref() == Some(s.id.as_str()))
                .map(|p| num(&p.id))
                .collect();
            let wanted = project_ids.is_empty()
                || ws.projects.iter().any(|p| {
                    project_ids.contains(&p.id.as_str())
                        && p.security_scheme_id.as_deref() == Some(s.id.as_str())
                });
            wanted.then(|| {
                let mut v = json!({
                    "self": format!("{}/rest/api/3/issuesecurityschemes/{}", st.base, s.id),
                    "id": num(&s.id),
                    "name": s.name,
                    "description": s.description,
                    "projectIds": using,
                });
                if let Some(d) = &s.default_level_id {
                    v["defaultLevel"] = num(d);
                }
                v
            })
        })
        .collect();
    let values = slice(&schemes, start_at, max).to_vec();
    ok(page(
        start_at,
        max,
        schemes.len(),
        values,
        &st.base,
        "/rest/api/3/issuesecurityschemes/search",
    ))
}

/// `GET /rest/api/3/issuesecurityschemes/level`: levels of the named schemes (or of
/// all schemes), offset pages.
pub(super) async fn security_levels(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 100);
    let scheme_ids = p.all("schemeId");
    let level_ids = p.all("id");
    let ws = st.read();
    let levels: Vec<Value> = scheme_levels(&ws, &scheme_ids, &level_ids)
        .map(|(s, l)| {
            json!({
                "self": format!("{}/rest/api/3/securitylevel/{}", st.base, l.id),
                "id": l.id,
                "name": l.name,
                "description": l.description,
                "isDefault": s.default_level_id.as_deref() == Some(l.id.as_str()),
                "issueSecuritySchemeId": s.id,
            })
        })
        .collect();
    let values = slice(&levels, start_at, max).to_vec();
    ok(page(
        start_at,
        max,
        levels.len(),
        values,
        &st.base,
        "/rest/api/3/issuesecurityschemes/level",
    ))
}

pub(super) async fn security_level_members(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 100);
    let scheme_ids = p.all("schemeId");
    let level_ids = p.all("levelId");
    let ws = st.read();
    let members: Vec<Value> = scheme_levels(&ws, &scheme_ids, &level_ids)
        .flat_map(|(s, l)| {
            l.members.iter().map(|m| {
                json!({
                    "id": m.id,
                    "issueSecurityLevelId": l.id,
                    "issueSecuritySchemeId": s.id,
                    "holder": holder_json(&ws, &m.holder),
                })
            })
        })
        .collect();
    let values = slice(&members, start_at, max).to_vec();
    ok(page(
        start_at,
        max,
        members.len(),
        values,
        &st.base,
        "/rest/api/3/issuesecurityschemes/level/member",
    ))
}

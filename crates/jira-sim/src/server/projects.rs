//! Projects and their roles: `project/search`, `project/{id}/role`,
//! `project/{id}/role/{roleId}` and the site's roles (`role`).

use axum::http::StatusCode;
use serde_json::Map;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::{Params, avatar_urls, error, num, ok, page, slice, tri, user_ref};
use super::state::AppState;
use crate::model::{Project, RoleActor, Workspace};

fn project_json(base: &str, ws: &Workspace, p: &Project, with_lead: bool) -> Value {
    let mut v = json!({
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
        "self": format!("{base}/rest/api/3/project/{}", p.id),
        "id": p.id,
        "key": p.key,
        "name": p.name,
        "avatarUrls": avatar_urls(&p.key),
        "projectTypeKey": p.project_type_key,
        "simplified": p.is_team_managed(),
        "style": p.style,
        // "Whether the project is private from the user's perspective" (OpenAPI
        // `Project.isPrivate`): for the caller, the connector, not the team-managed
        // access level.
        "isPrivate": ws.project_is_private_for(&ws.admin_account_id, p),
        "properties": {},
        "archived": p.archived,
    });
    if with_lead {
        v["lead"] = user_ref(base, ws, Some(&p.lead_account_id));
    }
    v
}

pub(super) async fn project_search(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 100);
    let mut statuses: Vec<&str> = p
        .all("status")
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .collect();
    if statuses.is_empty() {
        statuses.push("live");
    }
    for s in &statuses {
        if !matches!(*s, "live" | "archived" | "deleted") {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Invalid project status '{s}'."),
            );
        }
    }
    let keys: Vec<&str> = p.all("keys");
    let with_lead = p.expands("lead");
    let ws = st.read();
    let projects: Vec<&Project> = ws
        .projects
        .iter()
        .filter(|pr| statuses.contains(&if pr.archived { "archived" } else { "live" }))
        .filter(|pr| keys.is_empty() || keys.iter().any(|k| k.eq_ignore_ascii_case(&pr.key)))
        .collect();
    let values = slice(&projects, start_at, max)
        .iter()
        .map(|pr| project_json(&st.base, &ws, pr, with_lead))
        .collect();
    ok(page(
        start_at,
        max,
        projects.len(),
        values,
        &st.base,
        "/rest/api/3/project/search",
    ))
}

pub(super) fn project_or_404<'a>(
    ws: &'a Workspace,
    id_or_key: &str,
) -> Result<&'a Project, Response> {
    ws.project_by_id_or_key(id_or_key).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            format!("No project could be found with key '{id_or_key}'."),
        )
    })
}

pub(super) async fn project_roles(
    State(st): State<AppState>,
    Path(id_or_key): Path<String>,
) -> Response {
    let ws = st.read();
    let p = tri!(project_or_404(&ws, &id_or_key));
    let mut m = Map::new();
    for r in &ws.project_roles {
        m.insert(
            r.name.clone(),
            json!(format!(
                "{}/rest/api/3/project/{}/role/{}",
                st.base, p.id, r.id
            )),
        );
    }
    ok(Value::Object(m))
}

/// `GET /rest/api/3/role`: every project role of the site (global; the actors shown
/// are the defaults for new projects, none here).
pub(super) async fn global_roles(State(st): State<AppState>) -> Response {
    let ws = st.read();
    let roles: Vec<Value> = ws
        .project_roles
        .iter()
        .map(|r| {
            json!({
                "self": format!("{}/rest/api/3/role/{}", st.base, r.id),
                "name": r.name,
                "id": num(&r.id),
                "description": r.description,
                "actors": [],
            })
        })
        .collect();
    ok(Value::Array(roles))
}

pub(super) async fn project_role(
    State(st): State<AppState>,
    Path((id_or_key, role_id)): Path<(String, String)>,
) -> Response {
    let ws = st.read();
    let p = tri!(project_or_404(&ws, &id_or_key));
    let Some(role) = ws.role_def(&role_id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("Can not retrieve a role actor for a null project role (role id {role_id})."),
        );
    };
    let mut actor_seq = 20000 + role.id.parse::<i64>().unwrap_or(0) * 100;
    let actors: Vec<Value> = p
        .role_actors
        .get(&role.id)
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            actor_seq += 1;
            match a {
                RoleActor::User { account_id } => ws.user(account_id).map(|u| {
                    json!({
                        "id": actor_seq,
                        "displayName": u.display_name,
                        "type": "atlassian-user-role-actor",
                        "actorUser": {"accountId": u.account_id},
                    })
                }),
                RoleActor::Group { group_id } => ws.group(group_id).map(|g| {
                    json!({
                        "id": actor_seq,
                        "displayName": g.name,
                        "type": "atlassian-group-role-actor",
                        "name": g.name,
                        "actorGroup": {"name": g.name, "displayName": g.name, "groupId": g.group_id},
                    })
                }),
            }
        })
        .collect();
    ok(json!({
        "self": format!("{}/rest/api/3/project/{}/role/{}", st.base, p.id, role.id),
        "name": role.name,
        "id": num(&role.id),
        "description": role.description,
        "actors": actors,
        "scope": {"type": "PROJECT", "project": {"id": p.id, "key": p.key, "name": p.name}},
    }))
}

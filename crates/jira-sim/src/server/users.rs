//! Users and groups: `myself`, `users/search`, `user`, `user/bulk`, `group/bulk`,
//! `group/member` and `applicationrole`.

use axum::http::StatusCode;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::{Params, error, forbidden, ok, page, slice, tri, user_json};
use super::state::AppState;
use crate::model::{Group, User};

pub(super) async fn myself(State(st): State<AppState>) -> Response {
    let ws = st.read();
    match ws.user(&ws.admin_account_id) {
        Some(u) => ok(user_json(&st.base, u)),
        None => error(
            StatusCode::NOT_FOUND,
            "The connector account does not exist.",
        ),
    }
}

pub(super) async fn users_search(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).min(1000);
    let ws = st.read();
    let v: Vec<Value> = slice(&ws.users, start_at, max)
        .iter()
        .map(|u| user_json(&st.base, u))
        .collect();
    ok(Value::Array(v))
}

/// `GET /rest/api/3/user?accountId=…[&expand=groups,applicationRoles]` (OpenAPI
/// "Get user": *Browse users and groups*; `applicationRoles` "includes details of all
/// the applications to which the user has access", `groups` "all groups … to which the
/// user belongs"). Unlike `GET /rest/api/3/applicationrole`, it needs no *Administer
/// Jira*.
pub(super) async fn user_get(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let Some(account_id) = p.get("accountId").filter(|a| !a.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "The query parameter 'accountId' is required.",
        );
    };
    let ws = st.read();
    let Some(user) = ws.user(account_id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("The user with account ID '{account_id}' does not exist."),
        );
    };
    let expand: Vec<&str> = p.get("expand").unwrap_or("").split(',').collect();
    let mut out = user_json(&st.base, user);
    if expand.contains(&"groups") {
        let items: Vec<Value> = ws
            .groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == account_id))
            .map(|g| json!({"name": g.name, "groupId": g.group_id, "self": format!("{}/rest/api/3/group?groupId={}", st.base, g.group_id)}))
            .collect();
        out["groups"] = json!({"size": items.len(), "items": items});
    }
    if expand.contains(&"applicationRoles") {
        let items: Vec<Value> = ws
            .application_roles
            .iter()
            .filter(|r| ws.has_application_role(account_id, Some(&r.key)))
            .map(|r| json!({"key": r.key, "name": r.name}))
            .collect();
        out["applicationRoles"] = json!({"size": items.len(), "items": items});
    }
    ok(out)
}

pub(super) async fn user_bulk(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 10)).min(200);
    let ids = p.all("accountId");
    if ids.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "At least one accountId is required.",
        );
    }
    let ws = st.read();
    let users: Vec<Value> = ids
        .iter()
        .filter_map(|a| ws.user(a))
        .map(|u| user_json(&st.base, u))
        .collect();
    let total = users.len();
    let values = slice(&users, start_at, max).to_vec();
    ok(page(
        start_at,
        max,
        total,
        values,
        &st.base,
        "/rest/api/3/user/bulk",
    ))
}

pub(super) async fn group_bulk(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 50);
    let ws = st.read();
    let wanted_ids = p.all("groupId");
    let wanted_names = p.all("groupName");
    let groups: Vec<&Group> = ws
        .groups
        .iter()
        .filter(|g| wanted_ids.is_empty() || wanted_ids.contains(&g.group_id.as_str()))
        .filter(|g| wanted_names.is_empty() || wanted_names.contains(&g.name.as_str()))
        .collect();
    let values = slice(&groups, start_at, max)
        .iter()
        .map(|g| json!({"groupId": g.group_id, "name": g.name}))
        .collect();
    ok(page(
        start_at,
        max,
        groups.len(),
        values,
        &st.base,
        "/rest/api/3/group/bulk",
    ))
}

pub(super) async fn group_member(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 50);
    let include_inactive = p.bool_or("includeInactiveUsers", false);
    let ws = st.read();
    let group = match (p.get("groupId"), p.get("groupname")) {
        (Some(id), _) => ws.group(id),
        (None, Some(name)) => ws.group_by_name(name),
        (None, None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "You must specify a group name or a group id.",
            );
        }
    };
    let Some(group) = group else {
        return error(StatusCode::NOT_FOUND, "The specified group does not exist.");
    };
    let members: Vec<&User> = group
        .members
        .iter()
        .filter_map(|a| ws.user(a))
        .filter(|u| include_inactive || u.active)
        .collect();
    let values = slice(&members, start_at, max)
        .iter()
        .map(|u| user_json(&st.base, u))
        .collect();
    ok(page(
        start_at,
        max,
        members.len(),
        values,
        &st.base,
        "/rest/api/3/group/member",
    ))
}

/// `GET /rest/api/3/applicationrole`: "Permissions required: Administer Jira global
/// permission" (OpenAPI), 403 otherwise.
pub(super) async fn application_roles(State(st): State<AppState>) -> Response {
    let ws = st.read();
    if !ws.connector_administers_jira {
        return forbidden(
            "You are not authorized to perform this action. Administrator privileges are required.",
        );
    }
    let names = |ids: &[String]| -> Vec<Value> {
        ids.iter()
            .filter_map(|g| ws.group(g))
            .map(|g| json!(g.name))
            .collect()
    };
    let details = |ids: &[String]| -> Vec<Value> {
        ids.iter()
            .filter_map(|g| ws.group(g))
            .map(|g| json!({"groupId": g.group_id, "name": g.name, "self": format!("{}/rest/api/3/group?groupId={}", st.base, g.group_id)}))
            .collect()
    };
    let roles: Vec<Value> = ws
        .application_roles
        .iter()
        .map(|r| {
            let users: std::collections::BTreeSet<&str> = r
                .group_ids
                .iter()
                .filter_map(|g| ws.group(g))
                .flat_map(|g| g.members.iter().map(String::as_str))
                .collect();
            json!({
                "key": r.key,
                "name": r.name,
                "groups": names(&r.group_ids),
                "groupDetails": details(&r.group_ids),
                "defaultGroups": names(&r.default_group_ids),
                "defaultGroupsDetails": details(&r.default_group_ids),
                "selectedByDefault": false,
                "defined": true,
                "numberOfSeats": 10000,
                "remainingSeats": 10000 - users.len() as i64,
                "userCount": users.len(),
                "userCountDescription": "users",
                "hasUnlimitedSeats": false,
                "platform": false,
            })
        })
        .collect();
    ok(Value::Array(roles))
}

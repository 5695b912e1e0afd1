//! `permissions/check`: bulk permissions, answered with the oracle's
//! BROWSE_PROJECTS and the *Administer Jira* global permission.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::{error, forbidden, json_body, num, ok};
use super::state::AppState;
use crate::model::{Issue, Project};

/// Most projects, and most issues, one `permissions/check` call may name ("A maximum
/// of 1000 projects and 1000 issues can be checked", OpenAPI).
pub const MAX_PERMISSION_CHECK_IDS: usize = 1000;

/// `POST /rest/api/3/permissions/check` (get bulk permissions), as the OpenAPI document
/// describes it: without `accountId` it answers for the caller (the connector); checking
/// another account needs *Administer Jira* (403 otherwise); `globalPermissions` grants
/// `ADMINISTER` to holders of Administer Jira (other global permissions are not
/// modelled: never granted); `projectPermissions` supports `BROWSE_PROJECTS` on
/// `projects` ([`Workspace::can_browse_project`]) and `issues`
/// ([`Workspace::can_see_issue`]). Invalid project and issue ids are ignored; more than
/// 1000 valid projects or issues is a 400.
///
/// [`Workspace::can_browse_project`]: crate::model::Workspace::can_browse_project
/// [`Workspace::can_see_issue`]: crate::model::Workspace::can_see_issue
pub(super) async fn permissions_check(State(st): State<AppState>, body: Bytes) -> Response {
    let v = match json_body(&body) {
        Ok(v) => v,
        Err(res) => return res,
    };
    let ws = st.read();
    let caller = ws.admin_account_id.clone();
    let account = match v.get("accountId") {
        None | Some(Value::Null) => caller.clone(),
        Some(Value::String(a)) if *a == caller => caller.clone(),
        Some(other) => {
            if !ws.is_jira_admin(&caller) {
                return forbidden("Only Jira administrators can perform this operation.");
            }
            match other.as_str() {
                Some(a) if ws.user(a).is_some() => a.to_string(),
                _ => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "The user with account ID '{}' does not exist.",
                            other.as_str().unwrap_or_default()
                        ),
                    );
                }
            }
        }
    };
    // Nulls are ignored everywhere (OpenAPI).
    let global: Vec<String> = v
        .get("globalPermissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let mut granted_global: Vec<String> = Vec::new();
    for g in &global {
        if g == "ADMINISTER" && ws.is_jira_admin(&account) && !granted_global.contains(g) {
            granted_global.push(g.clone());
        }
    }
    let ids = |req: &Value, key: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for x in req.get(key).and_then(Value::as_array).into_iter().flatten() {
            let id = match x {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => continue,
            };
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    };
    let mut out = Vec::new();
    let (mut n_projects, mut n_issues) = (0usize, 0usize);
    for req in v
        .get("projectPermissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| !r.is_null())
    {
        // Invalid ids are ignored: only existing projects and issues count.
        let projects: Vec<&Project> = ids(req, "projects")
            .iter()
            .filter_map(|id| ws.projects.iter().find(|p| &p.id == id))
            .collect();
        let issues: Vec<&Issue> = ids(req, "issues")
            .iter()
            .filter_map(|id| ws.issue(id))
            .collect();
        n_projects += projects.len();
        n_issues += issues.len();
        if n_projects > MAX_PERMISSION_CHECK_IDS || n_issues > MAX_PERMISSION_CHECK_IDS {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "At most {MAX_PERMISSION_CHECK_IDS} projects and {MAX_PERMISSION_CHECK_IDS} issues can be checked."
                ),
            );
        }
        let perms: Vec<&str> = req
            .get("permissions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|p| !p.is_empty())
            .collect();
        if perms.is_empty() {
            return error(
                StatusCode::BAD_REQUEST,
                "projectPermissions must name at least one project permission.",
            );
        }
        for perm in perms {
            if perm != "BROWSE_PROJECTS" {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("jira-sim checks BROWSE_PROJECTS only, not {perm}."),
                );
            }
            let allowed_issues: Vec<Value> = issues
                .iter()
                .filter(|i| ws.can_see_issue(&account, &i.id))
                .map(|i| num(&i.id))
                .collect();
            let allowed_projects: Vec<Value> = projects
                .iter()
                .filter(|p| ws.can_browse_project(&account, &p.id))
                .map(|p| num(&p.id))
                .collect();
            out.push(
                json!({"permission": perm, "issues": allowed_issues, "projects": allowed_projects}),
            );
        }
    }
    ok(json!({"globalPermissions": granted_global, "projectPermissions": out}))
}

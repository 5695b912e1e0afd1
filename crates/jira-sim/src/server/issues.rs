//! Issues and comments: the fields a request selects ([`FieldSel`]), `issue/{id}`,
//! `issue/{id}/comment` and `issue/bulkfetch`.

use axum::body::Bytes;
use axum::http::StatusCode;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::{Params, error, json_body, ok, slice, tri};
use super::state::AppState;
use crate::model::{Comment, Issue, Workspace};
use crate::render::{self, sorted_comments};

/// Every issue field the simulator serves (`parent` on sub-tasks, `subtasks` on other
/// issues: both navigable in Jira).
pub const ALL_FIELDS: [&str; 18] = [
    "summary",
    "description",
    "status",
    "priority",
    "labels",
    "issuetype",
    "parent",
    "subtasks",
    "project",
    "reporter",
    "assignee",
    "created",
    "updated",
    "security",
    "comment",
    "attachment",
    "customfield_10050",
    "customfield_10051",
];

/// Which fields a request asked for.
#[derive(Debug, Clone)]
pub(super) struct FieldSel {
    pub(super) fields: Vec<&'static str>,
}

impl FieldSel {
    /// Parses `fields` values (each a comma list). Empty → ids only.
    pub(super) fn parse(values: &[String]) -> Self {
        let mut set: Vec<&'static str> = Vec::new();
        let mut excluded: Vec<String> = Vec::new();
        for item in values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if item == "*all" || item == "*navigable" {
                for f in ALL_FIELDS {
                    if !set.contains(&f) {
                        set.push(f);
                    }
                }
            } else if let Some(x) = item.strip_prefix('-') {
                excluded.push(x.to_string());
            } else if let Some(f) = ALL_FIELDS.iter().find(|f| **f == item)
                && !set.contains(f)
            {
                set.push(f);
            }
        }
        let mut only_minus = !excluded.is_empty() && set.is_empty();
        if only_minus {
            set = ALL_FIELDS.to_vec();
            only_minus = false;
        }
        let _ = only_minus;
        set.retain(|f| !excluded.iter().any(|x| x == f));
        FieldSel { fields: set }
    }
    pub(super) fn has_content(&self) -> bool {
        !self.fields.is_empty()
    }
}

fn comment_json(base: &str, ws: &Workspace, issue: &Issue, comment: &Comment) -> Value {
    serde_json::to_value(render::CommentOut {
        base,
        ws,
        issue,
        comment,
    })
    .unwrap_or(Value::Null)
}

fn issue_json(
    base: &str,
    ws: &Workspace,
    issue: &Issue,
    sel: &FieldSel,
    family: &render::Family,
) -> Value {
    serde_json::to_value(render::IssueOut {
        base,
        ws,
        issue,
        fields: &sel.fields,
        family,
    })
    .unwrap_or(Value::Null)
}

pub(super) async fn get_issue(
    State(st): State<AppState>,
    Path(id_or_key): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = Params::parse(q);
    let mut fields: Vec<String> = p.all("fields").iter().map(|s| s.to_string()).collect();
    if fields.is_empty() {
        fields.push("*all".into());
    }
    let sel = FieldSel::parse(&fields);
    let ws = st.read();
    let family = render::Family::for_fields(&ws, &sel.fields);
    match ws.issue_by_id_or_key(&id_or_key) {
        Some(i) => ok(issue_json(&st.base, &ws, i, &sel, &family)),
        None => error(
            StatusCode::NOT_FOUND,
            "Issue does not exist or you do not have permission to see it.",
        ),
    }
}

pub(super) async fn issue_comments(
    State(st): State<AppState>,
    Path(id_or_key): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 5000)).clamp(1, 5000);
    let ws = st.read();
    let Some(issue) = ws.issue_by_id_or_key(&id_or_key) else {
        return error(
            StatusCode::NOT_FOUND,
            "Issue does not exist or you do not have permission to see it.",
        );
    };
    let mut all = sorted_comments(issue);
    match p.get("orderBy").map(str::trim) {
        None | Some("") | Some("created") | Some("+created") => {}
        Some("-created") => all.reverse(),
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "Invalid orderBy '{other}': only created, +created and -created are supported."
                ),
            );
        }
    }
    let values: Vec<Value> = slice(&all, start_at, max)
        .iter()
        .map(|c| comment_json(&st.base, &ws, issue, c))
        .collect();
    ok(json!({"startAt": start_at, "maxResults": max, "total": all.len(), "comments": values}))
}

/// Most issues one `issue/bulkfetch` call may name (Jira: 100).
pub const MAX_BULKFETCH: usize = 100;

/// `POST /rest/api/3/issue/bulkfetch`: `{issueIdsOrKeys, fields, expand}` →
/// `{issues, issueErrors}`; ids or keys that do not exist are reported, not dropped.
pub(super) async fn issue_bulkfetch(State(st): State<AppState>, body: Bytes) -> Response {
    let v = match json_body(&body) {
        Ok(v) => v,
        Err(res) => return res,
    };
    let strings = |key: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| match x {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let wanted = strings("issueIdsOrKeys");
    if wanted.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "issueIdsOrKeys must name at least one issue.",
        );
    }
    if wanted.len() > MAX_BULKFETCH {
        return error(
            StatusCode::BAD_REQUEST,
            format!("issueIdsOrKeys can hold at most {MAX_BULKFETCH} issues."),
        );
    }
    let mut fields = strings("fields");
    if fields.is_empty() {
        fields.push("*navigable".into());
    }
    let sel = FieldSel::parse(&fields);
    let ws = st.read();
    let family = render::Family::for_fields(&ws, &sel.fields);
    let mut issues = Vec::new();
    let mut errors = Vec::new();
    for id in &wanted {
        match ws
            .issues
            .iter()
            .find(|i| &i.id == id || i.key.eq_ignore_ascii_case(id))
        {
            Some(issue) => issues.push(issue_json(&st.base, &ws, issue, &sel, &family)),
            // Jira's IssueError: `id` echoes what was asked for.
            None => errors.push(json!({
                "id": id,
                "errorMessage": "Issue does not exist or you do not have permission to see it.",
            })),
        }
    }
    ok(json!({"issues": issues, "issueErrors": errors}))
}

//! JQL search: `search/jql` (GET and POST, token pages), `search/approximate-count`,
//! and the removed `search` endpoint (410).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::issues::FieldSel;
use super::reply::{Params, error, json_body, ok, tri};
use super::state::AppState;
use crate::jql::{self, Jql};
use crate::model::Issue;
use crate::render;

pub(super) async fn search_gone() -> Response {
    error(
        StatusCode::GONE,
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046",
    )
}

/// A search/jql request, from query parameters or a JSON body.
struct SearchRequest {
    jql: String,
    next_page_token: Option<String>,
    max_results: Option<usize>,
    fields: Vec<String>,
    reconcile: Vec<String>,
}

pub(super) async fn search_jql_get(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let max_results = match p.get("maxResults") {
        None | Some("") => None,
        Some(_) => Some(tri!(p.usize_or("maxResults", 50))),
    };
    let req = SearchRequest {
        jql: p.get("jql").unwrap_or_default().to_string(),
        next_page_token: p
            .get("nextPageToken")
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        max_results,
        fields: p.all("fields").iter().map(|s| s.to_string()).collect(),
        reconcile: p
            .all("reconcileIssues")
            .iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    run_search(&st, req)
}

pub(super) async fn search_jql_post(State(st): State<AppState>, body: Bytes) -> Response {
    let v = match json_body(&body) {
        Ok(v) => v,
        Err(res) => return res,
    };
    let as_list = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let max_results = match v.get("maxResults") {
        None | Some(Value::Null) => None,
        Some(m) => match m.as_i64() {
            Some(n) => Some(n.max(0) as usize),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "The 'maxResults' field must be a number.",
                );
            }
        },
    };
    let req = SearchRequest {
        jql: v
            .get("jql")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        next_page_token: v
            .get("nextPageToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        max_results,
        fields: as_list(v.get("fields")),
        reconcile: as_list(v.get("reconcileIssues")),
    };
    run_search(&st, req)
}

/// Largest `search/jql` page when content fields are requested.
pub const MAX_CONTENT_PAGE: usize = 100;
/// Largest `search/jql` page when only ids and keys are requested.
pub const MAX_ID_PAGE: usize = 5000;

/// `POST /rest/api/3/search/approximate-count`: `{"jql": …}` → `{"count": n}` (the
/// simulator's count is exact; Jira's may lag recent changes).
pub(super) async fn search_approximate_count(State(st): State<AppState>, body: Bytes) -> Response {
    let v = match json_body(&body) {
        Ok(v) => v,
        Err(res) => return res,
    };
    let Some(text) = v.get("jql").and_then(Value::as_str) else {
        return error(StatusCode::BAD_REQUEST, "The 'jql' field is required.");
    };
    let query: Jql = match jql::parse(text) {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let ws = st.read();
    match st.orders.get_or_run(&ws, jql::fingerprint(text), &query) {
        Ok(order) => ok(json!({ "count": order.len() })),
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

fn run_search(st: &AppState, req: SearchRequest) -> Response {
    let query: Jql = match jql::parse(&req.jql) {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let sel = FieldSel::parse(&req.fields);
    let cap = if sel.has_content() {
        MAX_CONTENT_PAGE
    } else {
        MAX_ID_PAGE
    };
    let max = req.max_results.unwrap_or(50).clamp(1, cap);
    let fingerprint = jql::fingerprint(&req.jql);
    let offset = match &req.next_page_token {
        None => 0,
        Some(t) => match jql::decode_token(t, fingerprint) {
            Some(o) => o,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "The provided next page token is invalid or expired.",
                );
            }
        },
    };
    let ws = st.read();
    let order = match st.orders.get_or_run(&ws, fingerprint, &query) {
        Ok(o) => o,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let total = order.len();
    let page: Vec<&Issue> = order
        .iter()
        .skip(offset)
        .take(max)
        .filter_map(|&p| ws.issues.get(p))
        .collect();
    if sel.has_content() {
        let broken = st.faults.config().broken_issues;
        if let Some(i) = page.iter().find(|i| broken.contains(&i.key)) {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Internal server error rendering issue {}.", i.key),
            );
        }
    }
    let end = offset.saturating_add(page.len());
    let is_last = end >= total;
    let _ = req.reconcile;
    // Written straight to JSON: the largest answers the simulator gives.
    let family = render::Family::for_fields(&ws, &sel.fields);
    let body = SearchPage {
        issues: page
            .iter()
            .map(|issue| render::IssueOut {
                base: &st.base,
                ws: &ws,
                issue,
                fields: &sel.fields,
                family: &family,
            })
            .collect(),
        is_last,
        next_page_token: (!is_last).then(|| jql::encode_token(end, fingerprint)),
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// A `search/jql` page.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SearchPage<'a> {
    issues: Vec<render::IssueOut<'a>>,
    is_last: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
}

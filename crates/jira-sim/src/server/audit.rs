//! The audit log: `auditing/record` (newest first, with time and text filters).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::{Params, error, ok, slice, tri};
use super::state::AppState;
use crate::jql;
use crate::model::{AuditRecord, jira_time};

pub(super) async fn audit_records(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let offset = tri!(p.usize_or("offset", 0));
    let limit = tri!(p.usize_or("limit", 1000)).clamp(1, 1000);
    let parse_time = |key: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, Response> {
        match p.get(key).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => jql::parse_iso(s).map(Some).ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    format!("Invalid '{key}' time '{s}'."),
                )
            }),
        }
    };
    let from = tri!(parse_time("from"));
    let to = tri!(parse_time("to"));
    let filter = p
        .get("filter")
        .map(str::to_lowercase)
        .filter(|f| !f.is_empty());
    let ws = st.read();
    let mut recs: Vec<&AuditRecord> = ws
        .audit_records
        .iter()
        .filter(|r| from.is_none_or(|f| r.created >= f))
        .filter(|r| to.is_none_or(|t| r.created <= t))
        .filter(|r| {
            filter.as_ref().is_none_or(|f| {
                r.summary.to_lowercase().contains(f)
                    || r.object_name.to_lowercase().contains(f)
                    || r.category.to_lowercase().contains(f)
            })
        })
        .collect();
    // Newest first, like Jira.
    recs.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
    let records: Vec<Value> = slice(&recs, offset, limit)
        .iter()
        .map(|r| {
            let mut object = json!({"id": r.object_id, "name": r.object_name, "typeName": r.object_type_name});
            if let Some(pid) = &r.parent_id {
                object["parentId"] = json!(pid);
            }
            if let Some(pn) = &r.parent_name {
                object["parentName"] = json!(pn);
            }
            json!({
                "id": r.id,
                "summary": r.summary,
                "remoteAddress": "127.0.0.1",
                "authorKey": r.author_account_id,
                "created": jira_time(&r.created),
                "category": r.category,
                "eventSource": r.event_source,
                "description": "",
                "objectItem": object,
                "changedValues": r.changed_values.iter().map(|(f, from, to)| json!({"fieldName": f, "changedFrom": from, "changedTo": to})).collect::<Vec<_>>(),
                "associatedItems": [],
            })
        })
        .collect();
    ok(json!({"offset": offset, "limit": limit, "total": recs.len(), "records": records}))
}

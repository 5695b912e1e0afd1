//! How handlers answer: Jira-style errors, JSON bodies, query parameters
//! ([`Params`]), offset pages, and the small JSON pieces many answers share (users,
//! avatars, numeric ids).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::model::{User, Workspace};
use crate::render;

/// A Jira-style error response.
pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"errorMessages": [message.into()], "errors": {}})),
    )
        .into_response()
}

/// A JSON request body, or Jira's 400 for one that does not parse.
pub(super) fn json_body(body: &[u8]) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("Invalid request body: {e}"),
        )
    })
}

pub(super) fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

/// Parsed query string with repeated keys kept.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn parse(raw: Option<String>) -> Self {
        Params(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    pub(super) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// Non-negative integer parameter, with default; 400 on garbage.
    pub(super) fn usize_or(&self, key: &str, default: usize) -> Result<usize, Response> {
        match self.get(key) {
            None | Some("") => Ok(default),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(|n| n.max(0) as usize)
                .map_err(|_| {
                    error(
                        StatusCode::BAD_REQUEST,
                        format!("The '{key}' parameter must be a number, got '{v}'."),
                    )
                }),
        }
    }
    pub(super) fn bool_or(&self, key: &str, default: bool) -> bool {
        self.get(key)
            .map(|v| v.eq_ignore_ascii_case("true"))
            .unwrap_or(default)
    }
    pub(super) fn expands(&self, what: &str) -> bool {
        self.all("expand")
            .iter()
            .flat_map(|e| e.split(','))
            .any(|e| e.trim() == what || e.trim() == "all")
    }
}

/// The value of an `Ok`, or returns the error response from the handler.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}
pub(super) use tri;

pub(super) fn avatar_urls(seed: &str) -> Value {
    let u = |s: u32| format!("https://avatar-management.example.com/initials/{seed}.png?size={s}");
    json!({"48x48": u(48), "24x24": u(24), "16x16": u(16), "32x32": u(32)})
}

pub(super) fn user_json(base: &str, u: &User) -> Value {
    serde_json::to_value(render::UserOut { base, user: u }).unwrap_or(Value::Null)
}

pub(super) fn user_ref(base: &str, ws: &Workspace, account_id: Option<&str>) -> Value {
    serde_json::to_value(render::UserRef {
        base,
        ws,
        account_id,
    })
    .unwrap_or(Value::Null)
}

pub(super) fn page(
    start_at: usize,
    max_results: usize,
    total: usize,
    values: Vec<Value>,
    base: &str,
    path: &str,
) -> Value {
    let is_last = start_at.saturating_add(values.len()) >= total;
    let mut v = json!({
        "self": format!("{base}{path}?startAt={start_at}&maxResults={max_results}"),
        "startAt": start_at,
        "maxResults": max_results,
        "total": total,
        "isLast": is_last,
        "values": values,
    });
    if !is_last {
        v["nextPage"] = json!(format!(
            "{base}{path}?startAt={}&maxResults={max_results}",
            start_at + max_results
        ));
    }
    v
}

pub(super) fn slice<T>(items: &[T], start_at: usize, max_results: usize) -> &[T] {
    let s = start_at.min(items.len());
    let e = s.saturating_add(max_results).min(items.len());
    &items[s..e]
}

pub(super) fn num(id: &str) -> Value {
    id.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(id))
}

/// Jira's answer to a caller without the permission an operation needs.
pub(super) fn forbidden(message: impl Into<String>) -> Response {
    error(StatusCode::FORBIDDEN, message)
}

pub(super) async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "The simulator does not serve this resource.",
    )
}

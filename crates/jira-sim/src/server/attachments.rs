//! Attachments: metadata (`attachment/{id}`) and content (`attachment/content/{id}`),
//! streaming the oversized ones.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::reply::{error, num, ok, user_json};
use super::state::AppState;
use crate::model::{Attachment, AttachmentKind, Workspace};
use crate::render;

/// An attachment as Jira lists it in `fields.attachment`.
fn attachment_json(base: &str, ws: &Workspace, attachment: &Attachment) -> Value {
    serde_json::to_value(render::AttachmentOut {
        base,
        ws,
        attachment,
    })
    .unwrap_or(Value::Null)
}

/// `GET /rest/api/3/attachment/{id}`: metadata.
pub(super) async fn attachment_meta(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let ws = st.read();
    match st.attachments.find(&ws, &id) {
        // Jira's AttachmentMetadata has a numeric id (the issue field's is a string).
        Some(a) => {
            let mut v = attachment_json(&st.base, &ws, a);
            v["id"] = num(&a.id);
            v["author"] = user_json(
                &st.base,
                ws.user(&a.author_account_id).unwrap_or(&ws.users[0]),
            );
            ok(v)
        }
        None => error(
            StatusCode::NOT_FOUND,
            format!("The attachment with id '{id}' does not exist"),
        ),
    }
}

/// `GET /rest/api/3/attachment/content/{id}`: the bytes (Jira answers with a redirect
/// to its media service; the simulator serves them directly). A huge attachment is
/// streamed without being held in memory.
pub(super) async fn attachment_content(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let found = {
        let ws = st.read();
        st.attachments.find(&ws, &id).cloned()
    };
    let Some(a) = found else {
        return error(
            StatusCode::NOT_FOUND,
            format!("The attachment with id '{id}' does not exist"),
        );
    };
    let body = if a.kind == AttachmentKind::Huge {
        let line = Bytes::from(format!("{}\n", a.text));
        let total = a.size as usize;
        let chunk = line.repeat((64 * 1024) / line.len().max(1) + 1);
        let chunk = Bytes::from(chunk);
        let n = total.div_ceil(chunk.len());
        let stream = futures_util::stream::iter((0..n).map(move |i| {
            let end = ((i + 1) * chunk.len()).min(total) - i * chunk.len();
            Ok::<Bytes, std::io::Error>(chunk.slice(..end))
        }));
        axum::body::Body::from_stream(stream)
    } else {
        axum::body::Body::from(a.bytes())
    };
    let mut resp = Response::new(body);
    if let Ok(v) = a.mime_type.parse() {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp.headers_mut().insert(
        header::CONTENT_LENGTH,
        axum::http::HeaderValue::from(a.size),
    );
    resp
}

//! What sits around the REST handlers: the OAuth gateway rewrite
//! (`/ex/jira/{cloudId}/…` → `/…`), authentication (basic everywhere, bearer through
//! the gateway), fault injection with the request log, and the HTTP side of the OAuth
//! endpoints and of the simulator's admin API.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::reply::error;
use super::state::AppState;
use crate::admin::parse_mutations;
use crate::faults::{Fault, FaultConfig};
use crate::oauth::{BearerCheck, TokenRequest};

/// Marks a request that came through `/ex/jira/{cloudId}` (where bearer tokens work).
#[derive(Clone, Copy, Debug)]
pub(super) struct ViaGateway;

/// Rewrites `/ex/jira/{cloudId}/rest/…` to `/rest/…` (marking it), and an unknown
/// cloud id to a path that answers 404.
pub(super) fn rewrite_gateway(cloud_id: Arc<str>) -> impl Fn(Request) -> Request + Clone {
    move |mut req: Request| {
        let path = req.uri().path();
        let Some(rest) = path.strip_prefix("/ex/jira/") else {
            return req;
        };
        let (cloud, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let new_path = if cloud == &*cloud_id {
            format!("/{tail}")
        } else {
            "/_sim/unknown-cloud-id".to_string()
        };
        let pq = match req.uri().query() {
            Some(q) => format!("{new_path}?{q}"),
            None => new_path,
        };
        if let Ok(uri) = pq.parse::<Uri>() {
            *req.uri_mut() = uri;
            req.extensions_mut().insert(ViaGateway);
        }
        req
    }
}

/// Authentication: the connector's basic credentials anywhere; a valid OAuth access
/// token through the gateway. The OAuth endpoints check their own credentials.
pub(super) async fn auth(State(st): State<AppState>, req: Request, next: Next) -> Response {
    st.count_request();
    let path = req.uri().path();
    if path == "/authorize" || path == "/oauth/token" {
        return next.run(req).await;
    }
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bearer = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "));
    let gateway = req.extensions().get::<ViaGateway>().is_some()
        || path == "/oauth/token/accessible-resources";
    let allowed = match bearer {
        Some(token) if gateway => match st.oauth.check_bearer(token.trim()) {
            BearerCheck::Valid => true,
            BearerCheck::Expired => {
                return oauth_401("The access token expired");
            }
            BearerCheck::Unknown => false,
        },
        Some(_) => false,
        None => {
            let ws = st.read();
            check_basic(req.headers(), &ws.admin_email, &ws.admin_api_token)
        }
    };
    if !allowed {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "You are not authenticated. Authentication required to perform this operation.",
        );
        if let Ok(v) = "Basic realm=\"protected-area\"".parse() {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        return r;
    }
    // A path switched off for tests (`Workspace::forbidden_endpoints`): Jira's 403.
    let forbidden = {
        let ws = st.read();
        ws.forbidden_endpoints.iter().any(|p| p == path)
    };
    if forbidden {
        return super::reply::forbidden(
            "You do not have the permission required to perform this operation.",
        );
    }
    next.run(req).await
}

/// Whether the request carries the connector's basic credentials.
fn check_basic(headers: &HeaderMap, email: &str, token: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return false;
    };
    match decoded.split_once(':') {
        Some((e, t)) => e.eq_ignore_ascii_case(email) && t == token,
        None => false,
    }
}

fn oauth_401(message: &str) -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"code": 401, "message": message})),
    )
        .into_response();
    if let Ok(v) = "Bearer error=\"invalid_token\"".parse() {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// Fault injection and the request log, for the Jira REST paths.
pub(super) async fn faults(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    if !path.starts_with("/rest/") {
        return next.run(req).await;
    }
    let decision = st.faults.decide(&method, &path);
    if let Some(delay) = decision.delay {
        tokio::time::sleep(delay).await;
    }
    let mut resp = match &decision.fault {
        Some(Fault::RateLimited { .. }) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded. Try again after the time given in Retry-After.",
        ),
        Some(Fault::ServerError { status }) => error(
            StatusCode::from_u16(*status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            "The service is temporarily unavailable. Please try again later.",
        ),
        Some(Fault::ConnectionReset) => {
            // Headers go out, then the connection dies before any body byte.
            let mut r = Response::new(broken_body(Bytes::new()));
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from_static("1024"));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Some(Fault::TruncatedBody) => {
            let full = next.run(req).await;
            let (mut parts, body) = full.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            parts.headers.insert(
                header::CONTENT_LENGTH,
                HeaderValue::from(bytes.len().max(1)),
            );
            Response::from_parts(parts, broken_body(half))
        }
        None => next.run(req).await,
    };
    for (k, v) in &decision.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::try_from(k.as_str()),
            HeaderValue::try_from(v.as_str()),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    st.faults
        .record(&decision, &method, &path, &query, resp.status().as_u16());
    resp
}

/// A body that yields `head` and then fails: hyper aborts the connection.
fn broken_body(head: Bytes) -> Body {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(head),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated connection reset",
        )),
    ];
    Body::from_stream(futures_util::stream::iter(chunks))
}

// ------------------------------------------------------------------------- OAuth

pub(super) async fn authorize(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let params: Vec<(String, String)> = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if get("response_type") != "code" || get("redirect_uri").is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "response_type=code and redirect_uri are required",
        );
    }
    match st.oauth.authorize(&get("client_id"), &get("redirect_uri")) {
        Ok(code) => {
            let redirect = get("redirect_uri");
            let sep = if redirect.contains('?') { '&' } else { '?' };
            let location = format!(
                "{redirect}{sep}{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("code", &code)
                    .append_pair("state", &get("state"))
                    .finish()
            );
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }
        Err(e) => token_error(&e),
    }
}

pub(super) async fn token(State(st): State<AppState>, body: Bytes) -> Response {
    let req: TokenRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_request", "error_description": e.to_string()})),
            )
                .into_response();
        }
    };
    match st.oauth.token(&req) {
        Ok(t) => (StatusCode::OK, axum::Json(t)).into_response(),
        Err(e) => token_error(&e),
    }
}

fn token_error(e: &crate::oauth::TokenError) -> Response {
    (
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(json!({"error": e.error, "error_description": e.description})),
    )
        .into_response()
}

pub(super) async fn accessible_resources(State(st): State<AppState>) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!([{
            "id": st.oauth.config.cloud_id,
            "url": &*st.base,
            "name": "jira-sim",
            "scopes": ["read:jira-work", "read:jira-user"],
            "avatarUrl": format!("{}/secure/projectavatar?size=large", st.base),
        }])),
    )
        .into_response()
}

// ------------------------------------------------------------------ admin API

pub(super) async fn mutate(State(st): State<AppState>, body: Bytes) -> Response {
    let mutations = match parse_mutations(&body) {
        Ok(m) => m,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let (results, events, failed) = {
        let mut ws = st.ws.write().unwrap_or_else(|e| e.into_inner());
        crate::webhooks::apply_all(&mut ws, mutations)
    };
    st.webhooks.deliver(events);
    if let Some((i, e)) = failed {
        return error(
            StatusCode::BAD_REQUEST,
            format!("mutation {i} failed: {e} (mutations before it were applied)"),
        );
    }
    (StatusCode::OK, axum::Json(json!({"results": results}))).into_response()
}

/// `POST /_sim/webhooks` `{url, secret}`: registers a webhook.
pub(super) async fn add_webhook(State(st): State<AppState>, body: Bytes) -> Response {
    match serde_json::from_slice::<crate::webhooks::WebhookTarget>(&body) {
        Ok(t) => {
            st.webhooks.add(t);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, format!("webhook: {e}")),
    }
}

pub(super) async fn request_log(State(st): State<AppState>) -> Response {
    (StatusCode::OK, axum::Json(st.faults.log())).into_response()
}

pub(super) async fn clear_request_log(State(st): State<AppState>) -> Response {
    st.faults.clear_log();
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn get_faults(State(st): State<AppState>) -> Response {
    (StatusCode::OK, axum::Json(st.faults.config())).into_response()
}

pub(super) async fn put_faults(State(st): State<AppState>, body: Bytes) -> Response {
    let cfg: FaultConfig = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("fault config: {e}")),
    };
    if let Err(e) = cfg.validate() {
        return error(StatusCode::BAD_REQUEST, format!("fault config: {e}"));
    }
    st.faults.set_config(cfg.clone());
    (StatusCode::OK, axum::Json(cfg)).into_response()
}

pub(super) async fn oauth_stats(State(st): State<AppState>) -> Response {
    (StatusCode::OK, axum::Json(st.oauth.stats())).into_response()
}

//! The HTTP API: search and read issues as a person, status and sync control for
//! admins, Prometheus metrics, and Jira's webhooks. Requests under `/v1` and `/mcp`
//! pass the authentication middleware first; answers are JSON, errors
//! `{"error": "...", "code": "..."}` with a stable code from `error-codes`.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Extension, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use config::serve::Scope;
use error_codes::{ErrorBody, ErrorCode};
use index::{SearchFilters, SearchMode};
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::auth::{AuthError, Caller};
use crate::runner::Trigger;
use crate::webhooks;

/// Most hits one search returns.
pub const MAX_LIMIT: usize = 100;

/// An error answer: `{"error": "...", "code": "..."}` with the status the code
/// carries ([`ErrorCode::http_status`]). Internal failures are logged under an
/// `error_ref` and answered with a generic message: no internal text reaches a client.
#[derive(Debug)]
pub struct ApiError {
    body: ErrorBody,
}

impl ApiError {
    /// An answer with `code` and a message meant for the client.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            body: ErrorBody::new(code, message),
        }
    }

    /// An internal failure: `detail` goes to the log only.
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        let answer = Self::referred(ErrorCode::Internal, ErrorCode::INTERNAL_MESSAGE);
        let error_ref = answer.body.error_ref.as_deref().unwrap_or_default();
        tracing::error!(error_ref, error = %detail, "request failed");
        answer
    }

    /// An answer with a fresh `error_ref`, under which the caller logs the details.
    fn referred(code: ErrorCode, message: &str) -> Self {
        let mut body = ErrorBody::new(code, message);
        body.error_ref = Some(error_ref());
        Self { body }
    }

    /// The answer before the first sync.
    pub fn not_synced() -> Self {
        Self::new(ErrorCode::NotSynced, NOT_SYNCED)
    }

    /// The answer for a failed sync or search: its code, and text only where it is
    /// about what the client or the admin asked for (not synced, the config); Jira's
    /// and internal failures are logged under an `error_ref`.
    pub fn from_ref(e: &impl Coded) -> Self {
        match e.code() {
            ErrorCode::NotSynced => Self::not_synced(),
            ErrorCode::InvalidConfig => Self::new(ErrorCode::InvalidConfig, e.to_string()),
            ErrorCode::JiraFailed => {
                let answer = Self::referred(
                    ErrorCode::JiraFailed,
                    "Jira refused or failed a request this needed; the server log has the details",
                );
                let error_ref = answer.body.error_ref.as_deref().unwrap_or_default();
                tracing::warn!(error_ref, error = %e, "a Jira call failed");
                answer
            }
            _ => Self::internal(e),
        }
    }

    /// The body as JSON.
    pub fn body_json(&self) -> serde_json::Value {
        self.body.to_json()
    }

    /// The status the answer carries.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The message for people, with the log reference when there is one.
    pub fn message(&self) -> String {
        match &self.body.error_ref {
            Some(r) => format!("{} (error_ref {r})", self.body.error),
            None => self.body.error.clone(),
        }
    }
}

/// A short random reference that ties a client's error answer to the log line.
pub fn error_ref() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().r#gen::<u64>())
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let code = match e {
            AuthError::Unauthorized(_) => ErrorCode::Unauthorized,
            AuthError::Forbidden(_) => ErrorCode::Forbidden,
            AuthError::BadRequest(_) => ErrorCode::InvalidRequest,
        };
        Self::new(code, e.to_string())
    }
}

/// An error of the crates below the server that carries a stable [`ErrorCode`].
pub trait Coded: std::fmt::Display {
    /// The code a client sees.
    fn code(&self) -> ErrorCode;
}

macro_rules! coded {
    ($($t:ty),*) => {$(
        impl Coded for $t {
            fn code(&self) -> ErrorCode {
                <$t>::code(self)
            }
        }
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                Self::from_ref(&e)
            }
        }
    )*};
}
coded!(
    sync::SyncError,
    search::SearchError,
    state::StateError,
    config::ConfigError
);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut res = (status, Json(self.body.to_json())).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"jira-index\""),
            );
        }
        res
    }
}

/// What a request before the first sync is told.
const NOT_SYNCED: &str = "the index is not synced yet; the first sync is running";

/// A rejected JSON body: 413 when it is over the limit, 400 otherwise, with axum's
/// description of what is wrong with it.
fn bad_json(e: JsonRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, e.body_text())
    } else {
        ApiError::new(ErrorCode::InvalidRequest, e.body_text())
    }
}

/// A rejected query string.
fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, e.body_text())
}

type ApiResult<T> = Result<T, ApiError>;

/// Authenticates the request and hands the [`Caller`] to the handler.
pub async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    match state.auth.authenticate(req.headers()) {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => {
            let reason = match &e {
                AuthError::Unauthorized(m) if m.starts_with("send") => "missing",
                _ => "invalid",
            };
            state
                .metrics
                .auth_failures
                .with_label_values(&[reason])
                .inc();
            ApiError::from(e).into_response()
        }
    }
}

/// Counts requests and their latency by route.
pub async fn track(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let start = Instant::now();
    let res = next.run(req).await;
    state
        .metrics
        .request_seconds
        .with_label_values(&[&route])
        .observe(start.elapsed().as_secs_f64());
    state
        .metrics
        .requests
        .with_label_values(&[&route, res.status().as_str()])
        .inc();
    res
}

fn searcher(state: &AppState) -> ApiResult<Arc<search::Searcher>> {
    state.searcher.get().ok_or_else(ApiError::not_synced)
}

fn require(caller: &Caller, scope: Scope) -> ApiResult<()> {
    if caller.has(scope) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("{} lacks the {scope:?} scope", caller.name).to_lowercase(),
        ))
    }
}

/// Runs blocking index work off the async threads.
pub(crate) async fn blocking<T: Send + 'static, E: Into<ApiError> + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(Into::into)
}

/// `POST /v1/search` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    /// The search text.
    pub query: String,
    /// The person to search as (default: the caller); needs `impersonate` for others.
    #[serde(default, rename = "as")]
    pub as_email: Option<String>,
    /// Hits wanted (default 10, at most 100).
    #[serde(default)]
    pub limit: Option<usize>,
    /// `hybrid` (default when vectors are on), `keyword` or `vector`.
    #[serde(default)]
    pub mode: Option<SearchMode>,
    /// Narrows the hits (projects, kinds, statuses, ...).
    #[serde(default)]
    pub filters: SearchFilters,
}

/// `POST /v1/search`.
pub async fn search(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<SearchBody>, JsonRejection>,
) -> ApiResult<Response> {
    let Json(body) = body.map_err(bad_json)?;
    let email = caller.acting_as(body.as_email.as_deref())?;
    let searcher = searcher(&state)?;
    let has_vectors = searcher.index().embedder().is_some();
    let mode = body.mode.unwrap_or(if has_vectors {
        SearchMode::Hybrid
    } else {
        SearchMode::Keyword
    });
    if mode != SearchMode::Keyword && !has_vectors {
        return Err(ApiError::new(
            ErrorCode::VectorSearchOff,
            "vector search is off on this server (embedding.enabled = false): use mode keyword",
        ));
    }
    let limit = body.limit.unwrap_or(10).clamp(1, MAX_LIMIT);
    let outcome =
        blocking(move || searcher.search_as(&email, &body.query, limit, mode, body.filters))
            .await?;
    Ok(Json(outcome).into_response())
}

/// `?as=` on reads.
#[derive(Debug, Deserialize)]
pub struct AsQuery {
    /// The person to read the issue as (default: the caller); needs `impersonate` for others.
    #[serde(default, rename = "as")]
    pub as_email: Option<String>,
}

/// `GET /v1/issues/{key}`: 404 both for a missing issue and a hidden one.
pub async fn issue(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<AsQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Path(key) = key.map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.body_text()))?;
    let Query(q) = query.map_err(bad_query)?;
    let email = caller.acting_as(q.as_email.as_deref())?;
    let searcher = searcher(&state)?;
    let key = key.trim().to_ascii_uppercase();
    let lookup = key.clone();
    match blocking(move || searcher.issue_as(&email, &lookup)).await? {
        Some(view) => Ok(Json(view).into_response()),
        None => Err(ApiError::new(
            ErrorCode::NotFound,
            format!("{key}: no such issue"),
        )),
    }
}

/// `GET /v1/projects`: projects with issues the person may open.
pub async fn projects(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<AsQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(bad_query)?;
    let email = caller.acting_as(q.as_email.as_deref())?;
    let searcher = searcher(&state)?;
    let list = blocking(move || searcher.projects_as(&email)).await?;
    Ok(Json(json!({ "projects": list })).into_response())
}

/// `GET /v1/status` (admin): sync history, identity problems, the run in progress.
pub async fn status(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Response> {
    require(&caller, Scope::Admin)?;
    let cfg = state.cfg();
    let status = blocking(move || sync::status::status(&cfg)).await?;
    Ok(Json(json!({
        "status": status,
        "current_run": state.runner.current(),
        "sync_interval_minutes": state.runner.schedule_every().as_secs() / 60,
        "next_scheduled_ms": state.runner.next_scheduled_ms(),
    }))
    .into_response())
}

/// `POST /v1/sync` (admin): starts a sync now; 409 while one runs.
pub async fn start_sync(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Response> {
    require(&caller, Scope::Admin)?;
    if !state.role.syncs() {
        return Err(ApiError::new(
            ErrorCode::NotConfigured,
            "this server is a search replica (--role search): syncs run on the worker",
        ));
    }
    match state.runner.try_start(Trigger::Manual) {
        Ok(_) => Ok((StatusCode::ACCEPTED, Json(json!({ "started": true }))).into_response()),
        Err(busy) => Ok((
            StatusCode::CONFLICT,
            Json(json!({
                "error": busy.to_string(),
                "code": ErrorCode::SyncRunning,
                "current_run": busy.current,
            })),
        )
            .into_response()),
    }
}

/// `POST /v1/sync/stop` (admin): asks the run in progress to stop (it commits what
/// it wrote; the next run reads the rest); 409 when none runs.
pub async fn stop_sync(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Response> {
    require(&caller, Scope::Admin)?;
    match state.runner.stop(&caller.name) {
        Some(run) => Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "stopping": true, "current_run": run })),
        )
            .into_response()),
        None => Ok((
            StatusCode::CONFLICT,
            Json(ErrorBody::new(ErrorCode::NoSyncRunning, "no sync is running").to_json()),
        )
            .into_response()),
    }
}

/// `GET /metrics`: keys with the `metrics` or `admin` scope, or anyone when
/// `serve.metrics_public = true`.
pub async fn metrics(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !state.cfg().serve.metrics_public {
        let caller = state.auth.authenticate(&headers)?;
        if !caller.has(Scope::Metrics) {
            require(&caller, Scope::Admin)?;
        }
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response())
}

/// `POST /webhooks/jira`: verified, then queued as a hint; 202 once queued.
pub async fn webhook(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let count = |event: &str, outcome: &str| {
        state
            .metrics
            .webhooks
            .with_label_values(&[event, outcome])
            .inc();
    };
    let Some(secret) = &state.webhook_secret else {
        count("unknown", "not_configured");
        return Err(ApiError::new(
            ErrorCode::NotConfigured,
            "webhooks are not configured (serve.webhook_secret_env)",
        ));
    };
    let signature = headers.get("x-hub-signature").and_then(|v| v.to_str().ok());
    if !webhooks::verify(secret, &body, signature) {
        count("unknown", "bad_signature");
        return Err(ApiError::new(
            ErrorCode::BadSignature,
            "webhook signature missing or wrong (X-Hub-Signature: sha256=...)",
        ));
    }
    // After the signature: an unsigned request cannot fill the table.
    if let Some(id) = headers
        .get("x-atlassian-webhook-identifier")
        .and_then(|v| v.to_str().ok())
        && !state.webhook_ids.first(id)
    {
        count("unknown", "duplicate");
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "queued": false, "duplicate": true })),
        )
            .into_response());
    }
    let payload: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("not JSON: {e}")))?;
    let (event, hint) = webhooks::parse(&payload)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.to_string()))?;
    let Some(hint) = hint else {
        count(&event, "ignored");
        return Ok((StatusCode::ACCEPTED, Json(json!({ "queued": false }))).into_response());
    };
    if let Some(store) = state.shared.clone() {
        // A replica of a deployment: queued in PostgreSQL for the worker holding the lock.
        let text = hint.encode();
        let queued = tokio::task::spawn_blocking(move || store.push_hint(&text)).await;
        if !matches!(queued, Ok(Ok(()))) {
            count(&event, "dropped");
            return Err(ApiError::new(
                ErrorCode::Internal,
                "the shared state store did not take the hint; Jira retries the delivery",
            ));
        }
    } else if state.hints.send(hint).await.is_err() {
        count(&event, "dropped");
        return Err(ApiError::new(ErrorCode::ShuttingDown, "shutting down"));
    }
    count(&event, "queued");
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": true }))).into_response())
}

/// `GET /v1/verify` query: the budget of the self-audit.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// Most permission-check calls to Jira this run may make.
    pub max_calls: Option<usize>,
    /// People to sample.
    pub people: Option<usize>,
    /// Issues to sample per person.
    pub issues: Option<usize>,
    /// Seed of the samples (repeat a run with the same seed).
    pub seed: Option<u64>,
}

/// `GET /v1/verify` (admin): runs verify-access now and answers its report (200 also
/// when it found leaks or misses: they are in the body); 400 for bad parameters, 409
/// while another run goes, 502 when Jira refused the check (e.g. no Administer Jira),
/// 503 before the first sync.
pub async fn verify(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<VerifyQuery>, QueryRejection>,
) -> ApiResult<Response> {
    require(&caller, Scope::Admin)?;
    let Query(q) = query.map_err(bad_query)?;
    let opts = sync::verify::VerifyOptions {
        max_calls: q.max_calls,
        people: q.people,
        issues: q.issues,
        seed: q.seed,
    };
    tracing::info!(caller = %caller.name, "verify-access requested");
    use crate::verify::VerifyFailure;
    match crate::verify::run(&state, &opts).await {
        Ok(report) => Ok(Json(&*report).into_response()),
        Err(e) => {
            tracing::warn!(error = %e, "verify-access failed");
            Err(match e {
                VerifyFailure::NotSynced => ApiError::new(ErrorCode::NotSynced, e.to_string()),
                VerifyFailure::Busy => ApiError::new(ErrorCode::SyncRunning, e.to_string()),
                VerifyFailure::Invalid(_) => {
                    ApiError::new(ErrorCode::InvalidRequest, e.to_string())
                }
                VerifyFailure::Sync(e) => ApiError::from(e),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(e: ApiError) -> (StatusCode, serde_json::Value) {
        let res = e.into_response();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn an_internal_failure_answers_a_code_and_a_ref_never_its_text() {
        let e = sync::SyncError::File(config::FileError::Corrupt {
            path: "/var/lib/jira-index/secret-dir/state.json".into(),
            detail: "expected value at line 1".into(),
        });
        let (status, body) = answer(ApiError::from(e)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal");
        let text = body.to_string();
        assert!(!text.contains("secret-dir"), "{text}");
        assert!(!text.contains("line 1"), "{text}");
        assert_eq!(body["error_ref"].as_str().unwrap().len(), 16);
    }

    #[tokio::test]
    async fn a_jira_failure_is_502_without_jiras_text() {
        let e = sync::SyncError::Jira {
            stage: "checking permissions".into(),
            source: jira_cloud_error(),
        };
        let (status, body) = answer(ApiError::from(e)).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert_eq!(body["code"], "jira_failed");
        assert!(!body.to_string().contains("tok-secret"), "{body}");
    }

    fn jira_cloud_error() -> jira_cloud::JiraError {
        jira_cloud::JiraError::Decode {
            url: "https://site.atlassian.net/rest/api/3/myself?tok-secret".into(),
            detail: "expected value".into(),
        }
    }

    #[tokio::test]
    async fn client_errors_keep_their_message_and_status_and_401_asks_for_bearer() {
        let (status, body) =
            answer(ApiError::new(ErrorCode::NotFound, "ENG-1: no such issue")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            json!({"error": "ENG-1: no such issue", "code": "not_found"})
        );
        let res = ApiError::from(AuthError::Unauthorized("send a key".into())).into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().contains_key(header::WWW_AUTHENTICATE));
        let (_, body) = answer(ApiError::from(sync::SyncError::NotSynced {
            path: "/data".into(),
        }))
        .await;
        assert_eq!(body["code"], "not_synced");
        assert!(!body.to_string().contains("/data"));
    }

    /// `schemas/serve-openapi.json` lists exactly the codes the server can send.
    #[test]
    fn the_openapi_document_lists_every_error_code() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../schemas/serve-openapi.json")).unwrap();
        let listed: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let ours: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, ours);
        let required = &doc["components"]["schemas"]["Error"]["required"];
        assert_eq!(required, &json!(["error", "code"]));
    }
}

//! The HTTP API: search and read issues as a person, status and sync control for
//! admins, Prometheus metrics, and Jira's webhooks. Requests under `/v1` and `/mcp`
//! pass the authentication middleware first; answers are JSON, errors
//! `{"error": "..."}`.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use index::{SearchFilters, SearchMode};
use serde::Deserialize;
use serde_json::json;
use sync::serve_config::Scope;

use crate::AppState;
use crate::auth::{AuthError, Caller};
use crate::runner::Trigger;
use crate::webhooks;

/// Most hits one search returns.
pub const MAX_LIMIT: usize = 100;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let status = match e {
            AuthError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AuthError::Forbidden(_) => StatusCode::FORBIDDEN,
            AuthError::BadRequest(_) => StatusCode::BAD_REQUEST,
        };
        Self::new(status, e.to_string())
    }
}

impl From<sync::SyncError> for ApiError {
    fn from(e: sync::SyncError) -> Self {
        tracing::error!(error = %e, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"jira-index\""),
            );
        }
        res
    }
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

fn searcher(state: &AppState) -> ApiResult<Arc<sync::Searcher>> {
    state.searcher.get().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the index is not synced yet; the first sync is running",
        )
    })
}

fn require(caller: &Caller, scope: Scope) -> ApiResult<()> {
    if caller.has(scope) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("{} lacks the {scope:?} scope", caller.name).to_lowercase(),
        ))
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, sync::SyncError> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(ApiError::from)
}

/// `POST /v1/search` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    pub query: String,
    /// The person to search as (default: the caller); needs `impersonate` for others.
    #[serde(default, rename = "as")]
    pub as_email: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
    /// `hybrid` (default when vectors are on), `keyword` or `vector`.
    #[serde(default)]
    pub mode: Option<SearchMode>,
    #[serde(default)]
    pub filters: SearchFilters,
}

/// `POST /v1/search`.
pub async fn search(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<SearchBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Response> {
    let Json(body) = body.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
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
            StatusCode::BAD_REQUEST,
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
    #[serde(default, rename = "as")]
    pub as_email: Option<String>,
}

/// `GET /v1/issues/{key}`: 404 both for a missing issue and a hidden one.
pub async fn issue(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(key): Path<String>,
    Query(q): Query<AsQuery>,
) -> ApiResult<Response> {
    let email = caller.acting_as(q.as_email.as_deref())?;
    let searcher = searcher(&state)?;
    let key = key.trim().to_ascii_uppercase();
    let lookup = key.clone();
    match blocking(move || searcher.issue_as(&email, &lookup)).await? {
        Some(view) => Ok(Json(view).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{key}: no such issue"),
        )),
    }
}

/// `GET /v1/projects`: projects with issues the person may open.
pub async fn projects(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<AsQuery>,
) -> ApiResult<Response> {
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
    match state.runner.try_start(Trigger::Manual) {
        Ok(_) => Ok((StatusCode::ACCEPTED, Json(json!({ "started": true }))).into_response()),
        Err(busy) => Ok((
            StatusCode::CONFLICT,
            Json(json!({ "error": busy.to_string(), "current_run": busy.current })),
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
            Json(json!({ "error": "no sync is running" })),
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
            StatusCode::NOT_FOUND,
            "webhooks are not configured (serve.webhook_secret_env)",
        ));
    };
    let signature = headers.get("x-hub-signature").and_then(|v| v.to_str().ok());
    if !webhooks::verify(secret, &body, signature) {
        count("unknown", "bad_signature");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
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
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("not JSON: {e}")))?;
    let (event, hint) =
        webhooks::parse(&payload).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))?;
    let Some(hint) = hint else {
        count(&event, "ignored");
        return Ok((StatusCode::ACCEPTED, Json(json!({ "queued": false }))).into_response());
    };
    if state.hints.send(hint).await.is_err() {
        count(&event, "dropped");
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting down",
        ));
    }
    count(&event, "queued");
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": true }))).into_response())
}

/// `GET /v1/verify` query: the budget of the self-audit.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    pub max_calls: Option<usize>,
    pub people: Option<usize>,
    pub issues: Option<usize>,
    pub seed: Option<u64>,
}

/// `GET /v1/verify` (admin): runs verify-access now and answers its report (200 also
/// when it found leaks or misses: they are in the body); 400 for bad parameters, 409
/// while another run goes, 502 when Jira refused the check (e.g. no Administer Jira),
/// 503 before the first sync.
pub async fn verify(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<VerifyQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    require(&caller, Scope::Admin)?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
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
            let status = match &e {
                VerifyFailure::NotSynced => StatusCode::SERVICE_UNAVAILABLE,
                VerifyFailure::Busy => StatusCode::CONFLICT,
                VerifyFailure::Invalid(_) => StatusCode::BAD_REQUEST,
                VerifyFailure::Sync(sync::SyncError::Jira { .. }) => StatusCode::BAD_GATEWAY,
                VerifyFailure::Sync(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tracing::warn!(error = %e, "verify-access failed");
            Err(ApiError::new(status, e.to_string()))
        }
    }
}

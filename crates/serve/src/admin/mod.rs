//! The admin console under `/admin`: server-rendered HTML (maud) with htmx, bundled
//! into the binary, for progressive enhancement — every page reads and every form
//! works with JavaScript off; with it on, previews and results replace their part of
//! the page in place.
//!
//! Admins only. A request is authenticated by an API key with the `admin` scope (in
//! `Authorization`/`X-Api-Key`, for scripts), by the trusted proxy's headers, or by a
//! session cookie that `POST /admin/login` sets after checking such a key (HttpOnly,
//! SameSite=Strict, 8 hours; the key itself is never stored in the browser).
//! No credentials: 401 with the login form; credentials without the admin scope: 403.
//!
//! Pages: overview (connection, check, the run in progress stage by stage — htmx
//! reloads it every second while a run goes — stop, run now, schedule, runs),
//! filters (live preview; save writes the config file, see [`crate::runner::LiveConfig`],
//! and the audit of who changed what), per-project dashboards (server-side SVG bars
//! from the index), people (the identity report and a search playground as a chosen
//! person) and explain ("why can (not) this person see this issue?", from the search
//! filter itself), and verify access (the self-audit against Jira's own permission
//! check, [`crate::verify`]). State-changing forms are POSTs; the session cookie is
//! SameSite=Strict, so another site cannot make a logged-in browser send them.

mod charts;
mod pages;
mod verify;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Extension, Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use config::serve::Scope;
use maud::Markup;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{AuthError, Caller};
use crate::runner::Trigger;

/// htmx 2.0.4 (Zero-Clause BSD), from the npm package `htmx.org`; see `assets/README.md`.
const HTMX: &str = include_str!("../../assets/htmx-2.0.4.min.js");
/// The session cookie.
const COOKIE: &str = "jira_index_admin";
/// How long a console session lasts.
const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);

/// Console sessions: random token → the admin caller who logged in.
#[derive(Default)]
pub struct Sessions {
    inner: Mutex<HashMap<String, (Caller, Instant)>>,
}

impl Sessions {
    fn create(&self, caller: Caller) -> String {
        let token = crate::auth::new_key();
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (_, at)| at.elapsed() < SESSION_TTL);
        map.insert(token.clone(), (caller, Instant::now()));
        token
    }

    fn get(&self, token: &str) -> Option<Caller> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(token)
            .filter(|(_, at)| at.elapsed() < SESSION_TTL)
            .map(|(c, _)| c.clone())
    }

    fn remove(&self, token: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(token);
    }
}

/// The console's routes (mounted at the root; every path starts with `/admin`).
pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let guarded = Router::new()
        .route("/admin", get(overview))
        .route("/admin/check", get(check))
        .route("/admin/sync", post(run_sync))
        .route("/admin/sync/stop", post(stop_sync))
        .route("/admin/progress", get(progress))
        .route("/admin/schedule", post(save_schedule))
        .route("/admin/filters", get(filters).post(filters_preview))
        .route("/admin/filters/save", post(save_filters))
        .route("/admin/projects/{key}", get(project))
        .route("/admin/people", get(people))
        .route("/admin/explain", get(explain))
        .route("/admin/verify", get(verify::page).post(verify::run))
        .route("/admin/logout", post(logout))
        .layer(from_fn_with_state(state, require_admin));
    Router::new()
        .merge(guarded)
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/htmx.min.js", get(htmx))
        .layer(axum::middleware::from_fn(same_origin))
        .layer(axum::middleware::from_fn(security_headers))
}

/// The console's pages may run only our own script and style, may not be framed, and
/// send no referrer to other sites (OWASP secure headers).
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Not `no-referrer`: browsers then send `Origin: null` on our own forms.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// Refuses a state-changing request that a browser says comes from another site
/// (`Sec-Fetch-Site`), or whose `Origin` is not this server's `Host`: the session
/// cookie must not let another page act for the admin (cross-site request forgery).
/// Requests without either header are not from a browser's cross-site form.
async fn same_origin(req: Request, next: Next) -> Response {
    if matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS") {
        return next.run(req).await;
    }
    if let Some(reason) = cross_site(req.headers()) {
        tracing::warn!(path = %req.uri().path(), reason, "cross-site console request refused");
        let mut res = html(pages::refused(&format!(
            "This request came from another site ({reason}); the console only accepts its own forms."
        )));
        *res.status_mut() = StatusCode::FORBIDDEN;
        return res;
    }
    next.run(req).await
}

/// Why a request is cross-site, if it is.
fn cross_site(headers: &HeaderMap) -> Option<String> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // Browsers that send Sec-Fetch-Site say it best; Origin is the fallback.
    if let Some(site) = text("sec-fetch-site") {
        return (!matches!(site, "same-origin" | "none"))
            .then(|| format!("Sec-Fetch-Site: {site}"));
    }
    let origin = text("origin")?;
    let host = text("host").unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .unwrap_or(origin);
    if origin == "null" || !origin_host.eq_ignore_ascii_case(host) {
        return Some(format!("Origin {origin} is not {host}"));
    }
    None
}

fn html(markup: Markup) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Admin callers only: key or proxy headers, else the session cookie.
async fn require_admin(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let has_credentials = headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key("x-api-key")
        || state.auth.has_proxy_headers(headers);
    let caller = if has_credentials {
        state.auth.authenticate(headers)
    } else {
        match session_token(headers).and_then(|t| state.admin_sessions.get(&t)) {
            Some(c) => Ok(c),
            None => Err(AuthError::Unauthorized(
                "log in with an admin API key".into(),
            )),
        }
    };
    match caller {
        Ok(c) if c.has(Scope::Admin) => {
            req.extensions_mut().insert(c);
            next.run(req).await
        }
        Ok(c) => {
            let mut res = html(pages::refused(&format!(
                "{} is not an admin: the console needs an API key with the admin scope.",
                c.name
            )));
            *res.status_mut() = StatusCode::FORBIDDEN;
            res
        }
        Err(e) => {
            let mut res = html(pages::login(Some(&e.to_string())));
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            res
        }
    }
}

async fn htmx() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        HTMX,
    )
        .into_response()
}

async fn login_page() -> Response {
    html(pages::login(None))
}

#[derive(Deserialize)]
struct LoginForm {
    key: String,
}

async fn login(
    State(state): State<Arc<AppState>>,
    request_headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    // `Secure` when the browser reaches us over https: a proxy that terminates TLS
    // says so in X-Forwarded-Proto, or serve.public_url is https.
    let https = request_headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
        || state
            .cfg()
            .serve
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
    let mut headers = HeaderMap::new();
    let Ok(value) = HeaderValue::from_str(&format!("Bearer {}", form.key.trim())) else {
        return unauthorized_login("that is not an API key");
    };
    headers.insert(header::AUTHORIZATION, value);
    match state.auth.authenticate(&headers) {
        Ok(caller) if caller.has(Scope::Admin) => {
            tracing::info!(key = %caller.name, "admin console login");
            let token = state.admin_sessions.create(caller);
            let cookie = format!(
                "{COOKIE}={token}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={}{}",
                SESSION_TTL.as_secs(),
                if https { "; Secure" } else { "" }
            );
            let mut res = Redirect::to("/admin").into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Ok(caller) => {
            let mut res = html(pages::refused(&format!(
                "{} is not an admin: the console needs an API key with the admin scope.",
                caller.name
            )));
            *res.status_mut() = StatusCode::FORBIDDEN;
            res
        }
        Err(_) => unauthorized_login("unknown API key"),
    }
}

fn unauthorized_login(message: &str) -> Response {
    let mut res = html(pages::login(Some(message)));
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    res
}

async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(t) = session_token(&headers) {
        state.admin_sessions.remove(&t);
    }
    let mut res = Redirect::to("/admin/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "jira_index_admin=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    res
}

async fn blocking<T: Send + 'static, E: Into<crate::api::ApiError> + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error_page(e.into())),
        Err(e) => Err(error_page(crate::api::ApiError::internal(&e))),
    }
}

/// An error page: the code's message and log reference, never internal text.
fn error_page(answer: crate::api::ApiError) -> Response {
    let mut res = html(pages::error(&answer.message()));
    *res.status_mut() = answer.status();
    res
}

async fn overview(State(state): State<Arc<AppState>>) -> Response {
    let cfg = state.cfg();
    let status = match blocking(move || sync::status::status(&cfg)).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    html(pages::overview(
        &state.cfg(),
        &status,
        state.runner.current(),
        &schedule_view(&state),
        &project_list(&state),
    ))
}

fn schedule_view(state: &AppState) -> pages::ScheduleView {
    pages::ScheduleView {
        every_minutes: state.runner.schedule_every().as_secs() / 60,
        next_ms: state.runner.next_scheduled_ms(),
    }
}

/// The run in progress (a fragment for htmx, the overview without it).
async fn progress(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if headers.contains_key("hx-request") {
        html(pages::progress(
            state.runner.current().as_ref(),
            &schedule_view(&state),
        ))
    } else {
        Redirect::to("/admin").into_response()
    }
}

async fn stop_sync(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> Response {
    state.runner.stop(&caller.name);
    progress(State(state), headers).await
}

#[derive(Deserialize)]
struct ScheduleForm {
    minutes: String,
}

/// Saves the schedule to the config file (audited) and applies it at once.
async fn save_schedule(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Form(form): Form<ScheduleForm>,
) -> Response {
    let message = match form.minutes.trim().parse::<u64>() {
        Ok(minutes) if minutes <= 10_080 => {
            let mut candidate = (*state.cfg()).clone();
            candidate.serve.sync_interval_minutes = minutes;
            let live = state.config.clone();
            let who = caller.name.clone();
            match blocking(move || live.save(candidate, &who)).await {
                Ok(_) => {
                    state.runner.set_schedule(Duration::from_secs(minutes * 60));
                    if minutes == 0 {
                        "Schedule saved: off (syncs run on demand and from webhooks).".to_string()
                    } else {
                        format!("Schedule saved: a sync every {minutes} minutes.")
                    }
                }
                Err(res) => return res,
            }
        }
        _ => format!(
            "serve.sync_interval_minutes: {:?} is not a whole number of minutes between 0 and 10080",
            form.minutes
        ),
    };
    if headers.contains_key("hx-request") {
        html(pages::notice(&message))
    } else {
        Redirect::to("/admin").into_response()
    }
}

/// The connection check, run now (a fragment for htmx, a page without it).
async fn check(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let report = sync::check::run_check(&state.cfg()).await;
    let fragment = match &report {
        Ok(r) => pages::check_report(r),
        Err(e) => pages::error_fragment(&crate::api::ApiError::from_ref(e).message()),
    };
    if headers.contains_key("hx-request") {
        html(fragment)
    } else {
        html(pages::layout("Connection check", fragment))
    }
}

async fn run_sync(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let message = match state.runner.try_start(Trigger::Manual) {
        _ if !state.role.syncs() => {
            "This server is a search replica (--role search): syncs run on the worker.".to_string()
        }
        Ok(_) => "Sync started.".to_string(),
        Err(busy) => busy.to_string(),
    };
    if headers.contains_key("hx-request") {
        html(pages::notice(&message))
    } else {
        Redirect::to("/admin").into_response()
    }
}

/// The filters form, filled with the config in use.
async fn filters(State(state): State<Arc<AppState>>) -> Response {
    let projects = project_list(&state);
    let audit = match audit(&state).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    html(pages::filters(
        &pages::FilterForm::from_config(&state.cfg()),
        &projects,
        None,
        &audit,
    ))
}

/// The last settings changes made from the console.
async fn audit(state: &AppState) -> Result<Vec<state::ConfigAudit>, Response> {
    let cfg = state.cfg();
    blocking(move || state::StateStore::open_config(&cfg)?.config_changes(20)).await
}

/// Saves the submitted filters to the config file (validated, comments kept,
/// audited); they apply from the next sync.
async fn save_filters(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let form = pages::FilterForm::from_pairs(&form);
    let mut candidate = (*state.cfg()).clone();
    let fragment = match form.apply(&mut candidate) {
        Err(e) => pages::error_fragment(&e.to_string()),
        Ok(()) => {
            let live = state.config.clone();
            let who = caller.name.clone();
            let file = state
                .cfg()
                .source
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            match tokio::task::spawn_blocking(move || live.save(candidate, &who)).await {
                Ok(Ok(changes)) => pages::saved(&changes, &file),
                Ok(Err(e)) => pages::error_fragment(&crate::api::ApiError::from(e).message()),
                Err(e) => pages::error_fragment(&crate::api::ApiError::internal(&e).message()),
            }
        }
    };
    if headers.contains_key("hx-request") {
        return html(fragment);
    }
    let audit = match audit(&state).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    html(pages::filters(
        &form,
        &project_list(&state),
        Some(fragment),
        &audit,
    ))
}

fn project_list(state: &AppState) -> Vec<(String, String)> {
    state
        .searcher
        .get()
        .map(|s| {
            s.directory()
                .projects
                .iter()
                .filter(|p| !p.archived)
                .map(|p| (p.key.clone(), p.name.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The preview of the submitted filters against the index now.
async fn filters_preview(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let form = pages::FilterForm::from_pairs(&form);
    let mut candidate = (*state.cfg()).clone();
    if let Err(e) = form.apply(&mut candidate) {
        let fragment = pages::error_fragment(&e.to_string());
        return if headers.contains_key("hx-request") {
            html(fragment)
        } else {
            html(pages::filters(
                &form,
                &project_list(&state),
                Some(fragment),
                &[],
            ))
        };
    }
    let fragment = match sync::preview::preview_filters(&state.cfg(), &candidate).await {
        Ok(p) => pages::preview(&p),
        Err(e) => pages::error_fragment(&crate::api::ApiError::from_ref(&e).message()),
    };
    if headers.contains_key("hx-request") {
        html(fragment)
    } else {
        html(pages::filters(
            &form,
            &project_list(&state),
            Some(fragment),
            &[],
        ))
    }
}

async fn project(State(state): State<Arc<AppState>>, Path(key): Path<String>) -> Response {
    let index = state.index.clone();
    let k = key.to_ascii_uppercase();
    let stats = match blocking(move || Ok::<_, search::SearchError>(index.project_stats(&k)?)).await
    {
        Ok(s) => s,
        Err(res) => return res,
    };
    let cfg = state.cfg();
    let status = match blocking(move || sync::status::status(&cfg)).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    html(pages::project(&key.to_ascii_uppercase(), &stats, &status))
}

#[derive(Deserialize)]
struct PeopleQuery {
    #[serde(default, rename = "as")]
    as_email: String,
    #[serde(default)]
    q: String,
}

/// The console acts for another person only as the API does: with `impersonate`
/// (or as the caller's own identity with `search`); else a 403 page.
fn acting_as(caller: &Caller, email: &str) -> Result<String, Box<Response>> {
    caller.acting_as(Some(email)).map_err(|e| {
        let mut res = html(pages::refused(&format!(
            "{e}. The console's admin scope shows the index's state; searching or explaining as a person needs a key with the impersonate scope."
        )));
        *res.status_mut() = StatusCode::FORBIDDEN;
        Box::new(res)
    })
}

async fn people(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<PeopleQuery>,
) -> Response {
    let Some(searcher) = state.searcher.get() else {
        return html(pages::error("the index is not synced yet"));
    };
    let results = if q.as_email.trim().is_empty() || q.q.trim().is_empty() {
        None
    } else {
        let email = match acting_as(&caller, &q.as_email) {
            Ok(e) => e,
            Err(res) => return *res,
        };
        let s = searcher.clone();
        let query = q.q.clone();
        match blocking(move || {
            s.search_as(
                &email,
                &query,
                20,
                index::SearchMode::Hybrid,
                index::SearchFilters {
                    collapse_by_issue: true,
                    ..Default::default()
                },
            )
        })
        .await
        {
            Ok(r) => Some(r),
            Err(res) => return res,
        }
    };
    // One snapshot of the directory for the report and the table.
    let directory = searcher.directory();
    let report = access::identity_report(&directory, &searcher.mapping());
    html(pages::people(
        &report,
        &directory.users,
        &searcher.unmatched_callers(),
        &q.as_email,
        &q.q,
        results.as_ref(),
    ))
}

#[derive(Deserialize)]
struct ExplainQuery {
    #[serde(default, rename = "as")]
    as_email: String,
    #[serde(default)]
    key: String,
}

async fn explain(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ExplainQuery>,
) -> Response {
    let Some(searcher) = state.searcher.get() else {
        return html(pages::error("the index is not synced yet"));
    };
    let outcome = if q.as_email.trim().is_empty() || q.key.trim().is_empty() {
        None
    } else {
        let email = match acting_as(&caller, &q.as_email) {
            Ok(e) => e,
            Err(res) => return *res,
        };
        let s = searcher.clone();
        let key = q.key.clone();
        match blocking(move || s.explain_access(&email, &key)).await {
            Ok(r) => Some(r),
            Err(res) => return res,
        }
    };
    html(pages::explain(&q.as_email, &q.key, outcome.as_ref()))
}

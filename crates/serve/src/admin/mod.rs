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
//! Pages: overview (connection, check, runs, run now), filters (with the live
//! preview), per-project dashboards (server-side SVG bars from the index), people
//! (the identity report and a search playground as a chosen person) and explain
//! ("why can (not) this person see this issue?", from the search filter itself).

mod charts;
mod pages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;
use serde::Deserialize;
use sync::serve_config::Scope;

use crate::AppState;
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
        .route("/admin/filters", get(filters).post(filters_preview))
        .route("/admin/projects/{key}", get(project))
        .route("/admin/people", get(people))
        .route("/admin/explain", get(explain))
        .route("/admin/logout", post(logout))
        .layer(from_fn_with_state(state, require_admin));
    Router::new()
        .merge(guarded)
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/htmx.min.js", get(htmx))
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

async fn login(State(state): State<Arc<AppState>>, Form(form): Form<LoginForm>) -> Response {
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
                "{COOKIE}={token}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={}",
                SESSION_TTL.as_secs()
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

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, sync::SyncError> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error_page(&e.to_string())),
        Err(e) => Err(error_page(&e.to_string())),
    }
}

fn error_page(message: &str) -> Response {
    let mut res = html(pages::error(message));
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    res
}

async fn overview(State(state): State<Arc<AppState>>) -> Response {
    let cfg = state.cfg.clone();
    let status = match blocking(move || sync::status::status(&cfg)).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    html(pages::overview(
        &state.cfg,
        &status,
        state.runner.current(),
        &project_list(&state),
    ))
}

/// The connection check, run now (a fragment for htmx, a page without it).
async fn check(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let report = sync::check::run_check(&state.cfg).await;
    let fragment = match &report {
        Ok(r) => pages::check_report(r),
        Err(e) => pages::error_fragment(&e.to_string()),
    };
    if headers.contains_key("hx-request") {
        html(fragment)
    } else {
        html(pages::layout("Connection check", fragment))
    }
}

async fn run_sync(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let message = match state.runner.try_start(Trigger::Manual) {
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
    html(pages::filters(
        &pages::FilterForm::from_config(&state.cfg),
        &projects,
        None,
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
    let mut candidate = (*state.cfg).clone();
    if let Err(e) = form.apply(&mut candidate) {
        let fragment = pages::error_fragment(&e);
        return if headers.contains_key("hx-request") {
            html(fragment)
        } else {
            html(pages::filters(&form, &project_list(&state), Some(fragment)))
        };
    }
    let fragment = match sync::preview::preview_filters(&state.cfg, &candidate).await {
        Ok(p) => pages::preview(&p),
        Err(e) => pages::error_fragment(&e.to_string()),
    };
    if headers.contains_key("hx-request") {
        html(fragment)
    } else {
        html(pages::filters(&form, &project_list(&state), Some(fragment)))
    }
}

async fn project(State(state): State<Arc<AppState>>, Path(key): Path<String>) -> Response {
    let index = state.index.clone();
    let k = key.to_ascii_uppercase();
    let stats = match blocking(move || Ok(index.project_stats(&k)?)).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let cfg = state.cfg.clone();
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

async fn people(State(state): State<Arc<AppState>>, Query(q): Query<PeopleQuery>) -> Response {
    let Some(searcher) = state.searcher.get() else {
        return html(pages::error("the index is not synced yet"));
    };
    let results = if q.as_email.trim().is_empty() || q.q.trim().is_empty() {
        None
    } else {
        let s = searcher.clone();
        let (email, query) = (q.as_email.clone(), q.q.clone());
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
    let report = access::identity_report(&searcher.directory(), &searcher.mapping());
    html(pages::people(
        &report,
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

async fn explain(State(state): State<Arc<AppState>>, Query(q): Query<ExplainQuery>) -> Response {
    let Some(searcher) = state.searcher.get() else {
        return html(pages::error("the index is not synced yet"));
    };
    let outcome = if q.as_email.trim().is_empty() || q.key.trim().is_empty() {
        None
    } else {
        let s = searcher.clone();
        let (email, key) = (q.as_email.trim().to_string(), q.key.clone());
        match blocking(move || s.explain_access(&email, &key)).await {
            Ok(r) => Some(r),
            Err(res) => return res,
        }
    };
    html(pages::explain(&q.as_email, &q.key, outcome.as_ref()))
}

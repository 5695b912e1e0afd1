//! Axum server speaking the Jira Cloud REST v3 shapes on loopback.
//!
//! Only the connector's account (basic auth `admin_email:admin_api_token`) is accepted;
//! it reads everything (the server does not filter by permission). Errors are Jira-style
//! `{"errorMessages":[…],"errors":{}}` JSON bodies.

#![allow(clippy::result_large_err)] // handlers return ready-made error `Response`s

use crate::jql::{self, Jql};
use crate::model::*;
use axum::Router;
use axum::ServiceExt;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::Layer;
use tower::util::MapRequestLayer;

use crate::edge;
use crate::faults::{FaultConfig, FaultState, RequestRecord};
use crate::oauth::{OAuthConfig, OAuthState, OAuthStats};
pub use crate::render::INLINE_COMMENTS;
use crate::render::{self, sorted_comments};
use base64::Engine;
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

/// Handle on a running simulator.
pub struct SimHandle {
    /// e.g. `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    ws: Arc<RwLock<Workspace>>,
    requests: Arc<AtomicUsize>,
    faults: Arc<FaultState>,
    oauth: Arc<OAuthState>,
    webhooks: Arc<crate::webhooks::Webhooks>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SimHandle {
    /// The live workspace; mutate it through the lock and the server serves the change.
    pub fn workspace(&self) -> Arc<RwLock<Workspace>> {
        self.ws.clone()
    }
    /// Number of HTTP requests received so far (authenticated or not).
    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
    /// Every REST request so far, with time, status and injected fault.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.faults.log()
    }
    /// Forgets the request log.
    pub fn clear_request_log(&self) {
        self.faults.clear_log()
    }
    /// Replaces the fault configuration.
    pub fn set_faults(&self, config: FaultConfig) {
        self.faults.set_config(config)
    }
    /// What the OAuth token endpoint saw.
    pub fn oauth_stats(&self) -> OAuthStats {
        self.oauth.stats()
    }
    /// The OAuth app and cloud id the simulator accepts.
    pub fn oauth_config(&self) -> OAuthConfig {
        self.oauth.config.clone()
    }
    /// Base URL of the REST API for OAuth callers: `{base}/ex/jira/{cloudId}`.
    pub fn gateway_url(&self) -> String {
        format!("{}/ex/jira/{}", self.base_url, self.oauth.config.cloud_id)
    }
    /// Registers a webhook: every mutation applied through the simulator from now on
    /// is POSTed there, signed with `secret` (see [`crate::webhooks`]).
    pub fn add_webhook(&self, url: impl Into<String>, secret: impl Into<String>) {
        self.webhooks.add(crate::webhooks::WebhookTarget {
            url: url.into(),
            secret: secret.into(),
        })
    }
    /// Webhook deliveries so far.
    pub fn webhook_deliveries(&self) -> Vec<crate::webhooks::Delivery> {
        self.webhooks.deliveries()
    }
    /// Whether the connector account holds *Administer Jira* (see
    /// [`Workspace::connector_administers_jira`]); the next request sees the change.
    pub fn set_connector_administers_jira(&self, administers: bool) {
        let mut ws = self.ws.write().unwrap_or_else(|e| e.into_inner());
        ws.set_connector_administers_jira(administers);
    }
    /// Makes an exact API path (e.g. `/rest/api/3/applicationrole`) answer 403.
    pub fn forbid_endpoint(&self, path: &str) {
        let mut ws = self.ws.write().unwrap_or_else(|e| e.into_inner());
        if !ws.forbidden_endpoints.iter().any(|p| p == path) {
            ws.forbidden_endpoints.push(path.to_string());
        }
    }
    /// Lets a path forbidden by [`SimHandle::forbid_endpoint`] answer again.
    pub fn allow_endpoint(&self, path: &str) {
        let mut ws = self.ws.write().unwrap_or_else(|e| e.into_inner());
        ws.forbidden_endpoints.retain(|p| p != path);
    }
    /// Applies mutations like `POST /_sim/mutate` does, webhooks included.
    pub fn mutate(
        &self,
        mutations: Vec<crate::admin::Mutation>,
    ) -> Result<Vec<Value>, crate::admin::MutationFailed> {
        let (results, events, failed) = {
            let mut ws = self.ws.write().unwrap_or_else(|e| e.into_inner());
            crate::webhooks::apply_all(&mut ws, mutations)
        };
        self.webhooks.deliver(events);
        match failed {
            None => Ok(results),
            Some((index, source)) => Err(crate::admin::MutationFailed { index, source }),
        }
    }
    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// How a simulator starts: faults and OAuth app.
#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    pub faults: FaultConfig,
    pub oauth: OAuthConfig,
}

/// The result order of recent JQL queries, so that paging through a large result is
/// one sort, not one per page. An entry is used only while the workspace's stamp is
/// unchanged (every mutation changes it), so a change is seen by the next page.
#[derive(Default)]
pub(crate) struct OrderCache {
    entries: std::sync::Mutex<Vec<CachedOrder>>,
}

/// (JQL fingerprint, workspace stamp, issue positions in result order).
type CachedOrder = (u64, WorkspaceStamp, Arc<Vec<usize>>);

/// What changes whenever issues, their times, or project archiving change.
#[derive(Clone, Copy, PartialEq, Eq)]
struct WorkspaceStamp {
    issues_ptr: usize,
    issues: usize,
    next_id: u64,
    audit: usize,
    updated_sum: i64,
    created_sum: i64,
    archived: u64,
}

impl WorkspaceStamp {
    fn of(ws: &Workspace) -> Self {
        let mut updated_sum = 0i64;
        let mut created_sum = 0i64;
        for i in &ws.issues {
            updated_sum = updated_sum.wrapping_add(i.updated.timestamp_millis());
            created_sum = created_sum.wrapping_add(i.created.timestamp_millis());
        }
        let archived = ws
            .projects
            .iter()
            .enumerate()
            .filter(|(_, p)| p.archived)
            .fold(0u64, |h, (n, _)| h.rotate_left(7) ^ (n as u64 + 1));
        WorkspaceStamp {
            issues_ptr: ws.issues.as_ptr() as usize,
            issues: ws.issues.len(),
            next_id: ws.next_id,
            audit: ws.audit_records.len(),
            updated_sum,
            created_sum,
            archived,
        }
    }
}

/// Queries remembered at once.
const ORDER_CACHE_SIZE: usize = 16;

impl OrderCache {
    fn get_or_run(
        &self,
        ws: &Workspace,
        fingerprint: u64,
        query: &Jql,
    ) -> Result<Arc<Vec<usize>>, jql::JqlError> {
        let stamp = WorkspaceStamp::of(ws);
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, _, order)) = entries
                .iter()
                .find(|(fp, st, _)| *fp == fingerprint && *st == stamp)
            {
                return Ok(Arc::clone(order));
            }
        }
        let order = Arc::new(query.run_positions(ws)?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(fp, st, _)| *fp != fingerprint && *st == stamp);
        if entries.len() >= ORDER_CACHE_SIZE {
            entries.remove(0);
        }
        entries.push((fingerprint, stamp, Arc::clone(&order)));
        Ok(order)
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) ws: Arc<RwLock<Workspace>>,
    requests: Arc<AtomicUsize>,
    pub(crate) faults: Arc<FaultState>,
    pub(crate) oauth: Arc<OAuthState>,
    pub(crate) base: Arc<str>,
    orders: Arc<OrderCache>,
    attachments: Arc<AttachmentIndex>,
    pub(crate) webhooks: Arc<crate::webhooks::Webhooks>,
}

/// Where each attachment is: id → (issue position, attachment position). Checked on
/// every use and rebuilt when it points elsewhere (issues added, moved or removed).
#[derive(Default)]
pub(crate) struct AttachmentIndex {
    places: std::sync::Mutex<std::collections::HashMap<String, (usize, usize)>>,
}

impl AttachmentIndex {
    fn find<'w>(&self, ws: &'w Workspace, id: &str) -> Option<&'w Attachment> {
        let at = |(i, a): (usize, usize)| {
            ws.issues
                .get(i)
                .and_then(|issue| issue.attachments.get(a))
                .filter(|att| att.id == id)
        };
        let mut places = self.places.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = places.get(id).copied().and_then(at) {
            return Some(found);
        }
        places.clear();
        for (i, issue) in ws.issues.iter().enumerate() {
            for (a, att) in issue.attachments.iter().enumerate() {
                places.insert(att.id.clone(), (i, a));
            }
        }
        places.get(id).copied().and_then(at)
    }
}

impl AppState {
    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, Workspace> {
        self.ws.read().unwrap_or_else(|e| e.into_inner())
    }
    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
}

/// Starts the simulator on `addr` (use port 0 for a free port), without faults.
pub async fn start(ws: Workspace, addr: std::net::SocketAddr) -> std::io::Result<SimHandle> {
    start_with(ws, addr, SimOptions::default()).await
}

/// Starts the simulator with fault injection and an OAuth app.
pub async fn start_with(
    ws: Workspace,
    addr: std::net::SocketAddr,
    options: SimOptions,
) -> std::io::Result<SimHandle> {
    options
        .faults
        .validate()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let base_url = format!("http://{local}");
    let ws = Arc::new(RwLock::new(ws));
    let requests = Arc::new(AtomicUsize::new(0));
    let faults = Arc::new(FaultState::new(options.faults));
    let oauth = Arc::new(OAuthState::new(options.oauth));
    let webhooks = Arc::new(crate::webhooks::Webhooks::default());
    let state = AppState {
        ws: ws.clone(),
        requests: requests.clone(),
        faults: faults.clone(),
        oauth: oauth.clone(),
        base: base_url.clone().into(),
        orders: Arc::default(),
        attachments: Arc::default(),
        webhooks: webhooks.clone(),
    };
    let cloud_id: Arc<str> = oauth.config.cloud_id.clone().into();
    let app = MapRequestLayer::new(edge::rewrite_gateway(cloud_id)).layer(router(state));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let res = axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = res {
            tracing::warn!(error = %e, "jira-sim server stopped with an error");
        }
    });
    tracing::info!(%base_url, "jira-sim listening");
    Ok(SimHandle {
        base_url,
        ws,
        requests,
        faults,
        oauth,
        webhooks,
        shutdown: Some(tx),
        task: Some(task),
    })
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/rest/api/3/myself", get(myself))
        .route("/rest/api/3/users/search", get(users_search))
        .route("/rest/api/3/user", get(user_get))
        .route("/rest/api/3/user/bulk", get(user_bulk))
        .route("/rest/api/3/group/bulk", get(group_bulk))
        .route("/rest/api/3/group/member", get(group_member))
        .route("/rest/api/3/applicationrole", get(application_roles))
        .route("/rest/api/3/project/search", get(project_search))
        .route("/rest/api/3/role", get(global_roles))
        .route(
            "/rest/api/3/issuesecurityschemes/search",
            get(security_schemes_search),
        )
        .route(
            "/rest/api/3/issuesecurityschemes/level",
            get(security_levels),
        )
        .route("/rest/api/3/project/{id_or_key}/role", get(project_roles))
        .route(
            "/rest/api/3/project/{id_or_key}/role/{role_id}",
            get(project_role),
        )
        .route(
            "/rest/api/3/project/{id_or_key}/permissionscheme",
            get(project_permission_scheme),
        )
        .route("/rest/api/3/permissionscheme", get(permission_schemes))
        .route("/rest/api/3/permissionscheme/{id}", get(permission_scheme))
        .route(
            "/rest/api/3/project/{id_or_key}/issuesecuritylevelscheme",
            get(project_security_scheme),
        )
        .route(
            "/rest/api/3/issuesecurityschemes/level/member",
            get(security_level_members),
        )
        .route(
            "/rest/api/3/search/jql",
            get(search_jql_get).post(search_jql_post),
        )
        .route(
            "/rest/api/3/search/approximate-count",
            post(search_approximate_count),
        )
        .route("/rest/api/3/search", get(search_gone).post(search_gone))
        .route("/rest/api/3/issue/bulkfetch", post(issue_bulkfetch))
        .route("/rest/api/3/permissions/check", post(permissions_check))
        .route("/rest/api/3/attachment/{id}", get(attachment_meta))
        .route(
            "/rest/api/3/attachment/content/{id}",
            get(attachment_content),
        )
        .route("/rest/api/3/issue/{id_or_key}", get(get_issue))
        .route("/rest/api/3/issue/{id_or_key}/comment", get(issue_comments))
        .route("/rest/api/3/auditing/record", get(audit_records))
        .route("/authorize", get(edge::authorize))
        .route("/oauth/token", post(edge::token))
        .route(
            "/oauth/token/accessible-resources",
            get(edge::accessible_resources),
        )
        .route("/_sim/mutate", post(edge::mutate))
        .route(
            "/_sim/requests",
            get(edge::request_log).delete(edge::clear_request_log),
        )
        .route("/_sim/faults", get(edge::get_faults).put(edge::put_faults))
        .route("/_sim/oauth", get(edge::oauth_stats))
        .route("/_sim/webhooks", post(edge::add_webhook))
        .fallback(not_found)
        // Outermost first: faults see every REST request, authenticated or not.
        .layer(middleware::from_fn_with_state(state.clone(), edge::auth))
        .layer(middleware::from_fn_with_state(state.clone(), edge::faults))
        .with_state(state)
}

// ---------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------

/// A Jira-style error response.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"errorMessages": [message.into()], "errors": {}})),
    )
        .into_response()
}

/// A JSON request body, or Jira's 400 for one that does not parse.
fn json_body(body: &[u8]) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("Invalid request body: {e}"),
        )
    })
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

pub(crate) fn check_basic(headers: &HeaderMap, email: &str, token: &str) -> bool {
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

/// Parsed query string with repeated keys kept.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<String>) -> Self {
        Params(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// Non-negative integer parameter, with default; 400 on garbage.
    fn usize_or(&self, key: &str, default: usize) -> Result<usize, Response> {
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
    fn bool_or(&self, key: &str, default: bool) -> bool {
        self.get(key)
            .map(|v| v.eq_ignore_ascii_case("true"))
            .unwrap_or(default)
    }
    fn expands(&self, what: &str) -> bool {
        self.all("expand")
            .iter()
            .flat_map(|e| e.split(','))
            .any(|e| e.trim() == what || e.trim() == "all")
    }
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

fn avatar_urls(seed: &str) -> Value {
    let u = |s: u32| format!("https://avatar-management.example.com/initials/{seed}.png?size={s}");
    json!({"48x48": u(48), "24x24": u(24), "16x16": u(16), "32x32": u(32)})
}

pub(crate) fn user_json(base: &str, u: &User) -> Value {
    serde_json::to_value(render::UserOut { base, user: u }).unwrap_or(Value::Null)
}

fn user_ref(base: &str, ws: &Workspace, account_id: Option<&str>) -> Value {
    serde_json::to_value(render::UserRef {
        base,
        ws,
        account_id,
    })
    .unwrap_or(Value::Null)
}

fn page(
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

fn slice<T>(items: &[T], start_at: usize, max_results: usize) -> &[T] {
    let s = start_at.min(items.len());
    let e = s.saturating_add(max_results).min(items.len());
    &items[s..e]
}

fn num(id: &str) -> Value {
    id.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(id))
}

// ---------------------------------------------------------------------------------
// users and groups
// ---------------------------------------------------------------------------------

async fn myself(State(st): State<AppState>) -> Response {
    let ws = st.read();
    match ws.user(&ws.admin_account_id) {
        Some(u) => ok(user_json(&st.base, u)),
        None => error(
            StatusCode::NOT_FOUND,
            "The connector account does not exist.",
        ),
    }
}

async fn users_search(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).min(1000);
    let ws = st.read();
    let v: Vec<Value> = slice(&ws.users, start_at, max)
        .iter()
        .map(|u| user_json(&st.base, u))
        .collect();
    ok(Value::Array(v))
}

/// `GET /rest/api/3/user?accountId=…[&expand=groups,applicationRoles]` (OpenAPI
/// "Get user": *Browse users and groups*; `applicationRoles` "includes details of all
/// the applications to which the user has access", `groups` "all groups … to which the
/// user belongs"). Unlike `GET /rest/api/3/applicationrole`, it needs no *Administer
/// Jira*.
async fn user_get(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let Some(account_id) = p.get("accountId").filter(|a| !a.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "The query parameter 'accountId' is required.",
        );
    };
    let ws = st.read();
    let Some(user) = ws.user(account_id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("The user with account ID '{account_id}' does not exist."),
        );
    };
    let expand: Vec<&str> = p.get("expand").unwrap_or("").split(',').collect();
    let mut out = user_json(&st.base, user);
    if expand.contains(&"groups") {
        let items: Vec<Value> = ws
            .groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == account_id))
            .map(|g| json!({"name": g.name, "groupId": g.group_id, "self": format!("{}/rest/api/3/group?groupId={}", st.base, g.group_id)}))
            .collect();
        out["groups"] = json!({"size": items.len(), "items": items});
    }
    if expand.contains(&"applicationRoles") {
        let items: Vec<Value> = ws
            .application_roles
            .iter()
            .filter(|r| ws.has_application_role(account_id, Some(&r.key)))
            .map(|r| json!({"key": r.key, "name": r.name}))
            .collect();
        out["applicationRoles"] = json!({"size": items.len(), "items": items});
    }
    ok(out)
}

async fn user_bulk(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 10)).min(200);
    let ids = p.all("accountId");
    if ids.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "At least one accountId is required.",
        );
    }
    let ws = st.read();
    let users: Vec<Value> = ids
        .iter()
        .filter_map(|a| ws.user(a))
        .map(|u| user_json(&st.base, u))
        .collect();
    let total = users.len();
    let values = slice(&users, start_at, max).to_vec();
    ok(page(
        start_at,
        max,
        total,
        values,
        &st.base,
        "/rest/api/3/user/bulk",
    ))
}

async fn group_bulk(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 50);
    let ws = st.read();
    let wanted_ids = p.all("groupId");
    let wanted_names = p.all("groupName");
    let groups: Vec<&Group> = ws
        .groups
        .iter()
        .filter(|g| wanted_ids.is_empty() || wanted_ids.contains(&g.group_id.as_str()))
        .filter(|g| wanted_names.is_empty() || wanted_names.contains(&g.name.as_str()))
        .collect();
    let values = slice(&groups, start_at, max)
        .iter()
        .map(|g| json!({"groupId": g.group_id, "name": g.name}))
        .collect();
    ok(page(
        start_at,
        max,
        groups.len(),
        values,
        &st.base,
        "/rest/api/3/group/bulk",
    ))
}

async fn group_member(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 50);
    let include_inactive = p.bool_or("includeInactiveUsers", false);
    let ws = st.read();
    let group = match (p.get("groupId"), p.get("groupname")) {
        (Some(id), _) => ws.group(id),
        (None, Some(name)) => ws.group_by_name(name),
        (None, None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "You must specify a group name or a group id.",
            );
        }
    };
    let Some(group) = group else {
        return error(StatusCode::NOT_FOUND, "The specified group does not exist.");
    };
    let members: Vec<&User> = group
        .members
        .iter()
        .filter_map(|a| ws.user(a))
        .filter(|u| include_inactive || u.active)
        .collect();
    let values = slice(&members, start_at, max)
        .iter()
        .map(|u| user_json(&st.base, u))
        .collect();
    ok(page(
        start_at,
        max,
        members.len(),
        values,
        &st.base,
        "/rest/api/3/group/member",
    ))
}

/// Jira's answer to a caller without the permission an operation needs.
pub(crate) fn forbidden(message: impl Into<String>) -> Response {
    error(StatusCode::FORBIDDEN, message)
}

/// `GET /rest/api/3/applicationrole`: "Permissions required: Administer Jira global
/// permission" (OpenAPI), 403 otherwise.
async fn application_roles(State(st): State<AppState>) -> Response {
    let ws = st.read();
    if !ws.connector_administers_jira {
        return forbidden(
            "You are not authorized to perform this action. Administrator privileges are required.",
        );
    }
    let names = |ids: &[String]| -> Vec<Value> {
        ids.iter()
            .filter_map(|g| ws.group(g))
            .map(|g| json!(g.name))
            .collect()
    };
    let details = |ids: &[String]| -> Vec<Value> {
        ids.iter()
            .filter_map(|g| ws.group(g))
            .map(|g| json!({"groupId": g.group_id, "name": g.name, "self": format!("{}/rest/api/3/group?groupId={}", st.base, g.group_id)}))
            .collect()
    };
    let roles: Vec<Value> = ws
        .application_roles
        .iter()
        .map(|r| {
            let users: std::collections::BTreeSet<&str> = r
                .group_ids
                .iter()
                .filter_map(|g| ws.group(g))
                .flat_map(|g| g.members.iter().map(String::as_str))
                .collect();
            json!({
                "key": r.key,
                "name": r.name,
                "groups": names(&r.group_ids),
                "groupDetails": details(&r.group_ids),
                "defaultGroups": names(&r.default_group_ids),
                "defaultGroupsDetails": details(&r.default_group_ids),
                "selectedByDefault": false,
                "defined": true,
                "numberOfSeats": 10000,
                "remainingSeats": 10000 - users.len() as i64,
                "userCount": users.len(),
                "userCountDescription": "users",
                "hasUnlimitedSeats": false,
                "platform": false,
            })
        })
        .collect();
    ok(Value::Array(roles))
}

// ---------------------------------------------------------------------------------
// projects, roles, schemes
// ---------------------------------------------------------------------------------

fn project_json(base: &str, ws: &Workspace, p: &Project, with_lead: bool) -> Value {
    let mut v = json!({
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
        "self": format!("{base}/rest/api/3/project/{}", p.id),
        "id": p.id,
        "key": p.key,
        "name": p.name,
        "avatarUrls": avatar_urls(&p.key),
        "projectTypeKey": p.project_type_key,
        "simplified": p.is_team_managed(),
        "style": p.style,
        // "Whether the project is private from the user's perspective" (OpenAPI
        // `Project.isPrivate`): for the caller, the connector, not the team-managed
        // access level.
        "isPrivate": ws.project_is_private_for(&ws.admin_account_id, p),
        "properties": {},
        "archived": p.archived,
    });
    if with_lead {
        v["lead"] = user_ref(base, ws, Some(&p.lead_account_id));
    }
    v
}

async fn project_search(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 100);
    let mut statuses: Vec<&str> = p
        .all("status")
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .collect();
    if statuses.is_empty() {
        statuses.push("live");
    }
    for s in &statuses {
        if !matches!(*s, "live" | "archived" | "deleted") {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Invalid project status '{s}'."),
            );
        }
    }
    let keys: Vec<&str> = p.all("keys");
    let with_lead = p.expands("lead");
    let ws = st.read();
    let projects: Vec<&Project> = ws
        .projects
        .iter()
        .filter(|pr| statuses.contains(&if pr.archived { "archived" } else { "live" }))
        .filter(|pr| keys.is_empty() || keys.iter().any(|k| k.eq_ignore_ascii_case(&pr.key)))
        .collect();
    let values = slice(&projects, start_at, max)
        .iter()
        .map(|pr| project_json(&st.base, &ws, pr, with_lead))
        .collect();
    ok(page(
        start_at,
        max,
        projects.len(),
        values,
        &st.base,
        "/rest/api/3/project/search",
    ))
}

fn project_or_404<'a>(ws: &'a Workspace, id_or_key: &str) -> Result<&'a Project, Response> {
    ws.project_by_id_or_key(id_or_key).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            format!("No project could be found with key '{id_or_key}'."),
        )
    })
}

async fn project_roles(State(st): State<AppState>, Path(id_or_key): Path<String>) -> Response {
    let ws = st.read();
    let p = tri!(project_or_404(&ws, &id_or_key));
    let mut m = Map::new();
    for r in &ws.project_roles {
        m.insert(
            r.name.clone(),
            json!(format!(
                "{}/rest/api/3/project/{}/role/{}",
                st.base, p.id, r.id
            )),
        );
    }
    ok(Value::Object(m))
}

/// `GET /rest/api/3/role`: every project role of the site (global; the actors shown
/// are the defaults for new projects, none here).
async fn global_roles(State(st): State<AppState>) -> Response {
    let ws = st.read();
    let roles: Vec<Value> = ws
        .project_roles
        .iter()
        .map(|r| {
            json!({
                "self": format!("{}/rest/api/3/role/{}", st.base, r.id),
                "name": r.name,
                "id": num(&r.id),
                "description": r.description,
                "actors": [],
            })
        })
        .collect();
    ok(Value::Array(roles))
}

async fn project_role(
    State(st): State<AppState>,
    Path((id_or_key, role_id)): Path<(String, String)>,
) -> Response {
    let ws = st.read();
    let p = tri!(project_or_404(&ws, &id_or_key));
    let Some(role) = ws.role_def(&role_id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("Can not retrieve a role actor for a null project role (role id {role_id})."),
        );
    };
    let mut actor_seq = 20000 + role.id.parse::<i64>().unwrap_or(0) * 100;
    let actors: Vec<Value> = p
        .role_actors
        .get(&role.id)
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            actor_seq += 1;
            match a {
                RoleActor::User { account_id } => ws.user(account_id).map(|u| {
                    json!({
                        "id": actor_seq,
                        "displayName": u.display_name,
                        "type": "atlassian-user-role-actor",
                        "actorUser": {"accountId": u.account_id},
                    })
                }),
                RoleActor::Group { group_id } => ws.group(group_id).map(|g| {
                    json!({
                        "id": actor_seq,
                        "displayName": g.name,
                        "type": "atlassian-group-role-actor",
                        "name": g.name,
                        "actorGroup": {"name": g.name, "displayName": g.name, "groupId": g.group_id},
                    })
                }),
            }
        })
        .collect();
    ok(json!({
        "self": format!("{}/rest/api/3/project/{}/role/{}", st.base, p.id, role.id),
        "name": role.name,
        "id": num(&role.id),
        "description": role.description,
        "actors": actors,
        "scope": {"type": "PROJECT", "project": {"id": p.id, "key": p.key, "name": p.name}},
    }))
}

fn holder_json(ws: &Workspace, h: &Holder) -> Value {
    let mut v = json!({"type": h.type_name()});
    let (param, value): (Option<String>, Option<String>) = match h {
        Holder::Anyone | Holder::ProjectLead | Holder::Reporter | Holder::Assignee => (None, None),
        Holder::ApplicationRole { key } => (key.clone(), None),
        Holder::Group { group_id } => (
            ws.group(group_id).map(|g| g.name.clone()),
            Some(group_id.clone()),
        ),
        Holder::User { account_id } => (Some(account_id.clone()), Some(account_id.clone())),
        Holder::ProjectRole { role_id } => (Some(role_id.clone()), Some(role_id.clone())),
        Holder::UserCustomField { field_id } | Holder::GroupCustomField { field_id } => {
            (Some(field_id.clone()), Some(field_id.clone()))
        }
    };
    if let Some(p) = param {
        v["parameter"] = json!(p);
    }
    if let Some(val) = value {
        v["value"] = json!(val);
    }
    v
}

fn scheme_summary(base: &str, s: &PermissionScheme) -> Value {
    json!({
        "expand": "permissions,user,group,projectRole,field,all",
        "id": num(&s.id),
        "self": format!("{base}/rest/api/3/permissionscheme/{}", s.id),
        "name": s.name,
        "description": s.description,
    })
}

async fn project_permission_scheme(
    State(st): State<AppState>,
    Path(id_or_key): Path<String>,
) -> Response {
    let ws = st.read();
    let p = tri!(project_or_404(&ws, &id_or_key));
    match p
        .permission_scheme_id
        .as_deref()
        .and_then(|s| ws.permission_scheme(s))
    {
        Some(s) => ok(scheme_summary(&st.base, s)),
        None => error(
            StatusCode::NOT_FOUND,
            format!(
                "Project '{}' is team-managed and has no permission scheme.",
                p.key
            ),
        ),
    }
}

async fn permission_scheme(
    State(st): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = Params::parse(q);
    let ws = st.read();
    let Some(s) = ws.permission_scheme(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("Permission scheme with id '{id}' does not exist."),
        );
    };
    ok(scheme_json(&st.base, &ws, s, p.expands("permissions")))
}

/// A permission scheme, with its grants when `permissions` is expanded.
fn scheme_json(base: &str, ws: &Workspace, s: &PermissionScheme, grants: bool) -> Value {
    let mut v = scheme_summary(base, s);
    if grants {
        v["permissions"] = Value::Array(
            s.grants
                .iter()
                .map(|g| {
                    json!({
                        "id": num(&g.id),
                        "self": format!("{base}/rest/api/3/permissionscheme/{}/permission/{}", s.id, g.id),
                        "holder": holder_json(ws, &g.holder),
                        "permission": g.permission,
                    })
                })
                .collect(),
        );
    }
    v
}

/// `GET /rest/api/3/permissionscheme`: every permission scheme of the site (not
/// paged), with their grants when `permissions` is expanded.
async fn permission_schemes(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let ws = st.read();
    let grants = p.expands("permissions");
    ok(json!({
        "permissionSchemes": ws
            .permission_schemes
            .iter()
            .map(|s| scheme_json(&st.base, &ws, s, grants))
            .collect::<Vec<_>>(),
    }))
}

async fn project_security_scheme(
    State(st): State<AppState>,
    Path(id_or_key): Path<String>,
) -> Response {
    let ws = st.read();
    let p = tri!(project_or_404(&ws, &id_or_key));
    let Some(s) = p
        .security_scheme_id
        .as_deref()
        .and_then(|s| ws.security_scheme(s))
    else {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "No issue security scheme is associated with project '{}'.",
                p.key
            ),
        );
    };
    let levels: Vec<Value> = s
        .levels
        .iter()
        .map(|l| {
            json!({
                "self": format!("{}/rest/api/3/securitylevel/{}", st.base, l.id),
                "id": l.id,
                "name": l.name,
                "description": l.description,
                "isDefault": s.default_level_id.as_deref() == Some(l.id.as_str()),
                "issueSecuritySchemeId": s.id,
            })
        })
        .collect();
    let mut v = json!({
        "self": format!("{}/rest/api/3/issuesecurityschemes/{}", st.base, s.id),
        "id": num(&s.id),
        "name": s.name,
        "description": s.description,
        "levels": levels,
    });
    if let Some(d) = &s.default_level_id {
        v["defaultSecurityLevelId"] = num(d);
    }
    ok(v)
}

/// The (scheme, level) pairs named by `schemeId` and level id filters (empty: all).
fn scheme_levels<'a>(
    ws: &'a Workspace,
    scheme_ids: &'a [&'a str],
    level_ids: &'a [&'a str],
) -> impl Iterator<Item = (&'a IssueSecurityScheme, &'a crate::model::SecurityLevel)> + 'a {
    ws.security_schemes
        .iter()
        .filter(|s| scheme_ids.is_empty() || scheme_ids.contains(&s.id.as_str()))
        .flat_map(move |s| {
            s.levels
                .iter()
                .filter(|l| level_ids.is_empty() || level_ids.contains(&l.id.as_str()))
                .map(move |l| (s, l))
        })
}

/// `GET /rest/api/3/issuesecurityschemes/search`: the schemes with the ids of the
/// projects using them (offset pages).
async fn security_schemes_search(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 100);
    let ids = p.all("id");
    let project_ids = p.all("projectId");
    let ws = st.read();
    let schemes: Vec<Value> = ws
        .security_schemes
        .iter()
        .filter(|s| ids.is_empty() || ids.contains(&s.id.as_str()))
        .filter_map(|s| {
            let using: Vec<Value> = ws
                .projects
                .iter()
                .filter(|p| p.security_scheme_id.as_deref() == Some(s.id.as_str()))
                .map(|p| num(&p.id))
                .collect();
            let wanted = project_ids.is_empty()
                || ws.projects.iter().any(|p| {
                    project_ids.contains(&p.id.as_str())
                        && p.security_scheme_id.as_deref() == Some(s.id.as_str())
                });
            wanted.then(|| {
                let mut v = json!({
                    "self": format!("{}/rest/api/3/issuesecurityschemes/{}", st.base, s.id),
                    "id": num(&s.id),
                    "name": s.name,
                    "description": s.description,
                    "projectIds": using,
                });
                if let Some(d) = &s.default_level_id {
                    v["defaultLevel"] = num(d);
                }
                v
            })
        })
        .collect();
    let values = slice(&schemes, start_at, max).to_vec();
    ok(page(
        start_at,
        max,
        schemes.len(),
        values,
        &st.base,
        "/rest/api/3/issuesecurityschemes/search",
    ))
}

/// `GET /rest/api/3/issuesecurityschemes/level`: levels of the named schemes (or of
/// all schemes), offset pages.
async fn security_levels(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 100);
    let scheme_ids = p.all("schemeId");
    let level_ids = p.all("id");
    let ws = st.read();
    let levels: Vec<Value> = scheme_levels(&ws, &scheme_ids, &level_ids)
        .map(|(s, l)| {
            json!({
                "self": format!("{}/rest/api/3/securitylevel/{}", st.base, l.id),
                "id": l.id,
                "name": l.name,
                "description": l.description,
                "isDefault": s.default_level_id.as_deref() == Some(l.id.as_str()),
                "issueSecuritySchemeId": s.id,
            })
        })
        .collect();
    let values = slice(&levels, start_at, max).to_vec();
    ok(page(
        start_at,
        max,
        levels.len(),
        values,
        &st.base,
        "/rest/api/3/issuesecurityschemes/level",
    ))
}

async fn security_level_members(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    let start_at = tri!(p.usize_or("startAt", 0));
    let max = tri!(p.usize_or("maxResults", 50)).clamp(1, 100);
    let scheme_ids = p.all("schemeId");
    let level_ids = p.all("levelId");
    let ws = st.read();
    let members: Vec<Value> = scheme_levels(&ws, &scheme_ids, &level_ids)
        .flat_map(|(s, l)| {
            l.members.iter().map(|m| {
                json!({
                    "id": m.id,
                    "issueSecurityLevelId": l.id,
                    "issueSecuritySchemeId": s.id,
                    "holder": holder_json(&ws, &m.holder),
                })
            })
        })
        .collect();
    let values = slice(&members, start_at, max).to_vec();
    ok(page(
        start_at,
        max,
        members.len(),
        values,
        &st.base,
        "/rest/api/3/issuesecurityschemes/level/member",
    ))
}

// ---------------------------------------------------------------------------------
// issues and comments
// ---------------------------------------------------------------------------------

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
struct FieldSel {
    fields: Vec<&'static str>,
}

impl FieldSel {
    /// Parses `fields` values (each a comma list). Empty → ids only.
    fn parse(values: &[String]) -> Self {
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
    fn has_content(&self) -> bool {
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

async fn get_issue(
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

async fn issue_comments(
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

async fn search_gone() -> Response {
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

async fn search_jql_get(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
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

async fn search_jql_post(State(st): State<AppState>, body: Bytes) -> Response {
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
async fn attachment_meta(State(st): State<AppState>, Path(id): Path<String>) -> Response {
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
async fn attachment_content(State(st): State<AppState>, Path(id): Path<String>) -> Response {
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

/// Most projects, and most issues, one `permissions/check` call may name ("A maximum
/// of 1000 projects and 1000 issues can be checked", OpenAPI).
pub const MAX_PERMISSION_CHECK_IDS: usize = 1000;

/// `POST /rest/api/3/permissions/check` (get bulk permissions), as the OpenAPI document
/// describes it: without `accountId` it answers for the caller (the connector); checking
/// another account needs *Administer Jira* (403 otherwise); `globalPermissions` grants
/// `ADMINISTER` to holders of Administer Jira (other global permissions are not
/// modelled: never granted); `projectPermissions` supports `BROWSE_PROJECTS` on
/// `projects` ([`Workspace::can_browse_project`]) and `issues`
/// ([`Workspace::can_see_issue`]). Invalid project and issue ids are ignored; more than
/// 1000 valid projects or issues is a 400.
async fn permissions_check(State(st): State<AppState>, body: Bytes) -> Response {
    let v = match json_body(&body) {
        Ok(v) => v,
        Err(res) => return res,
    };
    let ws = st.read();
    let caller = ws.admin_account_id.clone();
    let account = match v.get("accountId") {
        None | Some(Value::Null) => caller.clone(),
        Some(Value::String(a)) if *a == caller => caller.clone(),
        Some(other) => {
            if !ws.is_jira_admin(&caller) {
                return forbidden("Only Jira administrators can perform this operation.");
            }
            match other.as_str() {
                Some(a) if ws.user(a).is_some() => a.to_string(),
                _ => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "The user with account ID '{}' does not exist.",
                            other.as_str().unwrap_or_default()
                        ),
                    );
                }
            }
        }
    };
    // Nulls are ignored everywhere (OpenAPI).
    let global: Vec<String> = v
        .get("globalPermissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let mut granted_global: Vec<String> = Vec::new();
    for g in &global {
        if g == "ADMINISTER" && ws.is_jira_admin(&account) && !granted_global.contains(g) {
            granted_global.push(g.clone());
        }
    }
    let ids = |req: &Value, key: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for x in req.get(key).and_then(Value::as_array).into_iter().flatten() {
            let id = match x {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => continue,
            };
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    };
    let mut out = Vec::new();
    let (mut n_projects, mut n_issues) = (0usize, 0usize);
    for req in v
        .get("projectPermissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| !r.is_null())
    {
        // Invalid ids are ignored: only existing projects and issues count.
        let projects: Vec<&Project> = ids(req, "projects")
            .iter()
            .filter_map(|id| ws.projects.iter().find(|p| &p.id == id))
            .collect();
        let issues: Vec<&Issue> = ids(req, "issues")
            .iter()
            .filter_map(|id| ws.issue(id))
            .collect();
        n_projects += projects.len();
        n_issues += issues.len();
        if n_projects > MAX_PERMISSION_CHECK_IDS || n_issues > MAX_PERMISSION_CHECK_IDS {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "At most {MAX_PERMISSION_CHECK_IDS} projects and {MAX_PERMISSION_CHECK_IDS} issues can be checked."
                ),
            );
        }
        let perms: Vec<&str> = req
            .get("permissions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|p| !p.is_empty())
            .collect();
        if perms.is_empty() {
            return error(
                StatusCode::BAD_REQUEST,
                "projectPermissions must name at least one project permission.",
            );
        }
        for perm in perms {
            if perm != "BROWSE_PROJECTS" {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("jira-sim checks BROWSE_PROJECTS only, not {perm}."),
                );
            }
            let allowed_issues: Vec<Value> = issues
                .iter()
                .filter(|i| ws.can_see_issue(&account, &i.id))
                .map(|i| num(&i.id))
                .collect();
            let allowed_projects: Vec<Value> = projects
                .iter()
                .filter(|p| ws.can_browse_project(&account, &p.id))
                .map(|p| num(&p.id))
                .collect();
            out.push(
                json!({"permission": perm, "issues": allowed_issues, "projects": allowed_projects}),
            );
        }
    }
    ok(json!({"globalPermissions": granted_global, "projectPermissions": out}))
}

/// Most issues one `issue/bulkfetch` call may name (Jira: 100).
pub const MAX_BULKFETCH: usize = 100;

/// `POST /rest/api/3/issue/bulkfetch`: `{issueIdsOrKeys, fields, expand}` →
/// `{issues, issueErrors}`; ids or keys that do not exist are reported, not dropped.
async fn issue_bulkfetch(State(st): State<AppState>, body: Bytes) -> Response {
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

/// Largest page when content fields are requested / when only id and key are.
pub const MAX_CONTENT_PAGE: usize = 100;
pub const MAX_ID_PAGE: usize = 5000;

/// `POST /rest/api/3/search/approximate-count`: `{"jql": …}` → `{"count": n}` (the
/// simulator's count is exact; Jira's may lag recent changes).
async fn search_approximate_count(State(st): State<AppState>, body: Bytes) -> Response {
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

// ---------------------------------------------------------------------------------
// audit
// ---------------------------------------------------------------------------------

async fn audit_records(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
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

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "The simulator does not serve this resource.",
    )
}

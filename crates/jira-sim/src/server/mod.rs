//! Axum server speaking the Jira Cloud REST v3 shapes on loopback.
//!
//! Only the connector's account (basic auth `admin_email:admin_api_token`) is accepted;
//! it reads everything (the server does not filter by permission). Errors are Jira-style
//! `{"errorMessages":[…],"errors":{}}` JSON bodies.
//!
//! This module owns starting the server ([`start`], [`start_with`]), the handle on it
//! ([`SimHandle`]) and the routes. The handlers live by REST area: `users` (users,
//! groups, application roles), `projects` (projects and roles), `schemes` (permission
//! and issue security schemes), `issues` (issues, comments, bulk fetch), `search`
//! (JQL), `attachments`, `permissions` (`permissions/check`) and `audit`; `edge` holds
//! what sits around them (gateway, authentication, faults, OAuth and the `/_sim/`
//! admin API), `state` what they share and `reply` how they answer.

#![allow(clippy::result_large_err)] // handlers return ready-made error `Response`s

mod attachments;
mod audit;
mod edge;
mod issues;
mod permissions;
mod projects;
mod reply;
mod schemes;
mod search;
mod state;
mod users;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::ServiceExt;
use axum::extract::Request;
use axum::middleware;
use axum::routing::{get, post};
use serde_json::Value;
use tower::Layer;
use tower::util::MapRequestLayer;

use crate::faults::{FaultConfig, FaultState, RequestRecord};
use crate::model::Workspace;
use crate::oauth::{OAuthConfig, OAuthState, OAuthStats};
use state::AppState;

pub use crate::render::INLINE_COMMENTS;
pub use issues::{ALL_FIELDS, MAX_BULKFETCH};
pub use permissions::MAX_PERMISSION_CHECK_IDS;
pub use search::{MAX_CONTENT_PAGE, MAX_ID_PAGE};

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
    /// Faults to inject (none by default).
    pub faults: FaultConfig,
    /// The OAuth app and cloud id accepted.
    pub oauth: OAuthConfig,
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
        .route("/rest/api/3/myself", get(users::myself))
        .route("/rest/api/3/users/search", get(users::users_search))
        .route("/rest/api/3/user", get(users::user_get))
        .route("/rest/api/3/user/bulk", get(users::user_bulk))
        .route("/rest/api/3/group/bulk", get(users::group_bulk))
        .route("/rest/api/3/group/member", get(users::group_member))
        .route("/rest/api/3/applicationrole", get(users::application_roles))
        .route("/rest/api/3/project/search", get(projects::project_search))
        .route("/rest/api/3/role", get(projects::global_roles))
        .route(
            "/rest/api/3/issuesecurityschemes/search",
            get(schemes::security_schemes_search),
        )
        .route(
            "/rest/api/3/issuesecurityschemes/level",
            get(schemes::security_levels),
        )
        .route(
            "/rest/api/3/project/{id_or_key}/role",
            get(projects::project_roles),
        )
        .route(
            "/rest/api/3/project/{id_or_key}/role/{role_id}",
            get(projects::project_role),
        )
        .route(
            "/rest/api/3/project/{id_or_key}/permissionscheme",
            get(schemes::project_permission_scheme),
        )
        .route(
            "/rest/api/3/permissionscheme",
            get(schemes::permission_schemes),
        )
        .route(
            "/rest/api/3/permissionscheme/{id}",
            get(schemes::permission_scheme),
        )
        .route(
            "/rest/api/3/project/{id_or_key}/issuesecuritylevelscheme",
            get(schemes::project_security_scheme),
        )
        .route(
            "/rest/api/3/issuesecurityschemes/level/member",
            get(schemes::security_level_members),
        )
        .route(
            "/rest/api/3/search/jql",
            get(search::search_jql_get).post(search::search_jql_post),
        )
        .route(
            "/rest/api/3/search/approximate-count",
            post(search::search_approximate_count),
        )
        .route(
            "/rest/api/3/search",
            get(search::search_gone).post(search::search_gone),
        )
        .route("/rest/api/3/issue/bulkfetch", post(issues::issue_bulkfetch))
        .route(
            "/rest/api/3/permissions/check",
            post(permissions::permissions_check),
        )
        .route(
            "/rest/api/3/attachment/{id}",
            get(attachments::attachment_meta),
        )
        .route(
            "/rest/api/3/attachment/content/{id}",
            get(attachments::attachment_content),
        )
        .route("/rest/api/3/issue/{id_or_key}", get(issues::get_issue))
        .route(
            "/rest/api/3/issue/{id_or_key}/comment",
            get(issues::issue_comments),
        )
        .route("/rest/api/3/auditing/record", get(audit::audit_records))
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
        .fallback(reply::not_found)
        // Outermost first: faults see every REST request, authenticated or not.
        .layer(middleware::from_fn_with_state(state.clone(), edge::auth))
        .layer(middleware::from_fn_with_state(state.clone(), edge::faults))
        .with_state(state)
}

//! `jira-index serve` end to end, over real HTTP on loopback: a running server in
//! front of a data directory synced (by the server itself, at startup) from the
//! simulator. Checks 401s and refused impersonation, that API results equal the
//! oracle for every person, the 404 that does not leak existence, a trusted proxy,
//! admin-only status and sync control, webhook-driven updates (a deletion and a new
//! comment visible in search within 5 s, an unsigned webhook refused), metrics, MCP
//! over streamable HTTP, and a restart that loses nothing.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use jira_index_tests::SimSite;
use jira_sim::admin::Mutation;
use jira_sim::generate::GenConfig;
use jira_sim::model::{MARKER_IN_DESCRIPTION, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ALICE_KEY: &str = "alice-key-0123456789abcdef";
const FRONTEND_KEY: &str = "frontend-key-0123456789abcdef";
const ADMIN_KEY: &str = "admin-key-0123456789abcdef";
const WEBHOOK_SECRET: &str = "webhook-secret-0123456789";
const PROXY_SECRET: &str = "proxy-secret-0123456789";

fn serve_toml() -> String {
    let hash = serve::auth::key_hash;
    format!(
        r#"[serve]
sync_interval_minutes = 0
metrics_public = true
webhook_secret_env = "SERVE_E2E_WEBHOOK_SECRET"

[[serve.api_keys]]
name = "alice"
sha256 = "{}"
email = "alice@example.com"

[[serve.api_keys]]
name = "frontend"
sha256 = "{}"
scopes = ["impersonate"]

[[serve.api_keys]]
name = "ops"
sha256 = "{}"
scopes = ["admin"]

[serve.trusted_proxy]
secret_env = "SERVE_E2E_PROXY_SECRET"
"#,
        hash(ALICE_KEY),
        hash(FRONTEND_KEY),
        hash(ADMIN_KEY)
    )
}

/// Checks a response body against a schema of `schemas/serve-openapi.json`.
fn conforms(component: &str, value: &Value) {
    let doc: Value = serde_json::from_str(include_str!("../schemas/serve-openapi.json")).unwrap();
    let mut root = json!({ "$ref": format!("#/components/schemas/{component}") });
    root["components"] = doc["components"].clone();
    let validator = jsonschema::validator_for(&root).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{component}: {errors:?}\n{value}");
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn search(&self, key: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .http
            .post(format!("{}/v1/search", self.base))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn search_keys(&self, as_email: &str, query: &str) -> BTreeSet<String> {
        let (status, body) = self
            .search(
                FRONTEND_KEY,
                json!({"query": query, "as": as_email, "limit": 100}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        conforms("SearchResponse", &body);
        body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["issue_key"].as_str().unwrap().to_string())
            .collect()
    }

    async fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

async fn start(site: &SimSite) -> serve::Server {
    serve::start(site.config.clone(), None, Some(([127, 0, 0, 1], 0).into()))
        .await
        .unwrap()
}

/// Waits until the server answers searches (its startup sync is done).
async fn wait_ready(api: &Api) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, _) = api.search(ALICE_KEY, json!({"query": "x"})).await;
        if status == StatusCode::OK {
            return;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(Instant::now() < deadline, "the startup sync did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `check` until it holds; returns how long it took.
async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_api_auth_webhooks_mcp_restart() {
    // SAFETY: set before the server starts; no other thread of this test binary reads
    // the environment concurrently (this is its only test).
    unsafe {
        std::env::set_var("SERVE_E2E_WEBHOOK_SECRET", WEBHOOK_SECRET);
        std::env::set_var("SERVE_E2E_PROXY_SECRET", PROXY_SECRET);
    }
    let tmp = tempfile::tempdir().unwrap();
    let site = jira_index_tests::start_workspace(
        jira_sim::generate(&GenConfig::skeleton(2)),
        &tmp.path().join("data"),
        false,
        &serve_toml(),
    )
    .await
    .unwrap();
    let server = start(&site).await;
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("http://{}", server.addr),
    };
    wait_ready(&api).await;
    let ws: Workspace = site.handle.workspace().read().unwrap().clone();

    // --- authentication -----------------------------------------------------------
    for (path, key) in [
        ("/v1/issues/ENG-1", None),
        ("/v1/status", None),
        ("/v1/projects", Some("wrong-key")),
    ] {
        let (status, body) = api.get(path, key).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
    let res = api
        .http
        .post(format!("{}/v1/search", api.base))
        .json(&json!({"query": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));
    let res = api
        .http
        .post(format!("{}/mcp", api.base))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "MCP needs credentials"
    );
    // Impersonation without the scope is refused; as oneself it is fine.
    let (status, body) = api
        .search(
            ALICE_KEY,
            json!({"query": MARKER_IN_DESCRIPTION, "as": "bob@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = api
        .search(
            ALICE_KEY,
            json!({"query": MARKER_IN_DESCRIPTION, "as": "ALICE@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A key with no identity must name one.
    let (status, _) = api
        .search(FRONTEND_KEY, json!({"query": MARKER_IN_DESCRIPTION}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Non-admins get no status and cannot trigger syncs.
    assert_eq!(
        api.get("/v1/status", Some(ALICE_KEY)).await.0,
        StatusCode::FORBIDDEN
    );

    // --- every person's results equal the oracle ------------------------------------
    let people: Vec<_> = ws
        .users
        .iter()
        .filter(|u| u.email_visible && u.account_type == "atlassian")
        .collect();
    assert!(people.len() >= 8);
    for person in &people {
        let got = api.search_keys(&person.email, MARKER_IN_DESCRIPTION).await;
        let want = ws.issues_matching(&person.account_id, MARKER_IN_DESCRIPTION);
        assert_eq!(got, want, "{}", person.email);
    }

    // --- GET /v1/issues: 404 for hidden and for missing, same shape ------------------
    let alice = ws.user_by_email("alice@example.com").unwrap().clone();
    let visible = ws.visible_issue_keys(&alice.account_id);
    let hidden = ws
        .issues
        .iter()
        .find(|i| !visible.contains(&i.key))
        .expect("some issue alice may not open");
    let shown = ws
        .issues
        .iter()
        .find(|i| visible.contains(&i.key) && !i.comments.is_empty())
        .expect("a visible issue with comments");
    let (status, body) = api
        .get(&format!("/v1/issues/{}", shown.key), Some(ALICE_KEY))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    conforms("IssueView", &body);
    assert_eq!(body["issue_key"], json!(shown.key));
    let visible_comments: BTreeSet<String> = shown
        .comments
        .iter()
        .filter(|c| ws.can_see_comment(&alice.account_id, &c.id))
        .map(|c| c.id.clone())
        .collect();
    let got_comments: BTreeSet<String> = body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got_comments, visible_comments, "comments alice may see");
    let (s_hidden, b_hidden) = api
        .get(&format!("/v1/issues/{}", hidden.key), Some(ALICE_KEY))
        .await;
    let (s_missing, b_missing) = api.get("/v1/issues/NOPE-99999", Some(ALICE_KEY)).await;
    assert_eq!(s_hidden, StatusCode::NOT_FOUND);
    conforms("Error", &b_hidden);
    assert_eq!(s_missing, StatusCode::NOT_FOUND);
    assert_eq!(
        b_hidden["error"]
            .as_str()
            .unwrap()
            .replace(&hidden.key, "K"),
        b_missing["error"]
            .as_str()
            .unwrap()
            .replace("NOPE-99999", "K"),
        "a hidden issue answers exactly like a missing one"
    );

    // --- trusted proxy ----------------------------------------------------------------
    let bob = ws.user_by_email("bob@example.com").unwrap().clone();
    let res = api
        .http
        .post(format!("{}/v1/search", api.base))
        .header("x-proxy-secret", PROXY_SECRET)
        .header("x-forwarded-email", "bob@example.com")
        .json(&json!({"query": MARKER_IN_DESCRIPTION, "limit": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let got: BTreeSet<String> = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["issue_key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        got,
        ws.issues_matching(&bob.account_id, MARKER_IN_DESCRIPTION)
    );
    let res = api
        .http
        .post(format!("{}/v1/search", api.base))
        .header("x-forwarded-email", "bob@example.com")
        .json(&json!({"query": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "an email header without the proxy secret is not trusted"
    );

    // --- webhooks -----------------------------------------------------------------------
    let hook = format!("{}/webhooks/jira", api.base);
    let res = api
        .http
        .post(&hook)
        .json(&json!({"webhookEvent": "jira:issue_deleted", "issue": {"id": shown.id}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "unsigned webhook");
    site.handle.add_webhook(&hook, WEBHOOK_SECRET);
    // Jira retries a delivery with the same X-Atlassian-Webhook-Identifier: applied
    // once.
    let retried = serde_json::to_vec(
        &json!({"webhookEvent": "jira:issue_updated", "issue": {"id": shown.id}}),
    )
    .unwrap();
    let mut answers = Vec::new();
    for _ in 0..2 {
        let res = api
            .http
            .post(&hook)
            .header("content-type", "application/json")
            .header(
                "x-hub-signature",
                jira_sim::webhooks::sign(WEBHOOK_SECRET, &retried),
            )
            .header("x-atlassian-webhook-identifier", "retried-delivery-1")
            .body(retried.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        answers.push(res.json::<Value>().await.unwrap());
    }
    assert_eq!(answers[0]["queued"], true, "{answers:?}");
    assert_eq!(answers[1]["duplicate"], true, "{answers:?}");

    // A new comment with a fresh word: searchable by alice within 5 s.
    site.handle
        .mutate(vec![Mutation::AddComment {
            issue: shown.key.clone(),
            author: alice.account_id.clone(),
            text: "the quetzalcoatl migration plan".into(),
            visibility: None,
        }])
        .unwrap();
    let took = within(Duration::from_secs(5), "new comment searchable", || async {
        api.search_keys("alice@example.com", "quetzalcoatl").await
            == BTreeSet::from([shown.key.clone()])
    })
    .await;
    eprintln!("webhook comment searchable after {took:?}");

    // A deletion: gone from every search within 5 s.
    site.handle
        .mutate(vec![Mutation::DeleteIssue {
            issue: shown.key.clone(),
            actor: None,
        }])
        .unwrap();
    let took = within(Duration::from_secs(5), "deleted issue gone", || async {
        api.search_keys("alice@example.com", "quetzalcoatl")
            .await
            .is_empty()
            && api
                .get(&format!("/v1/issues/{}", shown.key), Some(ALICE_KEY))
                .await
                .0
                == StatusCode::NOT_FOUND
    })
    .await;
    eprintln!("webhook deletion applied after {took:?}");
    // A group change (Jira: user_updated): bob leaves engineering, and his searches
    // shrink to what the oracle now allows, within 5 s.
    let engineering = ws
        .groups
        .iter()
        .find(|g| g.name == "engineering")
        .unwrap()
        .group_id
        .clone();
    let bob_before = api
        .search_keys("bob@example.com", MARKER_IN_DESCRIPTION)
        .await;
    site.handle
        .mutate(vec![Mutation::RemoveGroupMember {
            group_id: engineering,
            account_id: bob.account_id.clone(),
        }])
        .unwrap();
    let bob_after = site
        .handle
        .workspace()
        .read()
        .unwrap()
        .issues_matching(&bob.account_id, MARKER_IN_DESCRIPTION);
    assert!(bob_after.len() < bob_before.len(), "the change matters");
    let took = within(Duration::from_secs(5), "group removal applied", || async {
        api.search_keys("bob@example.com", MARKER_IN_DESCRIPTION)
            .await
            == bob_after
    })
    .await;
    eprintln!("webhook group change applied after {took:?}");
    assert!(
        site.handle
            .webhook_deliveries()
            .iter()
            .all(|d| d.status == 202),
        "{:?}",
        site.handle.webhook_deliveries()
    );

    // --- sync control: runs never overlap ------------------------------------------------
    let mut started = 0;
    for _ in 0..4 {
        let res = api
            .http
            .post(format!("{}/v1/sync", api.base))
            .bearer_auth(ADMIN_KEY)
            .send()
            .await
            .unwrap();
        match res.status() {
            StatusCode::ACCEPTED => started += 1,
            StatusCode::CONFLICT => {}
            other => panic!("POST /v1/sync: {other}"),
        }
    }
    assert!(started >= 1);
    assert_eq!(
        api.http
            .post(format!("{}/v1/sync", api.base))
            .bearer_auth(ALICE_KEY)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    within(Duration::from_secs(60), "manual syncs finished", || async {
        let (_, body) = api.get("/v1/status", Some(ADMIN_KEY)).await;
        body["current_run"].is_null()
    })
    .await;
    let (status, body) = api.get("/v1/status", Some(ADMIN_KEY)).await;
    assert_eq!(status, StatusCode::OK);
    conforms("StatusResponse", &body);
    let (status, projects) = api.get("/v1/projects", Some(ALICE_KEY)).await;
    assert_eq!(status, StatusCode::OK);
    conforms("ProjectsResponse", &projects);
    let runs = body["status"]["runs"].as_array().unwrap();
    assert!(runs.len() > started, "startup run plus the manual ones");
    for pair in runs.windows(2) {
        assert!(
            pair[0]["finished_ms"].as_i64() <= pair[1]["started_ms"].as_i64(),
            "two runs overlapped: {pair:?}"
        );
    }

    // --- metrics ----------------------------------------------------------------------------
    let text = api
        .http
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("jira_index_http_requests_total{route=\"/v1/search\",status=\"200\"}"));
    assert!(
        text.contains("jira_index_webhooks_total{event=\"jira:issue_deleted\",outcome=\"queued\"}")
    );
    assert!(text.contains("jira_index_webhook_issue_updates_total{result=\"deleted\"} 1"));
    assert!(text.contains("jira_index_auth_failures_total"));
    assert!(!text.contains("alice"), "no identities in metrics");

    // --- MCP over streamable HTTP ----------------------------------------------------------
    mcp_over_http(&api.base, &ws).await;

    // --- restart: same answers, no sync needed ------------------------------------------------
    let before: Vec<BTreeSet<String>> = {
        let mut out = Vec::new();
        for p in &people {
            out.push(api.search_keys(&p.email, MARKER_IN_DESCRIPTION).await);
        }
        out
    };
    server.shutdown().await.unwrap();
    let requests_before = site.handle.request_count();
    let server = start(&site).await;
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("http://{}", server.addr),
    };
    for (p, want) in people.iter().zip(&before) {
        assert_eq!(
            &api.search_keys(&p.email, MARKER_IN_DESCRIPTION).await,
            want,
            "{} after restart",
            p.email
        );
    }
    assert_eq!(
        site.handle.request_count(),
        requests_before,
        "a restart of a synced server asks Jira nothing"
    );

    // --- the scheduler: off in this config; turned on while serving, it runs on its
    // interval, one at a time; turned off, it stops -----------------------------------
    assert_eq!(server.state.runner.next_scheduled_ms(), None);
    let runs_before = server.state.runner.runs_finished();
    server.state.runner.set_schedule(Duration::from_millis(300));
    within(Duration::from_secs(60), "two scheduled runs", || async {
        server.state.runner.runs_finished() >= runs_before + 2
    })
    .await;
    server.state.runner.set_schedule(Duration::ZERO);
    within(Duration::from_secs(30), "the schedule off", || async {
        server.state.runner.next_scheduled_ms().is_none() && server.state.runner.current().is_none()
    })
    .await;
    let runs_after = server.state.runner.runs_finished();
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        server.state.runner.runs_finished(),
        runs_after,
        "no run once the schedule is off"
    );
    server.shutdown().await.unwrap();
}

async fn mcp_over_http(base: &str, ws: &Workspace) {
    use rmcp::ServiceExt;
    use rmcp::model::CallToolRequestParams;
    use rmcp::transport::StreamableHttpClientTransport;
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

    let config = StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp"))
        .auth_header(ALICE_KEY.to_string());
    let client =
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await
            .expect("MCP client connects with alice's key");
    let tools = client.list_all_tools().await.unwrap();
    let names: BTreeSet<String> = tools.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "get_jira_issue".to_string(),
            "list_jira_projects".to_string(),
            "search_jira".to_string()
        ])
    );
    let call = |name: &'static str, args: Value| {
        let client = &client;
        async move {
            let res = client
                .call_tool(
                    CallToolRequestParams::new(name)
                        .with_arguments(args.as_object().unwrap().clone()),
                )
                .await
                .unwrap();
            let texts: Vec<String> = res
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect();
            (res.is_error.unwrap_or(false), texts)
        }
    };
    let alice = ws.user_by_email("alice@example.com").unwrap();
    let (err, texts) = call(
        "search_jira",
        json!({"query": MARKER_IN_DESCRIPTION, "limit": 50}),
    )
    .await;
    assert!(!err, "{texts:?}");
    assert_eq!(texts[0], serve::mcp::UNTRUSTED_NOTICE);
    let body: Value = serde_json::from_str(&texts[1]).unwrap();
    let got: BTreeSet<String> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["issue_key"].as_str().unwrap().to_string())
        .collect();
    let current = ws.issues_matching(&alice.account_id, MARKER_IN_DESCRIPTION);
    assert!(
        got.is_subset(&current) && !got.is_empty(),
        "MCP search as alice: {got:?} vs {current:?}"
    );
    assert!(body["results"][0]["untrusted_snippet"].is_string());

    let visible = ws.visible_issue_keys(&alice.account_id);
    let hidden = ws
        .issues
        .iter()
        .find(|i| !visible.contains(&i.key))
        .unwrap();
    let (err, texts) = call("get_jira_issue", json!({"key": hidden.key})).await;
    assert!(err, "a hidden issue is an error: {texts:?}");
    assert!(texts[0].ends_with("not found"), "{texts:?}");
    let some_visible = got.iter().next().unwrap().clone();
    let (err, texts) = call("get_jira_issue", json!({"key": some_visible})).await;
    assert!(!err, "{texts:?}");
    let issue: Value = serde_json::from_str(&texts[1]).unwrap();
    assert_eq!(issue["issue_key"], json!(some_visible));
    // Every field people write in Jira is marked untrusted; only ids, keys, URLs and
    // times are not.
    let plain: Vec<&String> = issue
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with("untrusted_"))
        .collect();
    for k in &plain {
        assert!(
            [
                "issue_key",
                "project_key",
                "url",
                "updated",
                "comments",
                "attachments"
            ]
            .contains(&k.as_str()),
            "{k} is not marked untrusted: {issue}"
        );
    }
    assert!(issue.get("untrusted_status").is_some() && issue.get("untrusted_labels").is_some());

    let (err, texts) = call("list_jira_projects", json!({})).await;
    assert!(!err, "{texts:?}");
    let projects: Value = serde_json::from_str(&texts[1]).unwrap();
    let keys: BTreeSet<String> = projects["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = visible
        .iter()
        .filter_map(|k| k.split('-').next().map(str::to_string))
        .collect();
    // The deleted issue's project may have other visible issues; every listed
    // project must hold one alice may open now.
    assert!(
        keys.is_subset(&want) && !keys.is_empty(),
        "{keys:?} vs {want:?}"
    );
    client.cancel().await.unwrap();
}

//! Behaviour of the client against a tiny local axum server standing in for Jira:
//! auth header, Retry-After, backoff on 5xx, error mapping, and every paging style.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use jira_cloud::model::RoleActor;
use jira_cloud::{Auth, ClientConfig, JiraClient, JiraError, JqlRequest};
use serde_json::{Value, json};

#[derive(Clone, Debug)]
struct Hit {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    at: Instant,
    auth: Option<String>,
    body: Option<Value>,
    /// How many earlier hits had the same path.
    nth: usize,
}

impl Hit {
    fn param(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
    fn params(&self, k: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn num(&self, k: &str) -> usize {
        self.param(k).and_then(|v| v.parse().ok()).unwrap_or(0)
    }
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
    /// Time the server takes before answering.
    delay: Duration,
    /// Raw bytes instead of the JSON body.
    raw: Option<Vec<u8>>,
}

fn ok(body: Value) -> Reply {
    Reply {
        status: 200,
        headers: vec![],
        body,
        delay: Duration::ZERO,
        raw: None,
    }
}

fn status(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: vec![],
        body,
        delay: Duration::ZERO,
        raw: None,
    }
}

fn throttle(header: &'static str, value: String) -> Reply {
    Reply {
        status: 429,
        headers: vec![(header, value)],
        body: json!({}),
        delay: Duration::ZERO,
        raw: None,
    }
}

type Responder = Arc<dyn Fn(&Hit) -> Reply + Send + Sync>;

#[derive(Clone)]
struct MockState {
    log: Arc<Mutex<Vec<Hit>>>,
    respond: Responder,
    /// (requests being answered now, most at once).
    in_flight: Arc<Mutex<(usize, usize)>>,
}

struct Mock {
    base_url: String,
    log: Arc<Mutex<Vec<Hit>>>,
    in_flight: Arc<Mutex<(usize, usize)>>,
}

impl Mock {
    fn hits(&self) -> Vec<Hit> {
        self.log.lock().unwrap().clone()
    }
    fn client(&self) -> JiraClient {
        JiraClient::new(self.config()).unwrap()
    }
    fn config(&self) -> ClientConfig {
        ClientConfig::new(
            self.base_url.clone(),
            Auth::basic("admin@example.com", "s3cret-token"),
        )
    }
}

async fn handle(State(st): State<MockState>, req: Request) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).ok();
    let hit = {
        let mut log = st.log.lock().unwrap();
        let nth = log.iter().filter(|h| h.path == path).count();
        let hit = Hit {
            method,
            path,
            query,
            at: Instant::now(),
            auth,
            body,
            nth,
        };
        log.push(hit.clone());
        hit
    };
    let reply = (st.respond)(&hit);
    {
        let mut g = st.in_flight.lock().unwrap();
        g.0 += 1;
        g.1 = g.1.max(g.0);
    }
    tokio::time::sleep(reply.delay).await;
    st.in_flight.lock().unwrap().0 -= 1;
    let is_raw = reply.raw.is_some();
    let mut resp = Response::new(match reply.raw {
        Some(raw) => Body::from(raw),
        None => Body::from(reply.body.to_string()),
    });
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    let content_type = if is_raw {
        "application/octet-stream"
    } else {
        "application/json"
    };
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    for (k, v) in reply.headers {
        resp.headers_mut()
            .insert(k, HeaderValue::from_str(&v).unwrap());
    }
    resp
}

async fn mock(respond: impl Fn(&Hit) -> Reply + Send + Sync + 'static) -> Mock {
    let log = Arc::new(Mutex::new(Vec::new()));
    let in_flight = Arc::new(Mutex::new((0, 0)));
    let state = MockState {
        log: log.clone(),
        respond: Arc::new(respond),
        in_flight: in_flight.clone(),
    };
    let app = axum::Router::new().fallback(handle).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Mock {
        base_url: format!("http://{addr}/"),
        log,
        in_flight,
    }
}

fn user(i: usize) -> Value {
    json!({"accountId": format!("acc-{i}"), "accountType": "atlassian", "displayName": format!("User {i}"), "active": true})
}

#[tokio::test]
async fn sends_basic_auth_and_reads_myself() {
    let m = mock(|_| ok(user(1))).await;
    let c = m.client();
    let me = c.myself().await.unwrap();
    assert_eq!(me.account_id, "acc-1");
    let hits = m.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].path, "/rest/api/3/myself");
    // base64("admin@example.com:s3cret-token")
    assert_eq!(
        hits[0].auth.as_deref(),
        Some("Basic YWRtaW5AZXhhbXBsZS5jb206czNjcmV0LXRva2Vu")
    );
    assert_eq!(c.request_count(), 1);
    assert_eq!(c.base_url(), m.base_url.trim_end_matches('/'));
    assert_eq!(
        c.browse_url("DEMO-1"),
        format!("{}browse/DEMO-1", m.base_url)
    );
    assert!(!format!("{c:?}").contains("s3cret-token"));
}

#[tokio::test]
async fn honours_retry_after_before_retrying() {
    let m = mock(|h| {
        if h.nth == 0 {
            throttle("Retry-After", "1".into())
        } else {
            ok(user(1))
        }
    })
    .await;
    let c = m.client();
    let me = c.myself().await.unwrap();
    assert_eq!(me.account_id, "acc-1");
    let hits = m.hits();
    assert_eq!(hits.len(), 2);
    let gap = hits[1].at - hits[0].at;
    assert!(
        gap >= Duration::from_secs(1),
        "retried after {gap:?}, before Retry-After passed"
    );
    assert!(gap < Duration::from_secs(3), "waited far too long: {gap:?}");
    assert_eq!(c.request_count(), 2);
    assert_eq!(c.rate_budget().throttled, 1);
}

#[tokio::test]
async fn retry_after_blocks_every_request_to_the_site() {
    let m = mock(|h| {
        if h.path.ends_with("/myself") && h.nth == 0 {
            throttle("Retry-After", "1".into())
        } else if h.path.ends_with("/myself") {
            ok(user(1))
        } else {
            ok(json!([]))
        }
    })
    .await;
    let c = m.client();
    let other = JiraClient::new(m.config()).unwrap(); // a second client of the same site
    let first = tokio::spawn({
        let c = c.clone();
        async move { c.myself().await }
    });
    // Let the 429 arrive, then ask for something else from another client.
    tokio::time::sleep(Duration::from_millis(300)).await;
    other.users().await.unwrap();
    first.await.unwrap().unwrap();
    let hits = m.hits();
    let throttled_at = hits[0].at;
    let users_at = hits
        .iter()
        .find(|h| h.path.ends_with("/users/search"))
        .unwrap()
        .at;
    assert!(
        users_at - throttled_at >= Duration::from_secs(1),
        "another request went out {:?} after a 429 asking for 1 s",
        users_at - throttled_at
    );
}

#[tokio::test]
async fn x_ratelimit_reset_is_used_without_retry_after() {
    let m = mock(|h| {
        if h.nth == 0 {
            let at_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64
                + 1200;
            throttle("X-RateLimit-Reset", jira_cloud::format_epoch_ms(at_ms))
        } else {
            ok(user(2))
        }
    })
    .await;
    m.client().myself().await.unwrap();
    let hits = m.hits();
    // Millisecond rounding of the header: allow 1 ms.
    assert!(
        hits[1].at - hits[0].at >= Duration::from_millis(1199),
        "{:?}",
        hits[1].at - hits[0].at
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let m = mock(|h| {
        if h.nth < 2 {
            status(503, json!({"errorMessages": ["busy"]}))
        } else {
            ok(user(3))
        }
    })
    .await;
    let c = m.client();
    assert_eq!(c.myself().await.unwrap().account_id, "acc-3");
    let hits = m.hits();
    assert_eq!(hits.len(), 3);
    // Backoff: [250, 500] ms then [500, 1000] ms.
    assert!(hits[1].at - hits[0].at >= Duration::from_millis(250));
    assert!(hits[2].at - hits[1].at >= Duration::from_millis(500));
}

#[tokio::test]
async fn retries_are_bounded() {
    let m = mock(|_| status(500, json!({"errorMessages": ["boom"]}))).await;
    let mut cfg = m.config();
    cfg.max_retries = 1;
    let err = JiraClient::new(cfg).unwrap().myself().await.unwrap_err();
    match err {
        JiraError::RetriesExhausted {
            attempts,
            last,
            url,
        } => {
            assert_eq!(attempts, 2);
            assert!(last.contains("500") && last.contains("boom"), "{last}");
            assert!(url.ends_with("/rest/api/3/myself"), "{url}");
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    assert_eq!(m.hits().len(), 2);
}

#[tokio::test]
async fn connection_errors_are_retried_and_reported() {
    // Bind then drop a listener: nothing listens on that port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = ClientConfig::new(
        format!("http://127.0.0.1:{port}"),
        Auth::basic("a@b.c", "t"),
    );
    cfg.max_retries = 1;
    let c = JiraClient::new(cfg).unwrap();
    let err = c.myself().await.unwrap_err();
    assert!(
        matches!(err, JiraError::RetriesExhausted { attempts: 2, .. }),
        "{err:?}"
    );
    assert_eq!(c.request_count(), 2);
}

#[tokio::test]
async fn bad_request_carries_jiras_messages() {
    let m = mock(|_| {
        status(
            400,
            json!({"errorMessages": ["Error in the JQL Query: unexpected 'x'."], "errors": {"jql": "invalid"}}),
        )
    })
    .await;
    let err = m
        .client()
        .search_jql_all(&JqlRequest::new("project = x x"))
        .await
        .unwrap_err();
    match &err {
        JiraError::Http {
            status,
            messages,
            url,
        } => {
            assert_eq!(*status, 400);
            assert_eq!(
                messages,
                &vec![
                    "Error in the JQL Query: unexpected 'x'.".to_string(),
                    "jql: invalid".to_string()
                ]
            );
            assert!(url.ends_with("/rest/api/3/search/jql"));
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert!(err.to_string().contains("unexpected 'x'"));
    assert_eq!(m.hits().len(), 1, "a 400 is never retried");
}

#[tokio::test]
async fn gone_and_unauthorized_and_not_found() {
    let m = mock(|h| match h.path.as_str() {
        p if p.ends_with("/myself") => status(401, json!({})),
        p if p.ends_with("/users/search") => status(410, json!({"errorMessages": ["removed"]})),
        _ => status(
            404,
            json!({"errorMessages": ["No project could be found with key 'NOPE'."]}),
        ),
    })
    .await;
    let c = m.client();
    assert!(matches!(
        c.myself().await,
        Err(JiraError::Unauthorized { .. })
    ));
    assert!(matches!(c.users().await, Err(JiraError::Gone { .. })));
    let err = c.project_roles("NOPE").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    // 404 on the security scheme means "none".
    assert_eq!(c.project_security_scheme("NOPE").await.unwrap(), None);
    assert_eq!(m.hits().len(), 4);
}

#[tokio::test]
async fn decode_errors_name_the_url() {
    let m = mock(|_| ok(json!({"not": "a user"}))).await;
    let err = m.client().myself().await.unwrap_err();
    match err {
        JiraError::Decode { url, detail } => {
            assert!(url.ends_with("/myself"));
            assert!(detail.contains("accountId"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn users_bare_array_pages_stop_on_short_page() {
    let m = mock(|h| {
        let start = h.num("startAt");
        let max = h.num("maxResults");
        let page: Vec<Value> = (start..(start + max).min(2_500)).map(user).collect();
        ok(Value::Array(page))
    })
    .await;
    let users = m.client().users().await.unwrap();
    assert_eq!(users.len(), 2_500);
    assert_eq!(users[2_499].account_id, "acc-2499");
    // Pages of 1,000 (the most users/search returns), whatever the issue page size.
    let starts: Vec<_> = m.hits().iter().map(|h| h.num("startAt")).collect();
    assert_eq!(starts, vec![0, 1_000, 2_000]);
}

#[tokio::test]
async fn users_exact_multiple_ends_on_empty_page() {
    let m = mock(|h| {
        let start = h.num("startAt");
        ok(Value::Array(
            (start..(start + 100).min(200)).map(user).collect(),
        ))
    })
    .await;
    assert_eq!(m.client().users().await.unwrap().len(), 200);
    assert_eq!(m.hits().len(), 3);
}

/// Serves `total` items as offset + isLast pages, capping maxResults at `cap`.
fn offset_page(h: &Hit, total: usize, cap: usize, item: impl Fn(usize) -> Value) -> Value {
    let start = h.num("startAt");
    let max = h.num("maxResults").min(cap);
    let end = (start + max).min(total);
    json!({
        "startAt": start, "maxResults": max, "total": total, "isLast": end >= total,
        "values": (start..end).map(item).collect::<Vec<_>>()
    })
}

#[tokio::test]
async fn groups_offset_pages_tolerate_a_server_cap() {
    let m = mock(|h| {
        ok(offset_page(
            h,
            120,
            50,
            |i| json!({"groupId": format!("g-{i}"), "name": format!("group {i}")}),
        ))
    })
    .await;
    let groups = m.client().groups().await.unwrap();
    assert_eq!(groups.len(), 120);
    let starts: Vec<_> = m.hits().iter().map(|h| h.num("startAt")).collect();
    assert_eq!(
        starts,
        vec![0, 50, 100],
        "startAt moves by what the server returned"
    );
}

#[tokio::test]
async fn group_members_pass_group_id_and_inactive_flag() {
    let m = mock(|h| ok(offset_page(h, 3, 50, user))).await;
    let members = m.client().group_members("g-1", true).await.unwrap();
    assert_eq!(members.len(), 3);
    let h = &m.hits()[0];
    assert_eq!(h.path, "/rest/api/3/group/member");
    assert_eq!(h.param("groupId"), Some("g-1"));
    assert_eq!(h.param("includeInactiveUsers"), Some("true"));
}

#[tokio::test]
async fn projects_ask_for_lead_and_archived() {
    let m = mock(|h| {
        ok(offset_page(h, 2, 50, |i| {
            json!({"id": 10000 + i, "key": format!("P{i}"), "name": "x", "projectTypeKey": "software",
                   "archived": i == 1, "lead": {"accountId": "acc-1"}})
        }))
    })
    .await;
    let projects = m.client().projects().await.unwrap();
    assert_eq!(projects.len(), 2);
    assert_eq!(projects[0].id, "10000");
    assert!(projects[1].archived);
    let h = &m.hits()[0];
    assert_eq!(h.param("expand"), Some("lead"));
    assert_eq!(h.params("status"), vec!["live", "archived"]);
}

#[tokio::test]
async fn project_roles_follow_the_role_map() {
    let m = mock(|h| {
        let base = "http://jira.example/rest/api/3/project/10000/role";
        match h.path.as_str() {
            "/rest/api/3/project/10000/role" => ok(json!({
                "Developers": format!("{base}/10002"), "Administrators": format!("{base}/10001")
            })),
            "/rest/api/3/project/10000/role/10001" => ok(json!({"id": 10001, "name": "Administrators", "actors": [
                {"type": "atlassian-user-role-actor", "actorUser": {"accountId": "acc-1"}}]})),
            "/rest/api/3/project/10000/role/10002" => ok(json!({"id": 10002, "name": "Developers", "actors": [
                {"type": "atlassian-group-role-actor", "name": "devs", "actorGroup": {"name": "devs", "groupId": "g-1"}}]})),
            _ => status(404, json!({})),
        }
    })
    .await;
    let roles = m.client().project_roles("10000").await.unwrap();
    assert_eq!(
        roles.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["10001", "10002"]
    );
    assert_eq!(
        roles[0].actors,
        vec![RoleActor::User {
            account_id: "acc-1".into()
        }]
    );
    assert_eq!(
        roles[1].actors,
        vec![RoleActor::Group {
            group_id: "g-1".into(),
            name: "devs".into()
        }]
    );
}

#[tokio::test]
async fn permission_scheme_in_two_steps() {
    let m = mock(|h| match h.path.as_str() {
        "/rest/api/3/project/P1/permissionscheme" => ok(json!({"id": 10100, "name": "S"})),
        "/rest/api/3/permissionscheme/10100" if h.param("expand") == Some("permissions") => ok(json!({
            "id": 10100, "name": "S",
            "permissions": [{"id": 1, "permission": "BROWSE_PROJECTS", "holder": {"type": "anyone"}}]
        })),
        _ => status(404, json!({})),
    })
    .await;
    let s = m.client().project_permission_scheme("P1").await.unwrap();
    assert_eq!(s.id, "10100");
    assert_eq!(s.permissions[0].holder.type_, "anyone");
}

#[tokio::test]
async fn security_scheme_and_level_members() {
    let m = mock(|h| match h.path.as_str() {
        "/rest/api/3/project/P1/issuesecuritylevelscheme" => ok(json!({
            "id": 10200, "name": "Sec", "defaultSecurityLevelId": 10300,
            "levels": [{"id": 10300, "name": "Staff"}]
        })),
        "/rest/api/3/issuesecurityschemes/level/member" => {
            assert_eq!(h.param("schemeId"), Some("10200"));
            assert_eq!(h.param("levelId"), Some("10300"));
            ok(offset_page(h, 130, 100, |i| {
                json!({"id": i, "issueSecurityLevelId": 10300, "holder": {"type": "user", "parameter": format!("acc-{i}")}})
            }))
        }
        _ => status(404, json!({})),
    })
    .await;
    let c = m.client();
    let s = c.project_security_scheme("P1").await.unwrap().unwrap();
    assert_eq!(s.levels[0].id, "10300");
    let members = c
        .security_level_members(&s.id, &s.levels[0].id)
        .await
        .unwrap();
    assert_eq!(members.len(), 130);
    assert_eq!(members[129].holder.parameter.as_deref(), Some("acc-129"));
}

#[tokio::test]
async fn application_roles_resolve_group_names() {
    let m = mock(|h| match h.path.as_str() {
        "/rest/api/3/applicationrole" => ok(json!([
            {"key": "jira-software", "name": "Jira Software", "groups": ["jira-software-users", "ghost"]}
        ])),
        "/rest/api/3/group/bulk" => ok(offset_page(h, 1, 50, |_| json!({"groupId": "g-7", "name": "jira-software-users"}))),
        _ => status(404, json!({})),
    })
    .await;
    let roles = m.client().application_roles().await.unwrap();
    assert_eq!(roles[0].group_details[0].group_id, "g-7");
    assert_eq!(
        roles[0].group_details[1].group_id, "",
        "unknown names stay unresolved"
    );
}

#[tokio::test]
async fn jql_follows_tokens_until_is_last() {
    let m = mock(|h| {
        let body = h.body.clone().unwrap_or_default();
        assert_eq!(h.method, "POST");
        assert_eq!(body["jql"], "project = DEMO ORDER BY updated ASC, key ASC");
        let page = match body.get("nextPageToken").and_then(Value::as_str) {
            None => 0,
            Some("t1") => 1,
            Some("t2") => 2,
            Some(other) => panic!("unexpected token {other}"),
        };
        let issues: Vec<Value> = (0..2).map(|i| json!({"id": format!("{}", 100 + page * 2 + i), "key": format!("DEMO-{}", page * 2 + i)})).collect();
        if page < 2 {
            ok(json!({"issues": issues, "nextPageToken": format!("t{}", page + 1), "isLast": false}))
        } else {
            ok(json!({"issues": issues, "isLast": true}))
        }
    })
    .await;
    let c = m.client();
    let req = JqlRequest::new("project = DEMO ORDER BY updated ASC, key ASC")
        .with_fields(["customfield_10050"]);
    let issues = c.search_jql_all(&req).await.unwrap();
    assert_eq!(issues.len(), 6);
    assert_eq!(issues[5].key, "DEMO-5");
    let first = m.hits()[0].body.clone().unwrap();
    assert_eq!(first["maxResults"], 100);
    assert!(
        first["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("customfield_10050"))
    );
    assert!(first.get("nextPageToken").is_none());

    // The stream gives the same issues page by page.
    use futures::TryStreamExt as _;
    let pages: Vec<Vec<_>> = c.search_jql_stream(req).try_collect().await.unwrap();
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![2, 2, 2]
    );
}

#[tokio::test]
async fn jql_token_loop_is_an_error_not_a_hang() {
    let m =
        mock(|_| ok(json!({"issues": [{"id": "1"}], "nextPageToken": "same", "isLast": false})))
            .await;
    let err = m
        .client()
        .search_jql_all(&JqlRequest::new("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, JiraError::Decode { .. }), "{err:?}");
    assert_eq!(m.hits().len(), 2);
}

#[tokio::test]
async fn id_only_pages_ask_for_id_and_5000() {
    let m = mock(|_| ok(json!({"issues": [{"id": "10"}, {"id": 11}], "isLast": true}))).await;
    let ids = m.client().search_jql_ids("project = DEMO").await.unwrap();
    assert_eq!(ids, vec!["10", "11"]);
    let body = m.hits()[0].body.clone().unwrap();
    assert_eq!(body["fields"], json!(["id"]));
    assert_eq!(body["maxResults"], 5000);
}

#[tokio::test]
async fn comments_page_by_offset_and_total() {
    let m = mock(|h| {
        assert_eq!(h.param("orderBy"), Some("created"));
        let start = h.num("startAt");
        let max = h.num("maxResults").min(40);
        let end = (start + max).min(95);
        ok(json!({
            "startAt": start, "maxResults": max, "total": 95,
            "comments": (start..end).map(|i| json!({"id": i.to_string(), "body": null})).collect::<Vec<_>>()
        }))
    })
    .await;
    let c = m.client();
    let comments = c.issue_comments("DEMO-1").await.unwrap();
    assert_eq!(comments.len(), 95);
    assert_eq!(m.hits()[0].path, "/rest/api/3/issue/DEMO-1/comment");
    assert_eq!(m.hits().len(), 3);

    let mut issue: jira_cloud::model::Issue = serde_json::from_value(json!({
        "id": "DEMO-1", "key": "DEMO-1",
        "fields": {"comment": {"comments": [{"id": "0"}], "startAt": 0, "maxResults": 1, "total": 95}}
    }))
    .unwrap();
    assert!(c.complete_comments(&mut issue).await.unwrap());
    assert_eq!(issue.fields.comment.as_ref().unwrap().comments.len(), 95);
    assert!(
        !c.complete_comments(&mut issue).await.unwrap(),
        "already complete: no request"
    );
}

#[tokio::test]
async fn bulkfetch_chunks_by_100() {
    let m = mock(|h| {
        let ids = h.body.as_ref().unwrap()["issueIdsOrKeys"]
            .as_array()
            .unwrap()
            .clone();
        assert!(ids.len() <= 100);
        let issues: Vec<Value> = ids
            .iter()
            .filter(|i| i.as_str() != Some("gone"))
            .map(|i| json!({"id": i, "key": "K-1"}))
            .collect();
        let errors: Vec<Value> = ids
            .iter()
            .filter(|i| i.as_str() == Some("gone"))
            .map(|_| json!({"id": "gone", "errorMessage": "Issue does not exist"}))
            .collect();
        ok(json!({"issues": issues, "issueErrors": errors}))
    })
    .await;
    let mut ids: Vec<String> = (0..150).map(|i| i.to_string()).collect();
    ids.push("gone".into());
    let r = m
        .client()
        .issue_bulkfetch(&ids, &["summary".to_string()])
        .await
        .unwrap();
    assert_eq!(r.issues.len(), 150);
    assert_eq!(r.issue_errors.len(), 1);
    assert_eq!(m.hits().len(), 2);
    assert_eq!(m.hits()[0].path, "/rest/api/3/issue/bulkfetch");
}

#[tokio::test]
async fn audit_records_page_with_offset_limit_and_times() {
    let m = mock(|h| {
        let offset = h.num("offset");
        let limit = h.num("limit").min(700);
        let end = (offset + limit).min(1500);
        ok(json!({"offset": offset, "limit": limit, "total": 1500,
            "records": (offset..end).map(|i| json!({"id": i, "summary": "Issue deleted"})).collect::<Vec<_>>()}))
    })
    .await;
    let records = m
        .client()
        .audit_records(Some(1_741_107_711_123), None)
        .await
        .unwrap();
    assert_eq!(records.len(), 1500);
    let hits = m.hits();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0].param("from"), Some("2025-03-04T17:01:51.123Z"));
    assert_eq!(hits[0].param("to"), None);
    assert_eq!(hits[0].param("limit"), Some("1000"));
}

#[tokio::test]
async fn concurrency_is_bounded() {
    let m = mock(|h| {
        let mut r = ok(offset_page(h, 1, 50, user));
        r.delay = Duration::from_millis(100);
        r
    })
    .await;
    let mut cfg = m.config();
    cfg.max_concurrency = 2;
    let c = JiraClient::new(cfg).unwrap();
    let ids: Vec<String> = (0..8).map(|i| format!("g-{i}")).collect();
    let members = c.groups_members(&ids, false).await.unwrap();
    assert_eq!(members.len(), 8);
    assert!(members.values().all(|m| m.len() == 1));
    let per_group: HashMap<String, usize> = m.hits().iter().fold(HashMap::new(), |mut acc, h| {
        *acc.entry(h.param("groupId").unwrap().to_string())
            .or_default() += 1;
        acc
    });
    assert_eq!(per_group.len(), 8);
    let most = m.in_flight.lock().unwrap().1;
    assert_eq!(
        most, 2,
        "two requests in flight at most, and the fan-out really is parallel"
    );
}

fn raw(data: &[u8]) -> Reply {
    let mut r = ok(json!(null));
    r.raw = Some(data.to_vec());
    r
}

fn redirect(to: String) -> Reply {
    let mut r = status(302, json!(null));
    r.headers.push(("Location", to));
    r.raw = Some(Vec::new());
    r
}

#[tokio::test]
async fn attachments_follow_redirects_and_respect_the_size_limit() {
    let files = mock(|h| match h.path.as_str() {
        "/files/big" => raw(&[7u8; 5000]),
        _ => raw(b"%PDF-1.7 elsewhere"),
    })
    .await;
    // The file host is reached as "localhost", the site as "127.0.0.1": another host.
    let elsewhere = files.base_url.replace("127.0.0.1", "localhost");
    let site = mock(move |h| match h.path.as_str() {
        "/rest/api/3/attachment/content/1" => redirect("/files/1".into()),
        "/files/1" => raw(b"%PDF-1.7 same host"),
        "/rest/api/3/attachment/content/2" => redirect(format!("{elsewhere}files/2")),
        "/rest/api/3/attachment/content/3" => redirect(format!("{elsewhere}files/big")),
        _ => status(404, json!({"errorMessages": ["no such attachment"]})),
    })
    .await;
    let c = site.client();
    assert_eq!(
        c.attachment_content("1", 1000).await.unwrap().unwrap(),
        b"%PDF-1.7 same host"
    );
    let same_host_hop = site
        .hits()
        .into_iter()
        .find(|h| h.path == "/files/1")
        .unwrap();
    assert!(
        same_host_hop.auth.is_some(),
        "credentials stay on the Jira host"
    );

    assert_eq!(
        c.attachment_content("2", 1000).await.unwrap().unwrap(),
        b"%PDF-1.7 elsewhere"
    );
    let other_host_hop = files
        .hits()
        .into_iter()
        .find(|h| h.path == "/files/2")
        .unwrap();
    assert_eq!(
        other_host_hop.auth, None,
        "credentials never leave the Jira host"
    );

    assert_eq!(
        c.attachment_content("3", 1000).await.unwrap(),
        None,
        "over the limit"
    );
    assert_eq!(
        c.attachment_content("3", 5000)
            .await
            .unwrap()
            .unwrap()
            .len(),
        5000
    );
    assert!(
        c.attachment_content("4", 1000)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn complete_comments_all_fetches_only_incomplete_issues() {
    let m = mock(|h| {
        let start = h.num("startAt");
        let end = (start + h.num("maxResults")).min(30);
        ok(json!({"startAt": start, "maxResults": 100, "total": 30,
            "comments": (start..end).map(|i| json!({"id": i.to_string()})).collect::<Vec<_>>()}))
    })
    .await;
    let mut issues: Vec<jira_cloud::model::Issue> = serde_json::from_value(json!([
        {"id": "1", "fields": {"comment": {"comments": [{"id": "a"}], "startAt": 0, "maxResults": 20, "total": 1}}},
        {"id": "2", "fields": {"comment": {"comments": [{"id": "0"}], "startAt": 0, "maxResults": 1, "total": 30}}},
        {"id": "3", "fields": {}}
    ]))
    .unwrap();
    let fetched = m.client().complete_comments_all(&mut issues).await.unwrap();
    assert_eq!(fetched, 1);
    assert_eq!(issues[0].fields.comment.as_ref().unwrap().comments.len(), 1);
    assert_eq!(
        issues[1].fields.comment.as_ref().unwrap().comments.len(),
        30
    );
    assert_eq!(m.hits().len(), 1);
    assert_eq!(m.hits()[0].path, "/rest/api/3/issue/2/comment");
}

#[tokio::test]
async fn a_spent_ratelimit_budget_pauses_the_next_request() {
    let m = mock(|h| {
        let mut r = ok(user(1));
        if h.nth == 0 {
            r.headers
                .push(("RateLimit", "\"global-app-quota\";r=0;t=1".into()));
            r.headers.push((
                "RateLimit-Policy",
                "\"global-app-quota\";q=65000;w=3600".into(),
            ));
        }
        r
    })
    .await;
    let c = m.client();
    c.myself().await.unwrap();
    let snap = c.rate_budget();
    assert_eq!(
        snap.policies,
        vec![("global-app-quota".to_string(), 65000.0, 3600.0)]
    );
    c.myself().await.unwrap();
    let hits = m.hits();
    assert!(
        hits[1].at - hits[0].at >= Duration::from_millis(990),
        "{:?}",
        hits[1].at - hits[0].at
    );
}

#[tokio::test]
async fn beta_ratelimit_headers_pace_but_never_block() {
    let m = mock(|_| {
        let mut r = ok(user(1));
        r.headers
            .push(("Beta-RateLimit", "\"global-app-quota\";r=0;t=30".into()));
        r
    })
    .await;
    let c = m.client();
    let t0 = Instant::now();
    c.myself().await.unwrap();
    c.myself().await.unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "a Beta budget must not stall the sync"
    );
}

#[tokio::test]
async fn a_429_without_headers_backs_off_and_halves_the_rate() {
    let m = mock(|h| {
        if h.nth == 0 {
            status(429, json!({}))
        } else {
            ok(user(1))
        }
    })
    .await;
    let c = m.client();
    let before = c.rate_budget().rate_per_sec;
    c.myself().await.unwrap();
    let hits = m.hits();
    assert!(hits[1].at - hits[0].at >= Duration::from_millis(250));
    assert!(c.rate_budget().rate_per_sec < before);
}

#[tokio::test]
async fn users_survive_a_server_cap_below_the_page_size() {
    // The server serves at most 30 users a page although 100 were asked for.
    let m = mock(|h| {
        let start = h.num("startAt");
        let end = (start + h.num("maxResults").min(30)).min(75);
        ok(Value::Array((start..end).map(user).collect()))
    })
    .await;
    assert_eq!(m.client().users().await.unwrap().len(), 75);
    let starts: Vec<_> = m.hits().iter().map(|h| h.num("startAt")).collect();
    assert_eq!(starts, vec![0, 30, 60]);
}

#[tokio::test]
async fn reconcile_issues_are_sent_as_numbers() {
    let m = mock(|_| ok(json!({"issues": [], "isLast": true}))).await;
    let ids = vec!["10042".to_string(), "DEMO-1".to_string()];
    let page = m
        .client()
        .search_jql_page_reconciled(&JqlRequest::new("project = DEMO"), None, &ids)
        .await
        .unwrap();
    assert!(page.is_last && page.issues.is_empty());
    let body = m.hits()[0].body.clone().unwrap();
    assert_eq!(body["reconcileIssues"], json!([10042]));
    // Without reconciliation the field is left out.
    m.client()
        .search_jql_page(&JqlRequest::new("x"), None)
        .await
        .unwrap();
    assert!(
        m.hits()[1]
            .body
            .as_ref()
            .unwrap()
            .get("reconcileIssues")
            .is_none()
    );
}

/// A token endpoint that rotates: refresh token `R{n}` buys access token `A{n+1}` and
/// refresh token `R{n+1}`; any other refresh token is refused.
fn token_endpoint(h: &Hit) -> Reply {
    let body = h.body.clone().unwrap_or_default();
    assert_eq!(body["grant_type"], "refresh_token");
    assert_eq!(body["client_id"], "client-1");
    assert_eq!(body["client_secret"], "client-secret");
    if body["refresh_token"] != json!(format!("R{}", h.nth)) {
        return status(
            403,
            json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}),
        );
    }
    ok(json!({
        "access_token": format!("A{}", h.nth + 1), "expires_in": 3600, "token_type": "Bearer",
        "refresh_token": format!("R{}", h.nth + 1), "scope": "read:jira-work offline_access"
    }))
}

fn oauth_client(m: &Mock, refresh_token: &str, rotated: Arc<Mutex<Vec<String>>>) -> JiraClient {
    let mut creds = jira_cloud::OAuthCredentials::new("client-1", "client-secret", refresh_token);
    creds.token_url = format!("{}oauth/token", m.base_url);
    creds.on_rotate = Some(Arc::new(move |t: &str| {
        rotated.lock().unwrap().push(t.to_string())
    }));
    JiraClient::new(ClientConfig::new(m.base_url.clone(), Auth::OAuth(creds))).unwrap()
}

#[tokio::test]
async fn oauth_refreshes_once_for_concurrent_requests_and_rotates() {
    let m = mock(|h| match h.path.as_str() {
        "/oauth/token" => {
            let mut r = token_endpoint(h);
            r.delay = Duration::from_millis(100);
            r
        }
        _ if h.auth.as_deref() == Some("Bearer A1") => ok(user(1)),
        _ => status(401, json!({})),
    })
    .await;
    let rotated = Arc::new(Mutex::new(Vec::new()));
    let c = oauth_client(&m, "R0", rotated.clone());
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.myself().await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().account_id, "acc-1");
    }
    let token_hits = m.hits().iter().filter(|h| h.path == "/oauth/token").count();
    assert_eq!(token_hits, 1, "single-flight refresh");
    assert_eq!(*rotated.lock().unwrap(), vec!["R1".to_string()]);
    assert!(!format!("{c:?}").contains("client-secret"));
}

#[tokio::test]
async fn oauth_401_gets_a_fresh_token_once() {
    let m = mock(|h| match h.path.as_str() {
        "/oauth/token" => token_endpoint(h),
        "/rest/api/3/myself" if h.auth.as_deref() == Some("Bearer A2") => ok(user(2)),
        _ => status(401, json!({})),
    })
    .await;
    let rotated = Arc::new(Mutex::new(Vec::new()));
    let c = oauth_client(&m, "R0", rotated.clone());
    assert_eq!(c.myself().await.unwrap().account_id, "acc-2");
    assert_eq!(
        *rotated.lock().unwrap(),
        vec!["R1".to_string(), "R2".to_string()]
    );
    // A token Jira keeps refusing is reported, after one more refresh only.
    let err = c.users().await.unwrap_err();
    assert!(matches!(err, JiraError::Unauthorized { .. }), "{err:?}");
    assert_eq!(
        m.hits().iter().filter(|h| h.path == "/oauth/token").count(),
        3
    );
}

#[tokio::test]
async fn oauth_refused_refresh_token_is_unauthorized() {
    let m = mock(|h| match h.path.as_str() {
        "/oauth/token" => token_endpoint(h),
        _ => ok(user(1)),
    })
    .await;
    let c = oauth_client(&m, "stale", Arc::new(Mutex::new(Vec::new())));
    match c.myself().await.unwrap_err() {
        JiraError::Unauthorized { url } => assert!(url.ends_with("/oauth/token"), "{url}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        m.hits().len(),
        1,
        "Jira itself is never called without a token"
    );
}

#[tokio::test]
async fn the_shared_budget_paces_parallel_requests() {
    let m = mock(|h| ok(offset_page(h, 1, 50, user))).await;
    let mut cfg = m.config();
    cfg.max_concurrency = 8;
    cfg.rate_limit = jira_cloud::RateLimitConfig {
        initial_per_sec: 10.0,
        max_per_sec: 10.0,
        min_per_sec: 1.0,
        increase_per_success: 0.0,
        burst: 1.0,
    };
    let c = JiraClient::new(cfg).unwrap();
    let ids: Vec<String> = (0..6).map(|i| format!("g-{i}")).collect();
    c.groups_members(&ids, false).await.unwrap();
    let hits = m.hits();
    let span = hits.last().unwrap().at - hits[0].at;
    // 6 requests at 10/s with a burst of 1: at least 5 gaps of 100 ms.
    assert!(span >= Duration::from_millis(480), "{span:?}");
}

/// Captures every log line (debug and up) while a request retries and fails.
#[test]
fn logs_name_urls_but_never_credentials() {
    use std::io::Write;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let m = mock(|h| {
                if h.nth == 0 {
                    status(503, json!({"errorMessages": ["busy"]}))
                } else {
                    status(400, json!({"errorMessages": ["bad"]}))
                }
            })
            .await;
            let c = m.client();
            assert!(c.myself().await.is_err());
            let dbg = format!("{c:?} {:?}", m.config());
            assert!(!dbg.contains("s3cret-token"), "{dbg}");
        });
    });
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/rest/api/3/myself"),
        "URLs are logged: {logs}"
    );
    for secret in [
        "s3cret-token",
        "YWRtaW5AZXhhbXBsZS5jb206czNjcmV0LXRva2Vu",
        "authorization: Basic",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}

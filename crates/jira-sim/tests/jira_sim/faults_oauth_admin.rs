//! Over real HTTP on loopback: injected faults (429 with Retry-After and rate-limit
//! headers, 5xx, aborted connections, truncated bodies, the early-request mark), the
//! OAuth 2.0 (3LO) flow with rotating refresh tokens, and the admin mutation API.

use std::time::Duration;

use jira_sim::faults::{Fault, FaultConfig, calls_per_endpoint};
use jira_sim::generate::{ADMIN_API_TOKEN, ADMIN_EMAIL, GenConfig, generate};
use jira_sim::oauth::OAuthConfig;
use jira_sim::{SimOptions, start_with};
use serde_json::{Value, json};

async fn sim(options: SimOptions) -> jira_sim::SimHandle {
    start_with(
        generate(&GenConfig::skeleton(5)),
        ([127, 0, 0, 1], 0).into(),
        options,
    )
    .await
    .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn rate_limits_are_announced_and_early_requests_marked() {
    let sim = sim(SimOptions {
        faults: FaultConfig {
            rate_limited: 1.0,
            retry_after_secs: (1, 1),
            points_per_window: Some(1_000),
            ..FaultConfig::none()
        },
        ..Default::default()
    })
    .await;
    let http = client();
    let get = || {
        http.get(format!("{}/rest/api/3/myself", sim.base_url))
            .basic_auth(ADMIN_EMAIL, Some(ADMIN_API_TOKEN))
            .send()
    };
    let first = get().await.unwrap();
    assert_eq!(first.status(), 429);
    let h = first.headers();
    assert_eq!(h["retry-after"], "1");
    assert_eq!(h["ratelimit-policy"], "\"global-app-quota\";q=1000;w=3600");
    assert!(
        h["ratelimit"]
            .to_str()
            .unwrap()
            .starts_with("\"global-app-quota\";r=")
    );
    assert!(h.contains_key("x-ratelimit-remaining") && h.contains_key("x-ratelimit-reset"));
    let body: Value = first.json().await.unwrap();
    assert!(
        body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("Rate limit")
    );

    // Too early: answered 429 again and marked.
    let early = get().await.unwrap();
    assert_eq!(early.status(), 429);
    // After Retry-After, with faults off: served.
    sim.set_faults(FaultConfig::none());
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(get().await.unwrap().status(), 200);

    let log = sim.request_log();
    assert_eq!(log.len(), 3);
    assert!(!log[0].early && log[1].early && !log[2].early);
    assert_eq!(log[2].status, 200);
    assert!(log[1].at_ms > log[0].at_ms);
    assert_eq!(
        calls_per_endpoint(&log).get("GET /rest/api/3/myself"),
        Some(&3)
    );
}

#[tokio::test]
async fn server_errors_resets_and_truncations_reach_the_client() {
    let sim = sim(SimOptions::default()).await;
    let http = client();
    let url = format!("{}/rest/api/3/project/search", sim.base_url);
    let get = || {
        http.get(&url)
            .basic_auth(ADMIN_EMAIL, Some(ADMIN_API_TOKEN))
            .send()
    };

    sim.set_faults(FaultConfig {
        server_errors: 1.0,
        ..FaultConfig::none()
    });
    let r = get().await.unwrap();
    assert!(r.status() == 503 || r.status() == 500, "{}", r.status());

    sim.set_faults(FaultConfig {
        connection_resets: 1.0,
        ..FaultConfig::none()
    });
    let broken = match get().await {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(broken, "an aborted connection must fail on the client");

    sim.set_faults(FaultConfig {
        truncated_bodies: 1.0,
        ..FaultConfig::none()
    });
    let truncated = match get().await {
        Err(_) => true,
        Ok(r) => r.json::<Value>().await.is_err(),
    };
    assert!(truncated, "a truncated body must fail on the client");

    sim.set_faults(FaultConfig {
        slow: 1.0,
        slow_ms: 300,
        ..FaultConfig::none()
    });
    let t = std::time::Instant::now();
    assert_eq!(get().await.unwrap().status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    let faults: Vec<Option<Fault>> = sim.request_log().into_iter().map(|r| r.fault).collect();
    assert!(matches!(faults[0], Some(Fault::ServerError { .. })));
    assert_eq!(faults[1], Some(Fault::ConnectionReset));
    assert_eq!(faults[2], Some(Fault::TruncatedBody));
    assert_eq!(faults[3], None);
}

#[tokio::test]
async fn oauth_flow_with_rotating_refresh_tokens() {
    let sim = sim(SimOptions {
        oauth: OAuthConfig {
            access_ttl: Duration::from_secs(1),
            ..OAuthConfig::default()
        },
        ..Default::default()
    })
    .await;
    let app = sim.oauth_config();
    let http = client();

    // Consent: redirected back with a code and the state.
    let r = http
        .get(format!("{}/authorize", sim.base_url))
        .query(&[
            ("audience", "api.atlassian.com"),
            ("client_id", app.client_id.as_str()),
            ("scope", "read:jira-work offline_access"),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("state", "xyz"),
            ("response_type", "code"),
            ("prompt", "consent"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = reqwest::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "xyz");

    let token = |body: Value| {
        http.post(format!("{}/oauth/token", sim.base_url))
            .json(&body)
            .send()
    };
    let tokens: Value = token(json!({
        "grant_type": "authorization_code", "client_id": app.client_id,
        "client_secret": app.client_secret, "code": q["code"],
        "redirect_uri": "http://127.0.0.1:9/callback"}))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    let access = tokens["access_token"].as_str().unwrap().to_string();

    // The cloud id, then the API through the gateway.
    let resources: Value = http
        .get(format!("{}/oauth/token/accessible-resources", sim.base_url))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resources[0]["id"], app.cloud_id.as_str());
    let myself = |token: String, base: String| {
        http.get(format!("{base}/rest/api/3/myself"))
            .bearer_auth(token)
            .send()
    };
    let ok = myself(access.clone(), sim.gateway_url()).await.unwrap();
    assert_eq!(ok.status(), 200);
    // Bearer tokens work only through the gateway; an unknown cloud id is 404.
    assert_eq!(
        myself(access.clone(), sim.base_url.clone())
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        myself(access.clone(), format!("{}/ex/jira/nope", sim.base_url))
            .await
            .unwrap()
            .status(),
        404
    );

    // The access token expires; a refresh rotates the refresh token.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(
        myself(access, sim.gateway_url()).await.unwrap().status(),
        401
    );
    let refresh = |rt: Value| {
        token(
            json!({"grant_type": "refresh_token", "client_id": app.client_id,
            "client_secret": app.client_secret, "refresh_token": rt}),
        )
    };
    let second: Value = refresh(tokens["refresh_token"].clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(second["refresh_token"], tokens["refresh_token"]);
    assert_eq!(
        myself(
            second["access_token"].as_str().unwrap().into(),
            sim.gateway_url()
        )
        .await
        .unwrap()
        .status(),
        200
    );
    // Reusing the old refresh token is refused and revokes the family.
    let reused = refresh(tokens["refresh_token"].clone()).await.unwrap();
    assert_eq!(reused.status(), 403);
    let body: Value = reused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        refresh(second["refresh_token"].clone())
            .await
            .unwrap()
            .status(),
        403
    );
    let stats = sim.oauth_stats();
    assert_eq!(stats.refreshes, 1);
    assert_eq!(stats.reused_refresh_tokens, 2);
    assert_eq!(stats.expired_access_tokens, 1);
}

#[tokio::test]
async fn admin_api_mutates_the_served_site() {
    let sim = sim(SimOptions::default()).await;
    let http = client();
    let (group, member) = {
        let ws = sim.workspace();
        let ws = ws.read().unwrap();
        let g = ws.groups.iter().find(|g| g.name == "engineering").unwrap();
        (g.group_id.clone(), g.members[0].clone())
    };
    let members = || async {
        let v: Value = http
            .get(format!("{}/rest/api/3/group/member", sim.base_url))
            .query(&[
                ("groupId", group.as_str()),
                ("includeInactiveUsers", "true"),
            ])
            .basic_auth(ADMIN_EMAIL, Some(ADMIN_API_TOKEN))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["accountId"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(members().await.contains(&member));
    let r = http
        .post(format!("{}/_sim/mutate", sim.base_url))
        .basic_auth(ADMIN_EMAIL, Some(ADMIN_API_TOKEN))
        .json(&json!({"op": "remove_group_member", "group_id": group, "account_id": member}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!members().await.contains(&member));

    // Search results follow mutations at once (the result-order cache is keyed by the
    // workspace's state).
    let ids = || async {
        let v: Value = http
            .get(format!("{}/rest/api/3/search/jql", sim.base_url))
            .query(&[
                ("jql", "ORDER BY key ASC"),
                ("fields", "id"),
                ("maxResults", "5000"),
            ])
            .basic_auth(ADMIN_EMAIL, Some(ADMIN_API_TOKEN))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["issues"].as_array().unwrap().len()
    };
    let before = ids().await;
    assert_eq!(ids().await, before);
    let reporter = sim.workspace().read().unwrap().admin_account_id.clone();
    let created: Value = http
        .post(format!("{}/_sim/mutate", sim.base_url))
        .basic_auth(ADMIN_EMAIL, Some(ADMIN_API_TOKEN))
        .json(&json!({"op": "create_issue", "project": "ENG", "summary": "new", "reporter": reporter}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids().await, before + 1);
    let key = created["results"][0]["key"].as_str().unwrap().to_string();
    sim.workspace()
        .write()
        .unwrap()
        .delete_issue_silently(&key)
        .unwrap();
    assert_eq!(ids().await, before);

    // A bad mutation is named; no credentials, no admin API.
    let r = http
        .post(format!("{}/_sim/mutate", sim.base_url))
        .basic_auth(ADMIN_EMAIL, Some(ADMIN_API_TOKEN))
        .json(&json!([{"op": "delete_issue", "issue": "NOPE-1"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("NOPE-1")
    );
    let r = http
        .get(format!("{}/_sim/requests", sim.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Faults can be switched over HTTP too, and are validated.
    let r = http
        .put(format!("{}/_sim/faults", sim.base_url))
        .basic_auth(ADMIN_EMAIL, Some(ADMIN_API_TOKEN))
        .json(&json!({"rate_limited": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

//! OAuth 2.0 (3LO) against the simulator's token endpoint and gateway: many concurrent
//! requests on a missing or expired access token cause exactly one refresh, every
//! rotated refresh token reaches the sink before it is needed, and a used refresh
//! token is never sent again (the simulator would revoke the whole family).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jira_cloud::{Auth, ClientConfig, JiraClient, OAuthCredentials};
use jira_sim::generate::{GenConfig, generate};
use jira_sim::oauth::OAuthConfig;
use jira_sim::{SimOptions, start_with};
use serde_json::{Value, json};

/// The consent and code exchange a person does once (`jira-index auth login`).
async fn first_refresh_token(sim: &jira_sim::SimHandle) -> String {
    let app = sim.oauth_config();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .get(format!("{}/authorize", sim.base_url))
        .query(&[
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("state", "s"),
            ("response_type", "code"),
        ])
        .send()
        .await
        .unwrap();
    let location = reqwest::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    let tokens: Value = http
        .post(format!("{}/oauth/token", sim.base_url))
        .json(&json!({"grant_type": "authorization_code", "client_id": app.client_id,
            "client_secret": app.client_secret, "code": code, "redirect_uri": "http://127.0.0.1:9/cb"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["refresh_token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_refresh_and_never_reuse_a_refresh_token() {
    let sim = start_with(
        generate(&GenConfig::skeleton(2)),
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            oauth: OAuthConfig {
                access_ttl: Duration::from_secs(2),
                ..OAuthConfig::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let app = sim.oauth_config();
    let rotated: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = rotated.clone();
    let creds = OAuthCredentials {
        token_url: format!("{}/oauth/token", sim.base_url),
        on_rotate: Some(Arc::new(move |t: &str| {
            sink.lock().unwrap().push(t.to_string())
        })),
        ..OAuthCredentials::new(
            app.client_id.clone(),
            app.client_secret.clone(),
            first_refresh_token(&sim).await,
        )
    };
    let mut cfg = ClientConfig::new(sim.gateway_url(), Auth::OAuth(creds));
    cfg.max_concurrency = 8;
    let client = JiraClient::new(cfg).unwrap();

    let burst = |client: JiraClient| async move {
        let calls = (0..50).map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.myself().await })
        });
        for call in calls.collect::<Vec<_>>() {
            let me = call.await.unwrap().unwrap();
            assert_eq!(me.email_address.as_deref(), Some("admin@example.com"));
        }
    };

    // No access token yet: 50 concurrent requests, one refresh.
    burst(client.clone()).await;
    assert_eq!(sim.oauth_stats().refreshes, 1);
    // The access token expires: again one refresh for the next 50.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    burst(client.clone()).await;
    let stats = sim.oauth_stats();
    assert_eq!(stats.refreshes, 2, "{stats:?}");
    assert_eq!(
        stats.reused_refresh_tokens, 0,
        "a used refresh token was sent"
    );
    // Each rotation reached the sink, newest last.
    let rotated = rotated.lock().unwrap().clone();
    assert_eq!(rotated.len(), 2);
    assert_ne!(rotated[0], rotated[1]);
}

//! `jira-index mcp --as EMAIL` over stdio: an MCP client spawns the real binary on a
//! data directory synced from the simulator and calls each tool; results are the
//! person's and no one else's, and Jira text is marked untrusted.

use std::collections::BTreeSet;

use jira_sim::generate::{GenConfig, generate};
use jira_sim::model::MARKER_IN_DESCRIPTION;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_tools_over_stdio_answer_as_the_person() {
    let ws = generate(&GenConfig::skeleton(2));
    let (email, token) = (ws.admin_email.clone(), ws.admin_api_token.clone());
    let handle = jira_sim::start(ws.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "[jira]\nbase_url = {:?}\nemail = {email:?}\napi_token = {token:?}\n\n[data]\ndir = {:?}\n\n[embedding]\nenabled = false\n",
        handle.base_url,
        tmp.path().join("data").display().to_string(),
    );
    let config_path = tmp.path().join("jira-index.toml");
    std::fs::write(&config_path, &text).unwrap();
    let cfg = config::Config::parse(&text).unwrap();
    sync::run_sync(&cfg, None, &Default::default())
        .await
        .unwrap();

    let bob = ws.user_by_email("bob@example.com").unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_jira-index"));
    cmd.arg("--config")
        .arg(&config_path)
        .args(["mcp", "--as", "bob@example.com"]);
    let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();

    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 3);
    for t in &tools {
        assert!(
            t.description.as_deref().is_some_and(|d| !d.is_empty()),
            "{} has a description",
            t.name
        );
    }
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

    let (err, texts) = call(
        "search_jira",
        json!({"query": MARKER_IN_DESCRIPTION, "limit": 50}),
    )
    .await;
    assert!(!err, "{texts:?}");
    assert!(texts[0].contains("untrusted"), "{texts:?}");
    let body: Value = serde_json::from_str(&texts[1]).unwrap();
    let got: BTreeSet<String> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["issue_key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        got,
        ws.issues_matching(&bob.account_id, MARKER_IN_DESCRIPTION),
        "search_jira as bob equals the oracle"
    );

    let visible = ws.visible_issue_keys(&bob.account_id);
    let hidden = ws
        .issues
        .iter()
        .find(|i| !visible.contains(&i.key))
        .unwrap();
    let (err, texts) = call("get_jira_issue", json!({"key": hidden.key})).await;
    assert!(err && texts[0].ends_with("not found"), "{texts:?}");
    let shown = visible.iter().next().unwrap();
    let (err, texts) = call("get_jira_issue", json!({"key": shown.to_lowercase()})).await;
    assert!(!err, "{texts:?}");
    let issue: Value = serde_json::from_str(&texts[1]).unwrap();
    assert_eq!(issue["issue_key"], json!(shown));
    assert!(issue["untrusted_title"].is_string());

    let (err, texts) = call("list_jira_projects", json!({})).await;
    assert!(!err, "{texts:?}");
    let listed: Value = serde_json::from_str(&texts[1]).unwrap();
    let keys: BTreeSet<String> = listed["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = visible
        .iter()
        .filter_map(|k| k.split('-').next().map(str::to_string))
        .collect();
    assert_eq!(keys, want, "the projects bob can open something in");
    let total: u64 = listed["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["issues"].as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, visible.len());

    let (err, texts) = call("search_jira", json!({"query": "x", "kinds": ["bogus"]})).await;
    assert!(err && texts[0].contains("bogus"), "{texts:?}");
    client.cancel().await.unwrap();
    handle.shutdown().await;
}

//! `jira-index sync --progress json`: machine-readable progress on stderr, one JSON
//! object per line, for every stage, with counts that only grow; stdout keeps the
//! run report (`--json`).

use std::collections::{BTreeMap, BTreeSet};

use jira_sim::generate::{GenConfig, generate};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_reports_progress_as_json_lines() {
    let ws = generate(&GenConfig::skeleton(4));
    let (email, token) = (ws.admin_email.clone(), ws.admin_api_token.clone());
    let handle = jira_sim::start(ws, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("jira-index.toml");
    std::fs::write(
        &config,
        format!(
            "[jira]\nbase_url = {:?}\nemail = {email:?}\napi_token = {token:?}\n\n[data]\ndir = {:?}\n\n[embedding]\nenabled = false\n",
            handle.base_url,
            tmp.path().join("data").display().to_string(),
        ),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_jira-index"))
        .arg("--config")
        .arg(&config)
        .args(["sync", "--json", "--progress", "json"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let indexed = report["issues_indexed"].as_u64().unwrap();
    assert!(indexed > 100);

    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        let Ok(e) = serde_json::from_str::<Value>(line) else {
            continue; // log lines
        };
        assert_eq!(e["event"], "progress", "{line}");
        let stage = e["stage"].as_str().unwrap().to_string();
        let done = e["done"].as_u64().unwrap();
        let before = last.insert(stage.clone(), done).unwrap_or(0);
        assert!(done >= before, "{stage} went back: {before} -> {done}");
    }
    let stages: BTreeSet<&str> = last.keys().map(String::as_str).collect();
    assert_eq!(
        stages,
        BTreeSet::from(["documents", "embed", "fetch", "identity", "write"])
    );
    assert_eq!(last["identity"], 1);
    assert!(last["fetch"] > 0 && last["fetch"] <= report["issues_seen"].as_u64().unwrap());
    assert!(last["write"] <= indexed);
    handle.shutdown().await;
}

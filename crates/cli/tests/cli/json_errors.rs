//! `--json` errors: a failing command prints `{"error", "code"}` on stdout with the
//! same stable codes as the HTTP API (`schemas/serve-openapi.json`, `ErrorCode`) and
//! exits 1.

use std::process::Command;

fn run_json(args: &[&str], config: &std::path::Path) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_jira-index"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("JIRA_INDEX_CONFIG")
        .output()
        .unwrap();
    let body = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), body)
}

#[test]
fn a_missing_config_is_invalid_config_and_an_unsynced_index_is_not_synced() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.toml");
    let (code, body) = run_json(&["status", "--json"], &missing);
    assert_eq!(code, 1, "{body}");
    assert_eq!(body["code"], "invalid_config", "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("nope.toml"),
        "{body}"
    );

    let config = tmp.path().join("jira-index.toml");
    std::fs::write(
        &config,
        "[jira]\nbase_url = \"https://example.atlassian.net\"\nemail = \"bot@example.com\"\n\
         api_token_env = \"JIRA_API_TOKEN\"\n[data]\ndir = \"data\"\n[embedding]\nenabled = false\n",
    )
    .unwrap();
    let (code, body) = run_json(
        &[
            "search",
            "--json",
            "--mode",
            "keyword",
            "--as",
            "alice@example.com",
            "anything",
        ],
        &config,
    );
    assert_eq!(code, 1, "{body}");
    assert_eq!(body["code"], "not_synced", "{body}");
}

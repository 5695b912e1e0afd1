//! `explain` agrees with search and with the simulator's visibility oracle on every
//! (person, issue) pair of the test site: a person may open an issue exactly when
//! search finds it for them, and each comment chunk is explained visible exactly when
//! Jira shows them that comment. Then the real binary: `jira-index explain --as` and
//! `jira-index filters preview`.

use jira_sim::generate::{GenConfig, generate};

fn config_text(dir: &std::path::Path, base_url: &str, email: &str, token: &str) -> String {
    format!(
        "[jira]\nbase_url = {base_url:?}\nemail = {email:?}\napi_token = {token:?}\n\n[data]\ndir = {:?}\n\n[embedding]\nenabled = false\n",
        dir.join("data").display().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_agrees_with_search_and_jira_on_every_pair() {
    let ws = generate(&GenConfig::skeleton(7));
    let (email, token) = (ws.admin_email.clone(), ws.admin_api_token.clone());
    let handle = jira_sim::start(ws, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let text = config_text(tmp.path(), &handle.base_url, &email, &token);
    let config_path = tmp.path().join("jira-index.toml");
    std::fs::write(&config_path, &text).unwrap();
    let cfg = config::Config::parse(&text).unwrap();
    sync::run_sync(&cfg, None, &Default::default())
        .await
        .unwrap();
    let searcher = search::Searcher::open(&cfg, None).unwrap();
    let ws = handle.workspace().read().unwrap().clone();

    let (mut pairs, mut allowed, mut comments) = (0, 0, 0);
    let mut denied_example = None;
    let mut allowed_example = None;
    for user in ws.users.iter().filter(|u| u.account_type == "atlassian") {
        // A person whose email Jira hides is searched for as anonymous.
        let account = if user.email_visible {
            user.account_id.as_str()
        } else {
            ""
        };
        let visible = ws.visible_issue_keys(account);
        for issue in &ws.issues {
            let Some(why) = searcher.explain_access(&user.email, &issue.key).unwrap() else {
                continue; // not indexed (e.g. an issue of a project outside the sync)
            };
            pairs += 1;
            let searchable = searcher
                .issue_as(&user.email, &issue.key)
                .unwrap()
                .is_some();
            assert_eq!(
                why.allowed,
                searchable,
                "{} on {}: explain and search disagree\n{}",
                user.email,
                issue.key,
                why.render()
            );
            assert_eq!(
                why.allowed,
                visible.contains(&issue.key),
                "{} on {}: explain and Jira disagree\n{}",
                user.email,
                issue.key,
                why.render()
            );
            for chunk in &why.chunks {
                assert_eq!(chunk.allowed, chunk.explanation.allowed);
                if chunk.kind == index::ChunkKind::Comment {
                    let comment_id = chunk.chunk_id.split(':').nth(1).unwrap();
                    assert_eq!(
                        chunk.allowed,
                        why.allowed && ws.can_see_comment(account, comment_id),
                        "{} on comment {comment_id} of {}\n{}",
                        user.email,
                        issue.key,
                        why.render()
                    );
                    comments += 1;
                }
            }
            if why.allowed {
                allowed += 1;
                allowed_example.get_or_insert((user.email.clone(), issue.key.clone()));
            } else if user.active && user.email_visible {
                denied_example.get_or_insert((user.email.clone(), issue.key.clone()));
            }
        }
    }
    assert!(
        pairs > 100 && allowed > 0 && allowed < pairs,
        "{pairs} pairs, {allowed} allowed"
    );
    assert!(comments > 0);
    println!("{pairs} pairs, {allowed} allowed, {comments} comment chunks checked");

    // The binary: text names the failing gate; JSON carries the same verdict.
    let (who, key) = denied_example.expect("someone is denied something");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jira-index"))
        .arg("--config")
        .arg(&config_path)
        .args(["explain", "--as", &who, &key])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("may NOT open {key}")), "{text}");
    assert!(text.contains("FAIL"), "{text}");
    let (who, key) = allowed_example.expect("someone sees something");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jira-index"))
        .arg("--config")
        .arg(&config_path)
        .args(["explain", "--json", "--as", &who, &key])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["allowed"], true, "{json}");
    assert_eq!(json["issue_key"], key.as_str());
    assert!(json["chunks"][0]["explanation"]["project"]["matched"].is_array());
    // `filters preview` on the config as synced: nothing to fetch or delete.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jira-index"))
        .arg("--config")
        .arg(&config_path)
        .args(["filters", "preview", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["issues_to_fetch"], 0, "{json}");
    assert_eq!(json["issues_to_delete"], 0, "{json}");
    assert_eq!(
        json["issues_selected"], json["issues_indexed_now"],
        "{json}"
    );
    // An unknown key is an error that says why.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jira-index"))
        .arg("--config")
        .arg(&config_path)
        .args(["explain", "--as", &who, "NOPE-1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the index"));
}

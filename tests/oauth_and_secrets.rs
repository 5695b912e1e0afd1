//! OAuth end to end against the simulator — `auth login` (authorize URL, loopback
//! callback, code exchange, cloud id, token file), a full sync through the gateway with
//! short-lived access tokens (the refresh token rotates during the run and every
//! rotation is written to the token file), `check` — and, with every log line of all
//! of it captured at TRACE level (ours and the HTTP stack's), plus a sync and a check
//! with an API token: no token, secret, password or authorization header in the logs.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use jira_index_tests::start_workspace_with;
use jira_sim::SimOptions;
use jira_sim::generate::{ADMIN_API_TOKEN, ADMIN_EMAIL, GenConfig, generate};
use jira_sim::oauth::OAuthConfig;
use sync::credentials::read_token_file;

/// Every log line, in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_sync_and_check_log_no_secret() {
    let logs = Captured::default();
    let sink = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();

    let tmp = tempfile::tempdir().unwrap();
    let app = OAuthConfig {
        access_ttl: Duration::from_secs(2),
        ..OAuthConfig::default()
    };
    let site = start_workspace_with(
        generate(&GenConfig::skeleton(9)),
        &tmp.path().join("basic-data"),
        false,
        "",
        SimOptions {
            oauth: app.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let base = site.handle.base_url.clone();
    let token_file = tmp.path().join("oauth.json");
    let cfg = config::Config::parse(&format!(
        r#"
[jira]
base_url = {base:?}

[jira.oauth]
client_id = {:?}
client_secret = {:?}
token_file = {:?}
callback_port = 0
auth_url = {base:?}
api_url = {base:?}

[data]
dir = {:?}

[embedding]
enabled = false
"#,
        app.client_id,
        app.client_secret,
        token_file.display().to_string(),
        tmp.path().join("oauth-data").display().to_string(),
    ))
    .unwrap();

    // Login: the "browser" opens the URL; the simulator approves and redirects to the
    // loopback callback.
    let login = sync::credentials::login(
        &cfg,
        |url| {
            let url = url.to_string();
            tokio::spawn(async move {
                let page = reqwest::get(url).await.unwrap().text().await.unwrap();
                assert!(page.contains("authorized"), "{page}");
            });
        },
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(login.site_url, base);
    assert_eq!(login.cloud_id, app.cloud_id);
    assert_eq!(read_token_file(&token_file).unwrap(), login);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "token file readable by others: {mode:o}");
    }

    // A sync through the gateway, slow enough that access tokens expire during it.
    let report = site.sync_cleanly(&cfg, None).await;
    assert!(report.run.issues_indexed > 100);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let check = sync::check::run_check(&cfg).await.unwrap();
    assert!(check.ready(), "{check:#?}");
    let stats = site.handle.oauth_stats();
    assert!(stats.refreshes >= 2, "{stats:?}");
    assert_eq!(stats.reused_refresh_tokens, 0);
    let stored = read_token_file(&token_file).unwrap();
    assert_ne!(
        stored.refresh_token, login.refresh_token,
        "rotations reach the file"
    );

    // The same with the API token.
    site.sync_cleanly(&site.config, None).await;
    let check = sync::check::run_check(&site.config).await.unwrap();
    assert!(check.ready(), "{check:#?}");
    assert_eq!(check.account.unwrap().email.as_deref(), Some(ADMIN_EMAIL));
    assert!(check.hidden_emails >= 1, "heidi hides her email");

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.len() > 10_000,
        "the logs were captured ({} bytes)",
        text.len()
    );
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{ADMIN_EMAIL}:{ADMIN_API_TOKEN}"));
    let secrets = [
        ADMIN_API_TOKEN,
        basic.as_str(),
        app.client_secret.as_str(),
        login.refresh_token.as_str(),
        stored.refresh_token.as_str(),
        // Every token and code the simulator issues carries one of these prefixes.
        "sim-access-",
        "sim-refresh-",
        "sim-code-",
        "Bearer ",
        "Basic ",
    ];
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "a secret ({}…) is in the logs",
            &secret[..secret.len().min(6)]
        );
    }
}

//! Settings and sync control from the admin console, over HTTP against a running
//! server and simulator: saving filters writes the config file (comments kept,
//! validated, an invalid change refused and nothing written), records who changed
//! what, and the next sync follows the saved filters; the schedule is changed while
//! the server runs; a running sync shows its stages, stops when asked (nothing
//! deleted, the rest left for the next run), and the next run completes the index.

use std::path::Path;
use std::time::{Duration, Instant};

use jira_sim::SimOptions;
use jira_sim::faults::FaultConfig;
use jira_sim::generate::GenConfig;
use jira_sim::model::Workspace;
use reqwest::StatusCode;

const ADMIN_KEY: &str = "settings-admin-key-0123456789abcdef";

/// The `[serve]` table: on demand only, one admin key.
fn serve_toml() -> String {
    format!(
        "[serve]\n# Minutes between scheduled syncs.\nsync_interval_minutes = 0 # on demand only\n\n[[serve.api_keys]]\nname = \"ops\"\nsha256 = \"{}\"\nscopes = [\"admin\"]\n",
        serve::auth::key_hash(ADMIN_KEY)
    )
}

fn write_config(path: &Path, site: &config::Config, jira_extra: &str) -> config::Config {
    jira_index_tests::write_config_file(path, site, jira_extra, &serve_toml())
}

struct Console {
    http: reqwest::Client,
    base: String,
}

impl Console {
    /// A console request as htmx sends it (the answer is a fragment).
    async fn post(&self, path: &str, form: &[(String, String)]) -> (StatusCode, String) {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(ADMIN_KEY)
            .header("HX-Request", "true")
            .form(form)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn get(&self, path: &str, htmx: bool) -> (StatusCode, String) {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(ADMIN_KEY);
        if htmx {
            req = req.header("HX-Request", "true");
        }
        let res = req.send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn wait_idle(server: &serve::Server, runs_at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.state.runner.current().is_some()
        || server.state.runner.runs_finished() < runs_at_least
    {
        assert!(Instant::now() < deadline, "the sync did not end");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn last_run(cfg: &config::Config) -> state::RunRecord {
    sync::status::status(cfg)
        .unwrap()
        .runs
        .pop()
        .expect("a run")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_settings_are_written_audited_and_followed_by_the_next_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let site = jira_index_tests::start_workspace(
        jira_sim::generate(&GenConfig::skeleton(7)),
        &tmp.path().join("data"),
        false,
        "",
    )
    .await
    .unwrap();
    let path = tmp.path().join("jira-index.toml");
    let cfg = write_config(&path, &site.config, "");
    let server = serve::start(cfg.clone(), None, Some(([127, 0, 0, 1], 0).into()))
        .await
        .unwrap();
    let console = Console {
        http: reqwest::Client::new(),
        base: format!("http://{}", server.addr),
    };
    wait_idle(&server, 1).await;
    let ws: Workspace = site.handle.workspace().read().unwrap().clone();
    let biggest = ws
        .projects
        .iter()
        .max_by_key(|p| ws.issues.iter().filter(|i| i.project_id == p.id).count())
        .unwrap()
        .key
        .clone();
    let indexed_before = server.state.index.project_stats(&biggest).unwrap().issues;
    assert!(indexed_before > 0);
    let (_, page) = console.get("/admin/filters", false).await;
    assert!(page.contains("No setting was changed"), "{page}");

    // An invalid change is refused and nothing is written.
    let original = std::fs::read_to_string(&path).unwrap();
    let (status, fragment) = console
        .post(
            "/admin/filters/save",
            &pairs(&[
                ("created_from", "2024-05-01"),
                ("created_before", "2024-01-01"),
                ("issues", "on"),
                ("comments", "on"),
                ("attachments", "on"),
                ("attachment_max_mib", "50"),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(fragment.contains("created_from"), "{fragment}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);

    // Excluding the biggest project: saved, comments kept, audited.
    let (status, fragment) = console
        .post(
            "/admin/filters/save",
            &pairs(&[
                (&format!("p:{biggest}"), "out"),
                ("issues", "on"),
                ("comments", "on"),
                ("attachments", "on"),
                ("attachment_max_mib", "50"),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        fragment.contains("Saved 1 settings") && fragment.contains("filters.projects_not_in"),
        "{fragment}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    for kept in [
        "# jira-index, as a test runs it.",
        "# only for the simulator",
        "# Projects never synced.",
        "# none yet",
        "# on demand only",
    ] {
        assert!(text.contains(kept), "{kept:?} lost:\n{text}");
    }
    assert!(
        text.contains(&format!("projects_not_in = [\"{biggest}\"] # none yet")),
        "{text}"
    );
    config::editable::validate_text(&text).unwrap();
    assert_eq!(
        config::Config::load(&path).unwrap().filters.projects_not_in,
        vec![biggest.clone()]
    );
    let (_, page) = console.get("/admin/filters", false).await;
    assert!(
        page.contains("filters.projects_not_in") && page.contains(">ops<"),
        "the audit table names the setting and who changed it: {page}"
    );
    let audit = state::StateStore::open(&config::DataDir::new(&cfg.data.dir))
        .unwrap()
        .config_changes(10)
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].who, "ops");
    assert_eq!(audit[0].change.before, "[]");
    assert_eq!(audit[0].change.after, format!("[\"{biggest}\"]"));

    // The next sync follows the saved filters.
    let runs = server.state.runner.runs_finished();
    let (_, msg) = console.post("/admin/sync", &[]).await;
    assert!(msg.contains("Sync started"), "{msg}");
    wait_idle(&server, runs + 1).await;
    assert_eq!(
        server.state.index.project_stats(&biggest).unwrap().issues,
        0
    );
    assert_eq!(last_run(&cfg).issues_deleted, indexed_before);

    // The schedule: saved to the file and applied at once; bad input refused.
    let (_, msg) = console
        .post("/admin/schedule", &pairs(&[("minutes", "often")]))
        .await;
    assert!(msg.contains("serve.sync_interval_minutes"), "{msg}");
    assert_eq!(server.state.runner.next_scheduled_ms(), None);
    let (_, msg) = console
        .post("/admin/schedule", &pairs(&[("minutes", "7")]))
        .await;
    assert!(msg.contains("every 7 minutes"), "{msg}");
    assert_eq!(
        server.state.runner.schedule_every(),
        Duration::from_secs(420)
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let next = loop {
        if let Some(ms) = server.state.runner.next_scheduled_ms() {
            break ms;
        }
        assert!(Instant::now() < deadline, "the next run is scheduled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let in_ms = next - now;
    assert!((400_000..=420_000).contains(&in_ms), "{in_ms}");
    let (_, overview) = console.get("/admin", false).await;
    assert!(overview.contains("Next scheduled run"), "{overview}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("sync_interval_minutes = 7 # on demand only"),
        "{text}"
    );
    let (_, msg) = console
        .post("/admin/schedule", &pairs(&[("minutes", "0")]))
        .await;
    assert!(msg.contains("off"), "{msg}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.state.runner.next_scheduled_ms().is_some() {
        assert!(Instant::now() < deadline, "the schedule is off");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let keys: Vec<String> = state::StateStore::open(&config::DataDir::new(&cfg.data.dir))
        .unwrap()
        .config_changes(10)
        .unwrap()
        .into_iter()
        .map(|a| a.change.key)
        .collect();
    assert_eq!(
        keys,
        [
            "serve.sync_interval_minutes",
            "serve.sync_interval_minutes",
            "filters.projects_not_in"
        ]
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_sync_shows_its_stages_stops_when_asked_and_the_next_run_completes() {
    let tmp = tempfile::tempdir().unwrap();
    // Every Jira answer takes 250 ms and pages hold 5 issues: the run lasts seconds.
    let options = SimOptions {
        faults: FaultConfig {
            slow: 1.0,
            slow_ms: 250,
            ..FaultConfig::default()
        },
        ..Default::default()
    };
    let site = jira_index_tests::start_workspace_with(
        jira_sim::generate(&GenConfig::skeleton(7)),
        &tmp.path().join("data"),
        false,
        "",
        options,
    )
    .await
    .unwrap();
    let path = tmp.path().join("jira-index.toml");
    let cfg = write_config(&path, &site.config, "page_size = 5");
    let ws: Workspace = site.handle.workspace().read().unwrap().clone();
    let archived: Vec<&str> = ws
        .projects
        .iter()
        .filter(|p| p.archived)
        .map(|p| p.id.as_str())
        .collect();
    let in_scope = ws
        .issues
        .iter()
        .filter(|i| !archived.contains(&i.project_id.as_str()))
        .count();

    // The server starts its first sync at once (nothing synced yet).
    let server = serve::start(cfg.clone(), None, Some(([127, 0, 0, 1], 0).into()))
        .await
        .unwrap();
    let console = Console {
        http: reqwest::Client::new(),
        base: format!("http://{}", server.addr),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let progress = loop {
        let (status, fragment) = console.get("/admin/progress", true).await;
        assert_eq!(status, StatusCode::OK);
        let documented = server
            .state
            .runner
            .current()
            .and_then(|r| {
                r.stages
                    .iter()
                    .find(|(k, _)| k.name() == "documents")
                    .map(|(_, p)| p.done)
            })
            .unwrap_or(0);
        if documented > 0 && fragment.contains("A sync is running") {
            break fragment;
        }
        assert!(Instant::now() < deadline, "the run reads issues");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        progress.contains("data-stage=\"fetch\"")
            && progress.contains("hx-trigger=\"every 1s\"")
            && progress.contains("Stop this sync"),
        "{progress}"
    );
    let (status, fragment) = console.post("/admin/sync/stop", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        fragment.contains("Stopping (asked by ops)") || fragment.contains("No sync is running"),
        "{fragment}"
    );
    wait_idle(&server, 1).await;
    let stopped = last_run(&cfg);
    assert!(stopped.stopped, "{stopped:?}");
    assert_eq!(stopped.issues_deleted, 0);
    let held = sync::status::status(&cfg).unwrap().indexed_issues;
    assert!(
        held > 0 && held < in_scope,
        "stopped half-way: {held} of {in_scope}"
    );
    let (_, fragment) = console.get("/admin/progress", true).await;
    assert!(
        fragment.contains("No sync is running") && !fragment.contains("hx-trigger"),
        "polling stops with the run: {fragment}"
    );
    let (_, overview) = console.get("/admin", false).await;
    assert!(overview.contains("stopped"), "the run history says so");
    // Nothing to stop now.
    let res = console
        .http
        .post(format!("{}/v1/sync/stop", console.base))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The next run completes the index; the one after finds nothing to do.
    let report = server
        .state
        .runner
        .try_start(serve::runner::Trigger::Manual)
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    // (The simulator's site has a few corrupt attachments by design: reported errors.)
    assert!(!report.run.stopped, "{:?}", report.run);
    assert_eq!(
        report.run.issues_unchanged, held,
        "what the stopped run wrote stays"
    );
    assert_eq!(sync::status::status(&cfg).unwrap().indexed_issues, in_scope);
    let again = server
        .state
        .runner
        .try_start(serve::runner::Trigger::Manual)
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.run.issues_indexed, again.run.issues_deleted),
        (0, 0),
        "{:?}",
        again.run
    );
    server.shutdown().await.unwrap();
}

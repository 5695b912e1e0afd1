//! The admin console in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`; the test installs them with apt-get when they are missing, as
//! root or through `sudo -n`), driven over WebDriver (`fantoccini`) against a
//! running server and simulator: a non-admin is refused; an admin logs in, previews a
//! filter change (htmx swaps the preview in), saves it (the config file changes, the
//! audit table names the admin), runs a sync whose counts equal the preview's, opens
//! a project dashboard, and explains a denied and an allowed issue. A screenshot of
//! each page is written to `target/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use jira_sim::generate::GenConfig;
use jira_sim::model::Workspace;
use serde_json::json;

const ADMIN_KEY: &str = "browser-admin-key-0123456789abcdef";
const ALICE_KEY: &str = "browser-alice-key-0123456789abcdef";

fn serve_toml() -> String {
    crate::admin_serve_toml(ALICE_KEY, ADMIN_KEY)
}

/// chromedriver, installing Debian's packages first when they are missing.
fn chromedriver() -> PathBuf {
    let path = PathBuf::from("/usr/bin/chromedriver");
    if !path.exists() {
        let status = Command::new("sh")
            .args([
                "-c",
                "S=; [ \"$(id -u)\" = 0 ] || S='sudo -n'; export DEBIAN_FRONTEND=noninteractive; \
                 $S apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null 2>&1 \
                 || ($S apt-get update >/dev/null 2>&1 && $S apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null 2>&1)",
            ])
            .status()
            .expect("running apt-get");
        assert!(
            status.success() && path.exists(),
            "chromium-driver is not installed and could not be installed (run as root: apt-get install chromium chromium-driver)"
        );
    }
    path
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_browser() -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(chromedriver())
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    let driver = Driver(child);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]
        }),
    );
    // Two rustls crypto providers are compiled in (through other crates): pick one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match attempt {
            Ok(client) => return (driver, client),
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    }
}

fn shots_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(shots_dir().join(format!("{name}.png")), png).unwrap();
}

async fn log_in(c: &Client, base: &str, key: &str) {
    c.goto(&format!("{base}/admin/login")).await.unwrap();
    c.find(Locator::Css("input[name=key]"))
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The text of the first element matching `css` once it contains `want` (pages load
/// and htmx swaps content asynchronously; an element of the page being left may be
/// stale for a moment).
async fn wait_text(c: &Client, css: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && let Ok(text) = el.text().await
        {
            if text.contains(want) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: waited for {want:?}, last saw {last:?}");
}

/// The number in the element matching `css`, once there.
async fn number(c: &Client, css: &str) -> usize {
    wait_text(c, css, "").await.trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_console_in_a_real_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let site = jira_index_tests::start_workspace(
        jira_sim::generate(&GenConfig::skeleton(7)),
        &tmp.path().join("data"),
        false,
        "",
    )
    .await
    .unwrap();
    let config_path = tmp.path().join("jira-index.toml");
    let cfg = jira_index_tests::write_config_file(&config_path, &site.config, "", &serve_toml());
    let server = serve::start(cfg.clone(), None, Some(([127, 0, 0, 1], 0).into()))
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let (_driver, c) = start_browser().await;

    // Wait for the startup sync (the searcher appears with the first commit).
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.state.searcher.get().is_none() || server.state.runner.current().is_some() {
        assert!(Instant::now() < deadline, "startup sync");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ws: Workspace = site.handle.workspace().read().unwrap().clone();

    // Not logged in: the login form. A non-admin key: refused.
    c.goto(&format!("{base}/admin")).await.unwrap();
    assert!(c.source().await.unwrap().contains("Admin API key"));
    shot(&c, "admin-login").await;
    log_in(&c, &base, ALICE_KEY).await;
    wait_text(&c, "main", "not an admin").await;
    shot(&c, "admin-refused").await;

    // The admin.
    log_in(&c, &base, ADMIN_KEY).await;
    wait_text(&c, "h1", "Overview").await;
    let overview = c.source().await.unwrap();
    assert!(overview.contains("Recent runs") && !overview.contains(ADMIN_KEY));
    c.find(Locator::Css("a[hx-get='/admin/check']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#check p", "Ready to sync").await;
    shot(&c, "admin-overview").await;

    // Filters: exclude the biggest project; htmx swaps the preview in.
    let biggest = ws
        .projects
        .iter()
        .max_by_key(|p| ws.issues.iter().filter(|i| i.project_id == p.id).count())
        .unwrap()
        .key
        .clone();
    c.goto(&format!("{base}/admin/filters")).await.unwrap();
    c.find(Locator::Css(&format!("select[name='p:{biggest}']")))
        .await
        .unwrap()
        .select_by_value("out")
        .await
        .unwrap();
    c.find(Locator::Css("#filters-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let to_delete = number(&c, "#p-delete").await;
    let to_fetch = number(&c, "#p-fetch").await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        "/admin/filters",
        "htmx swapped the preview in place"
    );
    shot(&c, "admin-filters").await;
    c.execute(
        "document.getElementById('preview-result').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, "admin-filters-preview").await;
    assert!(to_delete > 0);

    // Save: the config file changes (comments kept), the audit table shows who.
    c.find(Locator::Css("#save-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let saved = wait_text(&c, "#saved", "Saved").await;
    assert!(saved.contains("filters.projects_not_in"), "{saved}");
    let text = std::fs::read_to_string(&config_path).unwrap();
    assert!(
        text.contains(&format!("projects_not_in = [\"{biggest}\"] # none yet")),
        "{text}"
    );
    c.goto(&format!("{base}/admin/filters")).await.unwrap();
    let audit = wait_text(&c, "#audit", "filters.projects_not_in").await;
    assert!(audit.contains("ops"), "{audit}");
    c.execute("document.getElementById('audit').scrollIntoView()", vec![])
        .await
        .unwrap();
    shot(&c, "admin-filters-saved").await;

    // Run a sync from the overview: it does what the preview said.
    let runs = server.state.runner.runs_finished();
    c.goto(&format!("{base}/admin")).await.unwrap();
    c.find(Locator::Css("form[action='/admin/sync'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let msg = wait_text(&c, "#sync-msg p", "").await;
    assert!(msg.contains("Sync started"), "{msg}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.state.runner.runs_finished() <= runs || server.state.runner.current().is_some() {
        assert!(Instant::now() < deadline, "the sync ends");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let run = sync::status::status(&cfg).unwrap().runs.pop().unwrap();
    assert_eq!(
        (run.issues_indexed, run.issues_deleted),
        (to_fetch, to_delete),
        "{run:?}"
    );
    c.goto(&format!("{base}/admin")).await.unwrap();
    wait_text(&c, "#run-state", "No sync is running").await;

    // A project dashboard (of a project still synced).
    let shown = ws
        .projects
        .iter()
        .filter(|p| p.key != biggest)
        .max_by_key(|p| ws.issues.iter().filter(|i| i.project_id == p.id).count())
        .unwrap()
        .key
        .clone();
    c.goto(&format!("{base}/admin/projects/{shown}"))
        .await
        .unwrap();
    wait_text(&c, "h1", &format!("Project {shown}")).await;
    let issues = number(&c, "#issues").await;
    assert_eq!(
        issues,
        server.state.index.project_stats(&shown).unwrap().issues
    );
    assert!(issues > 0);
    assert!(
        c.find_all(Locator::Css("figure.chart svg"))
            .await
            .unwrap()
            .len()
            >= 5
    );
    shot(&c, "admin-project").await;

    // Explain: one allowed and one denied issue of a person, as the oracle says.
    let (email, allowed, denied) = jira_index_tests::allowed_and_denied(&ws);
    for (key, want, name) in [
        (&denied, "may not open", "admin-explain-denied"),
        (&allowed, "may open", "admin-explain-allowed"),
    ] {
        c.goto(&format!("{base}/admin/explain")).await.unwrap();
        c.find(Locator::Css("input[name=as]"))
            .await
            .unwrap()
            .send_keys(&email)
            .await
            .unwrap();
        c.find(Locator::Css("input[name=key]"))
            .await
            .unwrap()
            .send_keys(key)
            .await
            .unwrap();
        c.find(Locator::Css("#explain-form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let verdict = wait_text(&c, "#verdict", want).await;
        assert!(verdict.contains(key.as_str()), "{key}: {verdict}");
        shot(&c, name).await;
    }
    c.close().await.unwrap();
    server.shutdown().await.unwrap();
    for name in [
        "admin-login",
        "admin-overview",
        "admin-filters-preview",
        "admin-filters-saved",
        "admin-project",
    ] {
        assert!(shots_dir().join(format!("{name}.png")).exists());
    }
}

//! The admin console over HTTP against a running server and simulator: who may see
//! it (401 without credentials, 403 without the admin scope, a session cookie after
//! logging in with an admin key), every page renders without leaking secrets, the
//! filters preview matches what the next sync then does, a sync starts, a project
//! dashboard draws its charts from the index, and explain shows a denied and an
//! allowed issue as the oracle says.

use std::time::{Duration, Instant};

use jira_sim::generate::GenConfig;
use jira_sim::model::Workspace;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

const ADMIN_KEY: &str = "console-admin-key-0123456789abcdef";
const ALICE_KEY: &str = "console-alice-key-0123456789abcdef";

fn serve_toml() -> String {
    crate::admin_serve_toml(ALICE_KEY, ADMIN_KEY)
}

/// The number in the element with this id (`id="p-fetch">12<`).
fn number_at(page: &str, id: &str) -> usize {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} in {page}"));
    let rest = &page[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap() + start;
    rest[start..end].trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_console_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let site = jira_index_tests::start_workspace(
        jira_sim::generate(&GenConfig::skeleton(7)),
        &tmp.path().join("data"),
        false,
        &serve_toml(),
    )
    .await
    .unwrap();
    let server = serve::start(site.config.clone(), None, Some(([127, 0, 0, 1], 0).into()))
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Who may see the console.
    let res = http.get(format!("{base}/admin")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.text().await.unwrap().contains("name=\"key\""),
        "login form"
    );
    let res = http
        .get(format!("{base}/admin"))
        .bearer_auth(ALICE_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    for (key, want) in [
        ("wrong", StatusCode::UNAUTHORIZED),
        (ALICE_KEY, StatusCode::FORBIDDEN),
    ] {
        let res = http
            .post(format!("{base}/admin/login"))
            .form(&[("key", key)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), want, "login with {key}");
    }
    let res = http
        .post(format!("{base}/admin/login"))
        .form(&[("key", ADMIN_KEY)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/admin");
    let set_cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
    assert!(
        !set_cookie.contains(ADMIN_KEY),
        "the key never goes to the browser"
    );
    assert!(!set_cookie.contains("Secure"), "plain http on loopback");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    // Behind a proxy that terminates TLS, the cookie is Secure.
    let res = http
        .post(format!("{base}/admin/login"))
        .header("x-forwarded-proto", "https")
        .form(&[("key", ADMIN_KEY)])
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
    // Pages may not be framed, and run only their own script.
    let res = http
        .get(format!("{base}/admin/login"))
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
        "{csp}"
    );
    // A state-changing request another site's page makes with the admin's cookie is
    // refused, and starts nothing.
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
    ] {
        let res = http
            .post(format!("{base}/admin/sync"))
            .header(COOKIE, &cookie)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    for (name, value) in [("origin", base.as_str()), ("sec-fetch-site", "same-origin")] {
        let same = http
            .post(format!("{base}/admin/login"))
            .header(name, value)
            .form(&[("key", ADMIN_KEY)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            same.status(),
            StatusCode::SEE_OTHER,
            "same-origin forms work ({name})"
        );
    }
    let get = |path: String| {
        let (http, cookie) = (http.clone(), cookie.clone());
        async move {
            let res = http.get(path).header(COOKIE, cookie).send().await.unwrap();
            let status = res.status();
            (status, res.text().await.unwrap())
        }
    };

    // Wait for the startup sync.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, page) = get(format!("{base}/admin/people")).await;
        if status == StatusCode::OK && !page.contains("not synced yet") {
            break;
        }
        assert!(Instant::now() < deadline, "startup sync: {status} {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ws: Workspace = site.handle.workspace().read().unwrap().clone();
    let jira_token = ws.admin_api_token.clone();

    // Every page renders, and none shows a secret.
    let (status, overview) = get(format!("{base}/admin")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(overview.contains(&site.handle.base_url) && overview.contains("Recent runs"));
    let (status, js) = get(format!("{base}/admin/htmx.min.js")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(js.contains("htmx"));
    let (status, check) = get(format!("{base}/admin/check")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(check.contains("Ready to sync"), "{check}");
    let (status, filters) = get(format!("{base}/admin/filters")).await;
    assert_eq!(status, StatusCode::OK);
    for page in [&overview, &check, &filters] {
        assert!(!page.contains(&jira_token) && !page.contains(ADMIN_KEY));
    }

    // Filters: the preview of a narrowing equals what the sync under it then does.
    let biggest = ws
        .projects
        .iter()
        .max_by_key(|p| ws.issues.iter().filter(|i| i.project_id == p.id).count())
        .unwrap()
        .key
        .clone();
    let res = http
        .post(format!("{base}/admin/filters"))
        .header(COOKIE, cookie.clone())
        .header("HX-Request", "true")
        .form(&[
            (format!("p:{biggest}"), "out".to_string()),
            ("issues".into(), "on".into()),
            ("comments".into(), "on".into()),
            ("attachments".into(), "on".into()),
            ("attachment_max_mib".into(), "50".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let preview = res.text().await.unwrap();
    assert!(
        !preview.contains("<html"),
        "an htmx request gets a fragment"
    );
    let (to_fetch, to_delete) = (
        number_at(&preview, "p-fetch"),
        number_at(&preview, "p-delete"),
    );
    assert!(to_delete > 0);
    // Without JavaScript the same form gives the whole page with the preview.
    let res = http
        .post(format!("{base}/admin/filters"))
        .header(COOKIE, cookie.clone())
        .form(&[
            (format!("p:{biggest}"), "out"),
            ("issues".into(), "on"),
            ("comments".into(), "on"),
            ("attachments".into(), "on"),
            ("attachment_max_mib".into(), "50"),
        ])
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(page.contains("<html") && page.contains("p-delete"));
    let mut narrowed = site.config.clone();
    narrowed.filters.projects_not_in = vec![biggest.clone()];
    // The server's index is shared: the sync under the candidate runs in the server's
    // process through the library, on a copy of the data directory.
    let copy = tempfile::tempdir().unwrap();
    let copy_dir = copy.path().join("data");
    jira_index_tests::copy_dir(&site.config.data.dir, &copy_dir);
    narrowed.data.dir = copy_dir;
    let report = sync::run_sync(&narrowed, None, &Default::default())
        .await
        .unwrap();
    assert_eq!(report.run.issues_deleted, to_delete, "{:?}", report.run);
    assert_eq!(report.run.issues_indexed, to_fetch, "{:?}", report.run);

    // Sync: run now.
    let res = http
        .post(format!("{base}/admin/sync"))
        .header(COOKIE, cookie.clone())
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let msg = res.text().await.unwrap();
    assert!(
        msg.contains("Sync started") || msg.contains("already running"),
        "{msg}"
    );

    // A project dashboard, from the index.
    let (status, dash) = get(format!("{base}/admin/projects/{biggest}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(dash.matches("<svg").count() >= 4, "{dash}");
    let stats = server.state.index.project_stats(&biggest).unwrap();
    assert_eq!(number_at(&dash, "issues"), stats.issues);
    assert!(stats.issues > 0);

    // Explain: a denied and an allowed issue, as the oracle says.
    let (email, allowed, denied) = jira_index_tests::allowed_and_denied(&ws);
    for (key, want) in [(&allowed, " may open "), (&denied, " may not open ")] {
        let (status, page) = get(format!("{base}/admin/explain?as={}&key={key}", email)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(want), "{key}: {page}");
    }

    // The admin scope alone shows the console but acts as nobody: searching or
    // explaining as a person needs impersonate, as on the API.
    for path in [
        format!("{base}/admin/people?as={email}&q=payment"),
        format!("{base}/admin/explain?as={email}&key={allowed}"),
    ] {
        let res = http
            .get(&path)
            .bearer_auth(crate::AUDITOR_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains("impersonate") && !page.contains("Searched as"),
            "{page}"
        );
    }
    let res = http
        .get(format!("{base}/admin/people"))
        .bearer_auth(crate::AUDITOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the identity table is for admins"
    );

    // The search playground, as that person.
    let (status, page) = get(format!("{base}/admin/people?as={}&q=payment", email)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Searched as"));
    // The identity table: every account and how a caller matches it.
    let matched = ws
        .users
        .iter()
        .filter(|u| u.active && u.account_type != "app" && u.email_visible)
        .count();
    assert_eq!(number_at(&page, "matched"), matched, "{page}");
    assert!(page.contains("matched by email") && page.contains("hidden email"));
    assert_eq!(page.matches("<tr data-u=").count(), ws.users.len());

    // Logging out ends the session.
    let res = http
        .post(format!("{base}/admin/logout"))
        .header(COOKIE, cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = get(format!("{base}/admin")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.shutdown().await.unwrap();
}

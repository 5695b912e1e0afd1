//! Attachments end to end, over HTTP against the simulator: every kind of file the
//! simulator makes is downloaded once, its text (sniffed format) is searchable by
//! exactly the people who may open the issue, damaged files are reported with the
//! issue key and file name and still found by name, a file over the size limit is
//! never downloaded but found by name, and later syncs (incremental, or a forced full
//! re-read) download nothing.

use std::collections::BTreeSet;

use index::{ChunkKind, SearchFilters, SearchMode};
use jira_index_tests::start_site;
use jira_sim::generate::GenConfig;
use jira_sim::model::MARKER_IN_ATTACHMENT;
use jira_sim::model::{Attachment, AttachmentKind, Workspace};

fn content_requests(site: &jira_index_tests::SimSite) -> Vec<String> {
    site.handle
        .request_log()
        .into_iter()
        .filter(|r| r.path.contains("/attachment/content/"))
        .map(|r| r.path)
        .collect()
}

fn search(searcher: &search::Searcher, email: &str, query: &str) -> Vec<index::Hit> {
    searcher
        .search_as(
            email,
            query,
            10_000,
            SearchMode::Keyword,
            SearchFilters::default(),
        )
        .unwrap()
        .hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_extracted_once_reported_and_permission_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(3), &tmp.path().join("data"), false)
        .await
        .unwrap();
    let ws: Workspace = site.handle.workspace().read().unwrap().clone();
    let all: Vec<_> = ws
        .issues
        .iter()
        .flat_map(|i| i.attachments.iter().map(move |a| (i, a)))
        .collect();
    let kinds: BTreeSet<String> = all.iter().map(|(_, a)| format!("{:?}", a.kind)).collect();
    assert_eq!(kinds.len(), 12, "every kind of file: {kinds:?}");
    let damaged: Vec<_> = all
        .iter()
        .filter(|(_, a)| {
            matches!(
                a.kind,
                AttachmentKind::CorruptPdf | AttachmentKind::TruncatedDocx
            )
        })
        .collect();
    let huge: Vec<_> = all
        .iter()
        .filter(|(_, a)| a.kind == AttachmentKind::Huge)
        .collect();

    // First sync: every file but the huge ones is downloaded once.
    let report = sync::run_sync(&site.config, None, &Default::default())
        .await
        .unwrap();
    let counts = report.run.attachments;
    assert_eq!(
        counts.downloaded,
        all.len() - huge.len() - damaged.len(),
        "{counts:?}"
    );
    assert_eq!(counts.skipped, huge.len());
    assert_eq!(counts.failed, damaged.len());
    assert_eq!(counts.cached, 0);
    let requested = content_requests(&site);
    assert_eq!(requested.len(), all.len() - huge.len(), "{requested:?}");
    for (_, a) in &huge {
        assert!(
            !requested.iter().any(|p| p.ends_with(&format!("/{}", a.id))),
            "{} is over the limit and must not be downloaded",
            a.filename
        );
    }
    // Each damaged file is reported once, naming the issue and the file; nothing else.
    assert_eq!(
        report.run.errors.len(),
        damaged.len(),
        "{:?}",
        report.run.errors
    );
    for (issue, a) in &damaged {
        assert!(
            report
                .run
                .errors
                .iter()
                .any(|e| e.to_string().contains(&issue.key) && e.to_string().contains(&a.filename)),
            "{} on {} not reported: {:?}",
            a.filename,
            issue.key,
            report.run.errors
        );
    }

    let searcher = search::Searcher::open(&site.config, None).unwrap();
    // Attachment text (the marker is only ever in attachments, and "findings" in
    // every file) is found by exactly the people the oracle lets open the issue.
    let people: Vec<_> = ws
        .users
        .iter()
        .filter(|u| u.email_visible && u.account_type == "atlassian")
        .collect();
    assert!(people.len() >= 8);
    let mut attachment_hits = 0;
    for person in &people {
        for term in [MARKER_IN_ATTACHMENT, "findings"] {
            let hits = search(&searcher, &person.email, term);
            let got: BTreeSet<String> = hits.iter().map(|h| h.issue_key.clone()).collect();
            let want = ws.issues_matching(&person.account_id, term);
            assert_eq!(got, want, "{} searching {term:?}", person.email);
            attachment_hits += hits
                .iter()
                .filter(|h| h.kind == ChunkKind::Attachment)
                .count();
        }
    }
    assert!(attachment_hits > 0);

    // Files without text (damaged, images, over the limit) are found by name, by
    // someone who may see the issue, and by no one who may not.
    for (issue, a) in all.iter().filter(|(_, a)| !a.kind.has_extractable_text()) {
        let query = format!("\"{}\"", a.filename);
        let chunk = format!("attachment:{}:0", a.id);
        for person in &people {
            let hits = search(&searcher, &person.email, &query);
            let found = hits.iter().any(|h| h.chunk_id == chunk);
            let may = ws.can_see_issue(&person.account_id, &issue.id);
            assert_eq!(
                found, may,
                "{} finding {} by name",
                person.email, a.filename
            );
        }
    }

    // Second sync: nothing downloaded, nothing re-indexed, nothing reported again.
    site.handle.clear_request_log();
    let again = sync::run_sync(&site.config, None, &Default::default())
        .await
        .unwrap();
    assert_eq!(content_requests(&site), Vec::<String>::new());
    let c = again.run.attachments;
    assert_eq!((c.downloaded, c.failed), (0, 0), "{c:?}");
    assert_eq!(again.run.issues_indexed, 0);
    assert!(again.run.errors.is_empty(), "{:?}", again.run.errors);
    assert_eq!(again.chunk_count, report.chunk_count);
    // Even a forced full re-read takes every text from the cache.
    let forced = sync::run_sync(
        &site.config,
        None,
        &sync::SyncOptions {
            force_reindex: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(content_requests(&site), Vec::<String>::new());
    let c = forced.run.attachments;
    assert_eq!((c.downloaded, c.failed), (0, 0), "{c:?}");
    assert_eq!(c.cached, all.len() - huge.len());
    assert_eq!(forced.chunk_count, report.chunk_count);
}

/// Indexing switches: attachments off indexes none of them and downloads nothing;
/// a type list downloads only those types and indexes the rest by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexing_switches_and_type_filter() {
    let tmp = tempfile::tempdir().unwrap();
    let mut site = start_site(&GenConfig::skeleton(3), &tmp.path().join("data"), false)
        .await
        .unwrap();
    site.config.indexing.attachment_types = vec!["pdf".into()];
    let report = sync::run_sync(&site.config, None, &Default::default())
        .await
        .unwrap();
    let ws: Workspace = site.handle.workspace().read().unwrap().clone();
    let pdfs = ws
        .issues
        .iter()
        .flat_map(|i| &i.attachments)
        .filter(|a| a.filename.ends_with(".pdf"))
        .count();
    let total = ws.issues.iter().map(|i| i.attachments.len()).sum::<usize>();
    let c = report.run.attachments;
    assert_eq!(c.downloaded + c.failed, pdfs, "{c:?}");
    assert_eq!(report.run.attachments.skipped, total - pdfs);
    assert_eq!(content_requests(&site).len(), pdfs);

    // Attachments off: every attachment chunk is removed, nothing downloaded.
    site.handle.clear_request_log();
    site.config.indexing.attachments = false;
    site.config.indexing.comments = false;
    let off = sync::run_sync(&site.config, None, &Default::default())
        .await
        .unwrap();
    assert!(content_requests(&site).is_empty());
    assert_eq!(off.run.attachments, Default::default());
    let searcher = search::Searcher::open(&site.config, None).unwrap();
    let admin = ws
        .users
        .iter()
        .find(|u| u.email_visible && ws.visible_issue_keys(&u.account_id).len() == ws.issues.len())
        .or_else(|| ws.users.iter().find(|u| u.email_visible))
        .unwrap();
    for term in ["findings", "xylophone"] {
        let hits = search(&searcher, &admin.email, term);
        assert!(
            hits.iter().all(|h| h.kind == ChunkKind::Issue),
            "{term}: {:?}",
            hits.iter().map(|h| &h.chunk_id).collect::<Vec<_>>()
        );
    }
    assert!(off.chunk_count < report.chunk_count);
}

/// Hostile attachments while `serve` runs (issue: extraction under a hard limit):
/// HTML nested 200,000 deep keeps the HTML parser busy inside one call the soft
/// deadline cannot interrupt, and a PDF whose form draws itself. Each costs its own
/// file, reported with the issue key and file name; the server stays up, and the
/// issue, its other attachment and the two files' names are all searchable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_attachments_cost_one_file_each_while_serve_runs() {
    assert!(
        extractor::global().is_isolated(),
        "no extraction worker beside the test binary ({:?}); `cargo build -p extractor`",
        extractor::global().mode()
    );
    let mut ws = jira_sim::generate(&GenConfig::skeleton(2));
    let (issue_key, author, created) = {
        let issue = &ws.issues[0];
        (
            issue.key.clone(),
            issue.reporter_account_id.clone().unwrap_or_default(),
            issue.created,
        )
    };
    let hostile = |id: &str, name: &str, kind: AttachmentKind, bytes: Vec<u8>| {
        let mut a = Attachment::new(
            id.into(),
            name.into(),
            author.clone(),
            created,
            kind,
            String::new(),
        );
        a.size = bytes.len() as u64;
        a.data = Some(bytes.into());
        a
    };
    let nested = jira_sim::files::html_nested(200_000, "<div>", "</div>", "nestedword");
    let looping = jira_sim::files::pdf_with_form("loopword", None);
    ws.issues[0].attachments = vec![
        hostile("990001", "hostilenest.html", AttachmentKind::Html, nested),
        hostile("990002", "selfdrawing.pdf", AttachmentKind::Pdf, looping),
        Attachment::new(
            "990003".into(),
            "goodneighbour.txt".into(),
            author.clone(),
            created,
            AttachmentKind::Text,
            "neighbourtoken survives its hostile neighbours".into(),
        ),
    ];
    let reader = ws
        .users
        .iter()
        .find(|u| u.email_visible && ws.visible_issue_keys(&u.account_id).contains(&issue_key))
        .expect("someone who may open the issue")
        .email
        .clone();
    let summary_word = ws.issues[0]
        .summary
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap()
        .to_lowercase();
    let tmp = tempfile::tempdir().unwrap();
    let key = "hostile-admin-key-0123456789";
    let toml = format!(
        "[serve]\nsync_interval_minutes = 0\n\n[[serve.api_keys]]\nname = \"ops\"\nsha256 = \"{}\"\nscopes = [\"admin\", \"impersonate\"]\n",
        serve::auth::key_hash(key)
    );
    let site = jira_index_tests::start_workspace(ws, &tmp.path().join("data"), false, &toml)
        .await
        .unwrap();
    let server = serve::start(site.config.clone(), None, Some(([127, 0, 0, 1], 0).into()))
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let search = |query: &str| {
        let req = http
            .post(format!("{base}/v1/search"))
            .bearer_auth(key)
            .json(
                &serde_json::json!({"query": query, "as": reader, "limit": 50, "mode": "keyword"}),
            );
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            (
                status,
                res.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    // The startup sync: the nested HTML meets the hard kill (10 s timeout + grace).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (status, _) = search("x").await;
        if status == reqwest::StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "startup sync never finished"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let status: serde_json::Value = http
        .get(format!("{base}/v1/status"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let errors: Vec<String> = status["status"]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["errors"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| serde_json::from_value::<state::RunError>(e).ok())
        .map(|e| e.to_string())
        .collect();
    let reported = |name: &str, why: &[&str]| {
        errors.iter().any(|e| {
            e.contains(&issue_key) && e.contains(name) && why.iter().any(|w| e.contains(w))
        })
    };
    assert!(
        reported("hostilenest.html", &["longer than", "crashed"]),
        "{errors:#?}"
    );
    assert!(
        reported("selfdrawing.pdf", &["draws itself", "crashed"]),
        "{errors:#?}"
    );
    for (query, what) in [
        ("neighbourtoken", "the other attachment's text"),
        ("hostilenest", "the HTML file by name"),
        ("selfdrawing", "the PDF by name"),
        (summary_word.as_str(), "the issue itself"),
    ] {
        let (status, body) = search(query).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        let keys: Vec<&str> = body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|h| h["issue_key"].as_str())
            .collect();
        assert!(
            keys.contains(&issue_key.as_str()),
            "{what} ({query}): {body}"
        );
    }
    server.shutdown().await.unwrap();
}

/// Everything in the data directory is owner-only after a sync (the index, the
/// attachment text cache and the state hold Jira content): directories 0700, files
/// 0600 — a directory someone made 0755 with a 0644 file in it included.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(data.join("notes.txt"), "left by hand").unwrap();
    std::fs::set_permissions(
        data.join("notes.txt"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let site = start_site(&GenConfig::skeleton(3), &data, false)
        .await
        .unwrap();
    sync::run_sync(&site.config, None, &Default::default())
        .await
        .unwrap();
    let mut loose = Vec::new();
    let mut entries = 0;
    let mut stack = vec![data.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            entries += 1;
            if meta.permissions().mode() & 0o077 != 0 {
                loose.push(format!(
                    "{:o} {}",
                    meta.permissions().mode(),
                    entry.path().display()
                ));
            }
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    let root = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(root, 0o700, "data directory mode {root:o}");
    assert!(entries > 10, "a synced index has files");
    assert!(
        loose.is_empty(),
        "readable by others:\n{}",
        loose.join("\n")
    );
}

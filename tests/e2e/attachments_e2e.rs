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
use jira_sim::model::{AttachmentKind, Workspace};

fn content_requests(site: &jira_index_tests::SimSite) -> Vec<String> {
    site.handle
        .request_log()
        .into_iter()
        .filter(|r| r.path.contains("/attachment/content/"))
        .map(|r| r.path)
        .collect()
}

fn search(searcher: &sync::Searcher, email: &str, query: &str) -> Vec<index::Hit> {
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
                .any(|e| e.contains(&issue.key) && e.contains(&a.filename)),
            "{} on {} not reported: {:?}",
            a.filename,
            issue.key,
            report.run.errors
        );
    }

    let searcher = sync::Searcher::open(&site.config, None).unwrap();
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
    let searcher = sync::Searcher::open(&site.config, None).unwrap();
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

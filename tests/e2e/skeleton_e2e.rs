//! End to end: the simulator on loopback → a full sync with the real embedding model
//! → searches as every person of the site, checked against the simulator's own
//! visibility oracle (never against the code under test).

use std::collections::BTreeSet;

use index::{SearchFilters, SearchMode};
use jira_index_tests::start_site;
use jira_sim::generate::GenConfig;
use jira_sim::{MARKER_IN_COMMENT, MARKER_IN_DESCRIPTION};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_person_gets_exactly_what_jira_shows_them() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(7), &tmp.path().join("data"), true)
        .await
        .unwrap();
    let embedder = site.embedder().await.unwrap();
    let report = site.sync_cleanly(&site.config, embedder.clone()).await;
    let searcher = search::Searcher::open(&site.config, embedder.clone()).unwrap();

    let ws_lock = site.handle.workspace();
    // A snapshot: the lock is not held across the awaits below.
    let ws = ws_lock.read().unwrap().clone();
    assert!(
        report.run.issues_indexed >= ws.issues.len() - 1,
        "{:?}",
        report.run
    );

    let mut people_checked = 0;
    let mut distinct_sets = BTreeSet::new();
    for user in ws.users.iter().filter(|u| u.account_type == "atlassian") {
        let email = user.email.clone();
        // What Jira would show this caller: the oracle on the simulator's own model. A
        // person whose email Jira hides cannot be matched by email, so they must get
        // exactly what an anonymous visitor gets.
        let account = if !user.email_visible {
            ""
        } else {
            user.account_id.as_str()
        };
        for term in [MARKER_IN_DESCRIPTION, MARKER_IN_COMMENT] {
            let expected = ws.issues_matching(account, term);
            let got: BTreeSet<String> = searcher
                .search_as(
                    &email,
                    term,
                    10_000,
                    SearchMode::Keyword,
                    SearchFilters::default(),
                )
                .unwrap()
                .hits
                .into_iter()
                .map(|h| h.issue_key)
                .collect();
            assert_eq!(
                got,
                expected,
                "{} ({}) searching {term:?}: got {} keys, Jira shows {}",
                user.display_name,
                email,
                got.len(),
                expected.len()
            );
            distinct_sets.insert(expected.into_iter().collect::<Vec<_>>().join(","));
        }

        // Hybrid search with a limit above the corpus size returns every chunk the
        // person may read: no leaks (nothing outside the oracle's visible set, no
        // restricted comment) and nothing lost (every visible issue shows up).
        let visible = ws.visible_issue_keys(account);
        let hits = searcher
            .search_as(
                &email,
                "payment",
                100_000,
                SearchMode::Hybrid,
                SearchFilters::default(),
            )
            .unwrap()
            .hits;
        let keys: BTreeSet<String> = hits.iter().map(|h| h.issue_key.clone()).collect();
        assert!(
            keys.is_subset(&visible),
            "{email}: leak: {:?}",
            keys.difference(&visible).collect::<Vec<_>>()
        );
        assert_eq!(keys, visible, "{email}: hybrid search lost visible issues");
        for hit in hits.iter().filter(|h| h.kind == index::ChunkKind::Comment) {
            let comment_id = hit.chunk_id.split(':').nth(1).unwrap();
            assert!(
                ws.can_see_comment(account, comment_id),
                "{email}: restricted comment {comment_id} leaked"
            );
        }
        if !user.active {
            assert!(keys.is_empty(), "inactive {email} must get nothing");
        }
        if !user.email_visible {
            assert!(
                !keys.is_empty(),
                "the hidden-email person still gets what anyone may see"
            );
        }
        people_checked += 1;
    }
    assert!(people_checked >= 10);
    assert!(
        distinct_sets.len() >= 3,
        "people should differ in what they see"
    );

    // An email nobody in Jira has is treated exactly as anonymous.
    let stranger: BTreeSet<String> = searcher
        .search_as(
            "nobody@elsewhere.example",
            MARKER_IN_DESCRIPTION,
            10_000,
            SearchMode::Keyword,
            SearchFilters::default(),
        )
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.issue_key)
        .collect();
    assert_eq!(stranger, ws.issues_matching("", MARKER_IN_DESCRIPTION));

    // A second sync with nothing changed re-indexes nothing.
    drop(searcher);
    let again = sync::run_sync(&site.config, embedder, &Default::default())
        .await
        .unwrap();
    assert_eq!(again.run.issues_indexed, 0, "{:?}", again.run);
    assert_eq!(again.run.issues_deleted, 0);
}

/// A run that dies between writing vectors and committing the keyword index: the next
/// open removes the half-written issues from both stores, and the next sync indexes
/// them again, ending with the same chunks in both stores as before the crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_interrupted_between_the_stores_is_repaired_and_reindexed() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(7), &tmp.path().join("data"), true)
        .await
        .unwrap();
    let embedder = site.embedder().await.unwrap();
    sync::run_sync(&site.config, embedder.clone(), &Default::default())
        .await
        .unwrap();
    let chunk_ids = |index: &index::SearchIndex, issues: &[String]| -> Vec<String> {
        issues
            .iter()
            .flat_map(|id| index.issue_chunk_ids(id).unwrap())
            .collect()
    };
    let (victims, before, count) = {
        let index = search::open_index(&site.config, embedder.clone()).unwrap();
        let state = state::StateStore::open(&config::DataDir::new(&site.config.data.dir))
            .unwrap()
            .load()
            .unwrap();
        let victims: Vec<String> = state.issues.keys().take(3).cloned().collect();
        let before = chunk_ids(&index, &victims);
        assert!(!before.is_empty());
        let count = index.chunk_count().unwrap();
        assert_eq!(index.vector_count().unwrap(), count);
        // The interrupted write: the issues are deleted (vectors: durable at once),
        // and the process dies before the keyword commit.
        index.begin_write(&victims).unwrap();
        for id in &victims {
            index.delete_issue(id).unwrap();
        }
        (victims, before, count)
    };
    {
        let index = search::open_index(&site.config, embedder.clone()).unwrap();
        let mut recovered = index.recovered_issues().unwrap();
        recovered.sort();
        let mut want = victims.clone();
        want.sort();
        assert_eq!(recovered, want);
        assert_eq!(index.chunk_count().unwrap(), index.vector_count().unwrap());
        assert!(chunk_ids(&index, &victims).is_empty());
    }
    let report = sync::run_sync(&site.config, embedder.clone(), &Default::default())
        .await
        .unwrap();
    assert!(
        report.run.issues_indexed >= victims.len(),
        "{:?}",
        report.run
    );
    let index = search::open_index(&site.config, embedder).unwrap();
    assert!(index.recovered_issues().unwrap().is_empty());
    assert_eq!(chunk_ids(&index, &victims), before);
    assert_eq!(index.chunk_count().unwrap(), count);
    assert_eq!(index.vector_count().unwrap(), count);
}

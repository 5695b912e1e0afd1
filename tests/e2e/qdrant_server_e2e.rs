//! The same promise with the vectors on a Qdrant server: the simulator → a full sync
//! with the real embedding model whose vectors go to a Qdrant 1.18 server (started
//! from the shared script) → hybrid and vector searches as every person, checked
//! against the simulator's oracle: nothing outside what Jira shows them, nothing
//! visible missing.

use std::collections::BTreeSet;

use index::{SearchFilters, SearchMode};
use jira_index_tests::{QdrantCluster, start_workspace};
use jira_sim::generate::{GenConfig, generate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_search_on_a_qdrant_server_is_permission_exact() {
    let qdrant = QdrantCluster::start(1).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let extra = format!(
        "[vectors.qdrant]\nurl = {:?}\ncollection = \"e2e\"\n",
        qdrant.grpc_url(0)
    );
    let site = start_workspace(
        generate(&GenConfig::skeleton(13)),
        &tmp.path().join("data"),
        true,
        &extra,
    )
    .await
    .unwrap();
    let embedder = site.embedder().await.unwrap();
    site.sync_cleanly(&site.config, embedder.clone()).await;
    // Nothing of the vectors is kept locally.
    assert!(!tmp.path().join("data/index/vectors").exists());
    let searcher = search::Searcher::open(&site.config, embedder).unwrap();
    let ws = site.handle.workspace().read().unwrap().clone();
    let mut checked = 0;
    for user in ws.users.iter().filter(|u| u.account_type == "atlassian") {
        let account = if user.email_visible {
            user.account_id.as_str()
        } else {
            ""
        };
        let visible = ws.visible_issue_keys(account);
        for mode in [SearchMode::Hybrid, SearchMode::Vector] {
            let hits = searcher
                .search_as(
                    &user.email,
                    "deployment fails after the release",
                    100_000,
                    mode,
                    SearchFilters::default(),
                )
                .unwrap()
                .hits;
            let keys: BTreeSet<String> = hits.iter().map(|h| h.issue_key.clone()).collect();
            assert!(
                keys.is_subset(&visible),
                "{} ({mode:?}): leak {:?}",
                user.email,
                keys.difference(&visible).collect::<Vec<_>>()
            );
            assert_eq!(
                keys, visible,
                "{} ({mode:?}): lost visible issues",
                user.email
            );
            for hit in hits.iter().filter(|h| h.kind == index::ChunkKind::Comment) {
                let comment_id = hit.chunk_id.split(':').nth(1).unwrap();
                assert!(
                    ws.can_see_comment(account, comment_id),
                    "{}: comment {comment_id} leaked",
                    user.email
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 10);
}

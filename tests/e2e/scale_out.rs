//! Scale-out: the whole index on Qdrant (`[index] backend = "qdrant"`) and the sync
//! state in PostgreSQL (`[state] url`), both real servers on loopback.
//!
//! - Parity: one simulated site synced into the embedded backend and into the cluster
//!   backend scores the labeled queries (`search_quality`) within 0.01 MRR, and both
//!   pass the simulator's access oracle as every person: nothing outside what Jira
//!   shows them, nothing visible missing.
//! - Roles: a search replica (`--role search`) with no local index answers from the
//!   cluster and PostgreSQL once the worker's sync is in; two workers share one
//!   worker lock, the second takes over when the first stops and resumes from the
//!   checkpoints in PostgreSQL; a webhook hint queued by a replica reaches the worker.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use index::{SearchFilters, SearchMode};
use jira_index_tests::quality::{evaluate_config, evaluate_site};
use jira_index_tests::{QdrantCluster, SimSite, start_workspace};
use jira_sim::generate::{GenConfig, generate};
use search::Searcher;
use state::test_support::PostgresServer;

/// `base` with the whole index in `collection` on `qdrant` and the state in `pg`.
fn scaled(
    base: &config::Config,
    qdrant: &QdrantCluster,
    pg: &PostgresServer,
    collection: &str,
    data: &std::path::Path,
) -> config::Config {
    let mut cfg = base.clone();
    cfg.data.dir = data.to_path_buf();
    cfg.index.backend = config::IndexBackend::Qdrant;
    cfg.index.qdrant = Some(
        serde_json::from_value(serde_json::json!({
            "url": qdrant.grpc_url(0),
            "collection": collection,
        }))
        .unwrap(),
    );
    cfg.state.url = Some(pg.url());
    cfg.validate().unwrap();
    cfg
}

/// Every person's searches against the oracle: the issues found are exactly those
/// Jira lets them open; every comment found is one they may see.
fn check_access(site: &SimSite, searcher: &Searcher, modes: &[SearchMode]) -> usize {
    let ws = site.handle.workspace().read().unwrap().clone();
    let mut checked = 0;
    for user in ws.users.iter().filter(|u| u.account_type == "atlassian") {
        let account = if user.email_visible {
            user.account_id.as_str()
        } else {
            ""
        };
        let visible = ws.visible_issue_keys(account);
        for &mode in modes {
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
            let leaks: Vec<_> = keys.difference(&visible).collect();
            assert!(
                leaks.is_empty(),
                "{} ({mode:?}): leak {leaks:?}",
                user.email
            );
            let missed: Vec<_> = visible.difference(&keys).collect();
            assert!(
                missed.is_empty(),
                "{} ({mode:?}): missed {missed:?}",
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
    checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_backend_matches_the_embedded_one_on_quality_and_access() {
    let qdrant = QdrantCluster::start(1).unwrap();
    let pg = PostgresServer::start_or_panic();
    let tmp = tempfile::tempdir().unwrap();
    let site = start_workspace(
        generate(&GenConfig::small(11)),
        &tmp.path().join("local"),
        true,
        "[indexing]\ncomments = false\nattachments = false\n",
    )
    .await
    .unwrap();
    let embedder = sync::pipeline::load_embedder(&site.config)
        .unwrap()
        .expect("embedding is on");
    let local = evaluate_site(&site, embedder.clone(), &[]).await.unwrap();
    let cfg = scaled(
        &site.config,
        &qdrant,
        &pg,
        "parity",
        &tmp.path().join("cluster"),
    );
    let cluster = evaluate_config(&site, &cfg, embedder.clone(), &[])
        .await
        .unwrap();
    println!(
        "embedded:\n{}\ncluster:\n{}",
        local.table(),
        cluster.table()
    );
    assert_eq!(local.queries, cluster.queries);
    assert_eq!(local.indexed_chunks, cluster.indexed_chunks);
    for mode in [SearchMode::Keyword, SearchMode::Vector, SearchMode::Hybrid] {
        let (a, b) = (local.mode(mode).mrr, cluster.mode(mode).mrr);
        assert!(
            (a - b).abs() <= 0.01,
            "{mode:?}: MRR embedded {a:.3} vs cluster {b:.3}"
        );
    }
    // Nothing of the index is kept in the cluster config's data directory.
    assert!(!tmp.path().join("cluster/index").exists());

    let modes = [SearchMode::Hybrid, SearchMode::Vector];
    let on_disk = Searcher::open(&site.config, Some(embedder.clone())).unwrap();
    assert!(check_access(&site, &on_disk, &modes) >= 10);
    let on_cluster =
        tokio::task::spawn_blocking(move || Searcher::open(&cfg, Some(embedder)).unwrap())
            .await
            .unwrap();
    assert!(on_cluster.index().is_cluster());
    assert!(check_access(&site, &on_cluster, &modes) >= 10);
}

/// Waits (up to `limit`) for `f` to hold.
async fn until(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_replicas_and_workers_share_the_cluster_and_postgres() {
    let qdrant = QdrantCluster::start(1).unwrap();
    let pg = PostgresServer::start_or_panic();
    let tmp = tempfile::tempdir().unwrap();
    let site = start_workspace(
        generate(&GenConfig::skeleton(13)),
        &tmp.path().join("base"),
        false,
        "[serve]\nsync_interval_minutes = 0\n",
    )
    .await
    .unwrap();
    let cfg = |name: &str| scaled(&site.config, &qdrant, &pg, "roles", &tmp.path().join(name));
    let any = "127.0.0.1:0".parse().ok();

    // A replica's config must name the shared state and the cluster.
    let err = serve::start_with_role(site.config.clone(), None, any, serve::Role::Search)
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("state.url"), "{err}");

    // The replica starts before anything is synced, and searches nothing yet.
    let replica = serve::start_with_role(cfg("replica"), None, any, serve::Role::Search)
        .await
        .unwrap();
    assert!(replica.state.searcher.get().is_none());
    let first = serve::start_with_role(cfg("worker1"), None, any, serve::Role::Worker)
        .await
        .unwrap();
    until(Duration::from_secs(120), "the first worker's sync", || {
        first.state.runner.runs_finished() >= 1
    })
    .await;
    let second = serve::start_with_role(cfg("worker2"), None, any, serve::Role::Worker)
        .await
        .unwrap();

    // The replica opens the searcher from PostgreSQL's directory and the cluster's index.
    until(
        Duration::from_secs(30),
        "the replica to see the sync",
        || replica.state.searcher.get().is_some(),
    )
    .await;
    let searcher = replica.state.searcher.get().unwrap();
    assert!(searcher.index().is_cluster());
    assert!(check_access(&site, &searcher, &[SearchMode::Keyword]) >= 5);
    assert!(
        !tmp.path().join("replica/index").exists(),
        "a replica keeps no index"
    );
    let chunks = searcher.index().chunk_count().unwrap();
    assert!(chunks > 0);

    // Only the lock holder syncs: the second worker waits.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(second.state.runner.runs_finished(), 0);
    assert!(
        second
            .state
            .runner
            .try_start(serve::runner::Trigger::Manual)
            .is_err()
    );

    // A webhook hint queued by a replica reaches the worker: an issue deleted in Jira
    // leaves the index.
    let (gone_id, gone_key) = {
        let ws = site.handle.workspace();
        let ws = ws.read().unwrap();
        let i = ws.issues.last().unwrap();
        (i.id.clone(), i.key.clone())
    };
    site.handle
        .mutate(vec![jira_sim::admin::Mutation::DeleteIssue {
            issue: gone_id.clone(),
            actor: None,
        }])
        .unwrap();
    let store = state::StateStore::open_config(&cfg("replica")).unwrap();
    store
        .push_hint(&serve::webhooks::Hint::Issue(gone_id.clone()).encode())
        .unwrap();
    until(Duration::from_secs(60), "the hint to be applied", || {
        searcher
            .index()
            .issue_chunks_by_key(&gone_key)
            .unwrap()
            .is_empty()
    })
    .await;
    let chunks = searcher.index().chunk_count().unwrap();

    // The first worker stops (its lock goes with it); the second takes over and syncs
    // from the checkpoints: nothing new to fetch, nothing lost, nothing doubled.
    first.shutdown().await.unwrap();
    until(Duration::from_secs(120), "the second worker's sync", || {
        second.state.runner.runs_finished() >= 1
    })
    .await;
    // Oldest first: the first worker's full run, then the second worker's.
    let runs = store.runs(5).unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs[0].projects_full > 0 && runs[0].issues_indexed > 0);
    let resumed = &runs[1];
    assert_eq!(resumed.projects_full, 0, "{resumed:?}");
    assert!(resumed.projects_incremental > 0, "{resumed:?}");
    // Only the simulator's deliberately corrupt attachments fail (reported, retried).
    assert!(
        resumed
            .errors
            .iter()
            .all(|e| e.kind == state::RunErrorKind::Attachment),
        "{:?}",
        resumed.errors
    );
    // Resumed from the checkpoints: only the issues whose attachments failed are read
    // again, nothing else is re-indexed.
    assert!(
        resumed.issues_indexed <= resumed.errors.len(),
        "resumed from the checkpoints: {resumed:?}"
    );
    assert_eq!(searcher.index().chunk_count().unwrap(), chunks);
    assert!(check_access(&site, &searcher, &[SearchMode::Keyword]) >= 5);
    second.shutdown().await.unwrap();
    replica.shutdown().await.unwrap();
}

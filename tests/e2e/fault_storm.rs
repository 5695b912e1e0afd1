//! Issue 4's storm: with 10% 429s (`Retry-After` 1–2 s), 5% 503s and (here) 3%
//! connection resets and 3% truncated bodies injected by the simulator, a full sync ends with exactly the same index (same
//! issues, chunk ids and content hashes, same chunk count) as a fault-free sync of the
//! same site, and the simulator's request log shows no request sent after a 429 and
//! before its `Retry-After` expired.

use config::DataDir;
use jira_index_tests::start_workspace_with;
use jira_sim::SimOptions;
use jira_sim::faults::{Fault, FaultConfig};
use jira_sim::generate::{GenConfig, generate};
use state::StateStore;
use state::SyncState;

/// A request the client already had in flight when the 429 left arrives within a few
/// milliseconds of it; anything later was sent after the client could know.
const IN_FLIGHT_GRACE_MS: f64 = 250.0;

/// Syncs the site into a fresh data directory; returns the state, the chunk count and
/// the requests this sync made.
async fn sync_into(
    site: &jira_index_tests::SimSite,
    dir: &std::path::Path,
) -> (SyncState, usize, Vec<jira_sim::faults::RequestRecord>) {
    let mut cfg = site.config.clone();
    cfg.data.dir = dir.to_path_buf();
    site.handle.clear_request_log();
    let report = site.sync_cleanly(&cfg, None).await;
    let state: SyncState = StateStore::open(&DataDir::new(dir))
        .unwrap()
        .load()
        .unwrap();
    (state, report.chunk_count, site.handle.request_log())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_faults_changes_nothing_in_the_index() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = generate(&GenConfig::small(21));
    let site = start_workspace_with(
        ws,
        &tmp.path().join("unused"),
        false,
        "",
        SimOptions::default(),
    )
    .await
    .unwrap();
    let (calm, calm_chunks, calm_log) = sync_into(&site, &tmp.path().join("calm")).await;
    // The storm, plus aborted connections and truncated bodies often enough that a run
    // surely meets some.
    site.handle.set_faults(FaultConfig {
        connection_resets: 0.03,
        truncated_bodies: 0.03,
        ..FaultConfig::storm(4)
    });
    let (stormy, stormy_chunks, log) = sync_into(&site, &tmp.path().join("stormy")).await;

    assert!(calm_log.iter().all(|r| r.fault.is_none()));
    let count = |pred: &dyn Fn(&Fault) -> bool| {
        log.iter()
            .filter(|r| r.fault.as_ref().is_some_and(pred))
            .count()
    };
    let limited = count(&|f| matches!(f, Fault::RateLimited { early: false, .. }));
    let errors = count(&|f| matches!(f, Fault::ServerError { .. }));
    let resets = count(&|f| matches!(f, Fault::ConnectionReset | Fault::TruncatedBody));
    println!(
        "{} requests under the storm ({} calm): {limited} 429s, {errors} 5xx, {resets} resets or truncated bodies",
        log.len(),
        calm_log.len()
    );
    assert!(
        limited > 0 && errors > 0 && resets > 0,
        "the storm must actually hit the sync"
    );

    // Same index: same issues with the same chunk ids and content hashes.
    assert_eq!(stormy_chunks, calm_chunks);
    assert_eq!(stormy.issues.len(), calm.issues.len());
    for (id, want) in &calm.issues {
        let got = stormy
            .issues
            .get(id)
            .unwrap_or_else(|| panic!("issue {id} lost"));
        assert_eq!(got.chunk_ids, want.chunk_ids, "{}", want.key);
        assert_eq!(got.content_hash, want.content_hash, "{}", want.key);
    }

    // Retry-After honoured: nothing sent after a 429 was read and before it expired.
    let violations: Vec<_> = log
        .iter()
        .filter(|r| r.early && r.ms_after_429.unwrap_or(f64::MAX) > IN_FLIGHT_GRACE_MS)
        .collect();
    assert!(
        violations.is_empty(),
        "requests before Retry-After: {violations:#?}"
    );
}

//! `filters preview` predicts what the next sync does: for a narrowing (a project
//! excluded), a widening (back to everything) and a date range, the issues it would
//! fetch and delete, and the chunks it would delete, equal what the sync then does.

use jira_index_tests::start_site;
use jira_sim::generate::GenConfig;

async fn check(
    site_cfg: &sync::Config,
    current: &sync::Config,
    candidate: &sync::Config,
    what: &str,
) {
    let preview = sync::preview::preview_filters(current, candidate)
        .await
        .unwrap();
    println!("{what}:\n{}", preview.render());
    let before = sync::state::open_index(site_cfg, None)
        .unwrap()
        .chunk_count()
        .unwrap();
    let report = sync::run_sync(candidate, None, &Default::default())
        .await
        .unwrap();
    let after = sync::state::open_index(site_cfg, None)
        .unwrap()
        .chunk_count()
        .unwrap();
    assert_eq!(
        report.run.issues_indexed, preview.issues_to_fetch,
        "{what}: {:?}",
        report.run
    );
    assert_eq!(
        report.run.issues_deleted, preview.issues_to_delete,
        "{what}: {:?}",
        report.run
    );
    // With nothing fetched, the chunk count falls by exactly the predicted chunks.
    if preview.issues_to_fetch == 0 {
        assert_eq!(
            before - after,
            preview.chunks_to_delete,
            "{what}: chunks deleted"
        );
    }
    let state = sync::store::StateStore::open(&sync::state::DataDir::new(&site_cfg.data.dir))
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(state.issues.len(), preview.issues_selected, "{what}");
    let selected: u64 = preview.projects.iter().map(|p| p.selected).sum();
    assert_eq!(selected as usize, preview.issues_selected, "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_predicts_the_next_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(7), &tmp.path().join("data"), false)
        .await
        .unwrap();
    let base = site.config.clone();
    // First sync: everything.
    let first = sync::preview::preview_filters(&base, &base).await.unwrap();
    let report = sync::run_sync(&base, None, &Default::default())
        .await
        .unwrap();
    assert_eq!(report.run.issues_indexed, first.issues_to_fetch);
    assert_eq!(first.issues_to_delete, 0);

    // Nothing changed: nothing to do.
    let same = sync::preview::preview_filters(&base, &base).await.unwrap();
    assert_eq!((same.issues_to_fetch, same.issues_to_delete), (0, 0));

    // Narrow: the project with the most issues leaves the scope.
    let biggest = same
        .projects
        .iter()
        .max_by_key(|p| p.indexed_now)
        .unwrap()
        .key
        .clone();
    let mut narrow = base.clone();
    narrow.filters.projects_not_in = vec![biggest.clone()];
    let p = sync::preview::preview_filters(&base, &narrow)
        .await
        .unwrap();
    assert!(p.issues_to_delete > 0 && p.issues_to_fetch == 0);
    let row = p.projects.iter().find(|r| r.key == biggest).unwrap();
    assert!(!row.in_scope && row.to_delete == row.indexed_now);
    check(&base, &base, &narrow, "narrow").await;

    // Widen: back to every project.
    let p = sync::preview::preview_filters(&narrow, &base)
        .await
        .unwrap();
    assert!(p.issues_to_fetch > 0 && p.issues_to_delete == 0);
    check(&base, &narrow, &base, "widen").await;

    // Date range: only issues created from the median creation day on.
    let ws = site.handle.workspace().read().unwrap().clone();
    let mut created: Vec<_> = ws.issues.iter().map(|i| i.created).collect();
    created.sort();
    let day = created[created.len() / 2].format("%Y-%m-%d").to_string();
    let mut dated = base.clone();
    dated.filters.created_from = Some(day.clone());
    let p = sync::preview::preview_filters(&base, &dated).await.unwrap();
    assert!(p.issues_to_delete > 0, "{day}: {p:?}");
    check(&base, &base, &dated, "date range").await;
}

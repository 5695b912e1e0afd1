//! `filters preview` predicts what the next sync does: for a narrowing (a project
//! excluded), a widening (back to everything) and a date range, the issues it would
//! fetch and delete, and the chunks it would delete, equal what the sync then does.

use jira_index_tests::start_site;
use jira_sim::generate::GenConfig;

async fn check(
    site_cfg: &config::Config,
    current: &config::Config,
    candidate: &config::Config,
    what: &str,
) {
    let preview = sync::preview::preview_filters(current, candidate)
        .await
        .unwrap();
    println!("{what}:\n{}", preview.render());
    let before = search::open_index(site_cfg, None)
        .unwrap()
        .chunk_count()
        .unwrap();
    let report = sync::run_sync(candidate, None, &Default::default())
        .await
        .unwrap();
    let after = search::open_index(site_cfg, None)
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
    let state = state::StateStore::open(&config::DataDir::new(&site_cfg.data.dir))
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

/// Changing `[embedding] model` re-embeds every chunk: the preview says so (with the
/// new model's estimate), and the next sync rewrites every issue and searches with the
/// new model's vectors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_change_is_previewed_and_re_embeds_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(7), &tmp.path().join("data"), true)
        .await
        .unwrap();
    let mut first = site.config.clone();
    first.embedding.model = index::EmbeddingModel::PotionBase8m;
    let embedder = |cfg: &config::Config| {
        let cfg = cfg.clone();
        async move {
            tokio::task::spawn_blocking(move || sync::pipeline::load_embedder(&cfg))
                .await
                .unwrap()
                .unwrap()
        }
    };
    let report = sync::run_sync(&first, embedder(&first).await, &Default::default())
        .await
        .unwrap();
    let issues = report.run.issues_indexed;
    assert!(issues > 0);
    let chunks = search::open_index(&first, None)
        .unwrap()
        .chunk_count()
        .unwrap();

    let same = sync::preview::preview_filters(&first, &first)
        .await
        .unwrap();
    assert!(same.model_change.is_none() && !same.reindex_all);

    let mut second = first.clone();
    second.embedding.model = index::EmbeddingModel::MinilmL6V2Qint8;
    let p = sync::preview::preview_filters(&first, &second)
        .await
        .unwrap();
    println!("{}", p.render());
    let change = p.model_change.as_ref().expect("a model change");
    assert_eq!(
        (change.from.as_str(), change.to.as_str()),
        ("potion-base-8m", "minilm-l6-v2-qint8")
    );
    assert_eq!(change.chunks_to_embed, chunks);
    assert!(change.estimated_embed_seconds > 0.0);
    assert!(p.reindex_all && p.issues_to_fetch == issues);
    assert!(p.render().contains("minilm-l6-v2-qint8"));

    let qint8 = embedder(&second).await;
    let report = sync::run_sync(&second, qint8.clone(), &Default::default())
        .await
        .unwrap();
    assert_eq!(report.run.issues_indexed, issues, "{:?}", report.run);
    assert!(report.run.chunks_written > 0, "{:?}", report.run);
    // The new vectors answer a query embedded by the new model.
    let searcher = search::Searcher::open(&second, qint8).unwrap();
    let hits = searcher
        .search_as(
            "admin@example.com",
            "login fails",
            10,
            index::SearchMode::Vector,
            Default::default(),
        )
        .unwrap();
    assert!(!hits.hits.is_empty(), "vector search found nothing");
    let again = sync::preview::preview_filters(&second, &second)
        .await
        .unwrap();
    assert!(again.model_change.is_none() && again.issues_to_fetch == 0);
}

//! recall@10 and MRR of BM25 alone, vectors alone and hybrid on the labeled query set
//! (`tests/data/labeled-queries.toml`), over the simulator's small site synced with
//! the real embedder (every chunk kind), searching as the site admin.
//!
//! `cargo bench --bench search_quality` (`SYNC_PRESET=skeleton|small`, default small;
//! `QUALITY_SCOPE=issues` indexes issue text only; `QUALITY_SWEEP=1` also scores
//! hybrid under other fusions; `QUALITY_PER_QUERY=1` prints each query's reciprocal
//! rank per mode; `EMBED_MODELS=a,b,...` scores each embedding model in turn on the
//! same site, default: the configured default model). Figures go to
//! `target/bench-results/search_quality.json`.

use index::Fusion;
use jira_sim::generate::GenConfig;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let preset = std::env::var("SYNC_PRESET").unwrap_or_else(|_| "small".into());
    let seed: u64 = std::env::var("SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let gen_cfg = match preset.as_str() {
        "skeleton" => GenConfig::skeleton(seed),
        _ => GenConfig::small(seed),
    };
    let tmp = tempfile::tempdir()?;
    let extra = match std::env::var("QUALITY_SCOPE").as_deref() {
        Ok("issues") => "[indexing]\ncomments = false\nattachments = false\n",
        _ => "",
    };
    let mut site = jira_index_tests::start_workspace(
        jira_sim::generate::generate(&gen_cfg),
        &tmp.path().join("data"),
        true,
        extra,
    )
    .await?;
    let mut fusions = Vec::new();
    if std::env::var("QUALITY_SWEEP").is_ok_and(|v| v == "1") {
        for k in [5.0, 10.0, 20.0, 60.0] {
            for vector_weight in [1.0, 1.5, 2.0, 3.0] {
                fusions.push(Fusion::Rrf { k, vector_weight });
            }
        }
        for vector_weight in [0.5, 0.7, 0.8, 0.85, 0.9, 0.95] {
            fusions.push(Fusion::Convex { vector_weight });
        }
    }
    let models: Vec<index::EmbeddingModel> = match std::env::var("EMBED_MODELS") {
        Ok(list) => list
            .split(',')
            .map(|id| {
                index::EmbeddingModel::from_id(id.trim())
                    .ok_or_else(|| anyhow::anyhow!("unknown model {id:?} in EMBED_MODELS"))
            })
            .collect::<anyhow::Result<_>>()?,
        Err(_) => vec![site.config.embedding.model],
    };
    let mut results = bench_results::Results::new();
    let base_dir = site.config.data.dir.clone();
    let mut last = None;
    for model in models {
        site.config.embedding.model = model;
        site.config.data.dir = base_dir.join(model.id());
        let load_cfg = site.config.clone();
        // Blocking (the first use fetches the model): off the async workers.
        let embedder =
            tokio::task::spawn_blocking(move || sync::pipeline::load_embedder(&load_cfg))
                .await??
                .ok_or_else(|| anyhow::anyhow!("embedding is disabled in the site config"))?;
        let report = jira_index_tests::quality::evaluate_site(&site, embedder, &fusions).await?;
        println!(
            "preset {preset} seed {seed} model {model}\n{}",
            report.table()
        );
        for s in &report.scores {
            let mode = format!("{:?}", s.mode).to_lowercase();
            results.add(&format!("seed{seed}.{model}.{mode}.mrr"), s.mrr, "");
        }
        last = Some(report);
    }
    results.write("search_quality", env!("CARGO_MANIFEST_DIR"));
    let report = last.ok_or_else(|| anyhow::anyhow!("no model to score"))?;
    if std::env::var("QUALITY_PER_QUERY").is_ok_and(|v| v == "1") {
        let [kw, vec, hy] = &report.scores[..] else {
            anyhow::bail!("three modes expected");
        };
        println!(
            "{:<60} {:>6} {:>6} {:>6}",
            "query", "bm25", "vector", "hybrid"
        );
        for i in 0..kw.per_query.len() {
            println!(
                "{:<60} {:>6.2} {:>6.2} {:>6.2}",
                kw.per_query[i].0, kw.per_query[i].1, vec.per_query[i].1, hy.per_query[i].1
            );
        }
    }
    Ok(())
}

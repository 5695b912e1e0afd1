//! Embedding throughput on this machine, per model, in one run. A first sync of the
//! small preset (1,000 issues) with the first model learns the chunks. Then, for each
//! model: the raw embedder embeds exactly those chunk texts in one call (sorted by
//! length inside, the best case), and a whole sync from scratch, timed, makes the
//! model's own chunks. Both are reported in tokens/s of the chunks (counted with the
//! first model's tokenizer for the raw pass, so every model is measured on the same
//! work), with the sync/raw ratio (target >= 85%) and the resident memory after the
//! model's runs.
//!
//! `cargo bench --bench sync_embed` (`SYNC_PRESET=skeleton|small`, default small;
//! `EMBED_MODELS=minilm-l6-v2-int8-weights,minilm-l6-v2-qint8,potion-base-8m`, the
//! default, first = the reference; needs the models, fetched once into the cache).
//! Figures go to `target/bench-results/sync_embed.json`.

use std::time::Instant;

use config::DataDir;
use index::EmbeddingModel;
use jira_sim::generate::GenConfig;
use state::StateStore;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

/// Resident memory of this process now, in MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn models() -> anyhow::Result<Vec<EmbeddingModel>> {
    let list = std::env::var("EMBED_MODELS")
        .unwrap_or_else(|_| "minilm-l6-v2-int8-weights,minilm-l6-v2-qint8,potion-base-8m".into());
    list.split(',')
        .map(|id| {
            EmbeddingModel::from_id(id.trim())
                .ok_or_else(|| anyhow::anyhow!("unknown model {id:?} in EMBED_MODELS"))
        })
        .collect()
}

async fn run() -> anyhow::Result<()> {
    let preset = std::env::var("SYNC_PRESET").unwrap_or_else(|_| "small".into());
    let gen_cfg = match preset.as_str() {
        "skeleton" => GenConfig::skeleton(7),
        _ => GenConfig::small(7),
    };
    let models = models()?;
    let tmp = tempfile::tempdir()?;
    let site = jira_index_tests::start_site(&gen_cfg, &tmp.path().join("data"), true).await?;
    let config_for = |model: EmbeddingModel, dir: &str| {
        let mut cfg = site.config.clone();
        cfg.embedding.model = model;
        cfg.data.dir = tmp.path().join(dir);
        cfg
    };
    let load = |cfg: &config::Config| {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || sync::pipeline::load_embedder(&cfg))
    };

    // A first sync with the reference model learns the chunks.
    let first = config_for(models[0], "first");
    let reference = load(&first)
        .await??
        .ok_or_else(|| anyhow::anyhow!("embedding is disabled in the site config"))?;
    sync::run_sync(&first, Some(reference.clone()), &Default::default()).await?;
    let state = StateStore::open(&DataDir::new(&first.data.dir))?.load()?;
    let index = search::open_index(&first, None)?;
    let mut texts = Vec::new();
    for s in state.issues.values() {
        for id in &s.chunk_ids {
            if let Some(doc) = index.get_chunk(id)? {
                texts.push(doc.embed_text);
            }
        }
    }
    drop(index);
    let tokens: usize = texts.iter().map(|t| reference.count_tokens(t)).sum();
    drop(reference);
    println!(
        "preset {preset}: {} issues, {} chunks, {tokens} tokens ({} tokenizer)",
        state.issues.len(),
        texts.len(),
        models[0]
    );
    let texts = std::sync::Arc::new(texts);

    let mut results = bench_results::Results::new();
    let mut rows = Vec::new();
    for model in &models {
        let cfg = config_for(*model, model.id());
        let t = Instant::now();
        let embedder = load(&cfg).await??.expect("embedding is enabled");
        let load_secs = t.elapsed().as_secs_f64();

        let raw_secs = tokio::task::spawn_blocking({
            let embedder = embedder.clone();
            let texts = texts.clone();
            move || -> anyhow::Result<f64> {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let t = Instant::now();
                embedder.embed(&refs)?;
                Ok(t.elapsed().as_secs_f64())
            }
        })
        .await??;
        let raw = tokens as f64 / raw_secs;

        let t = Instant::now();
        let report = sync::run_sync(&cfg, Some(embedder.clone()), &Default::default()).await?;
        let sync_secs = t.elapsed().as_secs_f64();
        let state = StateStore::open(&DataDir::new(&cfg.data.dir))?.load()?;
        let index = search::open_index(&cfg, None)?;
        let mut own_tokens = 0usize;
        for s in state.issues.values() {
            for id in &s.chunk_ids {
                if let Some(doc) = index.get_chunk(id)? {
                    own_tokens += embedder.count_tokens(&doc.embed_text);
                }
            }
        }
        drop(index);
        let whole = own_tokens as f64 / sync_secs;
        let rss = rss_mib();
        println!(
            "{model}: loaded in {load_secs:.1} s; raw {raw_secs:.1} s = {raw:.0} tokens/s; \
             whole sync {} chunks in {sync_secs:.1} s = {whole:.0} tokens/s ({:.1}% of raw); RSS {rss:.0} MiB",
            report.chunk_count,
            100.0 * whole / raw
        );
        let id = model.id();
        results.add(&format!("{id}.raw_tokens_per_sec"), raw, "tokens/s");
        results.add(&format!("{id}.sync_tokens_per_sec"), whole, "tokens/s");
        results.add(&format!("{id}.sync_seconds"), sync_secs, "s");
        results.add(
            &format!("{id}.sync_chunks_per_sec"),
            report.chunk_count as f64 / sync_secs,
            "chunks/s",
        );
        results.add(&format!("{id}.rss_after"), rss, "MiB");
        rows.push((*model, raw, whole, sync_secs, report.chunk_count));
        drop(embedder);
    }

    println!(
        "\n{:<28} {:>12} {:>12} {:>10} {:>8} {:>9}",
        "model", "raw tok/s", "sync tok/s", "sync s", "chunks", "vs first"
    );
    for (model, raw, whole, secs, chunks) in &rows {
        println!(
            "{:<28} {:>12.0} {:>12.0} {:>10.1} {:>8} {:>8.2}x",
            model.id(),
            raw,
            whole,
            secs,
            chunks,
            raw / rows[0].1
        );
    }
    results.write("sync_embed", env!("CARGO_MANIFEST_DIR"));
    Ok(())
}

//! How close a whole sync with the real embedder on CPU comes to the raw embedder:
//! a first sync of the small preset (1,000 issues) learns the chunks; the raw embedder
//! embeds exactly those chunk texts in one call (sorted by length, the best case);
//! then a second whole sync from scratch, timed, makes the same chunks. Both are
//! reported in tokens/s of those chunks (the model's tokenizer), with their ratio
//! (target >= 85%).
//!
//! `cargo bench --bench sync_embed` (`SYNC_PRESET=skeleton|small`, default small;
//! needs the embedding model, fetched once into the cache)

use std::time::Instant;

use jira_sim::generate::GenConfig;
use sync::state::DataDir;
use sync::store::StateStore;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let preset = std::env::var("SYNC_PRESET").unwrap_or_else(|_| "small".into());
    let gen_cfg = match preset.as_str() {
        "skeleton" => GenConfig::skeleton(7),
        _ => GenConfig::small(7),
    };
    let tmp = tempfile::tempdir()?;
    let site = jira_index_tests::start_site(&gen_cfg, &tmp.path().join("data"), true).await?;

    let embedder = site
        .embedder()
        .await?
        .ok_or_else(|| anyhow::anyhow!("embedding is disabled in the site config"))?;

    // A first sync learns the chunks (the model's tokenizer shapes them).
    let mut first = site.config.clone();
    first.data.dir = tmp.path().join("first");
    sync::run_sync(&first, Some(embedder.clone()), &Default::default()).await?;
    let state = StateStore::open(&DataDir::new(&first.data.dir))?.load()?;
    let index = sync::state::open_index(&first, None)?;
    let mut texts = Vec::new();
    for s in state.issues.values() {
        for id in &s.chunk_ids {
            if let Some(doc) = index.get_chunk(id)? {
                texts.push(doc.embed_text);
            }
        }
    }
    drop(index);
    let tokens: usize = texts.iter().map(|t| embedder.count_tokens(t)).sum();
    println!(
        "preset {preset}: {} issues, {} chunks, {} tokens",
        state.issues.len(),
        texts.len(),
        tokens
    );

    // The raw embedder on those texts, in one call (sorted by length inside).
    let raw_secs = tokio::task::spawn_blocking({
        let embedder = embedder.clone();
        move || -> anyhow::Result<f64> {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let t = Instant::now();
            embedder.embed(&refs)?;
            Ok(t.elapsed().as_secs_f64())
        }
    })
    .await??;
    let raw = tokens as f64 / raw_secs;
    println!("raw embedder on those chunks: {raw_secs:.1} s = {raw:.0} tokens/s");

    // The measured run: a whole sync from scratch, making the same chunks.
    let t = Instant::now();
    let report = sync::run_sync(&site.config, Some(embedder.clone()), &Default::default()).await?;
    let sync_secs = t.elapsed().as_secs_f64();
    let whole = tokens as f64 / sync_secs;
    println!(
        "whole sync with the embedder: {} chunks in {sync_secs:.1} s = {whole:.0} tokens/s",
        report.chunk_count
    );
    assert_eq!(
        report.chunk_count,
        state
            .issues
            .values()
            .map(|s| s.chunk_ids.len())
            .sum::<usize>()
    );
    println!(
        "sync / raw embedder: {:.1}% (target >= 85%)",
        100.0 * whole / raw
    );
    Ok(())
}

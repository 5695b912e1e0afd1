//! Permission-filtered search at scale: 1,000,000 synthetic chunks (Zipf-distributed
//! words, random unit vectors of 384 dimensions, ACL tags over 500 projects, security
//! levels and restricted comments) in the embedded stores (tantivy + qdrant-edge on
//! disk). Prints the build throughput of each store, then p50/p99 latency of hybrid,
//! BM25 and vector search (top 10) for a person with 50 project tags and for one with
//! 2,000 principals — each person's queries in a row (the keyword side's permission
//! filter cached after their first), and every query by a new principal set (never
//! cached). Query vectors are random and given to the search: the query embedding is
//! excluded and measured on its own (when the model is in the cache).
//!
//! `cargo bench --bench search_scale` (`SCALE_CHUNKS`, default 1000000;
//! `SCALE_QUERIES`, default 300; `SCALE_DIR` keeps the built index there and reuses it
//! on the next run with the same `SCALE_CHUNKS`). Figures go to
//! `target/bench-results/search_scale.json` (the build figures only when the index
//! was built in this run, not reused).

use std::path::{Path, PathBuf};
use std::time::Instant;

use index::{
    ChunkDoc, ChunkKind, EMBEDDING_DIM, EdgeStore, KeywordIndex, SearchFilters, SearchIndex,
    SearchMode, SearchRequest, VectorStore,
};
use rand::distributions::Distribution;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PROJECTS: usize = 500;
const GROUPS: usize = 300;
const VOCABULARY: usize = 20_000;
const BATCH: usize = 10_000;

fn main() -> anyhow::Result<()> {
    let n: usize = env_or("SCALE_CHUNKS", 1_000_000);
    let queries: usize = env_or("SCALE_QUERIES", 300);
    let (_tmp, dir) = match std::env::var("SCALE_DIR") {
        Ok(d) => (None, PathBuf::from(d)),
        Err(_) => {
            let t = tempfile::tempdir()?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let words = vocabulary();
    let mut results = bench_results::Results::new();
    results.add("chunks", n as f64, "chunks");
    results.add("queries", queries as f64, "queries");
    let marker = dir.join(format!("built-{n}"));
    if marker.exists() {
        println!("reusing the index of {n} chunks in {}", dir.display());
    } else {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        build(&dir, n, &words, &mut results)?;
        std::fs::write(&marker, b"")?;
    }

    let vectors = EdgeStore::open(&dir.join("vectors"), EMBEDDING_DIM)?;
    let index = SearchIndex::with_store(&dir, None, Some(Box::new(vectors)))?;
    let (keyword_chunks, vector_count) = (index.chunk_count()?, index.vector_count()?);
    println!("index: {keyword_chunks} chunks (keyword), {vector_count} vectors");
    results.add("index.keyword_chunks", keyword_chunks as f64, "chunks");
    results.add("index.vectors", vector_count as f64, "vectors");

    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let zipf = zipf(VOCABULARY);
    let texts: Vec<String> = (0..queries)
        .map(|_| {
            // Query words from the middle of the distribution: not stop-word-like.
            let k = rng.gen_range(2..=4);
            (0..k)
                .map(|_| words[(zipf.sample(&mut rng) + 50).min(VOCABULARY - 1)].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let qvecs: Vec<Vec<f32>> = (0..queries).map(|_| unit_vector(&mut rng)).collect();

    for (who, key, principals) in [
        ("50 project tags", "tags50", fifty_projects()),
        ("2,000 principals", "principals2000", two_thousand()),
    ] {
        // Cold: each query by a new principal set (one extra tag that matches
        // nothing), so the keyword side's permission filter is never cached.
        let mut times = Vec::with_capacity(queries);
        for (i, (text, qv)) in texts.iter().zip(&qvecs).enumerate() {
            let mut p = principals.clone();
            p.push(format!("u:bench-{i}"));
            let req = SearchRequest {
                query: text,
                principals: &p,
                limit: 10,
                mode: SearchMode::Hybrid,
                filters: SearchFilters::default(),
            };
            let t = Instant::now();
            index.search_with_vector(&req, qv)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let (p50, p99) = (percentile(&times, 0.50), percentile(&times, 0.99));
        println!("{who:<17} hybrid, filter not cached: p50 {p50:>6.1} ms  p99 {p99:>6.1} ms");
        results.add(&format!("{key}.hybrid_uncached.p50_ms"), p50, "ms");
        results.add(&format!("{key}.hybrid_uncached.p99_ms"), p99, "ms");
        for mode in [SearchMode::Hybrid, SearchMode::Keyword, SearchMode::Vector] {
            let mut times = Vec::with_capacity(queries);
            let mut found = 0usize;
            for (i, (text, qv)) in texts.iter().zip(&qvecs).enumerate() {
                let req = SearchRequest {
                    query: text,
                    principals: &principals,
                    limit: 10,
                    mode,
                    filters: SearchFilters::default(),
                };
                let t = Instant::now();
                let hits = index.search_with_vector(&req, qv)?;
                let took = t.elapsed().as_secs_f64() * 1000.0;
                // The first 20 warm the caches.
                if i >= 20.min(queries / 5) {
                    times.push(took);
                }
                found += hits.len();
                for h in &hits {
                    let doc = index.get_chunk(&h.chunk_id)?.expect("hit is stored");
                    assert!(index::acl_allows(&principals, &doc), "leak: {}", h.chunk_id);
                }
            }
            times.sort_by(f64::total_cmp);
            let mode = format!("{mode:?}").to_lowercase();
            let (p50, p99) = (percentile(&times, 0.50), percentile(&times, 0.99));
            let hits_each = found as f64 / queries as f64;
            println!(
                "{who:<17} {mode:<7} p50 {p50:>6.1} ms  p99 {p99:>6.1} ms  ({} queries, {hits_each:.1} hits each)",
                times.len(),
            );
            results.add(&format!("{key}.{mode}.p50_ms"), p50, "ms");
            results.add(&format!("{key}.{mode}.p99_ms"), p99, "ms");
            results.add(
                &format!("{key}.{mode}.timed_queries"),
                times.len() as f64,
                "queries",
            );
            results.add(&format!("{key}.{mode}.hits_per_query"), hits_each, "hits");
        }
    }

    match load_embedder() {
        Some(embedder) => {
            let mut times = Vec::new();
            for text in texts.iter().take(100) {
                let t = Instant::now();
                embedder.embed_query(text)?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            let (p50, p99) = (percentile(&times, 0.50), percentile(&times, 0.99));
            println!(
                "query embedding (not in the figures above): p50 {p50:.1} ms  p99 {p99:.1} ms"
            );
            results.add("query_embedding.p50_ms", p50, "ms");
            results.add("query_embedding.p99_ms", p99, "ms");
        }
        None => println!("query embedding: model not in the cache, not measured"),
    }
    results.write("search_scale", env!("CARGO_MANIFEST_DIR"));
    Ok(())
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The embedder, only when its assets are already cached (no download here).
fn load_embedder() -> Option<index::Embedder> {
    let cache = index::default_cache_dir();
    if !cache.exists() {
        return None;
    }
    let assets = index::ensure_assets(&cache).ok()?;
    index::Embedder::load(&assets).ok()
}

/// Pronounceable pseudo-words, distinct, deterministic.
fn vocabulary() -> Vec<String> {
    const ON: [&str; 16] = [
        "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "ch", "st",
    ];
    const NU: [&str; 8] = ["a", "e", "i", "o", "u", "ai", "ou", "ee"];
    let mut out = Vec::with_capacity(VOCABULARY);
    let mut i = 0usize;
    while out.len() < VOCABULARY {
        let mut w = String::new();
        let mut x = i;
        for _ in 0..3 {
            w.push_str(ON[x % ON.len()]);
            x /= ON.len();
            w.push_str(NU[x % NU.len()]);
            x /= NU.len();
        }
        if x == 0 {
            out.push(w);
        } else {
            out.push(format!("{w}{x}"));
        }
        i += 1;
    }
    out
}

fn zipf(n: usize) -> rand::distributions::WeightedIndex<f64> {
    rand::distributions::WeightedIndex::new((1..=n).map(|r| 1.0 / r as f64))
        .expect("weights are positive")
}

fn unit_vector(rng: &mut ChaCha8Rng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..EMBEDDING_DIM)
        .map(|_| rng.r#gen::<f32>() * 2.0 - 1.0)
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

fn project_tag(p: usize) -> String {
    format!("p:{}", 10_000 + p)
}

/// One synthetic chunk: project uniform over 500; 10% behind a security level (a group
/// or the reporter); 15% comments restricted to a group.
fn chunk(
    i: usize,
    rng: &mut ChaCha8Rng,
    words: &[String],
    zipf: &impl Distribution<usize>,
) -> ChunkDoc {
    let p = rng.gen_range(0..PROJECTS);
    let issue = i / 4;
    let kind = match i % 4 {
        0 => ChunkKind::Issue,
        3 => ChunkKind::Attachment,
        _ => ChunkKind::Comment,
    };
    let mut pick = |k: usize| {
        (0..k)
            .map(|_| words[zipf.sample(rng)].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let title = pick(6);
    let text = pick(60);
    let acl_issue = if rng.gen_bool(0.1) {
        vec![
            format!("g:sec-{}", p % 20),
            format!("{}:reporter:acc-{}", project_tag(p), rng.gen_range(0..1000)),
        ]
    } else {
        vec!["*".to_string()]
    };
    let acl_comment = if kind == ChunkKind::Comment && rng.gen_bool(0.3) {
        vec![format!("g:grp-{}", rng.gen_range(0..GROUPS))]
    } else {
        vec!["*".to_string()]
    };
    let key = format!("P{p}-{issue}");
    ChunkDoc {
        chunk_id: format!("{}:{i}:0", kind.as_str()),
        issue_id: issue.to_string(),
        issue_key: key.clone(),
        project_key: format!("P{p}"),
        kind,
        title: title.clone(),
        embed_text: String::new(),
        text,
        url: format!("https://example.atlassian.net/browse/{key}"),
        acl_project: vec![project_tag(p)],
        acl_issue,
        acl_comment,
        status: Some("Open".into()),
        priority: Some("Medium".into()),
        issue_type: None,
        assignee: None,
        labels: vec![],
        created: Some(1_700_000_000_000 + i as i64),
        updated: Some(1_700_000_000_000 + i as i64),
        content_hash: format!("{i:016x}"),
    }
}

/// Builds both stores, timing each on its own; records the timings in `results`.
fn build(
    dir: &Path,
    n: usize,
    words: &[String],
    results: &mut bench_results::Results,
) -> anyhow::Result<()> {
    let zipf = zipf(VOCABULARY);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let keyword = KeywordIndex::open(&dir.join("keyword"))?;
    let vectors = EdgeStore::open(&dir.join("vectors"), EMBEDDING_DIM)?;
    let (mut kw_secs, mut vec_secs, mut gen_secs) = (0.0, 0.0, 0.0);
    let mut done = 0;
    while done < n {
        let t = Instant::now();
        let m = BATCH.min(n - done);
        let docs: Vec<ChunkDoc> = (done..done + m)
            .map(|i| chunk(i, &mut rng, words, &zipf))
            .collect();
        let vecs: Vec<Vec<f32>> = (0..m).map(|_| unit_vector(&mut rng)).collect();
        gen_secs += t.elapsed().as_secs_f64();

        let t = Instant::now();
        keyword.upsert(&docs)?;
        if (done + m).is_multiple_of(100_000) || done + m == n {
            keyword.commit()?;
        }
        kw_secs += t.elapsed().as_secs_f64();

        let t = Instant::now();
        vectors.upsert(&docs, &vecs)?;
        vec_secs += t.elapsed().as_secs_f64();
        done += m;
        if done.is_multiple_of(100_000) {
            eprintln!("  {done} chunks written");
        }
    }
    let t = Instant::now();
    keyword.wait_merges()?;
    kw_secs += t.elapsed().as_secs_f64();
    let t = Instant::now();
    vectors.flush()?;
    let flush_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    vectors.optimize()?;
    let optimize_secs = t.elapsed().as_secs_f64();
    let kw_rate = n as f64 / kw_secs;
    let upsert_rate = n as f64 / vec_secs;
    let vec_rate = n as f64 / (vec_secs + flush_secs + optimize_secs);
    println!("built {n} chunks (generating them took {gen_secs:.1} s, not counted)");
    println!(
        "keyword (tantivy): {kw_secs:.1} s = {kw_rate:.0} chunks/s (incl. commits and merges)"
    );
    println!(
        "vectors (qdrant-edge): upsert {vec_secs:.1} s = {upsert_rate:.0} chunks/s; flush {flush_secs:.1} s; optimize (HNSW) {optimize_secs:.1} s; all = {vec_rate:.0} chunks/s"
    );
    results.add("build.generate_seconds", gen_secs, "s");
    results.add("build.keyword.seconds", kw_secs, "s");
    results.add("build.keyword.chunks_per_sec", kw_rate, "chunks/s");
    results.add("build.vectors.upsert_seconds", vec_secs, "s");
    results.add(
        "build.vectors.upsert_chunks_per_sec",
        upsert_rate,
        "chunks/s",
    );
    results.add("build.vectors.flush_seconds", flush_secs, "s");
    results.add("build.vectors.optimize_seconds", optimize_secs, "s");
    results.add("build.vectors.chunks_per_sec", vec_rate, "chunks/s");
    Ok(())
}

/// `*` and 50 project tags: sees 10% of the chunks (less the restricted ones).
fn fifty_projects() -> Vec<String> {
    let mut p: Vec<String> = (0..50).map(project_tag).collect();
    p.push("*".into());
    p
}

/// `*`, 200 project tags, 100 groups, 1,699 reporter/custom-field tags: 2,000 in all.
fn two_thousand() -> Vec<String> {
    let mut p: Vec<String> = (0..200).map(project_tag).collect();
    p.extend((0..20).map(|g| format!("g:sec-{g}")));
    p.extend((0..80).map(|g| format!("g:grp-{}", g * 3)));
    p.extend(
        (0..1_699).map(|i| format!("{}:reporter:acc-{}", project_tag(i % PROJECTS), i % 1000)),
    );
    p.push("*".into());
    assert_eq!(p.len(), 2_000);
    p
}

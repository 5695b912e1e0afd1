//! Load run of `jira-index serve` on loopback: the small preset (1,000 issues) synced
//! keyword-only, then 50 concurrent searchers, each as a random person with a random
//! word from the corpus, for 60 s (`SERVE_LOAD_SECS` to change). Prints requests/s,
//! p50/p99/max latency and the error count. Figures go to
//! `target/bench-results/serve_load.json`.
//!
//! `cargo bench --bench serve_load`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use jira_sim::generate::GenConfig;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

const KEY: &str = "load-test-key-0123456789abcdef";
const SEARCHERS: usize = 50;

fn main() -> anyhow::Result<()> {
    let secs: u64 = std::env::var("SERVE_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(Duration::from_secs(secs)))
}

async fn run(duration: Duration) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let extra = format!(
        "[serve]\nsync_interval_minutes = 0\n\n[[serve.api_keys]]\nname = \"load\"\nsha256 = \"{}\"\nscopes = [\"impersonate\"]\n",
        serve::auth::key_hash(KEY)
    );
    let site = jira_index_tests::start_workspace(
        jira_sim::generate(&GenConfig::small(7)),
        &tmp.path().join("data"),
        false,
        &extra,
    )
    .await?;
    let mut results = bench_results::Results::new();
    let t = Instant::now();
    let report = sync::run_sync(&site.config, None, &Default::default()).await?;
    let sync_secs = t.elapsed().as_secs_f64();
    eprintln!(
        "synced {} issues, {} chunks in {sync_secs:.1} s",
        report.run.issues_seen, report.chunk_count,
    );
    results.add("sync.issues", report.run.issues_seen as f64, "issues");
    results.add("sync.chunks", report.chunk_count as f64, "chunks");
    results.add("sync.seconds", sync_secs, "s");
    let server = serve::start(site.config.clone(), None, Some(([127, 0, 0, 1], 0).into())).await?;
    let url = format!("http://{}/v1/search", server.addr);

    let ws = site.handle.workspace().read().unwrap().clone();
    let people: Arc<Vec<String>> = Arc::new(
        ws.users
            .iter()
            .filter(|u| u.email_visible && u.account_type == "atlassian")
            .map(|u| u.email.clone())
            .collect(),
    );
    let mut words: Vec<String> = ws
        .issues
        .iter()
        .flat_map(|i| i.summary.split_whitespace().map(str::to_lowercase))
        .filter(|w| w.len() > 3 && w.chars().all(char::is_alphabetic))
        .collect();
    words.sort();
    words.dedup();
    let words = Arc::new(words);
    eprintln!(
        "{} searchers for {:?}: {} people, {} words",
        SEARCHERS,
        duration,
        people.len(),
        words.len()
    );

    let errors = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(SEARCHERS)
        .build()?;
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for n in 0..SEARCHERS {
        let (client, url, people, words, errors) = (
            client.clone(),
            url.clone(),
            people.clone(),
            words.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(n as u64);
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let person = people.choose(&mut rng).unwrap();
                let query = if rng.gen_bool(0.5) {
                    words.choose(&mut rng).unwrap().clone()
                } else {
                    format!(
                        "{} {}",
                        words.choose(&mut rng).unwrap(),
                        words.choose(&mut rng).unwrap()
                    )
                };
                let start = Instant::now();
                let res = client
                    .post(&url)
                    .bearer_auth(KEY)
                    .json(&json!({"query": query, "as": person, "limit": 10}))
                    .send()
                    .await;
                let ok = match res {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                latencies.push(start.elapsed());
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    let rate = all.len() as f64 / duration.as_secs_f64();
    let p50 = pct(0.50).as_secs_f64() * 1e3;
    let p99 = pct(0.99).as_secs_f64() * 1e3;
    let max = all.last().unwrap().as_secs_f64() * 1e3;
    let errors = errors.load(Ordering::Relaxed);
    println!(
        "serve load: {} requests in {:?} = {rate:.0} req/s; p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms; errors {errors}",
        all.len(),
        duration,
    );
    results.add("searchers", SEARCHERS as f64, "searchers");
    results.add("duration_seconds", duration.as_secs_f64(), "s");
    results.add("requests", all.len() as f64, "requests");
    results.add("requests_per_sec", rate, "req/s");
    results.add("p50_ms", p50, "ms");
    results.add("p99_ms", p99, "ms");
    results.add("max_ms", max, "ms");
    results.add("errors", errors as f64, "errors");
    server.shutdown().await?;
    results.write("serve_load", env!("CARGO_MANIFEST_DIR"));
    Ok(())
}

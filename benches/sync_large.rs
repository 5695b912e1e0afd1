//! Sync throughput on the large preset (50,000 issues, 60 projects, 1,000 people,
//! ~9,000 attachments), faults off, keyword-only (embedding disabled): a full run,
//! then an incremental run with nothing changed. Prints issues/s, API calls per 1,000
//! issues (attachment downloads excluded), the incremental run's calls and seconds, and
//! the process's peak RSS (simulator included; its share is printed before the sync).
//!
//! `cargo bench --bench sync_large` (`SYNC_PRESET=small|medium|large`, default large;
//! `SYNC_MAX_RATE=<req/s>` raises the client's request ceiling, default 100)

use std::time::Instant;

/// The binary's allocator, as `jira-index` uses it: glibc's malloc spent a third of
/// this run's CPU on allocation churn across threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use jira_sim::generate::GenConfig;

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let preset = std::env::var("SYNC_PRESET").unwrap_or_else(|_| "large".into());
    let gen_cfg = match preset.as_str() {
        "small" => GenConfig::small(7),
        "medium" => GenConfig::medium(7),
        _ => GenConfig::large(7),
    };
    let tmp = tempfile::tempdir()?;
    let t = Instant::now();
    let mut site = jira_index_tests::start_site(&gen_cfg, &tmp.path().join("data"), false).await?;
    if let Some(rate) = std::env::var("SYNC_MAX_RATE")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        site.config.jira.max_requests_per_sec = rate;
    }
    println!(
        "client request ceiling {} req/s, {} in flight",
        site.config.jira.max_requests_per_sec, site.config.jira.max_concurrency
    );
    let sim_rss = rss_kib("VmRSS:");
    println!(
        "preset {preset}: {} issues generated and served in {:.1} s; RSS with the simulator loaded {:.0} MiB",
        gen_cfg.issues,
        t.elapsed().as_secs_f64(),
        mib(sim_rss)
    );

    let t = Instant::now();
    let full = sync::run_sync(&site.config, None, &Default::default()).await?;
    let secs = t.elapsed().as_secs_f64();
    let r = &full.run;
    let calls = r.api_calls - r.attachment_calls;
    println!(
        "full keyword-only sync: {} issues, {} chunks in {:.1} s = {:.0} issues/s",
        r.issues_seen,
        full.chunk_count,
        secs,
        r.issues_seen as f64 / secs
    );
    println!(
        "  API calls: {} without attachments = {:.1} per 1,000 issues (+ {} attachment downloads); errors {}",
        calls,
        calls as f64 * 1000.0 / r.issues_seen.max(1) as f64,
        r.attachment_calls,
        r.errors.len()
    );
    println!(
        "  identity in full: {} in {:.1} s; attachments downloaded {}, skipped {}, failed {}",
        r.identity_full,
        r.identity_ms as f64 / 1000.0,
        r.attachments.downloaded,
        r.attachments.skipped,
        r.attachments.failed
    );

    print_calls_by_endpoint(&site.handle);
    site.handle.clear_request_log();

    let t = Instant::now();
    let again = sync::run_sync(&site.config, None, &Default::default()).await?;
    let secs = t.elapsed().as_secs_f64();
    let projects = again.run.projects_incremental + again.run.projects_full;
    println!(
        "incremental sync, nothing changed: {} calls ({} projects; target <= {}) in {:.2} s; re-indexed {}",
        again.run.api_calls,
        projects,
        projects + 10,
        secs,
        again.run.issues_indexed
    );
    println!(
        "peak RSS of the process (simulator + sync): {:.0} MiB; the sync's share at most {:.0} MiB",
        mib(rss_kib("VmHWM:")),
        mib(rss_kib("VmHWM:").saturating_sub(sim_rss))
    );
    Ok(())
}

/// The simulator's request log grouped by endpoint (ids and keys in paths replaced),
/// attachment downloads left out: where the calls of a run go.
fn print_calls_by_endpoint(sim: &jira_sim::SimHandle) {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for r in sim.request_log() {
        if r.path.contains("/attachment/content/") {
            continue;
        }
        let path: Vec<String> = r
            .path
            .split('/')
            .map(|seg| {
                if seg.chars().any(|c| c.is_ascii_digit()) {
                    "{id}".to_string()
                } else {
                    seg.to_string()
                }
            })
            .collect();
        *counts
            .entry(format!("{} {}", r.method, path.join("/")))
            .or_default() += 1;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    println!("  calls by endpoint:");
    for (endpoint, n) in rows {
        println!("    {n:>6}  {endpoint}");
    }
}

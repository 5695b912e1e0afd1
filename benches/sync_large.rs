//! Sync throughput on the large preset (50,000 issues, 60 projects, 1,000 people,
//! ~9,000 attachments), faults off, keyword-only (embedding disabled): a full run,
//! then an incremental run with nothing changed. Prints issues/s, API calls per 1,000
//! issues (attachment downloads excluded), the incremental run's calls and seconds, and
//! the process's peak RSS (simulator included; its share is printed before the sync).
//!
//! The simulator runs on threads of its own, so that the sync's CPU time and the
//! simulator's (Jira's, on a real site) are printed apart, with the CPU use of both
//! per second of the full run.
//!
//! `cargo bench --bench sync_large` (`SYNC_PRESET=small|medium|large`, default large;
//! `SYNC_MAX_RATE=<req/s>` raises the client's request ceiling, default 100;
//! `SYNC_MAX_CONCURRENCY=<n>` sets the requests in flight, default 8;
//! `SYNC_DUMP_LOG=<file>` writes the simulator's request log of the full run, one
//! request per line: milliseconds since start, method, path, status). Figures go to
//! `target/bench-results/sync_large.json` (the per-second CPU use as its mean over the
//! full run; the calls by endpoint each as `calls_by_endpoint.<METHOD> <path>`).

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

/// Name of the simulator's threads (its own runtime), whose CPU time is told apart.
const SIM_THREAD: &str = "jira-sim";

/// CPU seconds (user + system) of a `/proc/.../stat` line.
fn stat_cpu_secs(stat: &str) -> f64 {
    // Fields after the parenthesised name: state is field 3; utime 14, stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / hz
}

/// CPU seconds of the whole process, and of the simulator's threads.
fn cpu_secs() -> (f64, f64) {
    let process = stat_cpu_secs(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default());
    let mut sim = 0.0;
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end().starts_with(SIM_THREAD) {
            sim += stat_cpu_secs(
                &std::fs::read_to_string(task.path().join("stat")).unwrap_or_default(),
            );
        }
    }
    (process, sim)
}

fn main() -> anyhow::Result<()> {
    // The simulator runs on its own threads, so that its CPU time (Jira's, on a real
    // site) can be told apart from the sync's; both share this machine's cores.
    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(SIM_THREAD)
        .thread_keep_alive(std::time::Duration::from_secs(3600))
        .enable_all()
        .build()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let preset = std::env::var("SYNC_PRESET").unwrap_or_else(|_| "large".into());
    let gen_cfg = match preset.as_str() {
        "small" => GenConfig::small(7),
        "medium" => GenConfig::medium(7),
        _ => GenConfig::large(7),
    };
    let tmp = tempfile::tempdir()?;
    let t = Instant::now();
    let site = sim_rt.block_on(jira_index_tests::start_site(
        &gen_cfg,
        &tmp.path().join("data"),
        false,
    ))?;
    rt.block_on(run(site, &preset, &gen_cfg, t))
}

async fn run(
    mut site: jira_index_tests::SimSite,
    preset: &str,
    gen_cfg: &GenConfig,
    t: Instant,
) -> anyhow::Result<()> {
    if let Some(rate) = std::env::var("SYNC_MAX_RATE")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        site.config.jira.max_requests_per_sec = rate;
    }
    if let Some(n) = std::env::var("SYNC_MAX_CONCURRENCY")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        site.config.jira.max_concurrency = n;
    }
    let mut results = bench_results::Results::new();
    println!(
        "client request ceiling {} req/s, {} in flight",
        site.config.jira.max_requests_per_sec, site.config.jira.max_concurrency
    );
    results.add(
        "client.max_requests_per_sec",
        site.config.jira.max_requests_per_sec,
        "req/s",
    );
    results.add(
        "client.max_concurrency",
        site.config.jira.max_concurrency as f64,
        "requests",
    );
    let sim_rss = rss_kib("VmRSS:");
    let gen_secs = t.elapsed().as_secs_f64();
    println!(
        "preset {preset}: {} issues generated and served in {gen_secs:.1} s; RSS with the simulator loaded {:.0} MiB",
        gen_cfg.issues,
        mib(sim_rss)
    );
    results.add("preset.issues", gen_cfg.issues as f64, "issues");
    results.add("preset.generate_seconds", gen_secs, "s");
    results.add("simulator_rss", mib(sim_rss), "MiB");

    let t = Instant::now();
    let (cpu0, sim0) = cpu_secs();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let mut last = cpu_secs();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_secs(1));
                let now = cpu_secs();
                out.push(format!(
                    "{:.0}/{:.0}",
                    (now.0 - last.0 - (now.1 - last.1)) * 100.0,
                    (now.1 - last.1) * 100.0
                ));
                last = now;
            }
            out
        })
    };
    let full = sync::run_sync(&site.config, None, &Default::default()).await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let secs = t.elapsed().as_secs_f64();
    let per_second = sampler.join().unwrap_or_default().join(" ");
    let (cpu1, sim1) = cpu_secs();
    let r = &full.run;
    let calls = r.api_calls - r.attachment_calls;
    let issues_per_sec = r.issues_seen as f64 / secs;
    println!(
        "full keyword-only sync: {} issues, {} chunks in {secs:.1} s = {issues_per_sec:.0} issues/s",
        r.issues_seen, full.chunk_count,
    );
    results.add("full.issues", r.issues_seen as f64, "issues");
    results.add("full.chunks", full.chunk_count as f64, "chunks");
    results.add("full.seconds", secs, "s");
    results.add("full.issues_per_sec", issues_per_sec, "issues/s");
    let (sim_cpu, sync_cpu) = (sim1 - sim0, (cpu1 - cpu0) - (sim1 - sim0));
    let sync_ms_per_issue = sync_cpu * 1000.0 / r.issues_seen.max(1) as f64;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "  CPU: sync {sync_cpu:.1} s ({sync_ms_per_issue:.2} ms per issue), simulator {sim_cpu:.1} s, over {secs:.1} s of wall time on {cores} cores",
    );
    println!("  CPU use per second, sync/simulator (% of one core): {per_second}");
    results.add("full.sync_cpu_seconds", sync_cpu, "s");
    results.add("full.sync_cpu_ms_per_issue", sync_ms_per_issue, "ms");
    results.add("full.simulator_cpu_seconds", sim_cpu, "s");
    results.add(
        "full.sync_cpu_mean_percent",
        sync_cpu * 100.0 / secs,
        "% of one core",
    );
    results.add(
        "full.simulator_cpu_mean_percent",
        sim_cpu * 100.0 / secs,
        "% of one core",
    );
    let calls_per_1000 = calls as f64 * 1000.0 / r.issues_seen.max(1) as f64;
    println!(
        "  API calls: {} without attachments = {calls_per_1000:.1} per 1,000 issues (+ {} attachment downloads); errors {}",
        calls,
        r.attachment_calls,
        r.errors.len()
    );
    results.add("full.api_calls", calls as f64, "calls");
    results.add("full.api_calls_per_1000_issues", calls_per_1000, "calls");
    results.add(
        "full.attachment_downloads",
        r.attachment_calls as f64,
        "calls",
    );
    results.add("full.errors", r.errors.len() as f64, "errors");
    println!(
        "  identity in full: {} in {:.1} s; attachments downloaded {}, skipped {}, failed {}",
        r.identity_full,
        r.identity_ms as f64 / 1000.0,
        r.attachments.downloaded,
        r.attachments.skipped,
        r.attachments.failed
    );
    results.add(
        "full.identity_full",
        f64::from(u8::from(r.identity_full)),
        "bool",
    );
    results.add("full.identity_seconds", r.identity_ms as f64 / 1000.0, "s");
    results.add(
        "full.attachments_downloaded",
        r.attachments.downloaded as f64,
        "attachments",
    );
    results.add(
        "full.attachments_skipped",
        r.attachments.skipped as f64,
        "attachments",
    );
    results.add(
        "full.attachments_failed",
        r.attachments.failed as f64,
        "attachments",
    );

    if let Ok(path) = std::env::var("SYNC_DUMP_LOG") {
        let lines: Vec<String> = site
            .handle
            .request_log()
            .iter()
            .map(|r| format!("{:.1} {} {} {}", r.at_ms, r.method, r.path, r.status))
            .collect();
        std::fs::write(path, lines.join("\n"))?;
    }
    print_calls_by_endpoint(&site.handle, &mut results);
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
    results.add("incremental.api_calls", again.run.api_calls as f64, "calls");
    results.add("incremental.projects", projects as f64, "projects");
    results.add(
        "incremental.api_calls_target",
        (projects + 10) as f64,
        "calls",
    );
    results.add("incremental.seconds", secs, "s");
    results.add(
        "incremental.issues_reindexed",
        again.run.issues_indexed as f64,
        "issues",
    );
    let (peak, sync_share) = (
        mib(rss_kib("VmHWM:")),
        mib(rss_kib("VmHWM:").saturating_sub(sim_rss)),
    );
    println!(
        "peak RSS of the process (simulator + sync): {peak:.0} MiB; the sync's share at most {sync_share:.0} MiB"
    );
    results.add("peak_rss", peak, "MiB");
    results.add("peak_rss_sync_share", sync_share, "MiB");
    results.write("sync_large", env!("CARGO_MANIFEST_DIR"));
    Ok(())
}

/// The simulator's request log grouped by endpoint (ids and keys in paths replaced),
/// attachment downloads left out: where the calls of a run go. Each endpoint's count
/// is recorded in `results` too.
fn print_calls_by_endpoint(sim: &jira_sim::SimHandle, results: &mut bench_results::Results) {
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
        results.add(&format!("calls_by_endpoint.{endpoint}"), n as f64, "calls");
    }
}

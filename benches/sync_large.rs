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
//! request per line: milliseconds since start, method, path, status)

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
    println!(
        "full keyword-only sync: {} issues, {} chunks in {:.1} s = {:.0} issues/s",
        r.issues_seen,
        full.chunk_count,
        secs,
        r.issues_seen as f64 / secs
    );
    let (sim_cpu, sync_cpu) = (sim1 - sim0, (cpu1 - cpu0) - (sim1 - sim0));
    println!(
        "  CPU: sync {:.1} s ({:.2} ms per issue), simulator {:.1} s, over {:.1} s of wall time on {} cores",
        sync_cpu,
        sync_cpu * 1000.0 / r.issues_seen.max(1) as f64,
        sim_cpu,
        secs,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!("  CPU use per second, sync/simulator (% of one core): {per_second}");
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

    if let Ok(path) = std::env::var("SYNC_DUMP_LOG") {
        let lines: Vec<String> = site
            .handle
            .request_log()
            .iter()
            .map(|r| format!("{:.1} {} {} {}", r.at_ms, r.method, r.path, r.status))
            .collect();
        std::fs::write(path, lines.join("\n"))?;
    }
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

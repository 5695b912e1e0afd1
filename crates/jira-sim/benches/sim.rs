//! Simulator figures (issue 3): time and memory to generate the large preset, and
//! `search/jql` serving rate on loopback.
//!
//! ```text
//! cargo bench -p jira-sim --bench sim            # large preset (50,000 issues)
//! SIM_BENCH_PRESET=small cargo bench -p jira-sim --bench sim
//! ```
//!
//! Serving: every issue paged through `search/jql` with the connector's content fields
//! (100 per page, ADF description, inline comments), once by one client walking the
//! whole site and once by four clients walking different projects at the same time.
//! Memory: resident set size of this process before and after generation (Linux).
//! The figures are also written, with the commit and the machine, to
//! `target/bench-results/jira-sim.json`.

use std::time::Instant;

use jira_sim::generate::{ADMIN_API_TOKEN, ADMIN_EMAIL, GenConfig, generate};
use serde_json::{Value, json};

const FIELDS: [&str; 12] = [
    "summary",
    "description",
    "comment",
    "project",
    "issuetype",
    "status",
    "priority",
    "labels",
    "reporter",
    "assignee",
    "security",
    "updated",
];

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

async fn page_all(http: &reqwest::Client, base: &str, jql: &str) -> usize {
    let mut token: Option<String> = None;
    let mut n = 0;
    loop {
        let mut body = json!({"jql": jql, "fields": FIELDS, "maxResults": 100});
        if let Some(t) = &token {
            body["nextPageToken"] = json!(t);
        }
        let page: Value = http
            .post(format!("{base}/rest/api/3/search/jql"))
            .basic_auth(ADMIN_EMAIL, Some(ADMIN_API_TOKEN))
            .json(&body)
            .send()
            .await
            .expect("send")
            .error_for_status()
            .expect("status")
            .json()
            .await
            .expect("json");
        n += page["issues"].as_array().map(Vec::len).unwrap_or(0);
        match page["nextPageToken"].as_str() {
            Some(t) if page["isLast"] != json!(true) => token = Some(t.to_string()),
            _ => return n,
        }
    }
}

fn main() {
    let preset = std::env::var("SIM_BENCH_PRESET").unwrap_or_else(|_| "large".into());
    let cfg = match preset.as_str() {
        "small" => GenConfig::small(42),
        "medium" => GenConfig::medium(42),
        _ => GenConfig::large(42),
    };
    let before = rss_mib();
    let t = Instant::now();
    let ws = generate(&cfg);
    let gen_time = t.elapsed();
    let after = rss_mib();
    let issues = ws.issues.len();
    let comments: usize = ws.issues.iter().map(|i| i.comments.len()).sum();
    let projects: Vec<String> = ws
        .projects
        .iter()
        .filter(|p| !p.archived)
        .map(|p| p.key.clone())
        .collect();
    println!(
        "preset {preset}: {issues} issues, {comments} comments, {} projects, {} users",
        ws.projects.len(),
        ws.users.len()
    );
    println!(
        "generated in {:.2} s; RSS {before:.0} MiB -> {after:.0} MiB (+{:.0} MiB)",
        gen_time.as_secs_f64(),
        after - before
    );
    let mut results = bench_results::Results::new();
    results.add("issues", issues as f64, "issues");
    results.add("comments", comments as f64, "comments");
    results.add("projects", ws.projects.len() as f64, "projects");
    results.add("users", ws.users.len() as f64, "users");
    results.add("generate_seconds", gen_time.as_secs_f64(), "s");
    results.add("rss_before_generate", before, "MiB");
    results.add("rss_after_generate", after, "MiB");
    results.add("rss_generate_growth", after - before, "MiB");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let sim = jira_sim::start(ws, ([127, 0, 0, 1], 0).into())
            .await
            .expect("start");
        let http = reqwest::Client::new();
        let t = Instant::now();
        let n = page_all(&http, &sim.base_url, "ORDER BY key ASC").await;
        let one = t.elapsed().as_secs_f64();
        println!(
            "search/jql, one client: {n} issues in {one:.2} s = {:.0} issues/s",
            n as f64 / one
        );
        results.add("search_jql.one_client.issues", n as f64, "issues");
        results.add("search_jql.one_client.seconds", one, "s");
        results.add(
            "search_jql.one_client.issues_per_sec",
            n as f64 / one,
            "issues/s",
        );
        let t = Instant::now();
        let mut tasks = Vec::new();
        for chunk in projects.chunks(projects.len().div_ceil(4)) {
            let (http, base) = (http.clone(), sim.base_url.clone());
            let jql = format!("project in ({}) ORDER BY key ASC", chunk.join(","));
            tasks.push(tokio::spawn(
                async move { page_all(&http, &base, &jql).await },
            ));
        }
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("task");
        }
        let four = t.elapsed().as_secs_f64();
        println!(
            "search/jql, four clients: {total} issues in {four:.2} s = {:.0} issues/s",
            total as f64 / four
        );
        results.add("search_jql.four_clients.issues", total as f64, "issues");
        results.add("search_jql.four_clients.seconds", four, "s");
        results.add(
            "search_jql.four_clients.issues_per_sec",
            total as f64 / four,
            "issues/s",
        );
        let serving = rss_mib();
        println!("RSS while serving: {serving:.0} MiB");
        results.add("rss_serving", serving, "MiB");
        sim.shutdown().await;
        results.write("jira-sim", env!("CARGO_MANIFEST_DIR"));
    });
}

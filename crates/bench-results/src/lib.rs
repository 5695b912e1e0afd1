//! Benchmark figures for `target/bench-results/<bench>.json`: each figure with its
//! unit, the commit (and whether the tree was dirty), the machine (CPU model, cores,
//! OS) and the time of the run. Benchmarks print their figures and call
//! [`Results::write`] at the end; [`time`] gives the median of repeated runs.

#![warn(missing_docs)]

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// Runs `f` once to warm up, then `runs` times; the median duration.
pub fn time<F: FnMut()>(runs: usize, mut f: F) -> std::time::Duration {
    f();
    let mut took: Vec<std::time::Duration> = (0..runs.max(1))
        .map(|_| {
            let t = std::time::Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    took.sort();
    took[took.len() / 2]
}

/// The figures of one benchmark run.
#[derive(Default)]
pub struct Results {
    figures: Vec<(String, f64, String)>,
}

impl Results {
    /// An empty set of figures.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `name = value unit`.
    pub fn add(&mut self, name: &str, value: f64, unit: &str) {
        self.figures
            .push((name.to_string(), value, unit.to_string()));
    }

    /// Writes `target/bench-results/<bench>.json` under the workspace root (found from
    /// `manifest_dir`, the benchmark crate's `CARGO_MANIFEST_DIR`); prints where.
    pub fn write(&self, bench: &str, manifest_dir: &str) {
        let figures: Map<String, Value> = self
            .figures
            .iter()
            .map(|(n, v, u)| (n.clone(), json!({"value": v, "unit": u})))
            .collect();
        let record = json!({
            "bench": bench,
            "commit": git(&["rev-parse", "HEAD"]),
            "dirty": !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty(),
            "machine": {
                "cpu": cpu_model(),
                "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
                "os": std::env::consts::OS,
            },
            "unix_time": std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            "figures": figures,
        });
        let dir = workspace_root(Path::new(manifest_dir)).join("target/bench-results");
        let path = dir.join(format!("{bench}.json"));
        let text = serde_json::to_string_pretty(&record).unwrap_or_default();
        match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text)) {
            Ok(()) => println!("figures written to {}", path.display()),
            Err(e) => eprintln!("cannot write {}: {e}", path.display()),
        }
    }
}

fn git(args: &[&str]) -> String {
    std::process::Command::new("git")
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_default()
}

/// The nearest ancestor with a `Cargo.lock` (the workspace root), else `dir`.
fn workspace_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .unwrap_or(dir)
        .to_path_buf()
}

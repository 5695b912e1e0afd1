//! What isolation costs: every file of the real-producer corpus
//! (`tests/data/attachments`) extracted in-process and through a warm worker process
//! (`jira-index-extract`), medians of 15 runs over the whole corpus, and the per-file
//! overhead of the pipe round trip. Written to
//! `target/bench-results/extractor-overhead.json`.
//!
//! ```text
//! cargo bench -p extractor --bench overhead
//! ```

use std::hint::black_box;
use std::time::Duration;

use content::ExtractLimits;
use extractor::{Extractor, Mode};

const RUNS: usize = 15;

fn time<F: FnMut()>(f: F) -> Duration {
    bench_results::time(RUNS, f)
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/attachments");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| !n.ends_with(".json") && !n.ends_with(".md"))
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).expect("corpus file");
            (n, bytes)
        })
        .collect();
    files.sort();
    // Small text files, where the round trip weighs most.
    for i in 0..20 {
        files.push((
            format!("note{i}.txt"),
            format!("short note {i} about ENG-{i}").into_bytes(),
        ));
    }
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let limits = ExtractLimits::default();
    let pool = Extractor::new(Mode::Process {
        program: env!("CARGO_BIN_EXE_jira-index-extract").into(),
        args: Vec::new(),
    });
    let in_process = time(|| {
        for (name, b) in &files {
            let _ = black_box(content::extract(b, name, &limits));
        }
    });
    let isolated = time(|| {
        for (name, b) in &files {
            let _ = black_box(pool.extract(b, name, &limits));
        }
    });
    let n = files.len() as f64;
    let per_file_ms = (isolated.as_secs_f64() - in_process.as_secs_f64()) * 1e3 / n;
    println!(
        "{} files, {:.2} MB: in-process {:?}, worker process {:?} (median of {RUNS}): {:.2}x, {:.3} ms more per file",
        files.len(),
        bytes as f64 / 1e6,
        in_process,
        isolated,
        isolated.as_secs_f64() / in_process.as_secs_f64(),
        per_file_ms
    );
    let mut results = bench_results::Results::new();
    results.add(
        "in_process_files_per_s",
        n / in_process.as_secs_f64(),
        "files/s",
    );
    results.add(
        "isolated_files_per_s",
        n / isolated.as_secs_f64(),
        "files/s",
    );
    results.add("overhead_per_file", per_file_ms, "ms");
    results.write("extractor-overhead", env!("CARGO_MANIFEST_DIR"));
}

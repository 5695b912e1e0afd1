//! Presentation of results: human-readable text by default, JSON for machines.

use anyhow::Result;
use serde_json::json;
use sync::state::{DataDir, SyncState, read_json};
use sync::{SearchOutcome, SyncReport};

/// Prints search hits: one JSON object per line with `--json`, else a readable list.
pub fn print_hits(outcome: &SearchOutcome, json: bool) {
    if json {
        for hit in &outcome.hits {
            println!(
                "{}",
                json!({
                    "issue_key": hit.issue_key,
                    "kind": hit.kind,
                    "title": hit.title,
                    "snippet": hit.snippet,
                    "score": hit.score,
                    "url": hit.url,
                    "chunk_id": hit.chunk_id,
                })
            );
        }
        return;
    }
    eprintln!("searching as: {}", outcome.identity);
    if outcome.hits.is_empty() {
        println!("no results");
    }
    for (i, hit) in outcome.hits.iter().enumerate() {
        println!(
            "{:>2}. {:<10} [{}] {}  ({:.4})",
            i + 1,
            hit.issue_key,
            kind_name(hit.kind),
            hit.title,
            hit.score
        );
        let snippet: String = hit.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        println!("    {}", truncate(&snippet, 160));
        println!("    {}", hit.url);
    }
}

pub fn kind_name(kind: index::ChunkKind) -> &'static str {
    match kind {
        index::ChunkKind::Issue => "issue",
        index::ChunkKind::Comment => "comment",
        index::ChunkKind::Attachment => "attachment",
    }
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

/// Prints a sync report.
pub fn print_report(report: &SyncReport, json: bool) {
    let r = &report.run;
    if json {
        println!(
            "{}",
            json!({
                "issues_seen": r.issues_seen,
                "issues_indexed": r.issues_indexed,
                "issues_unchanged": r.issues_unchanged,
                "issues_deleted": r.issues_deleted,
                "chunks_written": r.chunks_written,
                "chunk_count": report.chunk_count,
                "api_calls": r.api_calls,
                "duration_ms": r.finished_ms - r.started_ms,
                "errors": r.errors,
            })
        );
        return;
    }
    println!(
        "synced {} issues in {:.1} s: {} indexed ({} chunks), {} unchanged, {} deleted; {} API calls; index holds {} chunks",
        r.issues_seen,
        (r.finished_ms - r.started_ms) as f64 / 1000.0,
        r.issues_indexed,
        r.chunks_written,
        r.issues_unchanged,
        r.issues_deleted,
        r.api_calls,
        report.chunk_count
    );
    if !r.errors.is_empty() {
        println!("{} errors:", r.errors.len());
        for e in &r.errors {
            println!("  - {e}");
        }
    }
}

/// Prints the sync history and the identity report.
pub fn print_status(cfg: &sync::Config, json: bool) -> Result<()> {
    let data = DataDir::new(&cfg.data.dir);
    let state: SyncState = read_json(&data.state_file())?.unwrap_or_default();
    let directory: access::Directory = read_json(&data.directory_file())?.unwrap_or_default();
    let hidden: Vec<_> = directory
        .users
        .iter()
        .filter(|u| u.active && u.email.is_none() && u.account_type == "atlassian")
        .collect();
    let inactive: Vec<_> = directory.users.iter().filter(|u| !u.active).collect();
    if json {
        println!(
            "{}",
            json!({
                "data_dir": data.root(),
                "indexed_issues": state.issues.len(),
                "runs": state.runs,
                "users": directory.users.len(),
                "hidden_email_users": hidden.iter().map(|u| json!({"account_id": u.account_id, "display_name": u.display_name})).collect::<Vec<_>>(),
                "inactive_users": inactive.iter().map(|u| json!({"account_id": u.account_id, "display_name": u.display_name})).collect::<Vec<_>>(),
            })
        );
        return Ok(());
    }
    println!("data directory: {}", data.root().display());
    println!("indexed issues: {}", state.issues.len());
    match state.runs.last() {
        Some(r) => println!(
            "last sync: {} issues seen, {} indexed, {} deleted, {} errors, {} API calls, {:.1} s",
            r.issues_seen,
            r.issues_indexed,
            r.issues_deleted,
            r.errors.len(),
            r.api_calls,
            (r.finished_ms - r.started_ms) as f64 / 1000.0
        ),
        None => println!("last sync: never"),
    }
    println!(
        "users: {} ({} inactive, {} with a hidden email)",
        directory.users.len(),
        inactive.len(),
        hidden.len()
    );
    if !hidden.is_empty() {
        println!(
            "users whose email Jira hides (they search as anonymous until mapped in identity.email_mapping_file):"
        );
        for u in hidden {
            println!("  - {} ({})", u.display_name, u.account_id);
        }
    }
    Ok(())
}

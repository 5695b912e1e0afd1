//! Presentation of results: human-readable text by default, JSON for machines.

use anyhow::Result;
use search::SearchOutcome;
use serde_json::json;
use sync::SyncReport;

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
        let mut v = serde_json::to_value(r).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("chunk_count".into(), json!(report.chunk_count));
            o.insert("duration_ms".into(), json!(r.finished_ms - r.started_ms));
        }
        println!("{v}");
        return;
    }
    if r.kind == state::RunKind::Identity {
        println!(
            "synced identity in {:.1} s ({} API calls); no chunk rewritten, index holds {} chunks",
            (r.finished_ms - r.started_ms) as f64 / 1000.0,
            r.api_calls,
            report.chunk_count
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
    println!(
        "projects: {} read from their checkpoint, {} read in full; identity {}; {} deletions from the audit log",
        r.projects_incremental,
        r.projects_full,
        if r.identity_full {
            "read in full"
        } else {
            "unchanged (users, groups, projects re-read)"
        },
        r.issues_deleted_audit
    );
    let a = &r.attachments;
    if a.downloaded + a.cached + a.skipped + a.failed > 0 {
        println!(
            "attachments: {} downloaded ({:.1} MiB), {} from cache, {} indexed by name only (size or type), {} failed",
            a.downloaded,
            a.downloaded_bytes as f64 / (1024.0 * 1024.0),
            a.cached,
            a.skipped,
            a.failed
        );
    }
    if !r.errors.is_empty() {
        println!("{} errors:", r.errors.len());
        for e in &r.errors {
            println!("  - {e}");
        }
    }
    if !r.access_warnings.is_empty() {
        println!("access that could not be read (each denies, fail closed):");
        for w in &r.access_warnings {
            println!("  ! {w}");
        }
    }
}

/// Prints the sync history and the identity report.
pub fn print_status(cfg: &config::Config, json: bool) -> Result<()> {
    let st = sync::status::status(cfg)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&st)?);
        return Ok(());
    }
    println!("data directory: {}", st.data_dir);
    if !st.synced {
        println!("never synced: run `jira-index sync`");
        return Ok(());
    }
    println!(
        "index: {} issues, {} chunks; site: {} users, {} groups, {} projects",
        st.indexed_issues, st.indexed_chunks, st.users, st.groups, st.projects
    );
    match st.runs.last() {
        Some(r) => println!(
            "last sync ({:?}): {} issues seen, {} indexed, {} deleted, {} errors, {} API calls, {:.1} s",
            r.kind,
            r.issues_seen,
            r.issues_indexed,
            r.issues_deleted,
            r.errors.len(),
            r.api_calls,
            (r.finished_ms - r.started_ms) as f64 / 1000.0
        ),
        None => println!("last sync: never"),
    }
    if st.runs.len() > 1 {
        println!("recent runs (oldest first):");
        println!(
            "  {:<20} {:<8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9}",
            "started (UTC)", "kind", "seconds", "indexed", "deleted", "calls", "errors", "identity"
        );
        for r in &st.runs {
            let started = chrono::DateTime::from_timestamp_millis(r.started_ms)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            println!(
                "  {:<20} {:<8} {:>8.1} {:>8} {:>8} {:>8} {:>7} {:>9}",
                started,
                format!("{:?}", r.kind).to_lowercase(),
                (r.finished_ms - r.started_ms) as f64 / 1000.0,
                r.issues_indexed,
                r.issues_deleted,
                r.api_calls,
                r.errors.len(),
                if r.identity_full { "full" } else { "light" }
            );
        }
    }
    let id = &st.identity;
    println!(
        "identity: {} inactive, {} hidden email without a mapping, {} mapping lines, {} unmatched callers",
        id.inactive.len(),
        id.hidden_email.len(),
        id.mapped.len(),
        st.unmatched_callers.len()
    );
    if !id.hidden_email.is_empty() {
        println!(
            "people whose email Jira hides (they search as anonymous until mapped in identity.email_mapping_file):"
        );
        for u in &id.hidden_email {
            println!("  - {} ({})", u.display_name, u.account_id);
        }
    }
    let problems: Vec<_> = id
        .mapped
        .iter()
        .filter(|m| m.status != access::MappingStatus::Active)
        .collect();
    if !problems.is_empty() {
        println!("mapping lines that do not map to an active account:");
        for m in problems {
            println!("  - {} -> {}: {:?}", m.email, m.account_id, m.status);
        }
    }
    for (email, accounts) in &id.ambiguous_emails {
        println!(
            "  ! {email} belongs to {} accounts: {}",
            accounts.len(),
            accounts.join(", ")
        );
    }
    if !st.unmatched_callers.is_empty() {
        println!("callers no Jira account matched (they saw only what `anyone` may see):");
        for email in &st.unmatched_callers {
            println!("  - {email}");
        }
    }
    if st.without_product_access > 0 {
        println!(
            "{} accounts without Jira product access (customers included): they find only what anyone may see",
            st.without_product_access
        );
    }
    if !st.access_warnings.is_empty() {
        println!("access the last identity read could not learn (each denies, fail closed):");
        for w in &st.access_warnings {
            println!("  ! {w}");
        }
    }
    if !st.attachment_failures.is_empty() {
        println!("attachments whose text could not be extracted (indexed by name only):");
        for f in &st.attachment_failures {
            println!(
                "  - {} {:?} (id {}): {}",
                f.issue_key, f.file_name, f.attachment_id, f.error
            );
        }
    }
    Ok(())
}

/// Prints the result of `jira-index check`.
pub fn print_check(report: &sync::check::CheckReport, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    println!("site: {} ({})", report.site, report.auth);
    match &report.account {
        Some(a) => println!(
            "account: {} ({}){}",
            a.display_name,
            a.account_id,
            a.email
                .as_deref()
                .map(|e| format!(", {e}"))
                .unwrap_or_default()
        ),
        None => println!("account: not connected"),
    }
    for item in &report.items {
        println!(
            "  [{}] {}: {}",
            if item.ok { "ok" } else { "!!" },
            item.what,
            item.detail
        );
        if let Some(advice) = &item.advice {
            println!("       -> {advice}");
        }
    }
    for (name, quota, window) in &report.rate_limit_policies {
        println!("rate limit policy {name}: {quota} points per {window} s");
    }
    println!(
        "{} ({} API calls)",
        if report.ready() {
            "ready to sync"
        } else {
            "NOT ready to sync: fix the items marked !!"
        },
        report.api_calls
    );
    Ok(())
}

/// Progress bars on stderr, one per stage.
pub fn progress_bars() -> sync::progress::ProgressSink {
    use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
    use sync::progress::Stage;
    let multi = MultiProgress::new();
    let style = ProgressStyle::with_template("{prefix:>10} {spinner} {pos:>8} {msg} ({per_sec})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let bars: Vec<(Stage, ProgressBar)> = Stage::ALL
        .iter()
        .map(|stage| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_prefix(stage.as_str());
            bar.set_message(match stage {
                Stage::Identity => "directories",
                Stage::Fetch => "issues read",
                Stage::Documents => "issues documented",
                Stage::Embed => "chunks embedded",
                Stage::Write => "issues written",
            });
            (*stage, bar)
        })
        .collect();
    sync::progress::ProgressSink::new(move |e| {
        if let Some((_, bar)) = bars.iter().find(|(s, _)| *s == e.stage) {
            bar.set_position(e.done);
        }
    })
}

/// Progress as JSON lines on stderr (`{"event":"progress","stage":…,"done":…}`), at
/// most one line per stage every 200 ms, plus every identity event.
pub fn progress_json() -> sync::progress::ProgressSink {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};
    let last: Mutex<HashMap<sync::progress::Stage, Instant>> = Mutex::new(HashMap::new());
    sync::progress::ProgressSink::new(move |e| {
        let now = Instant::now();
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        let due = e.total.is_some()
            || last
                .get(&e.stage)
                .is_none_or(|t| now.duration_since(*t) >= Duration::from_millis(200));
        if due {
            last.insert(e.stage, now);
            eprintln!(
                "{}",
                json!({"event": "progress", "stage": e.stage, "done": e.done, "total": e.total})
            );
        }
    })
}

/// An error as `{"error": "...", "code": "..."}` on stdout (for `--json`): the code is
/// the first one found along the error's causes, `internal` when none has one.
pub fn print_error_json(e: &anyhow::Error) {
    let body = error_codes::ErrorBody::new(error_code(e), format!("{e:#}"));
    println!(
        "{}",
        serde_json::to_string_pretty(&body.to_json()).unwrap_or_default()
    );
}

/// The stable code of an error from the library crates.
pub fn error_code(e: &anyhow::Error) -> error_codes::ErrorCode {
    use error_codes::ErrorCode;
    for cause in e.chain() {
        if let Some(s) = cause.downcast_ref::<sync::SyncError>() {
            return s.code();
        }
        if let Some(s) = cause.downcast_ref::<search::SearchError>() {
            return s.code();
        }
        if let Some(s) = cause.downcast_ref::<state::StateError>() {
            return s.code();
        }
        if let Some(s) = cause.downcast_ref::<config::ConfigError>() {
            return s.code();
        }
        if cause.downcast_ref::<config::FileError>().is_some() {
            return ErrorCode::Internal;
        }
        if cause.downcast_ref::<jira_cloud::JiraError>().is_some() {
            return ErrorCode::JiraFailed;
        }
    }
    ErrorCode::Internal
}

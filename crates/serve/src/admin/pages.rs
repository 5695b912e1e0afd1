//! The console's HTML. Every value from Jira, the index or a form is escaped by maud;
//! secrets (API token, OAuth secrets, keys) are never rendered.

use access::IdentityReport;
use config::Config;
use index::ProjectStats;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use search::IssueAccess;
use sync::check::CheckReport;
use sync::preview::FilterPreview;
use sync::status::Status;

use super::charts;
use crate::runner::CurrentRun;

const STYLE: &str = r#"
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dee7;--accent:#1f5fbf;--bad:#b3261e;--ok:#1e7b34;--bg:#f7f8fa}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line);padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
header strong{margin-right:.5rem}header a{color:var(--accent);text-decoration:none}
main{max-width:1100px;margin:0 auto;padding:1rem}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:1rem;margin-bottom:1rem;overflow-x:auto}
h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .6rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:.85rem}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:var(--ok)}.bad{color:var(--bad)}.muted{color:var(--muted)}
form.row{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end}label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
input,select,button{font:inherit;padding:.35rem .5rem;border:1px solid var(--line);border-radius:4px}
button{background:var(--accent);color:#fff;border-color:var(--accent);cursor:pointer}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1rem}
figure.chart{margin:0}figure.chart svg{width:100%;height:auto}figure.chart rect{fill:var(--accent)}
figure.chart text{font-size:12px;fill:var(--fg)}figcaption{font-weight:600;margin-bottom:.3rem}
pre{white-space:pre-wrap;background:var(--bg);padding:.6rem;border-radius:4px;font-size:.85rem}
.notice{padding:.5rem .7rem;border-radius:4px;background:#eef4ff}
.kpis{display:flex;flex-wrap:wrap;gap:1.5rem}.kpis div{font-size:.85rem;color:var(--muted)}.kpis b{display:block;font-size:1.3rem;color:var(--fg)}
"#;

/// The largest attachment size limit the console accepts (4 GiB).
const MAX_ATTACHMENT_MIB: u64 = 4096;

/// The page frame: navigation, htmx (served by us, no CDN), the content.
pub fn layout(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · jira-index admin" }
                style { (PreEscaped(STYLE)) }
                script src="/admin/htmx.min.js" defer {}
            }
            body {
                header {
                    strong { "jira-index" }
                    a href="/admin" { "Overview" }
                    a href="/admin/filters" { "Filters" }
                    a href="/admin/people" { "People" }
                    a href="/admin/explain" { "Explain access" }
                    a href="/admin/verify" { "Verify access" }
                    form method="post" action="/admin/logout" style="margin-left:auto" {
                        button type="submit" { "Log out" }
                    }
                }
                main {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

pub fn login(error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Log in · jira-index admin" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { "jira-index admin" }
                    section {
                        @if let Some(e) = error { p.bad { (e) } }
                        form.row method="post" action="/admin/login" {
                            label { "Admin API key"
                                input type="password" name="key" autocomplete="current-password" required;
                            }
                            button type="submit" { "Log in" }
                        }
                        p.muted { "Create one with " code { "jira-index api-key new --scope admin" } "." }
                    }
                }
            }
        }
    }
}

pub fn refused(message: &str) -> Markup {
    layout("Not allowed", html! { section { p.bad { (message) } } })
}

pub fn error(message: &str) -> Markup {
    layout("Error", error_fragment(message))
}

pub fn error_fragment(message: &str) -> Markup {
    html! { section { p.bad { (message) } } }
}

pub fn notice(message: &str) -> Markup {
    html! { p.notice { (message) } }
}

fn ms_to_time(ms: i64) -> String {
    chrono_like(ms)
}

/// `YYYY-MM-DD HH:MM:SS UTC` without a date crate.
fn chrono_like(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// What the overview shows of the schedule.
pub struct ScheduleView {
    pub every_minutes: u64,
    pub next_ms: Option<i64>,
}

/// The run in progress, stage by stage; while a run goes, htmx reloads this part
/// every second (without JavaScript: reload the page).
pub fn progress(current: Option<&CurrentRun>, schedule: &ScheduleView) -> Markup {
    html! {
        @match current {
            Some(run) => div #progress hx-get="/admin/progress" hx-trigger="every 1s" hx-swap="outerHTML" {
                p.notice #run-state {
                    "A sync is running (" (format!("{:?}", run.trigger).to_lowercase()) ", started " (ms_to_time(run.started_ms)) ")."
                    @if let Some(who) = &run.stop_requested_by { " Stopping (asked by " (who) "): the current batch is committed first." }
                }
                table #stages {
                    thead { tr { th { "Stage" } th.n { "Done" } th.n { "Of" } } }
                    tbody {
                        @for stage in sync::progress::Stage::ALL {
                            @let p = run.stages.iter().find(|(k, _)| k.name() == stage.as_str()).map(|(_, p)| *p);
                            tr data-stage=(stage.as_str()) {
                                td { (stage.as_str()) }
                                td.n { @match p { Some(p) => (p.done), None => span.muted { "—" } } }
                                td.n { @match p.and_then(|p| p.total) { Some(t) => (t), None => span.muted { "" } } }
                            }
                        }
                    }
                }
                @if run.stop_requested_by.is_none() {
                    form method="post" action="/admin/sync/stop" hx-post="/admin/sync/stop" hx-target="#progress" hx-swap="outerHTML" {
                        button type="submit" #stop { "Stop this sync" }
                    }
                }
            },
            None => div #progress {
                p.muted #run-state { "No sync is running."
                    @match schedule.next_ms { Some(ms) => { " Next scheduled run: " (ms_to_time(ms)) "." }, None => { " No run is scheduled." } }
                }
            },
        }
    }
}

pub fn overview(
    cfg: &Config,
    status: &Status,
    current: Option<CurrentRun>,
    schedule: &ScheduleView,
    projects: &[(String, String)],
) -> Markup {
    let auth = if cfg.jira.oauth.is_some() {
        "OAuth 2.0 (3LO)"
    } else {
        "API token (basic auth)"
    };
    let content = html! {
        section {
            h2 { "Connection" }
            table {
                tr { th { "Site" } td { (cfg.jira.base_url) } }
                tr { th { "Auth" } td { (auth) @if !cfg.jira.email.is_empty() { " as " (cfg.jira.email) } } }
                tr { th { "Data directory" } td { (status.data_dir) } }
                tr { th { "Request ceiling" } td { (cfg.jira.max_requests_per_sec) " req/s, " (cfg.jira.max_concurrency) " at once" } }
            }
            p {
                a href="/admin/check" hx-get="/admin/check" hx-target="#check" hx-swap="innerHTML" { "Run the connection check" }
            }
            div #check {}
        }
        section {
            h2 { "Index" }
            div.kpis {
                div { b { (status.indexed_issues) } "issues" }
                div { b { (status.indexed_chunks) } "chunks" }
                div { b { (status.projects) } "projects" }
                div { b { (status.users) } "users" }
                div { b { (status.groups) } "groups" }
                div { b { (status.attachment_failures.len()) } "extraction failures" }
            }
        }
        section {
            h2 { "Sync" }
            (progress(current.as_ref(), schedule))
            div style="display:flex;flex-wrap:wrap;gap:1rem;align-items:end" {
                form method="post" action="/admin/sync" hx-post="/admin/sync" hx-target="#sync-msg" {
                    button type="submit" { "Run a sync now" }
                }
                form.row #schedule-form method="post" action="/admin/schedule" hx-post="/admin/schedule" hx-target="#sync-msg" {
                    label { "Sync every (minutes, 0: off)"
                        input type="number" min="0" max="10080" name="minutes" value=(schedule.every_minutes) required;
                    }
                    button type="submit" { "Save schedule" }
                }
            }
            div #sync-msg {}
            h2 style="margin-top:1rem" { "Recent runs" }
            (runs_table(&status.runs))
        }
        section {
            h2 { "Projects" }
            p.muted { "Dashboards from the index (not from Jira):" }
            table {
                tbody {
                    @for (key, name) in projects {
                        tr { td { a href=(format!("/admin/projects/{key}")) { (key) } } td { (name) } }
                    }
                }
            }
        }
    };
    layout("Overview", content)
}

fn runs_table(runs: &[state::RunRecord]) -> Markup {
    html! {
        table {
            thead { tr {
                th { "Started" } th { "Kind" } th.n { "Seconds" } th.n { "Indexed" } th.n { "Unchanged" }
                th.n { "Deleted" } th.n { "Chunks" } th.n { "API calls" } th { "Errors" }
            } }
            tbody {
                @for r in runs.iter().rev().take(20) {
                    tr {
                        td { (ms_to_time(r.started_ms)) }
                        td { (format!("{:?}", r.kind).to_lowercase()) @if r.stopped { " " span.bad { "stopped" } } }
                        td.n { (format!("{:.1}", (r.finished_ms - r.started_ms) as f64 / 1000.0)) }
                        td.n { (r.issues_indexed) }
                        td.n { (r.issues_unchanged) }
                        td.n { (r.issues_deleted) }
                        td.n { (r.chunks_written) }
                        td.n { (r.api_calls) }
                        td {
                            @if r.errors.is_empty() { span.ok { "none" } } @else {
                                details {
                                    summary.bad { (r.errors.len()) " errors" }
                                    ul { @for e in &r.errors { li { (e) } } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn check_report(r: &CheckReport) -> Markup {
    html! {
        p {
            @if r.ready() { span.ok { "Ready to sync." } } @else { span.bad { "Not ready to sync." } }
            " Account: "
            @match &r.account { Some(a) => { (a.display_name) " (" (a.account_id) ")" }, None => span.bad { "none" } }
            " · " (r.users) " users, " (r.hidden_emails) " hide their email · " (r.api_calls) " calls"
        }
        table {
            thead { tr { th { "What" } th { "" } th { "Detail" } th { "Advice" } } }
            tbody {
                @for i in &r.items {
                    tr {
                        td { (i.what) }
                        td { @if i.ok { span.ok { "ok" } } @else { span.bad { "missing" } } }
                        td { (i.detail) }
                        td.muted { @if let Some(a) = &i.advice { (a) } }
                    }
                }
            }
        }
        @if !r.rate_limit_policies.is_empty() {
            p.muted { "Rate-limit policies seen: "
                @for (name, quota, window) in &r.rate_limit_policies { (name) " " (quota) " per " (window) " s; " }
            }
        }
    }
}

/// The filters form's values (as typed, so a rejected form comes back as it was).
#[derive(Clone, Debug, Default)]
pub struct FilterForm {
    /// Project key → "in" or "out" (absent: no rule).
    pub projects: Vec<(String, String)>,
    pub created_from: String,
    pub created_before: String,
    pub updated_from: String,
    pub issues: bool,
    pub comments: bool,
    pub attachments: bool,
    pub attachment_max_mib: String,
    pub attachment_types: String,
}

impl FilterForm {
    pub fn from_config(cfg: &Config) -> Self {
        let f = &cfg.filters;
        let i = &cfg.indexing;
        let mut projects: Vec<(String, String)> = f
            .projects_in
            .iter()
            .map(|k| (k.clone(), "in".to_string()))
            .collect();
        projects.extend(f.projects_not_in.iter().map(|k| (k.clone(), "out".into())));
        FilterForm {
            projects,
            created_from: f.created_from.clone().unwrap_or_default(),
            created_before: f.created_before.clone().unwrap_or_default(),
            updated_from: f.updated_from.clone().unwrap_or_default(),
            issues: i.issues,
            comments: i.comments,
            attachments: i.attachments,
            attachment_max_mib: format!("{}", i.attachment_max_bytes / (1024 * 1024)),
            attachment_types: i.attachment_types.join(", "),
        }
    }

    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        let on = |k: &str| pairs.iter().any(|(n, v)| n == k && !v.is_empty());
        FilterForm {
            projects: pairs
                .iter()
                .filter_map(|(n, v)| {
                    let key = n.strip_prefix("p:")?;
                    matches!(v.as_str(), "in" | "out").then(|| (key.to_string(), v.clone()))
                })
                .collect(),
            created_from: get("created_from"),
            created_before: get("created_before"),
            updated_from: get("updated_from"),
            issues: on("issues"),
            comments: on("comments"),
            attachments: on("attachments"),
            attachment_max_mib: get("attachment_max_mib"),
            attachment_types: get("attachment_types"),
        }
    }

    /// Writes the form into `cfg`, validating as the config file is validated.
    pub fn apply(&self, cfg: &mut Config) -> Result<(), config::ConfigError> {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        cfg.filters.projects_in = self
            .projects
            .iter()
            .filter(|(_, v)| v == "in")
            .map(|(k, _)| k.clone())
            .collect();
        cfg.filters.projects_not_in = self
            .projects
            .iter()
            .filter(|(_, v)| v == "out")
            .map(|(k, _)| k.clone())
            .collect();
        cfg.filters.created_from = opt(&self.created_from);
        cfg.filters.created_before = opt(&self.created_before);
        cfg.filters.updated_from = opt(&self.updated_from);
        cfg.filters.validate()?;
        cfg.indexing.issues = self.issues;
        cfg.indexing.comments = self.comments;
        cfg.indexing.attachments = self.attachments;
        if !self.attachment_max_mib.is_empty() {
            let mib: u64 = self.attachment_max_mib.parse().map_err(|_| {
                config::ConfigError::new(
                    "attachment size limit",
                    format!("{:?} is not a whole number of MiB", self.attachment_max_mib),
                )
            })?;
            cfg.indexing.attachment_max_bytes = mib
                .checked_mul(1024 * 1024)
                .filter(|_| (1..=MAX_ATTACHMENT_MIB).contains(&mib))
                .ok_or_else(|| {
                    config::ConfigError::new(
                        "attachment size limit",
                        format!("{mib} MiB is outside 1..={MAX_ATTACHMENT_MIB} MiB"),
                    )
                })?;
        }
        cfg.indexing.attachment_types = self
            .attachment_types
            .split(',')
            .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        Ok(())
    }

    fn rule(&self, key: &str) -> &str {
        self.projects
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

pub fn filters(
    form: &FilterForm,
    projects: &[(String, String)],
    preview: Option<Markup>,
    audit: &[state::ConfigAudit],
) -> Markup {
    let content = html! {
        form #filters-form method="post" action="/admin/filters" hx-post="/admin/filters" hx-target="#preview" hx-swap="innerHTML" {
            section {
                h2 { "Projects" }
                p.muted { "No rule anywhere: every project. Any \"only\": just those. \"never\" always wins." }
                label { "Find a project"
                    input type="search" placeholder="key or name"
                        oninput="for(const r of document.querySelectorAll('tr[data-p]'))r.hidden=!r.dataset.p.includes(this.value.toLowerCase())";
                }
                table {
                    thead { tr { th { "Key" } th { "Name" } th { "Rule" } } }
                    tbody {
                        @for (key, name) in projects {
                            tr data-p=(format!("{} {}", key.to_lowercase(), name.to_lowercase())) {
                                td { (key) } td { (name) }
                                td {
                                    select name=(format!("p:{key}")) {
                                        option value="" selected[form.rule(key).is_empty()] { "—" }
                                        option value="in" selected[form.rule(key) == "in"] { "only" }
                                        option value="out" selected[form.rule(key) == "out"] { "never" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section {
                h2 { "Dates" }
                div.row style="display:flex;flex-wrap:wrap;gap:.6rem" {
                    label { "Created from" input type="date" name="created_from" value=(form.created_from); }
                    label { "Created before" input type="date" name="created_before" value=(form.created_before); }
                    label { "Updated from" input type="date" name="updated_from" value=(form.updated_from); }
                }
            }
            section {
                h2 { "What is indexed" }
                div style="display:flex;flex-wrap:wrap;gap:1rem" {
                    label { span { input type="checkbox" name="issues" checked[form.issues]; " issues" } }
                    label { span { input type="checkbox" name="comments" checked[form.comments]; " comments" } }
                    label { span { input type="checkbox" name="attachments" checked[form.attachments]; " attachments" } }
                    label { "Attachment size limit (MiB)" input type="number" min="0" name="attachment_max_mib" value=(form.attachment_max_mib); }
                    label { "Attachment types (empty: all)" input type="text" name="attachment_types" placeholder="pdf, docx" value=(form.attachment_types); }
                }
            }
            div style="display:flex;gap:.6rem" {
                button type="submit" #preview-button { "Preview" }
                button type="submit" #save-button formaction="/admin/filters/save" hx-post="/admin/filters/save" hx-target="#preview" { "Save" }
            }
        }
        div #preview { @if let Some(p) = preview { (p) } }
        section {
            h2 { "Changes made here" }
            (audit_table(audit))
        }
    };
    layout("Filters", content)
}

/// The recorded settings changes, newest first.
pub fn audit_table(audit: &[state::ConfigAudit]) -> Markup {
    html! {
        @if audit.is_empty() {
            p.muted #audit { "No setting was changed from the console yet." }
        } @else {
            table #audit {
                thead { tr { th { "When" } th { "Who" } th { "Setting" } th { "Before" } th { "After" } } }
                tbody { @for a in audit {
                    tr { td { (ms_to_time(a.at_ms)) } td { (a.who) } td { code { (a.change.key) } } td { code { (a.change.before) } } td { code { (a.change.after) } } }
                } }
            }
        }
    }
}

/// What saving did.
pub fn saved(changes: &[config::editable::SettingChange], file: &str) -> Markup {
    html! {
        section #saved {
            @if changes.is_empty() {
                p.notice { "Nothing changed: the file is as it was." }
            } @else {
                p.notice { "Saved " (changes.len()) " settings to " code { (file) } "; they apply from the next sync." }
                table {
                    thead { tr { th { "Setting" } th { "Before" } th { "After" } } }
                    tbody { @for c in changes { tr { td { code { (c.key) } } td { code { (c.before) } } td { code { (c.after) } } } } }
                }
            }
        }
    }
}

pub fn preview(p: &FilterPreview) -> Markup {
    html! {
        section #preview-result {
            h2 { "Preview of the next sync" }
            div.kpis {
                div { b #p-selected { (p.issues_selected) } "issues selected" }
                div { b #p-fetch { (p.issues_to_fetch) } "to fetch" }
                div { b #p-delete { (p.issues_to_delete) } "to delete" }
                div { b #p-chunks { (p.chunks_to_delete) } "chunks to delete" }
                div { b { (p.estimated_api_calls) } "API calls (est.)" }
                div { b { (format!("{:.0} s", p.estimated_seconds)) } "time (est.)" }
            }
            @if p.reindex_all { p.notice { "Indexing settings change: every selected issue is documented again." } }
            @if p.issues_changed_since_last_sync > 0 {
                p.muted { (p.issues_changed_since_last_sync) " selected issues changed in Jira since the last sync and are re-indexed too." }
            }
            table {
                thead { tr {
                    th { "Project" } th { "Name" } th.n { "Selected" } th.n { "Indexed now" }
                    th.n { "+ fetch" } th.n { "− delete" } th.n { "− chunks" }
                } }
                tbody {
                    @for r in &p.projects {
                        tr {
                            td { (r.key) } td { (r.name) }
                            td.n { @if r.in_scope { (r.selected) } @else { span.muted { "out of scope" } } }
                            td.n { (r.indexed_now) } td.n { (r.to_fetch) } td.n { (r.to_delete) } td.n { (r.chunks_to_delete) }
                        }
                    }
                }
            }
            p.muted { "Nothing is saved by a preview: Save writes the filters to the config file; they apply from the next sync." }
        }
    }
}

fn counts(map: &std::collections::BTreeMap<String, usize>) -> Vec<(String, usize)> {
    map.iter().map(|(k, v)| (k.clone(), *v)).collect()
}

pub fn project(key: &str, stats: &ProjectStats, status: &Status) -> Markup {
    let failures: Vec<_> = status
        .attachment_failures
        .iter()
        .filter(|f| f.issue_key.starts_with(&format!("{key}-")))
        .collect();
    // Runs are oldest first.
    let last_run = status.runs.last();
    let content = html! {
        section {
            div.kpis {
                div { b #issues { (stats.issues) } "issues" }
                div { b { (stats.chunks) } "chunks" }
                div { b { (stats.attachments) } "attachments with text" }
                div { b { (failures.len()) } "extraction failures" }
                div { b { @match stats.last_updated { Some(ms) => (ms_to_time(ms)), None => "—" } } "newest update" }
                div { b { @match last_run { Some(r) => (ms_to_time(r.finished_ms)), None => "never" } } "last sync" }
            }
        }
        @if stats.chunks == 0 {
            section { p.muted { "The index holds nothing of " (key) " (not synced, outside the filters, or no such project)." } }
        } @else {
            section.charts {
                (charts::bars("Issues by status", &counts(&stats.by_status), 10))
                (charts::bars("Issues by priority", &counts(&stats.by_priority), 10))
                (charts::bars("Issues by type", &counts(&stats.by_type), 10))
                (charts::bars("Issues by assignee", &counts(&stats.by_assignee), 10))
                (charts::bars("Chunks by kind", &counts(&stats.chunks_by_kind), 10))
            }
        }
        @if !failures.is_empty() {
            section {
                h2 { "Extraction failures" }
                table {
                    thead { tr { th { "Issue" } th { "File" } th { "Error" } } }
                    tbody { @for f in failures { tr { td { (f.issue_key) } td { (f.file_name) } td { (f.error) } } } }
                }
            }
        }
    };
    layout(&format!("Project {key}"), content)
}

/// Rows of the identity table shown at most.
const PEOPLE_ROWS: usize = 2_000;

/// How a Jira account is matched to a search caller.
fn match_status(
    u: &access::DirUser,
    mapped: &std::collections::HashMap<&str, &str>,
) -> (String, &'static str) {
    if !u.active {
        return ("inactive: matches nobody".into(), "muted");
    }
    if u.account_type == "app" {
        return ("app account: not a person".into(), "muted");
    }
    if let Some(email) = mapped.get(u.account_id.as_str()) {
        return (format!("matched by the mapping file ({email})"), "ok");
    }
    match u.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(e) => (format!("matched by email ({e})"), "ok"),
        None => (
            "hidden email: searches as anonymous until mapped".into(),
            "bad",
        ),
    }
}

pub fn people(
    report: &IdentityReport,
    users: &[access::DirUser],
    unmatched: &[String],
    as_email: &str,
    q: &str,
    results: Option<&search::SearchOutcome>,
) -> Markup {
    let mapped: std::collections::HashMap<&str, &str> = report
        .mapped
        .iter()
        .map(|m| (m.account_id.as_str(), m.email.as_str()))
        .collect();
    let matched = users
        .iter()
        .filter(|u| match_status(u, &mapped).1 == "ok")
        .count();
    let content = html! {
        section {
            h2 { "Search as a person" }
            form.row method="get" action="/admin/people" {
                label { "Email" input type="email" name="as" value=(as_email) required; }
                label { "Query" input type="search" name="q" value=(q) required; }
                button type="submit" { "Search" }
            }
            @if let Some(r) = results {
                p.muted { "Searched as: " (r.identity) " · " (r.hits.len()) " issues" }
                table {
                    thead { tr { th { "Issue" } th { "Title" } th { "Snippet" } } }
                    tbody { @for h in &r.hits {
                        tr { td { a href=(h.url) { (h.issue_key) } } td { (h.title) } td.muted { (h.snippet) } }
                    } }
                }
            }
        }
        section {
            h2 { "Identity" }
            div.kpis {
                div { b #matched { (matched) } "matched" }
                div { b { (report.hidden_email.len()) } "hidden email, not mapped" }
                div { b { (report.inactive.len()) } "inactive" }
                div { b { (report.mapped.len()) } "mapping entries" }
                div { b { (unmatched.len()) } "unmatched callers seen" }
            }
            h2 style="margin-top:1rem" { "Accounts" }
            label { "Find a person"
                input type="search" placeholder="name, email or status"
                    oninput="for(const r of document.querySelectorAll('tr[data-u]'))r.hidden=!r.dataset.u.includes(this.value.toLowerCase())";
            }
            table #people {
                thead { tr { th { "Name" } th { "Account id" } th { "Type" } th { "How a search caller matches" } } }
                tbody {
                    @for u in users.iter().take(PEOPLE_ROWS) {
                        @let (status, class) = match_status(u, &mapped);
                        tr data-u=(format!("{} {}", u.display_name.to_lowercase(), status.to_lowercase())) {
                            td { (u.display_name) } td.muted { (u.account_id) } td { (u.account_type) }
                            td class=(class) { (status) }
                        }
                    }
                }
            }
            @if users.len() > PEOPLE_ROWS { p.muted { "The first " (PEOPLE_ROWS) " of " (users.len()) " accounts." } }
            @if !report.mapped.is_empty() {
                h2 style="margin-top:1rem" { "Mapping file" }
                table { tbody { @for m in &report.mapped { tr { td { (format!("{m:?}")) } } } } }
            }
            @if !unmatched.is_empty() {
                h2 style="margin-top:1rem" { "Unmatched callers" }
                ul { @for e in unmatched { li { (e) } } }
            }
        }
    };
    layout("People", content)
}

pub fn explain(as_email: &str, key: &str, outcome: Option<&Option<IssueAccess>>) -> Markup {
    let content = html! {
        section {
            form.row #explain-form method="get" action="/admin/explain" {
                label { "Person (email)" input type="email" name="as" value=(as_email) required; }
                label { "Issue key" input type="text" name="key" value=(key) placeholder="ENG-42" required; }
                button type="submit" { "Explain" }
            }
        }
        @match outcome {
            None => {},
            Some(None) => section { p.bad { (key) " is not in the index (not synced, outside the filters, or deleted)." } },
            Some(Some(a)) => section {
                h2 #verdict class=(if a.allowed { "ok" } else { "bad" }) {
                    (a.identity) @if a.allowed { " may open " } @else { " may not open " } (a.issue_key)
                }
                p.muted { (a.visible_chunks) " of " (a.chunks.len()) " chunks visible to them." }
                @for c in &a.chunks {
                    details open[!c.allowed || c.kind == index::ChunkKind::Issue] {
                        summary class=(if c.allowed { "ok" } else { "bad" }) {
                            (c.chunk_id) @if c.allowed { " — visible" } @else { " — hidden" }
                        }
                        pre { (c.text) }
                    }
                }
            },
        }
    };
    layout("Explain access", content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_render_in_utc() {
        assert_eq!(chrono_like(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(chrono_like(1_700_000_000_000), "2023-11-14 22:13:20 UTC");
    }

    #[test]
    fn the_form_round_trips_and_validates() {
        let pairs: Vec<(String, String)> = [
            ("p:ENG", "in"),
            ("p:OPS", "out"),
            ("p:HR", ""),
            ("created_from", "2024-01-01"),
            ("comments", "on"),
            ("attachment_max_mib", "10"),
            ("attachment_types", "PDF, .docx"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let form = FilterForm::from_pairs(&pairs);
        let mut cfg = Config::parse(
            "[jira]\nbase_url = \"https://x.atlassian.net\"\nemail = \"a@b.c\"\napi_token = \"t\"\n",
        )
        .unwrap();
        form.apply(&mut cfg).unwrap();
        assert_eq!(cfg.filters.projects_in, ["ENG"]);
        assert_eq!(cfg.filters.projects_not_in, ["OPS"]);
        assert!(!cfg.indexing.issues && cfg.indexing.comments && !cfg.indexing.attachments);
        assert_eq!(cfg.indexing.attachment_max_bytes, 10 * 1024 * 1024);
        assert_eq!(cfg.indexing.attachment_types, ["pdf", "docx"]);
        for (mib, fits) in [
            ("0", false),
            ("4096", true),
            ("4097", false),
            ("18446744073709551615", false),
        ] {
            let f = FilterForm {
                attachment_max_mib: mib.into(),
                ..form.clone()
            };
            let got = f.apply(&mut cfg);
            assert_eq!(got.is_ok(), fits, "{mib} MiB: {got:?}");
            if !fits {
                assert_eq!(got.unwrap_err().key, "attachment size limit");
            }
        }
        let bad = FilterForm {
            created_from: "yesterday".into(),
            ..form.clone()
        };
        assert!(
            bad.apply(&mut cfg)
                .unwrap_err()
                .key
                .contains("created_from")
        );
        let page = filters(
            &form,
            &[("ENG".into(), "Engineering <x>".into())],
            None,
            &[],
        )
        .into_string();
        assert!(page.contains("Engineering &lt;x&gt;"));
        assert!(page.contains(r#"<option value="in" selected>only</option>"#));
    }
}

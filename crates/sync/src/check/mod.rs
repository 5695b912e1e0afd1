//! `jira-index check`: tests the connection and reports what the connector account can
//! and cannot read, with what to do about each gap: the account itself (`myself`),
//! users and how many hide their email, groups and members, projects, permission
//! schemes and security levels (without them visibility cannot be computed: the sync
//! fails closed), the audit log (deletions are then found by reconciliation only) and
//! issue search. Nothing is written; no secret is printed.

use jira_cloud::{JiraClient, JiraError, JqlRequest};
use serde::Serialize;

mod access;
mod item;

pub use item::CheckItem;

use crate::error::SyncError;
use crate::pipeline::jira_client;
use config::Config;

/// The connector account.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// Its account id.
    pub account_id: String,
    /// Its display name.
    pub display_name: String,
    /// Its email, when Jira shows it.
    pub email: Option<String>,
}

/// Everything `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The site checked.
    pub site: String,
    /// How the connector authenticated (API token or OAuth).
    pub auth: String,
    /// The connector account, when `myself` answered.
    pub account: Option<Account>,
    /// What was checked, each read or not.
    pub items: Vec<CheckItem>,
    /// Users the connector can list.
    pub users: usize,
    /// Of those, users whose email Jira hides.
    pub hidden_emails: usize,
    /// Rate-limit policies the site announced (name, quota, window seconds).
    pub rate_limit_policies: Vec<(String, f64, f64)>,
    /// Requests the check made.
    pub api_calls: u64,
}

/// Items whose failure leaves a sync possible: what they lack denies (fail closed) or
/// costs calls, and the item says what.
const NOT_BLOCKING: &[&str] = &[
    "audit log",
    "application roles",
    "team-managed access",
    "jira administrators",
    "hidden from the connector",
];

impl CheckReport {
    /// Whether a sync can run: the connection works and nothing essential is missing.
    pub fn ready(&self) -> bool {
        self.account.is_some()
            && self
                .items
                .iter()
                .filter(|i| !NOT_BLOCKING.contains(&i.what.as_str()))
                .all(|i| i.ok)
    }
}

fn item(what: &str, result: Result<String, JiraError>, advice_if_failed: &str) -> CheckItem {
    match result {
        Ok(detail) => CheckItem {
            what: what.into(),
            ok: true,
            detail,
            advice: None,
        },
        Err(e) => CheckItem {
            what: what.into(),
            ok: false,
            detail: e.to_string(),
            advice: Some(advice_if_failed.into()),
        },
    }
}

/// Runs the checks against the configured site.
pub async fn run_check(cfg: &Config) -> Result<CheckReport, SyncError> {
    let client = jira_client(cfg)?;
    let mut report = CheckReport {
        site: cfg.jira.base_url.clone(),
        auth: match cfg.jira.oauth {
            Some(_) => "OAuth 2.0 (3LO)".into(),
            None => format!("API token of {}", cfg.jira.email),
        },
        account: None,
        items: Vec::new(),
        users: 0,
        hidden_emails: 0,
        rate_limit_policies: Vec::new(),
        api_calls: 0,
    };
    match client.myself().await {
        Ok(me) => {
            report.account = Some(Account {
                account_id: me.account_id,
                display_name: me.display_name,
                email: me.email_address,
            });
            report.items.push(CheckItem {
                what: "connection".into(),
                ok: true,
                detail: "myself answered".into(),
                advice: None,
            });
        }
        Err(e) => {
            let advice = match &e {
                JiraError::Unauthorized { .. } => {
                    "the credentials were refused: check jira.email and the API token (or run `jira-index auth login` again for OAuth)"
                }
                JiraError::Transport { .. } | JiraError::RetriesExhausted { .. } => {
                    "Jira could not be reached: check jira.base_url and the network"
                }
                _ => "the site answered with an error: see the detail",
            };
            report.items.push(CheckItem {
                what: "connection".into(),
                ok: false,
                detail: e.to_string(),
                advice: Some(advice.into()),
            });
            report.api_calls = client.request_count();
            return Ok(report);
        }
    }
    check_identity(&client, &mut report).await;
    check_projects(&client, &mut report).await;
    if report.items.iter().all(|i| i.ok) {
        let me = report
            .account
            .as_ref()
            .map(|a| a.account_id.clone())
            .unwrap_or_default();
        access::check_access(&client, &me, &mut report.items).await;
    }
    let audit = client
        .audit_records(Some(crate::clock::now_ms() - 3_600_000), None)
        .await
        .map(|r| format!("readable ({} records in the last hour)", r.len()));
    report.items.push(item(
        "audit log",
        audit,
        "the audit log needs the Administer Jira global permission; without it deletions are still found by id-set reconciliation, only later and with more API calls",
    ));
    let search = client
        .search_jql_page(&JqlRequest::new("ORDER BY updated DESC"), None)
        .await
        .map(|p| {
            format!(
                "search/jql answered ({} issues on the first page)",
                p.issues.len()
            )
        });
    report.items.push(item(
        "issue search",
        search,
        "the account cannot search issues: grant it Browse projects in the projects to index",
    ));
    report.rate_limit_policies = client.rate_budget().policies;
    report.api_calls = client.request_count();
    Ok(report)
}

async fn check_identity(client: &JiraClient, report: &mut CheckReport) {
    match client.users().await {
        Ok(users) => {
            let people: Vec<_> = users
                .iter()
                .filter(|u| u.account_type == "atlassian" && u.active)
                .collect();
            report.users = users.len();
            report.hidden_emails = people.iter().filter(|u| u.email_address.is_none()).count();
            report.items.push(CheckItem {
                what: "users".into(),
                ok: true,
                detail: format!(
                    "{} accounts, {} active people, {} of them hide their email",
                    users.len(),
                    people.len(),
                    report.hidden_emails
                ),
                advice: (report.hidden_emails > 0).then(|| {
                    "people whose email is hidden cannot be matched by email and search as anonymous: list them in identity.email_mapping_file (`jira-index status` names them after a sync)".to_string()
                }),
            });
        }
        Err(e) => report.items.push(item(
            "users",
            Err(e),
            "the account cannot list users: grant it the Browse users and groups global permission",
        )),
    }
    let groups = async {
        let groups = client.groups().await?;
        let mut detail = format!("{} groups", groups.len());
        if let Some(g) = groups.first() {
            let members = client.group_members(&g.group_id, true).await?;
            detail.push_str(&format!(
                "; members readable ({} in {})",
                members.len(),
                g.name
            ));
        }
        Ok(detail)
    }
    .await;
    report.items.push(item(
        "groups and members",
        groups,
        "the account cannot read groups or their members: grant it Browse users and groups; group grants cannot be evaluated without them (they would deny)",
    ));
}

async fn check_projects(client: &JiraClient, report: &mut CheckReport) {
    let projects = match client.projects().await {
        Ok(p) => p,
        Err(e) => {
            report.items.push(item(
                "projects",
                Err(e),
                "the account cannot list projects: grant it Browse projects",
            ));
            return;
        }
    };
    report.items.push(CheckItem {
        what: "projects".into(),
        ok: !projects.is_empty(),
        detail: format!("{} projects visible", projects.len()),
        advice: projects
            .is_empty()
            .then(|| "the account sees no project: grant it Browse projects (or add it to a group that has it)".to_string()),
    });
    let classic = projects
        .iter()
        .find(|p| p.style.as_deref() != Some("next-gen"));
    if let Some(p) = classic {
        let scheme = async {
            let id = client.project_permission_scheme_id(&p.id).await?;
            let scheme = client.permission_scheme(&id).await?;
            Ok(format!(
                "readable ({} grants in the scheme of {})",
                scheme.permissions.len(),
                p.key
            ))
        }
        .await;
        report.items.push(item(
            "permission schemes",
            scheme,
            "permission schemes need the Administer Jira global permission; without them no one's access can be computed and the index would show nothing (fail closed)",
        ));
        let security = client
            .project_security_scheme(&p.id)
            .await
            .map(|s| match s {
                Some(s) => format!(
                    "readable ({} levels in the scheme of {})",
                    s.levels.len(),
                    p.key
                ),
                None => format!("readable ({} has no issue security scheme)", p.key),
            });
        report.items.push(item(
            "issue security levels",
            security,
            "issue security schemes need the Administer Jira global permission; issues with a security level would be hidden from everyone (fail closed)",
        ));
    }
}

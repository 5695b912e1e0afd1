//! `verify-access`: a self-audit of the index against Jira's own permission check.
//!
//! Jira answers "which of these issues may this person browse?" in bulk
//! (`POST /rest/api/3/permissions/check`, up to 1,000 issues a call, for any account
//! when the caller holds *Administer Jira*). For a sample of people and of the issues
//! the index holds, this module asks Jira (one call per person per ≤ 1,000 issues,
//! within a call budget) and compares each answer with the index's **own** decision
//! for that person and issue, made exactly as search makes it: the person's principal
//! set (the search caller's set when their visible email resolves to them, else the
//! same expansion reached by account id) against the tags stored on the issue's chunks
//! ([`index::acl_allows`], the filter's own check).
//!
//! A disagreement is a **leak** (the index shows a chunk of the issue — any chunk — and
//! Jira says the person may not browse it, whatever the reason: a deleted issue Jira
//! no longer knows counts too) or a **miss** (Jira allows, the index hides the issue's
//! own text). Each comes with the explain output for that person and issue. Issues
//! Jira has and the index lacks are out of scope: only indexed issues are compared.
//! Comment restrictions are not audited (Jira's bulk check is per issue).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use access::{EmailMapping, Identity, PrincipalCache};
use index::{ChunkDoc, ChunkKind};
use jira_cloud::{
    JiraClient, JiraError, MAX_PERMISSION_CHECK_IDS, PermissionCheck, ProjectPermissionQuery,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::error::SyncError;
use config::Config;
use search::{ChunkAccess, IssueAccess, Searcher, describe_identity};
use state::StateStore;

/// The permission Jira's answer is read for: "Browse projects" on an issue is
/// "may open this issue" (issue security included).
pub const BROWSE: &str = "BROWSE_PROJECTS";
/// Calls to `permissions/check` one run may make unless told otherwise.
pub const DEFAULT_MAX_CALLS: usize = 200;
/// Issues checked per person unless told otherwise: one call's worth.
pub const DEFAULT_ISSUES_PER_PERSON: usize = MAX_PERMISSION_CHECK_IDS;
/// Disagreements listed with their explanation at most (all are counted).
pub const MAX_LISTED: usize = 500;

/// What to check, and how much of Jira's API it may use.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Most calls to Jira (default [`DEFAULT_MAX_CALLS`]).
    pub max_calls: Option<usize>,
    /// Most people to check (default: as many active accounts as the budget allows;
    /// every one of them when they fit).
    pub people: Option<usize>,
    /// Issues checked per person (default [`DEFAULT_ISSUES_PER_PERSON`]; all indexed
    /// issues when the index holds fewer).
    pub issues: Option<usize>,
    /// Seed of the samples (default: a random one, reported, so a run can be repeated).
    pub seed: Option<u64>,
}

/// Which way the index and Jira disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisagreementKind {
    /// The index shows the person something of the issue; Jira denies them the issue.
    Leak,
    /// Jira lets the person open the issue; the index hides its text from them.
    Miss,
}

impl DisagreementKind {
    /// `leak` or `miss`.
    pub fn as_str(self) -> &'static str {
        match self {
            DisagreementKind::Leak => "LEAK",
            DisagreementKind::Miss => "MISS",
        }
    }
}

/// One (person, issue) pair on which the index and Jira disagree.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Disagreement {
    /// Leak or miss.
    pub kind: DisagreementKind,
    /// The issue key.
    pub issue_key: String,
    /// The issue id.
    pub issue_id: String,
    /// The person's account id.
    pub account_id: String,
    /// The person's display name.
    pub display_name: String,
    /// The person's visible email, when Jira shows it.
    pub email: Option<String>,
    /// Chunks of the issue the index shows the person / all its chunks.
    pub visible_chunks: usize,
    /// Chunks of the issue in the index.
    pub chunks: usize,
    /// `jira-index explain` for this person and issue: each chunk's gates and the
    /// grants behind them.
    pub explain: String,
}

/// What one run found.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct VerifyReport {
    /// The seed of the samples (pass it again to repeat the run).
    pub seed: u64,
    /// Most permission-check calls to Jira.
    pub max_calls: usize,
    /// Calls made to `permissions/check`.
    pub calls_used: usize,
    /// HTTP requests the client sent for them (retries included).
    pub http_requests: u64,
    /// Active accounts in the synced directory (the people who could be checked).
    pub people_available: usize,
    /// People checked.
    pub people_checked: usize,
    /// Whether every active account was checked (else a seeded sample).
    pub all_people: bool,
    /// Issues the index holds (the only ones compared: issues Jira has that the
    /// index lacks are out of scope).
    pub issues_in_index: usize,
    /// Issues asked about per person.
    pub issues_per_person: usize,
    /// Distinct issues asked about, over all people.
    pub issues_checked: usize,
    /// (person, issue) pairs compared.
    pub pairs_checked: usize,
    /// Pairs Jira allowed.
    pub jira_allowed: usize,
    /// Pairs whose issue holds no issue or attachment chunk (only comments, or nothing
    /// indexed): checked for leaks only.
    pub pairs_leak_only: usize,
    /// Pairs where the index shows what Jira denies.
    pub leaks: usize,
    /// Pairs where Jira allows what the index hides.
    pub misses: usize,
    /// Calls per 1,000 (person, issue) pairs checked.
    pub calls_per_1000_pairs: f64,
    /// The disagreements, leaks first (at most [`MAX_LISTED`]).
    pub disagreements: Vec<Disagreement>,
    /// People Jira could not answer for (e.g. an account deleted since the sync).
    pub errors: Vec<String>,
    /// When the run started (epoch ms).
    pub started_ms: i64,
    /// How long it took.
    pub duration_ms: u64,
}

impl VerifyReport {
    /// No leak and no miss.
    pub fn agrees(&self) -> bool {
        self.leaks == 0 && self.misses == 0
    }

    /// One summary line.
    pub fn summary(&self) -> String {
        let who = if self.all_people {
            format!("all {} active people", self.people_checked)
        } else {
            format!(
                "{} of {} active people (seed {})",
                self.people_checked, self.people_available, self.seed
            )
        };
        format!(
            "verify-access: {who} × {} issues = {} pairs checked ({} distinct of {} indexed issues) in {} calls (budget {}, {:.2} per 1,000 pairs): {} leaks, {} misses{}",
            self.issues_per_person,
            self.pairs_checked,
            self.issues_checked,
            self.issues_in_index,
            self.calls_used,
            self.max_calls,
            self.calls_per_1000_pairs,
            self.leaks,
            self.misses,
            if self.errors.is_empty() {
                String::new()
            } else {
                format!(", {} people not checked", self.errors.len())
            }
        )
    }

    /// The summary, then one block per disagreement with its explanation.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = self.summary();
        out.push('\n');
        for d in &self.disagreements {
            let what = match d.kind {
                DisagreementKind::Leak => "the index shows it, Jira denies it",
                DisagreementKind::Miss => "Jira allows it, the index hides it",
            };
            let _ = writeln!(
                out,
                "\n{} {} for {} ({}): {what}",
                d.kind.as_str(),
                d.issue_key,
                d.display_name,
                d.account_id
            );
            for line in d.explain.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        let listed = self.disagreements.len();
        if listed < self.leaks + self.misses {
            let _ = writeln!(
                out,
                "\n({} more disagreements not listed)",
                self.leaks + self.misses - listed
            );
        }
        for e in &self.errors {
            let _ = writeln!(out, "not checked: {e}");
        }
        out
    }
}

/// The index's decision for one person and one issue, from the issue's stored chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexDecision {
    /// Some chunk of the issue passes the person's filter (search can return it).
    pub shows_any: bool,
    /// The issue's own text passes: every issue chunk (as explain decides), or, when
    /// issue text is not indexed, every attachment chunk (they carry the issue's tags).
    /// `None` when the index holds neither for the issue.
    pub opens: Option<bool>,
    /// Chunks of the issue the person sees.
    pub visible_chunks: usize,
}

/// Decides as search does: [`index::acl_allows`] per chunk.
pub fn index_decision(principals: &[String], chunks: &[ChunkDoc]) -> IndexDecision {
    let allowed: Vec<(ChunkKind, bool)> = chunks
        .iter()
        .map(|c| (c.kind, index::acl_allows(principals, c)))
        .collect();
    let all_of = |kind: ChunkKind| {
        let mut of = allowed.iter().filter(|(k, _)| *k == kind).peekable();
        of.peek().is_some().then(|| of.all(|(_, a)| *a))
    };
    IndexDecision {
        shows_any: allowed.iter().any(|(_, a)| *a),
        opens: all_of(ChunkKind::Issue).or_else(|| all_of(ChunkKind::Attachment)),
        visible_chunks: allowed.iter().filter(|(_, a)| *a).count(),
    }
}

/// An issue of the index with the ACL tags of its chunks (texts dropped).
#[derive(Clone, Debug)]
pub struct IndexedIssue {
    /// The issue id.
    pub id: String,
    /// The issue key.
    pub key: String,
    /// Its chunks in the index.
    pub chunks: Vec<ChunkDoc>,
}

/// How one person's checked pairs came out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Person-issue pairs checked.
    pub pairs: usize,
    /// Of those, pairs Jira allows.
    pub jira_allowed: usize,
    /// Pairs where the index alone shows something.
    pub leak_only: usize,
    /// (kind, index into the issues compared, the index's decision's visible chunks).
    pub disagreements: Vec<(DisagreementKind, usize, usize)>,
}

/// Compares Jira's answer (`jira_allows`: the ids it lets the person browse) with the
/// index's decision for each issue.
pub fn compare(
    principals: &[String],
    issues: &[Arc<IndexedIssue>],
    jira_allows: &BTreeSet<String>,
) -> Comparison {
    let mut out = Comparison::default();
    for (n, issue) in issues.iter().enumerate() {
        let jira = jira_allows.contains(&issue.id);
        let index = index_decision(principals, &issue.chunks);
        out.pairs += 1;
        out.jira_allowed += usize::from(jira);
        if index.opens.is_none() {
            out.leak_only += 1;
        }
        if !jira && index.shows_any {
            out.disagreements
                .push((DisagreementKind::Leak, n, index.visible_chunks));
        } else if jira && index.opens == Some(false) {
            out.disagreements
                .push((DisagreementKind::Miss, n, index.visible_chunks));
        }
    }
    out
}

/// The budget split: issues per person and how many people fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Issues sampled per person.
    pub issues_per_person: usize,
    /// Calls per person (one per 1,000 issues).
    pub calls_per_person: usize,
    /// People sampled.
    pub people: usize,
}

/// Splits `max_calls` over people: each person costs one call per ≤ 1,000 issues.
/// A budget too small for one person's issues shrinks the issues instead.
pub fn plan(opts: &VerifyOptions, people_available: usize, issues_in_index: usize) -> Plan {
    let max_calls = opts.max_calls.unwrap_or(DEFAULT_MAX_CALLS).max(1);
    let mut issues = opts
        .issues
        .unwrap_or(DEFAULT_ISSUES_PER_PERSON)
        .min(issues_in_index);
    issues = issues.min(max_calls.saturating_mul(MAX_PERMISSION_CHECK_IDS));
    let calls_per_person = issues.div_ceil(MAX_PERMISSION_CHECK_IDS).max(1);
    let people = (max_calls / calls_per_person)
        .min(people_available)
        .min(opts.people.unwrap_or(usize::MAX));
    Plan {
        issues_per_person: issues,
        calls_per_person,
        people,
    }
}

/// Jira's bulk browse check, behind a trait so the comparison can be tested with a
/// fake answer.
pub trait BrowseCheck {
    /// The ids among `issue_ids` (≤ 1,000) the account may browse.
    fn browsable(
        &self,
        account_id: &str,
        issue_ids: &[String],
    ) -> impl std::future::Future<Output = Result<BTreeSet<String>, JiraError>> + Send;

    /// HTTP requests sent so far (for the report).
    fn requests(&self) -> u64 {
        0
    }
}

impl BrowseCheck for JiraClient {
    async fn browsable(
        &self,
        account_id: &str,
        issue_ids: &[String],
    ) -> Result<BTreeSet<String>, JiraError> {
        let answer = self
            .check_permissions(&PermissionCheck {
                account_id: Some(account_id.to_string()),
                global_permissions: Vec::new(),
                project_permissions: vec![ProjectPermissionQuery {
                    permissions: vec![BROWSE.to_string()],
                    projects: Vec::new(),
                    issues: issue_ids.to_vec(),
                }],
            })
            .await?;
        Ok(answer.issues_with(BROWSE))
    }

    fn requests(&self) -> u64 {
        self.request_count()
    }
}

/// A person to check.
#[derive(Clone, Debug)]
struct Person {
    account_id: String,
    display_name: String,
    email: Option<String>,
}

/// Runs the audit with the config's Jira client.
pub async fn verify_access(
    cfg: &Config,
    searcher: Arc<Searcher>,
    opts: &VerifyOptions,
) -> Result<VerifyReport, SyncError> {
    let client = crate::pipeline::jira_client(cfg)?;
    verify_access_with(&client, cfg, searcher, opts).await
}

/// Runs the audit against any [`BrowseCheck`].
pub async fn verify_access_with<J: BrowseCheck + Sync>(
    jira: &J,
    cfg: &Config,
    searcher: Arc<Searcher>,
    opts: &VerifyOptions,
) -> Result<VerifyReport, SyncError> {
    let started = Instant::now();
    let requests_before = jira.requests();
    let seed = opts.seed.unwrap_or_else(rand::random);
    let max_calls = opts.max_calls.unwrap_or(DEFAULT_MAX_CALLS).max(1);

    // The indexed issues (id, key), and the people.
    let state_cfg = cfg.clone();
    let indexed: Vec<(String, String)> = blocking(move || {
        let state = StateStore::open_config(&state_cfg)?.load()?;
        Ok(state
            .issues
            .into_iter()
            .map(|(id, s)| (id, s.key))
            .collect())
    })
    .await?;
    let dir = searcher.directory();
    let mut people: Vec<Person> = dir
        .users
        .iter()
        .filter(|u| u.active && !u.account_id.is_empty())
        .map(|u| Person {
            account_id: u.account_id.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone().filter(|e| !e.trim().is_empty()),
        })
        .collect();
    people.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    people.dedup_by(|a, b| a.account_id == b.account_id);
    let people_available = people.len();
    let plan = plan(opts, people_available, indexed.len());
    let mut rng = StdRng::seed_from_u64(seed);
    let all_people = plan.people == people_available;
    if !all_people {
        people.shuffle(&mut rng);
        people.truncate(plan.people);
        people.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    }

    // Principal sets by account for people no visible email leads to: the admin's
    // mapping plus one address per person that no visible email can be
    // (`.invalid`), resolved and expanded as a search caller's.
    let mut mapping: EmailMapping = (*searcher.mapping()).clone();
    let by_account = |n: usize| format!("verify-{n}@account.jira-index.invalid");
    for (n, p) in people.iter().enumerate() {
        mapping.insert(&by_account(n), &p.account_id);
    }
    let mapping = Arc::new(mapping);
    let cache = Arc::new(PrincipalCache::new());

    let mut report = VerifyReport {
        seed,
        max_calls,
        people_available,
        all_people,
        issues_in_index: indexed.len(),
        issues_per_person: plan.issues_per_person,
        started_ms: crate::clock::now_ms(),
        ..Default::default()
    };
    let mut loaded: HashMap<String, Arc<IndexedIssue>> = HashMap::new();
    let mut checked: BTreeSet<String> = BTreeSet::new();
    let indexed = Arc::new(indexed);
    let mut listed: Vec<Disagreement> = Vec::new();

    for (n, person) in people.iter().enumerate() {
        if report.calls_used + plan.calls_per_person > max_calls {
            break;
        }
        // This person's issues: all, or a sample of their own.
        let picks: Vec<usize> = if plan.issues_per_person >= indexed.len() {
            (0..indexed.len()).collect()
        } else {
            rand::seq::index::sample(&mut rng, indexed.len(), plan.issues_per_person).into_vec()
        };
        let missing: Vec<(String, String)> = picks
            .iter()
            .map(|&i| indexed[i].clone())
            .filter(|(id, _)| !loaded.contains_key(id))
            .collect();
        let s = searcher.clone();
        for issue in blocking(move || load_issues(&s, &missing)).await? {
            loaded.insert(issue.id.clone(), Arc::new(issue));
        }
        let issues: Vec<Arc<IndexedIssue>> = picks
            .iter()
            .filter_map(|&i| loaded.get(&indexed[i].0).cloned())
            .collect();

        // The index's side: the search caller's set when their email leads to them.
        let via_email = person.email.clone().filter(|e| {
            searcher.identity(e)
                == Identity::Matched {
                    account_id: person.account_id.clone(),
                }
        });
        let principals: Vec<String> = match &via_email {
            Some(email) => searcher.principals(email).tags(),
            None => cache.get_or_compute(&dir, &by_account(n), &mapping).tags(),
        };

        // Jira's side: one call per ≤ 1,000 issues.
        let mut allowed = BTreeSet::new();
        let mut failed = None;
        for batch in issues.chunks(MAX_PERMISSION_CHECK_IDS) {
            let ids: Vec<String> = batch.iter().map(|i| i.id.clone()).collect();
            report.calls_used += 1;
            match jira.browsable(&person.account_id, &ids).await {
                Ok(set) => allowed.extend(set),
                // Jira cannot answer for this account (deleted or unknown since the
                // sync): reported, the others are still checked.
                Err(e) if matches!(e.status(), Some(400 | 404)) => {
                    failed = Some(e.to_string());
                    break;
                }
                Err(e) => return Err(SyncError::jira("checking permissions", e)),
            }
        }
        if let Some(e) = failed {
            report.errors.push(format!(
                "{} ({}): {e}",
                person.display_name, person.account_id
            ));
            continue;
        }

        let cmp = compare(&principals, &issues, &allowed);
        report.people_checked += 1;
        report.pairs_checked += cmp.pairs;
        report.jira_allowed += cmp.jira_allowed;
        report.pairs_leak_only += cmp.leak_only;
        checked.extend(issues.iter().map(|i| i.id.clone()));
        for (kind, i, visible) in cmp.disagreements {
            match kind {
                DisagreementKind::Leak => report.leaks += 1,
                DisagreementKind::Miss => report.misses += 1,
            }
            let issue = &issues[i];
            tracing::warn!(
                kind = kind.as_str(),
                issue = %issue.key,
                account = %person.account_id,
                "verify-access: the index and Jira disagree"
            );
            if listed.len() >= MAX_LISTED {
                continue;
            }
            let (s, key, email, synthetic) = (
                searcher.clone(),
                issue.key.clone(),
                via_email.clone(),
                by_account(n),
            );
            let (d, m, acc) = (dir.clone(), mapping.clone(), person.account_id.clone());
            let explain = blocking(move || match email {
                Some(email) => Ok(s.explain_access(&email, &key)?),
                None => explain_by_account(&s, &d, &m, &synthetic, &acc, &key),
            })
            .await?;
            listed.push(Disagreement {
                kind,
                issue_key: issue.key.clone(),
                issue_id: issue.id.clone(),
                account_id: person.account_id.clone(),
                display_name: person.display_name.clone(),
                email: person.email.clone(),
                visible_chunks: visible,
                chunks: issue.chunks.len(),
                explain: explain
                    .map(|a| a.render())
                    .unwrap_or_else(|| format!("{} is no longer in the index", issue.key)),
            });
        }
    }
    listed.sort_by_key(|d| d.kind != DisagreementKind::Leak);
    report.disagreements = listed;
    report.issues_checked = checked.len();
    report.http_requests = jira.requests().saturating_sub(requests_before);
    report.calls_per_1000_pairs = if report.pairs_checked == 0 {
        0.0
    } else {
        report.calls_used as f64 * 1000.0 / report.pairs_checked as f64
    };
    report.duration_ms = started.elapsed().as_millis() as u64;
    tracing::info!(
        people = report.people_checked,
        pairs = report.pairs_checked,
        calls = report.calls_used,
        leaks = report.leaks,
        misses = report.misses,
        "verify-access done"
    );
    Ok(report)
}

/// The chunks of each issue (their tags; texts dropped), by id.
fn load_issues(
    searcher: &Searcher,
    issues: &[(String, String)],
) -> Result<Vec<IndexedIssue>, SyncError> {
    let index = searcher.index();
    let mut out = Vec::with_capacity(issues.len());
    for (id, key) in issues {
        let chunks = index
            .issue_chunks_by_key(key)?
            .into_iter()
            .filter(|c| &c.issue_id == id)
            .map(|mut c| {
                c.text = String::new();
                c.embed_text = String::new();
                c
            })
            .collect();
        out.push(IndexedIssue {
            id: id.clone(),
            key: key.clone(),
            chunks,
        });
    }
    Ok(out)
}

/// [`Searcher::explain_access`] for a person known by account id only (no visible
/// email leads to them): the same per-chunk verdict and explanation, reached through
/// `synthetic`, an address `mapping` maps to the account.
fn explain_by_account(
    searcher: &Searcher,
    dir: &access::Directory,
    mapping: &EmailMapping,
    synthetic: &str,
    account_id: &str,
    issue_key: &str,
) -> Result<Option<IssueAccess>, SyncError> {
    let docs = searcher.index().issue_chunks_by_key(issue_key)?;
    if docs.is_empty() {
        return Ok(None);
    }
    let principals = access::principals_for_email(dir, synthetic, mapping).tags();
    let chunks: Vec<ChunkAccess> = docs
        .into_iter()
        .map(|doc| {
            let by_filter = index::acl_allows(&principals, &doc);
            let explanation = access::explain_stored_tags(
                dir,
                synthetic,
                mapping,
                [&doc.acl_project, &doc.acl_issue, &doc.acl_comment],
            );
            ChunkAccess {
                text: explanation.render(dir),
                allowed: by_filter && explanation.allowed,
                chunk_id: doc.chunk_id,
                kind: doc.kind,
                explanation,
            }
        })
        .collect();
    let issue_chunks: Vec<&ChunkAccess> = chunks
        .iter()
        .filter(|c| c.kind == ChunkKind::Issue)
        .collect();
    let allowed = !issue_chunks.is_empty() && issue_chunks.iter().all(|c| c.allowed);
    Ok(Some(IssueAccess {
        issue_key: issue_key.to_string(),
        identity: format!(
            "{} (by account id; no visible email leads to it)",
            describe_identity(
                dir,
                &Identity::Matched {
                    account_id: account_id.to_string()
                }
            )
        ),
        allowed,
        visible_chunks: chunks.iter().filter(|c| c.allowed).count(),
        chunks,
    }))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(SyncError::task("verify-access"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(
        id: &str,
        kind: ChunkKind,
        project: &[&str],
        issue: &[&str],
        comment: &[&str],
    ) -> ChunkDoc {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        ChunkDoc {
            chunk_id: id.into(),
            issue_id: "1".into(),
            issue_key: "ENG-1".into(),
            project_key: "ENG".into(),
            kind,
            title: String::new(),
            text: String::new(),
            embed_text: String::new(),
            url: String::new(),
            acl_project: tags(project),
            acl_issue: tags(issue),
            acl_comment: tags(comment),
            status: None,
            priority: None,
            issue_type: None,
            assignee: None,
            labels: Vec::new(),
            created: None,
            updated: None,
            content_hash: String::new(),
        }
    }

    fn issue(id: &str, chunks: Vec<ChunkDoc>) -> Arc<IndexedIssue> {
        Arc::new(IndexedIssue {
            id: id.into(),
            key: format!("ENG-{id}"),
            chunks,
        })
    }

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn leaks_and_misses_against_a_fake_answer() {
        let me: Vec<String> = ["*", "p:10"].iter().map(|s| s.to_string()).collect();
        let open = || chunk("issue:x:0", ChunkKind::Issue, &["p:10"], &["*"], &["*"]);
        let other = || chunk("issue:x:0", ChunkKind::Issue, &["p:20"], &["*"], &["*"]);
        let secret_comment = || chunk("comment:c:0", ChunkKind::Comment, &["p:20"], &["*"], &["*"]);
        let issues = vec![
            issue("1", vec![open()]),  // index shows, Jira allows
            issue("2", vec![open()]),  // index shows, Jira denies: leak
            issue("3", vec![other()]), // index hides, Jira allows: miss
            issue("4", vec![other()]), // both deny
            issue(
                "5",
                vec![
                    other(),
                    chunk("comment:c:0", ChunkKind::Comment, &["p:10"], &["*"], &["*"]),
                ],
            ),
            issue("6", vec![secret_comment()]), // comments only: leak-only check
            issue("7", Vec::new()),             // nothing indexed
        ];
        // Jira allows 1, 3 and 7; denies the rest (5: a comment is shown — a leak).
        let cmp = compare(&me, &issues, &set(&["1", "3", "7"]));
        assert_eq!(cmp.pairs, 7);
        assert_eq!(cmp.jira_allowed, 3);
        assert_eq!(cmp.leak_only, 2);
        assert_eq!(
            cmp.disagreements,
            vec![
                (DisagreementKind::Leak, 1, 1),
                (DisagreementKind::Miss, 2, 0),
                (DisagreementKind::Leak, 4, 1),
            ]
        );
        // The same answers with the index in agreement: nothing to report.
        let cmp = compare(&me, &issues, &set(&["1", "2"]));
        assert_eq!(cmp.disagreements, vec![(DisagreementKind::Leak, 4, 1)]);
    }

    #[test]
    fn an_issue_opens_when_every_issue_chunk_passes() {
        let me: Vec<String> = ["*", "p:10"].iter().map(|s| s.to_string()).collect();
        let half = [
            chunk("issue:1:0", ChunkKind::Issue, &["p:10"], &["*"], &["*"]),
            chunk(
                "issue:1:1",
                ChunkKind::Issue,
                &["p:10"],
                &["sl:9:10"],
                &["*"],
            ),
        ];
        let d = index_decision(&me, &half);
        assert_eq!(
            (d.shows_any, d.opens, d.visible_chunks),
            (true, Some(false), 1)
        );
        // Issue text not indexed: the attachment chunks carry the issue's tags.
        let att = [chunk(
            "attachment:5:0",
            ChunkKind::Attachment,
            &["p:10"],
            &["*"],
            &["*"],
        )];
        assert_eq!(index_decision(&me, &att).opens, Some(true));
        // No principals (an inactive account): nothing passes.
        assert!(!index_decision(&[], &half).shows_any);
    }

    #[test]
    fn the_budget_decides_people_and_issues() {
        let opts = VerifyOptions::default();
        // A small site: everyone, every issue, one call each.
        assert_eq!(
            plan(&opts, 12, 200),
            Plan {
                issues_per_person: 200,
                calls_per_person: 1,
                people: 12
            }
        );
        // A large one: 1,000 issues each, 200 people.
        assert_eq!(
            plan(&opts, 1000, 50_000),
            Plan {
                issues_per_person: 1000,
                calls_per_person: 1,
                people: 200
            }
        );
        let wide = VerifyOptions {
            issues: Some(2500),
            max_calls: Some(10),
            ..Default::default()
        };
        assert_eq!(
            plan(&wide, 1000, 50_000),
            Plan {
                issues_per_person: 2500,
                calls_per_person: 3,
                people: 3
            }
        );
        // A budget below one person's issues shrinks the issues.
        let tight = VerifyOptions {
            issues: Some(5000),
            max_calls: Some(2),
            ..Default::default()
        };
        assert_eq!(
            plan(&tight, 10, 50_000),
            Plan {
                issues_per_person: 2000,
                calls_per_person: 2,
                people: 1
            }
        );
        let few = VerifyOptions {
            people: Some(3),
            ..Default::default()
        };
        assert_eq!(plan(&few, 10, 5).people, 3);
    }
}

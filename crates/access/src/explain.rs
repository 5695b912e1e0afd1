//! Why an account may or may not see a chunk: per gate, the chunk's tags, whether the
//! account passes, and the grants (holders, roles, groups) behind each shared tag.
//! Computed by the very expansion and tags the search filter uses, so an explanation
//! can never disagree with a search result.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::acl::{ANY_TAG, CommentVisibility, DENY_TAG, IssueFacts, comment_acl, issue_acl};
use crate::directory::{Directory, Holder};
use crate::identity::{EmailMapping, Identity, resolve_email};
use crate::principal_set::Grant;
use crate::principals::expand;

/// The account an explanation is about, as the directory knows it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// An active account: holds its principal set.
    Active,
    /// Deactivated: holds no tags.
    Inactive,
    /// Not in the directory: holds no tags.
    Unknown,
    /// An email no account matches ([`explain_email`]): holds what `anyone` grants.
    Anonymous,
}

/// The three gates of a chunk.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// `acl_project`: BROWSE_PROJECTS.
    Project,
    /// `acl_issue`: issue security level or team-managed restriction.
    Issue,
    /// `acl_comment`: comment visibility.
    Comment,
}

/// One tag the account shares with a gate, and every grant that gave it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MatchedTag {
    /// The shared tag.
    pub tag: String,
    /// Every grant that gives the account this tag.
    pub granted_by: Vec<Grant>,
}

/// The verdict of one gate.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GateExplanation {
    /// Which gate.
    pub gate: Gate,
    /// The chunk's tags for this gate.
    pub tags: Vec<String>,
    /// The account shares at least one of them.
    pub passed: bool,
    /// The shared tags (empty when the gate fails).
    pub matched: Vec<MatchedTag>,
}

/// Whether an account sees a chunk, gate by gate.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// Empty for [`AccountStatus::Anonymous`].
    pub account_id: String,
    /// What the directory says about the account.
    pub account: AccountStatus,
    /// All three gates pass.
    pub allowed: bool,
    /// The project-browse gate (`acl_project`).
    pub project: GateExplanation,
    /// The issue-security gate (`acl_issue`).
    pub issue: GateExplanation,
    /// The comment-visibility gate (`acl_comment`).
    pub comment: GateExplanation,
}

impl Explanation {
    /// The gates in order: project, issue, comment.
    pub fn gates(&self) -> [&GateExplanation; 3] {
        [&self.project, &self.issue, &self.comment]
    }
}

/// Explains the chunk with `facts` (and, for a comment chunk, its `visibility`; pass
/// `None` for issue and attachment chunks and unrestricted comments) for an account.
///
/// ```
/// use access::*;
/// let dir = Directory {
///     users: vec![DirUser { account_id: "a1".into(), active: true, ..Default::default() }],
///     groups: vec![DirGroup { group_id: "g1".into(), members: vec!["a1".into()], ..Default::default() }],
///     application_roles: vec![AppRole { key: "jira-software".into(), group_ids: vec!["g1".into()] }],
///     projects: vec![DirProject { id: "10".into(), ..Default::default() }],
///     browse_grants: vec![ProjectGrants { project_id: "10".into(), holders: vec![Holder::Reporter] }],
///     ..Default::default()
/// };
/// let facts = IssueFacts { project_id: "10".into(), reporter: Some("a1".into()), ..Default::default() };
/// let why = explain(&dir, "a1", &facts, None);
/// assert!(why.allowed);
/// assert_eq!(why.project.matched[0].tag, "p:10:reporter:a1");
/// assert_eq!(
///     why.project.matched[0].granted_by,
///     [Grant::Browse { project_id: "10".into(), holder: Holder::Reporter }]
/// );
/// ```
pub fn explain(
    dir: &Directory,
    account_id: &str,
    facts: &IssueFacts,
    visibility: Option<&CommentVisibility>,
) -> Explanation {
    let entries = || dir.users.iter().filter(|u| u.account_id == account_id);
    let account = if account_id.is_empty() || entries().next().is_none() {
        AccountStatus::Unknown
    } else if entries().any(|u| u.active) {
        AccountStatus::Active
    } else {
        AccountStatus::Inactive
    };
    let mut held: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
    if account == AccountStatus::Active {
        expand(dir, None, Some(account_id), &mut held);
    }
    verdict(account_id, account, &held, facts, visibility)
}

/// [`explain`] for a caller known by email, resolved as the search resolves it
/// ([`resolve_email`]): an unmatched email is explained as anonymous.
pub fn explain_email(
    dir: &Directory,
    email: &str,
    mapping: &EmailMapping,
    facts: &IssueFacts,
    visibility: Option<&CommentVisibility>,
) -> Explanation {
    match resolve_email(dir, email, mapping) {
        Identity::Matched { account_id } | Identity::Inactive { account_id } => {
            explain(dir, &account_id, facts, visibility)
        }
        Identity::Unmatched => {
            let mut held: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
            expand(dir, None, None, &mut held);
            verdict("", AccountStatus::Anonymous, &held, facts, visibility)
        }
    }
}

fn verdict(
    account_id: &str,
    account: AccountStatus,
    held: &BTreeMap<String, Vec<Grant>>,
    facts: &IssueFacts,
    visibility: Option<&CommentVisibility>,
) -> Explanation {
    let acl = match visibility {
        // A public comment; internal ones are explained by their stored tags
        // ([`explain_stored_tags`]).
        Some(_) => comment_acl(facts, visibility, false),
        None => issue_acl(facts),
    };
    verdict_tags(
        account_id,
        account,
        held,
        [&acl.project, &acl.issue, &acl.comment],
    )
}

/// Explains a chunk by the tags it was indexed with (`[project, issue, comment]`, as
/// stored in the index and filtered on by search) for a caller known by email,
/// resolved as the search resolves it.
pub fn explain_stored_tags(
    dir: &Directory,
    email: &str,
    mapping: &EmailMapping,
    tags: [&[String]; 3],
) -> Explanation {
    let mut held: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
    match resolve_email(dir, email, mapping) {
        Identity::Matched { account_id } => {
            expand(dir, None, Some(&account_id), &mut held);
            verdict_tags(&account_id, AccountStatus::Active, &held, tags)
        }
        Identity::Inactive { account_id } => {
            verdict_tags(&account_id, AccountStatus::Inactive, &held, tags)
        }
        Identity::Unmatched => {
            expand(dir, None, None, &mut held);
            verdict_tags("", AccountStatus::Anonymous, &held, tags)
        }
    }
}

fn verdict_tags(
    account_id: &str,
    account: AccountStatus,
    held: &BTreeMap<String, Vec<Grant>>,
    [project, issue, comment]: [&[String]; 3],
) -> Explanation {
    let gate = |gate: Gate, tags: &[String]| {
        let matched: Vec<MatchedTag> = tags
            .iter()
            .filter_map(|t| {
                held.get(t).map(|grants| MatchedTag {
                    tag: t.clone(),
                    granted_by: grants.clone(),
                })
            })
            .collect();
        GateExplanation {
            gate,
            tags: tags.to_vec(),
            passed: !matched.is_empty(),
            matched,
        }
    };
    let project = gate(Gate::Project, project);
    let issue = gate(Gate::Issue, issue);
    let comment = gate(Gate::Comment, comment);
    Explanation {
        account_id: account_id.to_string(),
        account,
        allowed: project.passed && issue.passed && comment.passed,
        project,
        issue,
        comment,
    }
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Gate::Project => "project browse",
            Gate::Issue => "issue security",
            Gate::Comment => "comment visibility",
        })
    }
}

/// Turns ids into the names people know, when a directory is at hand.
struct Names<'a>(Option<&'a Directory>);

impl Names<'_> {
    fn project(&self, pid: &str) -> String {
        self.0
            .and_then(|d| d.projects.iter().find(|p| p.id == pid))
            .filter(|p| !p.key.is_empty())
            .map(|p| format!("{} ({pid})", p.key))
            .unwrap_or_else(|| pid.to_string())
    }

    fn group(&self, gid: &str) -> String {
        self.0
            .and_then(|d| d.groups.iter().find(|g| g.group_id == gid))
            .filter(|g| !g.name.is_empty())
            .map(|g| format!("\"{}\" ({gid})", g.name))
            .unwrap_or_else(|| gid.to_string())
    }

    fn role(&self, pid: &str, rid: &str) -> String {
        self.0
            .and_then(|d| {
                d.role_actors
                    .iter()
                    .find(|r| r.project_id == pid && r.role_id == rid)
            })
            .filter(|r| !r.role_name.is_empty())
            .map(|r| format!("\"{}\" ({rid})", r.role_name))
            .unwrap_or_else(|| rid.to_string())
    }

    fn level(&self, pid: &str, lvl: &str) -> String {
        self.0
            .and_then(|d| {
                d.security_levels
                    .iter()
                    .find(|l| l.project_id == pid && l.level_id == lvl)
            })
            .filter(|l| !l.name.is_empty())
            .map(|l| format!("\"{}\" ({lvl})", l.name))
            .unwrap_or_else(|| lvl.to_string())
    }

    fn user(&self, acc: &str) -> String {
        self.0
            .and_then(|d| d.users.iter().find(|u| u.account_id == acc))
            .filter(|u| !u.display_name.is_empty())
            .map(|u| format!("{} ({acc})", u.display_name))
            .unwrap_or_else(|| acc.to_string())
    }

    fn holder(&self, pid: &str, h: &Holder) -> String {
        match h {
            Holder::Anyone => "anyone".into(),
            Holder::ApplicationRole { key: Some(k) } => format!("users of product {k}"),
            Holder::ApplicationRole { key: None } => "any product user".into(),
            Holder::Group { group_id } => format!("group {}", self.group(group_id)),
            Holder::User { account_id } => format!("user {}", self.user(account_id)),
            Holder::ProjectRole { role_id } => format!("project role {}", self.role(pid, role_id)),
            Holder::ProjectLead => "the project lead".into(),
            Holder::Reporter => "the reporter".into(),
            Holder::Assignee => "the assignee".into(),
            Holder::UserCustomField { field_id } => format!("users in field {field_id}"),
            Holder::GroupCustomField { field_id } => format!("groups in field {field_id}"),
            Holder::Unknown { type_name } => format!("unknown holder {type_name}"),
        }
    }

    fn grant(&self, g: &Grant) -> String {
        match g {
            Grant::Everyone => "everyone".into(),
            Grant::ProductAccess => "holds Jira product access".into(),
            Grant::Browse { project_id, holder } => format!(
                "BROWSE_PROJECTS of project {} granted to {}",
                self.project(project_id),
                self.holder(project_id, holder)
            ),
            Grant::SecurityLevel {
                project_id,
                level_id,
                holder,
            } => format!(
                "security level {} of project {} includes {}",
                self.level(project_id, level_id),
                self.project(project_id),
                self.holder(project_id, holder)
            ),
            Grant::ProjectRole {
                project_id,
                role_id,
            } => format!(
                "holds role {} in project {}",
                self.role(project_id, role_id),
                self.project(project_id)
            ),
            Grant::GroupMember { group_id } => format!("member of group {}", self.group(group_id)),
        }
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Names(None).grant(self))
    }
}

impl Explanation {
    /// The explanation as text, with project keys, group, role, level and user names
    /// from `dir` next to the ids. (`Display` gives the same text with ids only.)
    pub fn render(&self, dir: &Directory) -> String {
        self.write_text(&Names(Some(dir)))
    }

    fn write_text(&self, names: &Names<'_>) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let verdict = if self.allowed {
            "may see"
        } else {
            "may not see"
        };
        let who = match self.account {
            AccountStatus::Active => names.user(&self.account_id),
            AccountStatus::Inactive => {
                format!("{} (inactive: holds nothing)", names.user(&self.account_id))
            }
            AccountStatus::Unknown => {
                format!("{} (not in the directory: holds nothing)", self.account_id)
            }
            AccountStatus::Anonymous => "an unmatched caller (anonymous)".into(),
        };
        let _ = writeln!(out, "{who} {verdict} this chunk");
        for g in self.gates() {
            let mark = if g.passed { "pass" } else { "FAIL" };
            let _ = writeln!(
                out,
                "  {mark} {}: chunk tags [{}]",
                g.gate,
                g.tags.join(", ")
            );
            for m in &g.matched {
                let why: Vec<String> = m.granted_by.iter().map(|w| names.grant(w)).collect();
                let _ = writeln!(out, "       {} ← {}", m.tag, why.join("; "));
            }
            if !g.passed && g.tags.iter().any(|t| t == DENY_TAG) {
                let _ = writeln!(out, "       restriction not understood: denied to everyone");
            } else if !g.passed && !g.tags.iter().any(|t| t == ANY_TAG) {
                let _ = writeln!(out, "       no grant gives this caller any of these tags");
            }
        }
        out
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.write_text(&Names(None)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{
        DirGroup, DirProject, DirUser, ProjectGrants, RoleActors, SecurityLevel,
    };
    use crate::principals::principals_for_account;

    fn dir() -> Directory {
        Directory {
            users: vec![
                DirUser {
                    account_id: "ann".into(),
                    active: true,
                    ..Default::default()
                },
                DirUser {
                    account_id: "old".into(),
                    active: false,
                    ..Default::default()
                },
            ],
            groups: vec![DirGroup {
                group_id: "g-devs".into(),
                name: "devs".into(),
                members: vec!["ann".into(), "old".into()],
            }],
            application_roles: vec![crate::directory::AppRole {
                key: "jira-software".into(),
                group_ids: vec!["g-devs".into()],
            }],
            projects: vec![DirProject {
                id: "10".into(),
                key: "DEV".into(),
                ..Default::default()
            }],
            role_actors: vec![RoleActors {
                project_id: "10".into(),
                role_id: "100".into(),
                role_name: "Developers".into(),
                users: vec![],
                groups: vec!["g-devs".into()],
            }],
            browse_grants: vec![ProjectGrants {
                project_id: "10".into(),
                holders: vec![
                    Holder::ProjectRole {
                        role_id: "100".into(),
                    },
                    Holder::Group {
                        group_id: "g-devs".into(),
                    },
                ],
            }],
            security_levels: vec![SecurityLevel {
                project_id: "10".into(),
                level_id: "7".into(),
                name: "Staff".into(),
                members: vec![Holder::Reporter],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn names_every_grant_behind_a_passing_gate() {
        let facts = IssueFacts {
            project_id: "10".into(),
            ..Default::default()
        };
        let vis = CommentVisibility::Role {
            role_id: "100".into(),
        };
        let why = explain(&dir(), "ann", &facts, Some(&vis));
        assert!(why.allowed);
        assert_eq!(why.account, AccountStatus::Active);
        assert_eq!(why.project.matched.len(), 1);
        assert_eq!(why.project.matched[0].tag, "p:10");
        assert_eq!(
            why.project.matched[0].granted_by,
            [
                Grant::Browse {
                    project_id: "10".into(),
                    holder: Holder::ProjectRole {
                        role_id: "100".into()
                    }
                },
                Grant::Browse {
                    project_id: "10".into(),
                    holder: Holder::Group {
                        group_id: "g-devs".into()
                    }
                },
            ]
        );
        assert_eq!(why.issue.matched[0].granted_by, [Grant::Everyone]);
        assert_eq!(
            why.comment.matched[0].granted_by,
            [Grant::ProjectRole {
                project_id: "10".into(),
                role_id: "100".into()
            }]
        );
        let text = why.to_string();
        assert!(text.contains("may see"), "{text}");
        assert!(text.contains("holds role 100 in project 10"), "{text}");
        let named = why.render(&dir());
        assert!(
            named.contains("holds role \"Developers\" (100) in project DEV (10)"),
            "{named}"
        );
        assert!(named.contains("group \"devs\" (g-devs)"), "{named}");
    }

    #[test]
    fn shows_the_failing_gate() {
        let facts = IssueFacts {
            project_id: "10".into(),
            reporter: Some("someone-else".into()),
            security_level_id: Some("7".into()),
            ..Default::default()
        };
        let why = explain(&dir(), "ann", &facts, None);
        assert!(!why.allowed);
        assert!(why.project.passed);
        assert!(!why.issue.passed);
        assert!(why.issue.matched.is_empty());
        assert_eq!(why.issue.tags, ["sl:7:10", "sl:7:10:reporter:someone-else"]);
        assert!(why.to_string().contains("FAIL issue security"));

        let unknown = explain(&dir(), "ann", &facts, Some(&CommentVisibility::Unknown));
        assert!(!unknown.comment.passed);
        assert!(unknown.to_string().contains("denied to everyone"));
    }

    #[test]
    fn inactive_and_unknown_accounts_pass_nothing() {
        let facts = IssueFacts {
            project_id: "10".into(),
            ..Default::default()
        };
        let old = explain(&dir(), "old", &facts, None);
        assert_eq!(old.account, AccountStatus::Inactive);
        assert!(!old.allowed && !old.project.passed && !old.comment.passed);
        let ghost = explain(&dir(), "ghost", &facts, None);
        assert_eq!(ghost.account, AccountStatus::Unknown);
        assert!(!ghost.allowed);
    }

    #[test]
    fn explains_callers_by_email() {
        let mut d = dir();
        d.users[0].email = Some("ann@example.com".into());
        d.browse_grants[0].holders.push(Holder::Anyone);
        let facts = IssueFacts {
            project_id: "10".into(),
            ..Default::default()
        };
        let mapping = EmailMapping::default();
        let ann = explain_email(&d, " ANN@example.com", &mapping, &facts, None);
        assert_eq!(
            (ann.account_id.as_str(), ann.account),
            ("ann", AccountStatus::Active)
        );
        let stranger = explain_email(&d, "who@example.com", &mapping, &facts, None);
        assert_eq!(stranger.account, AccountStatus::Anonymous);
        assert!(stranger.allowed);
        assert_eq!(
            stranger.project.matched[0].granted_by,
            [Grant::Browse {
                project_id: "10".into(),
                holder: Holder::Anyone
            }]
        );
        let group_only = CommentVisibility::Group {
            group_id: "g-devs".into(),
        };
        assert!(!explain_email(&d, "who@example.com", &mapping, &facts, Some(&group_only)).allowed);
    }

    #[test]
    fn agrees_with_the_principal_set() {
        let d = dir();
        for reporter in [None, Some("ann".to_string())] {
            for level in [None, Some("7".to_string())] {
                let facts = IssueFacts {
                    project_id: "10".into(),
                    reporter: reporter.clone(),
                    security_level_id: level.clone(),
                    ..Default::default()
                };
                for acc in ["ann", "old", "ghost"] {
                    assert_eq!(
                        explain(&d, acc, &facts, None).allowed,
                        principals_for_account(&d, acc).allows(&issue_acl(&facts))
                    );
                }
            }
        }
    }
}

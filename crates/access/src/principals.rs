//! User side: expands an account (or anonymous) into its principal set, the tags it
//! holds, from the directory: group memberships, product access, project roles,
//! BROWSE_PROJECTS grants and security-level members.
//!
//! One expansion routine serves both [`principals_for_account`] and
//! [`crate::explain`]: it reports each tag with the grant that gave it, and the caller
//! either keeps the tag only or the reason too.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::{Mutex, OnceLock};

use crate::acl::{ANY_TAG, LICENSED_TAG, tag};
use crate::directory::{DirProject, Directory, Holder};
use crate::index::DirectoryIndex;
use crate::principal_set::{Grant, PrincipalSet};
use crate::subject::{self, Subject, is_licensed, is_live};

/// Receives each tag the expansion grants; `why` is only evaluated by sinks that
/// keep reasons.
pub(crate) trait TagSink {
    /// Whether every grant of a tag matters (explain), or only the tag (search).
    const KEEPS_REASONS: bool;
    fn grant(&mut self, tag: String, why: impl FnOnce() -> Grant);
}

impl TagSink for Vec<String> {
    const KEEPS_REASONS: bool = false;
    fn grant(&mut self, tag: String, _why: impl FnOnce() -> Grant) {
        self.push(tag);
    }
}

impl TagSink for std::collections::BTreeMap<String, Vec<Grant>> {
    const KEEPS_REASONS: bool = true;
    fn grant(&mut self, tag: String, why: impl FnOnce() -> Grant) {
        let reasons = self.entry(tag).or_default();
        let why = why();
        if !reasons.contains(&why) {
            reasons.push(why);
        }
    }
}

/// Which gate a holder list belongs to: browse grants write `p:` tags, security
/// levels `sl:` tags.
#[derive(Clone, Copy)]
enum HolderScope<'a> {
    Browse,
    Level(&'a str),
}

/// Expands `account_id` (`None` = anonymous) into `sink`. An unknown or inactive
/// account gets nothing. With a current `index`, the account's groups and roles are
/// looked up instead of scanned; the result is the same.
pub(crate) fn expand(
    dir: &Directory,
    index: Option<&DirectoryIndex>,
    account_id: Option<&str>,
    sink: &mut impl TagSink,
) {
    let index = index.filter(|i| i.is_current(dir));
    let (subject, account_type) = match (index, account_id) {
        (_, None) => (Subject::anonymous(), None),
        (Some(index), Some(acc)) => {
            let Some(account_type) = index.account_type(dir, acc) else {
                return;
            };
            (index.subject(dir, acc), Some(account_type))
        }
        (None, Some(acc)) => {
            let Some(user) = dir.users.iter().find(|u| u.account_id == acc && u.active) else {
                return;
            };
            (subject::scan(dir, acc), Some(user.account_type.as_str()))
        }
    };
    // The product-access gate: without Jira product access an account opens nothing
    // beyond what an anonymous visitor may see, whatever its groups and roles.
    let subject = match account_type {
        Some(t) if is_licensed(&subject, t) => {
            sink.grant(LICENSED_TAG.to_string(), || Grant::ProductAccess);
            subject
        }
        _ => Subject::anonymous(),
    };
    sink.grant(ANY_TAG.to_string(), || Grant::Everyone);
    for &gid in &subject.sorted_groups {
        sink.grant(tag::group(gid), || Grant::GroupMember {
            group_id: gid.to_string(),
        });
    }

    // Browsable (live) projects by id: from the index, or built here.
    // With duplicate ids, the first live entry counts (as in the index).
    let mut scanned: HashMap<&str, &DirProject> = HashMap::default();
    if index.is_none() {
        for p in dir.projects.iter().filter(|p| is_live(p)) {
            scanned.entry(p.id.as_str()).or_insert(p);
        }
    }
    let live = |pid: &str| match index {
        Some(index) => index.live_project(dir, pid),
        None => scanned.get(pid).copied(),
    };

    let mut roles: Vec<&(&str, &str)> = subject.roles.iter().collect();
    roles.sort();
    for &&(pid, rid) in &roles {
        if let Some(project) = live(pid) {
            let why = || Grant::ProjectRole {
                project_id: pid.to_string(),
                role_id: rid.to_string(),
            };
            // Issue restrictions to roles exist in team-managed projects only: a
            // classic issue never asks for a `tr:` tag (and if one did, it would be
            // denied: fail closed).
            if project.team_managed {
                sink.grant(tag::restriction_role(pid, rid), why);
            }
            sink.grant(tag::role(pid, rid), why);
        }
    }

    for grants in &dir.browse_grants {
        let Some(project) = live(&grants.project_id) else {
            continue;
        };
        apply_holders(
            &subject,
            project,
            HolderScope::Browse,
            &grants.holders,
            sink,
        );
    }
    for level in &dir.security_levels {
        let Some(project) = live(&level.project_id) else {
            continue;
        };
        if level.level_id.is_empty() {
            continue;
        }
        apply_holders(
            &subject,
            project,
            HolderScope::Level(&level.level_id),
            &level.members,
            sink,
        );
    }
}

/// Applies a grant list. When only tags matter, a static holder is skipped once
/// another static holder already gave the subject the gate's tag (same tag again).
fn apply_holders<S: TagSink>(
    subject: &Subject<'_>,
    project: &DirProject,
    scope: HolderScope<'_>,
    holders: &[Holder],
    sink: &mut S,
) {
    let mut covered = false;
    for holder in holders {
        let is_static = !matches!(
            holder,
            Holder::Reporter
                | Holder::Assignee
                | Holder::UserCustomField { .. }
                | Holder::GroupCustomField { .. }
                | Holder::Unknown { .. }
        );
        if covered && is_static && !S::KEEPS_REASONS {
            continue;
        }
        if is_static && subject.covered_by(holder, project) {
            covered = true;
        }
        apply_holder(subject, project, scope, holder, sink);
    }
}

fn apply_holder(
    subject: &Subject<'_>,
    project: &DirProject,
    scope: HolderScope<'_>,
    holder: &Holder,
    sink: &mut impl TagSink,
) {
    let pid = project.id.as_str();
    let why = || match scope {
        HolderScope::Browse => Grant::Browse {
            project_id: pid.to_string(),
            holder: holder.clone(),
        },
        HolderScope::Level(lvl) => Grant::SecurityLevel {
            project_id: pid.to_string(),
            level_id: lvl.to_string(),
            holder: holder.clone(),
        },
    };
    if let Holder::Unknown { type_name } = holder {
        report_unknown(pid, type_name);
        return;
    }
    if subject.covered_by(holder, project) {
        let t = match scope {
            HolderScope::Browse => tag::project(pid),
            HolderScope::Level(lvl) => tag::level(lvl, pid),
        };
        sink.grant(t, why);
        return;
    }
    let Some(me) = subject.account_id else {
        return;
    };
    match (holder, scope) {
        (Holder::Reporter, HolderScope::Browse) => sink.grant(tag::project_reporter(pid, me), why),
        (Holder::Reporter, HolderScope::Level(l)) => {
            sink.grant(tag::level_reporter(l, pid, me), why)
        }
        (Holder::Assignee, HolderScope::Browse) => sink.grant(tag::project_assignee(pid, me), why),
        (Holder::Assignee, HolderScope::Level(l)) => {
            sink.grant(tag::level_assignee(l, pid, me), why)
        }
        (Holder::UserCustomField { field_id }, HolderScope::Browse) => {
            sink.grant(tag::project_user_field(pid, field_id, me), why)
        }
        (Holder::UserCustomField { field_id }, HolderScope::Level(l)) => {
            sink.grant(tag::level_user_field(l, pid, field_id, me), why)
        }
        (Holder::GroupCustomField { field_id }, scope) => {
            for &gid in &subject.sorted_groups {
                let t = match scope {
                    HolderScope::Browse => tag::project_group_field(pid, field_id, gid),
                    HolderScope::Level(l) => tag::level_group_field(l, pid, field_id, gid),
                };
                sink.grant(t, why);
            }
        }
        _ => {}
    }
}

/// Upper bound of remembered (project, type) pairs, so a hostile directory cannot
/// grow memory without limit.
const MAX_REPORTED: usize = 4096;

/// Logs an unknown holder once per (project, type) for the life of the process;
/// true when this call logged.
fn report_unknown(project_id: &str, type_name: &str) -> bool {
    static REPORTED: OnceLock<Mutex<HashSet<(String, String)>>> = OnceLock::new();
    let reported = REPORTED.get_or_init(Default::default);
    let Ok(mut seen) = reported.lock() else {
        return false;
    };
    let key = (project_id.to_string(), type_name.to_string());
    if seen.contains(&key) || seen.len() >= MAX_REPORTED {
        return false;
    }
    tracing::warn!(
        project_id,
        holder_type = type_name,
        "permission holder type not understood: it grants nothing (fail closed)"
    );
    seen.insert(key);
    true
}

/// The principal set of a Jira account. Inactive or unknown accounts get the empty
/// set: they see nothing.
///
/// ```
/// use access::*;
/// let dir = Directory {
///     users: vec![DirUser { account_id: "a1".into(), active: true, ..Default::default() }],
///     groups: vec![DirGroup { group_id: "g1".into(), name: "devs".into(), members: vec!["a1".into()] }],
///     application_roles: vec![AppRole { key: "jira-software".into(), group_ids: vec!["g1".into()] }],
///     projects: vec![DirProject { id: "10".into(), key: "DEV".into(), ..Default::default() }],
///     browse_grants: vec![ProjectGrants {
///         project_id: "10".into(),
///         holders: vec![Holder::Group { group_id: "g1".into() }],
///     }],
///     ..Default::default()
/// };
/// let me = principals_for_account(&dir, "a1");
/// assert_eq!(me.tags(), ["*", "g:g1", "lic", "p:10"]);
/// assert!(me.allows(&issue_acl(&IssueFacts { project_id: "10".into(), ..Default::default() })));
/// assert!(principals_for_account(&dir, "nobody").is_empty());
/// ```
pub fn principals_for_account(dir: &Directory, account_id: &str) -> PrincipalSet {
    principals_with(dir, None, account_id)
}

/// [`principals_for_account`], with an optional [`DirectoryIndex`] of `dir`.
pub(crate) fn principals_with(
    dir: &Directory,
    index: Option<&DirectoryIndex>,
    account_id: &str,
) -> PrincipalSet {
    let mut tags = Vec::new();
    if !account_id.is_empty() {
        expand(dir, index, Some(account_id), &mut tags);
    }
    PrincipalSet::from_unsorted(tags)
}

/// The principal set of someone Jira does not know: `*` plus what `anyone` grants
/// (in browse grants and security levels). Never product access, groups or roles.
pub fn anonymous_principals(dir: &Directory) -> PrincipalSet {
    let mut tags = Vec::new();
    expand(dir, None, None, &mut tags);
    PrincipalSet::from_unsorted(tags)
}

impl DirectoryIndex {
    /// [`principals_for_account`] through the index; when the index is not current
    /// for `dir`, the plain scan (same result, slower).
    pub fn principals_for_account(&self, dir: &Directory, account_id: &str) -> PrincipalSet {
        principals_with(dir, Some(self), account_id)
    }
}

#[cfg(test)]
mod index_tests;
#[cfg(test)]
mod tests;

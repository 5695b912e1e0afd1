//! User side: expands an account (or anonymous) into its principal set, the tags it
//! holds, from the directory: group memberships, product access, project roles,
//! BROWSE_PROJECTS grants and security-level members.
//!
//! One expansion routine serves both [`principals_for_account`] and
//! [`crate::explain`]: it reports each tag with the grant that gave it, and the caller
//! either keeps the tag only or the reason too.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use crate::acl::{ANY_TAG, ChunkAcl, LICENSED_TAG, tag};
use crate::directory::{DirProject, Directory, Holder};
use crate::index::DirectoryIndex;

/// The tags a person holds. A chunk is visible when every one of its three ACL gates
/// shares a tag with this set ([`PrincipalSet::allows`]).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct PrincipalSet(pub BTreeSet<String>);

impl PrincipalSet {
    /// Builds the set from tags in any order, with duplicates (sorting first lets the
    /// B-tree be built in bulk).
    fn from_unsorted(mut tags: Vec<String>) -> Self {
        // Expansion emits long sorted runs (groups, projects in directory order), which
        // the stable sort detects: much cheaper than an unstable sort here.
        tags.sort();
        tags.dedup();
        PrincipalSet(tags.into_iter().collect())
    }

    /// The tags, sorted: the values of the search filter's three "match any" clauses.
    pub fn tags(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }

    /// True for inactive and unknown accounts: they see nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of tags.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set holds this tag.
    pub fn contains(&self, tag: &str) -> bool {
        self.0.contains(tag)
    }

    /// Whether each of the chunk's three gates shares at least one tag with the set
    /// (the same test the index filter runs). An empty gate list denies.
    pub fn allows(&self, acl: &ChunkAcl) -> bool {
        [&acl.project, &acl.issue, &acl.comment]
            .iter()
            .all(|gate| gate.iter().any(|t| self.0.contains(t.as_str())))
    }
}

/// Why a principal holds a tag: the grant that gave it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Grant {
    /// `*`: every active account and anonymous hold it.
    Everyone,
    /// `lic`: the account holds Jira product access (an application role), which
    /// every other grant needs; it also opens internal (`jsdPublic: false`) comments.
    ProductAccess,
    /// A BROWSE_PROJECTS holder of the project's permission scheme.
    Browse { project_id: String, holder: Holder },
    /// A member holder of an issue-security level.
    SecurityLevel {
        project_id: String,
        level_id: String,
        holder: Holder,
    },
    /// The account holds this project role (directly or through a group).
    ProjectRole { project_id: String, role_id: String },
    /// The account is a member of this group.
    GroupMember { group_id: String },
}

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

/// Who is being expanded, with what the directory says about them.
pub(crate) struct Subject<'a> {
    /// `None` = anonymous.
    pub(crate) account_id: Option<&'a str>,
    pub(crate) groups: HashSet<&'a str>,
    /// The same groups, sorted (tags are emitted in a stable order).
    pub(crate) sorted_groups: Vec<&'a str>,
    /// Keys of the application roles (products) the account holds.
    pub(crate) app_keys: HashSet<&'a str>,
    /// (project id, role id) pairs the account holds.
    pub(crate) roles: HashSet<(&'a str, &'a str)>,
}

impl Subject<'_> {
    fn anonymous() -> Self {
        Subject {
            account_id: None,
            groups: HashSet::default(),
            sorted_groups: Vec::new(),
            app_keys: HashSet::default(),
            roles: HashSet::default(),
        }
    }

    /// Whether a static holder covers the subject in `project`. Dynamic holders and
    /// `Unknown` never do.
    fn covered_by(&self, holder: &Holder, project: &DirProject) -> bool {
        match holder {
            Holder::Anyone => true,
            Holder::ApplicationRole { key: Some(k) } => self.app_keys.contains(k.as_str()),
            Holder::ApplicationRole { key: None } => !self.app_keys.is_empty(),
            Holder::Group { group_id } => self.groups.contains(group_id.as_str()),
            Holder::User { account_id } => self.account_id == Some(account_id.as_str()),
            Holder::ProjectRole { role_id } => self
                .roles
                .contains(&(project.id.as_str(), role_id.as_str())),
            Holder::ProjectLead => {
                self.account_id.is_some() && project.lead.as_deref() == self.account_id
            }
            Holder::Reporter
            | Holder::Assignee
            | Holder::UserCustomField { .. }
            | Holder::GroupCustomField { .. }
            | Holder::Unknown { .. } => false,
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
            (subject(dir, acc), Some(user.account_type.as_str()))
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

/// Whether an active account of this type, with these groups, holds Jira product
/// access (see [`Directory::has_product_access`]; the same rule, on the expansion's
/// subject).
fn is_licensed(subject: &Subject<'_>, account_type: &str) -> bool {
    match account_type {
        "customer" => false,
        _ => !subject.app_keys.is_empty(),
    }
}

/// Whether a project can be browsed at all: archived projects grant nothing.
pub(crate) fn is_live(project: &DirProject) -> bool {
    !project.archived && !project.id.is_empty()
}

pub(crate) fn sorted<'a>(set: &HashSet<&'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = set.iter().copied().collect();
    v.sort_unstable();
    v
}

/// With the application roles unreadable: Jira's own answer for the account (`GET
/// /user?expand=applicationRoles`); an account not read holds nothing (fail closed).
pub(crate) fn own_product_keys<'a, S: std::iter::FromIterator<&'a str>>(
    dir: &'a Directory,
    acc: &str,
) -> S {
    dir.users
        .iter()
        .find(|u| u.account_id == acc)
        .and_then(|u| u.product_keys.as_ref())
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
}

/// What the directory says about the subject: groups, products, roles.
fn subject<'a>(dir: &'a Directory, acc: &'a str) -> Subject<'a> {
    let groups: HashSet<&str> = dir
        .groups
        .iter()
        .filter(|g| !g.group_id.is_empty() && g.members.iter().any(|m| m == acc))
        .map(|g| g.group_id.as_str())
        .collect();
    let app_keys: HashSet<&str> = if dir.application_roles_unreadable {
        own_product_keys(dir, acc)
    } else {
        dir.application_roles
            .iter()
            .filter(|r| r.group_ids.iter().any(|g| groups.contains(g.as_str())))
            .map(|r| r.key.as_str())
            .collect()
    };
    let roles: HashSet<(&str, &str)> = dir
        .role_actors
        .iter()
        .filter(|r| !r.project_id.is_empty() && !r.role_id.is_empty())
        .filter(|r| {
            r.users.iter().any(|u| u == acc) || r.groups.iter().any(|g| groups.contains(g.as_str()))
        })
        .map(|r| (r.project_id.as_str(), r.role_id.as_str()))
        .collect();
    Subject {
        account_id: Some(acc),
        sorted_groups: sorted(&groups),
        groups,
        app_keys,
        roles,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::{
        CommentVisibility, DENY_TAG, IssueFacts, LICENSED_TAG, comment_acl, issue_acl,
    };
    use crate::directory::{AppRole, DirGroup, DirUser, ProjectGrants, RoleActors, SecurityLevel};

    const PID: &str = "10";

    fn user(acc: &str) -> DirUser {
        DirUser {
            account_id: acc.into(),
            email: Some(format!("{acc}@example.com")),
            display_name: acc.to_uppercase(),
            active: true,
            account_type: "atlassian".into(),
            product_keys: None,
        }
    }

    /// ann: in `devs` (licensed for jira-software); bob: in `ops` (licensed for
    /// jira-servicedesk); cat: in `core` (licensed for jira-core), project lead; dan:
    /// in `core`, user actor of role 100; eve: inactive member of `devs`; fay: in
    /// `contractors` (no product access), user actor of role 100; cus: a customer in
    /// `contractors`.
    fn dir_with(browse: Vec<Holder>, level: Vec<Holder>) -> Directory {
        let mut eve = user("eve");
        eve.active = false;
        let mut cus = user("cus");
        cus.account_type = "customer".into();
        Directory {
            users: vec![
                user("ann"),
                user("bob"),
                user("cat"),
                user("dan"),
                eve,
                user("fay"),
                cus,
            ],
            groups: vec![
                DirGroup {
                    group_id: "g-core".into(),
                    name: "core".into(),
                    members: vec!["cat".into(), "dan".into()],
                },
                DirGroup {
                    group_id: "g-contractors".into(),
                    name: "contractors".into(),
                    members: vec!["fay".into(), "cus".into()],
                },
                DirGroup {
                    group_id: "g-devs".into(),
                    name: "devs".into(),
                    members: vec!["ann".into(), "eve".into()],
                },
                DirGroup {
                    group_id: "g-ops".into(),
                    name: "ops".into(),
                    members: vec!["bob".into()],
                },
            ],
            application_roles: vec![
                AppRole {
                    key: "jira-software".into(),
                    group_ids: vec!["g-devs".into()],
                },
                AppRole {
                    key: "jira-servicedesk".into(),
                    group_ids: vec!["g-ops".into()],
                },
                AppRole {
                    key: "jira-core".into(),
                    group_ids: vec!["g-core".into()],
                },
            ],
            projects: vec![DirProject {
                id: PID.into(),
                key: "DEV".into(),
                name: "Development".into(),
                lead: Some("cat".into()),
                ..Default::default()
            }],
            role_actors: vec![
                RoleActors {
                    project_id: PID.into(),
                    role_id: "100".into(),
                    role_name: "Developers".into(),
                    users: vec!["dan".into(), "fay".into()],
                    groups: vec![],
                },
                RoleActors {
                    project_id: PID.into(),
                    role_id: "101".into(),
                    role_name: "Operators".into(),
                    users: vec![],
                    groups: vec!["g-ops".into()],
                },
            ],
            browse_grants: vec![ProjectGrants {
                project_id: PID.into(),
                holders: browse,
            }],
            security_levels: vec![SecurityLevel {
                project_id: PID.into(),
                level_id: "7".into(),
                name: "Staff".into(),
                members: level,
            }],
            ..Default::default()
        }
    }

    fn plain_issue() -> IssueFacts {
        IssueFacts {
            project_id: PID.into(),
            ..Default::default()
        }
    }

    fn sees(dir: &Directory, acc: &str, facts: &IssueFacts) -> bool {
        principals_for_account(dir, acc).allows(&issue_acl(facts))
    }

    fn who_sees(dir: &Directory, facts: &IssueFacts) -> Vec<&'static str> {
        ["ann", "bob", "cat", "dan", "eve"]
            .into_iter()
            .filter(|a| sees(dir, a, facts))
            .collect()
    }

    /// Each static holder in BROWSE_PROJECTS and in a security level (with a browse
    /// grant to `anyone`), and who it lets in.
    #[test]
    fn static_holders_in_browse_and_security_levels() {
        let cases: Vec<(Holder, Vec<&str>)> = vec![
            (Holder::Anyone, vec!["ann", "bob", "cat", "dan"]),
            (
                Holder::ApplicationRole {
                    key: Some("jira-software".into()),
                },
                vec!["ann"],
            ),
            (
                Holder::ApplicationRole { key: None },
                vec!["ann", "bob", "cat", "dan"],
            ),
            (
                Holder::ApplicationRole {
                    key: Some("confluence".into()),
                },
                vec![],
            ),
            (
                Holder::Group {
                    group_id: "g-ops".into(),
                },
                vec!["bob"],
            ),
            (
                Holder::User {
                    account_id: "dan".into(),
                },
                vec!["dan"],
            ),
            (
                Holder::ProjectRole {
                    role_id: "100".into(),
                },
                vec!["dan"],
            ),
            (
                Holder::ProjectRole {
                    role_id: "101".into(),
                },
                vec!["bob"],
            ),
            (Holder::ProjectLead, vec!["cat"]),
            (
                Holder::Unknown {
                    type_name: "mystery".into(),
                },
                vec![],
            ),
        ];
        for (holder, want) in cases {
            let browse = dir_with(vec![holder.clone()], vec![]);
            assert_eq!(who_sees(&browse, &plain_issue()), want, "browse {holder:?}");

            let level = dir_with(vec![Holder::Anyone], vec![holder.clone()]);
            let secured = IssueFacts {
                security_level_id: Some("7".into()),
                ..plain_issue()
            };
            assert_eq!(who_sees(&level, &secured), want, "level {holder:?}");
        }
    }

    #[test]
    fn dynamic_holders_in_browse() {
        let facts = IssueFacts {
            reporter: Some("ann".into()),
            assignee: Some("bob".into()),
            user_fields: vec![("cf_u".into(), "cat".into())],
            group_fields: vec![("cf_g".into(), "g-ops".into())],
            ..plain_issue()
        };
        let cases: Vec<(Holder, Vec<&str>)> = vec![
            (Holder::Reporter, vec!["ann"]),
            (Holder::Assignee, vec!["bob"]),
            (
                Holder::UserCustomField {
                    field_id: "cf_u".into(),
                },
                vec!["cat"],
            ),
            (
                Holder::UserCustomField {
                    field_id: "cf_other".into(),
                },
                vec![],
            ),
            (
                Holder::GroupCustomField {
                    field_id: "cf_g".into(),
                },
                vec!["bob"],
            ),
        ];
        for (holder, want) in cases {
            let dir = dir_with(vec![holder.clone()], vec![]);
            assert_eq!(who_sees(&dir, &facts), want, "browse {holder:?}");
            // Without the dynamic holder in the scheme, the same issue is closed.
            let closed = dir_with(vec![], vec![]);
            assert!(who_sees(&closed, &facts).is_empty());
        }
        let dir = dir_with(vec![Holder::Reporter], vec![]);
        assert_eq!(
            principals_for_account(&dir, "ann").tags(),
            ["*", "g:g-devs", "lic", "p:10:reporter:ann"]
        );
    }

    #[test]
    fn dynamic_holders_in_security_levels() {
        let facts = IssueFacts {
            reporter: Some("ann".into()),
            assignee: Some("bob".into()),
            user_fields: vec![("cf_u".into(), "cat".into())],
            group_fields: vec![("cf_g".into(), "g-devs".into())],
            security_level_id: Some("7".into()),
            ..plain_issue()
        };
        let cases: Vec<(Holder, Vec<&str>)> = vec![
            (Holder::Reporter, vec!["ann"]),
            (Holder::Assignee, vec!["bob"]),
            (
                Holder::UserCustomField {
                    field_id: "cf_u".into(),
                },
                vec!["cat"],
            ),
            (
                Holder::GroupCustomField {
                    field_id: "cf_g".into(),
                },
                vec!["ann"],
            ),
        ];
        for (holder, want) in cases {
            let dir = dir_with(vec![Holder::Anyone], vec![holder.clone()]);
            assert_eq!(who_sees(&dir, &facts), want, "level {holder:?}");
        }
        // A level id the project does not have: nobody.
        let dir = dir_with(vec![Holder::Anyone], vec![Holder::Anyone]);
        let other_level = IssueFacts {
            security_level_id: Some("8".into()),
            ..plain_issue()
        };
        assert!(who_sees(&dir, &other_level).is_empty());
    }

    #[test]
    fn restricted_comments_by_group_and_role() {
        let dir = dir_with(vec![Holder::Anyone], vec![]);
        let facts = plain_issue();
        let sees_comment = |acc: &str, vis: &CommentVisibility| {
            principals_for_account(&dir, acc).allows(&comment_acl(&facts, Some(vis), false))
        };
        let by_group = CommentVisibility::Group {
            group_id: "g-devs".into(),
        };
        let by_role = CommentVisibility::Role {
            role_id: "101".into(),
        };
        assert!(sees_comment("ann", &by_group));
        assert!(!sees_comment("bob", &by_group));
        assert!(sees_comment("bob", &by_role));
        assert!(!sees_comment("ann", &by_role));
        for acc in ["ann", "bob", "cat", "dan"] {
            assert!(!sees_comment(acc, &CommentVisibility::Unknown), "{acc}");
            assert!(principals_for_account(&dir, acc).allows(&comment_acl(&facts, None, false)));
        }
        // A role restriction is evaluated in the issue's project only.
        let elsewhere = IssueFacts {
            project_id: "99".into(),
            ..Default::default()
        };
        let acl = comment_acl(&elsewhere, Some(&by_role), false);
        assert_eq!(acl.comment, ["r:99:101"]);
        assert!(!principals_for_account(&dir, "bob").contains("r:99:101"));
    }

    #[test]
    fn team_managed_restriction_by_role() {
        let mut dir = dir_with(vec![Holder::Anyone], vec![]);
        let facts = IssueFacts {
            restricted_to_roles: Some(vec!["100".into()]),
            ..plain_issue()
        };
        // Classic projects have no issue restrictions: a restricted classic issue
        // (which Jira cannot produce) is denied to everyone.
        assert!(who_sees(&dir, &facts).is_empty());
        dir.projects[0].team_managed = true;
        let facts = IssueFacts {
            restricted_to_roles: Some(vec!["100".into()]),
            ..plain_issue()
        };
        assert_eq!(who_sees(&dir, &facts), ["dan"]);
        let unreadable = IssueFacts {
            restricted_to_roles: Some(vec![]),
            ..plain_issue()
        };
        assert!(who_sees(&dir, &unreadable).is_empty());
    }

    #[test]
    fn team_managed_projects_open_and_private() {
        use crate::directory::team_managed_grants;
        let mut dir = dir_with(vec![], vec![]);
        dir.projects[0].team_managed = true;
        // Open (or limited): any product user; never anonymous, never fay (a role
        // holder without product access).
        dir.browse_grants[0].holders = team_managed_grants(&dir.projects[0], &dir.role_actors, &[]);
        assert_eq!(who_sees(&dir, &plain_issue()), ["ann", "bob", "cat", "dan"]);
        assert!(!anonymous_principals(&dir).allows(&issue_acl(&plain_issue())));
        assert!(!sees(&dir, "fay", &plain_issue()));
        // Private: only people holding a role in the project, and Jira administrators.
        dir.projects[0].is_private = true;
        dir.browse_grants[0].holders = team_managed_grants(&dir.projects[0], &dir.role_actors, &[]);
        assert_eq!(who_sees(&dir, &plain_issue()), ["bob", "dan"]);
        dir.browse_grants[0].holders =
            team_managed_grants(&dir.projects[0], &dir.role_actors, &["cat".to_string()]);
        assert_eq!(who_sees(&dir, &plain_issue()), ["bob", "cat", "dan"]);
    }

    /// "Users without product access can't log in to Jira" (Atlassian, "Manage
    /// product access"): groups, roles and user grants count only for accounts that
    /// hold an application role; the others, customers included, see what an
    /// anonymous visitor sees.
    #[test]
    fn accounts_without_product_access_see_only_what_anyone_sees() {
        let by_group = dir_with(
            vec![Holder::Group {
                group_id: "g-contractors".into(),
            }],
            vec![],
        );
        for acc in ["fay", "cus"] {
            let set = principals_for_account(&by_group, acc);
            assert_eq!(set, anonymous_principals(&by_group), "{acc}");
            assert!(!set.allows(&issue_acl(&plain_issue())), "{acc}");
            assert!(!set.contains(LICENSED_TAG), "{acc}");
        }
        let by_user_and_role = dir_with(
            vec![
                Holder::User {
                    account_id: "fay".into(),
                },
                Holder::ProjectRole {
                    role_id: "100".into(),
                },
            ],
            vec![],
        );
        assert!(!sees(&by_user_and_role, "fay", &plain_issue()));
        assert!(sees(&by_user_and_role, "dan", &plain_issue()));
        // What anyone may see, they see too.
        let public = dir_with(vec![Holder::Anyone], vec![]);
        assert!(sees(&public, "fay", &plain_issue()));
        assert!(sees(&public, "cus", &plain_issue()));
        // Internal comments never, even on a public project.
        let internal = comment_acl(&plain_issue(), None, true);
        assert!(!principals_for_account(&public, "cus").allows(&internal));
        assert!(!anonymous_principals(&public).allows(&internal));
        assert!(principals_for_account(&public, "ann").allows(&internal));
        assert!(by_group.has_product_access("ann"));
        assert!(!by_group.has_product_access("fay"));
        assert!(!by_group.has_product_access("cus"));
        assert!(!by_group.has_product_access("eve"));
    }

    /// Without `GET /rest/api/3/applicationrole` (Administer Jira needed), product
    /// access comes from each account's own answer (`GET /rest/api/3/user?expand=
    /// applicationRoles`); an account whose answer was not read holds nothing, so
    /// every grant but `anyone` denies it (fail closed).
    #[test]
    fn unreadable_application_roles_use_each_accounts_own_products() {
        let mut dir = dir_with(
            vec![
                Holder::ApplicationRole { key: None },
                Holder::Group {
                    group_id: "g-contractors".into(),
                },
            ],
            vec![],
        );
        dir.application_roles.clear();
        dir.application_roles_unreadable = true;
        assert_eq!(who_sees(&dir, &plain_issue()), Vec::<&str>::new());
        assert!(!sees(&dir, "fay", &plain_issue()));
        assert!(!sees(&dir, "cat", &plain_issue()));
        assert!(!sees(&dir, "cus", &plain_issue()));
        for u in &mut dir.users {
            u.product_keys = match u.account_id.as_str() {
                "cat" => Some(vec!["jira-core".into()]),
                "fay" => Some(vec![]),
                "cus" => Some(vec!["jira-servicedesk".into()]),
                _ => None,
            };
        }
        // cat holds a product (the application-role grant); fay, in the granted
        // group, holds none; a customer never counts, whatever Jira lists.
        assert!(sees(&dir, "cat", &plain_issue()));
        assert!(!sees(&dir, "fay", &plain_issue()));
        assert!(!sees(&dir, "cus", &plain_issue()));
        assert!(
            !sees(&dir, "ann", &plain_issue()),
            "not read: no product access"
        );
        // The lookup index (large sites) expands the same way.
        let index = DirectoryIndex::new(&dir);
        for acc in ["cat", "fay", "cus", "ann"] {
            assert_eq!(
                index.principals_for_account(&dir, acc),
                principals_for_account(&dir, acc),
                "{acc}"
            );
        }
        assert!(dir.has_product_access("cat"));
        assert!(!dir.has_product_access("fay"));
        assert!(!dir.has_product_access("cus"));
    }

    #[test]
    fn archived_projects_grant_nothing() {
        let mut dir = dir_with(vec![Holder::Anyone, Holder::Reporter], vec![Holder::Anyone]);
        dir.projects[0].archived = true;
        let facts = IssueFacts {
            reporter: Some("ann".into()),
            ..plain_issue()
        };
        assert!(who_sees(&dir, &facts).is_empty());
        assert!(!anonymous_principals(&dir).allows(&issue_acl(&facts)));
        let dan = principals_for_account(&dir, "dan");
        assert!(dan.tags().iter().all(|t| !t.contains(":10")), "{dan:?}");
    }

    #[test]
    fn projects_missing_from_the_directory_grant_nothing() {
        let mut dir = dir_with(vec![Holder::Anyone], vec![]);
        dir.projects.clear();
        assert!(who_sees(&dir, &plain_issue()).is_empty());
    }

    #[test]
    fn inactive_and_unknown_accounts_hold_nothing() {
        let dir = dir_with(vec![Holder::Anyone], vec![]);
        assert!(principals_for_account(&dir, "eve").is_empty());
        assert!(principals_for_account(&dir, "zed").is_empty());
        assert!(principals_for_account(&dir, "").is_empty());
        // Inactive members do not lend their groups to anyone else either.
        assert!(!principals_for_account(&dir, "bob").contains("g:g-devs"));
    }

    #[test]
    fn anonymous_gets_only_what_anyone_grants() {
        let dir = dir_with(
            vec![
                Holder::Anyone,
                Holder::ApplicationRole { key: None },
                Holder::Reporter,
            ],
            vec![Holder::ApplicationRole { key: None }],
        );
        assert_eq!(anonymous_principals(&dir).tags(), ["*", "p:10"]);
        let licensed_only = dir_with(vec![Holder::ApplicationRole { key: None }], vec![]);
        assert_eq!(anonymous_principals(&licensed_only).tags(), ["*"]);
        let secured = IssueFacts {
            security_level_id: Some("7".into()),
            ..plain_issue()
        };
        assert!(!anonymous_principals(&dir).allows(&issue_acl(&secured)));
    }

    #[test]
    fn unknown_holder_denies_but_others_still_grant() {
        let dir = dir_with(
            vec![
                Holder::from_jira("sd.customer.portal.only", None, None),
                Holder::User {
                    account_id: "ann".into(),
                },
            ],
            vec![],
        );
        assert_eq!(who_sees(&dir, &plain_issue()), ["ann"]);
    }

    #[test]
    fn unknown_holders_are_reported_once_per_project_and_type() {
        assert!(report_unknown("test-proj-1", "madeUpHolder"));
        assert!(!report_unknown("test-proj-1", "madeUpHolder"));
        assert!(report_unknown("test-proj-2", "madeUpHolder"));
        assert!(report_unknown("test-proj-1", "otherHolder"));
        let dir = dir_with(vec![Holder::from_jira("thirdHolder", None, None)], vec![]);
        for _ in 0..3 {
            assert_eq!(
                principals_for_account(&dir, "ann").tags(),
                ["*", "g:g-devs", "lic"]
            );
        }
        assert!(
            !report_unknown(PID, "thirdHolder"),
            "expansion reported it already"
        );
    }

    #[test]
    fn every_role_held_gives_role_tags() {
        let mut dir = dir_with(vec![], vec![]);
        let bob = principals_for_account(&dir, "bob");
        assert!(bob.contains("r:10:101") && !bob.contains("tr:10:101"));
        assert!(!bob.contains("r:10:100"));
        // Issue restrictions (`tr:`) exist in team-managed projects only.
        dir.projects[0].team_managed = true;
        let bob = principals_for_account(&dir, "bob");
        assert!(bob.contains("r:10:101") && bob.contains("tr:10:101"));
    }

    #[test]
    fn a_gate_without_tags_denies() {
        let set = PrincipalSet(["*".to_string()].into_iter().collect());
        let acl = ChunkAcl {
            project: vec![],
            issue: vec!["*".into()],
            comment: vec!["*".into()],
        };
        assert!(!set.allows(&acl));
        assert!(!set.contains(DENY_TAG));
    }

    /// Group membership, role and scheme changes alter principal sets only: the
    /// chunk's tags are a function of the issue's facts.
    #[test]
    fn directory_changes_move_only_principal_sets() {
        let mut dir = dir_with(
            vec![Holder::Group {
                group_id: "g-devs".into(),
            }],
            vec![],
        );
        let facts = IssueFacts {
            reporter: Some("bob".into()),
            ..plain_issue()
        };
        let acl_before = issue_acl(&facts);
        let bob_before = principals_for_account(&dir, "bob");
        assert!(!bob_before.allows(&acl_before));

        dir.groups[0].members.push("bob".into());
        dir.browse_grants[0].holders.push(Holder::Reporter);
        dir.role_actors[0].users.push("bob".into());

        let acl_after = issue_acl(&facts);
        let bob_after = principals_for_account(&dir, "bob");
        assert_eq!(acl_before, acl_after);
        assert_ne!(bob_before, bob_after);
        assert!(bob_after.allows(&acl_after));
    }
}

//! Ground-truth visibility oracle, computed directly on the simulator's data model.
//!
//! Deliberately independent from the project's `access` crate: it evaluates Jira's
//! rules the straightforward way (per user, per issue) so it can check the tag-based
//! implementation. Rules:
//! - unknown or inactive accounts see nothing;
//! - product access gate: an account that holds no application role (in no group of
//!   any application role; customers never do) opens only what an anonymous visitor
//!   opens, whatever its groups and roles ("Users without product access can only see
//!   what anonymous users can see": Jira Cloud grants project permissions to licensed
//!   users, <https://support.atlassian.com/user-management/docs/what-is-product-access/>);
//! - issues of archived projects are not visible (they leave search results);
//! - classic projects: some BROWSE_PROJECTS grant of the project's permission scheme
//!   covers the user (holder evaluated against the project and the issue);
//! - team-managed projects: `open`/`limited` → any licensed user (member of a group of
//!   an application role); `private` → users holding any role in the project, and
//!   holders of *Administer Jira* ("Jira admins can browse private projects",
//!   <https://support.atlassian.com/jira-software-cloud/docs/manage-access-to-team-managed-projects/>);
//!   issue restrictions (`restricted_to_role_ids`) additionally require one of those
//!   roles, administrators included;
//! - an issue security level requires the user to match one of the level's members; a
//!   sub-task always has its parent's security level ("sub-tasks inherit the security
//!   level of their parent", <https://support.atlassian.com/jira-cloud-administration/docs/configure-issue-security-schemes/>),
//!   so the oracle reads the parent's;
//! - a restricted comment additionally requires the group membership / project role;
//!   an internal (JSM) comment additionally requires product access.

use crate::model::*;
use std::collections::BTreeSet;

/// The account id the oracle reads as an anonymous visitor: only `anyone` grants apply.
pub const ANONYMOUS: &str = "";

impl Workspace {
    fn active_user(&self, account_id: &str) -> Option<&User> {
        self.user(account_id).filter(|u| u.active)
    }

    fn in_group(&self, account_id: &str, group_id: &str) -> bool {
        self.group(group_id)
            .is_some_and(|g| g.members.iter().any(|m| m == account_id))
    }

    /// Whether the account holds the application role (`None` = any application role).
    pub fn has_application_role(&self, account_id: &str, key: Option<&str>) -> bool {
        self.application_roles
            .iter()
            .filter(|r| key.is_none_or(|k| r.key == k))
            .any(|r| r.group_ids.iter().any(|g| self.in_group(account_id, g)))
    }

    /// Whether the account has Jira product access: an active account, not a
    /// service-desk customer, in a group of some application role (OpenAPI
    /// `ApplicationRole.groups`: "the groups associated with the application role").
    pub fn has_product_access(&self, account_id: &str) -> bool {
        self.active_user(account_id)
            .is_some_and(|u| u.account_type != "customer")
            && self.has_application_role(account_id, None)
    }

    /// Whether the account holds the *Administer Jira* global permission: the connector
    /// when [`Workspace::connector_administers_jira`], anyone else through a group of
    /// [`Workspace::administer_jira_group_ids`]. Inactive accounts hold nothing.
    pub fn is_jira_admin(&self, account_id: &str) -> bool {
        if self.active_user(account_id).is_none() {
            return false;
        }
        if account_id == self.admin_account_id {
            return self.connector_administers_jira;
        }
        self.administer_jira_group_ids
            .iter()
            .any(|g| self.in_group(account_id, g))
    }

    /// Who Jira evaluates permissions for: the account itself when it has product
    /// access, otherwise an anonymous visitor (the product access gate).
    fn effective_account<'a>(&self, account_id: &'a str) -> &'a str {
        if self.has_product_access(account_id) {
            account_id
        } else {
            ANONYMOUS
        }
    }

    /// Whether the account holds the project role in the project (directly or via a group).
    pub fn has_project_role(&self, account_id: &str, project: &Project, role_id: &str) -> bool {
        project.role_actors.get(role_id).is_some_and(|actors| {
            actors.iter().any(|a| match a {
                RoleActor::User { account_id: a } => a == account_id,
                RoleActor::Group { group_id } => self.in_group(account_id, group_id),
            })
        })
    }

    pub(crate) fn has_any_project_role(&self, account_id: &str, project: &Project) -> bool {
        project
            .role_actors
            .keys()
            .any(|r| self.has_project_role(account_id, project, r))
    }

    /// Whether a grant/level holder covers the account for this issue of this project.
    pub fn holder_matches(
        &self,
        holder: &Holder,
        account_id: &str,
        project: &Project,
        issue: &Issue,
    ) -> bool {
        match holder {
            Holder::Anyone => true,
            Holder::ApplicationRole { key } => {
                self.has_application_role(account_id, key.as_deref())
            }
            Holder::Group { group_id } => self.in_group(account_id, group_id),
            Holder::User { account_id: a } => a == account_id,
            Holder::ProjectRole { role_id } => self.has_project_role(account_id, project, role_id),
            Holder::ProjectLead => project.lead_account_id == account_id,
            Holder::Reporter => issue.reporter_account_id.as_deref() == Some(account_id),
            Holder::Assignee => issue.assignee_account_id.as_deref() == Some(account_id),
            Holder::UserCustomField { field_id } => issue
                .user_custom_fields
                .get(field_id)
                .is_some_and(|v| v.iter().any(|a| a == account_id)),
            Holder::GroupCustomField { field_id } => issue
                .group_custom_fields
                .get(field_id)
                .is_some_and(|v| v.iter().any(|g| self.in_group(account_id, g))),
        }
    }

    /// Project-level BROWSE_PROJECTS for an already gated account (archived or not).
    /// Classic: a grant whose holder does not depend on the issue (anyone,
    /// applicationRole, group, user, projectRole, projectLead). Team-managed: open /
    /// limited → product users; private → role holders and Jira administrators.
    fn browses_project(&self, who: &str, project: &Project) -> bool {
        if project.is_team_managed() {
            return match project.access_level.as_deref() {
                Some("open") | Some("limited") => who != ANONYMOUS,
                Some("private") => {
                    who != ANONYMOUS
                        && (self.has_any_project_role(who, project) || self.is_jira_admin(who))
                }
                _ => false,
            };
        }
        project
            .permission_scheme_id
            .as_deref()
            .and_then(|s| self.permission_scheme(s))
            .is_some_and(|scheme| {
                scheme
                    .grants
                    .iter()
                    .filter(|g| g.permission == "BROWSE_PROJECTS")
                    .any(|g| match &g.holder {
                        Holder::Anyone => true,
                        Holder::ApplicationRole { key } => {
                            self.has_application_role(who, key.as_deref())
                        }
                        Holder::Group { group_id } => self.in_group(who, group_id),
                        Holder::User { account_id } => account_id == who,
                        Holder::ProjectRole { role_id } => {
                            self.has_project_role(who, project, role_id)
                        }
                        Holder::ProjectLead => project.lead_account_id == who,
                        _ => false,
                    })
            })
    }

    /// Whether the account holds BROWSE_PROJECTS on the project itself, as
    /// `POST /rest/api/3/permissions/check` answers for `projects`: classic projects by
    /// the scheme's issue-independent holders, team-managed ones by access level; the
    /// product access gate applies; archived projects grant nothing (their issues leave
    /// search). Unknown projects: false.
    pub fn can_browse_project(&self, account_id: &str, project_id: &str) -> bool {
        if account_id != ANONYMOUS && self.active_user(account_id).is_none() {
            return false;
        }
        self.project_by_id_or_key(project_id).is_some_and(|p| {
            !p.archived && self.browses_project(self.effective_account(account_id), p)
        })
    }

    /// What `Project.isPrivate` says to the account ("private from the user's
    /// perspective. This means the user can't see the project or any associated
    /// issues", OpenAPI `Project`): false for a Jira administrator (who sees every
    /// project) and for projects the account may browse.
    pub fn project_is_private_for(&self, account_id: &str, project: &Project) -> bool {
        if self.is_jira_admin(account_id) && self.has_product_access(account_id) {
            return false;
        }
        let active = account_id == ANONYMOUS || self.active_user(account_id).is_some();
        !(active && self.browses_project(self.effective_account(account_id), project))
    }

    /// The security level that governs the issue: a sub-task's parent's.
    fn governing_level<'w>(&'w self, issue: &'w Issue) -> Option<&'w str> {
        match issue.parent_id.as_deref().and_then(|p| self.issue(p)) {
            Some(parent) => parent.security_level_id.as_deref(),
            None => issue.security_level_id.as_deref(),
        }
    }

    fn can_see_issue_obj(&self, account_id: &str, issue: &Issue) -> bool {
        self.can_see_issue_at(account_id, issue, self.governing_level(issue))
    }

    fn can_see_issue_at(&self, account_id: &str, issue: &Issue, level: Option<&str>) -> bool {
        // `ANONYMOUS` ("") is a visitor Jira does not know: only `anyone` holders cover it.
        if account_id != ANONYMOUS && self.active_user(account_id).is_none() {
            return false;
        }
        let who = self.effective_account(account_id);
        let Some(project) = self.project(&issue.project_id) else {
            return false;
        };
        if project.archived {
            return false;
        }
        let browse = if project.is_team_managed() {
            self.browses_project(who, project)
        } else {
            match project
                .permission_scheme_id
                .as_deref()
                .and_then(|s| self.permission_scheme(s))
            {
                Some(scheme) => scheme
                    .grants
                    .iter()
                    .filter(|g| g.permission == "BROWSE_PROJECTS")
                    .any(|g| self.holder_matches(&g.holder, who, project, issue)),
                None => false,
            }
        };
        if !browse {
            return false;
        }
        if !issue.restricted_to_role_ids.is_empty()
            && !issue
                .restricted_to_role_ids
                .iter()
                .any(|r| self.has_project_role(who, project, r))
        {
            return false;
        }
        if let Some(level_id) = level {
            let Some((_, level)) = self.security_level(level_id) else {
                return false;
            };
            if !level
                .members
                .iter()
                .any(|m| self.holder_matches(&m.holder, who, project, issue))
            {
                return false;
            }
        }
        true
    }

    fn comment_readable(&self, account_id: &str, issue: &Issue, comment: &Comment) -> bool {
        let who = self.effective_account(account_id);
        if comment.internal && who == ANONYMOUS {
            return false;
        }
        match &comment.visibility {
            None => true,
            Some(CommentVisibility::Group { group_id, .. }) => self.in_group(who, group_id),
            Some(CommentVisibility::Role { role_id, .. }) => self
                .project(&issue.project_id)
                .is_some_and(|p| self.has_project_role(who, p, role_id)),
        }
    }

    fn can_see_comment_obj(&self, account_id: &str, issue: &Issue, comment: &Comment) -> bool {
        self.can_see_issue_obj(account_id, issue)
            && self.comment_readable(account_id, issue, comment)
    }

    /// Parent id → the parent's security level, for bulk questions.
    fn parent_levels(&self) -> rustc_hash::FxHashMap<&str, Option<&str>> {
        let wanted: rustc_hash::FxHashSet<&str> = self
            .issues
            .iter()
            .filter_map(|i| i.parent_id.as_deref())
            .collect();
        self.issues
            .iter()
            .filter(|i| wanted.contains(i.id.as_str()))
            .map(|i| (i.id.as_str(), i.security_level_id.as_deref()))
            .collect()
    }

    fn level_with<'w>(
        levels: &rustc_hash::FxHashMap<&'w str, Option<&'w str>>,
        issue: &'w Issue,
    ) -> Option<&'w str> {
        match issue.parent_id.as_deref().and_then(|p| levels.get(p)) {
            Some(l) => *l,
            None => issue.security_level_id.as_deref(),
        }
    }

    /// Whether the account may open the issue in Jira (and find it in search). Pass
    /// [`ANONYMOUS`] for a visitor Jira does not know (an unmatched or hidden email).
    pub fn can_see_issue(&self, account_id: &str, issue_id: &str) -> bool {
        self.issue(issue_id)
            .is_some_and(|i| self.can_see_issue_obj(account_id, i))
    }

    /// Whether the account may read the comment.
    pub fn can_see_comment(&self, account_id: &str, comment_id: &str) -> bool {
        self.comment(comment_id)
            .is_some_and(|(i, c)| self.can_see_comment_obj(account_id, i, c))
    }

    /// Keys of every issue the account may see.
    pub fn visible_issue_keys(&self, account_id: &str) -> BTreeSet<String> {
        let levels = self.parent_levels();
        self.issues
            .iter()
            .filter(|i| self.can_see_issue_at(account_id, i, Self::level_with(&levels, i)))
            .map(|i| i.key.clone())
            .collect()
    }

    /// Visible issues whose summary, description text, a comment visible to the
    /// account, or an attachment (its name, and the text of files a connector can
    /// extract under the default 50 MiB limit) contains `term` as a whole word (or word
    /// sequence), case-insensitive.
    pub fn issues_matching(&self, account_id: &str, term: &str) -> BTreeSet<String> {
        let needle = words(term);
        if needle.is_empty() {
            return BTreeSet::new();
        }
        let levels = self.parent_levels();
        self.issues
            .iter()
            .filter(|i| self.can_see_issue_at(account_id, i, Self::level_with(&levels, i)))
            .filter(|i| {
                contains_words(&i.summary, &needle)
                    || contains_words(&i.description_text, &needle)
                    || i.comments.iter().any(|c| {
                        contains_words(&c.body_text, &needle)
                            && self.comment_readable(account_id, i, c)
                    })
                    || i.attachments.iter().any(|a| {
                        contains_words(&a.filename, &needle)
                            || (a.kind.has_extractable_text() && contains_words(&a.text, &needle))
                    })
            })
            .map(|i| i.key.clone())
            .collect()
    }

    /// The account a visible email (trimmed, case-insensitive) names. Hidden emails
    /// never match. When several accounts show the same email (an app account may
    /// carry a person's address), the person wins: an active `atlassian` account,
    /// then an inactive one, then any other (app, customer) account.
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        let e = email.trim();
        if e.is_empty() {
            return None;
        }
        let rank = |u: &User| match (u.account_type.as_str(), u.active) {
            ("atlassian", true) => 0,
            ("atlassian", false) => 1,
            _ => 2,
        };
        self.users
            .iter()
            .filter(|u| u.email_visible && u.email.eq_ignore_ascii_case(e))
            .min_by_key(|u| rank(u))
    }
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

fn contains_words(haystack: &str, needle: &[String]) -> bool {
    let hay = words(haystack);
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::ANONYMOUS;
    use crate::generate::{GenConfig, generate};
    use crate::model::*;

    fn acc(ws: &Workspace, local: &str) -> String {
        ws.user_by_any_email(&format!("{local}@example.com"))
            .map(|u| u.account_id.clone())
            .unwrap_or_default()
    }

    fn project_keys_visible(ws: &Workspace, who: &str) -> std::collections::BTreeSet<String> {
        ws.visible_issue_keys(&acc(ws, who))
            .into_iter()
            .filter_map(|k| k.split('-').next().map(str::to_string))
            .collect()
    }

    fn set(v: &[&str]) -> std::collections::BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn grants_per_project() {
        let ws = generate(&GenConfig::skeleton(42));
        // group grant (ENG → engineering), anyone (PUB)
        assert_eq!(project_keys_visible(&ws, "alice"), set(&["ENG", "PUB"]));
        // role grant via user actor and via group actor
        assert_eq!(project_keys_visible(&ws, "frank"), set(&["OPS", "PUB"]));
        assert_eq!(project_keys_visible(&ws, "erin"), set(&["OPS", "PUB"]));
        // user grant
        assert_eq!(project_keys_visible(&ws, "grace"), set(&["HR", "PUB"]));
        // hidden-email user only sees anyone-projects
        assert_eq!(project_keys_visible(&ws, "heidi"), set(&["PUB"]));
        assert_eq!(project_keys_visible(&ws, "mallory"), set(&["PUB"]));
        // inactive user sees nothing although member of engineering
        assert!(ws.visible_issue_keys(&acc(&ws, "ivan")).is_empty());
        assert!(ws.visible_issue_keys("no-such-account").is_empty());
    }

    #[test]
    fn security_level_via_group_and_reporter() {
        let ws = generate(&GenConfig::skeleton(42));
        let (alice, bob, carol, dave) = (
            acc(&ws, "alice"),
            acc(&ws, "bob"),
            acc(&ws, "carol"),
            acc(&ws, "dave"),
        );
        let secured: Vec<&Issue> = ws
            .issues
            .iter()
            .filter(|i| i.security_level_id.is_some())
            .collect();
        assert!(!secured.is_empty());
        let mut saw_bob_reporter = false;
        let mut saw_other_reporter = false;
        for i in &secured {
            // carol: engineering + security-team → sees all secured
            assert!(ws.can_see_issue(&carol, &i.id));
            // dave: security-team but no browse on ENG → sees none
            assert!(!ws.can_see_issue(&dave, &i.id));
            let bob_reported = i.reporter_account_id.as_deref() == Some(bob.as_str());
            assert_eq!(ws.can_see_issue(&bob, &i.id), bob_reported, "{}", i.key);
            let alice_reported = i.reporter_account_id.as_deref() == Some(alice.as_str());
            assert_eq!(ws.can_see_issue(&alice, &i.id), alice_reported, "{}", i.key);
            saw_bob_reporter |= bob_reported;
            saw_other_reporter |= !bob_reported;
        }
        assert!(saw_bob_reporter && saw_other_reporter);
    }

    #[test]
    fn restricted_comments() {
        let ws = generate(&GenConfig::skeleton(42));
        let (alice, bob, carol, erin, frank, judy) = (
            acc(&ws, "alice"),
            acc(&ws, "bob"),
            acc(&ws, "carol"),
            acc(&ws, "erin"),
            acc(&ws, "frank"),
            acc(&ws, "judy"),
        );
        let sec = ws
            .group_by_name("security-team")
            .map(|g| g.group_id.clone())
            .unwrap_or_default();
        let eng = ws
            .group_by_name("engineering")
            .map(|g| g.group_id.clone())
            .unwrap_or_default();
        let mut checked = [0usize; 4];
        for i in &ws.issues {
            let pkey = i.key.split('-').next().unwrap_or_default();
            for c in &i.comments {
                match (&c.visibility, pkey) {
                    (Some(CommentVisibility::Group { group_id, .. }), "ENG")
                        if *group_id == sec && i.security_level_id.is_none() =>
                    {
                        assert!(ws.can_see_comment(&carol, &c.id));
                        assert!(!ws.can_see_comment(&alice, &c.id));
                        assert!(ws.can_see_issue(&alice, &i.id));
                        checked[0] += 1;
                    }
                    (Some(CommentVisibility::Role { role_id, .. }), "ENG")
                        if role_id == "10001" && i.security_level_id.is_none() =>
                    {
                        assert!(ws.can_see_comment(&bob, &c.id));
                        assert!(!ws.can_see_comment(&alice, &c.id));
                        checked[1] += 1;
                    }
                    (Some(CommentVisibility::Role { role_id, .. }), "OPS")
                        if role_id == "10002" =>
                    {
                        assert!(ws.can_see_comment(&erin, &c.id));
                        assert!(!ws.can_see_comment(&frank, &c.id));
                        checked[2] += 1;
                    }
                    (Some(CommentVisibility::Group { group_id, .. }), "PUB")
                        if *group_id == eng =>
                    {
                        assert!(ws.can_see_comment(&alice, &c.id));
                        assert!(!ws.can_see_comment(&judy, &c.id));
                        assert!(ws.can_see_issue(&judy, &i.id));
                        checked[3] += 1;
                    }
                    (None, _) => {
                        assert_eq!(
                            ws.can_see_comment(&judy, &c.id),
                            ws.can_see_issue(&judy, &i.id)
                        );
                    }
                    _ => {}
                }
            }
        }
        assert!(checked.iter().all(|n| *n > 0), "{checked:?}");
    }

    #[test]
    fn marker_search_and_email_lookup() {
        let ws = generate(&GenConfig::skeleton(42));
        let carol = acc(&ws, "carol");
        let hits = ws.issues_matching(&carol, MARKER_IN_DESCRIPTION);
        assert!(!hits.is_empty());
        // Carol is in ENG, reads the public PUB project and administers LAB.
        assert!(
            hits.iter()
                .all(|k| k.starts_with("ENG-") || k.starts_with("PUB-") || k.starts_with("LAB-"))
        );
        assert_eq!(ws.issues_matching(&carol, "ZEPHYRINE"), hits);
        // whole word only
        assert!(ws.issues_matching(&carol, "zephyr").is_empty());
        let judy = acc(&ws, "judy");
        let q = ws.issues_matching(&judy, MARKER_IN_COMMENT);
        for k in &q {
            let i = ws.issue_by_key(k).expect("issue");
            assert!(i.comments.iter().any(
                |c| c.body_text.contains(MARKER_IN_COMMENT) && ws.can_see_comment(&judy, &c.id)
            ));
        }
        assert!(ws.user_by_email("  ALICE@example.com ").is_some());
        assert!(ws.user_by_email("heidi@example.com").is_none());
        assert!(ws.user_by_any_email("heidi@example.com").is_some());
    }

    #[test]
    fn every_holder_type_in_small() {
        let ws = generate(&GenConfig::small(5));
        // For each extra project, the oracle agrees with a direct reading of the rule.
        for p in ws.projects.iter().filter(|p| p.archived) {
            assert!(ws.issues.iter().filter(|i| i.project_id == p.id).all(|i| {
                ws.users
                    .iter()
                    .all(|u| !ws.can_see_issue(&u.account_id, &i.id))
            }));
        }
        let reporter_project = ws
            .projects
            .iter()
            .find(|p| {
                p.permission_scheme_id
                    .as_deref()
                    .and_then(|s| ws.permission_scheme(s))
                    .is_some_and(|s| {
                        s.grants.iter().any(|g| {
                            g.permission == "BROWSE_PROJECTS" && g.holder == Holder::Reporter
                        })
                    })
            })
            .expect("reporter project");
        for i in ws
            .issues
            .iter()
            .filter(|i| i.project_id == reporter_project.id && i.security_level_id.is_none())
        {
            for u in ws.users.iter().filter(|u| u.active) {
                assert_eq!(
                    ws.can_see_issue(&u.account_id, &i.id),
                    i.reporter_account_id.as_deref() == Some(u.account_id.as_str())
                );
            }
        }
        let private = ws
            .projects
            .iter()
            .find(|p| p.is_private)
            .expect("private project");
        let judy = acc(&ws, "judy");
        if !ws.has_any_project_role(&judy, private) {
            assert!(
                ws.issues
                    .iter()
                    .filter(|i| i.project_id == private.id)
                    .all(|i| !ws.can_see_issue(&judy, &i.id))
            );
        }
    }

    /// The generated sites of the property tests (same ranges as the end-to-end
    /// visibility property test) and the small presets.
    fn sites() -> Vec<Workspace> {
        use rand::{Rng, SeedableRng};
        let mut out = vec![
            generate(&GenConfig::skeleton(42)),
            generate(&GenConfig::small(5)),
        ];
        for seed in 1_000..1_004u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            out.push(generate(&GenConfig {
                seed,
                projects: rng.gen_range(6..=18),
                users: rng.gen_range(14..=40),
                groups: rng.gen_range(6..=12),
                issues: rng.gen_range(150..=260),
                comments_per_issue: 2,
                long_comment_threads: rng.gen_range(0..=2),
            }));
        }
        out
    }

    /// Jira Cloud: an account without product access (in no group of an application
    /// role) opens only what anonymous access allows, whatever its groups and roles
    /// (<https://support.atlassian.com/user-management/docs/what-is-product-access/>).
    #[test]
    fn product_access_gate_unlicensed_people_see_what_anonymous_sees() {
        for ws in sites() {
            let anon_issues = ws.visible_issue_keys(ANONYMOUS);
            assert!(!anon_issues.is_empty(), "PUB is open to anyone");
            let unlicensed: Vec<&User> = ws
                .users
                .iter()
                .filter(|u| u.active && !ws.has_product_access(&u.account_id))
                .collect();
            assert!(unlicensed.iter().any(|u| u.account_type == "atlassian"));
            for u in &unlicensed {
                assert_eq!(
                    ws.visible_issue_keys(&u.account_id),
                    anon_issues,
                    "{}",
                    u.display_name
                );
                for i in &ws.issues {
                    for c in &i.comments {
                        assert_eq!(
                            ws.can_see_comment(&u.account_id, &c.id),
                            ws.can_see_comment(ANONYMOUS, &c.id)
                        );
                    }
                }
            }
            // Trent is in engineering, which ENG grants BROWSE to: the gate matters.
            let trent = crate::generate::ACCOUNT_TRENT;
            assert!(ws.groups_of(trent).iter().any(|g| g.name == "engineering"));
            assert!(!ws.has_product_access(trent));
            let eng_issue = ws
                .issues
                .iter()
                .find(|i| i.key.starts_with("ENG-") && i.security_level_id.is_none())
                .expect("ENG issue");
            assert!(ws.can_see_issue(&acc(&ws, "alice"), &eng_issue.id));
            assert!(!ws.can_see_issue(trent, &eng_issue.id));
            // Peggy is an OPS Developers user actor, OPS grants BROWSE to Developers.
            let peggy = crate::generate::ACCOUNT_PEGGY;
            let ops = ws.project_by_id_or_key("OPS").expect("OPS");
            assert!(ws.has_project_role(peggy, ops, crate::generate::ROLE_DEVELOPERS));
            assert!(!ws.can_browse_project(peggy, &ops.id));
            assert!(ws.can_browse_project(&acc(&ws, "frank"), &ops.id));
        }
    }

    /// Customers (`accountType: "customer"`) use the service portal and hold no Jira
    /// product access; a customer's email still names the customer.
    #[test]
    fn customers_hold_no_product_access() {
        for ws in sites() {
            let customers: Vec<&User> = ws
                .users
                .iter()
                .filter(|u| u.account_type == "customer")
                .collect();
            assert!(customers.len() >= 3);
            assert!(customers.iter().any(|u| u.email_visible));
            assert!(customers.iter().any(|u| !u.email_visible));
            for c in customers {
                assert!(!ws.has_product_access(&c.account_id));
                assert_eq!(
                    ws.visible_issue_keys(&c.account_id),
                    ws.visible_issue_keys(ANONYMOUS)
                );
                if c.email_visible {
                    assert_eq!(
                        ws.user_by_email(&c.email).map(|u| u.account_id.as_str()),
                        Some(c.account_id.as_str())
                    );
                }
            }
        }
    }

    /// Jira Service Management internal comments (`jsdPublic: false`, OpenAPI
    /// `Comment.jsdPublic`) are shared with the team only: accounts with product access
    /// who see the issue read them; customers and anonymous visitors never do.
    #[test]
    fn internal_comments_are_for_product_users_only() {
        for ws in sites() {
            let judy = acc(&ws, "judy");
            let customer = ws
                .users
                .iter()
                .find(|u| u.account_type == "customer")
                .expect("customer")
                .account_id
                .clone();
            let mut internal = 0;
            for i in &ws.issues {
                let service = ws
                    .project(&i.project_id)
                    .is_some_and(|p| p.project_type_key == "service_desk");
                for c in i.comments.iter().filter(|c| c.internal) {
                    assert!(service, "internal comments only in service projects");
                    internal += 1;
                    assert!(!ws.can_see_comment(ANONYMOUS, &c.id));
                    assert!(!ws.can_see_comment(&customer, &c.id));
                    assert!(!ws.can_see_comment(crate::generate::ACCOUNT_TRENT, &c.id));
                    if i.key.starts_with("PUB-") && c.visibility.is_none() {
                        assert!(ws.can_see_issue(ANONYMOUS, &i.id));
                        assert!(ws.can_see_comment(&judy, &c.id));
                    }
                }
            }
            assert!(internal > 0);
            // An internal comment carries the comment marker: anonymous search misses it.
            assert!(
                ws.issues
                    .iter()
                    .flat_map(|i| &i.comments)
                    .any(|c| c.internal && c.body_text.contains(MARKER_IN_COMMENT))
            );
        }
    }

    /// *Administer Jira* lets an administrator browse private team-managed projects
    /// ("Jira admins can always see and administer team-managed projects",
    /// <https://support.atlassian.com/jira-software-cloud/docs/manage-access-to-team-managed-projects/>);
    /// issue restrictions still apply to them.
    #[test]
    fn jira_admins_browse_private_team_managed_projects() {
        for mut ws in sites() {
            let victor = crate::generate::ACCOUNT_VICTOR;
            assert!(ws.is_jira_admin(victor) && ws.has_product_access(victor));
            assert!(ws.is_jira_admin(&ws.admin_account_id.clone()));
            assert!(!ws.is_jira_admin(&acc(&ws, "alice")));
            let lab = ws
                .project_by_id_or_key(crate::generate::LAB_KEY)
                .expect("LAB")
                .clone();
            assert_eq!(lab.access_level.as_deref(), Some("private"));
            assert!(!ws.has_any_project_role(victor, &lab));
            let lab_issues: Vec<Issue> = ws
                .issues
                .iter()
                .filter(|i| i.project_id == lab.id)
                .cloned()
                .collect();
            assert!(
                lab_issues
                    .iter()
                    .any(|i| i.restricted_to_role_ids.is_empty())
            );
            assert!(
                lab_issues
                    .iter()
                    .any(|i| !i.restricted_to_role_ids.is_empty())
            );
            let carol = acc(&ws, "carol");
            for i in &lab_issues {
                let open = i.restricted_to_role_ids.is_empty();
                assert_eq!(ws.can_see_issue(victor, &i.id), open, "{}", i.key);
                assert!(ws.can_see_issue(&carol, &i.id));
                assert!(!ws.can_see_issue(&acc(&ws, "alice"), &i.id));
                // Trent is a LAB developer without product access.
                assert!(!ws.can_see_issue(crate::generate::ACCOUNT_TRENT, &i.id));
            }
            assert!(ws.can_browse_project(victor, &lab.id));
            assert!(!ws.can_browse_project(&acc(&ws, "alice"), &lab.id));
            // The connector loses the private project with the permission.
            let admin = ws.admin_account_id.clone();
            assert!(ws.can_browse_project(&admin, &lab.id));
            assert!(!ws.project_is_private_for(&admin, &lab));
            ws.connector_administers_jira = false;
            assert!(!ws.is_jira_admin(&admin));
            assert!(!ws.can_browse_project(&admin, &lab.id));
            assert!(ws.project_is_private_for(&admin, &lab));
        }
    }

    /// A sub-task always has its parent's issue security level (Jira: "sub-tasks
    /// inherit the security level of their parent issue",
    /// <https://support.atlassian.com/jira-cloud-administration/docs/configure-issue-security-schemes/>):
    /// the oracle reads the parent's, whatever the sub-task's own copy says.
    #[test]
    fn subtasks_have_their_parents_security_level() {
        for ws in sites() {
            let subtasks: Vec<&Issue> = ws.issues.iter().filter(|i| i.is_subtask()).collect();
            assert!(subtasks.len() >= 4);
            let secured: Vec<&Issue> = subtasks
                .iter()
                .copied()
                .filter(|s| {
                    ws.issue(s.parent_id.as_deref().unwrap_or_default())
                        .is_some_and(|p| p.security_level_id.is_some())
                })
                .collect();
            assert!(!secured.is_empty(), "a sub-task under a secured parent");
            let mut blind = ws.clone();
            for s in blind.issues.iter_mut().filter(|i| i.is_subtask()) {
                s.security_level_id = None;
            }
            // The same site with the secured parents' levels lifted.
            let mut open = ws.clone();
            for p in open.issues.iter_mut().filter(|i| !i.is_subtask()) {
                p.security_level_id = None;
            }
            let mut denied = 0;
            for s in &secured {
                let parent = ws
                    .issue(s.parent_id.as_deref().unwrap_or_default())
                    .expect("parent");
                assert_eq!(s.project_id, parent.project_id);
                assert_eq!(s.issue_type, SUBTASK_TYPE);
                for u in ws
                    .users
                    .iter()
                    .map(|u| u.account_id.as_str())
                    .chain([ANONYMOUS])
                {
                    let sees = ws.can_see_issue(u, &s.id);
                    assert_eq!(
                        sees,
                        blind.can_see_issue(u, &s.id),
                        "the sub-task's own level does not matter"
                    );
                    // Someone the parent's level keeps out who browses the project.
                    if !sees && open.can_see_issue(u, &s.id) {
                        denied += 1;
                    }
                }
            }
            assert!(denied > 0, "the parent's level keeps someone out");
        }
    }

    /// An app account may show a person's email; the person is whom the email names.
    #[test]
    fn user_by_email_prefers_the_person_over_an_app_account() {
        for ws in sites() {
            let app = ws
                .user(crate::generate::ACCOUNT_MAIL_APP)
                .expect("mail handler app");
            assert_eq!(app.account_type, "app");
            assert!(app.email_visible);
            let person = ws
                .users
                .iter()
                .find(|u| u.account_type == "atlassian" && u.email == app.email)
                .expect("a person with the same email");
            assert_eq!(
                ws.user_by_email(&app.email.to_uppercase())
                    .map(|u| &u.account_id),
                Some(&person.account_id)
            );
            // Even when the app account comes first.
            let mut swapped = ws.clone();
            let pos = swapped
                .users
                .iter()
                .position(|u| u.account_id == app.account_id)
                .expect("app");
            let app_user = swapped.users.remove(pos);
            swapped.users.insert(0, app_user);
            assert_eq!(
                swapped.user_by_email(&app.email).map(|u| &u.account_id),
                Some(&person.account_id)
            );
        }
    }

    /// Every generated site has role-restricted comments (a role visibility names the
    /// role), among the rest of what the rules above need.
    #[test]
    fn generated_sites_have_role_restricted_comments() {
        for ws in sites() {
            assert!(
                ws.issues
                    .iter()
                    .flat_map(|i| &i.comments)
                    .any(|c| matches!(c.visibility, Some(CommentVisibility::Role { .. })))
            );
            assert!(
                ws.projects
                    .iter()
                    .any(|p| p.is_team_managed() && p.access_level.as_deref() == Some("private"))
            );
        }
    }
}

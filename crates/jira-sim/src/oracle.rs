//! Ground-truth visibility oracle, computed directly on the simulator's data model.
//!
//! Deliberately independent from the project's `access` crate: it evaluates Jira's
//! rules the straightforward way (per user, per issue) so it can check the tag-based
//! implementation. Rules:
//! - unknown or inactive accounts see nothing;
//! - issues of archived projects are not visible (they leave search results);
//! - classic projects: some BROWSE_PROJECTS grant of the project's permission scheme
//!   covers the user (holder evaluated against the project and the issue);
//! - team-managed projects: `open`/`limited` → any licensed user (member of a group of
//!   an application role); `private` → users holding any role in the project; issue
//!   restrictions (`restricted_to_role_ids`) additionally require one of those roles;
//! - an issue security level requires the user to match one of the level's members;
//! - a restricted comment additionally requires the group membership / project role.

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

    /// Whether the account holds the project role in the project (directly or via a group).
    pub fn has_project_role(&self, account_id: &str, project: &Project, role_id: &str) -> bool {
        project.role_actors.get(role_id).is_some_and(|actors| {
            actors.iter().any(|a| match a {
                RoleActor::User { account_id: a } => a == account_id,
                RoleActor::Group { group_id } => self.in_group(account_id, group_id),
            })
        })
    }

    fn has_any_project_role(&self, account_id: &str, project: &Project) -> bool {
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

    fn can_see_issue_obj(&self, account_id: &str, issue: &Issue) -> bool {
        // `ANONYMOUS` ("") is a visitor Jira does not know: only `anyone` holders cover it.
        if account_id != ANONYMOUS && self.active_user(account_id).is_none() {
            return false;
        }
        let Some(project) = self.project(&issue.project_id) else {
            return false;
        };
        if project.archived {
            return false;
        }
        let browse = if project.is_team_managed() {
            match project.access_level.as_deref() {
                Some("open") | Some("limited") => {
                    self.has_application_role(account_id, None)
                        || self.has_any_project_role(account_id, project)
                }
                Some("private") => self.has_any_project_role(account_id, project),
                _ => false,
            }
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
                    .any(|g| self.holder_matches(&g.holder, account_id, project, issue)),
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
                .any(|r| self.has_project_role(account_id, project, r))
        {
            return false;
        }
        if let Some(level_id) = &issue.security_level_id {
            let Some((_, level)) = self.security_level(level_id) else {
                return false;
            };
            if !level
                .members
                .iter()
                .any(|m| self.holder_matches(&m.holder, account_id, project, issue))
            {
                return false;
            }
        }
        true
    }

    fn can_see_comment_obj(&self, account_id: &str, issue: &Issue, comment: &Comment) -> bool {
        if !self.can_see_issue_obj(account_id, issue) {
            return false;
        }
        match &comment.visibility {
            None => true,
            Some(CommentVisibility::Group { group_id, .. }) => self.in_group(account_id, group_id),
            Some(CommentVisibility::Role { role_id, .. }) => self
                .project(&issue.project_id)
                .is_some_and(|p| self.has_project_role(account_id, p, role_id)),
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
        self.issues
            .iter()
            .filter(|i| self.can_see_issue_obj(account_id, i))
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
        self.issues
            .iter()
            .filter(|i| self.can_see_issue_obj(account_id, i))
            .filter(|i| {
                contains_words(&i.summary, &needle)
                    || contains_words(&i.description_text, &needle)
                    || i.comments.iter().any(|c| {
                        contains_words(&c.body_text, &needle)
                            && self.can_see_comment_obj(account_id, i, c)
                    })
                    || i.attachments.iter().any(|a| {
                        contains_words(&a.filename, &needle)
                            || (a.kind.has_extractable_text() && contains_words(&a.text, &needle))
                    })
            })
            .map(|i| i.key.clone())
            .collect()
    }

    /// The user with this visible email (trimmed, case-insensitive). Hidden emails never match.
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        let e = email.trim();
        if e.is_empty() {
            return None;
        }
        self.users
            .iter()
            .find(|u| u.email_visible && u.email.eq_ignore_ascii_case(e))
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
        assert!(
            hits.iter()
                .all(|k| k.starts_with("ENG-") || k.starts_with("PUB-"))
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
}

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
mod tests;

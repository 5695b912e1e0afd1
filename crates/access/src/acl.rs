//! Document side: the three ACL tag lists a chunk carries, computed from the facts of
//! its issue (and the comment's visibility) alone. The directory is deliberately not
//! an input: group, role and scheme changes never rewrite a chunk.
//!
//! The tag spelling lives in [`tag`], shared with the principal side.

use serde::{Deserialize, Serialize};

/// A tag no principal set ever holds: a gate carrying only this tag denies everyone.
/// Used for restrictions this crate cannot read (fail closed).
pub const DENY_TAG: &str = "!deny";

/// The tag every active user (and anonymous) holds; a gate containing it is open.
pub const ANY_TAG: &str = "*";

/// The tag of every active account holding Jira product access (an application
/// role). It is the comment gate of internal comments (`jsdPublic: false`), which
/// customers and anonymous visitors never see.
pub const LICENSED_TAG: &str = "lic";

/// Spelling of every tag, in one place (see the crate documentation for the table).
pub mod tag {
    /// Concatenates with one allocation of the exact size (tags are built by the
    /// thousand for large principal sets).
    fn join(parts: &[&str]) -> String {
        let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        for p in parts {
            s.push_str(p);
        }
        s
    }
    /// `p:<pid>`: a static BROWSE_PROJECTS grant of the project covers the holder.
    pub fn project(pid: &str) -> String {
        join(&["p:", pid])
    }
    /// `p:<pid>:reporter:<acc>` (browse via the `reporter` holder).
    pub fn project_reporter(pid: &str, acc: &str) -> String {
        join(&["p:", pid, ":reporter:", acc])
    }
    /// `p:<pid>:assignee:<acc>`.
    pub fn project_assignee(pid: &str, acc: &str) -> String {
        join(&["p:", pid, ":assignee:", acc])
    }
    /// `p:<pid>:ucf:<field>:<acc>`.
    pub fn project_user_field(pid: &str, field: &str, acc: &str) -> String {
        join(&["p:", pid, ":ucf:", field, ":", acc])
    }
    /// `p:<pid>:gcf:<field>:<groupId>`.
    pub fn project_group_field(pid: &str, field: &str, gid: &str) -> String {
        join(&["p:", pid, ":gcf:", field, ":", gid])
    }
    /// `sl:<levelId>:<pid>`: a static member of the security level.
    pub fn level(lvl: &str, pid: &str) -> String {
        join(&["sl:", lvl, ":", pid])
    }
    /// `sl:<levelId>:<pid>:reporter:<acc>`.
    pub fn level_reporter(lvl: &str, pid: &str, acc: &str) -> String {
        join(&["sl:", lvl, ":", pid, ":reporter:", acc])
    }
    /// `sl:<levelId>:<pid>:assignee:<acc>`.
    pub fn level_assignee(lvl: &str, pid: &str, acc: &str) -> String {
        join(&["sl:", lvl, ":", pid, ":assignee:", acc])
    }
    /// `sl:<levelId>:<pid>:ucf:<field>:<acc>`.
    pub fn level_user_field(lvl: &str, pid: &str, field: &str, acc: &str) -> String {
        join(&["sl:", lvl, ":", pid, ":ucf:", field, ":", acc])
    }
    /// `sl:<levelId>:<pid>:gcf:<field>:<groupId>`.
    pub fn level_group_field(lvl: &str, pid: &str, field: &str, gid: &str) -> String {
        join(&["sl:", lvl, ":", pid, ":gcf:", field, ":", gid])
    }
    /// `tr:<pid>:<roleId>`: team-managed issue restriction to a role.
    pub fn restriction_role(pid: &str, role: &str) -> String {
        join(&["tr:", pid, ":", role])
    }
    /// `g:<groupId>`: comment restricted to a group.
    pub fn group(gid: &str) -> String {
        join(&["g:", gid])
    }
    /// `r:<pid>:<roleId>`: comment restricted to a project role.
    pub fn role(pid: &str, role: &str) -> String {
        join(&["r:", pid, ":", role])
    }
}

/// The facts of one issue that decide its tags; they arrive with the issue itself.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct IssueFacts {
    /// Id of the issue's project (empty when unknown: every gate denies).
    pub project_id: String,
    /// Account id of the reporter.
    pub reporter: Option<String>,
    /// Account id of the assignee.
    pub assignee: Option<String>,
    /// Id of the issue's security level, if it has one.
    pub security_level_id: Option<String>,
    /// (custom field id, accountId) for user custom fields any scheme names.
    pub user_fields: Vec<(String, String)>,
    /// (custom field id, groupId) for group custom fields any scheme names.
    pub group_fields: Vec<(String, String)>,
    /// Team-managed issue restriction: role ids. `Some(empty)` = a restriction that
    /// could not be read: deny.
    pub restricted_to_roles: Option<Vec<String>>,
}

/// A comment's visibility restriction, resolved to stable ids.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum CommentVisibility {
    /// Members of a group only.
    Group {
        /// The group's id.
        group_id: String,
    },
    /// A project role, evaluated in the issue's project.
    Role {
        /// The project role's id.
        role_id: String,
    },
    /// A restriction that could not be resolved: nobody sees the comment.
    Unknown,
}

/// The three tag lists of a chunk. A principal set passes when it shares a tag with
/// every one of them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ChunkAcl {
    /// `acl_project`: project browse gate.
    pub project: Vec<String>,
    /// `acl_issue`: issue security / team-managed restriction gate.
    pub issue: Vec<String>,
    /// `acl_comment`: comment visibility gate.
    pub comment: Vec<String>,
}

/// Ids are used verbatim (never trimmed: trimming could make two distinct ids one);
/// an empty or whitespace-only id is treated as absent.
fn blank(id: &str) -> bool {
    id.trim().is_empty()
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !blank(s))
}

fn project_gate(facts: &IssueFacts) -> Vec<String> {
    let pid = facts.project_id.as_str();
    if blank(pid) {
        return vec![DENY_TAG.to_string()];
    }
    let mut tags = vec![tag::project(pid)];
    if let Some(r) = nonempty(&facts.reporter) {
        tags.push(tag::project_reporter(pid, r));
    }
    if let Some(a) = nonempty(&facts.assignee) {
        tags.push(tag::project_assignee(pid, a));
    }
    for (field, acc) in &facts.user_fields {
        if !blank(field) && !blank(acc) {
            tags.push(tag::project_user_field(pid, field, acc));
        }
    }
    for (field, gid) in &facts.group_fields {
        if !blank(field) && !blank(gid) {
            tags.push(tag::project_group_field(pid, field, gid));
        }
    }
    dedup(tags)
}

fn issue_gate(facts: &IssueFacts) -> Vec<String> {
    let pid = facts.project_id.as_str();
    let level = facts.security_level_id.as_deref();
    match (level, &facts.restricted_to_roles) {
        (None, None) => vec![ANY_TAG.to_string()],
        // Both at once does not happen in Jira (team-managed projects have no issue
        // security); one "match any" list cannot express their AND: deny.
        (Some(_), Some(_)) => vec![DENY_TAG.to_string()],
        (Some(lvl), None) => {
            if blank(lvl) || blank(pid) {
                return vec![DENY_TAG.to_string()];
            }
            let mut tags = vec![tag::level(lvl, pid)];
            if let Some(r) = nonempty(&facts.reporter) {
                tags.push(tag::level_reporter(lvl, pid, r));
            }
            if let Some(a) = nonempty(&facts.assignee) {
                tags.push(tag::level_assignee(lvl, pid, a));
            }
            for (field, acc) in &facts.user_fields {
                if !blank(field) && !blank(acc) {
                    tags.push(tag::level_user_field(lvl, pid, field, acc));
                }
            }
            for (field, gid) in &facts.group_fields {
                if !blank(field) && !blank(gid) {
                    tags.push(tag::level_group_field(lvl, pid, field, gid));
                }
            }
            dedup(tags)
        }
        (None, Some(roles)) => {
            let tags: Vec<String> = roles
                .iter()
                .filter(|r| !blank(r) && !blank(pid))
                .map(|r| tag::restriction_role(pid, r))
                .collect();
            if tags.is_empty() {
                vec![DENY_TAG.to_string()]
            } else {
                dedup(tags)
            }
        }
    }
}

fn dedup(mut tags: Vec<String>) -> Vec<String> {
    tags.sort();
    tags.dedup();
    tags
}

/// Tags of an issue chunk or attachment chunk: the comment gate is open (`*`).
///
/// ```
/// use access::{issue_acl, IssueFacts};
/// let acl = issue_acl(&IssueFacts {
///     project_id: "10000".into(),
///     reporter: Some("acc-r".into()),
///     security_level_id: Some("10100".into()),
///     ..Default::default()
/// });
/// assert_eq!(acl.project, ["p:10000", "p:10000:reporter:acc-r"]);
/// assert_eq!(acl.issue, ["sl:10100:10000", "sl:10100:10000:reporter:acc-r"]);
/// assert_eq!(acl.comment, ["*"]);
/// ```
pub fn issue_acl(facts: &IssueFacts) -> ChunkAcl {
    ChunkAcl {
        project: project_gate(facts),
        issue: issue_gate(facts),
        comment: vec![ANY_TAG.to_string()],
    }
}

/// Tags of a comment chunk: the issue's project and issue gates plus the comment's own
/// visibility (`*`, `g:<groupId>`, `r:<pid>:<roleId>`; unknown → [`DENY_TAG`]).
///
/// `internal`: a Jira Service Management internal comment (`jsdPublic: false`), seen
/// only by people with product access: an unrestricted one gets [`LICENSED_TAG`]
/// instead of `*`. A restricted one keeps its group or role tag, which only people
/// with product access hold (the product-access gate gives the others no group or
/// role tags), so the one "match any" list still means both.
pub fn comment_acl(
    facts: &IssueFacts,
    visibility: Option<&CommentVisibility>,
    internal: bool,
) -> ChunkAcl {
    let pid = facts.project_id.as_str();
    let comment = match visibility {
        None if internal => LICENSED_TAG.to_string(),
        None => ANY_TAG.to_string(),
        Some(CommentVisibility::Group { group_id }) if !blank(group_id) => tag::group(group_id),
        Some(CommentVisibility::Role { role_id }) if !blank(role_id) && !blank(pid) => {
            tag::role(pid, role_id)
        }
        Some(_) => DENY_TAG.to_string(),
    };
    ChunkAcl {
        project: project_gate(facts),
        issue: issue_gate(facts),
        comment: vec![comment],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> IssueFacts {
        IssueFacts {
            project_id: "10".into(),
            reporter: Some("r".into()),
            assignee: Some("a".into()),
            user_fields: vec![("cf_1".into(), "u".into())],
            group_fields: vec![("cf_2".into(), "g".into())],
            ..Default::default()
        }
    }

    #[test]
    fn unrestricted_issue() {
        let acl = issue_acl(&facts());
        assert_eq!(
            acl.project,
            [
                "p:10",
                "p:10:assignee:a",
                "p:10:gcf:cf_2:g",
                "p:10:reporter:r",
                "p:10:ucf:cf_1:u"
            ]
        );
        assert_eq!(acl.issue, ["*"]);
        assert_eq!(acl.comment, ["*"]);
    }

    #[test]
    fn security_level_issue() {
        let acl = issue_acl(&IssueFacts {
            security_level_id: Some("5".into()),
            ..facts()
        });
        assert_eq!(
            acl.issue,
            [
                "sl:5:10",
                "sl:5:10:assignee:a",
                "sl:5:10:gcf:cf_2:g",
                "sl:5:10:reporter:r",
                "sl:5:10:ucf:cf_1:u"
            ]
        );
    }

    #[test]
    fn team_managed_restriction() {
        let acl = issue_acl(&IssueFacts {
            restricted_to_roles: Some(vec!["100".into(), "101".into()]),
            ..facts()
        });
        assert_eq!(acl.issue, ["tr:10:100", "tr:10:101"]);
        let unknown = issue_acl(&IssueFacts {
            restricted_to_roles: Some(vec![]),
            ..facts()
        });
        assert_eq!(unknown.issue, [DENY_TAG]);
        let both = issue_acl(&IssueFacts {
            restricted_to_roles: Some(vec!["100".into()]),
            security_level_id: Some("5".into()),
            ..facts()
        });
        assert_eq!(both.issue, [DENY_TAG]);
    }

    #[test]
    fn missing_project_denies() {
        let acl = issue_acl(&IssueFacts::default());
        assert_eq!(acl.project, [DENY_TAG]);
    }

    #[test]
    fn restricted_comments() {
        let f = facts();
        assert_eq!(comment_acl(&f, None, false).comment, ["*"]);
        assert_eq!(
            comment_acl(
                &f,
                Some(&CommentVisibility::Group {
                    group_id: "g9".into()
                }),
                false
            )
            .comment,
            ["g:g9"]
        );
        assert_eq!(
            comment_acl(
                &f,
                Some(&CommentVisibility::Role {
                    role_id: "10002".into()
                }),
                false
            )
            .comment,
            ["r:10:10002"]
        );
        assert_eq!(
            comment_acl(&f, Some(&CommentVisibility::Unknown), false).comment,
            [DENY_TAG]
        );
        assert_eq!(
            comment_acl(
                &f,
                Some(&CommentVisibility::Group {
                    group_id: " ".into()
                }),
                false
            )
            .comment,
            [DENY_TAG]
        );
        assert_eq!(comment_acl(&f, None, false).project, issue_acl(&f).project);
    }

    /// Jira Service Management internal comments (`jsdPublic: false` on the OpenAPI
    /// `Comment` schema: "Whether the comment is visible in Jira Service Desk")
    /// are for people with product access only.
    #[test]
    fn internal_comments_need_product_access() {
        let f = facts();
        assert_eq!(comment_acl(&f, None, true).comment, [LICENSED_TAG]);
        let group = CommentVisibility::Group {
            group_id: "g9".into(),
        };
        assert_eq!(comment_acl(&f, Some(&group), true).comment, ["g:g9"]);
        assert_eq!(
            comment_acl(&f, Some(&CommentVisibility::Unknown), true).comment,
            [DENY_TAG]
        );
    }
}

//! Workspace mutations, as a Rust API on [`Workspace`].
//!
//! Every issue/comment mutation moves the affected issue's `updated` to now (never
//! backdated: strictly after every existing `updated`) and writes an audit record,
//! except [`Workspace::delete_issue_silently`], which models a deletion that never
//! reaches the audit log. Identity and scheme changes write audit records too.

use crate::model::*;
use chrono::{DateTime, Duration, Utc};

/// A mutation that names something the workspace does not have.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MutationError {
    #[error("issue '{0}' does not exist")]
    UnknownIssue(String),
    #[error("project '{0}' does not exist")]
    UnknownProject(String),
    #[error("comment '{0}' does not exist")]
    UnknownComment(String),
    #[error("user '{0}' does not exist")]
    UnknownUser(String),
    #[error("group '{0}' does not exist")]
    UnknownGroup(String),
    #[error("security level '{level}' is not in the issue security scheme of project '{project}'")]
    UnknownSecurityLevel { project: String, level: String },
    #[error("project role '{0}' does not exist")]
    UnknownRole(String),
    #[error("permission scheme of project '{0}' does not exist (team-managed project?)")]
    NoPermissionScheme(String),
}

/// Changes to an issue; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueUpdate {
    pub summary: Option<String>,
    /// New plain-text description (rendered as ADF paragraphs).
    pub description_text: Option<String>,
    pub assignee_account_id: Option<Option<String>>,
    pub reporter_account_id: Option<Option<String>>,
    pub security_level_id: Option<Option<String>>,
    pub labels: Option<Vec<String>>,
    pub status: Option<(String, String)>,
    pub restricted_to_role_ids: Option<Vec<String>>,
    pub user_custom_field: Option<(String, Vec<String>)>,
    pub group_custom_field: Option<(String, Vec<String>)>,
}

impl Workspace {
    /// The current instant, strictly after every timestamp already in the workspace.
    pub fn now(&self) -> DateTime<Utc> {
        let latest = self
            .issues
            .iter()
            .map(|i| i.updated)
            .chain(self.audit_records.iter().map(|r| r.created))
            .max();
        let now = Utc::now();
        match latest {
            Some(l) if l >= now => l + Duration::milliseconds(1),
            _ => now,
        }
    }

    fn issue_index(&self, id_or_key: &str) -> Result<usize, MutationError> {
        self.issues
            .iter()
            .position(|i| i.id == id_or_key || i.key.eq_ignore_ascii_case(id_or_key))
            .ok_or_else(|| MutationError::UnknownIssue(id_or_key.to_string()))
    }

    fn require_user(&self, account_id: &str) -> Result<(), MutationError> {
        self.user(account_id)
            .map(|_| ())
            .ok_or_else(|| MutationError::UnknownUser(account_id.to_string()))
    }

    #[allow(clippy::too_many_arguments)]
    fn audit(
        &mut self,
        at: DateTime<Utc>,
        summary: &str,
        category: &str,
        object: (&str, &str, &str),
        parent: Option<(&str, &str)>,
        changed: Vec<(String, String, String)>,
    ) {
        let id = self.fresh_id();
        let author = self.admin_account_id.clone();
        self.audit_records.push(AuditRecord {
            id,
            summary: summary.into(),
            created: at,
            category: category.into(),
            event_source: "".into(),
            author_account_id: author,
            object_id: object.0.into(),
            object_name: object.1.into(),
            object_type_name: object.2.into(),
            parent_id: parent.map(|p| p.0.to_string()),
            parent_name: parent.map(|p| p.1.to_string()),
            changed_values: changed,
        });
    }

    fn audit_issue(
        &mut self,
        idx: usize,
        at: DateTime<Utc>,
        summary: &str,
        changed: Vec<(String, String, String)>,
    ) {
        let (id, key, pid) = {
            let i = &self.issues[idx];
            (i.id.clone(), i.key.clone(), i.project_id.clone())
        };
        let pname = self
            .project(&pid)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        self.audit(
            at,
            summary,
            "issue management",
            (&id, &key, "ISSUE"),
            Some((&pid, &pname)),
            changed,
        );
    }

    /// Creates an issue in a project; returns its key.
    pub fn create_issue(
        &mut self,
        project_key: &str,
        summary: &str,
        description_text: &str,
        reporter_account_id: &str,
    ) -> Result<String, MutationError> {
        self.require_user(reporter_account_id)?;
        let project = self
            .project_by_id_or_key(project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?;
        let (pid, pkey) = (project.id.clone(), project.key.clone());
        let prefix = format!("{pkey}-");
        let next_num = self
            .issues
            .iter()
            .filter_map(|i| {
                i.key
                    .strip_prefix(&prefix)
                    .and_then(|n| n.parse::<u64>().ok())
            })
            .max()
            .unwrap_or(0)
            + 1;
        let now = self.now();
        let id = self.fresh_id().to_string();
        let description = AdfDoc::from_text(description_text);
        let key = format!("{pkey}-{next_num}");
        self.issues.push(Issue {
            id,
            key: key.clone(),
            project_id: pid,
            summary: summary.into(),
            description_text: description.plain_text(),
            description,
            status: "To Do".into(),
            status_category: "new".into(),
            priority: "Medium".into(),
            issue_type: "Task".into(),
            labels: vec![],
            reporter_account_id: Some(reporter_account_id.into()),
            assignee_account_id: None,
            created: now,
            updated: now,
            security_level_id: None,
            parent_id: None,
            restricted_to_role_ids: vec![],
            subject: None,
            user_custom_fields: Default::default(),
            group_custom_fields: Default::default(),
            comments: vec![],
            attachments: vec![],
        });
        let idx = self.issues.len() - 1;
        self.audit_issue(idx, now, "Issue created", vec![]);
        Ok(key)
    }

    /// Applies changes to an issue and moves its `updated` to now.
    pub fn update_issue(
        &mut self,
        id_or_key: &str,
        change: IssueUpdate,
    ) -> Result<(), MutationError> {
        let idx = self.issue_index(id_or_key)?;
        let mut change = change;
        // A sub-task has no security field of its own: it always has its parent's level
        // (https://support.atlassian.com/jira-cloud-administration/docs/configure-issue-security-schemes/).
        if self.issues[idx].is_subtask() {
            change.security_level_id = None;
        }
        for a in [&change.assignee_account_id, &change.reporter_account_id]
            .into_iter()
            .flatten()
            .flatten()
        {
            self.require_user(a)?;
        }
        if let Some(Some(level)) = &change.security_level_id {
            let project = self.project(&self.issues[idx].project_id);
            let ok = project
                .and_then(|p| p.security_scheme_id.as_deref())
                .and_then(|s| self.security_scheme(s))
                .is_some_and(|s| s.levels.iter().any(|l| &l.id == level));
            if !ok {
                return Err(MutationError::UnknownSecurityLevel {
                    project: project.map(|p| p.key.clone()).unwrap_or_default(),
                    level: level.clone(),
                });
            }
        }
        let now = self.now();
        let mut changed = Vec::new();
        let issue = &mut self.issues[idx];
        if let Some(s) = change.summary {
            changed.push(("summary".into(), issue.summary.clone(), s.clone()));
            issue.summary = s;
        }
        if let Some(d) = change.description_text {
            issue.description = AdfDoc::from_text(&d);
            issue.description_text = issue.description.plain_text();
            changed.push(("description".into(), String::new(), String::new()));
        }
        if let Some(a) = change.assignee_account_id {
            changed.push((
                "assignee".into(),
                issue.assignee_account_id.clone().unwrap_or_default(),
                a.clone().unwrap_or_default(),
            ));
            issue.assignee_account_id = a;
        }
        if let Some(r) = change.reporter_account_id {
            changed.push((
                "reporter".into(),
                issue.reporter_account_id.clone().unwrap_or_default(),
                r.clone().unwrap_or_default(),
            ));
            issue.reporter_account_id = r;
        }
        let mut new_level = None;
        if let Some(l) = change.security_level_id {
            changed.push((
                "security".into(),
                issue.security_level_id.clone().unwrap_or_default(),
                l.clone().unwrap_or_default(),
            ));
            issue.security_level_id = l.clone();
            new_level = Some(l);
        }
        if let Some(l) = change.labels {
            issue.labels = l;
        }
        if let Some((s, c)) = change.status {
            changed.push(("status".into(), issue.status.clone(), s.clone()));
            issue.status = s;
            issue.status_category = c;
        }
        if let Some(r) = change.restricted_to_role_ids {
            issue.restricted_to_role_ids = r;
        }
        if let Some((f, v)) = change.user_custom_field {
            issue.user_custom_fields.insert(f, v);
        }
        if let Some((f, v)) = change.group_custom_field {
            issue.group_custom_fields.insert(f, v);
        }
        issue.updated = now;
        // The sub-tasks take the new level with their parent; only the parent is
        // updated (their own `updated` stays: only the parent shows as changed).
        if let Some(level) = new_level {
            let parent_id = self.issues[idx].id.clone();
            for sub in self
                .issues
                .iter_mut()
                .filter(|i| i.parent_id.as_deref() == Some(parent_id.as_str()))
            {
                sub.security_level_id = level.clone();
            }
        }
        self.audit_issue(idx, now, "Issue updated", changed);
        Ok(())
    }

    /// Creates a sub-task of an issue (issue type [`SUBTASK_TYPE`], in the parent's
    /// project, with the parent's security level); returns its key.
    pub fn create_subtask(
        &mut self,
        parent: &str,
        summary: &str,
        reporter_account_id: &str,
    ) -> Result<String, MutationError> {
        let pidx = self.issue_index(parent)?;
        if self.issues[pidx].is_subtask() {
            // Jira: a sub-task cannot have sub-tasks.
            return Err(MutationError::UnknownIssue(parent.to_string()));
        }
        let (parent_id, project_id, level) = {
            let p = &self.issues[pidx];
            (
                p.id.clone(),
                p.project_id.clone(),
                p.security_level_id.clone(),
            )
        };
        let key = self.create_issue(&project_id, summary, "", reporter_account_id)?;
        let idx = self.issues.len() - 1;
        let sub = &mut self.issues[idx];
        sub.parent_id = Some(parent_id);
        sub.issue_type = SUBTASK_TYPE.into();
        sub.security_level_id = level;
        Ok(key)
    }

    /// Deletes an issue (with its comments) and writes an "Issue deleted" audit record.
    pub fn delete_issue(
        &mut self,
        id_or_key: &str,
        actor_account_id: &str,
    ) -> Result<Issue, MutationError> {
        let idx = self.issue_index(id_or_key)?;
        let now = self.now();
        self.audit_issue(idx, now, "Issue deleted", vec![]);
        if let Some(r) = self.audit_records.last_mut() {
            r.author_account_id = actor_account_id.to_string();
        }
        Ok(self.issues.remove(idx))
    }

    /// Deletes an issue without any audit record (a deletion only id reconciliation finds).
    pub fn delete_issue_silently(&mut self, id_or_key: &str) -> Result<Issue, MutationError> {
        let idx = self.issue_index(id_or_key)?;
        Ok(self.issues.remove(idx))
    }

    /// Moves an issue to another project: new key, same id; a security level not in the
    /// target project's scheme is dropped. Returns the new key.
    pub fn move_issue(
        &mut self,
        id_or_key: &str,
        target_project: &str,
    ) -> Result<String, MutationError> {
        let idx = self.issue_index(id_or_key)?;
        let target = self
            .project_by_id_or_key(target_project)
            .ok_or_else(|| MutationError::UnknownProject(target_project.to_string()))?;
        let (pid, pkey, scheme) = (
            target.id.clone(),
            target.key.clone(),
            target.security_scheme_id.clone(),
        );
        let prefix = format!("{pkey}-");
        let next_num = self
            .issues
            .iter()
            .filter_map(|i| {
                i.key
                    .strip_prefix(&prefix)
                    .and_then(|n| n.parse::<u64>().ok())
            })
            .max()
            .unwrap_or(0)
            + 1;
        let keep_level = self.issues[idx]
            .security_level_id
            .as_deref()
            .is_some_and(|l| {
                scheme
                    .as_deref()
                    .and_then(|s| self.security_scheme(s))
                    .is_some_and(|s| s.levels.iter().any(|x| x.id == l))
            });
        let now = self.now();
        let new_key = format!("{pkey}-{next_num}");
        let issue = &mut self.issues[idx];
        let old_key = std::mem::replace(&mut issue.key, new_key.clone());
        issue.project_id = pid;
        if !keep_level {
            issue.security_level_id = None;
        }
        issue.updated = now;
        self.audit_issue(
            idx,
            now,
            "Issue moved",
            vec![("key".into(), old_key, new_key.clone())],
        );
        Ok(new_key)
    }

    /// Adds a comment; returns its id.
    pub fn add_comment(
        &mut self,
        issue_id_or_key: &str,
        author_account_id: &str,
        text: &str,
        visibility: Option<CommentVisibility>,
    ) -> Result<String, MutationError> {
        self.require_user(author_account_id)?;
        let idx = self.issue_index(issue_id_or_key)?;
        let now = self.now();
        let id = self.fresh_id().to_string();
        let body = AdfDoc::from_text(text);
        let issue = &mut self.issues[idx];
        issue.comments.push(Comment {
            id: id.clone(),
            author_account_id: author_account_id.into(),
            body_text: body.plain_text(),
            body,
            created: now,
            updated: now,
            visibility,
            internal: false,
        });
        issue.updated = now;
        self.audit_issue(idx, now, "Comment added", vec![]);
        Ok(id)
    }

    fn comment_index(&self, comment_id: &str) -> Result<(usize, usize), MutationError> {
        self.issues
            .iter()
            .enumerate()
            .find_map(|(i, issue)| {
                issue
                    .comments
                    .iter()
                    .position(|c| c.id == comment_id)
                    .map(|c| (i, c))
            })
            .ok_or_else(|| MutationError::UnknownComment(comment_id.to_string()))
    }

    /// Replaces a comment's text.
    pub fn update_comment(&mut self, comment_id: &str, text: &str) -> Result<(), MutationError> {
        let (i, c) = self.comment_index(comment_id)?;
        let now = self.now();
        let comment = &mut self.issues[i].comments[c];
        comment.body = AdfDoc::from_text(text);
        comment.body_text = comment.body.plain_text();
        comment.updated = now;
        self.issues[i].updated = now;
        self.audit_issue(i, now, "Comment updated", vec![]);
        Ok(())
    }

    /// Restricts (or, with None, opens) a comment.
    pub fn restrict_comment(
        &mut self,
        comment_id: &str,
        visibility: Option<CommentVisibility>,
    ) -> Result<(), MutationError> {
        let (i, c) = self.comment_index(comment_id)?;
        let now = self.now();
        let comment = &mut self.issues[i].comments[c];
        comment.visibility = visibility;
        comment.updated = now;
        self.issues[i].updated = now;
        self.audit_issue(i, now, "Comment visibility changed", vec![]);
        Ok(())
    }

    /// Makes a comment internal (Jira Service Management: shared with the team only,
    /// `jsdPublic: false`) or public again.
    pub fn set_comment_internal(
        &mut self,
        comment_id: &str,
        internal: bool,
    ) -> Result<(), MutationError> {
        let (i, c) = self.comment_index(comment_id)?;
        let now = self.now();
        let comment = &mut self.issues[i].comments[c];
        comment.internal = internal;
        comment.updated = now;
        self.issues[i].updated = now;
        self.audit_issue(i, now, "Comment visibility changed", vec![]);
        Ok(())
    }

    /// Deletes a comment.
    pub fn delete_comment(&mut self, comment_id: &str) -> Result<(), MutationError> {
        let (i, c) = self.comment_index(comment_id)?;
        let now = self.now();
        self.issues[i].comments.remove(c);
        self.issues[i].updated = now;
        self.audit_issue(i, now, "Comment deleted", vec![]);
        Ok(())
    }

    fn group_index(&self, group_id: &str) -> Result<usize, MutationError> {
        self.groups
            .iter()
            .position(|g| g.group_id == group_id)
            .ok_or_else(|| MutationError::UnknownGroup(group_id.to_string()))
    }

    /// Adds a user to a group (no-op when already a member).
    pub fn add_group_member(
        &mut self,
        group_id: &str,
        account_id: &str,
    ) -> Result<(), MutationError> {
        self.require_user(account_id)?;
        let g = self.group_index(group_id)?;
        if !self.groups[g].members.iter().any(|m| m == account_id) {
            self.groups[g].members.push(account_id.to_string());
            let now = self.now();
            let (gid, name) = (self.groups[g].group_id.clone(), self.groups[g].name.clone());
            self.audit(
                now,
                "User added to group",
                "group management",
                (&gid, &name, "GROUP"),
                None,
                vec![("member".into(), String::new(), account_id.into())],
            );
        }
        Ok(())
    }

    /// Grants or takes back the connector's *Administer Jira* global permission, with
    /// the audit record Jira writes for a global permission change (category
    /// "permissions"), so that an identity sync reading the audit log sees it.
    pub fn set_connector_administers_jira(&mut self, administers: bool) {
        if self.connector_administers_jira == administers {
            return;
        }
        self.connector_administers_jira = administers;
        let now = self.now();
        let admin = self.admin_account_id.clone();
        let summary = if administers {
            "Global permission added"
        } else {
            "Global permission deleted"
        };
        self.audit(
            now,
            summary,
            "permissions",
            ("ADMINISTER", "Administer Jira", "PERMISSIONS"),
            None,
            vec![("user".into(), String::new(), admin)],
        );
    }

    /// Removes a user from a group.
    pub fn remove_group_member(
        &mut self,
        group_id: &str,
        account_id: &str,
    ) -> Result<(), MutationError> {
        let g = self.group_index(group_id)?;
        let before = self.groups[g].members.len();
        self.groups[g].members.retain(|m| m != account_id);
        if self.groups[g].members.len() != before {
            let now = self.now();
            let (gid, name) = (self.groups[g].group_id.clone(), self.groups[g].name.clone());
            self.audit(
                now,
                "User removed from group",
                "group management",
                (&gid, &name, "GROUP"),
                None,
                vec![("member".into(), account_id.into(), String::new())],
            );
        }
        Ok(())
    }

    fn user_mut(&mut self, account_id: &str) -> Result<&mut User, MutationError> {
        self.users
            .iter_mut()
            .find(|u| u.account_id == account_id)
            .ok_or_else(|| MutationError::UnknownUser(account_id.to_string()))
    }

    /// Hides (or shows) a user's email in API responses.
    pub fn set_email_visible(
        &mut self,
        account_id: &str,
        visible: bool,
    ) -> Result<(), MutationError> {
        self.user_mut(account_id)?.email_visible = visible;
        Ok(())
    }

    /// Hides a user's email.
    pub fn hide_email(&mut self, account_id: &str) -> Result<(), MutationError> {
        self.set_email_visible(account_id, false)
    }

    /// Activates or deactivates a user.
    pub fn set_user_active(&mut self, account_id: &str, active: bool) -> Result<(), MutationError> {
        self.user_mut(account_id)?.active = active;
        let now = self.now();
        let name = self
            .user(account_id)
            .map(|u| u.display_name.clone())
            .unwrap_or_default();
        let summary = if active {
            "User activated"
        } else {
            "User deactivated"
        };
        self.audit(
            now,
            summary,
            "user management",
            (account_id, &name, "USER"),
            None,
            vec![],
        );
        Ok(())
    }

    /// Archives or restores a project.
    pub fn set_project_archived(
        &mut self,
        project_key: &str,
        archived: bool,
    ) -> Result<(), MutationError> {
        let now = self.now();
        let p = self
            .projects
            .iter_mut()
            .find(|p| p.key.eq_ignore_ascii_case(project_key) || p.id == project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?;
        p.archived = archived;
        let (id, name) = (p.id.clone(), p.name.clone());
        let summary = if archived {
            "Project archived"
        } else {
            "Project restored"
        };
        self.audit(
            now,
            summary,
            "projects",
            (&id, &name, "PROJECT"),
            None,
            vec![],
        );
        Ok(())
    }

    /// Adds a BROWSE_PROJECTS grant to a classic project's permission scheme.
    pub fn add_browse_grant(
        &mut self,
        project_key: &str,
        holder: Holder,
    ) -> Result<String, MutationError> {
        let scheme_id = self
            .project_by_id_or_key(project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?
            .permission_scheme_id
            .clone()
            .ok_or_else(|| MutationError::NoPermissionScheme(project_key.to_string()))?;
        let id = self.fresh_id().to_string();
        let now = self.now();
        let s = self
            .permission_schemes
            .iter_mut()
            .find(|s| s.id == scheme_id)
            .ok_or_else(|| MutationError::NoPermissionScheme(project_key.to_string()))?;
        s.grants.push(PermissionGrant {
            id: id.clone(),
            permission: "BROWSE_PROJECTS".into(),
            holder,
        });
        let name = s.name.clone();
        self.audit(
            now,
            "Permission scheme updated",
            "permissions",
            (&scheme_id, &name, "SCHEME"),
            None,
            vec![],
        );
        Ok(id)
    }

    /// Removes every BROWSE_PROJECTS grant equal to `holder` from the project's scheme.
    pub fn remove_browse_grant(
        &mut self,
        project_key: &str,
        holder: &Holder,
    ) -> Result<usize, MutationError> {
        let scheme_id = self
            .project_by_id_or_key(project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?
            .permission_scheme_id
            .clone()
            .ok_or_else(|| MutationError::NoPermissionScheme(project_key.to_string()))?;
        let now = self.now();
        let s = self
            .permission_schemes
            .iter_mut()
            .find(|s| s.id == scheme_id)
            .ok_or_else(|| MutationError::NoPermissionScheme(project_key.to_string()))?;
        let before = s.grants.len();
        s.grants
            .retain(|g| !(g.permission == "BROWSE_PROJECTS" && &g.holder == holder));
        let removed = before - s.grants.len();
        let name = s.name.clone();
        self.audit(
            now,
            "Permission scheme updated",
            "permissions",
            (&scheme_id, &name, "SCHEME"),
            None,
            vec![],
        );
        Ok(removed)
    }

    /// Adds an actor to a project role.
    pub fn add_role_actor(
        &mut self,
        project_key: &str,
        role_id: &str,
        actor: RoleActor,
    ) -> Result<(), MutationError> {
        if self.role_def(role_id).is_none() {
            return Err(MutationError::UnknownRole(role_id.to_string()));
        }
        let now = self.now();
        let p = self
            .projects
            .iter_mut()
            .find(|p| p.key.eq_ignore_ascii_case(project_key) || p.id == project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?;
        let actors = p.role_actors.entry(role_id.to_string()).or_default();
        if !actors.contains(&actor) {
            actors.push(actor);
        }
        let (id, name) = (p.id.clone(), p.name.clone());
        self.audit(
            now,
            "Project roles changed",
            "projects",
            (&id, &name, "PROJECT"),
            None,
            vec![],
        );
        Ok(())
    }

    /// Removes an actor from a project role.
    pub fn remove_role_actor(
        &mut self,
        project_key: &str,
        role_id: &str,
        actor: &RoleActor,
    ) -> Result<(), MutationError> {
        let now = self.now();
        let p = self
            .projects
            .iter_mut()
            .find(|p| p.key.eq_ignore_ascii_case(project_key) || p.id == project_key)
            .ok_or_else(|| MutationError::UnknownProject(project_key.to_string()))?;
        if let Some(a) = p.role_actors.get_mut(role_id) {
            a.retain(|x| x != actor);
        }
        let (id, name) = (p.id.clone(), p.name.clone());
        self.audit(
            now,
            "Project roles changed",
            "projects",
            (&id, &name, "PROJECT"),
            None,
            vec![],
        );
        Ok(())
    }
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

    #[test]
    fn mutations_move_updated_and_audit() {
        let mut ws = generate(&GenConfig::skeleton(9));
        let alice = acc(&ws, "alice");
        let judy = acc(&ws, "judy");
        let latest = ws.issues.iter().map(|i| i.updated).max().expect("issues");
        let key = ws
            .create_issue(
                "ENG",
                "New quokka-free issue",
                "First paragraph.\n\nSecond.",
                &alice,
            )
            .expect("create");
        assert!(key.starts_with("ENG-"));
        let created = ws.issue_by_key(&key).expect("created").clone();
        assert!(created.updated > latest);
        assert!(ws.can_see_issue(&alice, &created.id));
        assert!(!ws.can_see_issue(&judy, &created.id));

        // move to PUB: judy can now see it; id kept, key changes
        let new_key = ws.move_issue(&key, "PUB").expect("move");
        assert!(new_key.starts_with("PUB-"));
        let moved = ws.issue(&created.id).expect("same id");
        assert!(moved.updated > created.updated);
        assert!(ws.can_see_issue(&judy, &created.id));

        // comment restricted to engineering
        let eng = ws
            .group_by_name("engineering")
            .expect("eng")
            .group_id
            .clone();
        let cid = ws
            .add_comment(
                &new_key,
                &alice,
                "restricted words here",
                Some(CommentVisibility::Group {
                    group_id: eng.clone(),
                    name: "engineering".into(),
                }),
            )
            .expect("comment");
        assert!(ws.can_see_comment(&alice, &cid));
        assert!(!ws.can_see_comment(&judy, &cid));
        ws.restrict_comment(&cid, None).expect("open");
        assert!(ws.can_see_comment(&judy, &cid));

        // group membership grants ENG
        let some_eng = ws
            .issues
            .iter()
            .find(|i| i.key.starts_with("ENG-") && i.security_level_id.is_none())
            .expect("eng issue")
            .id
            .clone();
        assert!(!ws.can_see_issue(&judy, &some_eng));
        ws.add_group_member(&eng, &judy).expect("add");
        assert!(ws.can_see_issue(&judy, &some_eng));
        ws.remove_group_member(&eng, &judy).expect("remove");
        assert!(!ws.can_see_issue(&judy, &some_eng));

        // hide email
        assert!(ws.user_by_email("alice@example.com").is_some());
        ws.hide_email(&alice).expect("hide");
        assert!(ws.user_by_email("alice@example.com").is_none());

        // delete with and without audit
        let before = ws.audit_records.len();
        ws.delete_issue(&new_key, &alice).expect("delete");
        assert_eq!(ws.audit_records.len(), before + 1);
        let rec = ws.audit_records.last().expect("record");
        assert_eq!(rec.summary, "Issue deleted");
        assert_eq!(rec.object_name, new_key);
        assert!(ws.issue(&created.id).is_none());
        let k = ws.issues[0].key.clone();
        ws.delete_issue_silently(&k).expect("silent");
        assert_eq!(ws.audit_records.len(), before + 1);
        // timestamps are monotonic
        assert!(
            ws.audit_records
                .windows(2)
                .all(|w| w[0].created <= w[1].created)
        );
        assert!(matches!(
            ws.delete_issue("NOPE-1", &alice),
            Err(crate::mutate::MutationError::UnknownIssue(_))
        ));
    }

    #[test]
    fn update_issue_changes_security() {
        let mut ws = generate(&GenConfig::skeleton(9));
        let alice = acc(&ws, "alice");
        let issue = ws
            .issues
            .iter()
            .find(|i| {
                i.key.starts_with("ENG-")
                    && i.security_level_id.is_none()
                    && i.reporter_account_id.as_deref() != Some(alice.as_str())
            })
            .expect("issue")
            .clone();
        assert!(ws.can_see_issue(&alice, &issue.id));
        ws.update_issue(
            &issue.key,
            crate::mutate::IssueUpdate {
                security_level_id: Some(Some("10100".into())),
                ..Default::default()
            },
        )
        .expect("update");
        assert!(!ws.can_see_issue(&alice, &issue.id));
        assert!(
            ws.issue(&issue.id)
                .is_some_and(|i| i.updated > issue.updated)
        );
        let err = ws.update_issue(
            "PUB-1",
            crate::mutate::IssueUpdate {
                security_level_id: Some(Some("10100".into())),
                ..Default::default()
            },
        );
        assert!(err.is_err());
    }
}

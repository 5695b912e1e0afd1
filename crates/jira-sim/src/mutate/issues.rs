//! Issue and comment mutations: create, update, move and delete issues and
//! sub-tasks ([`IssueUpdate`]); add, edit, restrict and delete comments.

use super::error::MutationError;
use crate::model::{AdfDoc, Comment, CommentVisibility, Issue, SUBTASK_TYPE, Workspace};

/// Changes to an issue; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueUpdate {
    /// New summary.
    pub summary: Option<String>,
    /// New plain-text description (rendered as ADF paragraphs).
    pub description_text: Option<String>,
    /// New assignee; `Some(None)` unassigns.
    pub assignee_account_id: Option<Option<String>>,
    /// New reporter; `Some(None)` clears it.
    pub reporter_account_id: Option<Option<String>>,
    /// New security level; `Some(None)` clears it (ignored on sub-tasks).
    pub security_level_id: Option<Option<String>>,
    /// New labels.
    pub labels: Option<Vec<String>>,
    /// New status and its category (`new`, `indeterminate`, `done`).
    pub status: Option<(String, String)>,
    /// New team-managed restriction (project role ids).
    pub restricted_to_role_ids: Option<Vec<String>>,
    /// A user picker field and its new account ids.
    pub user_custom_field: Option<(String, Vec<String>)>,
    /// A group picker field and its new group ids.
    pub group_custom_field: Option<(String, Vec<String>)>,
}

impl Workspace {
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
}

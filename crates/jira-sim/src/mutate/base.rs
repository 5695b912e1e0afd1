//! What every mutation shares: the workspace's clock ([`Workspace::now`]), lookups
//! that fail with a [`MutationError`], and the audit records mutations write.

use chrono::{DateTime, Duration, Utc};

use super::error::MutationError;
use crate::model::{AuditRecord, User, Workspace};

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

    pub(super) fn issue_index(&self, id_or_key: &str) -> Result<usize, MutationError> {
        self.issues
            .iter()
            .position(|i| i.id == id_or_key || i.key.eq_ignore_ascii_case(id_or_key))
            .ok_or_else(|| MutationError::UnknownIssue(id_or_key.to_string()))
    }

    pub(super) fn require_user(&self, account_id: &str) -> Result<(), MutationError> {
        self.user(account_id)
            .map(|_| ())
            .ok_or_else(|| MutationError::UnknownUser(account_id.to_string()))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn audit(
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

    pub(super) fn audit_issue(
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

    pub(super) fn comment_index(&self, comment_id: &str) -> Result<(usize, usize), MutationError> {
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

    pub(super) fn group_index(&self, group_id: &str) -> Result<usize, MutationError> {
        self.groups
            .iter()
            .position(|g| g.group_id == group_id)
            .ok_or_else(|| MutationError::UnknownGroup(group_id.to_string()))
    }

    pub(super) fn user_mut(&mut self, account_id: &str) -> Result<&mut User, MutationError> {
        self.users
            .iter_mut()
            .find(|u| u.account_id == account_id)
            .ok_or_else(|| MutationError::UnknownUser(account_id.to_string()))
    }
}

//! Comments and attachments as Jira writes them, and the order comments are served in.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::json;

use super::adf::Adf;
use super::user::UserRef;
use crate::model::{Attachment, Comment, CommentVisibility, Issue, Workspace, jira_time};

/// A comment of an issue.
pub struct CommentOut<'a> {
    /// Base URL of the simulator, for `self` links.
    pub base: &'a str,
    /// The workspace, for the author.
    pub ws: &'a Workspace,
    /// The issue holding the comment.
    pub issue: &'a Issue,
    /// The comment.
    pub comment: &'a Comment,
}

impl Serialize for CommentOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.comment;
        let author = UserRef {
            base: self.base,
            ws: self.ws,
            account_id: Some(&c.author_account_id),
        };
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "self",
            &format!(
                "{}/rest/api/3/issue/{}/comment/{}",
                self.base, self.issue.id, c.id
            ),
        )?;
        m.serialize_entry("id", &c.id)?;
        m.serialize_entry("author", &author)?;
        m.serialize_entry("body", &Adf(&c.body))?;
        m.serialize_entry("updateAuthor", &author)?;
        m.serialize_entry("created", &jira_time(&c.created))?;
        m.serialize_entry("updated", &jira_time(&c.updated))?;
        // OpenAPI `Comment.jsdPublic`: "Whether the comment is visible in Jira Service
        // Desk. Defaults to true when comments are created in the Jira Cloud Platform."
        m.serialize_entry("jsdPublic", &!c.internal)?;
        match &c.visibility {
            // OpenAPI `Visibility.identifier`: "The ID of the group or the name of the
            // role that visibility of this item is restricted to."
            Some(CommentVisibility::Group { group_id, name }) => m.serialize_entry(
                "visibility",
                &json!({"type": "group", "value": name, "identifier": group_id}),
            )?,
            Some(CommentVisibility::Role { name, .. }) => m.serialize_entry(
                "visibility",
                &json!({"type": "role", "value": name, "identifier": name}),
            )?,
            None => {}
        }
        m.end()
    }
}

/// An attachment as the issue field lists it.
pub struct AttachmentOut<'a> {
    /// Base URL of the simulator, for `self` and `content` links.
    pub base: &'a str,
    /// The workspace, for the author.
    pub ws: &'a Workspace,
    /// The attachment.
    pub attachment: &'a Attachment,
}

impl Serialize for AttachmentOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.attachment;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "self",
            &format!("{}/rest/api/3/attachment/{}", self.base, a.id),
        )?;
        m.serialize_entry("id", &a.id)?;
        m.serialize_entry("filename", &a.filename)?;
        m.serialize_entry(
            "author",
            &UserRef {
                base: self.base,
                ws: self.ws,
                account_id: Some(&a.author_account_id),
            },
        )?;
        m.serialize_entry("created", &jira_time(&a.created))?;
        m.serialize_entry("size", &a.size)?;
        m.serialize_entry("mimeType", &a.mime_type)?;
        m.serialize_entry(
            "content",
            &format!("{}/rest/api/3/attachment/content/{}", self.base, a.id),
        )?;
        m.end()
    }
}

/// Comments of an issue in creation order.
pub fn sorted_comments(issue: &Issue) -> Vec<&Comment> {
    let mut c: Vec<&Comment> = issue.comments.iter().collect();
    c.sort_by(|a, b| {
        a.created
            .cmp(&b.created)
            .then_with(|| num_cmp(&a.id, &b.id))
    });
    c
}

/// Compares numeric ids as numbers (longer = larger), others as text.
pub fn num_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

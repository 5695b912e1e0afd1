//! Turns one Jira issue (with all its comments and attachment texts) into index
//! documents: the issue's summary and description as Markdown chunks, one or more
//! chunks per comment and per attachment, each chunk with the three ACL tag lists
//! from `access` and the metadata search filters on. Pure: no I/O, so it is tested
//! without a server.

use access::{ChunkAcl, CommentVisibility, Directory, IssueFacts};

use crate::attachments::AttachmentText;
use crate::config::IndexingConfig;
use content::{ChunkOptions, TokenCounter};
use index::{ChunkDoc, ChunkKind};
use jira_cloud::model::{Comment, Issue};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Everything the index holds for one issue, ready to embed and write.
#[derive(Clone, Debug)]
pub struct IssueDocuments {
    pub issue_id: String,
    pub issue_key: String,
    pub project_id: String,
    pub project_key: String,
    pub updated: i64,
    /// Hash over the inputs of every chunk: unchanged hash, nothing to re-index.
    pub content_hash: String,
    pub docs: Vec<ChunkDoc>,
}

/// What document building needs besides the issue.
pub struct DocContext<'a> {
    pub directory: &'a Directory,
    /// Custom fields named by user/group custom-field grants.
    pub acl_fields: &'a [String],
    /// Site URL, for browse links.
    pub site_url: &'a str,
    pub counter: &'a dyn TokenCounter,
    pub chunking: &'a ChunkOptions,
    /// Which texts become chunks (issue, comments, attachments).
    pub indexing: &'a IndexingConfig,
}

/// The facts of an issue that decide who may see it.
pub fn issue_facts(issue: &Issue, acl_fields: &[String]) -> IssueFacts {
    let f = &issue.fields;
    let mut user_fields = Vec::new();
    let mut group_fields = Vec::new();
    for field in acl_fields {
        let Some(value) = f.custom.get(field) else {
            continue;
        };
        let values: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for v in values {
            if let Some(acc) = v.get("accountId").and_then(Value::as_str) {
                user_fields.push((field.clone(), acc.to_string()));
            } else if let Some(gid) = v.get("groupId").and_then(Value::as_str) {
                group_fields.push((field.clone(), gid.to_string()));
            }
        }
    }
    IssueFacts {
        project_id: f.project.as_ref().map(|p| p.id.clone()).unwrap_or_default(),
        reporter: f.reporter.as_ref().map(|u| u.account_id.clone()),
        assignee: f.assignee.as_ref().map(|u| u.account_id.clone()),
        security_level_id: f.security.as_ref().map(|s| s.id.clone()),
        user_fields,
        group_fields,
        restricted_to_roles: issue_restriction_roles(f.custom.get("issuerestriction")),
    }
}

/// Team-managed issue restriction (`issuerestriction`), when present: the role ids it
/// limits the issue to. An unreadable restriction yields `Some(vec![])`: deny.
fn issue_restriction_roles(value: Option<&Value>) -> Option<Vec<String>> {
    let value = value?;
    if value.is_null() {
        return None;
    }
    let restrictions = value.get("issuerestrictions")?;
    if restrictions.as_object().is_some_and(|o| o.is_empty()) {
        return None;
    }
    let roles = restrictions
        .get("projectrole")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| match r {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        });
    Some(roles.unwrap_or_default())
}

/// The visibility restriction of a comment, resolved to stable ids.
pub fn comment_visibility(
    comment: &Comment,
    project_id: &str,
    dir: &Directory,
) -> Option<CommentVisibility> {
    let vis = comment.visibility.as_ref()?;
    let by_id = vis.identifier.clone().filter(|s| !s.is_empty());
    let name = vis.value.as_deref().unwrap_or_default();
    Some(match vis.type_.as_str() {
        "group" => match by_id.or_else(|| {
            dir.groups
                .iter()
                .find(|g| g.name == name)
                .map(|g| g.group_id.clone())
        }) {
            Some(group_id) => CommentVisibility::Group { group_id },
            None => CommentVisibility::Unknown,
        },
        "role" => match by_id.or_else(|| {
            dir.role_actors
                .iter()
                .find(|r| r.project_id == project_id && r.role_name == name)
                .map(|r| r.role_id.clone())
        }) {
            Some(role_id) => CommentVisibility::Role { role_id },
            None => CommentVisibility::Unknown,
        },
        _ => CommentVisibility::Unknown,
    })
}

/// Builds all chunks of an issue, its comments and its attachments. Attachments are
/// seen by whoever sees the issue; each is a chunk at least by its file name.
pub fn build_issue_documents(
    issue: &Issue,
    comments: &[Comment],
    attachments: &[AttachmentText],
    ctx: &DocContext<'_>,
) -> IssueDocuments {
    let f = &issue.fields;
    let facts = issue_facts(issue, ctx.acl_fields);
    let project_key = f
        .project
        .as_ref()
        .map(|p| p.key.clone())
        .unwrap_or_else(|| issue.key.split('-').next().unwrap_or_default().to_string());
    let url = format!(
        "{}/browse/{}",
        ctx.site_url.trim_end_matches('/'),
        issue.key
    );
    let updated = f
        .updated
        .as_deref()
        .and_then(jira_cloud::parse_jira_time)
        .unwrap_or(0);
    let created = f.created.as_deref().and_then(jira_cloud::parse_jira_time);
    let base = ChunkDoc {
        chunk_id: String::new(),
        issue_id: issue.id.clone(),
        issue_key: issue.key.clone(),
        project_key: project_key.clone(),
        kind: ChunkKind::Issue,
        title: f.summary.clone(),
        text: String::new(),
        embed_text: String::new(),
        url: url.clone(),
        acl_project: Vec::new(),
        acl_issue: Vec::new(),
        acl_comment: Vec::new(),
        status: f.status.as_ref().map(|s| s.name.clone()),
        priority: f.priority.as_ref().map(|p| p.name.clone()),
        issue_type: f.issuetype.as_ref().map(|t| t.name.clone()),
        assignee: f.assignee.as_ref().map(|u| u.display_name.clone()),
        labels: f.labels.clone(),
        created,
        updated: Some(updated),
        content_hash: String::new(),
    };

    let mut docs = Vec::new();
    let description = f
        .description
        .as_ref()
        .map(content::adf_to_markdown)
        .unwrap_or_default();
    let issue_md = if description.trim().is_empty() {
        format!("# {}", f.summary)
    } else {
        format!("# {}\n\n{}", f.summary, description)
    };
    let issue_acl = access::issue_acl(&facts);
    if ctx.indexing.issues {
        push_chunks(
            &mut docs,
            &base,
            ChunkKind::Issue,
            &format!("issue:{}", issue.id),
            &issue_md,
            &url,
            &issue_acl,
            ctx,
            "",
        );
    }
    for c in comments.iter().filter(|_| ctx.indexing.comments) {
        let md = c
            .body
            .as_ref()
            .map(content::adf_to_markdown)
            .unwrap_or_default();
        if md.trim().is_empty() {
            continue;
        }
        let visibility = comment_visibility(c, &facts.project_id, ctx.directory);
        let acl = access::comment_acl(&facts, visibility.as_ref());
        let author = c
            .author
            .as_ref()
            .map(|a| a.display_name.clone())
            .unwrap_or_else(|| "unknown".into());
        let comment_url = format!("{url}?focusedCommentId={}", c.id);
        push_chunks(
            &mut docs,
            &base,
            ChunkKind::Comment,
            &format!("comment:{}", c.id),
            &md,
            &comment_url,
            &acl,
            ctx,
            &format!(" (comment by {author})"),
        );
    }

    for a in attachments.iter().filter(|_| ctx.indexing.attachments) {
        let md = if a.text.trim().is_empty() {
            format!("## {}", a.file_name)
        } else {
            format!("## {}\n\n{}", a.file_name, a.text)
        };
        let file_url = format!(
            "{}/secure/attachment/{}/{}",
            ctx.site_url.trim_end_matches('/'),
            a.attachment_id,
            url_segment(&a.file_name)
        );
        push_chunks(
            &mut docs,
            &base,
            ChunkKind::Attachment,
            &format!("attachment:{}", a.attachment_id),
            &md,
            &file_url,
            &issue_acl,
            ctx,
            &format!(" (attachment {})", a.file_name),
        );
    }

    let mut hasher = Sha256::new();
    for d in &docs {
        hasher.update(d.chunk_id.as_bytes());
        hasher.update([0]);
        hasher.update(d.content_hash.as_bytes());
        hasher.update([0]);
        for tag in d
            .acl_project
            .iter()
            .chain(&d.acl_issue)
            .chain(&d.acl_comment)
        {
            hasher.update(tag.as_bytes());
            hasher.update([1]);
        }
        let meta = serde_json::json!([
            d.status,
            d.priority,
            d.issue_type,
            d.assignee,
            d.labels,
            d.title,
            d.url
        ]);
        hasher.update(meta.to_string().as_bytes());
    }
    hasher.update(updated.to_le_bytes());
    IssueDocuments {
        issue_id: issue.id.clone(),
        issue_key: issue.key.clone(),
        project_id: facts.project_id.clone(),
        project_key,
        updated,
        content_hash: hex::encode(hasher.finalize()),
        docs,
    }
}

/// A file name as one URL path segment (RFC 3986 unreserved characters kept).
fn url_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn push_chunks(
    docs: &mut Vec<ChunkDoc>,
    base: &ChunkDoc,
    kind: ChunkKind,
    id_prefix: &str,
    markdown: &str,
    url: &str,
    acl: &ChunkAcl,
    ctx: &DocContext<'_>,
    context_suffix: &str,
) {
    for chunk in content::chunk_markdown(markdown, ctx.counter, ctx.chunking) {
        let embed_text = format!(
            "{}: {}{}\n{}",
            base.issue_key, base.title, context_suffix, chunk.text
        );
        let content_hash = hex::encode(Sha256::digest(embed_text.as_bytes()));
        docs.push(ChunkDoc {
            chunk_id: format!("{id_prefix}:{}", chunk.index),
            kind,
            text: chunk.text,
            embed_text,
            url: url.to_string(),
            acl_project: acl.project.clone(),
            acl_issue: acl.issue.clone(),
            acl_comment: acl.comment.clone(),
            content_hash,
            ..base.clone()
        });
    }
}

//! Turns one Jira issue (with all its comments and attachment texts) into index
//! documents: the issue's summary and description as Markdown chunks, one or more
//! chunks per comment and per attachment, each chunk with the three ACL tag lists
//! from `access` and the metadata search filters on. Pure: no I/O, so it is tested
//! without a server.

use access::{ChunkAcl, CommentVisibility, Directory, IssueFacts};

use crate::attachments::AttachmentText;
use config::IndexingConfig;
use content::{ChunkOptions, TokenCounter};
use index::{ChunkDoc, ChunkKind};
use jira_cloud::model::{Comment, Issue};
use serde_json::Value;
use sha2::{Digest, Sha256};
use state::{RunError, RunErrorKind};

/// Everything the index holds for one issue, ready to embed and write.
#[derive(Clone, Debug)]
pub struct IssueDocuments {
    /// The issue id.
    pub issue_id: String,
    /// The issue key.
    pub issue_key: String,
    /// Its project's id.
    pub project_id: String,
    /// Its project's key.
    pub project_key: String,
    /// Its `updated` time (epoch ms).
    pub updated: i64,
    /// Hash over the inputs of every chunk: unchanged hash, nothing to re-index.
    pub content_hash: String,
    /// The chunks, each with its three ACL tag lists.
    pub docs: Vec<ChunkDoc>,
    /// Access facts that could not be read and deny (fail closed), each naming the
    /// issue: reported with the run, never silently.
    pub problems: Vec<RunError>,
}

/// What document building needs besides the issue.
pub struct DocContext<'a> {
    /// The synced identity data (group and role names for comment restrictions).
    pub directory: &'a Directory,
    /// Custom fields named by user/group custom-field grants.
    pub acl_fields: &'a [String],
    /// Site URL, for browse links.
    pub site_url: &'a str,
    /// Counts tokens as the embedding model does.
    pub counter: &'a dyn TokenCounter,
    /// Chunk size and overlap.
    pub chunking: &'a ChunkOptions,
    /// Which texts become chunks (issue, comments, attachments).
    pub indexing: &'a IndexingConfig,
}

/// The security level a sub-task has: its parent's ("Sub-tasks inherit the security
/// level of their parent issue", Atlassian: "Configure issue security schemes"). The
/// sub-task's own `security` field is not relied on alone (Jira leaves fields out of
/// an answer when they are not on the issue type's screens). `parent`: the parent's
/// level (`None` = none). Where the sub-task names a different level than its
/// parent, the two cannot be ANDed in one gate: deny.
pub fn subtask_level(own: Option<&str>, parent: Option<&str>) -> Option<String> {
    match (own, parent) {
        (_, None) => own.map(str::to_string),
        (None, Some(p)) => Some(p.to_string()),
        (Some(o), Some(p)) if o == p => Some(p.to_string()),
        // An empty level id makes the issue gate deny (see `access::issue_acl`).
        (Some(_), Some(_)) => Some(String::new()),
    }
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
/// limits the issue to. Absent, `null`, or `{"issuerestrictions": {}}` (no
/// restriction) → `None`. Anything else that is not `{"issuerestrictions":
/// {"projectrole": [ids…]}}` with every id a string or number yields `Some(vec![])`:
/// deny, never read as open.
fn issue_restriction_roles(value: Option<&Value>) -> Option<Vec<String>> {
    let value = value?;
    if value.is_null() {
        return None;
    }
    let deny = Some(Vec::new());
    let Some(restrictions) = value.get("issuerestrictions") else {
        return deny;
    };
    let Some(restrictions) = restrictions.as_object() else {
        return deny;
    };
    if restrictions.is_empty() {
        return None;
    }
    if restrictions.keys().any(|k| k != "projectrole") {
        return deny;
    }
    let Some(items) = restrictions.get("projectrole").and_then(Value::as_array) else {
        return deny;
    };
    let mut roles = Vec::with_capacity(items.len());
    for r in items {
        match r {
            Value::String(s) if !s.trim().is_empty() => roles.push(s.clone()),
            Value::Number(n) => roles.push(n.to_string()),
            _ => return deny,
        }
    }
    Some(roles)
}

/// The visibility restriction of a comment, resolved to stable ids (OpenAPI
/// `Visibility`: `identifier` is "the ID of the group or the name of the role").
///
/// - `group`: by `identifier` (the groupId); by `value` (the name, which can change)
///   only when Jira sent no id.
/// - `role`: by name (`identifier`, else `value`) among the roles of the issue's
///   project; a name the project's role list lacks is `Unknown` (nobody sees the
///   comment), as is any other `type`.
pub fn comment_visibility(
    comment: &Comment,
    project_id: &str,
    dir: &Directory,
) -> Option<CommentVisibility> {
    let vis = comment.visibility.as_ref()?;
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    let identifier = nonempty(&vis.identifier);
    let value = nonempty(&vis.value);
    Some(match vis.type_.as_str() {
        "group" => match identifier.or_else(|| {
            let name = value?;
            dir.groups
                .iter()
                .find(|g| g.name == name)
                .map(|g| g.group_id.clone())
        }) {
            Some(group_id) => CommentVisibility::Group { group_id },
            None => CommentVisibility::Unknown,
        },
        "role" => {
            let names: Vec<String> = identifier.into_iter().chain(value).collect();
            let role = dir.role_actors.iter().find(|r| {
                r.project_id == project_id && !r.role_id.is_empty() && names.contains(&r.role_name)
            });
            match role {
                Some(r) => CommentVisibility::Role {
                    role_id: r.role_id.clone(),
                },
                None => CommentVisibility::Unknown,
            }
        }
        _ => CommentVisibility::Unknown,
    })
}

/// How a comment's restriction reads, for the report of one that resolves to nothing.
fn restriction_text(comment: &Comment) -> String {
    match &comment.visibility {
        Some(v) => format!(
            "{} {:?}",
            v.type_,
            v.identifier.as_deref().or(v.value.as_deref()).unwrap_or("")
        ),
        None => String::new(),
    }
}

/// Builds all chunks of an issue, its comments and its attachments. Attachments are
/// seen by whoever sees the issue; each is a chunk at least by its file name.
///
/// `inherited_level`: for a sub-task, its parent's security level (`Some(None)`: the
/// parent has none); see [`subtask_level`].
pub fn build_issue_documents(
    issue: &Issue,
    inherited_level: Option<&Option<String>>,
    comments: &[Comment],
    attachments: &[AttachmentText],
    ctx: &DocContext<'_>,
) -> IssueDocuments {
    let f = &issue.fields;
    let mut facts = issue_facts(issue, ctx.acl_fields);
    if let Some(parent) = inherited_level {
        facts.security_level_id =
            subtask_level(facts.security_level_id.as_deref(), parent.as_deref());
    }
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
    let mut problems = Vec::new();
    if facts
        .restricted_to_roles
        .as_ref()
        .is_some_and(Vec::is_empty)
    {
        problems.push(RunError::new(
            RunErrorKind::Access,
            &issue.key,
            "its team-managed restriction (issuerestriction) has a shape the index does not read: nobody finds it (fail closed)",
        ));
    }
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
        if visibility == Some(CommentVisibility::Unknown) {
            problems.push(RunError::new(
                RunErrorKind::Access,
                &issue.key,
                format!(
                    "comment {} is restricted to {}, which the project's roles and the site's groups do not name: nobody finds it (fail closed)",
                    c.id,
                    restriction_text(c)
                ),
            ));
        }
        let acl = access::comment_acl(&facts, visibility.as_ref(), c.is_internal());
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
        problems,
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

#[cfg(test)]
mod tag_paths;
#[cfg(test)]
mod tests;

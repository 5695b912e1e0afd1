//! What a person sees of one issue ([`IssueView`]: its text, the comments and
//! attachment texts visible to them, assembled from their visible chunks) and of the
//! projects ([`ProjectView`]).

use serde::Serialize;

/// A project a person can see something in.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ProjectView {
    /// The project key.
    pub key: String,
    /// The project name.
    pub name: String,
    /// Issues of the project the person may open.
    pub issues: usize,
}

/// One issue as a person may see it.
#[derive(Clone, Debug, Serialize)]
pub struct IssueView {
    /// The issue key (`ENG-12`).
    pub issue_key: String,
    /// The issue id.
    pub issue_id: String,
    /// Its project's key.
    pub project_key: String,
    /// The summary.
    pub title: String,
    /// The issue's page in Jira.
    pub url: String,
    /// Status name.
    pub status: Option<String>,
    /// Priority name.
    pub priority: Option<String>,
    /// Issue type name.
    pub issue_type: Option<String>,
    /// The assignee's display name.
    pub assignee: Option<String>,
    /// Labels.
    pub labels: Vec<String>,
    /// Epoch milliseconds.
    pub created: Option<i64>,
    /// Epoch milliseconds.
    pub updated: Option<i64>,
    /// Summary and description as Markdown (empty when issue text is not indexed).
    pub description: String,
    /// The comments the person may see, oldest first.
    pub comments: Vec<PartView>,
    /// The attachments' texts.
    pub attachments: Vec<PartView>,
}

/// A comment or an attachment of an issue view.
#[derive(Clone, Debug, Serialize)]
pub struct PartView {
    /// Comment or attachment id.
    pub id: String,
    /// Its link in Jira.
    pub url: String,
    /// Its text (all its visible chunks, joined).
    pub text: String,
}

impl IssueView {
    /// Assembles a view from the visible chunks of one issue (sorted by chunk id).
    pub(crate) fn from_chunks(docs: Vec<index::ChunkDoc>) -> Option<Self> {
        let first = docs.first()?;
        let mut view = IssueView {
            issue_key: first.issue_key.clone(),
            issue_id: first.issue_id.clone(),
            project_key: first.project_key.clone(),
            title: first.title.clone(),
            url: String::new(),
            status: first.status.clone(),
            priority: first.priority.clone(),
            issue_type: first.issue_type.clone(),
            assignee: first.assignee.clone(),
            labels: first.labels.clone(),
            created: first.created,
            updated: first.updated,
            description: String::new(),
            comments: Vec::new(),
            attachments: Vec::new(),
        };
        // Chunk ids are `<kind>:<source id>:<n>`; chunks of one source are joined in
        // their order.
        let mut sorted: Vec<(String, u32, index::ChunkDoc)> = docs
            .into_iter()
            .map(|d| {
                let mut parts = d.chunk_id.rsplitn(2, ':');
                let n = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                let source = parts.next().unwrap_or_default().to_string();
                (source, n, d)
            })
            .collect();
        sorted.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        for (source, _, d) in sorted {
            let id = source
                .split_once(':')
                .map(|(_, id)| id.to_string())
                .unwrap_or_default();
            let parts = match d.kind {
                index::ChunkKind::Issue => {
                    view.url = d.url.clone();
                    append(&mut view.description, &d.text);
                    continue;
                }
                index::ChunkKind::Comment => &mut view.comments,
                index::ChunkKind::Attachment => &mut view.attachments,
            };
            match parts.last_mut() {
                Some(last) if last.id == id => append(&mut last.text, &d.text),
                _ => parts.push(PartView {
                    id,
                    url: d.url.clone(),
                    text: d.text.clone(),
                }),
            }
        }
        if view.url.is_empty() {
            view.url = view
                .comments
                .first()
                .or(view.attachments.first())
                .map(|p| p.url.split('?').next().unwrap_or_default().to_string())
                .unwrap_or_default();
        }
        Some(view)
    }
}

fn append(out: &mut String, text: &str) {
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(text);
}

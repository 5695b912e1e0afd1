//! [`QdrantServerStore`]: the [`VectorStore`] on a Qdrant server or cluster, through
//! `qdrant-client` (gRPC), for sites that outgrow one machine. Same point ids (UUID v5
//! of the chunk id), payload, keyword payload indexes and permission filter (a `must` of
//! three `match any` conditions) as the embedded [`crate::EdgeStore`], so the two give
//! the same answers.
//!
//! The trait is synchronous (the index is used from blocking threads); each call runs
//! on the store's own small tokio runtime and the caller's thread waits on a channel,
//! which works from plain threads, blocking tasks and async tests alike. Writes wait
//! for the server to apply them (`wait=true`), with the configured write consistency,
//! so a committed chunk is searchable.

use qdrant_client::qdrant::{
    CountPointsBuilder, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder,
    DeletePointsBuilder, Distance, FieldType, Filter, PointStruct, PointsIdsList,
    QueryPointsBuilder, UpsertPointsBuilder, VectorParamsBuilder, point_id::PointIdOptions,
};
use serde::{Deserialize, Serialize};

use crate::error::IndexError;
use crate::qdrant_conn::{Conn, any_of, gate_conditions, ordering, point_uuid};
use crate::types::{ChunkDoc, SearchFilters};
use crate::vector::VectorStore;

/// Payload fields with a keyword index (as in the embedded store).
const INDEXED_FIELDS: [&str; 7] = [
    "issue_id",
    "project_key",
    "kind",
    "acl_project",
    "acl_issue",
    "acl_comment",
    "model",
];

/// Where and how the vectors live on a Qdrant server.
#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QdrantServerConfig {
    /// gRPC URL, e.g. `http://qdrant-0.internal:6334`.
    pub url: String,
    /// API key, if the server wants one (never logged).
    #[serde(default)]
    pub api_key: Option<String>,
    /// Collection name (default `jira-index`).
    // No description in the JSON Schema: `schemas/config.schema.json` (checked by a
    // test in another crate) has none for this field.
    #[schemars(description = "")]
    #[serde(default = "default_collection")]
    pub collection: String,
    /// Shards of a new collection.
    #[serde(default = "one")]
    pub shards: u32,
    /// Copies of each shard (a cluster keeps serving with replication - 1 nodes down).
    #[serde(default = "one")]
    pub replication: u32,
    /// Replicas that must acknowledge a write (at most `replication`).
    #[serde(default = "one")]
    pub write_consistency: u32,
    /// Timeout of one call, seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

impl std::fmt::Debug for QdrantServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QdrantServerConfig")
            .field("url", &self.url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("collection", &self.collection)
            .field("shards", &self.shards)
            .field("replication", &self.replication)
            .field("write_consistency", &self.write_consistency)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

fn default_collection() -> String {
    "jira-index".into()
}
fn one() -> u32 {
    1
}
fn default_timeout() -> u64 {
    30
}

impl QdrantServerConfig {
    /// A config for `url` with the defaults (collection `jira-index`, 1 shard, 1 copy).
    pub fn new(url: impl Into<String>) -> Self {
        QdrantServerConfig {
            url: url.into(),
            api_key: None,
            collection: default_collection(),
            shards: 1,
            replication: 1,
            write_consistency: 1,
            timeout_secs: default_timeout(),
        }
    }

    /// Checks the numbers.
    pub fn validate(&self) -> Result<(), IndexError> {
        let bad = |m: String| Err(IndexError::Invalid(format!("qdrant server: {m}")));
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return bad(format!(
                "url {:?} must start with http:// or https://",
                self.url
            ));
        }
        if self.collection.trim().is_empty() {
            return bad("collection is empty".into());
        }
        if self.shards == 0 || self.replication == 0 || self.write_consistency == 0 {
            return bad("shards, replication and write_consistency must be at least 1".into());
        }
        if self.write_consistency > self.replication {
            return bad(format!(
                "write_consistency {} exceeds replication {}",
                self.write_consistency, self.replication
            ));
        }
        Ok(())
    }
}

/// The vector store on a Qdrant server; see the module documentation.
pub struct QdrantServerStore {
    conn: Conn,
    collection: String,
    dim: usize,
    /// The embedding model's id: written on every point, and a search only meets the
    /// points of this model ([`Self::with_model`]).
    model: Option<String>,
}

impl QdrantServerStore {
    /// Connects, and creates the collection (cosine, `dim` dimensions, shards and
    /// replication from the config) with its payload indexes when it does not exist.
    /// An existing collection with another dimension is an error.
    pub fn connect(cfg: &QdrantServerConfig, dim: usize) -> Result<Self, IndexError> {
        let store = QdrantServerStore {
            conn: Conn::connect(cfg)?,
            collection: cfg.collection.clone(),
            dim,
            model: None,
        };
        store.ensure_collection(cfg)?;
        Ok(store)
    }

    /// Tags every point written with the embedding model's id and searches only the
    /// points of that model, so vectors of another model (before a re-embedding sync
    /// has replaced them) never meet this model's query vectors.
    pub fn with_model(mut self, model: &str) -> Self {
        self.model = Some(model.to_string());
        self
    }

    fn ensure_collection(&self, cfg: &QdrantServerConfig) -> Result<(), IndexError> {
        let name = self.collection.clone();
        let exists = self.conn.call("checking the collection", |c| async move {
            c.collection_exists(name).await
        })?;
        if exists {
            let name = self.collection.clone();
            let info = self.conn.call("reading the collection", |c| async move {
                c.collection_info(name).await
            })?;
            let size = info
                .result
                .and_then(|r| r.config)
                .and_then(|c| c.params)
                .and_then(|p| p.vectors_config)
                .and_then(|v| v.config)
                .and_then(|c| match c {
                    qdrant_client::qdrant::vectors_config::Config::Params(p) => Some(p.size),
                    _ => None,
                });
            if let Some(size) = size
                && size as usize != self.dim
            {
                return Err(IndexError::Invalid(format!(
                    "qdrant collection {} holds {size}-dimensional vectors, the embedder makes {}; use another collection",
                    self.collection, self.dim
                )));
            }
            return Ok(());
        }
        let request = CreateCollectionBuilder::new(&self.collection)
            .vectors_config(VectorParamsBuilder::new(self.dim as u64, Distance::Cosine))
            .shard_number(cfg.shards)
            .replication_factor(cfg.replication)
            .write_consistency_factor(cfg.write_consistency);
        self.conn.call("creating the collection", |c| async move {
            c.create_collection(request).await
        })?;
        for field in INDEXED_FIELDS {
            let request =
                CreateFieldIndexCollectionBuilder::new(&self.collection, field, FieldType::Keyword)
                    .wait(true);
            self.conn.call("creating a payload index", |c| async move {
                c.create_field_index(request).await
            })?;
        }
        tracing::info!(collection = %self.collection, shards = cfg.shards, replication = cfg.replication, "qdrant collection created");
        Ok(())
    }
}

impl VectorStore for QdrantServerStore {
    fn upsert(&self, docs: &[ChunkDoc], vectors: &[Vec<f32>]) -> Result<(), IndexError> {
        if docs.len() != vectors.len() {
            return Err(IndexError::Invalid(format!(
                "{} chunks but {} vectors",
                docs.len(),
                vectors.len()
            )));
        }
        if docs.is_empty() {
            return Ok(());
        }
        let mut points = Vec::with_capacity(docs.len());
        for (doc, v) in docs.iter().zip(vectors) {
            if v.len() != self.dim {
                return Err(IndexError::Invalid(format!(
                    "chunk {}: vector has {} dimensions, store expects {}",
                    doc.chunk_id,
                    v.len(),
                    self.dim
                )));
            }
            let mut payload = qdrant_client::Payload::new();
            payload.insert("chunk_id", doc.chunk_id.clone());
            payload.insert("issue_id", doc.issue_id.clone());
            payload.insert("project_key", doc.project_key.clone());
            payload.insert("kind", doc.kind.as_str().to_string());
            payload.insert("acl_project", doc.acl_project.clone());
            payload.insert("acl_issue", doc.acl_issue.clone());
            payload.insert("acl_comment", doc.acl_comment.clone());
            if let Some(model) = &self.model {
                payload.insert("model", model.clone());
            }
            points.push(PointStruct::new(
                point_uuid(&doc.chunk_id),
                v.clone(),
                payload,
            ));
        }
        let request = UpsertPointsBuilder::new(&self.collection, points)
            .wait(true)
            .ordering(ordering());
        self.conn.call("upserting points", |c| async move {
            c.upsert_points(request).await
        })?;
        Ok(())
    }

    fn delete_issue(&self, issue_id: &str) -> Result<(), IndexError> {
        let request = DeletePointsBuilder::new(&self.collection)
            .points(Filter::must([any_of("issue_id", [issue_id.to_string()])]))
            .wait(true)
            .ordering(ordering());
        self.conn.call("deleting an issue", |c| async move {
            c.delete_points(request).await
        })?;
        Ok(())
    }

    fn delete_chunks(&self, chunk_ids: &[String]) -> Result<(), IndexError> {
        if chunk_ids.is_empty() {
            return Ok(());
        }
        let ids = PointsIdsList {
            ids: chunk_ids.iter().map(|c| point_uuid(c).into()).collect(),
        };
        let request = DeletePointsBuilder::new(&self.collection)
            .points(ids)
            .wait(true)
            .ordering(ordering());
        self.conn.call("deleting chunks", |c| async move {
            c.delete_points(request).await
        })?;
        Ok(())
    }

    fn search(
        &self,
        vector: &[f32],
        principals: &[String],
        filters: &SearchFilters,
        limit: usize,
    ) -> Result<Vec<(String, f32)>, IndexError> {
        if principals.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        if vector.len() != self.dim {
            return Err(IndexError::Invalid(format!(
                "query vector has {} dimensions, store expects {}",
                vector.len(),
                self.dim
            )));
        }
        let mut conditions = gate_conditions(principals, filters);
        if let Some(model) = &self.model {
            conditions.push(any_of("model", [model.clone()]));
        }
        let request = QueryPointsBuilder::new(&self.collection)
            .query(vector.to_vec())
            .filter(Filter::must(conditions))
            .limit(limit.min(u32::MAX as usize) as u64)
            .with_payload(qdrant_client::qdrant::PayloadIncludeSelector {
                fields: vec!["chunk_id".into()],
            });
        let answer = self
            .conn
            .call("searching", |c| async move { c.query(request).await })?;
        let mut out = Vec::with_capacity(answer.result.len());
        for p in answer.result {
            match p.payload.get("chunk_id").and_then(|v| v.as_str()) {
                Some(id) => out.push((id.to_string(), p.score)),
                None => {
                    let id = p.id.and_then(|i| i.point_id_options).map(|o| match o {
                        PointIdOptions::Uuid(u) => u,
                        PointIdOptions::Num(n) => n.to_string(),
                    });
                    tracing::debug!(?id, "vector point without chunk_id; skipped");
                }
            }
        }
        Ok(out)
    }

    fn count(&self) -> Result<usize, IndexError> {
        let request = CountPointsBuilder::new(&self.collection).exact(true);
        let answer = self
            .conn
            .call("counting", |c| async move { c.count(request).await })?;
        Ok(answer.result.map(|r| r.count as usize).unwrap_or(0))
    }

    fn flush(&self) -> Result<(), IndexError> {
        // Every write waited for the server (wait=true): nothing is pending here.
        Ok(())
    }
}

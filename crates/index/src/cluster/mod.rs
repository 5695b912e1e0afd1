//! [`ClusterIndex`]: the whole index in one collection of a Qdrant server or cluster,
//! for deployments where search must not depend on one machine (`[index] backend =
//! "qdrant"`). Each chunk is one point: its dense vector (`dense`, cosine), its BM25
//! sparse vector (`bm25`, with Qdrant's `idf` modifier, see [`bm25`]), and every field
//! of the chunk as payload, the three ACL gates among them. Keyword, vector and
//! hybrid search all run on the cluster under the same permission filter as the
//! local index (a `must` of three "match any" conditions), and [`crate::SearchIndex`]
//! fuses the two sides with the same [`crate::Fusion`].
//!
//! The collection and its payload indexes are created before any point is written
//! (Qdrant, "Filtering" / "Indexing": a payload index created after ingest leaves the
//! HNSW graph without the links filtered searches need); `project_key` is a tenant
//! index. Writes wait for the cluster (`wait=true`, strong ordering, the configured
//! write consistency), so a written chunk is searchable on every replica that
//! acknowledged it.

pub(crate) mod bm25;
mod payload;
mod snippet;

use std::collections::{BTreeMap, HashSet};

use qdrant_client::qdrant::{
    Condition, CountPointsBuilder, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder,
    DeletePointsBuilder, Distance, FieldType, Filter, GetPointsBuilder, KeywordIndexParamsBuilder,
    Modifier, NamedVectors, PointId, PointStruct, PointsIdsList, QueryPointsBuilder,
    ScrollPointsBuilder, SparseVectorParamsBuilder, SparseVectorsConfigBuilder,
    UpsertPointsBuilder, VectorInput, VectorParamsBuilder, VectorsConfigBuilder,
};

use crate::error::IndexError;
use crate::qdrant_conn::{Conn, any_of, gate_conditions, ordering, point_uuid};
use crate::server_store::QdrantServerConfig;
use crate::types::{ChunkDoc, ChunkKind, ProjectStats, SearchFilters};

pub(crate) use snippet::snippet;

/// The dense vector's name.
const DENSE: &str = "dense";
/// The BM25 sparse vector's name.
const SPARSE: &str = "bm25";
/// Points read per scroll page.
const PAGE: u32 = 1000;
/// How much a chunk of an issue the query names by key outranks the best text match.
const KEY_BOOST: f32 = 10.0;

/// The index on a Qdrant server or cluster; see the module documentation.
pub struct ClusterIndex {
    conn: Conn,
    collection: String,
    dim: usize,
    /// The embedding model's id: written on every point; a vector search meets only
    /// the points of this model.
    model: Option<String>,
}

impl std::fmt::Debug for ClusterIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterIndex")
            .field("url", &self.conn.url)
            .field("collection", &self.collection)
            .finish()
    }
}

impl ClusterIndex {
    /// Connects, and creates the collection (dense `dim`-dimensional cosine vectors,
    /// BM25 sparse vectors, shards and replication from the config) with its payload
    /// indexes when it does not exist.
    pub fn connect(cfg: &QdrantServerConfig, dim: usize) -> Result<Self, IndexError> {
        let index = ClusterIndex {
            conn: Conn::connect(cfg)?,
            collection: cfg.collection.clone(),
            dim,
            model: None,
        };
        index.ensure_collection(cfg)?;
        Ok(index)
    }

    /// Tags every point written with the embedding model's id; vector searches meet
    /// only that model's points.
    pub fn with_model(mut self, model: &str) -> Self {
        self.model = Some(model.to_string());
        self
    }

    /// Where the index lives (`url/collection`), for logs and errors.
    pub fn location(&self) -> String {
        format!("{}/{}", self.conn.url, self.collection)
    }

    /// An existing collection must have this backend's layout: a dense vector named
    /// `dense` of the embedder's size and a sparse vector named `bm25` (a collection
    /// made by `[vectors.qdrant]`, or for another model, is refused by name).
    fn check_collection(&self) -> Result<(), IndexError> {
        use qdrant_client::qdrant::vectors_config::Config;
        let name = self.collection.clone();
        let info = self.conn.call("reading the collection", |c| async move {
            c.collection_info(name).await
        })?;
        let params = info.result.and_then(|r| r.config).and_then(|c| c.params);
        let dense = params
            .as_ref()
            .and_then(|p| p.vectors_config.as_ref())
            .and_then(|v| v.config.as_ref())
            .and_then(|c| match c {
                Config::ParamsMap(m) => m.map.get(DENSE).map(|p| p.size),
                Config::Params(_) => None,
            });
        let sparse = params
            .as_ref()
            .and_then(|p| p.sparse_vectors_config.as_ref())
            .is_some_and(|s| s.map.contains_key(SPARSE));
        match dense {
            Some(size) if size as usize == self.dim && sparse => Ok(()),
            Some(size) if sparse => Err(IndexError::Invalid(format!(
                "qdrant collection {} holds {size}-dimensional vectors, the embedder makes {}; use another collection",
                self.collection, self.dim
            ))),
            _ => Err(IndexError::Invalid(format!(
                "qdrant collection {} was not made by the qdrant index backend (no \"{DENSE}\" and \"{SPARSE}\" vectors); use another collection",
                self.collection
            ))),
        }
    }

    fn ensure_collection(&self, cfg: &QdrantServerConfig) -> Result<(), IndexError> {
        let name = self.collection.clone();
        let exists = self.conn.call("checking the collection", |c| async move {
            c.collection_exists(name).await
        })?;
        if exists {
            return self.check_collection();
        }
        let mut dense = VectorsConfigBuilder::default();
        dense.add_named_vector_params(
            DENSE,
            VectorParamsBuilder::new(self.dim as u64, Distance::Cosine),
        );
        let mut sparse = SparseVectorsConfigBuilder::default();
        sparse.add_named_vector_params(
            SPARSE,
            SparseVectorParamsBuilder::default().modifier(Modifier::Idf),
        );
        let request = CreateCollectionBuilder::new(&self.collection)
            .vectors_config(dense)
            .sparse_vectors_config(sparse)
            .shard_number(cfg.shards)
            .replication_factor(cfg.replication)
            .write_consistency_factor(cfg.write_consistency);
        self.conn.call("creating the collection", |c| async move {
            c.create_collection(request).await
        })?;
        for field in payload::KEYWORD_FIELDS {
            let mut request =
                CreateFieldIndexCollectionBuilder::new(&self.collection, field, FieldType::Keyword)
                    .wait(true);
            if field == payload::TENANT_FIELD {
                request = request
                    .field_index_params(KeywordIndexParamsBuilder::default().is_tenant(true));
            }
            self.conn.call("creating a payload index", |c| async move {
                c.create_field_index(request).await
            })?;
        }
        tracing::info!(collection = %self.collection, shards = cfg.shards, replication = cfg.replication, "qdrant index collection created");
        Ok(())
    }

    /// Adds or replaces chunks (by chunk id): payload, BM25 vector, and the dense
    /// vector when given (one per chunk).
    pub(crate) fn upsert(
        &self,
        docs: &[ChunkDoc],
        vectors: Option<&[Vec<f32>]>,
    ) -> Result<(), IndexError> {
        if docs.is_empty() {
            return Ok(());
        }
        let mut points = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            let terms = bm25::document(&doc.title, &doc.text);
            let mut named = NamedVectors::default().add_vector(
                SPARSE,
                qdrant_client::qdrant::Vector::new_sparse(terms.indices, terms.values),
            );
            if let Some(v) = vectors.map(|v| &v[i]) {
                if v.len() != self.dim {
                    return Err(IndexError::Invalid(format!(
                        "chunk {}: vector has {} dimensions, the collection expects {}",
                        doc.chunk_id,
                        v.len(),
                        self.dim
                    )));
                }
                named = named.add_vector(DENSE, v.clone());
            }
            let payload = payload::to_payload(doc, self.model.as_deref())?;
            points.push(PointStruct::new(point_uuid(&doc.chunk_id), named, payload));
        }
        let request = UpsertPointsBuilder::new(&self.collection, points)
            .wait(true)
            .ordering(ordering());
        self.conn.call("upserting points", |c| async move {
            c.upsert_points(request).await
        })?;
        Ok(())
    }

    /// Removes every chunk of an issue.
    pub(crate) fn delete_issue(&self, issue_id: &str) -> Result<(), IndexError> {
        let request = DeletePointsBuilder::new(&self.collection)
            .points(Filter::must([any_of("issue_id", [issue_id.to_string()])]))
            .wait(true)
            .ordering(ordering());
        self.conn.call("deleting an issue", |c| async move {
            c.delete_points(request).await
        })?;
        Ok(())
    }

    /// Removes chunks by id.
    pub(crate) fn delete_chunks(&self, chunk_ids: &[String]) -> Result<(), IndexError> {
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

    /// Chunks in the collection.
    pub(crate) fn count(&self) -> Result<usize, IndexError> {
        let request = CountPointsBuilder::new(&self.collection).exact(true);
        let answer = self
            .conn
            .call("counting", |c| async move { c.count(request).await })?;
        Ok(answer.result.map(|r| r.count as usize).unwrap_or(0))
    }

    /// Chunks carrying a dense vector of this index's model.
    pub(crate) fn vector_count(&self) -> Result<usize, IndexError> {
        let mut request = CountPointsBuilder::new(&self.collection).exact(true);
        if let Some(model) = &self.model {
            request = request.filter(Filter::must([any_of("model", [model.clone()])]));
        }
        let answer = self.conn.call(
            "counting vectors",
            |c| async move { c.count(request).await },
        )?;
        Ok(answer.result.map(|r| r.count as usize).unwrap_or(0))
    }

    /// BM25 search under the permission filter, best first, with the chunks. Chunks
    /// of an issue the query names by key (`ENG-42`) come first.
    pub(crate) fn keyword_search(
        &self,
        query: &str,
        principals: &[String],
        filters: &SearchFilters,
        limit: usize,
    ) -> Result<Vec<(ChunkDoc, f32)>, IndexError> {
        let terms = bm25::query(&crate::keyword::without_issue_keys(query));
        let mut hits = if terms.indices.is_empty() {
            Vec::new()
        } else {
            let input = VectorInput::new_sparse(terms.indices, terms.values);
            self.query(input, SPARSE, gate_conditions(principals, filters), limit)?
        };
        let keys = crate::keyword::issue_keys_in(query);
        if !keys.is_empty() {
            let best = hits.first().map_or(1.0, |(_, s)| *s).max(1.0);
            let mut conditions = gate_conditions(principals, filters);
            conditions.push(any_of("issue_key", keys));
            let mut keyed = self.scroll(Filter::must(conditions), limit)?;
            // Among equals, the issue's own text before its comments and attachments.
            keyed.sort_by(|a, b| {
                (a.kind != ChunkKind::Issue, &a.chunk_id)
                    .cmp(&(b.kind != ChunkKind::Issue, &b.chunk_id))
            });
            let text: std::collections::HashMap<String, f32> =
                hits.iter().map(|(d, s)| (d.chunk_id.clone(), *s)).collect();
            let ids: HashSet<String> = keyed.iter().map(|d| d.chunk_id.clone()).collect();
            hits.retain(|(d, _)| !ids.contains(&d.chunk_id));
            let mut boosted: Vec<(ChunkDoc, f32)> = keyed
                .into_iter()
                .map(|d| {
                    let s = best * KEY_BOOST + text.get(&d.chunk_id).copied().unwrap_or(0.0);
                    (d, s)
                })
                .collect();
            boosted.sort_by(|a, b| b.1.total_cmp(&a.1));
            boosted.extend(hits);
            hits = boosted;
            hits.truncate(limit);
        }
        Ok(hits)
    }

    /// Dense-vector search under the permission filter, best first, with the chunks.
    pub(crate) fn vector_search(
        &self,
        vector: &[f32],
        principals: &[String],
        filters: &SearchFilters,
        limit: usize,
    ) -> Result<Vec<(ChunkDoc, f32)>, IndexError> {
        if vector.len() != self.dim {
            return Err(IndexError::Invalid(format!(
                "query vector has {} dimensions, the collection expects {}",
                vector.len(),
                self.dim
            )));
        }
        let mut conditions = gate_conditions(principals, filters);
        if let Some(model) = &self.model {
            conditions.push(any_of("model", [model.clone()]));
        }
        self.query(
            VectorInput::new_dense(vector.to_vec()),
            DENSE,
            conditions,
            limit,
        )
    }

    fn query(
        &self,
        input: VectorInput,
        using: &str,
        conditions: Vec<Condition>,
        limit: usize,
    ) -> Result<Vec<(ChunkDoc, f32)>, IndexError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let request = QueryPointsBuilder::new(&self.collection)
            .query(input)
            .using(using)
            .filter(Filter::must(conditions))
            .limit(limit.min(u32::MAX as usize) as u64)
            .with_payload(true);
        let answer = self
            .conn
            .call("searching", |c| async move { c.query(request).await })?;
        Ok(answer
            .result
            .into_iter()
            .filter_map(|p| payload::from_payload(p.payload).map(|d| (d, p.score)))
            .collect())
    }

    /// Every chunk matching `filter` (at most `limit`), by scroll pages.
    fn scroll(&self, filter: Filter, limit: usize) -> Result<Vec<ChunkDoc>, IndexError> {
        let mut out = Vec::new();
        let mut offset: Option<PointId> = None;
        while out.len() < limit {
            let page = (limit - out.len()).min(PAGE as usize) as u32;
            let mut request = ScrollPointsBuilder::new(&self.collection)
                .filter(filter.clone())
                .limit(page)
                .with_payload(true);
            if let Some(o) = offset.take() {
                request = request.offset(o);
            }
            let answer = self
                .conn
                .call("scrolling", |c| async move { c.scroll(request).await })?;
            out.extend(
                answer
                    .result
                    .into_iter()
                    .filter_map(|p| payload::from_payload(p.payload)),
            );
            match answer.next_page_offset {
                Some(next) => offset = Some(next),
                None => break,
            }
        }
        Ok(out)
    }

    /// The stored chunk (no permission check: for callers that check themselves).
    pub(crate) fn get(&self, chunk_id: &str) -> Result<Option<ChunkDoc>, IndexError> {
        Ok(self.get_many(&[chunk_id.to_string()])?.into_iter().next())
    }

    /// Stored chunks by id (missing ones left out).
    pub(crate) fn get_many(&self, chunk_ids: &[String]) -> Result<Vec<ChunkDoc>, IndexError> {
        if chunk_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<PointId> = chunk_ids.iter().map(|c| point_uuid(c).into()).collect();
        let request = GetPointsBuilder::new(&self.collection, ids).with_payload(true);
        let answer = self.conn.call(
            "reading points",
            |c| async move { c.get_points(request).await },
        )?;
        Ok(answer
            .result
            .into_iter()
            .filter_map(|p| payload::from_payload(p.payload))
            .collect())
    }

    /// Every chunk of the issue with this key, by chunk id (no permission check).
    pub(crate) fn issue_chunks_by_key(&self, issue_key: &str) -> Result<Vec<ChunkDoc>, IndexError> {
        let filter = Filter::must([any_of("issue_key", [issue_key.to_string()])]);
        let mut docs = self.scroll(filter, usize::MAX)?;
        docs.sort_by(|a, b| a.chunk_id.cmp(&b.chunk_id));
        Ok(docs)
    }

    /// Chunk ids of the issue, sorted.
    pub(crate) fn issue_chunk_ids(&self, issue_id: &str) -> Result<Vec<String>, IndexError> {
        let filter = Filter::must([any_of("issue_id", [issue_id.to_string()])]);
        let mut ids: Vec<String> = self
            .scroll(filter, usize::MAX)?
            .into_iter()
            .map(|d| d.chunk_id)
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// What the index holds for one project (no permission filter: for admins).
    pub(crate) fn project_stats(&self, project_key: &str) -> Result<ProjectStats, IndexError> {
        let filter = Filter::must([any_of("project_key", [project_key.to_string()])]);
        Ok(ProjectStats::from_chunks(self.scroll(filter, usize::MAX)?))
    }

    /// For each project key, how many distinct issues have a chunk the principals
    /// may see (reads every visible chunk: for listings, not hot paths).
    pub(crate) fn visible_issue_counts_by_project(
        &self,
        principals: &[String],
    ) -> Result<BTreeMap<String, usize>, IndexError> {
        if principals.is_empty() {
            return Ok(BTreeMap::new());
        }
        let filter = Filter::must(gate_conditions(principals, &SearchFilters::default()));
        let docs = self.scroll(filter, usize::MAX)?;
        Ok(crate::types::issues_by_project(
            docs.iter()
                .map(|d| (d.issue_id.as_str(), d.project_key.as_str())),
        ))
    }
}

//! Vector stores behind one trait. [`EdgeStore`] is qdrant-edge embedded in-process,
//! on disk at `<dir>/vectors`: point id = UUID v5 of the chunk id, payload = chunk id,
//! issue id, project key, kind, the three ACL tag lists and the embedding model's id
//! (keyword payload indexes on all of them). Searches carry the permission filter as a
//! `must` of three `match any` conditions, and meet only the points of their model.
//!
//! qdrant-edge 0.7.0 quirks handled here: `EdgeShard::flush` and its `Drop` panic when
//! the WAL lock is held by a concurrent update (so updates and searches share a read
//! lock while flush/optimize take the write lock); `EdgeShard::load` does not replay the
//! WAL, so only flushed data survives a reopen (commit flushes); new points land in a
//! plain (brute-force) appendable segment until [`VectorStore::optimize`] builds HNSW;
//! the WAL is never acknowledged, so it grows by every operation ever written. Because
//! nothing replays it, closed WAL segments are dead weight once the shard is flushed:
//! [`EdgeStore`] deletes all but the newest closed segment when it opens the shard, and
//! re-opens the shard after a flush once they exceed [`WAL_PRUNE_BYTES`]. (The newest
//! closed and the open segment are kept: they carry the operation counter that point
//! versions are compared against.)

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use qdrant_edge::external::serde_json as qjson;
use qdrant_edge::{
    Condition, CountRequest, DEFAULT_VECTOR_NAME, Distance, EdgeConfig, EdgeShard,
    EdgeVectorParams, FieldCondition, FieldIndexOperations, Filter, JsonPath, Match, NamedQuery,
    PayloadFieldSchema, PayloadSchemaType, PointId, PointInsertOperations, PointOperations,
    PointStruct, QueryEnum, UpdateOperation, WalOptions, WithPayloadInterface,
};
use tracing::{debug, info};

use crate::error::IndexError;
use crate::types::{ChunkDoc, SearchFilters};

/// A store of chunk vectors with the permission filter built in.
pub trait VectorStore: Send + Sync {
    /// Inserts or replaces (by chunk id) the vectors of `docs` (same order, same length).
    fn upsert(&self, docs: &[ChunkDoc], vectors: &[Vec<f32>]) -> Result<(), IndexError>;
    /// Removes every vector of the issue.
    fn delete_issue(&self, issue_id: &str) -> Result<(), IndexError>;
    /// Removes the vectors of these chunks.
    fn delete_chunks(&self, chunk_ids: &[String]) -> Result<(), IndexError>;
    /// Nearest chunks passing all three ACL gates and the filters: `(chunk_id, score)`, best first.
    fn search(
        &self,
        vector: &[f32],
        principals: &[String],
        filters: &SearchFilters,
        limit: usize,
    ) -> Result<Vec<(String, f32)>, IndexError>;
    /// Number of stored vectors.
    fn count(&self) -> Result<usize, IndexError>;
    /// Makes every write so far durable.
    fn flush(&self) -> Result<(), IndexError>;
    /// Compacts and indexes (HNSW) what was written; may take a while and blocks the
    /// store meanwhile. For [`EdgeStore`] this is rarely worth it below ~100k chunks:
    /// measured (debug build, 2 cores, 384-d) a filtered brute-force search over 10k–30k
    /// points took 6–18 ms, an optimize of 10k/20k/30k points 19/71/100 s, and filtered
    /// searches afterwards were not faster. Nothing calls it implicitly.
    fn optimize(&self) -> Result<(), IndexError> {
        Ok(())
    }
}

/// Payload fields with a keyword index.
const INDEXED_FIELDS: [&str; 7] = [
    "issue_id",
    "project_key",
    "kind",
    "acl_project",
    "acl_issue",
    "acl_comment",
    "model",
];

/// Closed WAL segments above this size make a flush re-open the shard to prune them.
pub const WAL_PRUNE_BYTES: u64 = 256 * 1024 * 1024;

/// Tuning of an [`EdgeStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeStoreOptions {
    /// Size of one WAL segment file (used when the shard is created).
    pub wal_segment_bytes: usize,
    /// Closed WAL segments above this size make a flush re-open the shard to prune them.
    pub wal_prune_bytes: u64,
}

impl Default for EdgeStoreOptions {
    fn default() -> Self {
        EdgeStoreOptions {
            wal_segment_bytes: 8 * 1024 * 1024,
            wal_prune_bytes: WAL_PRUNE_BYTES,
        }
    }
}

/// qdrant-edge shard on disk.
pub struct EdgeStore {
    path: PathBuf,
    dim: usize,
    options: EdgeStoreOptions,
    /// Exclusive lock on `<dir>/.lock`, held while the store is open: qdrant-edge
    /// assumes a single owner of its files (it flushes on drop).
    _lock: std::fs::File,
    /// `None` only for the moment of a re-open inside [`VectorStore::flush`].
    shard: RwLock<Option<EdgeShard>>,
    /// The embedding model's id: written on every point, and a search only meets the
    /// points of this model ([`Self::with_model`]).
    model: Option<String>,
}

/// Takes the store's exclusive lock file, failing with [`IndexError::Busy`] when another
/// handle (in this or another process) holds it.
fn lock_dir(dir: &Path) -> Result<std::fs::File, IndexError> {
    let path = dir.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| IndexError::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(IndexError::Busy { path }),
        Err(std::fs::TryLockError::Error(e)) => Err(IndexError::io(&path, e)),
    }
}

/// Closed WAL segment files (`closed-<start index>`) of the shard at `dir`, oldest first.
fn closed_wal_segments(dir: &Path) -> Vec<(u64, PathBuf, u64)> {
    let Ok(entries) = std::fs::read_dir(dir.join("wal")) else {
        return Vec::new();
    };
    let mut out: Vec<(u64, PathBuf, u64)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let start: u64 = name.to_str()?.strip_prefix("closed-")?.parse().ok()?;
            let len = e.metadata().map(|m| m.len()).unwrap_or(0);
            Some((start, e.path(), len))
        })
        .collect();
    out.sort_by_key(|(start, _, _)| *start);
    out
}

/// Deletes every closed WAL segment but the newest. Only call while no shard is open
/// on `dir`. Returns the bytes freed.
fn prune_wal(dir: &Path) -> Result<u64, IndexError> {
    let mut segments = closed_wal_segments(dir);
    segments.pop(); // keep the newest closed segment
    let mut freed = 0;
    for (_, path, len) in segments {
        std::fs::remove_file(&path).map_err(|e| IndexError::io(&path, e))?;
        freed += len;
    }
    if freed > 0 {
        info!(path = %dir.display(), freed_mib = freed / (1024 * 1024), "pruned vector WAL");
    }
    Ok(freed)
}

impl std::fmt::Debug for EdgeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeStore")
            .field("path", &self.path)
            .field("dim", &self.dim)
            .finish()
    }
}

/// Point id of a chunk: UUID v5 (URL namespace) of the chunk id.
pub fn point_id(chunk_id: &str) -> PointId {
    PointId::Uuid(uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        chunk_id.as_bytes(),
    ))
}

/// A payload key as qdrant's `JsonPath` (our keys are plain identifiers).
fn json_path(key: &str) -> Result<JsonPath, IndexError> {
    key.parse()
        .map_err(|()| IndexError::Invalid(format!("payload key {key:?} is not a JSON path")))
}

fn any_of<'a>(
    key: &str,
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Condition, IndexError> {
    let values: Vec<String> = values.into_iter().map(str::to_string).collect();
    Ok(Condition::Field(FieldCondition::new_match(
        json_path(key)?,
        Match::from(values),
    )))
}

fn must(conditions: Vec<Condition>) -> Filter {
    Filter {
        should: None,
        min_should: None,
        must: Some(conditions),
        must_not: None,
    }
}

impl EdgeStore {
    /// Opens the shard in `dir` (the `vectors` folder itself), creating it with cosine
    /// distance and `dim` dimensions when absent.
    pub fn open(dir: &Path, dim: usize) -> Result<Self, IndexError> {
        Self::open_with(dir, dim, EdgeStoreOptions::default())
    }

    /// [`Self::open`] with explicit options.
    pub fn open_with(
        dir: &Path,
        dim: usize,
        options: EdgeStoreOptions,
    ) -> Result<Self, IndexError> {
        let verr = |context: &str, message: String| IndexError::Vector {
            path: dir.to_path_buf(),
            context: context.to_string(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let lock = lock_dir(dir)?;
        let exists = dir.join("edge_config.json").exists();
        let shard = if exists {
            prune_wal(dir)?;
            EdgeShard::load(dir, None).map_err(|e| verr("loading shard", e.to_string()))?
        } else {
            let config = EdgeConfig::builder()
                .vector(
                    DEFAULT_VECTOR_NAME,
                    EdgeVectorParams::builder(dim, Distance::Cosine)
                        .on_disk(true)
                        .build(),
                )
                .on_disk_payload(true)
                .wal_options(WalOptions {
                    segment_capacity: options.wal_segment_bytes,
                    ..WalOptions::default()
                })
                .build();
            let shard =
                EdgeShard::new(dir, config).map_err(|e| verr("creating shard", e.to_string()))?;
            for field in INDEXED_FIELDS {
                let op = UpdateOperation::FieldIndexOperation(FieldIndexOperations::CreateIndex(
                    qdrant_edge::CreateIndex {
                        field_name: json_path(field)?,
                        field_schema: Some(PayloadFieldSchema::FieldType(
                            PayloadSchemaType::Keyword,
                        )),
                    },
                ));
                shard
                    .update(op)
                    .map_err(|e| verr(&format!("indexing payload field {field}"), e.to_string()))?;
            }
            info!(path = %dir.display(), dim, "created vector shard");
            shard
        };
        let stored_dim = shard
            .config()
            .vectors
            .get(DEFAULT_VECTOR_NAME)
            .map(|v| v.size);
        if stored_dim != Some(dim) {
            return Err(verr(
                "opening shard",
                format!("stored vectors have dimension {stored_dim:?}, embedder gives {dim}"),
            ));
        }
        let store = EdgeStore {
            path: dir.to_path_buf(),
            dim,
            options,
            _lock: lock,
            shard: RwLock::new(Some(shard)),
            model: None,
        };
        if !exists {
            store.flush()?;
        }
        Ok(store)
    }

    /// Tags every point written with the embedding model's id and searches only the
    /// points of that model, so vectors of another model (before a re-embedding sync
    /// has replaced them) never meet this model's query vectors.
    pub fn with_model(mut self, model: &str) -> Self {
        self.model = Some(model.to_string());
        self
    }

    fn err(
        &self,
        context: impl Into<String>,
    ) -> impl FnOnce(qdrant_edge::OperationError) -> IndexError {
        let path = self.path.clone();
        let context = context.into();
        move |e| IndexError::Vector {
            path,
            context,
            message: e.to_string(),
        }
    }

    fn closed_error(&self, context: &str) -> IndexError {
        IndexError::Vector {
            path: self.path.clone(),
            context: context.to_string(),
            message: "shard is closed after a failed re-open".into(),
        }
    }

    /// Runs `f` on the shard under the shared lock (updates, searches, counts).
    fn shared<T>(
        &self,
        context: &str,
        f: impl FnOnce(&EdgeShard) -> Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        let guard = self.shard.read().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(shard) => f(shard),
            None => Err(self.closed_error(context)),
        }
    }

    fn update(&self, op: UpdateOperation, context: impl Into<String>) -> Result<(), IndexError> {
        let context = context.into();
        self.shared(&context, |shard| {
            shard.update(op).map_err(self.err(context.clone()))
        })
    }

    /// Runs `f` on the exclusively held shard, turning a panic inside qdrant-edge into an
    /// error; afterwards re-opens the shard when closed WAL segments exceed
    /// [`WAL_PRUNE_BYTES`].
    fn exclusive(
        &self,
        context: &str,
        f: impl FnOnce(&EdgeShard) -> Result<(), IndexError>,
    ) -> Result<(), IndexError> {
        let mut guard = self.shard.write().unwrap_or_else(|e| e.into_inner());
        let Some(shard) = guard.as_ref() else {
            return Err(self.closed_error(context));
        };
        let panicked = |what: &str| IndexError::Vector {
            path: self.path.clone(),
            context: what.to_string(),
            message: "qdrant-edge panicked".into(),
        };
        match std::panic::catch_unwind(AssertUnwindSafe(|| f(shard))) {
            Ok(r) => r?,
            Err(_) => return Err(panicked(context)),
        }
        let closed: u64 = closed_wal_segments(&self.path)
            .iter()
            .map(|(_, _, len)| len)
            .sum();
        if closed > self.options.wal_prune_bytes {
            // Dropping the shard flushes it (again) and releases its files.
            let old = guard.take();
            if std::panic::catch_unwind(AssertUnwindSafe(move || drop(old))).is_err() {
                return Err(panicked("closing shard to prune its WAL"));
            }
            prune_wal(&self.path)?;
            let shard = EdgeShard::load(&self.path, None).map_err(self.err("re-opening shard"))?;
            *guard = Some(shard);
        }
        Ok(())
    }
}

impl VectorStore for EdgeStore {
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
            let mut payload = qjson::json!({
                "chunk_id": doc.chunk_id,
                "issue_id": doc.issue_id,
                "project_key": doc.project_key,
                "kind": doc.kind.as_str(),
                "acl_project": doc.acl_project,
                "acl_issue": doc.acl_issue,
                "acl_comment": doc.acl_comment,
            });
            if let Some(model) = &self.model {
                payload["model"] = qjson::Value::from(model.as_str());
            }
            points.push(PointStruct::new(point_id(&doc.chunk_id), v.clone(), payload).into());
        }
        let op = UpdateOperation::PointOperation(PointOperations::UpsertPoints(
            PointInsertOperations::PointsList(points),
        ));
        self.update(op, format!("upserting {} points", docs.len()))
    }

    fn delete_issue(&self, issue_id: &str) -> Result<(), IndexError> {
        let op =
            UpdateOperation::PointOperation(PointOperations::DeletePointsByFilter(must(vec![
                any_of("issue_id", [issue_id])?,
            ])));
        self.update(op, format!("deleting issue {issue_id}"))
    }

    fn delete_chunks(&self, chunk_ids: &[String]) -> Result<(), IndexError> {
        if chunk_ids.is_empty() {
            return Ok(());
        }
        let ids = chunk_ids.iter().map(|c| point_id(c)).collect();
        let op = UpdateOperation::PointOperation(PointOperations::DeletePoints { ids });
        self.update(op, format!("deleting {} chunks", chunk_ids.len()))
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
        let tags = || principals.iter().map(String::as_str);
        let mut conditions = vec![
            any_of("acl_project", tags())?,
            any_of("acl_issue", tags())?,
            any_of("acl_comment", tags())?,
        ];
        if !filters.project_keys.is_empty() {
            conditions.push(any_of(
                "project_key",
                filters.project_keys.iter().map(String::as_str),
            )?);
        }
        if !filters.kinds.is_empty() {
            conditions.push(any_of("kind", filters.kinds.iter().map(|k| k.as_str()))?);
        }
        if let Some(model) = &self.model {
            conditions.push(any_of("model", [model.as_str()])?);
        }
        let request = qdrant_edge::SearchRequest {
            query: QueryEnum::Nearest(NamedQuery::default_dense(vector.to_vec())),
            filter: Some(must(conditions)),
            params: None,
            limit,
            offset: 0,
            with_payload: Some(WithPayloadInterface::Fields(vec![json_path("chunk_id")?])),
            with_vector: None,
            score_threshold: None,
        };
        let points = self.shared("searching", |shard| {
            shard.search(request).map_err(self.err("searching"))
        })?;
        let mut out = Vec::with_capacity(points.len());
        for p in points {
            let chunk_id = p
                .payload
                .as_ref()
                .and_then(|pl| pl.0.get("chunk_id"))
                .and_then(|v| v.as_str());
            match chunk_id {
                Some(id) => out.push((id.to_string(), p.score)),
                None => debug!(id = %p.id, "vector point without chunk_id; skipped"),
            }
        }
        Ok(out)
    }

    fn count(&self) -> Result<usize, IndexError> {
        self.shared("counting", |shard| {
            shard
                .count(CountRequest {
                    filter: None,
                    exact: true,
                })
                .map_err(self.err("counting"))
        })
    }

    fn flush(&self) -> Result<(), IndexError> {
        self.exclusive("flushing", |shard| {
            shard.flush();
            Ok(())
        })
    }

    fn optimize(&self) -> Result<(), IndexError> {
        let path = self.path.clone();
        self.exclusive("optimizing", |shard| {
            let optimized = shard.optimize().map_err(|e| IndexError::Vector {
                path,
                context: "optimizing".into(),
                message: e.to_string(),
            })?;
            debug!(optimized, "vector shard optimized");
            shard.flush();
            Ok(())
        })
    }
}

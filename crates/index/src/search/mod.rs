//! [`SearchIndex`]: the index the rest of the program writes and searches, on one of
//! two backends. *Local*: the keyword index (tantivy) and a vector store (qdrant-edge
//! in the same directory, or a Qdrant server) kept in step by a pending-write log.
//! *Cluster*: one collection on a Qdrant server or cluster holding text, BM25 and
//! dense vectors ([`ClusterIndex`]), so that search replicas need no local files.
//! Both apply the permission filter on every path and re-check every hit against its
//! stored tags; hybrid search fuses the two sides with the same [`Fusion`].

mod fusion;
mod query;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tracing::warn;

pub use fusion::Fusion;

use crate::acl::acl_allows;
use crate::cluster::ClusterIndex;
use crate::embedder::Embedder;
use crate::error::IndexError;
use crate::journal::{Journal, Pending};
use crate::keyword::KeywordIndex;
use crate::types::{ChunkDoc, EMBEDDING_DIM, ProjectStats};
use crate::vector::{EdgeStore, VectorStore};

/// Where the chunks live.
// One per open index: the variants' size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum Store {
    /// Keyword index + optional vector store in a directory.
    Local {
        keyword: KeywordIndex,
        vectors: Option<Box<dyn VectorStore>>,
        /// Pending-write log; only with a vector store (two stores to keep in step).
        journal: Option<Journal>,
    },
    /// One collection on a Qdrant server or cluster.
    Cluster(ClusterIndex),
}

/// The index: chunks, their text and vectors, and the searches over them.
pub struct SearchIndex {
    dir: PathBuf,
    store: Store,
    embedder: Option<Arc<Embedder>>,
    fusion: std::sync::RwLock<Fusion>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match &self.store {
            Store::Local { vectors, .. } => format!("local (vectors: {})", vectors.is_some()),
            Store::Cluster(c) => format!("cluster {}", c.location()),
        };
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("backend", &backend)
            .field("embedder", &self.embedder.is_some())
            .finish()
    }
}

impl SearchIndex {
    /// Opens (or creates) `<dir>/keyword` and `<dir>/vectors`. Without an embedder the
    /// index runs keyword-only: vectors are skipped on write (an existing vector store
    /// is still opened so deletions reach it) and searches use BM25.
    pub fn open(dir: &Path, embedder: Option<Arc<Embedder>>) -> Result<Self, IndexError> {
        let vectors_dir = dir.join("vectors");
        let vectors: Option<Box<dyn VectorStore>> = match &embedder {
            Some(e) => Some(Box::new(
                EdgeStore::open(&vectors_dir, e.dim())?.with_model(e.model().id()),
            )),
            None if vectors_dir.join("edge_config.json").exists() => {
                match EdgeStore::open(&vectors_dir, EMBEDDING_DIM) {
                    Ok(store) => Some(Box::new(store)),
                    // A keyword-only reader next to the process that owns the vectors.
                    Err(IndexError::Busy { path }) => {
                        warn!(path = %path.display(), "vector store in use elsewhere; keyword-only");
                        None
                    }
                    Err(e) => return Err(e),
                }
            }
            None => None,
        };
        Self::with_store(dir, embedder, vectors)
    }

    /// Like [`Self::open`] with a caller-chosen vector store (e.g. a Qdrant server).
    pub fn with_store(
        dir: &Path,
        embedder: Option<Arc<Embedder>>,
        vectors: Option<Box<dyn VectorStore>>,
    ) -> Result<Self, IndexError> {
        let keyword = KeywordIndex::open(&dir.join("keyword"))?;
        let journal = vectors.as_ref().map(|_| Journal::new(dir));
        let index = SearchIndex {
            dir: dir.to_path_buf(),
            store: Store::Local {
                keyword,
                vectors,
                journal,
            },
            embedder,
            fusion: std::sync::RwLock::new(Fusion::default()),
        };
        index.recover()?;
        Ok(index)
    }

    /// The whole index on a Qdrant server or cluster: nothing is kept locally.
    pub fn on_cluster(cluster: ClusterIndex, embedder: Option<Arc<Embedder>>) -> Self {
        SearchIndex {
            dir: PathBuf::from(cluster.location()),
            store: Store::Cluster(cluster),
            embedder,
            fusion: std::sync::RwLock::new(Fusion::default()),
        }
    }

    /// Whether the index lives on a Qdrant cluster (no local files).
    pub fn is_cluster(&self) -> bool {
        matches!(self.store, Store::Cluster(_))
    }

    /// Repairs what an interrupted write left (see [`crate::journal`]): every issue
    /// and chunk written since the last commit is deleted from both stores, and the
    /// issues are listed in [`Self::recovered_issues`].
    fn recover(&self) -> Result<(), IndexError> {
        let Store::Local {
            keyword,
            vectors: Some(store),
            journal: Some(journal),
        } = &self.store
        else {
            return Ok(());
        };
        let leftover = journal.leftover()?;
        if leftover.is_empty() {
            return Ok(());
        }
        let mut issues = Vec::new();
        let mut chunks = Vec::new();
        for entry in leftover {
            match entry {
                Pending::Issue(id) => issues.push(id),
                Pending::Chunk(id) => chunks.push(id),
            }
        }
        issues.sort();
        issues.dedup();
        for id in &issues {
            store.delete_issue(id)?;
            keyword.delete_issue(id)?;
        }
        store.delete_chunks(&chunks)?;
        keyword.delete_chunks(&chunks)?;
        store.flush()?;
        keyword.commit()?;
        journal.add_recovered(&issues)?;
        journal.committed()?;
        warn!(
            path = %self.dir.display(),
            issues = issues.len(),
            chunks = chunks.len(),
            "an earlier write was interrupted: its issues were removed from both stores and will be indexed again by the next sync"
        );
        Ok(())
    }

    fn journal(&self) -> Option<&Journal> {
        match &self.store {
            Store::Local { journal, .. } => journal.as_ref(),
            Store::Cluster(_) => None,
        }
    }

    /// Issues an interrupted write left half-written, removed from both stores by the
    /// recovery on open; the sync forgets them so that it indexes them again, then
    /// calls [`Self::clear_recovered`]. (The cluster keeps no two stores in step:
    /// always empty there.)
    pub fn recovered_issues(&self) -> Result<Vec<String>, IndexError> {
        match self.journal() {
            Some(j) => j.recovered(),
            None => Ok(Vec::new()),
        }
    }

    /// The recovered issues were taken up.
    pub fn clear_recovered(&self) -> Result<(), IndexError> {
        match self.journal() {
            Some(j) => j.clear_recovered(),
            None => Ok(()),
        }
    }

    /// Logs, in one durable write, the issues about to be written (deleted or
    /// upserted) before the next commit. Optional: every write logs what it touches
    /// anyway; this only saves one fsync per write for batch writers.
    pub fn begin_write(&self, issue_ids: &[String]) -> Result<(), IndexError> {
        self.log(issue_ids.iter().map(|id| Pending::Issue(id.clone())))
    }

    fn log(&self, entries: impl IntoIterator<Item = Pending>) -> Result<(), IndexError> {
        match self.journal() {
            Some(j) => j.log(entries),
            None => Ok(()),
        }
    }

    /// The fusion hybrid searches use.
    pub fn fusion(&self) -> Fusion {
        *self.fusion.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the fusion of later hybrid searches.
    pub fn set_fusion(&self, fusion: Fusion) {
        *self.fusion.write().unwrap_or_else(|e| e.into_inner()) = fusion;
    }

    /// Waits for background merges of the keyword index to finish (see
    /// [`KeywordIndex::wait_merges`]; nothing to wait for on a cluster).
    pub fn wait_merges(&self) -> Result<(), IndexError> {
        match &self.store {
            Store::Local { keyword, .. } => keyword.wait_merges(),
            Store::Cluster(_) => Ok(()),
        }
    }

    /// The directory holding both stores (on a cluster: its URL and collection).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The query embedder, when vectors are on.
    pub fn embedder(&self) -> Option<&Arc<Embedder>> {
        self.embedder.as_ref()
    }

    /// The local keyword side (stored chunks, BM25); `None` on a cluster.
    pub fn keyword(&self) -> Option<&KeywordIndex> {
        match &self.store {
            Store::Local { keyword, .. } => Some(keyword),
            Store::Cluster(_) => None,
        }
    }

    /// Adds or replaces chunks by `chunk_id`. `vectors`, when given, must match `docs`
    /// one to one; they go to the vector store (skipped when there is none). Without
    /// vectors, any old vectors of these chunks are removed.
    /// Visible to searches after [`Self::commit`].
    pub fn upsert(
        &self,
        docs: &[ChunkDoc],
        vectors: Option<&[Vec<f32>]>,
    ) -> Result<(), IndexError> {
        self.write(docs, vectors, true)
    }

    /// [`Self::upsert`] for chunks the keyword index has never held (of an issue it
    /// holds nothing of, committed or not): they are added without first removing
    /// older copies by `chunk_id`, which saves a delete term per chunk. A chunk the
    /// index does hold would be doubled: use [`Self::upsert`] when unsure. (On a
    /// cluster a point is replaced by its id either way.)
    pub fn insert_new(
        &self,
        docs: &[ChunkDoc],
        vectors: Option<&[Vec<f32>]>,
    ) -> Result<(), IndexError> {
        self.write(docs, vectors, false)
    }

    fn write(
        &self,
        docs: &[ChunkDoc],
        vectors: Option<&[Vec<f32>]>,
        replace: bool,
    ) -> Result<(), IndexError> {
        if let Some(v) = vectors
            && v.len() != docs.len()
        {
            return Err(IndexError::Invalid(format!(
                "{} chunks but {} vectors",
                docs.len(),
                v.len()
            )));
        }
        if docs.is_empty() {
            return Ok(());
        }
        let (keyword, store) = match &self.store {
            Store::Cluster(c) => return c.upsert(docs, vectors),
            Store::Local {
                keyword, vectors, ..
            } => (keyword, vectors),
        };
        self.log(docs.iter().map(|d| Pending::Issue(d.issue_id.clone())))?;
        match (store, vectors) {
            (Some(store), Some(v)) => store.upsert(docs, v)?,
            // No new vectors: drop stale ones so the vector side never serves old text.
            (Some(store), None) => {
                let ids: Vec<String> = docs.iter().map(|d| d.chunk_id.clone()).collect();
                store.delete_chunks(&ids)?;
            }
            (None, _) => {}
        }
        if replace {
            keyword.upsert(docs)
        } else {
            keyword.insert_new(docs)
        }
    }

    /// Embeds `embed_text` of the chunks (when an embedder is loaded) and upserts them.
    pub fn embed_and_upsert(&self, docs: &[ChunkDoc]) -> Result<(), IndexError> {
        match (&self.embedder, self.has_vector_store()) {
            (Some(e), true) => {
                let texts: Vec<&str> = docs.iter().map(|d| d.embed_text.as_str()).collect();
                let vectors = e.embed(&texts)?;
                self.upsert(docs, Some(&vectors))
            }
            _ => self.upsert(docs, None),
        }
    }

    /// Removes every chunk of the issue from both stores.
    pub fn delete_issue(&self, issue_id: &str) -> Result<(), IndexError> {
        match &self.store {
            Store::Cluster(c) => c.delete_issue(issue_id),
            Store::Local {
                keyword, vectors, ..
            } => {
                self.log([Pending::Issue(issue_id.to_string())])?;
                if let Some(store) = vectors {
                    store.delete_issue(issue_id)?;
                }
                keyword.delete_issue(issue_id)
            }
        }
    }

    /// Removes these chunks from both stores.
    pub fn delete_chunks(&self, chunk_ids: &[String]) -> Result<(), IndexError> {
        match &self.store {
            Store::Cluster(c) => c.delete_chunks(chunk_ids),
            Store::Local {
                keyword, vectors, ..
            } => {
                self.log(chunk_ids.iter().map(|c| Pending::Chunk(c.clone())))?;
                if let Some(store) = vectors {
                    store.delete_chunks(chunk_ids)?;
                }
                keyword.delete_chunks(chunk_ids)
            }
        }
    }

    /// Makes all writes durable and visible: vector flush first, then the tantivy
    /// commit, then the pending-write log is emptied (a crash before that is repaired
    /// on the next open, see [`crate::journal`]). On a cluster every write was
    /// already acknowledged by the replicas: nothing to do.
    pub fn commit(&self) -> Result<(), IndexError> {
        let Store::Local {
            keyword,
            vectors,
            journal,
        } = &self.store
        else {
            return Ok(());
        };
        if let Some(store) = vectors {
            store.flush()?;
        }
        keyword.commit()?;
        match journal {
            Some(j) => j.committed(),
            None => Ok(()),
        }
    }

    /// Compacts the vector store and builds its HNSW index; call after a large sync.
    pub fn optimize(&self) -> Result<(), IndexError> {
        match &self.store {
            Store::Local {
                vectors: Some(store),
                ..
            } => store.optimize(),
            _ => Ok(()),
        }
    }

    /// Picks up commits made by another process.
    pub fn reload(&self) -> Result<(), IndexError> {
        match &self.store {
            Store::Local { keyword, .. } => keyword.reload(),
            Store::Cluster(_) => Ok(()),
        }
    }

    /// Number of committed chunks.
    pub fn chunk_count(&self) -> Result<usize, IndexError> {
        match &self.store {
            Store::Local { keyword, .. } => Ok(keyword.count()),
            Store::Cluster(c) => c.count(),
        }
    }

    /// Whether dense vectors are stored (a local vector store, or the cluster).
    pub fn has_vector_store(&self) -> bool {
        match &self.store {
            Store::Local { vectors, .. } => vectors.is_some(),
            Store::Cluster(_) => true,
        }
    }

    /// Number of stored vectors (0 without a vector store).
    pub fn vector_count(&self) -> Result<usize, IndexError> {
        match &self.store {
            Store::Local {
                vectors: Some(store),
                ..
            } => store.count(),
            Store::Local { vectors: None, .. } => Ok(0),
            Store::Cluster(c) => c.vector_count(),
        }
    }

    /// Committed chunk ids of the issue, sorted.
    pub fn issue_chunk_ids(&self, issue_id: &str) -> Result<Vec<String>, IndexError> {
        match &self.store {
            Store::Local { keyword, .. } => keyword.issue_chunk_ids(issue_id),
            Store::Cluster(c) => c.issue_chunk_ids(issue_id),
        }
    }

    /// Every committed chunk of the issue with this key, by chunk id (no permission
    /// check: the caller filters; see [`Self::visible_issue_chunks`]).
    pub fn issue_chunks_by_key(&self, issue_key: &str) -> Result<Vec<ChunkDoc>, IndexError> {
        match &self.store {
            Store::Local { keyword, .. } => keyword.issue_chunks_by_key(issue_key),
            Store::Cluster(c) => c.issue_chunks_by_key(issue_key),
        }
    }

    /// The chunks of one issue that the principals may see, by chunk id. Empty when
    /// the issue is unknown or hidden from them: callers cannot tell the two apart.
    pub fn visible_issue_chunks(
        &self,
        issue_key: &str,
        principals: &[String],
    ) -> Result<Vec<ChunkDoc>, IndexError> {
        if principals.is_empty() {
            return Ok(Vec::new());
        }
        let mut docs = self.issue_chunks_by_key(issue_key)?;
        docs.retain(|d| acl_allows(principals, d));
        Ok(docs)
    }

    /// What the index holds for one project, for admin dashboards (no permission filter).
    pub fn project_stats(&self, project_key: &str) -> Result<ProjectStats, IndexError> {
        match &self.store {
            Store::Local { keyword, .. } => keyword.project_stats(project_key),
            Store::Cluster(c) => c.project_stats(project_key),
        }
    }

    /// Distinct issues the principals may see, per project key.
    pub fn visible_issue_counts_by_project(
        &self,
        principals: &[String],
    ) -> Result<std::collections::BTreeMap<String, usize>, IndexError> {
        match &self.store {
            Store::Local { keyword, .. } => keyword.visible_issue_counts_by_project(principals),
            Store::Cluster(c) => c.visible_issue_counts_by_project(principals),
        }
    }

    /// The stored chunk (no permission check: for callers that check themselves).
    pub fn get_chunk(&self, chunk_id: &str) -> Result<Option<ChunkDoc>, IndexError> {
        match &self.store {
            Store::Local { keyword, .. } => keyword.get(chunk_id),
            Store::Cluster(c) => c.get(chunk_id),
        }
    }
}

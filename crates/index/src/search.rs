//! [`SearchIndex`]: the keyword index and a vector store kept in step, and the search
//! modes over them. Hybrid search merges the BM25 and vector candidates by a
//! [`Fusion`] (by default a convex combination of scores measured on the labeled
//! query set; rank fusion when the query names an issue key); both sides apply the
//! permission filter, and every hit is re-checked against its stored ACL tags while
//! it is hydrated.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tracing::{debug, warn};

use crate::acl::acl_allows;
use crate::embedder::Embedder;
use crate::error::IndexError;
use crate::journal::{Journal, Pending};
use crate::keyword::KeywordIndex;
use crate::types::{ChunkDoc, EMBEDDING_DIM, Hit, ProjectStats, SearchMode, SearchRequest};
use crate::vector::{EdgeStore, VectorStore};

/// RRF constant.
const RRF_K: f32 = 60.0;

/// How hybrid search merges the BM25 and vector rankings.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Fusion {
    /// Reciprocal rank fusion: `w / (k + rank)` per side (`w` = 1 for BM25,
    /// `vector_weight` for vectors).
    Rrf {
        /// The RRF constant `k`.
        k: f32,
        /// Weight of the vector side (BM25 weighs 1).
        vector_weight: f32,
    },
    /// Convex combination of scores: `vector_weight * cosine + (1 - vector_weight) *
    /// bm25 / max_bm25` (BM25 divided by the best BM25 score of the query's
    /// candidates); a chunk missing from one side gets 0 there.
    Convex {
        /// Weight of the vector side, 0 to 1.
        vector_weight: f32,
    },
}

/// The fusion of queries that name an issue key: the BM25 side ranks the key's chunks
/// first (boosted), and rank fusion keeps them near the top whatever the vectors say.
pub const KEY_QUERY_FUSION: Fusion = Fusion::Rrf {
    k: RRF_K,
    vector_weight: 1.0,
};

impl Default for Fusion {
    /// Measured on the labeled query set (`cargo bench --bench search_quality`, see
    /// `tests/e2e/search_quality.rs`): a convex combination that lets BM25 re-rank the
    /// vector side beat RRF (k = 5…60, vector weights 1…3) and both sides alone on
    /// MRR, on two generated sites.
    fn default() -> Self {
        Fusion::Convex {
            vector_weight: 0.95,
        }
    }
}
/// Candidates fetched from each side: `limit * CANDIDATE_FACTOR`, at least `MIN_CANDIDATES`.
const CANDIDATE_FACTOR: usize = 4;
const MIN_CANDIDATES: usize = 50;
/// Longest query text used, in characters (the rest is ignored).
const MAX_QUERY_CHARS: usize = 1000;

/// Keyword index + vector store (+ the query embedder) under one directory.
pub struct SearchIndex {
    dir: PathBuf,
    keyword: KeywordIndex,
    vectors: Option<Box<dyn VectorStore>>,
    embedder: Option<Arc<Embedder>>,
    fusion: std::sync::RwLock<Fusion>,
    /// Pending-write log; only with a vector store (two stores to keep in step).
    journal: Option<Journal>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("vectors", &self.vectors.is_some())
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
            keyword,
            vectors,
            embedder,
            fusion: std::sync::RwLock::new(Fusion::default()),
            journal,
        };
        index.recover()?;
        Ok(index)
    }

    /// Repairs what an interrupted write left (see [`crate::journal`]): every issue
    /// and chunk written since the last commit is deleted from both stores, and the
    /// issues are listed in [`Self::recovered_issues`].
    fn recover(&self) -> Result<(), IndexError> {
        let (Some(journal), Some(store)) = (&self.journal, &self.vectors) else {
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
            self.keyword.delete_issue(id)?;
        }
        store.delete_chunks(&chunks)?;
        self.keyword.delete_chunks(&chunks)?;
        store.flush()?;
        self.keyword.commit()?;
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

    /// Issues an interrupted write left half-written, removed from both stores by the
    /// recovery on open; the sync forgets them so that it indexes them again, then
    /// calls [`Self::clear_recovered`].
    pub fn recovered_issues(&self) -> Result<Vec<String>, IndexError> {
        match &self.journal {
            Some(j) => j.recovered(),
            None => Ok(Vec::new()),
        }
    }

    /// The recovered issues were taken up.
    pub fn clear_recovered(&self) -> Result<(), IndexError> {
        match &self.journal {
            Some(j) => j.clear_recovered(),
            None => Ok(()),
        }
    }

    /// Logs, in one durable write, the issues about to be written (deleted or
    /// upserted) before the next commit. Optional: every write logs what it touches
    /// anyway; this only saves one fsync per write for batch writers.
    pub fn begin_write(&self, issue_ids: &[String]) -> Result<(), IndexError> {
        match &self.journal {
            Some(j) => j.log(issue_ids.iter().map(|id| Pending::Issue(id.clone()))),
            None => Ok(()),
        }
    }

    fn log(&self, entries: impl IntoIterator<Item = Pending>) -> Result<(), IndexError> {
        match &self.journal {
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
    /// [`KeywordIndex::wait_merges`]).
    pub fn wait_merges(&self) -> Result<(), IndexError> {
        self.keyword.wait_merges()
    }

    /// The directory holding both stores.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The query embedder, when vectors are on.
    pub fn embedder(&self) -> Option<&Arc<Embedder>> {
        self.embedder.as_ref()
    }

    /// The keyword side (stored chunks, BM25).
    pub fn keyword(&self) -> &KeywordIndex {
        &self.keyword
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
    /// index does hold would be doubled: use [`Self::upsert`] when unsure.
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
        self.log(docs.iter().map(|d| Pending::Issue(d.issue_id.clone())))?;
        match (&self.vectors, vectors) {
            (Some(store), Some(v)) => store.upsert(docs, v)?,
            // No new vectors: drop stale ones so the vector side never serves old text.
            (Some(store), None) => {
                let ids: Vec<String> = docs.iter().map(|d| d.chunk_id.clone()).collect();
                store.delete_chunks(&ids)?;
            }
            (None, _) => {}
        }
        if replace {
            self.keyword.upsert(docs)
        } else {
            self.keyword.insert_new(docs)
        }
    }

    /// Embeds `embed_text` of the chunks (when an embedder is loaded) and upserts them.
    pub fn embed_and_upsert(&self, docs: &[ChunkDoc]) -> Result<(), IndexError> {
        match (&self.embedder, &self.vectors) {
            (Some(e), Some(_)) => {
                let texts: Vec<&str> = docs.iter().map(|d| d.embed_text.as_str()).collect();
                let vectors = e.embed(&texts)?;
                self.upsert(docs, Some(&vectors))
            }
            _ => self.upsert(docs, None),
        }
    }

    /// Removes every chunk of the issue from both stores.
    pub fn delete_issue(&self, issue_id: &str) -> Result<(), IndexError> {
        self.log([Pending::Issue(issue_id.to_string())])?;
        if let Some(store) = &self.vectors {
            store.delete_issue(issue_id)?;
        }
        self.keyword.delete_issue(issue_id)
    }

    /// Removes these chunks from both stores.
    pub fn delete_chunks(&self, chunk_ids: &[String]) -> Result<(), IndexError> {
        self.log(chunk_ids.iter().map(|c| Pending::Chunk(c.clone())))?;
        if let Some(store) = &self.vectors {
            store.delete_chunks(chunk_ids)?;
        }
        self.keyword.delete_chunks(chunk_ids)
    }

    /// Makes all writes durable and visible: vector flush first, then the tantivy
    /// commit, then the pending-write log is emptied (a crash before that is repaired
    /// on the next open, see [`crate::journal`]).
    pub fn commit(&self) -> Result<(), IndexError> {
        if let Some(store) = &self.vectors {
            store.flush()?;
        }
        self.keyword.commit()?;
        match &self.journal {
            Some(j) => j.committed(),
            None => Ok(()),
        }
    }

    /// Compacts the vector store and builds its HNSW index; call after a large sync.
    pub fn optimize(&self) -> Result<(), IndexError> {
        match &self.vectors {
            Some(store) => store.optimize(),
            None => Ok(()),
        }
    }

    /// Picks up commits made by another process.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.keyword.reload()
    }

    /// Number of committed chunks (keyword side).
    pub fn chunk_count(&self) -> Result<usize, IndexError> {
        Ok(self.keyword.count())
    }

    /// Whether a vector store is open (embedded or on a server).
    pub fn has_vector_store(&self) -> bool {
        self.vectors.is_some()
    }

    /// Number of stored vectors (0 without a vector store).
    pub fn vector_count(&self) -> Result<usize, IndexError> {
        match &self.vectors {
            Some(store) => store.count(),
            None => Ok(0),
        }
    }

    /// Committed chunk ids of the issue, sorted.
    pub fn issue_chunk_ids(&self, issue_id: &str) -> Result<Vec<String>, IndexError> {
        self.keyword.issue_chunk_ids(issue_id)
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
        let mut docs = self.keyword.issue_chunks_by_key(issue_key)?;
        docs.retain(|d| acl_allows(principals, d));
        Ok(docs)
    }

    /// What the index holds for one project, for admin dashboards (no permission filter).
    pub fn project_stats(&self, project_key: &str) -> Result<ProjectStats, IndexError> {
        self.keyword.project_stats(project_key)
    }

    /// Distinct issues the principals may see, per project key.
    pub fn visible_issue_counts_by_project(
        &self,
        principals: &[String],
    ) -> Result<std::collections::BTreeMap<String, usize>, IndexError> {
        self.keyword.visible_issue_counts_by_project(principals)
    }

    /// The stored chunk (no permission check: for callers that check themselves).
    pub fn get_chunk(&self, chunk_id: &str) -> Result<Option<ChunkDoc>, IndexError> {
        self.keyword.get(chunk_id)
    }

    /// Searches under the caller's principals. An empty principal list finds nothing.
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<Hit>, IndexError> {
        self.search_impl(req, None)
    }

    /// [`Self::search`] with the query's vector already computed (by a caller that
    /// embeds elsewhere or caches query vectors): vector and hybrid modes use it
    /// instead of the embedder, so they work on a store opened without one.
    pub fn search_with_vector(
        &self,
        req: &SearchRequest,
        query_vector: &[f32],
    ) -> Result<Vec<Hit>, IndexError> {
        self.search_impl(req, Some(query_vector))
    }

    fn search_impl(
        &self,
        req: &SearchRequest,
        given: Option<&[f32]>,
    ) -> Result<Vec<Hit>, IndexError> {
        let query = match req.query.char_indices().nth(MAX_QUERY_CHARS) {
            Some((cut, _)) => &req.query[..cut],
            None => req.query,
        };
        // Callers may ask for "everything visible" (huge limits): bound the work by the
        // number of chunks there are.
        let total = self.keyword.count();
        let limit = req.limit.min(total);
        if req.principals.is_empty() || limit == 0 || query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let vector_side = match (given, &self.embedder, &self.vectors) {
            (Some(_), _, Some(v)) | (None, Some(_), Some(v)) => Some(v),
            _ => None,
        };
        let mode = match (req.mode, vector_side) {
            (SearchMode::Hybrid | SearchMode::Vector, None) => {
                debug!("no embedder or vector store: keyword search");
                SearchMode::Keyword
            }
            (m, _) => m,
        };
        // Collapsing by issue needs more candidates to fill `limit` distinct issues.
        let want = if req.filters.collapse_by_issue {
            limit.saturating_mul(3)
        } else {
            limit
        };
        let candidates = want
            .saturating_mul(CANDIDATE_FACTOR)
            .max(MIN_CANDIDATES)
            .min(total);
        let keyword = || {
            self.keyword
                .search(query, req.principals, &req.filters, candidates)
        };
        let vector = || -> Result<Vec<(String, f32)>, IndexError> {
            let Some(store) = vector_side else {
                return Ok(Vec::new());
            };
            match (given, &self.embedder) {
                (Some(q), _) => store.search(q, req.principals, &req.filters, candidates),
                (None, Some(embedder)) => {
                    let q = embedder.embed_query(query)?;
                    store.search(&q, req.principals, &req.filters, candidates)
                }
                (None, None) => Ok(Vec::new()),
            }
        };
        let ranked: Vec<(String, f32)> = match mode {
            SearchMode::Keyword => keyword()?
                .into_iter()
                .map(|s| (s.chunk_id, s.score))
                .collect(),
            SearchMode::Vector => vector()?,
            SearchMode::Hybrid => {
                // Query embedding and BM25 run side by side.
                let (kw, vs) = std::thread::scope(|scope| {
                    let vs = scope.spawn(vector);
                    let kw = keyword();
                    let vs = vs.join().unwrap_or_else(|_| {
                        Err(IndexError::Embed {
                            context: "vector side of a hybrid search".into(),
                            message: "worker thread panicked".into(),
                        })
                    });
                    (kw, vs)
                });
                let kw: Vec<(String, f32)> =
                    kw?.into_iter().map(|s| (s.chunk_id, s.score)).collect();
                let fusion = if !crate::keyword::issue_keys_in(query).is_empty() {
                    KEY_QUERY_FUSION
                } else {
                    self.fusion()
                };
                fuse(fusion, &kw, &vs?)
            }
        };
        let hydrate_n = if req.filters.collapse_by_issue {
            ranked.len()
        } else {
            // A few spare in case some candidates are gone or fail the ACL re-check.
            limit
                .saturating_mul(2)
                .max(limit.saturating_add(10))
                .min(ranked.len())
        };
        let mut hits = self
            .keyword
            .hydrate(query, &ranked[..hydrate_n], req.principals)?;
        if req.filters.collapse_by_issue {
            let mut seen = HashSet::new();
            hits.retain(|h| seen.insert(h.issue_id.clone()));
        }
        hits.truncate(limit);
        Ok(hits)
    }
}

/// Merges the BM25 ranking `kw` and the vector ranking `vs` (each best first, with
/// its scores) by `fusion`. Ties keep the order of first appearance (BM25 first).
pub(crate) fn fuse<'a>(
    fusion: Fusion,
    kw: &'a [(String, f32)],
    vs: &'a [(String, f32)],
) -> Vec<(String, f32)> {
    let mut scores: HashMap<&'a str, (f32, usize)> = HashMap::new();
    let mut order = 0usize;
    let mut add = |id: &'a str, x: f32| {
        let e = scores.entry(id).or_insert_with(|| {
            order += 1;
            (0.0, order)
        });
        e.0 += x;
    };
    match fusion {
        Fusion::Rrf { k, vector_weight } => {
            for (rank, (id, _)) in kw.iter().enumerate() {
                add(id, 1.0 / (k + rank as f32 + 1.0));
            }
            for (rank, (id, _)) in vs.iter().enumerate() {
                add(id, vector_weight / (k + rank as f32 + 1.0));
            }
        }
        Fusion::Convex { vector_weight } => {
            let max_kw = kw.iter().map(|(_, s)| *s).fold(0.0f32, f32::max);
            for (id, s) in kw {
                let norm = if max_kw > 0.0 { s / max_kw } else { 0.0 };
                add(id, (1.0 - vector_weight) * norm);
            }
            for (id, s) in vs {
                add(id, vector_weight * s);
            }
        }
    }
    let mut fused: Vec<(String, f32, usize)> = scores
        .into_iter()
        .map(|(id, (s, o))| (id.to_string(), s, o))
        .collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    fused.into_iter().map(|(id, s, _)| (id, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(ids: &[&str]) -> Vec<(String, f32)> {
        ids.iter().map(|i| (i.to_string(), 1.0)).collect()
    }

    #[test]
    fn convex_lets_bm25_break_near_ties_of_the_vector_side() {
        let kw = vec![("b".to_string(), 8.0), ("c".to_string(), 2.0)];
        let vs = vec![("a".to_string(), 0.61), ("b".to_string(), 0.60)];
        let fused = fuse(Fusion::default(), &kw, &vs);
        let ids: Vec<&str> = fused.iter().map(|(i, _)| i.as_str()).collect();
        // b: 0.95 * 0.60 + 0.05 * 1.0 = 0.62; a: 0.95 * 0.61 = 0.5795; c: 0.05 * 0.25
        assert_eq!(ids, vec!["b", "a", "c"]);
        assert!((fused[0].1 - 0.62).abs() < 1e-6);
    }

    #[test]
    fn rrf_rewards_agreement() {
        let fused = fuse(
            KEY_QUERY_FUSION,
            &ranked(&["x", "y", "z"]),
            &ranked(&["z", "y", "w"]),
        );
        let ids: Vec<&str> = fused.iter().map(|(i, _)| i.as_str()).collect();
        // z: 1/63 + 1/61 = 0.032266; y: 2/62 = 0.032258; x: 1/61; w: 1/63
        assert_eq!(ids, vec!["z", "y", "x", "w"]);
        assert!((fused[1].1 - 2.0 / 62.0).abs() < 1e-6);
    }
}

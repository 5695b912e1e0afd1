//! Searching a [`SearchIndex`]: the request is bounded (query length, limit,
//! candidates per side), each side searches under the permission filter on its
//! backend, hybrid search fuses the two rankings ([`super::fusion::fuse`]), and the
//! best candidates become hits after a re-check of their stored tags.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use tracing::debug;

use super::fusion::{KEY_QUERY_FUSION, fuse};
use super::{SearchIndex, Store};
use crate::acl::acl_allows;
use crate::cluster::snippet;
use crate::error::IndexError;
use crate::types::{ChunkDoc, Hit, SearchMode, SearchRequest};

/// Candidates fetched from each side: `limit * CANDIDATE_FACTOR`, at least `MIN_CANDIDATES`.
const CANDIDATE_FACTOR: usize = 4;
const MIN_CANDIDATES: usize = 50;
/// Longest query text used, in characters (the rest is ignored).
const MAX_QUERY_CHARS: usize = 1000;

/// Chunks a cluster search returned, kept for hydration (no second round trip).
type Seen = Mutex<HashMap<String, ChunkDoc>>;

impl SearchIndex {
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
        if req.principals.is_empty() || req.limit == 0 || query.trim().is_empty() {
            return Ok(Vec::new());
        }
        // Callers may ask for "everything visible" (huge limits): bound the work by the
        // number of chunks there are.
        let total = self.chunk_count()?;
        let limit = req.limit.min(total);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let vectors_on = self.has_vector_store() && (given.is_some() || self.embedder.is_some());
        let mode = match req.mode {
            SearchMode::Hybrid | SearchMode::Vector if !vectors_on => {
                debug!("no embedder or vector store: keyword search");
                SearchMode::Keyword
            }
            m => m,
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
        let seen: Seen = Mutex::new(HashMap::new());
        let keyword = || self.keyword_side(query, req, candidates, &seen);
        let vector = || -> Result<Vec<(String, f32)>, IndexError> {
            let q = match (given, &self.embedder) {
                (Some(q), _) => q.to_vec(),
                (None, Some(embedder)) => embedder.embed_query(query)?,
                (None, None) => return Ok(Vec::new()),
            };
            self.vector_side(&q, req, candidates, &seen)
        };
        let ranked: Vec<(String, f32)> = match mode {
            SearchMode::Keyword => keyword()?,
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
                let fusion = if !crate::keyword::issue_keys_in(query).is_empty() {
                    KEY_QUERY_FUSION
                } else {
                    self.fusion()
                };
                fuse(fusion, &kw?, &vs?)
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
        let seen = seen.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut hits = self.hydrate(query, &ranked[..hydrate_n], req.principals, seen)?;
        if req.filters.collapse_by_issue {
            let mut issues = HashSet::new();
            hits.retain(|h| issues.insert(h.issue_id.clone()));
        }
        hits.truncate(limit);
        Ok(hits)
    }

    /// The BM25 ranking under the permission filter.
    fn keyword_side(
        &self,
        query: &str,
        req: &SearchRequest,
        candidates: usize,
        seen: &Seen,
    ) -> Result<Vec<(String, f32)>, IndexError> {
        match &self.store {
            Store::Local { keyword, .. } => Ok(keyword
                .search(query, req.principals, &req.filters, candidates)?
                .into_iter()
                .map(|s| (s.chunk_id, s.score))
                .collect()),
            Store::Cluster(c) => Ok(keep(
                c.keyword_search(query, req.principals, &req.filters, candidates)?,
                seen,
            )),
        }
    }

    /// The dense-vector ranking under the permission filter.
    fn vector_side(
        &self,
        vector: &[f32],
        req: &SearchRequest,
        candidates: usize,
        seen: &Seen,
    ) -> Result<Vec<(String, f32)>, IndexError> {
        match &self.store {
            Store::Local {
                vectors: Some(store),
                ..
            } => store.search(vector, req.principals, &req.filters, candidates),
            Store::Local { vectors: None, .. } => Ok(Vec::new()),
            Store::Cluster(c) => Ok(keep(
                c.vector_search(vector, req.principals, &req.filters, candidates)?,
                seen,
            )),
        }
    }

    /// Turns ranked chunk ids into hits: stored fields read back (on a cluster, the
    /// chunks its searches returned), chunks that are gone or whose stored tags do
    /// not pass the principals dropped (defence in depth), snippets cut for `query`.
    fn hydrate(
        &self,
        query: &str,
        ranked: &[(String, f32)],
        principals: &[String],
        mut seen: HashMap<String, ChunkDoc>,
    ) -> Result<Vec<Hit>, IndexError> {
        let cluster = match &self.store {
            Store::Local { keyword, .. } => return keyword.hydrate(query, ranked, principals),
            Store::Cluster(c) => c,
        };
        let missing: Vec<String> = ranked
            .iter()
            .filter(|(id, _)| !seen.contains_key(id))
            .map(|(id, _)| id.clone())
            .collect();
        for doc in cluster.get_many(&missing)? {
            seen.insert(doc.chunk_id.clone(), doc);
        }
        let mut hits = Vec::with_capacity(ranked.len());
        let mut done = HashSet::new();
        for (chunk_id, score) in ranked {
            if !done.insert(chunk_id.as_str()) {
                continue;
            }
            let Some(doc) = seen.get(chunk_id) else {
                debug!(chunk_id, "hit no longer in the index; skipped");
                continue;
            };
            if !acl_allows(principals, doc) {
                debug!(chunk_id, "hit failed the stored ACL re-check; dropped");
                continue;
            }
            hits.push(Hit {
                chunk_id: chunk_id.clone(),
                issue_id: doc.issue_id.clone(),
                issue_key: doc.issue_key.clone(),
                kind: doc.kind,
                title: doc.title.clone(),
                snippet: snippet(query, &doc.text),
                score: *score,
                url: doc.url.clone(),
            });
        }
        Ok(hits)
    }
}

/// Keeps a cluster search's chunks for hydration; returns the ranking.
fn keep(found: Vec<(ChunkDoc, f32)>, seen: &Seen) -> Vec<(String, f32)> {
    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    found
        .into_iter()
        .map(|(doc, score)| {
            let id = doc.chunk_id.clone();
            seen.insert(id.clone(), doc);
            (id, score)
        })
        .collect()
}

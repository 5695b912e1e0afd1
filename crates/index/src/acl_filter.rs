//! The keyword side's permission filter, cached per principal set: for each segment,
//! a bitset of the documents that pass all three ACL gates. Segments are immutable,
//! so an entry stays right for as long as its segment exists (documents deleted
//! later are dropped by tantivy's alive bitset, as for any query); a segment the
//! entry does not know yet — after a commit or a merge — is filtered on the first
//! search that meets it. Entries are found by the exact principal list (a hash only
//! picks the bucket), so one person's filter can never serve another. The cache
//! keeps the most recently used sets within a byte budget.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::query::{
    BitSetDocSet, ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::{BitSet, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

/// Bytes of bitsets the cache may hold (a bitset costs max_doc / 8 bytes per segment).
const BUDGET_BYTES: usize = 64 * 1024 * 1024;

type Segments = HashMap<SegmentId, Arc<BitSet>>;

struct Entry {
    principals: Vec<String>,
    segments: Arc<Segments>,
    bytes: usize,
    last_used: u64,
}

/// Per-principal-set filter bitsets of the keyword index.
#[derive(Default)]
pub(crate) struct AclFilterCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<u64, Vec<Entry>>,
    clock: u64,
    bytes: usize,
}

fn bucket(principals: &[String]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    principals.hash(&mut h);
    h.finish()
}

fn bitset_bytes(max_doc: u32) -> usize {
    (max_doc as usize).div_ceil(8)
}

impl AclFilterCache {
    /// A query matching exactly the documents of `searcher` that `gates` (the
    /// uncached filter, scoring nothing) matches for `principals` (sorted, deduped).
    pub(crate) fn filter(
        &self,
        searcher: &Searcher,
        principals: &[String],
        gates: &dyn Query,
    ) -> tantivy::Result<Box<dyn Query>> {
        let key = bucket(principals);
        let known: Option<Arc<Segments>> = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.clock += 1;
            let now = inner.clock;
            inner.entries.get_mut(&key).and_then(|list| {
                list.iter_mut()
                    .find(|e| e.principals == principals)
                    .map(|e| {
                        e.last_used = now;
                        Arc::clone(&e.segments)
                    })
            })
        };
        let readers = searcher.segment_readers();
        let complete = known
            .as_ref()
            .is_some_and(|k| readers.iter().all(|r| k.contains_key(&r.segment_id())));
        if let (true, Some(segments)) = (complete, known.as_ref()) {
            return Ok(Box::new(CachedFilter {
                segments: Arc::clone(segments),
            }));
        }
        // Filter the segments the entry lacks (all of them on a miss), outside the lock.
        let weight = gates.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut segments: Segments = HashMap::with_capacity(readers.len());
        for reader in readers {
            let id = reader.segment_id();
            if let Some(bits) = known.as_ref().and_then(|k| k.get(&id)) {
                segments.insert(id, Arc::clone(bits));
                continue;
            }
            let mut bits = BitSet::with_max_value(reader.max_doc());
            let mut scorer = weight.scorer(reader, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                bits.insert(doc);
                doc = scorer.advance();
            }
            segments.insert(id, Arc::new(bits));
        }
        let bytes = readers.iter().map(|r| bitset_bytes(r.max_doc())).sum();
        let segments = Arc::new(segments);
        self.store(key, principals, Arc::clone(&segments), bytes);
        Ok(Box::new(CachedFilter { segments }))
    }

    fn store(&self, key: u64, principals: &[String], segments: Arc<Segments>, bytes: usize) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let now = inner.clock;
        let list = inner.entries.entry(key).or_default();
        let old = list
            .iter()
            .position(|e| e.principals == principals)
            .map(|i| list.swap_remove(i).bytes)
            .unwrap_or(0);
        list.push(Entry {
            principals: principals.to_vec(),
            segments,
            bytes,
            last_used: now,
        });
        inner.bytes = inner.bytes + bytes - old;
        while inner.bytes > BUDGET_BYTES {
            let Some((k, i, _)) = inner
                .entries
                .iter()
                .flat_map(|(k, list)| {
                    list.iter()
                        .enumerate()
                        .map(move |(i, e)| (*k, i, e.last_used))
                })
                .min_by_key(|(_, _, used)| *used)
            else {
                break;
            };
            let Some(list) = inner.entries.get_mut(&k) else {
                break;
            };
            let freed = list.swap_remove(i).bytes;
            if list.is_empty() {
                inner.entries.remove(&k);
            }
            inner.bytes -= freed;
        }
    }

    /// Number of principal sets held (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.entries.values().map(Vec::len).sum()
    }
}

/// The cached bitsets as a query (scores 0). A segment without a bitset matches
/// nothing: fail closed.
#[derive(Clone)]
struct CachedFilter {
    segments: Arc<Segments>,
}

impl std::fmt::Debug for CachedFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedFilter")
            .field("segments", &self.segments.len())
            .finish()
    }
}

impl Query for CachedFilter {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for CachedFilter {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.segments.get(&reader.segment_id()) {
            Some(bits) => Box::new(ConstScorer::new(BitSetDocSet::from((**bits).clone()), 0.0)),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let pass = self
            .segments
            .get(&reader.segment_id())
            .is_some_and(|b| b.contains(doc));
        if pass {
            Ok(Explanation::new("permission filter (cached)", 0.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not pass the permission filter"
            )))
        }
    }
}

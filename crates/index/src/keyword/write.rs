//! Writing the keyword index: upserts, inserts and deletions through one lazily
//! opened tantivy writer, commits (which reload the reader) and waiting for merges.

use tantivy::{IndexWriter, Term};

use super::index::KeywordIndex;
use super::schema::{Fields, to_tantivy};
use crate::error::IndexError;
use crate::types::ChunkDoc;

/// Memory budget of the tantivy writer.
const WRITER_HEAP: usize = 256 * 1024 * 1024;

impl KeywordIndex {
    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter, &Fields) -> Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            // Two indexing threads at most: the embedder, not tantivy, should get the cores.
            let threads = std::thread::available_parallelism()
                .map(|n| n.get().min(2))
                .unwrap_or(1);
            let w = self
                .index
                .writer_with_num_threads(threads, WRITER_HEAP)
                .map_err(self.err("opening writer"))?;
            *guard = Some(w);
        }
        match guard.as_mut() {
            Some(w) => f(w, &self.fields),
            None => Err(IndexError::Invalid("tantivy writer missing".into())),
        }
    }

    /// Replaces (by `chunk_id`) or adds the documents; visible after [`Self::commit`].
    pub fn upsert(&self, docs: &[ChunkDoc]) -> Result<(), IndexError> {
        self.with_writer(|w, f| {
            for doc in docs {
                w.delete_term(Term::from_field_text(f.chunk_id, &doc.chunk_id));
                w.add_document(to_tantivy(f, doc))
                    .map_err(self.err(format!("adding chunk {}", doc.chunk_id)))?;
            }
            Ok(())
        })
    }

    /// Adds documents the index does not hold (no delete by `chunk_id` first); visible
    /// after [`Self::commit`].
    pub fn insert_new(&self, docs: &[ChunkDoc]) -> Result<(), IndexError> {
        self.with_writer(|w, f| {
            for doc in docs {
                w.add_document(to_tantivy(f, doc))
                    .map_err(self.err(format!("adding chunk {}", doc.chunk_id)))?;
            }
            Ok(())
        })
    }

    /// Deletes every chunk of the issue; visible after [`Self::commit`].
    pub fn delete_issue(&self, issue_id: &str) -> Result<(), IndexError> {
        self.with_writer(|w, f| {
            w.delete_term(Term::from_field_text(f.issue_id, issue_id));
            Ok(())
        })
    }

    /// Deletes the chunks; visible after [`Self::commit`].
    pub fn delete_chunks(&self, chunk_ids: &[String]) -> Result<(), IndexError> {
        if chunk_ids.is_empty() {
            return Ok(());
        }
        self.with_writer(|w, f| {
            for id in chunk_ids {
                w.delete_term(Term::from_field_text(f.chunk_id, id));
            }
            Ok(())
        })
    }

    /// Commits pending writes and reloads the reader.
    pub fn commit(&self) -> Result<(), IndexError> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = guard.as_mut() {
            w.commit().map_err(self.err("committing"))?;
        }
        drop(guard);
        self.reader.reload().map_err(self.err("reloading reader"))
    }

    /// Lets background segment merges finish and releases the writer (and its lock);
    /// the next write opens a new one. Call when a batch of writes is over, so that
    /// nothing keeps changing files after the caller returns.
    pub fn wait_merges(&self) -> Result<(), IndexError> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = writer {
            w.wait_merging_threads()
                .map_err(self.err("waiting for merges"))?;
        }
        Ok(())
    }
}

//! Reading stored chunks back: by chunk id, the chunk ids of an issue, and every
//! chunk of an issue by key (no permission check: the callers filter).

use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, TantivyDocument};
use tantivy::{DocAddress, Searcher, Term};

use super::index::KeywordIndex;
use super::schema::{from_tantivy, str_field};
use crate::error::IndexError;
use crate::types::ChunkDoc;

impl KeywordIndex {
    /// Where the committed chunk lies, if it does.
    pub(super) fn address_of(
        &self,
        searcher: &Searcher,
        chunk_id: &str,
    ) -> Result<Option<DocAddress>, IndexError> {
        let q = TermQuery::new(
            Term::from_field_text(self.fields.chunk_id, chunk_id),
            IndexRecordOption::Basic,
        );
        let top = searcher
            .search(&q, &TopDocs::with_limit(1).order_by_score())
            .map_err(self.err(format!("looking up chunk {chunk_id}")))?;
        Ok(top.first().map(|(_, a)| *a))
    }

    /// The stored chunk, if committed.
    pub fn get(&self, chunk_id: &str) -> Result<Option<ChunkDoc>, IndexError> {
        let searcher = self.reader.searcher();
        let Some(addr) = self.address_of(&searcher, chunk_id)? else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher
            .doc(addr)
            .map_err(self.err(format!("reading chunk {chunk_id}")))?;
        Ok(from_tantivy(&self.fields, &doc))
    }

    /// Committed chunk ids of the issue, sorted.
    pub fn issue_chunk_ids(&self, issue_id: &str) -> Result<Vec<String>, IndexError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.issue_id, issue_id),
            IndexRecordOption::Basic,
        );
        let addrs = searcher
            .search(&q, &DocSetCollector)
            .map_err(self.err(format!("listing chunks of issue {issue_id}")))?;
        let mut ids = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let doc: TantivyDocument = searcher
                .doc(addr)
                .map_err(self.err(format!("reading a chunk of issue {issue_id}")))?;
            ids.push(str_field(&doc, self.fields.chunk_id));
        }
        ids.sort();
        Ok(ids)
    }

    /// Every committed chunk of the issue with this key, by chunk id (no permission
    /// check: the caller filters).
    pub fn issue_chunks_by_key(&self, issue_key: &str) -> Result<Vec<ChunkDoc>, IndexError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.issue_key, issue_key),
            IndexRecordOption::Basic,
        );
        let addrs = searcher
            .search(&q, &DocSetCollector)
            .map_err(self.err(format!("listing chunks of issue {issue_key}")))?;
        let mut docs = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let doc: TantivyDocument = searcher
                .doc(addr)
                .map_err(self.err(format!("reading a chunk of issue {issue_key}")))?;
            if let Some(d) = from_tantivy(&self.fields, &doc) {
                docs.push(d);
            }
        }
        docs.sort_by(|a, b| a.chunk_id.cmp(&b.chunk_id));
        Ok(docs)
    }
}

//! Queries on the keyword index: the user's text parsed leniently over `title` and
//! `text` plus exact issue-key terms, and the BM25 search under the (cached)
//! permission filter, which returns chunk ids read from the fast field.

use std::collections::HashMap;

use tantivy::Term;
use tantivy::collector::TopDocs;
use tantivy::columnar::StrColumn;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tracing::debug;

use super::index::KeywordIndex;
use crate::error::IndexError;
use crate::types::SearchFilters;

/// Weight of an exact issue-key match in the query.
const KEY_BOOST: f32 = 10.0;

/// A BM25 hit before hydration.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scored {
    /// The chunk.
    pub chunk_id: String,
    /// Its BM25 score.
    pub score: f32,
}

impl KeywordIndex {
    /// The query for user text: lenient parse over title+text, plus exact issue-key
    /// terms for words that look like keys (`ENG-123`).
    pub(super) fn text_query(&self, query: &str) -> Box<dyn Query> {
        let (parsed, errors) = self.parser.parse_query_lenient(query);
        if !errors.is_empty() {
            debug!(errors = errors.len(), "query parsed leniently");
        }
        let keys = issue_keys_in(query);
        if keys.is_empty() {
            return parsed;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, parsed)];
        for key in keys {
            let term = Term::from_field_text(self.fields.issue_key, &key);
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                    KEY_BOOST,
                )),
            ));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// BM25 search under the permission filter; best first.
    pub(crate) fn search(
        &self,
        query: &str,
        principals: &[String],
        filters: &SearchFilters,
        limit: usize,
    ) -> Result<Vec<Scored>, IndexError> {
        if principals.is_empty() || query.trim().is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let mut sorted = principals.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let acl = self
            .acl_cache
            .filter(&searcher, &sorted, &self.gates_query(&sorted))
            .map_err(self.err("applying the permission filter"))?;
        let mut clauses = vec![(Occur::Must, self.text_query(query)), (Occur::Must, acl)];
        clauses.extend(self.narrowing_clauses(filters));
        let q = BooleanQuery::new(clauses);
        let top = searcher
            .search(&q, &TopDocs::with_limit(limit).order_by_score())
            .map_err(self.err("searching"))?;
        // chunk ids from the fast field: no stored-document reads for candidates.
        let mut columns: HashMap<u32, Option<StrColumn>> = HashMap::new();
        let mut out = Vec::with_capacity(top.len());
        let mut buf = String::new();
        for (score, addr) in top {
            let column = match columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    searcher
                        .segment_reader(addr.segment_ord)
                        .fast_fields()
                        .str("chunk_id")
                        .map_err(self.err("opening chunk_id column"))?,
                ),
            };
            let Some(column) = column else {
                continue;
            };
            buf.clear();
            let found = match column.term_ords(addr.doc_id).next() {
                Some(ord) => column
                    .ord_to_str(ord, &mut buf)
                    .map_err(|e| IndexError::Keyword {
                        path: self.path.clone(),
                        context: "reading chunk_id column".into(),
                        source: e.into(),
                    })?,
                None => false,
            };
            if found {
                out.push(Scored {
                    chunk_id: buf.clone(),
                    score,
                });
            }
        }
        Ok(out)
    }
}

/// `ENG-123` → `Some("ENG-123")` (case-insensitive input, upper-cased output).
/// The issue keys a query names (`ENG-42`, any case), in order.
pub(crate) fn issue_keys_in(query: &str) -> Vec<String> {
    query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter_map(issue_key_of)
        .collect()
}

/// `query` without the words that are issue keys: what the cluster backend scores with
/// BM25. The local index reads `ENG-2` as the phrase "eng 2", which matches only text
/// naming that key; a sparse vector has no phrases and would match every chunk with
/// "eng", so the key is left to the exact issue-key match alone.
pub(crate) fn without_issue_keys(query: &str) -> String {
    query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty() && issue_key_of(w).is_none())
        .collect::<Vec<_>>()
        .join(" ")
}

fn issue_key_of(word: &str) -> Option<String> {
    let (project, number) = word.rsplit_once('-')?;
    let mut chars = project.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic()
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        || number.is_empty()
        || !number.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    Some(word.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_keys_leave_the_text_query() {
        assert_eq!(
            without_issue_keys("ENG-2 password, reset"),
            "password reset"
        );
        assert_eq!(without_issue_keys("self-service"), "self-service");
    }

    #[test]
    fn issue_keys_are_recognised() {
        assert_eq!(issue_key_of("ENG-123").as_deref(), Some("ENG-123"));
        assert_eq!(issue_key_of("eng-7").as_deref(), Some("ENG-7"));
        assert_eq!(issue_key_of("A2_B-1").as_deref(), Some("A2_B-1"));
        assert_eq!(issue_key_of("123-4"), None);
        assert_eq!(issue_key_of("ENG-"), None);
        assert_eq!(issue_key_of("self-service"), None);
    }
}

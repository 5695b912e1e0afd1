//! Glue between the permission filter and tantivy queries: the three ACL gates
//! as MUST term-set clauses (what [`crate::acl_filter`] caches per principal set),
//! and the narrowing filters (projects, kinds) of a search.

use tantivy::Term;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermSetQuery};
use tantivy::schema::Field;

use super::index::KeywordIndex;
use crate::types::SearchFilters;

impl KeywordIndex {
    /// The three permission gates (each "shares a tag with the principals"), all MUST,
    /// scoring nothing.
    pub(super) fn gates_query(&self, principals: &[String]) -> BooleanQuery {
        let f = &self.fields;
        let clauses = [f.acl_project, f.acl_issue, f.acl_comment]
            .into_iter()
            .map(|field| -> (Occur, Box<dyn Query>) {
                let terms: Vec<Term> = principals
                    .iter()
                    .map(|v| Term::from_field_text(field, v))
                    .collect();
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(
                        Box::new(TermSetQuery::new(terms)),
                        0.0,
                    )),
                )
            })
            .collect();
        BooleanQuery::new(clauses)
    }

    /// Narrowing filters (projects, kinds), all MUST, scoring nothing.
    pub(super) fn narrowing_clauses(
        &self,
        filters: &SearchFilters,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.fields;
        let set = |field: Field, values: &mut dyn Iterator<Item = &str>| -> Box<dyn Query> {
            let terms: Vec<Term> = values.map(|v| Term::from_field_text(field, v)).collect();
            Box::new(ConstScoreQuery::new(
                Box::new(TermSetQuery::new(terms)),
                0.0,
            ))
        };
        let mut clauses = Vec::with_capacity(2);
        if !filters.project_keys.is_empty() {
            clauses.push((
                Occur::Must,
                set(
                    f.project_key,
                    &mut filters.project_keys.iter().map(String::as_str),
                ),
            ));
        }
        if !filters.kinds.is_empty() {
            clauses.push((
                Occur::Must,
                set(f.kind, &mut filters.kinds.iter().map(|k| k.as_str())),
            ));
        }
        clauses
    }

    /// Permission and narrowing filters, all MUST, scoring nothing (uncached).
    pub(super) fn filter_clauses(
        &self,
        principals: &[String],
        filters: &SearchFilters,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(self.gates_query(principals)))];
        clauses.extend(self.narrowing_clauses(filters));
        clauses
    }

    /// Principal sets whose permission filter is cached (for tests).
    #[cfg(test)]
    pub(crate) fn acl_cache_len(&self) -> usize {
        self.acl_cache.len()
    }
}

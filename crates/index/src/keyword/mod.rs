//! The keyword index: tantivy on disk at `<dir>/keyword`, BM25 over `title` (boosted)
//! and `text`, with the permission filter as three MUST term-set clauses on the raw
//! `acl_*` fields (cached per principal set as bitsets, see `acl_filter`). It also
//! holds every stored field of a chunk, so vector hits are hydrated (and re-checked
//! against their ACL tags) from here.
//!
//! One type, [`KeywordIndex`], with its `impl` spread by subject: `index` (the
//! handle, opening), `schema` (fields and document conversion), `write`, `filter`
//! (ACL and narrowing clauses), `query` (BM25 search), `read` (stored chunks),
//! `hydrate` (hits and snippets) and `stats`. This file only declares them.

mod filter;
mod hydrate;
mod index;
mod query;
mod read;
mod schema;
mod stats;
mod write;

pub use index::KeywordIndex;
pub(crate) use query::{issue_keys_in, without_issue_keys};

#[cfg(test)]
mod schema_doc {
    /// `schemas/keyword-index.md` lists exactly the fields of [`super::schema::schema`].
    #[test]
    fn every_field_is_documented() {
        let doc = include_str!("../../../../schemas/keyword-index.md");
        let documented: std::collections::BTreeSet<String> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .map(str::to_string)
            .collect();
        let (schema, _) = super::schema::schema();
        let actual: std::collections::BTreeSet<String> = schema
            .fields()
            .map(|(_, entry)| entry.name().to_string())
            .collect();
        assert_eq!(documented, actual);
    }
}

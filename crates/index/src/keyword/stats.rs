//! Statistics for dashboards and listings: what the index holds for one project,
//! and how many visible issues each project has for a principal set.

use tantivy::Term;
use tantivy::collector::DocSetCollector;
use tantivy::query::{BooleanQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, TantivyDocument};

use super::index::KeywordIndex;
use super::schema::{from_tantivy, str_field};
use crate::error::IndexError;
use crate::types::{ProjectStats, SearchFilters};

impl KeywordIndex {
    /// What the index holds for one project, for dashboards (no permission filter:
    /// for admins; reads the stored fields of the project's chunks).
    pub fn project_stats(&self, project_key: &str) -> Result<ProjectStats, IndexError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.project_key, project_key),
            IndexRecordOption::Basic,
        );
        let addrs = searcher
            .search(&q, &DocSetCollector)
            .map_err(self.err(format!("listing chunks of project {project_key}")))?;
        let mut chunks = Vec::new();
        for addr in addrs {
            let doc: TantivyDocument = searcher
                .doc(addr)
                .map_err(self.err(format!("reading a chunk of project {project_key}")))?;
            chunks.extend(from_tantivy(&self.fields, &doc));
        }
        Ok(ProjectStats::from_chunks(chunks))
    }

    /// For each project key, how many distinct issues have a chunk the principals may
    /// see (reads stored fields of every visible chunk: for listings, not hot paths).
    pub fn visible_issue_counts_by_project(
        &self,
        principals: &[String],
    ) -> Result<std::collections::BTreeMap<String, usize>, IndexError> {
        if principals.is_empty() {
            return Ok(std::collections::BTreeMap::new());
        }
        let q = BooleanQuery::new(self.filter_clauses(principals, &SearchFilters::default()));
        let searcher = self.reader.searcher();
        let addrs = searcher
            .search(&q, &DocSetCollector)
            .map_err(self.err("listing visible chunks"))?;
        let mut pairs = Vec::new();
        for addr in addrs {
            let doc: TantivyDocument = searcher
                .doc(addr)
                .map_err(self.err("reading a visible chunk"))?;
            let f = &self.fields;
            pairs.push((str_field(&doc, f.issue_id), str_field(&doc, f.project_key)));
        }
        Ok(crate::types::issues_by_project(
            pairs.iter().map(|(i, p)| (i.as_str(), p.as_str())),
        ))
    }
}

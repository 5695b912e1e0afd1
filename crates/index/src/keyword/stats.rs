//! Statistics for dashboards and listings: what the index holds for one project,
//! and how many visible issues each project has for a principal set.

use std::collections::HashSet;

use tantivy::Term;
use tantivy::collector::DocSetCollector;
use tantivy::query::{BooleanQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, TantivyDocument};

use super::index::KeywordIndex;
use super::schema::{from_tantivy, str_field};
use crate::error::IndexError;
use crate::types::{ChunkKind, ProjectStats, SearchFilters};

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
        let mut stats = ProjectStats::default();
        let mut attachments = HashSet::new();
        for addr in addrs {
            let doc: TantivyDocument = searcher
                .doc(addr)
                .map_err(self.err(format!("reading a chunk of project {project_key}")))?;
            let Some(d) = from_tantivy(&self.fields, &doc) else {
                continue;
            };
            stats.chunks += 1;
            *stats
                .chunks_by_kind
                .entry(d.kind.as_str().to_string())
                .or_default() += 1;
            match d.kind {
                ChunkKind::Attachment => {
                    if let Some(id) = d.chunk_id.split(':').nth(1) {
                        attachments.insert(id.to_string());
                    }
                }
                ChunkKind::Issue if d.chunk_id.ends_with(":0") => {
                    stats.issues += 1;
                    let name = |v: Option<String>| v.unwrap_or_else(|| "(none)".into());
                    *stats.by_status.entry(name(d.status)).or_default() += 1;
                    *stats.by_priority.entry(name(d.priority)).or_default() += 1;
                    *stats.by_type.entry(name(d.issue_type)).or_default() += 1;
                    *stats.by_assignee.entry(name(d.assignee)).or_default() += 1;
                    stats.last_updated = stats.last_updated.max(d.updated);
                }
                _ => {}
            }
        }
        stats.attachments = attachments.len();
        Ok(stats)
    }

    /// For each project key, how many distinct issues have a chunk the principals may
    /// see (reads stored fields of every visible chunk: for listings, not hot paths).
    pub fn visible_issue_counts_by_project(
        &self,
        principals: &[String],
    ) -> Result<std::collections::BTreeMap<String, usize>, IndexError> {
        let mut out = std::collections::BTreeMap::new();
        if principals.is_empty() {
            return Ok(out);
        }
        let q = BooleanQuery::new(self.filter_clauses(principals, &SearchFilters::default()));
        let searcher = self.reader.searcher();
        let addrs = searcher
            .search(&q, &DocSetCollector)
            .map_err(self.err("listing visible chunks"))?;
        let mut seen: HashSet<String> = HashSet::new();
        for addr in addrs {
            let doc: TantivyDocument = searcher
                .doc(addr)
                .map_err(self.err("reading a visible chunk"))?;
            if seen.insert(str_field(&doc, self.fields.issue_id)) {
                *out.entry(str_field(&doc, self.fields.project_key))
                    .or_insert(0) += 1;
            }
        }
        Ok(out)
    }
}

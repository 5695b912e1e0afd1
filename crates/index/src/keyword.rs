//! The keyword index: tantivy on disk at `<dir>/keyword`, BM25 over `title` (boosted)
//! and `text`, with the permission filter as three MUST term-set clauses on the raw
//! `acl_*` fields (cached per principal set as bitsets, see `acl_filter`). It also holds every stored field of a chunk, so vector hits are
//! hydrated (and re-checked against their ACL tags) from here.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, Query, QueryParser, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TantivyDocument,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, Term};
use tracing::debug;

use crate::acl_filter::AclFilterCache;
use crate::{ChunkDoc, ChunkKind, Hit, IndexError, SearchFilters, gates_allow};

/// Memory budget of the tantivy writer.
const WRITER_HEAP: usize = 256 * 1024 * 1024;
/// Length of the fallback snippet when no query word is in the text.
const SNIPPET_CHARS: usize = 200;
/// Extra weight of the title over the body.
const TITLE_BOOST: f32 = 2.0;
/// Weight of an exact issue-key match in the query.
const KEY_BOOST: f32 = 10.0;

#[derive(Clone, Copy)]
struct Fields {
    chunk_id: Field,
    issue_id: Field,
    issue_key: Field,
    project_key: Field,
    kind: Field,
    title: Field,
    text: Field,
    embed_text: Field,
    url: Field,
    acl_project: Field,
    acl_issue: Field,
    acl_comment: Field,
    status: Field,
    priority: Field,
    issue_type: Field,
    assignee: Field,
    labels: Field,
    created: Field,
    updated: Field,
    content_hash: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_opts = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        chunk_id: b.add_text_field("chunk_id", STRING | STORED | FAST),
        issue_id: b.add_text_field("issue_id", STRING | STORED),
        issue_key: b.add_text_field("issue_key", STRING | STORED),
        project_key: b.add_text_field("project_key", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        title: b.add_text_field("title", text_opts.clone()),
        text: b.add_text_field("text", text_opts),
        embed_text: b.add_text_field("embed_text", STORED),
        url: b.add_text_field("url", STORED),
        acl_project: b.add_text_field("acl_project", STRING | STORED),
        acl_issue: b.add_text_field("acl_issue", STRING | STORED),
        acl_comment: b.add_text_field("acl_comment", STRING | STORED),
        status: b.add_text_field("status", STRING | STORED),
        priority: b.add_text_field("priority", STRING | STORED),
        issue_type: b.add_text_field("issue_type", STRING | STORED),
        assignee: b.add_text_field("assignee", STRING | STORED),
        labels: b.add_text_field("labels", STRING | STORED),
        created: b.add_i64_field("created", INDEXED | FAST | STORED),
        updated: b.add_i64_field("updated", INDEXED | FAST | STORED),
        // Stored only: never searched, and one random term per chunk would swell the
        // term dictionary.
        content_hash: b.add_text_field("content_hash", STORED),
    };
    (b.build(), fields)
}

/// A BM25 hit before hydration.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scored {
    pub chunk_id: String,
    pub score: f32,
}

/// tantivy index of chunks.
pub struct KeywordIndex {
    path: PathBuf,
    index: Index,
    fields: Fields,
    reader: IndexReader,
    /// Created on the first write, so read-only users never take tantivy's writer lock.
    writer: Mutex<Option<IndexWriter>>,
    parser: QueryParser,
    acl_cache: AclFilterCache,
}

impl std::fmt::Debug for KeywordIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeywordIndex")
            .field("path", &self.path)
            .finish()
    }
}

impl KeywordIndex {
    /// Opens (or creates) the index in `dir` (the `keyword` folder itself).
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let err = |context: &str| {
            let path = dir.to_path_buf();
            let context = context.to_string();
            move |source| IndexError::Keyword {
                path,
                context,
                source,
            }
        };
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(dir).map_err(|e| IndexError::Keyword {
            path: dir.to_path_buf(),
            context: "opening directory".into(),
            source: e.into(),
        })?;
        let index = Index::open_or_create(directory, schema).map_err(|e| {
            let context = if matches!(e, tantivy::TantivyError::SchemaError(_)) {
                "opening index: it was built by a jira-index version with other fields; \
                 move the data directory aside and sync again"
            } else {
                "opening index"
            };
            err(context)(e)
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(err("opening reader"))?;
        let mut parser = QueryParser::for_index(&index, vec![fields.title, fields.text]);
        parser.set_field_boost(fields.title, TITLE_BOOST);
        Ok(KeywordIndex {
            path: dir.to_path_buf(),
            index,
            fields,
            reader,
            writer: Mutex::new(None),
            parser,
            acl_cache: AclFilterCache::default(),
        })
    }

    fn err(&self, context: impl Into<String>) -> impl FnOnce(tantivy::TantivyError) -> IndexError {
        let path = self.path.clone();
        let context = context.into();
        move |source| IndexError::Keyword {
            path,
            context,
            source,
        }
    }

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

    /// Re-reads the newest commit (for a process that only reads).
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader.reload().map_err(self.err("reloading reader"))
    }

    /// Number of committed chunks.
    pub fn count(&self) -> usize {
        usize::try_from(self.reader.searcher().num_docs()).unwrap_or(usize::MAX)
    }

    /// The query for user text: lenient parse over title+text, plus exact issue-key
    /// terms for words that look like keys (`ENG-123`).
    fn text_query(&self, query: &str) -> Box<dyn Query> {
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

    /// The three permission gates (each "shares a tag with the principals"), all MUST,
    /// scoring nothing.
    fn gates_query(&self, principals: &[String]) -> BooleanQuery {
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
    fn narrowing_clauses(&self, filters: &SearchFilters) -> Vec<(Occur, Box<dyn Query>)> {
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
    fn filter_clauses(
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

    fn address_of(
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

    /// What the index holds for one project, for dashboards (no permission filter:
    /// for admins; reads the stored fields of the project's chunks).
    pub fn project_stats(&self, project_key: &str) -> Result<crate::ProjectStats, IndexError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.project_key, project_key),
            IndexRecordOption::Basic,
        );
        let addrs = searcher
            .search(&q, &DocSetCollector)
            .map_err(self.err(format!("listing chunks of project {project_key}")))?;
        let mut stats = crate::ProjectStats::default();
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

    /// Turns scored chunk ids into hits: reads stored fields, drops chunks that are gone
    /// or whose stored tags do not pass the principals (defence in depth), and cuts
    /// snippets for `query`.
    pub(crate) fn hydrate(
        &self,
        query: &str,
        scored: &[(String, f32)],
        principals: &[String],
    ) -> Result<Vec<Hit>, IndexError> {
        if scored.is_empty() || principals.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let text_query: Box<dyn Query> = if query.trim().is_empty() {
            Box::new(EmptyQuery)
        } else {
            self.text_query(query)
        };
        let mut snippets =
            SnippetGenerator::create(&searcher, text_query.as_ref(), self.fields.text)
                .map_err(self.err("preparing snippets"))?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut hits = Vec::with_capacity(scored.len());
        let mut seen = HashSet::new();
        for (chunk_id, score) in scored {
            if !seen.insert(chunk_id.as_str()) {
                continue;
            }
            let Some(addr) = self.address_of(&searcher, chunk_id)? else {
                debug!(chunk_id, "hit not in keyword index; skipped");
                continue;
            };
            let doc: TantivyDocument = searcher
                .doc(addr)
                .map_err(self.err(format!("reading chunk {chunk_id}")))?;
            let f = &self.fields;
            let acl = |field| strs_field(&doc, field);
            if !gates_allow(
                principals,
                &acl(f.acl_project),
                &acl(f.acl_issue),
                &acl(f.acl_comment),
            ) {
                debug!(chunk_id, "hit failed the stored ACL re-check; dropped");
                continue;
            }
            let Some(kind) = ChunkKind::parse(&str_field(&doc, f.kind)) else {
                continue;
            };
            let text = str_field(&doc, f.text);
            hits.push(Hit {
                chunk_id: chunk_id.clone(),
                issue_id: str_field(&doc, f.issue_id),
                issue_key: str_field(&doc, f.issue_key),
                kind,
                title: str_field(&doc, f.title),
                snippet: snippet(&snippets, &text),
                score: *score,
                url: str_field(&doc, f.url),
            });
        }
        Ok(hits)
    }
}

/// `**word**`-highlighted snippet, or the first 200 characters.
fn snippet(generator: &SnippetGenerator, text: &str) -> String {
    let s = generator.snippet(text);
    let fragment = s.fragment();
    if fragment.is_empty() || s.highlighted().is_empty() {
        return head(text, SNIPPET_CHARS);
    }
    let mut out = String::with_capacity(fragment.len() + 8);
    let mut at = 0;
    for range in s.highlighted() {
        if range.start < at || range.end > fragment.len() {
            continue;
        }
        out.push_str(&fragment[at..range.start]);
        out.push_str("**");
        out.push_str(&fragment[range.start..range.end]);
        out.push_str("**");
        at = range.end;
    }
    out.push_str(&fragment[at..]);
    out
}

fn head(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
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

pub(crate) fn issue_key_of(word: &str) -> Option<String> {
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

fn to_tantivy(f: &Fields, d: &ChunkDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.chunk_id, &d.chunk_id);
    doc.add_text(f.issue_id, &d.issue_id);
    doc.add_text(f.issue_key, &d.issue_key);
    doc.add_text(f.project_key, &d.project_key);
    doc.add_text(f.kind, d.kind.as_str());
    doc.add_text(f.title, &d.title);
    doc.add_text(f.text, &d.text);
    doc.add_text(f.embed_text, &d.embed_text);
    doc.add_text(f.url, &d.url);
    for t in &d.acl_project {
        doc.add_text(f.acl_project, t);
    }
    for t in &d.acl_issue {
        doc.add_text(f.acl_issue, t);
    }
    for t in &d.acl_comment {
        doc.add_text(f.acl_comment, t);
    }
    if let Some(v) = &d.status {
        doc.add_text(f.status, v);
    }
    if let Some(v) = &d.priority {
        doc.add_text(f.priority, v);
    }
    if let Some(v) = &d.issue_type {
        doc.add_text(f.issue_type, v);
    }
    if let Some(v) = &d.assignee {
        doc.add_text(f.assignee, v);
    }
    for l in &d.labels {
        doc.add_text(f.labels, l);
    }
    if let Some(v) = d.created {
        doc.add_i64(f.created, v);
    }
    if let Some(v) = d.updated {
        doc.add_i64(f.updated, v);
    }
    doc.add_text(f.content_hash, &d.content_hash);
    doc
}

fn str_field(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn opt_str_field(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| v.as_str().map(str::to_string))
}

fn strs_field(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn from_tantivy(f: &Fields, doc: &TantivyDocument) -> Option<ChunkDoc> {
    Some(ChunkDoc {
        chunk_id: str_field(doc, f.chunk_id),
        issue_id: str_field(doc, f.issue_id),
        issue_key: str_field(doc, f.issue_key),
        project_key: str_field(doc, f.project_key),
        kind: ChunkKind::parse(&str_field(doc, f.kind))?,
        title: str_field(doc, f.title),
        text: str_field(doc, f.text),
        embed_text: str_field(doc, f.embed_text),
        url: str_field(doc, f.url),
        acl_project: strs_field(doc, f.acl_project),
        acl_issue: strs_field(doc, f.acl_issue),
        acl_comment: strs_field(doc, f.acl_comment),
        status: opt_str_field(doc, f.status),
        priority: opt_str_field(doc, f.priority),
        issue_type: opt_str_field(doc, f.issue_type),
        assignee: opt_str_field(doc, f.assignee),
        labels: strs_field(doc, f.labels),
        created: doc.get_first(f.created).and_then(|v| v.as_i64()),
        updated: doc.get_first(f.updated).and_then(|v| v.as_i64()),
        content_hash: str_field(doc, f.content_hash),
    })
}

#[cfg(test)]
mod schema_doc {
    /// `schemas/keyword-index.md` lists exactly the fields of [`super::schema`].
    #[test]
    fn every_field_is_documented() {
        let doc = include_str!("../../../schemas/keyword-index.md");
        let documented: std::collections::BTreeSet<String> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .map(str::to_string)
            .collect();
        let (schema, _) = super::schema();
        let actual: std::collections::BTreeSet<String> = schema
            .fields()
            .map(|(_, entry)| entry.name().to_string())
            .collect();
        assert_eq!(documented, actual);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_keys_are_recognised() {
        assert_eq!(issue_key_of("ENG-123").as_deref(), Some("ENG-123"));
        assert_eq!(issue_key_of("eng-7").as_deref(), Some("ENG-7"));
        assert_eq!(issue_key_of("A2_B-1").as_deref(), Some("A2_B-1"));
        assert_eq!(issue_key_of("123-4"), None);
        assert_eq!(issue_key_of("ENG-"), None);
        assert_eq!(issue_key_of("self-service"), None);
    }

    #[test]
    fn head_cuts_on_char_boundaries() {
        assert_eq!(head("héllo", 2), "hé…");
        assert_eq!(head("ab", 5), "ab");
    }
}

//! The tantivy schema of a chunk: its fields and their options ([`Fields`],
//! [`schema`]), and the conversions between a [`ChunkDoc`] and a stored tantivy
//! document. `schemas/keyword-index.md` documents every field.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TantivyDocument,
    TextFieldIndexing, TextOptions, Value,
};

use crate::types::{ChunkDoc, ChunkKind};

/// The field handles of the schema.
#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub(super) chunk_id: Field,
    pub(super) issue_id: Field,
    pub(super) issue_key: Field,
    pub(super) project_key: Field,
    pub(super) kind: Field,
    pub(super) title: Field,
    pub(super) text: Field,
    pub(super) embed_text: Field,
    pub(super) url: Field,
    pub(super) acl_project: Field,
    pub(super) acl_issue: Field,
    pub(super) acl_comment: Field,
    pub(super) status: Field,
    pub(super) priority: Field,
    pub(super) issue_type: Field,
    pub(super) assignee: Field,
    pub(super) labels: Field,
    pub(super) created: Field,
    pub(super) updated: Field,
    pub(super) content_hash: Field,
}

/// The schema and its field handles.
pub(super) fn schema() -> (Schema, Fields) {
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

/// The stored document of a chunk.
pub(super) fn to_tantivy(f: &Fields, d: &ChunkDoc) -> TantivyDocument {
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

/// The first value of a text field, or `""`.
pub(super) fn str_field(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The first value of a text field, if any.
fn opt_str_field(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| v.as_str().map(str::to_string))
}

/// Every value of a multi-valued text field.
pub(super) fn strs_field(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The chunk back from its stored document (`None` for an unknown kind).
pub(super) fn from_tantivy(f: &Fields, doc: &TantivyDocument) -> Option<ChunkDoc> {
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

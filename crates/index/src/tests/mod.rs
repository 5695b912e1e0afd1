//! Tests of the whole crate on real stores in temporary directories, by subject;
//! this file holds the helpers they share.

mod acl;
mod hybrid;
mod journal;
mod keyword;
mod vector_store;
mod wire;

use std::sync::{Arc, OnceLock};

use crate::*;

fn tags(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn chunk(chunk_id: &str, issue_id: &str, key: &str, title: &str, text: &str) -> ChunkDoc {
    let kind =
        ChunkKind::parse(chunk_id.split(':').next().unwrap_or("issue")).unwrap_or(ChunkKind::Issue);
    let project_key = key.split('-').next().unwrap_or("").to_string();
    ChunkDoc {
        chunk_id: chunk_id.into(),
        issue_id: issue_id.into(),
        issue_key: key.into(),
        project_key,
        kind,
        title: title.into(),
        text: text.into(),
        embed_text: format!("{key} {title}\n{text}"),
        url: format!("https://example.atlassian.net/browse/{key}"),
        acl_project: tags(&["p:1"]),
        acl_issue: tags(&["*"]),
        acl_comment: tags(&["*"]),
        status: Some("Open".into()),
        priority: None,
        issue_type: None,
        assignee: None,
        labels: tags(&["backend"]),
        created: Some(1_700_000_000_000),
        updated: None,
        content_hash: format!("h-{chunk_id}"),
    }
}

fn req<'a>(query: &'a str, principals: &'a [String], mode: SearchMode) -> SearchRequest<'a> {
    SearchRequest {
        query,
        principals,
        limit: 10,
        mode,
        filters: SearchFilters::default(),
    }
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.chunk_id.as_str()).collect()
}

/// A deterministic unit vector pointing mostly along axis `axis`.
fn unit(axis: usize) -> Vec<f32> {
    let mut v = vec![0.01f32; EMBEDDING_DIM];
    v[axis] = 1.0;
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

fn embedder() -> Arc<Embedder> {
    static E: OnceLock<Arc<Embedder>> = OnceLock::new();
    E.get_or_init(|| {
        let assets = ensure_assets(&default_cache_dir()).expect("embedding assets");
        Arc::new(Embedder::load(&assets).expect("load embedder"))
    })
    .clone()
}

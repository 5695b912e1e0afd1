//! The pending-write journal: an interrupted write is repaired on the next open.

use super::*;

/// A write interrupted between the vector store (durable at once) and the keyword
/// commit is repaired on the next open: the issues it touched are gone from both
/// stores, listed for the sync to index again, and nothing else changes.
#[test]
fn interrupted_write_is_repaired_on_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let me = tags(&["*", "p:1"]);
    let open = |d: &std::path::Path| {
        let store = EdgeStore::open(&d.join("vectors"), EMBEDDING_DIM).expect("vectors");
        SearchIndex::with_store(d, None, Some(Box::new(store))).expect("open")
    };
    {
        let idx = open(dir.path());
        let docs = vec![
            chunk("issue:1:0", "1", "ENG-1", "kept", "kept text"),
            chunk("issue:2:0", "2", "ENG-2", "replaced", "old text"),
        ];
        idx.upsert(&docs, Some(&[unit(0), unit(1)]))
            .expect("upsert");
        idx.commit().expect("commit");
        assert!(idx.recovered_issues().expect("recovered").is_empty());
        // The crash: issue 2 is being replaced and issue 3 added; the vector store has
        // the writes, the keyword index never commits them.
        idx.begin_write(&tags(&["2", "3"])).expect("begin");
        idx.delete_issue("2").expect("delete");
        let docs = vec![
            chunk("issue:2:0", "2", "ENG-2", "replaced", "new text"),
            chunk("issue:2:1", "2", "ENG-2", "replaced", "more new text"),
            chunk("issue:3:0", "3", "ENG-3", "added", "added text"),
        ];
        idx.upsert(&docs, Some(&[unit(2), unit(3), unit(4)]))
            .expect("upsert");
        // Dropped without a commit: tantivy loses the writes, qdrant-edge keeps them.
    }
    let idx = open(dir.path());
    assert_eq!(idx.recovered_issues().expect("recovered"), vec!["2", "3"]);
    // Both stores hold exactly the same chunks: issue 1 only.
    assert_eq!(idx.chunk_count().expect("count"), 1);
    assert_eq!(idx.vector_count().expect("count"), 1);
    for axis in 0..5 {
        let hits = idx
            .search_with_vector(&req("text", &me, SearchMode::Vector), &unit(axis))
            .expect("search");
        assert_eq!(ids(&hits), vec!["issue:1:0"], "axis {axis}");
    }
    assert_eq!(
        ids(&idx
            .search(&req("text", &me, SearchMode::Keyword))
            .expect("search")),
        vec!["issue:1:0"]
    );
    idx.clear_recovered().expect("clear");
    drop(idx);
    let idx = open(dir.path());
    assert!(idx.recovered_issues().expect("recovered").is_empty());
    assert_eq!(idx.vector_count().expect("count"), 1);
}

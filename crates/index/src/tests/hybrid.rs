//! Both stores together: re-indexing in one batch, hybrid search with the real
//! embedder, and thread safety of the public handles.

use super::*;

#[test]
fn reindexing_an_issue_in_one_batch_keeps_it_in_both_stores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EdgeStore::open(&dir.path().join("vectors"), EMBEDDING_DIM).expect("store");
    let idx = SearchIndex::with_store(dir.path(), None, Some(Box::new(store))).expect("open");
    let me = tags(&["*", "p:1"]);
    let docs = vec![
        chunk("issue:1:0", "1", "ENG-1", "Queue", "the queue is stuck"),
        chunk(
            "comment:2:0",
            "1",
            "ENG-1",
            "Queue",
            "restarted the queue worker",
        ),
    ];
    let vecs = vec![unit(1), unit(2)];
    idx.upsert(&docs, Some(&vecs)).expect("upsert");
    idx.commit().expect("commit");
    // What sync does on every changed issue: delete all its chunks, write the new set.
    idx.delete_issue("1").expect("delete");
    idx.upsert(&docs[..1], Some(&vecs[..1])).expect("upsert");
    idx.commit().expect("commit");
    assert_eq!(
        idx.issue_chunk_ids("1").expect("ids"),
        vec!["issue:1:0".to_string()]
    );
    assert_eq!(idx.vector_count().expect("vectors"), 1);
    assert_eq!(idx.chunk_count().expect("chunks"), 1);
    // "Everything visible": a huge limit is fine.
    let mut r = req("queue", &me, SearchMode::Keyword);
    r.limit = usize::MAX;
    assert_eq!(ids(&idx.search(&r).expect("search")), vec!["issue:1:0"]);
    assert!(matches!(
        idx.upsert(&docs, Some(&vecs[..1])),
        Err(IndexError::Invalid(_))
    ));
    // Re-written without a vector: the old vector must not keep serving old text.
    idx.upsert(&docs[..1], None)
        .expect("upsert without vectors");
    idx.commit().expect("commit");
    assert_eq!(idx.vector_count().expect("vectors"), 0);
    assert_eq!(idx.chunk_count().expect("chunks"), 1);
}

#[test]
fn search_index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SearchIndex>();
    check::<Embedder>();
    check::<EdgeStore>();
    check::<KeywordIndex>();
}

#[test]
fn hybrid_search_with_real_embedder() {
    let e = embedder();
    let dir = tempfile::tempdir().expect("tempdir");
    let me = tags(&["*", "p:1"]);
    let corpus = vec![
        chunk(
            "issue:1:0",
            "1",
            "ENG-1",
            "Users cannot sign in",
            "Authentication fails after the password reset; the login form shows an error.",
        ),
        chunk(
            "issue:2:0",
            "2",
            "ENG-2",
            "Invoice PDF layout broken",
            "The totals column overlaps the VAT line in generated invoices.",
        ),
        chunk(
            "issue:3:0",
            "3",
            "ENG-3",
            "Slow dashboard",
            "The analytics dashboard takes 30 seconds to load for large tenants.",
        ),
        chunk(
            "comment:4:0",
            "3",
            "ENG-3",
            "Slow dashboard",
            "Profiling shows the query planner picks a sequential scan.",
        ),
        chunk(
            "issue:5:0",
            "5",
            "ENG-5",
            "Kubernetes pods evicted",
            "Nodes run out of memory and pods get evicted during the nightly batch.",
        ),
    ];
    {
        let idx = SearchIndex::open(dir.path(), Some(e.clone())).expect("open");
        idx.embed_and_upsert(&corpus).expect("upsert");
        idx.embed_and_upsert(&corpus[..2]).expect("upsert again");
        idx.commit().expect("commit");
        assert_eq!(idx.vector_count().expect("vectors"), 5);
        assert_eq!(idx.chunk_count().expect("chunks"), 5);

        // Semantic query with no shared keyword: only the vector side can find it.
        let hits = idx
            .search(&req(
                "problems logging into my account",
                &me,
                SearchMode::Vector,
            ))
            .expect("vector");
        assert_eq!(
            hits.first().map(|h| h.chunk_id.as_str()),
            Some("issue:1:0"),
            "{hits:?}"
        );
        let hits = idx
            .search(&req(
                "problems logging into my account",
                &me,
                SearchMode::Hybrid,
            ))
            .expect("hybrid");
        assert_eq!(
            hits.first().map(|h| h.chunk_id.as_str()),
            Some("issue:1:0"),
            "{hits:?}"
        );
        // Keyword + vector agree on the dashboard issue: hybrid ranks it first, its
        // score the convex combination (at most 1: cosine and BM25 / best BM25).
        let hits = idx
            .search(&req("dashboard loading slowly", &me, SearchMode::Hybrid))
            .expect("hybrid");
        assert_eq!(
            hits.first().map(|h| h.issue_key.as_str()),
            Some("ENG-3"),
            "{hits:?}"
        );
        assert!(
            hits[0].score <= 1.0 + 1e-6 && hits[0].score > 0.05,
            "fused score {}",
            hits[0].score
        );
        // A query naming an issue key ranks by rank fusion: the key's chunk comes first
        // even though its text says nothing like the rest of the query.
        let hits = idx
            .search(&req(
                "ENG-3 problems logging into my account",
                &me,
                SearchMode::Hybrid,
            ))
            .expect("hybrid");
        assert_eq!(
            hits.first().map(|h| h.issue_key.as_str()),
            Some("ENG-3"),
            "{hits:?}"
        );
        assert!(
            hits[0].score <= 2.0 / 61.0 + 1e-6,
            "rrf score {}",
            hits[0].score
        );
        // Permissions hold on the vector side too.
        let nobody = tags(&["*"]);
        assert!(
            idx.search(&req("sign in", &nobody, SearchMode::Hybrid))
                .expect("hybrid")
                .is_empty()
        );
        assert!(
            idx.search(&req("sign in", &[], SearchMode::Vector))
                .expect("vector")
                .is_empty()
        );

        idx.delete_issue("3").expect("delete");
        idx.commit().expect("commit");
        assert_eq!(idx.vector_count().expect("vectors"), 3);
        let hits = idx
            .search(&req("dashboard loading slowly", &me, SearchMode::Vector))
            .expect("vector");
        assert!(hits.iter().all(|h| h.issue_id != "3"), "{hits:?}");
    }
    let idx = SearchIndex::open(dir.path(), Some(e)).expect("reopen");
    assert_eq!(idx.vector_count().expect("vectors"), 3);
    let hits = idx
        .search(&req("pods killed for lack of RAM", &me, SearchMode::Vector))
        .expect("vector");
    assert_eq!(
        hits.first().map(|h| h.issue_key.as_str()),
        Some("ENG-5"),
        "{hits:?}"
    );
}

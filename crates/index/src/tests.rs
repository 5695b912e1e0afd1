//! Tests of the whole crate on real stores in temporary directories.

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

#[test]
fn keyword_roundtrip_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let me = tags(&["*", "p:1"]);
    {
        let idx = SearchIndex::open(dir.path(), None).expect("open");
        idx.upsert(
            &[
                chunk(
                    "issue:1:0",
                    "1",
                    "ENG-1",
                    "Login page crashes",
                    "Null pointer in the session handler",
                ),
                chunk(
                    "comment:9:0",
                    "1",
                    "ENG-1",
                    "Login page crashes",
                    "I see the crash on Firefox too",
                ),
                chunk(
                    "issue:2:0",
                    "2",
                    "ENG-2",
                    "Dark mode",
                    "Add a dark theme to settings",
                ),
            ],
            None,
        )
        .expect("upsert");
        // Not visible before commit.
        assert!(
            idx.search(&req("crash", &me, SearchMode::Keyword))
                .expect("search")
                .is_empty()
        );
        idx.commit().expect("commit");
        let hits = idx
            .search(&req("crash", &me, SearchMode::Keyword))
            .expect("search");
        let mut got = ids(&hits);
        got.sort();
        assert_eq!(got, vec!["comment:9:0", "issue:1:0"]);
        let comment = hits
            .iter()
            .find(|h| h.chunk_id == "comment:9:0")
            .expect("comment hit");
        assert_eq!(comment.snippet, "I see the **crash** on Firefox too");
        // Matched by title only: the snippet falls back to the start of the text.
        let issue = hits
            .iter()
            .find(|h| h.chunk_id == "issue:1:0")
            .expect("issue hit");
        assert_eq!(issue.snippet, "Null pointer in the session handler");
        assert_eq!(idx.chunk_count().expect("count"), 3);
    }
    let idx = SearchIndex::open(dir.path(), None).expect("reopen");
    assert_eq!(idx.chunk_count().expect("count"), 3);
    assert_eq!(
        idx.issue_chunk_ids("1").expect("ids"),
        vec!["comment:9:0".to_string(), "issue:1:0".to_string()]
    );
    let stored = idx.get_chunk("issue:2:0").expect("get").expect("present");
    assert_eq!(
        stored,
        chunk(
            "issue:2:0",
            "2",
            "ENG-2",
            "Dark mode",
            "Add a dark theme to settings"
        )
    );
    let hits = idx
        .search(&req("dark theme", &me, SearchMode::Hybrid))
        .expect("fallback search");
    assert_eq!(ids(&hits), vec!["issue:2:0"]);
    assert_eq!(hits[0].issue_key, "ENG-2");
    assert_eq!(hits[0].url, "https://example.atlassian.net/browse/ENG-2");
}

#[test]
fn acl_needs_all_three_gates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = SearchIndex::open(dir.path(), None).expect("open");
    let mut open = chunk("issue:1:0", "1", "ENG-1", "Budget", "secret budget numbers");
    open.acl_project = tags(&["p:1"]);
    let mut secured = chunk("issue:2:0", "2", "ENG-2", "Budget", "secret budget numbers");
    secured.acl_issue = tags(&["sl:5:1", "p:1:reporter:acc-bob"]);
    let mut restricted = chunk(
        "comment:3:0",
        "1",
        "ENG-1",
        "Budget",
        "secret budget numbers",
    );
    restricted.acl_comment = tags(&["g:finance"]);
    let mut other_project = chunk("issue:4:0", "4", "OPS-4", "Budget", "secret budget numbers");
    other_project.acl_project = tags(&["p:2"]);
    idx.upsert(&[open, secured, restricted, other_project], None)
        .expect("upsert");
    idx.commit().expect("commit");

    let search = |principals: &[&str]| {
        let p = tags(principals);
        let mut got: Vec<String> = idx
            .search(&req("budget", &p, SearchMode::Keyword))
            .expect("search")
            .into_iter()
            .map(|h| h.chunk_id)
            .collect();
        got.sort();
        got
    };
    assert_eq!(search(&["*", "p:1"]), vec!["issue:1:0"]);
    assert_eq!(
        search(&["*", "p:1", "g:finance"]),
        vec!["comment:3:0", "issue:1:0"]
    );
    assert_eq!(
        search(&["*", "p:1", "p:1:reporter:acc-bob"]),
        vec!["issue:1:0", "issue:2:0"]
    );
    assert_eq!(search(&["*", "p:2"]), vec!["issue:4:0"]);
    // The issue gate alone is not enough without the project gate.
    assert_eq!(search(&["*", "sl:5:1", "g:finance"]), Vec::<String>::new());
    assert_eq!(search(&["*"]), Vec::<String>::new());
    assert_eq!(search(&[]), Vec::<String>::new());
}

#[test]
fn upsert_is_idempotent_and_replaces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = SearchIndex::open(dir.path(), None).expect("open");
    let me = tags(&["*", "p:1"]);
    let c = chunk("issue:1:0", "1", "ENG-1", "Kafka lag", "consumer lag grows");
    idx.upsert(std::slice::from_ref(&c), None).expect("upsert");
    idx.upsert(std::slice::from_ref(&c), None)
        .expect("upsert again in the same batch");
    idx.commit().expect("commit");
    idx.upsert(std::slice::from_ref(&c), None)
        .expect("upsert after commit");
    idx.commit().expect("commit");
    assert_eq!(
        ids(&idx
            .search(&req("lag", &me, SearchMode::Keyword))
            .expect("search")),
        vec!["issue:1:0"]
    );
    assert_eq!(idx.chunk_count().expect("count"), 1);
    let mut changed = c;
    changed.text = "broker disk is full".into();
    idx.upsert(&[changed], None).expect("replace");
    idx.commit().expect("commit");
    assert!(
        idx.search(&req("consumer", &me, SearchMode::Keyword))
            .expect("search")
            .is_empty()
    );
    assert_eq!(
        ids(&idx
            .search(&req("disk", &me, SearchMode::Keyword))
            .expect("search")),
        vec!["issue:1:0"]
    );
}

#[test]
fn delete_issue_and_chunks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = SearchIndex::open(dir.path(), None).expect("open");
    let me = tags(&["*", "p:1"]);
    idx.upsert(
        &[
            chunk("issue:1:0", "1", "ENG-1", "Printer", "printer jams"),
            chunk("comment:7:0", "1", "ENG-1", "Printer", "printer jams daily"),
            chunk(
                "issue:2:0",
                "2",
                "ENG-2",
                "Printer toner",
                "printer toner empty",
            ),
        ],
        None,
    )
    .expect("upsert");
    idx.commit().expect("commit");
    idx.delete_issue("1").expect("delete issue");
    idx.commit().expect("commit");
    assert_eq!(
        ids(&idx
            .search(&req("printer", &me, SearchMode::Keyword))
            .expect("search")),
        vec!["issue:2:0"]
    );
    assert!(idx.issue_chunk_ids("1").expect("ids").is_empty());
    idx.delete_chunks(&["issue:2:0".to_string()])
        .expect("delete chunks");
    idx.commit().expect("commit");
    assert_eq!(idx.chunk_count().expect("count"), 0);
}

#[test]
fn issue_key_is_exactly_searchable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = SearchIndex::open(dir.path(), None).expect("open");
    let me = tags(&["*", "p:1"]);
    idx.upsert(
        &[
            chunk(
                "issue:123:0",
                "123",
                "ENG-123",
                "Cache invalidation",
                "stale entries after deploy",
            ),
            chunk(
                "issue:124:0",
                "124",
                "ENG-124",
                "Cache warmup",
                "warm the cache; see 123 for details",
            ),
            chunk(
                "issue:125:0",
                "125",
                "ENG-1234",
                "Unrelated",
                "nothing here",
            ),
        ],
        None,
    )
    .expect("upsert");
    idx.commit().expect("commit");
    for q in ["ENG-123", "eng-123", "what about ENG-123?"] {
        let hits = idx
            .search(&req(q, &me, SearchMode::Keyword))
            .expect("search");
        assert_eq!(
            hits.first().map(|h| h.issue_key.as_str()),
            Some("ENG-123"),
            "query {q}: {hits:?}"
        );
    }
}

#[test]
fn hostile_queries_do_not_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = SearchIndex::open(dir.path(), None).expect("open");
    let me = tags(&["*", "p:1"]);
    idx.upsert(
        &[chunk(
            "issue:1:0",
            "1",
            "ENG-1",
            "foo bar",
            "foo:bar baz (qux)",
        )],
        None,
    )
    .expect("upsert");
    idx.commit().expect("commit");
    for q in [
        "foo:bar (",
        ")",
        "\"unterminated",
        "title:",
        "*",
        "AND OR NOT",
        "[1 TO",
        "a^",
        "~~~",
        "\\",
        "acl_project:p:1",
        "chunk_id:issue:1:0",
        "  ",
        "日本語",
        "foo -",
        "+",
        "{}",
        "NOT foo",
    ] {
        let r = idx.search(&req(q, &me, SearchMode::Hybrid));
        assert!(r.is_ok(), "query {q:?} failed: {r:?}");
    }
    // Fields the user may not query stay out of reach: the ACL field is no query target.
    let none = tags(&["*"]);
    assert!(
        idx.search(&req("acl_project:p:1 foo", &none, SearchMode::Keyword))
            .expect("search")
            .is_empty()
    );
    assert_eq!(
        ids(&idx
            .search(&req("foo:bar (", &me, SearchMode::Keyword))
            .expect("search")),
        vec!["issue:1:0"]
    );
}

#[test]
fn filters_and_collapse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = SearchIndex::open(dir.path(), None).expect("open");
    let me = tags(&["*", "p:1", "p:2"]);
    let mut ops = chunk("issue:5:0", "5", "OPS-5", "Outage", "database outage");
    ops.acl_project = tags(&["p:2"]);
    idx.upsert(
        &[
            chunk(
                "issue:1:0",
                "1",
                "ENG-1",
                "Outage",
                "database outage at night",
            ),
            chunk(
                "comment:2:0",
                "1",
                "ENG-1",
                "Outage",
                "the outage came back",
            ),
            ops,
        ],
        None,
    )
    .expect("upsert");
    idx.commit().expect("commit");
    let mut r = req("outage", &me, SearchMode::Keyword);
    r.filters.project_keys = vec!["OPS".into()];
    assert_eq!(ids(&idx.search(&r).expect("search")), vec!["issue:5:0"]);
    let mut r = req("outage", &me, SearchMode::Keyword);
    r.filters.kinds = vec![ChunkKind::Comment];
    assert_eq!(ids(&idx.search(&r).expect("search")), vec!["comment:2:0"]);
    let mut r = req("outage", &me, SearchMode::Keyword);
    r.filters.collapse_by_issue = true;
    let hits = idx.search(&r).expect("search");
    assert_eq!(hits.len(), 2);
    assert_ne!(hits[0].issue_id, hits[1].issue_id);
}

/// Vectors of one embedding model are never compared with another model's query
/// vector: after `[embedding] model` changes, the vector leg meets only the chunks
/// the new model has re-embedded (the keyword leg finds the rest).
#[test]
fn a_store_searches_only_the_vectors_of_its_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vectors");
    let me = tags(&["*", "p:1"]);
    let any = SearchFilters::default();
    {
        let old = EdgeStore::open(&path, EMBEDDING_DIM)
            .expect("create")
            .with_model("model-a");
        let docs = vec![
            chunk("issue:1:0", "1", "ENG-1", "a", "a"),
            chunk("issue:2:0", "2", "ENG-2", "b", "b"),
        ];
        old.upsert(&docs, &[unit(0), unit(1)]).expect("upsert");
        assert_eq!(
            old.search(&unit(0), &me, &any, 10).expect("search").len(),
            2
        );
        old.flush().expect("flush");
    }
    let new = EdgeStore::open(&path, EMBEDDING_DIM)
        .expect("reopen")
        .with_model("model-b");
    assert!(
        new.search(&unit(0), &me, &any, 10)
            .expect("search")
            .is_empty()
    );
    new.upsert(&[chunk("issue:2:0", "2", "ENG-2", "b", "b")], &[unit(1)])
        .expect("re-embed one");
    let hits = new.search(&unit(0), &me, &any, 10).expect("search");
    assert_eq!(
        hits.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        vec!["issue:2:0"]
    );
    assert_eq!(
        new.count().expect("count"),
        2,
        "the old vector stays until replaced"
    );
}

#[test]
fn edge_store_roundtrip_acl_delete_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vectors");
    let me = tags(&["*", "p:1"]);
    let mut hidden = chunk("comment:3:0", "2", "ENG-2", "b", "b");
    hidden.acl_comment = tags(&["g:admins"]);
    {
        let store = EdgeStore::open(&path, EMBEDDING_DIM).expect("create");
        let docs = vec![
            chunk("issue:1:0", "1", "ENG-1", "a", "a"),
            chunk("comment:2:0", "1", "ENG-1", "a", "a"),
            hidden.clone(),
            chunk("issue:4:0", "4", "ENG-4", "d", "d"),
        ];
        let vecs = vec![unit(0), unit(1), unit(2), unit(3)];
        store.upsert(&docs, &vecs).expect("upsert");
        store.upsert(&docs[..1], &vecs[..1]).expect("upsert twice");
        assert_eq!(store.count().expect("count"), 4);
        let hits = store
            .search(&unit(2), &me, &SearchFilters::default(), 10)
            .expect("search");
        assert_eq!(hits.len(), 3, "{hits:?}");
        assert!(hits.iter().all(|(c, _)| c != "comment:3:0"));
        let admins = tags(&["*", "p:1", "g:admins"]);
        let hits = store
            .search(&unit(2), &admins, &SearchFilters::default(), 1)
            .expect("search");
        assert_eq!(hits[0].0, "comment:3:0");
        assert!(hits[0].1 > 0.99);
        assert!(
            store
                .search(&unit(0), &[], &SearchFilters::default(), 10)
                .expect("search")
                .is_empty()
        );
        let only_comments = SearchFilters {
            kinds: vec![ChunkKind::Comment],
            ..Default::default()
        };
        let hits = store
            .search(&unit(0), &admins, &only_comments, 10)
            .expect("search");
        let mut got: Vec<&str> = hits.iter().map(|(c, _)| c.as_str()).collect();
        got.sort();
        assert_eq!(got, vec!["comment:2:0", "comment:3:0"]);
        store.delete_issue("1").expect("delete issue");
        store
            .delete_chunks(&["issue:4:0".to_string()])
            .expect("delete chunk");
        assert_eq!(store.count().expect("count"), 1);
        store.flush().expect("flush");
    }
    let store = EdgeStore::open(&path, EMBEDDING_DIM).expect("reopen");
    assert_eq!(store.count().expect("count"), 1);
    let admins = tags(&["*", "p:1", "g:admins"]);
    let hits = store
        .search(&unit(0), &admins, &SearchFilters::default(), 10)
        .expect("search");
    assert_eq!(
        hits.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        vec!["comment:3:0"]
    );
    // A second handle on an open store is refused, not allowed to corrupt it.
    assert!(matches!(
        EdgeStore::open(&path, EMBEDDING_DIM),
        Err(IndexError::Busy { .. })
    ));
    drop(store);
    assert!(matches!(
        EdgeStore::open(&path, 8),
        Err(IndexError::Vector { .. })
    ));
    assert!(EdgeStore::open(&path, EMBEDDING_DIM).is_ok());
}

#[test]
fn edge_store_survives_optimize_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vectors");
    let me = tags(&["*", "p:1"]);
    let n = 300;
    {
        let store = EdgeStore::open(&path, EMBEDDING_DIM).expect("create");
        let docs: Vec<ChunkDoc> = (0..n)
            .map(|i| {
                chunk(
                    &format!("issue:{i}:0"),
                    &i.to_string(),
                    &format!("ENG-{i}"),
                    "t",
                    "x",
                )
            })
            .collect();
        let vecs: Vec<Vec<f32>> = (0..n).map(|i| unit(i % EMBEDDING_DIM)).collect();
        store.upsert(&docs, &vecs).expect("upsert");
        store.delete_issue("7").expect("delete");
        store.optimize().expect("optimize");
        assert_eq!(store.count().expect("count"), n - 1);
    }
    let store = EdgeStore::open(&path, EMBEDDING_DIM).expect("reopen");
    assert_eq!(store.count().expect("count"), n - 1);
    let hits = store
        .search(&unit(5), &me, &SearchFilters::default(), 1)
        .expect("search");
    assert_eq!(hits[0].0, "issue:5:0");
}

#[test]
fn edge_store_prunes_its_wal_and_keeps_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vectors");
    let me = tags(&["*", "p:1"]);
    let options = EdgeStoreOptions {
        wal_segment_bytes: 256 * 1024,
        wal_prune_bytes: 512 * 1024,
    };
    let docs: Vec<ChunkDoc> = (0..200)
        .map(|i| {
            chunk(
                &format!("issue:{i}:0"),
                &i.to_string(),
                &format!("ENG-{i}"),
                "t",
                "x",
            )
        })
        .collect();
    {
        let store = EdgeStore::open_with(&path, EMBEDDING_DIM, options).expect("create");
        for round in 0..8 {
            let vecs: Vec<Vec<f32>> = (0..docs.len()).map(|i| unit((i + round) % 50)).collect();
            store.upsert(&docs, &vecs).expect("upsert");
            store.flush().expect("flush");
            let closed: usize = std::fs::read_dir(path.join("wal"))
                .expect("wal dir")
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("closed-"))
                .count();
            // 200 points × ~2 KiB per round = ~1.6 closed segments; pruning keeps it bounded.
            assert!(closed <= 4, "round {round}: {closed} closed WAL segments");
        }
        // After prunes, updates of existing points still apply (operation counter kept).
        store.upsert(&docs[..1], &[unit(300)]).expect("update");
        let hits = store
            .search(&unit(300), &me, &SearchFilters::default(), 1)
            .expect("search");
        assert_eq!(hits[0].0, "issue:0:0");
        assert!(hits[0].1 > 0.99);
        store.flush().expect("flush");
    }
    let store = EdgeStore::open_with(&path, EMBEDDING_DIM, options).expect("reopen");
    assert_eq!(store.count().expect("count"), 200);
    store
        .upsert(&docs[1..2], &[unit(301)])
        .expect("update after reopen");
    let hits = store
        .search(&unit(301), &me, &SearchFilters::default(), 1)
        .expect("search");
    assert_eq!(hits[0].0, "issue:1:0");
    let hits = store
        .search(&unit(300), &me, &SearchFilters::default(), 1)
        .expect("search");
    assert_eq!(hits[0].0, "issue:0:0");
}

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

/// Disk use of the qdrant-edge WAL: `cargo test -p index -- --ignored --nocapture wal_growth`.
#[test]
#[ignore]
fn wal_growth() {
    fn du(p: &std::path::Path) -> u64 {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        let m = e.metadata().map(|m| m.len()).unwrap_or(0);
                        if e.path().is_dir() { du(&e.path()) } else { m }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vectors");
    let store = EdgeStore::open(&path, EMBEDDING_DIM).expect("create");
    for round in 0..4 {
        let docs: Vec<ChunkDoc> = (0..5000)
            .map(|i| {
                chunk(
                    &format!("issue:{i}:0"),
                    &i.to_string(),
                    &format!("ENG-{i}"),
                    "t",
                    "x",
                )
            })
            .collect();
        let vecs: Vec<Vec<f32>> = (0..5000).map(|i| unit(i % EMBEDDING_DIM)).collect();
        let t = std::time::Instant::now();
        for (d, v) in docs.chunks(250).zip(vecs.chunks(250)) {
            store.upsert(d, v).expect("upsert");
        }
        store.flush().expect("flush");
        println!(
            "round {round}: upsert+flush 5000 in {:?}; wal {} KiB, segments {} KiB, count {}",
            t.elapsed(),
            du(&path.join("wal")) / 1024,
            du(&path.join("segments")) / 1024,
            store.count().expect("count")
        );
    }
    let t = std::time::Instant::now();
    let me = tags(&["*", "p:1"]);
    for i in 0..50 {
        store
            .search(&unit(i), &me, &SearchFilters::default(), 50)
            .expect("search");
    }
    println!("50 searches (plain segment): {:?}", t.elapsed());
    let t = std::time::Instant::now();
    store.optimize().expect("optimize");
    println!(
        "optimize: {:?}; segments {} KiB",
        t.elapsed(),
        du(&path.join("segments")) / 1024
    );
    let t = std::time::Instant::now();
    for i in 0..50 {
        store
            .search(&unit(i), &me, &SearchFilters::default(), 50)
            .expect("search");
    }
    println!("50 searches (optimized): {:?}", t.elapsed());
}

/// Latency probe: `cargo test -p index -- --ignored --nocapture keyword_latency`.
#[test]
#[ignore]
fn keyword_latency() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = SearchIndex::open(dir.path(), None).expect("open");
    let words = [
        "login",
        "crash",
        "dashboard",
        "invoice",
        "kafka",
        "latency",
        "deploy",
        "cache",
        "timeout",
        "memory",
        "printer",
        "search",
        "index",
        "permission",
        "token",
        "export",
    ];
    let n = 20_000;
    let t = std::time::Instant::now();
    let docs: Vec<ChunkDoc> = (0..n)
        .map(|i| {
            let text: Vec<&str> = (0..60)
                .map(|j| words[(i * 7 + j * 13 + j * j) % words.len()])
                .collect();
            let mut c = chunk(
                &format!("issue:{i}:0"),
                &i.to_string(),
                &format!("ENG-{i}"),
                &format!("{} {}", words[i % 16], words[(i / 16) % 16]),
                &text.join(" "),
            );
            c.acl_project = vec![format!("p:{}", i % 10)];
            c
        })
        .collect();
    for batch in docs.chunks(1000) {
        idx.upsert(batch, None).expect("upsert");
    }
    idx.commit().expect("commit");
    println!("indexed {n} chunks in {:?}", t.elapsed());
    let me = tags(&["*", "p:1", "p:2", "p:3"]);
    let t = std::time::Instant::now();
    let mut total = 0;
    for q in 0..100 {
        let query = format!("{} {}", words[q % 16], words[(q * 5) % 16]);
        total += idx
            .search(&req(&query, &me, SearchMode::Keyword))
            .expect("search")
            .len();
    }
    println!(
        "100 keyword searches (limit 10, hydrated, snippets): {:?}; {total} hits",
        t.elapsed()
    );
}

#[test]
fn very_long_queries_are_cut_not_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = SearchIndex::open(dir.path(), None).expect("open");
    let me = tags(&["*", "p:1"]);
    idx.upsert(
        &[chunk(
            "issue:1:0",
            "1",
            "ENG-1",
            "Disk full",
            "disk full on build agent",
        )],
        None,
    )
    .expect("upsert");
    idx.commit().expect("commit");
    let long = format!("disk {}", "ü(x: ".repeat(50_000));
    let hits = idx
        .search(&req(&long, &me, SearchMode::Keyword))
        .expect("search");
    assert_eq!(ids(&hits), vec!["issue:1:0"]);
}

#[test]
fn wire_names_are_lowercase() {
    assert_eq!(
        serde_json::to_string(&ChunkKind::Comment).expect("json"),
        "\"comment\""
    );
    assert_eq!(
        serde_json::to_string(&SearchMode::Hybrid).expect("json"),
        "\"hybrid\""
    );
    let m: SearchMode = serde_json::from_str("\"Keyword\"").expect("alias");
    assert_eq!(m, SearchMode::Keyword);
    let f: SearchFilters = serde_json::from_str("{\"kinds\":[\"issue\"]}").expect("filters");
    assert_eq!(f.kinds, vec![ChunkKind::Issue]);
    assert!(f.project_keys.is_empty() && !f.collapse_by_issue);
}

/// Cost of the qdrant-edge optimizer: `cargo test -p index -- --ignored --nocapture optimize_cost`.
#[test]
#[ignore]
fn optimize_cost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vectors");
    let store = EdgeStore::open(&path, EMBEDDING_DIM).expect("create");
    let me = tags(&["*", "p:1"]);
    let mut seed = 1u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 1000) as f32 / 1000.0 - 0.5
    };
    for round in 0..3 {
        let base = round * 10_000;
        let docs: Vec<ChunkDoc> = (base..base + 10_000)
            .map(|i| {
                chunk(
                    &format!("issue:{i}:0"),
                    &i.to_string(),
                    &format!("ENG-{i}"),
                    "t",
                    "x",
                )
            })
            .collect();
        let vecs: Vec<Vec<f32>> = (0..docs.len())
            .map(|_| (0..EMBEDDING_DIM).map(|_| rnd()).collect())
            .collect();
        for (d, v) in docs.chunks(500).zip(vecs.chunks(500)) {
            store.upsert(d, v).expect("upsert");
        }
        store.flush().expect("flush");
        let q: Vec<f32> = (0..EMBEDDING_DIM).map(|_| rnd()).collect();
        let t = std::time::Instant::now();
        for _ in 0..20 {
            store
                .search(&q, &me, &SearchFilters::default(), 50)
                .expect("search");
        }
        println!(
            "round {round}: {} points, 20 searches before optimize {:?}",
            store.count().expect("count"),
            t.elapsed()
        );
        let t = std::time::Instant::now();
        store.optimize().expect("optimize");
        println!("round {round}: optimize {:?}", t.elapsed());
        let t = std::time::Instant::now();
        store.optimize().expect("optimize");
        println!(
            "round {round}: second optimize (nothing to do) {:?}",
            t.elapsed()
        );
        let t = std::time::Instant::now();
        for _ in 0..20 {
            store
                .search(&q, &me, &SearchFilters::default(), 50)
                .expect("search");
        }
        println!(
            "round {round}: 20 searches after optimize {:?}",
            t.elapsed()
        );
    }
}

/// The cached permission filter follows commits (new segments), deletions, replaced
/// ACLs and merges, and never serves one principal set's filter to another.
#[test]
fn cached_permission_filter_follows_every_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = SearchIndex::open(dir.path(), None).expect("open");
    let doc = |id: &str, issue: &str, project: &str| {
        let mut d = chunk(id, issue, "ENG-1", "Budget", "quarterly budget numbers");
        d.acl_project = tags(&[project]);
        d
    };
    let search = |principals: &[&str]| {
        let p = tags(principals);
        let mut got: Vec<String> = idx
            .search(&req("budget", &p, SearchMode::Keyword))
            .expect("search")
            .into_iter()
            .map(|h| h.chunk_id)
            .collect();
        got.sort();
        got
    };
    idx.upsert(
        &[doc("issue:1:0", "1", "p:1"), doc("issue:2:0", "2", "p:2")],
        None,
    )
    .expect("upsert");
    idx.commit().expect("commit");
    assert_eq!(search(&["*", "p:1"]), vec!["issue:1:0"]);
    assert_eq!(
        search(&["p:1", "*"]),
        vec!["issue:1:0"],
        "order does not matter"
    );
    assert_eq!(search(&["*", "p:2"]), vec!["issue:2:0"]);
    assert_eq!(search(&["*", "p:1", "p:2"]), vec!["issue:1:0", "issue:2:0"]);
    assert_eq!(idx.keyword().acl_cache_len(), 3);

    // A new segment: filtered on first sight.
    idx.upsert(&[doc("issue:3:0", "3", "p:1")], None)
        .expect("upsert");
    idx.commit().expect("commit");
    assert_eq!(search(&["*", "p:1"]), vec!["issue:1:0", "issue:3:0"]);
    // A deletion and an ACL change (delete + add): the old bits of the old segment
    // must not keep the chunk visible.
    idx.delete_chunks(&tags(&["issue:3:0"])).expect("delete");
    idx.upsert(&[doc("issue:1:0", "1", "p:2")], None)
        .expect("upsert");
    idx.commit().expect("commit");
    assert_eq!(search(&["*", "p:1"]), Vec::<String>::new());
    assert_eq!(search(&["*", "p:2"]), vec!["issue:1:0", "issue:2:0"]);
    // Merged segments get new ids: filtered afresh.
    for i in 10..16 {
        idx.upsert(&[doc(&format!("issue:{i}:0"), &i.to_string(), "p:1")], None)
            .expect("upsert");
        idx.commit().expect("commit");
    }
    idx.wait_merges().expect("merge");
    idx.reload().expect("reload");
    assert_eq!(search(&["*", "p:1"]).len(), 6);
    assert_eq!(search(&["*", "p:2"]), vec!["issue:1:0", "issue:2:0"]);
    assert_eq!(search(&[]), Vec::<String>::new());
}

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

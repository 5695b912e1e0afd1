//! The keyword side through [`SearchIndex`]: writes, commits, reopen, deletions,
//! issue-key search, hostile and very long queries, filters and collapsing, and a
//! latency probe (ignored).

use super::*;

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

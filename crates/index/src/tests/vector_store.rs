//! The embedded vector store ([`EdgeStore`]): roundtrip, ACL, deletions, reopen,
//! optimize, WAL pruning, model separation, and cost probes (ignored).

use super::*;

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

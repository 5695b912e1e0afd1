//! The whole index on a Qdrant server (`SearchIndex::on_cluster`), against a real
//! Qdrant 1.18 started from `../shared/bin/start-qdrant-cluster.sh`, checked against
//! the local index (tantivy) holding the same chunks: every search mode returns
//! exactly the chunks the principals may see, BM25 ranks as the local index ranks,
//! a query naming an issue key puts that issue first, and deletes, counts, issue
//! reads and statistics agree.

mod common;

use std::collections::BTreeSet;

use common::Cluster;
use index::{
    ChunkDoc, ChunkKind, ClusterIndex, QdrantServerConfig, SearchFilters, SearchIndex, SearchMode,
    SearchRequest, acl_allows,
};

const DIM: usize = 8;

fn unit(seed: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..DIM)
        .map(|i| (((seed * 31 + i * 17) % 13) as f32) - 6.0)
        .collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

fn tags(t: &[&str]) -> Vec<String> {
    t.iter().map(|s| s.to_string()).collect()
}

/// Chunks of three issues in two projects, with every kind of gate.
fn corpus() -> Vec<ChunkDoc> {
    let chunk = |id: &str, issue: &str, key: &str, kind, text: &str, acl: [&[&str]; 3]| ChunkDoc {
        chunk_id: id.into(),
        issue_id: issue.into(),
        issue_key: key.into(),
        project_key: key.split('-').next().unwrap().into(),
        kind,
        title: format!("{key} title"),
        text: text.into(),
        embed_text: text.into(),
        url: format!("https://x/browse/{key}"),
        acl_project: tags(acl[0]),
        acl_issue: tags(acl[1]),
        acl_comment: tags(acl[2]),
        status: Some("Open".into()),
        priority: None,
        issue_type: Some("Bug".into()),
        assignee: None,
        labels: vec![],
        created: Some(1),
        updated: Some(2),
        content_hash: String::new(),
    };
    vec![
        chunk(
            "issue:1:0",
            "1",
            "ENG-1",
            ChunkKind::Issue,
            "Login fails after a password reset on the mobile app",
            [&["p:10"], &["*"], &["*"]],
        ),
        chunk(
            "comment:11:0",
            "1",
            "ENG-1",
            ChunkKind::Comment,
            "The password reset token expires too early",
            [&["p:10"], &["*"], &["g:sec"]],
        ),
        chunk(
            "issue:2:0",
            "2",
            "ENG-2",
            ChunkKind::Issue,
            "Database migration stalls on large tables",
            [&["p:10"], &["sl:7:10"], &["*"]],
        ),
        chunk(
            "attachment:21:0",
            "2",
            "ENG-2",
            ChunkKind::Attachment,
            "migration plan: copy tables in batches, then swap",
            [&["p:10"], &["sl:7:10"], &["*"]],
        ),
        chunk(
            "issue:3:0",
            "3",
            "OPS-3",
            ChunkKind::Issue,
            "Deployment pipeline broken after the release",
            [&["p:20", "p:20:reporter:a1"], &["*"], &["*"]],
        ),
        chunk(
            "issue:3:1",
            "3",
            "OPS-3",
            ChunkKind::Issue,
            "The release pipeline needs a password rotation",
            [&["p:20", "p:20:reporter:a1"], &["*"], &["*"]],
        ),
    ]
}

fn request<'a>(query: &'a str, me: &'a [String], mode: SearchMode) -> SearchRequest<'a> {
    SearchRequest {
        query,
        principals: me,
        limit: 100,
        mode,
        filters: SearchFilters::default(),
    }
}

fn hit_ids(index: &SearchIndex, query: &str, me: &[String], mode: SearchMode) -> Vec<String> {
    let req = request(query, me, mode);
    let hits = match mode {
        SearchMode::Keyword => index.search(&req).unwrap(),
        _ => index.search_with_vector(&req, &unit(0)).unwrap(),
    };
    hits.into_iter().map(|h| h.chunk_id).collect()
}

#[test]
fn the_index_on_a_qdrant_server_agrees_with_the_local_index() {
    let qdrant = Cluster::start(1);
    let docs = corpus();
    let vectors: Vec<Vec<f32>> = (0..docs.len()).map(unit).collect();
    let cfg = QdrantServerConfig::new(qdrant.grpc_url(0));
    let cluster = SearchIndex::on_cluster(ClusterIndex::connect(&cfg, DIM).unwrap(), None);
    cluster.upsert(&docs, Some(&vectors)).unwrap();
    // Idempotent: the same chunks again replace, never double.
    cluster.upsert(&docs, Some(&vectors)).unwrap();
    cluster.commit().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = SearchIndex::open(dir.path(), None).unwrap();
    local.upsert(&docs, None).unwrap();
    local.commit().unwrap();
    assert_eq!(cluster.chunk_count().unwrap(), docs.len());
    assert_eq!(cluster.vector_count().unwrap(), docs.len());

    let people: [&[&str]; 6] = [
        &["*", "p:10"],
        &["*", "p:10", "g:sec"],
        &["*", "p:10", "sl:7:10"],
        &["*", "p:20:reporter:a1"],
        &["*", "p:10", "p:20", "g:sec", "sl:7:10"],
        &["*"],
    ];
    for me in people {
        let me = tags(me);
        let allowed: BTreeSet<String> = docs
            .iter()
            .filter(|d| acl_allows(&me, d))
            .map(|d| d.chunk_id.clone())
            .collect();
        // Vectors see every allowed chunk and nothing else.
        let vector: BTreeSet<String> = hit_ids(&cluster, "anything", &me, SearchMode::Vector)
            .into_iter()
            .collect();
        assert_eq!(vector, allowed, "{me:?}");
        for query in [
            "password reset",
            "migration tables",
            "release pipeline",
            "ENG-2",
        ] {
            let on_cluster = hit_ids(&cluster, query, &me, SearchMode::Keyword);
            let on_disk = hit_ids(&local, query, &me, SearchMode::Keyword);
            assert!(
                on_cluster.iter().all(|c| allowed.contains(c)),
                "{me:?} {query}"
            );
            // The same chunks match, and the best one is the same.
            let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
            assert_eq!(set(&on_cluster), set(&on_disk), "{me:?} {query}");
            assert_eq!(on_cluster.first(), on_disk.first(), "{me:?} {query}");
            let hybrid = hit_ids(&cluster, query, &me, SearchMode::Hybrid);
            assert!(hybrid.iter().all(|c| allowed.contains(c)), "{me:?} {query}");
        }
    }
    // A query naming an issue key puts the issue first, in keyword and hybrid mode.
    let everyone = tags(&["*", "p:10", "p:20", "g:sec", "sl:7:10"]);
    for mode in [SearchMode::Keyword, SearchMode::Hybrid] {
        let first = hit_ids(&cluster, "eng-2 password", &everyone, mode);
        assert!(
            ["issue:2:0", "attachment:21:0"].contains(&first[0].as_str()),
            "{mode:?}: {first:?}"
        );
    }
    // Snippets mark the query's words.
    let hits = cluster
        .search(&request("password reset", &everyone, SearchMode::Keyword))
        .unwrap();
    assert!(
        hits[0].snippet.contains("**password**"),
        "{}",
        hits[0].snippet
    );

    // Reads and statistics agree with the local index.
    assert_eq!(
        cluster.issue_chunks_by_key("ENG-2").unwrap(),
        local
            .issue_chunks_by_key("ENG-2")
            .unwrap()
            .into_iter()
            .map(|d| ChunkDoc {
                embed_text: String::new(),
                ..d
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(
        cluster.issue_chunk_ids("3").unwrap(),
        local.issue_chunk_ids("3").unwrap()
    );
    assert_eq!(
        cluster.project_stats("ENG").unwrap(),
        local.project_stats("ENG").unwrap()
    );
    for me in [tags(&["*", "p:10"]), everyone.clone()] {
        assert_eq!(
            cluster.visible_issue_counts_by_project(&me).unwrap(),
            local.visible_issue_counts_by_project(&me).unwrap()
        );
    }
    // Deletes.
    cluster.delete_issue("2").unwrap();
    cluster.delete_chunks(&["issue:3:1".to_string()]).unwrap();
    assert_eq!(cluster.chunk_count().unwrap(), docs.len() - 3);
    assert!(hit_ids(&cluster, "migration", &everyone, SearchMode::Keyword).is_empty());
    assert!(cluster.get_chunk("issue:3:1").unwrap().is_none());
    assert!(cluster.get_chunk("issue:3:0").unwrap().is_some());
}

#[test]
fn a_cluster_with_replication_keeps_searching_with_a_node_down() {
    let qdrant = Cluster::start(3);
    let cfg = QdrantServerConfig {
        shards: 3,
        replication: 2,
        ..QdrantServerConfig::new(qdrant.grpc_url(0))
    };
    let index = SearchIndex::on_cluster(ClusterIndex::connect(&cfg, DIM).unwrap(), None);
    let mut docs = Vec::new();
    for i in 0..60 {
        let mut d = corpus()[0].clone();
        d.chunk_id = format!("issue:{}:0", 100 + i);
        d.issue_id = (100 + i).to_string();
        d.issue_key = format!("BIG-{}", 100 + i);
        d.project_key = "BIG".into();
        d.acl_project = tags(&["p:30"]);
        docs.push(d);
    }
    let vectors: Vec<Vec<f32>> = (0..docs.len()).map(unit).collect();
    index.upsert(&docs, Some(&vectors)).unwrap();
    qdrant.stop_node(2);
    let reader = SearchIndex::on_cluster(ClusterIndex::connect(&cfg, DIM).unwrap(), None);
    let me = tags(&["*", "p:30"]);
    for mode in [SearchMode::Keyword, SearchMode::Vector, SearchMode::Hybrid] {
        assert_eq!(
            hit_ids(&reader, "password reset", &me, mode).len(),
            60,
            "{mode:?}: replication must keep every chunk searchable"
        );
    }
}

#[test]
fn an_existing_collection_of_another_layout_is_refused_by_name() {
    let qdrant = Cluster::start(1);
    let cfg = QdrantServerConfig::new(qdrant.grpc_url(0));
    ClusterIndex::connect(&cfg, DIM).unwrap();
    // Reopening the same layout is fine.
    ClusterIndex::connect(&cfg, DIM).unwrap();
    let err = ClusterIndex::connect(&cfg, DIM * 2)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&cfg.collection) && err.contains("dimensional"),
        "{err}"
    );
    // A collection made for the vectors alone ([vectors.qdrant]) is not this backend's.
    let mut vectors_only = cfg.clone();
    vectors_only.collection = "vectors_only".into();
    index::QdrantServerStore::connect(&vectors_only, DIM).unwrap();
    let err = ClusterIndex::connect(&vectors_only, DIM)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("vectors_only") && err.contains("not made by"),
        "{err}"
    );
}

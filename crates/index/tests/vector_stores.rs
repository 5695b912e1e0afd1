//! One test suite for both vector stores: qdrant-edge embedded on disk, and a real
//! Qdrant 1.18 server started from `../shared/bin/start-qdrant-cluster.sh` — a single
//! node, and a 3-node cluster with 3 shards and replication 2 that keeps answering
//! with one node stopped. With `QDRANT_URL` (gRPC) set, the server suite also runs
//! against that server.

mod common;

use common::Cluster;
use index::{
    ChunkDoc, ChunkKind, EdgeStore, QdrantServerConfig, QdrantServerStore, SearchFilters,
    VectorStore,
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

fn doc(chunk: &str, issue: &str, project: &str, kind: ChunkKind, acl: [&[&str]; 3]) -> ChunkDoc {
    let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    ChunkDoc {
        chunk_id: chunk.into(),
        issue_id: issue.into(),
        issue_key: format!("{project}-{issue}"),
        project_key: project.into(),
        kind,
        title: "t".into(),
        text: "x".into(),
        embed_text: "x".into(),
        url: String::new(),
        acl_project: tags(acl[0]),
        acl_issue: tags(acl[1]),
        acl_comment: tags(acl[2]),
        status: None,
        priority: None,
        issue_type: None,
        assignee: None,
        labels: vec![],
        created: None,
        updated: None,
        content_hash: String::new(),
    }
}

fn tags(t: &[&str]) -> Vec<String> {
    t.iter().map(|s| s.to_string()).collect()
}

fn ids(hits: &[(String, f32)]) -> Vec<String> {
    let mut v: Vec<String> = hits.iter().map(|(c, _)| c.clone()).collect();
    v.sort();
    v
}

/// The suite: writes, the three ACL gates, filters, deletes, idempotent upserts.
fn suite(store: &dyn VectorStore) {
    let docs = vec![
        doc(
            "issue:1:0",
            "1",
            "ENG",
            ChunkKind::Issue,
            [&["p:10"], &["*"], &["*"]],
        ),
        doc(
            "comment:5:0",
            "1",
            "ENG",
            ChunkKind::Comment,
            [&["p:10"], &["*"], &["g:sec"]],
        ),
        doc(
            "issue:2:0",
            "2",
            "ENG",
            ChunkKind::Issue,
            [&["p:10"], &["sl:7:10"], &["*"]],
        ),
        doc(
            "issue:3:0",
            "3",
            "OPS",
            ChunkKind::Issue,
            [&["p:20", "p:20:reporter:a1"], &["*"], &["*"]],
        ),
        doc(
            "issue:3:1",
            "3",
            "OPS",
            ChunkKind::Issue,
            [&["p:20", "p:20:reporter:a1"], &["*"], &["*"]],
        ),
    ];
    let vecs: Vec<Vec<f32>> = (0..docs.len()).map(unit).collect();
    store.upsert(&docs, &vecs).unwrap();
    // Idempotent: the same chunk ids again replace, never duplicate.
    store.upsert(&docs, &vecs).unwrap();
    store.flush().unwrap();
    assert_eq!(store.count().unwrap(), 5);

    let all = SearchFilters::default();
    let search =
        |me: &[&str], f: &SearchFilters| ids(&store.search(&unit(0), &tags(me), f, 100).unwrap());
    // Project gate only.
    assert_eq!(search(&["*", "p:10"], &all), ["issue:1:0"]);
    // Comment gate and security-level gate.
    assert_eq!(
        search(&["*", "p:10", "g:sec"], &all),
        ["comment:5:0", "issue:1:0"]
    );
    assert_eq!(
        search(&["*", "p:10", "sl:7:10"], &all),
        ["issue:1:0", "issue:2:0"]
    );
    // A dynamic holder tag opens its project's issues.
    assert_eq!(
        search(&["*", "p:20:reporter:a1"], &all),
        ["issue:3:0", "issue:3:1"]
    );
    // Nothing without tags; `*` alone opens nothing here.
    assert!(search(&[], &all).is_empty());
    assert!(search(&["*"], &all).is_empty());
    // Filters.
    let everything = ["*", "p:10", "p:20", "g:sec", "sl:7:10"];
    let eng = SearchFilters {
        project_keys: vec!["ENG".into()],
        ..Default::default()
    };
    assert_eq!(search(&everything, &eng).len(), 3);
    let comments = SearchFilters {
        kinds: vec![ChunkKind::Comment],
        ..Default::default()
    };
    assert_eq!(search(&everything, &comments), ["comment:5:0"]);
    // Best first: the query vector is the first chunk's.
    let hits = store.search(&unit(0), &tags(&everything), &all, 1).unwrap();
    assert_eq!(hits[0].0, "issue:1:0");
    // Deletes.
    store.delete_issue("3").unwrap();
    store.delete_chunks(&["comment:5:0".to_string()]).unwrap();
    store.flush().unwrap();
    assert_eq!(store.count().unwrap(), 2);
    assert_eq!(search(&everything, &all), ["issue:1:0", "issue:2:0"]);
    // Bad input is refused with a clear error.
    assert!(store.upsert(&docs[..1], &[vec![0.5; DIM + 1]]).is_err());
    assert!(
        store
            .search(&[0.1; 3], &tags(&everything), &all, 5)
            .is_err()
    );
}

/// Points carry their embedding model and a store searches only its own model's:
/// after a model change, a chunk is found by vector once it is re-embedded, never
/// by a vector of the old model. `open(model)` opens the same data as that model.
fn model_suite(open: &dyn Fn(&str) -> Box<dyn VectorStore>) {
    let me = tags(&["p:10", "*"]);
    let all = SearchFilters::default();
    let a = doc(
        "issue:1:0",
        "1",
        "ENG",
        ChunkKind::Issue,
        [&["p:10"], &["*"], &["*"]],
    );
    let b = doc(
        "issue:2:0",
        "2",
        "ENG",
        ChunkKind::Issue,
        [&["p:10"], &["*"], &["*"]],
    );
    {
        let old = open("model-a");
        old.upsert(&[a.clone(), b.clone()], &[unit(1), unit(2)])
            .unwrap();
        old.flush().unwrap();
        assert_eq!(ids(&old.search(&unit(1), &me, &all, 10).unwrap()).len(), 2);
    }
    let new = open("model-b");
    assert!(new.search(&unit(1), &me, &all, 10).unwrap().is_empty());
    new.upsert(std::slice::from_ref(&b), &[unit(2)]).unwrap();
    assert_eq!(
        ids(&new.search(&unit(1), &me, &all, 10).unwrap()),
        vec!["issue:2:0"]
    );
    assert_eq!(new.count().unwrap(), 2);
}

#[test]
fn edge_store_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = EdgeStore::open(&dir.path().join("vectors"), DIM).unwrap();
    suite(&store);
}

#[test]
fn edge_store_searches_only_its_models_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vectors");
    model_suite(&|model| Box::new(EdgeStore::open(&path, DIM).unwrap().with_model(model)));
}

#[test]
fn qdrant_server_passes_the_suite() {
    let cluster = Cluster::start(1);
    let store =
        QdrantServerStore::connect(&QdrantServerConfig::new(cluster.grpc_url(0)), DIM).unwrap();
    suite(&store);
    // Reconnecting finds the collection; another dimension is refused.
    let again =
        QdrantServerStore::connect(&QdrantServerConfig::new(cluster.grpc_url(0)), DIM).unwrap();
    assert_eq!(again.count().unwrap(), 2);
    let err = QdrantServerStore::connect(&QdrantServerConfig::new(cluster.grpc_url(0)), DIM * 2)
        .err()
        .expect("dimension mismatch");
    assert!(err.to_string().contains("dimensional"), "{err}");
    // Points of one model only (another collection on the same server: one server per
    // test process, see `Cluster::start`).
    let mut cfg = QdrantServerConfig::new(cluster.grpc_url(0));
    cfg.collection = "models".into();
    model_suite(&|model| {
        Box::new(
            QdrantServerStore::connect(&cfg, DIM)
                .unwrap()
                .with_model(model),
        )
    });
}

#[test]
fn qdrant_cluster_with_replication_survives_a_node() {
    let cluster = Cluster::start(3);
    let cfg = QdrantServerConfig {
        shards: 3,
        replication: 2,
        ..QdrantServerConfig::new(cluster.grpc_url(0))
    };
    let store = QdrantServerStore::connect(&cfg, DIM).unwrap();
    suite(&store);
    // Many points over all shards, then one node down: every point is still found.
    let docs: Vec<ChunkDoc> = (0..60)
        .map(|i| {
            doc(
                &format!("issue:{}:0", 100 + i),
                &(100 + i).to_string(),
                "BIG",
                ChunkKind::Issue,
                [&["p:30"], &["*"], &["*"]],
            )
        })
        .collect();
    let vecs: Vec<Vec<f32>> = (0..docs.len()).map(unit).collect();
    store.upsert(&docs, &vecs).unwrap();
    assert_eq!(store.count().unwrap(), 62);
    cluster.stop_node(2);
    let reader = QdrantServerStore::connect(&cfg, DIM).unwrap();
    let hits = reader
        .search(
            &unit(0),
            &tags(&["*", "p:30"]),
            &SearchFilters::default(),
            1000,
        )
        .unwrap();
    assert_eq!(
        hits.len(),
        60,
        "replication must keep every point searchable"
    );
}

#[test]
fn external_qdrant_when_configured() {
    let Ok(url) = std::env::var("QDRANT_URL") else {
        return;
    };
    let cfg = QdrantServerConfig {
        collection: format!("jira-index-test-{}", std::process::id()),
        api_key: std::env::var("QDRANT_API_KEY").ok(),
        ..QdrantServerConfig::new(url)
    };
    let store = QdrantServerStore::connect(&cfg, DIM).unwrap();
    suite(&store);
}

#[test]
fn server_config_is_validated_and_hides_its_key() {
    let mut cfg = QdrantServerConfig::new("http://127.0.0.1:6334");
    cfg.api_key = Some("super-secret-key".into());
    assert!(!format!("{cfg:?}").contains("super-secret-key"));
    cfg.write_consistency = 2;
    assert!(cfg.validate().is_err());
    assert!(
        QdrantServerConfig::new("127.0.0.1:6334")
            .validate()
            .is_err()
    );
}

//! The permission filter: all three gates must pass, and the cached filter follows
//! every change of the index.

use super::*;

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
    assert_eq!(idx.keyword().expect("a local index").acl_cache_len(), 3);

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

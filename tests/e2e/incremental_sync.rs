//! Incremental sync against the simulator: after a first full run, each project is
//! read from its checkpoint (changes since, plus its id set). Checked: a run with
//! nothing changed re-indexes nothing, re-reads no group members and costs at most
//! projects + 10 calls; an edit, a silent deletion (no audit record, no webhook), a
//! deletion the audit log reports and a moved issue are all caught; a group change in
//! the audit log makes the next run read identity in full; narrowing
//! the project filter deletes what fell out of scope without touching the rest, and
//! widening it fetches only what is new; a created-date range narrows and widens the
//! same way; and after all of it the index equals a fresh full sync (same chunk ids,
//! same content hashes).

use std::collections::BTreeSet;

use jira_index_tests::{SimSite, index_of, start_site, state};
use jira_sim::admin::Mutation;
use jira_sim::generate::GenConfig;

async fn run(site: &SimSite, cfg: &config::Config) -> sync::SyncReport {
    site.sync_cleanly(cfg, None).await
}

fn keys(site: &SimSite, project: &str) -> Vec<String> {
    let ws = site.handle.workspace();
    let ws = ws.read().unwrap();
    let pid = ws
        .projects
        .iter()
        .find(|p| p.key == project)
        .unwrap()
        .id
        .clone();
    ws.issues
        .iter()
        .filter(|i| i.project_id == pid)
        .map(|i| i.key.clone())
        .collect()
}

/// What alice finds, and what the oracle says she should.
/// Alice's account id.
fn alice(ws: &jira_sim::model::Workspace) -> String {
    ws.user_by_email("alice@example.com")
        .unwrap()
        .account_id
        .clone()
}

fn search(
    site: &SimSite,
    cfg: &config::Config,
    word: &str,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let alice = {
        let ws = site.handle.workspace();
        let ws = ws.read().unwrap();
        let id = alice(&ws);
        ws.issues_matching(&id, word)
    };
    let searcher = search::Searcher::open(cfg, None).unwrap();
    let got = searcher
        .search_as(
            "alice@example.com",
            word,
            100,
            index::SearchMode::Keyword,
            Default::default(),
        )
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.issue_key)
        .collect();
    (got, alice)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_runs_catch_every_change_and_filters_reconcile() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(5), &tmp.path().join("data"), false)
        .await
        .unwrap();
    let cfg = site.config.clone();

    let first = run(&site, &cfg).await;
    assert_eq!(first.run.projects_incremental, 0);
    assert!(first.run.projects_full > 3);
    let projects = first.run.projects_full;

    // Nothing changed: every project incremental, nothing re-indexed, fewer calls.
    let again = run(&site, &cfg).await;
    assert_eq!(again.run.projects_incremental, projects);
    assert_eq!(again.run.issues_indexed, 0);
    assert_eq!(again.run.issues_deleted, 0);
    assert_eq!(again.chunk_count, first.chunk_count);
    println!(
        "API calls: full run {}, incremental run with nothing changed {} ({projects} projects)",
        first.run.api_calls, again.run.api_calls
    );
    assert!(again.run.api_calls < first.run.api_calls);
    assert!(
        again.run.api_calls <= projects as u64 + 10,
        "nothing changed: at most projects + 10 calls, made {}",
        again.run.api_calls
    );
    assert!(!again.run.identity_full, "no identity change was logged");

    // An edit, a deletion that leaves no trace but its absence, and a move.
    let eng = keys(&site, "ENG");
    let alice_sees = {
        let ws = site.handle.workspace();
        let ws = ws.read().unwrap();
        let id = alice(&ws);
        ws.visible_issue_keys(&id)
    };
    let edited = eng
        .iter()
        .find(|k| alice_sees.contains(*k))
        .unwrap()
        .clone();
    let rest: Vec<&String> = eng.iter().filter(|k| **k != edited).collect();
    let (deleted, moved, logged) = (rest[0].clone(), rest[1].clone(), rest[2].clone());
    let moved_id = state(&cfg)
        .issues
        .iter()
        .find(|(_, s)| s.key == moved)
        .map(|(id, _)| id.clone())
        .unwrap();
    let results = site
        .handle
        .mutate(vec![
            Mutation::UpdateIssue {
                issue: edited.clone(),
                summary: Some("the pangolin outage review".into()),
                description: None,
                assignee: None,
                security_level: None,
                labels: None,
            },
            Mutation::DeleteIssueSilently {
                issue: deleted.clone(),
            },
            Mutation::MoveIssue {
                issue: moved.clone(),
                project: "OPS".into(),
            },
            Mutation::DeleteIssue {
                issue: logged.clone(),
                actor: None,
            },
        ])
        .unwrap();
    let new_key = results[2]["key"].as_str().unwrap().to_string();
    let changed = run(&site, &cfg).await;
    assert_eq!(changed.run.projects_incremental, projects);
    assert_eq!(changed.run.issues_indexed, 2, "the edit and the move");
    assert_eq!(
        changed.run.issues_deleted, 2,
        "the silent deletion and the logged one"
    );
    assert_eq!(
        changed.run.issues_deleted_audit, 1,
        "the logged deletion came from the audit log"
    );
    assert!(
        !changed.run.identity_full,
        "issue records change no identity"
    );
    let (got, want) = search(&site, &cfg, "pangolin");
    assert_eq!(got, want);
    assert_eq!(
        want,
        BTreeSet::from([edited.clone()]),
        "alice may see {edited}"
    );
    let after = index_of(&cfg);
    assert!(!after.values().any(|(k, _, _)| *k == deleted));
    assert!(!after.values().any(|(k, _, _)| *k == logged));
    assert_eq!(after[&moved_id].0, new_key, "same id, new key");
    assert!(!after.values().any(|(k, _, _)| *k == moved));

    // A group change reaches the audit log: the next run reads identity in full and
    // alice's results follow at once.
    let removals: Vec<Mutation> = {
        let ws = site.handle.workspace();
        let ws = ws.read().unwrap();
        let id = alice(&ws);
        ws.groups
            .iter()
            .filter(|g| g.members.contains(&id))
            .map(|g| Mutation::RemoveGroupMember {
                group_id: g.group_id.clone(),
                account_id: id.clone(),
            })
            .collect()
    };
    assert!(!removals.is_empty());
    site.handle.mutate(removals).unwrap();
    let regrouped = run(&site, &cfg).await;
    assert!(
        regrouped.run.identity_full,
        "the audit log named a group change"
    );
    assert_eq!(regrouped.run.issues_indexed, 0);
    let (got, want) = search(&site, &cfg, "pangolin");
    assert_eq!(got, want, "alice after leaving her groups");
    assert!(want.is_empty(), "alice lost her access: {want:?}");

    // Narrowing the project filter deletes OPS and touches nothing else.
    let ops = keys(&site, "OPS").len();
    let mut narrow = cfg.clone();
    narrow.filters.projects_not_in = vec!["OPS".into()];
    let n = run(&site, &narrow).await;
    assert_eq!(n.run.issues_deleted, ops);
    assert_eq!(n.run.issues_indexed, 0);
    assert!(
        !index_of(&cfg)
            .values()
            .any(|(k, _, _)| k.starts_with("OPS-"))
    );

    // Widening it again fetches OPS in full and only OPS.
    let w = run(&site, &cfg).await;
    assert_eq!(w.run.projects_full, 1);
    assert_eq!(w.run.projects_incremental, projects - 1);
    assert_eq!(w.run.issues_indexed, ops);
    assert_eq!(w.run.issues_deleted, 0);

    // A created-date range: narrowing deletes the older issues, widening brings back
    // exactly them (through the id set, by id).
    let days: Vec<String> = {
        let ws = site.handle.workspace();
        let ws = ws.read().unwrap();
        let live: Vec<&str> = ws
            .projects
            .iter()
            .filter(|p| !p.archived)
            .map(|p| p.id.as_str())
            .collect();
        let mut d: Vec<String> = ws
            .issues
            .iter()
            .filter(|i| live.contains(&i.project_id.as_str()))
            .map(|i| i.created.format("%Y-%m-%d").to_string())
            .collect();
        d.sort();
        d
    };
    let cut = days[days.len() / 2].clone();
    let older = days.iter().filter(|d| **d < cut).count();
    assert!(older > 0);
    let mut ranged = cfg.clone();
    ranged.filters.created_from = Some(cut.clone());
    let r = run(&site, &ranged).await;
    assert_eq!(r.run.issues_deleted, older, "issues created before {cut}");
    assert_eq!(r.run.issues_indexed, 0);
    let back = run(&site, &cfg).await;
    assert_eq!(back.run.issues_indexed, older);
    assert_eq!(back.run.issues_deleted, 0);
    assert_eq!(
        back.run.projects_incremental, projects,
        "a date range is not a settings change"
    );

    // After all of that, the index equals a fresh full sync of the same site.
    let mut fresh = cfg.clone();
    fresh.data.dir = tmp.path().join("fresh");
    let full = run(&site, &fresh).await;
    assert_eq!(full.run.projects_incremental, 0);
    assert_eq!(index_of(&cfg), index_of(&fresh));
    assert_eq!(back.chunk_count, full.chunk_count);

    // An identity-only sync (what an admin or an identity webhook asks for) reads in
    // full even when the audit log shows nothing yet; a full sync right after does not.
    let asked = sync::run_identity_sync(&cfg).await.unwrap();
    assert!(asked.run.identity_full);
    let after = run(&site, &cfg).await;
    assert!(!after.run.identity_full);
}

//! A group change takes effect through an identity-only sync: the person removed from
//! a group loses the group's project in search at once (after the searcher notices the
//! new directory), and not one byte of the index is written — chunks carry project,
//! role and group *tags*, and people are expanded into tags at query time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use index::{SearchFilters, SearchMode};
use jira_index_tests::start_site;
use jira_sim::generate::GenConfig;
use jira_sim::model::Workspace;
use sha2::{Digest, Sha256};
use state::RunKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_group_member_needs_no_chunk_write() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(11), &tmp.path().join("data"), false)
        .await
        .unwrap();
    let full = sync::run_sync(&site.config, None, &Default::default())
        .await
        .unwrap();
    assert_eq!(
        site.unexpected_errors(&full.run.errors),
        Vec::<String>::new()
    );
    let searcher = search::Searcher::open(&site.config, None).unwrap();
    let ws_lock = site.handle.workspace();
    let before_ws = ws_lock.read().unwrap().clone();

    // A (group, member) pair whose removal takes a whole project away from the member,
    // found with the oracle, and a word of that project's visible issues.
    let (group_id, account, email, lost) =
        find_removal(&before_ws).expect("the skeleton has a group that alone grants a project");
    let lost_keys: BTreeSet<String> = before_ws
        .visible_issue_keys(&account)
        .into_iter()
        .filter(|k| k.starts_with(&format!("{lost}-")))
        .collect();
    let term = before_ws
        .issues
        .iter()
        .find(|i| lost_keys.contains(&i.key))
        .and_then(|i| i.summary.split_whitespace().find(|w| w.len() >= 5))
        .unwrap()
        .to_lowercase();
    let search = |s: &search::Searcher| -> BTreeSet<String> {
        s.search_as(
            &email,
            &term,
            10_000,
            SearchMode::Keyword,
            SearchFilters::default(),
        )
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.issue_key)
        .collect()
    };
    let got = search(&searcher);
    assert_eq!(got, before_ws.issues_matching(&account, &term));
    assert!(
        got.iter().any(|k| k.starts_with(&format!("{lost}-"))),
        "before: {email} finds {lost} issues with {term:?}"
    );

    // Remove the member in Jira, run an identity-only sync.
    let index_before = hash_tree(&tmp.path().join("data").join("index"));
    ws_lock
        .write()
        .unwrap()
        .remove_group_member(&group_id, &account)
        .unwrap();
    let after_ws = ws_lock.read().unwrap().clone();
    let report = sync::pipeline::run_identity_sync(&site.config)
        .await
        .unwrap();
    assert_eq!(report.run.kind, RunKind::Identity);
    assert_eq!(report.run.chunks_written, 0);
    assert_eq!(report.chunk_count, full.chunk_count);
    let index_after = hash_tree(&tmp.path().join("data").join("index"));
    assert_eq!(
        index_before, index_after,
        "an identity sync must not write to the index"
    );

    // The open searcher notices the new directory and drops its cached sets.
    assert!(searcher.refresh().unwrap());
    assert!(!searcher.refresh().unwrap(), "nothing changed since");
    let got = search(&searcher);
    assert_eq!(got, after_ws.issues_matching(&account, &term));
    assert!(
        !got.iter().any(|k| k.starts_with(&format!("{lost}-"))),
        "after: {email} must no longer find {lost} issues: {got:?}"
    );
    // `status` names the people an admin must act on: hidden emails without a mapping
    // line, and callers no account matched (recorded by the searches themselves).
    searcher
        .search_as(
            " Stranger@Elsewhere.example ",
            &term,
            10,
            SearchMode::Keyword,
            SearchFilters::default(),
        )
        .unwrap();
    let status = sync::status::status(&site.config).unwrap();
    assert_eq!(status.unmatched_callers, ["stranger@elsewhere.example"]);
    let hidden: Vec<&str> = after_ws
        .users
        .iter()
        // Persons and customers alike can call a search; apps cannot.
        .filter(|u| !u.email_visible && u.active && u.account_type != "app")
        .map(|u| u.account_id.as_str())
        .collect();
    assert!(!hidden.is_empty());
    let listed: Vec<&str> = status
        .identity
        .hidden_email
        .iter()
        .map(|u| u.account_id.as_str())
        .collect();
    assert_eq!(listed, hidden);
    assert_eq!(status.runs.last().unwrap().kind, RunKind::Identity);

    // A fresh searcher agrees.
    drop(searcher);
    let fresh = search::Searcher::open(&site.config, None).unwrap();
    assert_eq!(search(&fresh), got);
    drop(fresh);

    // A full sync after the change rewrites nothing either: membership is not content.
    let again = sync::run_sync(&site.config, None, &Default::default())
        .await
        .unwrap();
    assert_eq!(again.run.issues_indexed, 0, "{:?}", again.run);
    assert_eq!(again.run.chunks_written, 0);
}

/// The first (group, active member with a visible email, project) where removing the
/// member from the group hides every issue of the project from them.
fn find_removal(ws: &Workspace) -> Option<(String, String, String, String)> {
    let project_keys = |ws: &Workspace, acc: &str| -> BTreeSet<String> {
        ws.visible_issue_keys(acc)
            .into_iter()
            .filter_map(|k| k.split('-').next().map(str::to_string))
            .collect()
    };
    for g in &ws.groups {
        for m in &g.members {
            let Some(user) = ws.users.iter().find(|u| &u.account_id == m) else {
                continue;
            };
            if !user.active || !user.email_visible {
                continue;
            }
            let before = project_keys(ws, m);
            let mut changed = ws.clone();
            changed.remove_group_member(&g.group_id, m).ok()?;
            let after = project_keys(&changed, m);
            if let Some(lost) = before.difference(&after).next() {
                return Some((
                    g.group_id.clone(),
                    m.clone(),
                    user.email.clone(),
                    lost.clone(),
                ));
            }
        }
    }
    None
}

/// Every file under `root` with the SHA-256 of its bytes.
fn hash_tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let digest = Sha256::digest(&bytes);
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                out.insert(path.strip_prefix(root).unwrap().display().to_string(), hex);
            }
        }
    }
    assert!(!out.is_empty(), "{} holds no files", root.display());
    out
}

/// The site-wide reads (the role list, every project's issue security scheme in two
/// walks) give exactly the directory that reading each project gives, in fewer calls;
/// the per-project reads are what a connector without Administer Jira gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_wide_identity_reads_equal_per_project_reads() {
    let tmp = tempfile::tempdir().unwrap();
    // The small preset has team-managed and archived projects and several schemes.
    let site = start_site(&GenConfig::small(5), &tmp.path().join("data"), false)
        .await
        .unwrap();
    let client = sync::pipeline::jira_client(&site.config).unwrap();
    let before = site.handle.request_count();
    let wide = sync::directory::fetch_directory_with(&client, true)
        .await
        .unwrap();
    let wide_calls = site.handle.request_count() - before;
    let before = site.handle.request_count();
    let each = sync::directory::fetch_directory_with(&client, false)
        .await
        .unwrap();
    let each_calls = site.handle.request_count() - before;
    assert!(!wide.security_levels.is_empty() && !wide.role_actors.is_empty());
    assert_eq!(wide, each);
    assert!(
        wide_calls + 10 < each_calls,
        "site-wide {wide_calls} calls, per project {each_calls}"
    );
}

//! Full reads walk several projects per `search/jql` query, and one project that Jira
//! cannot serve does not hold the others back. Against the simulator (small preset,
//! 16 projects): with one issue that makes every content page holding it answer 500,
//! the run reports that issue's project, indexes every issue of every other project
//! and moves their checkpoints only; once Jira serves the issue again, the next run
//! ends with the same index as an uninterrupted sync, which made at most one partly
//! filled content page per walk.

use std::collections::{BTreeMap, BTreeSet};

use jira_index_tests::{SimSite, index_of, start_site, state};
use jira_sim::faults::{FaultConfig, calls_per_endpoint};
use jira_sim::generate::GenConfig;

/// Issue id → project key of every issue a sync should hold (projects not archived).
fn in_scope(site: &SimSite) -> BTreeMap<String, String> {
    let ws = site.handle.workspace();
    let ws = ws.read().unwrap();
    ws.issues
        .iter()
        .filter_map(|i| {
            let p = ws.projects.iter().find(|p| p.id == i.project_id)?;
            (!p.archived).then(|| (i.id.clone(), p.key.clone()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_project_does_not_hold_back_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::small(21), &tmp.path().join("data"), false)
        .await
        .unwrap();
    let scope = in_scope(&site);
    let projects: BTreeSet<&str> = scope.values().map(String::as_str).collect();
    assert!(projects.len() > 8, "{projects:?}");

    // A broken issue in the middle of one project.
    let (broken_key, broken_project) = {
        let ws = site.handle.workspace();
        let ws = ws.read().unwrap();
        let project = ws.projects.iter().find(|p| p.key == "OPS").unwrap();
        let issues: Vec<_> = ws
            .issues
            .iter()
            .filter(|i| i.project_id == project.id)
            .collect();
        (issues[issues.len() / 2].key.clone(), project.key.clone())
    };
    site.handle.set_faults(FaultConfig {
        broken_issues: vec![broken_key.clone()],
        ..FaultConfig::none()
    });
    let cfg = site.config.clone();
    let first = sync::run_sync(&cfg, None, &Default::default())
        .await
        .unwrap();
    let errors = site.unexpected_errors(&first.run.errors);
    assert!(
        errors.iter().any(|e| e.contains(&broken_project)),
        "the failing project is reported: {errors:?}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e.starts_with(&format!("project {broken_project}: "))),
        "only the failing project is reported: {errors:?}"
    );
    let held = state(&cfg);
    for (id, project) in &scope {
        if project != &broken_project {
            assert!(
                held.issues.contains_key(id),
                "{id} of {project} is indexed although only {broken_project} failed"
            );
        }
    }
    assert!(!held.checkpoint.projects.contains_key(&broken_project));
    assert_eq!(held.checkpoint.projects.len(), projects.len() - 1);

    // Jira serves the issue again: the next run completes the index.
    site.handle.set_faults(FaultConfig::none());
    let second = sync::run_sync(&cfg, None, &Default::default())
        .await
        .unwrap();
    assert_eq!(
        site.unexpected_errors(&second.run.errors),
        Vec::<String>::new()
    );

    // An uninterrupted sync of the same site into another data directory holds the
    // same; its walks over several projects leave few partly filled pages.
    site.handle.clear_request_log();
    let mut fresh_cfg = cfg.clone();
    fresh_cfg.data.dir = tmp.path().join("fresh");
    let fresh = sync::run_sync(&fresh_cfg, None, &Default::default())
        .await
        .unwrap();
    assert_eq!(
        site.unexpected_errors(&fresh.run.errors),
        Vec::<String>::new()
    );
    assert_eq!(fresh.run.projects_full, projects.len());
    let calls = calls_per_endpoint(&site.handle.request_log());
    let pages = calls["POST /rest/api/3/search/jql"];
    let page_size = cfg.jira.page_size as usize;
    let walks = 4;
    assert!(
        pages <= scope.len().div_ceil(page_size) + walks,
        "{pages} content pages for {} issues",
        scope.len()
    );
    let want = index_of(&fresh_cfg);
    assert_eq!(
        want.keys().cloned().collect::<BTreeSet<_>>(),
        scope.keys().cloned().collect::<BTreeSet<_>>()
    );
    assert_eq!(index_of(&cfg), want);
}

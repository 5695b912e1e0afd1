//! Access fidelity end to end: Jira's documented rules, on the simulator (which follows
//! Atlassian's documents) and a real index on disk, checked for every person against
//! the simulator's own visibility oracle.
//!
//! - A comment restricted to a project role names the role (OpenAPI
//!   `Visibility.identifier`: "the ID of the group or the name of the role").
//! - Internal comments (OpenAPI `Comment.jsdPublic: false`) reach agents only, never
//!   customers; accounts without product access hold no grants.
//! - Sub-tasks take their parent's security level ("Configure issue security schemes":
//!   sub-tasks inherit the security level of their parent), also when it changes.
//! - Application roles that cannot be read (`GET /rest/api/3/applicationrole` needs
//!   *Administer Jira*) stop nothing: the sync reads each account's products instead
//!   (`GET /rest/api/3/user?expand=applicationRoles`, *Browse users and groups*), and
//!   where even that is refused it fails closed; either way it says so.
//! - A connector without *Administer Jira* cannot ask the permission check for others:
//!   team-managed access levels are unknown, the projects are treated as private.

use std::collections::BTreeSet;

use index::{SearchFilters, SearchMode};
use jira_index_tests::{SimSite, start_site};
use jira_sim::admin::Mutation;
use jira_sim::generate::{GenConfig, ROLE_DEVELOPERS};
use jira_sim::model::{CommentVisibility, Workspace};

fn snapshot(site: &SimSite) -> Workspace {
    site.handle.workspace().read().unwrap().clone()
}

/// Keys the index returns for `term` searched as `email`.
fn found(searcher: &search::Searcher, email: &str, term: &str) -> BTreeSet<String> {
    searcher
        .search_as(
            email,
            term,
            10_000,
            SearchMode::Keyword,
            SearchFilters::default(),
        )
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.issue_key)
        .collect()
}

/// The people a search can be made as: persons and customers whose email Jira shows and
/// resolves to them (an app account showing a person's email never outranks the person).
fn people(ws: &Workspace) -> Vec<(String, String, String)> {
    ws.users
        .iter()
        .filter(|u| u.account_type == "atlassian" || u.account_type == "customer")
        .filter(|u| u.email_visible)
        .filter(|u| ws.user_by_email(&u.email).map(|m| &m.account_id) == Some(&u.account_id))
        .map(|u| {
            (
                u.account_id.clone(),
                u.email.clone(),
                u.account_type.clone(),
            )
        })
        .collect()
}

/// Every person gets exactly what the oracle shows them for `term`; returns how many
/// people found something.
fn agrees_for_everyone(site: &SimSite, term: &str) -> usize {
    let ws = snapshot(site);
    let searcher = search::Searcher::open(&site.config, None).unwrap();
    let mut finders = 0;
    for (account, email, kind) in people(&ws) {
        let expected = ws.issues_matching(&account, term);
        let got = found(&searcher, &email, term);
        assert_eq!(
            got,
            expected,
            "{email} ({kind}) searching {term:?}, warnings: {:?}",
            sync::status::status(&site.config)
                .map(|s| s.access_warnings)
                .unwrap_or_default()
        );
        finders += usize::from(!got.is_empty());
    }
    finders
}

/// Nobody gets more than the oracle shows them (the sync failed closed somewhere).
fn no_leaks_for_anyone(site: &SimSite, terms: &[&str]) -> (usize, usize) {
    let ws = snapshot(site);
    let searcher = search::Searcher::open(&site.config, None).unwrap();
    let (mut got_total, mut expected_total) = (0, 0);
    for (account, email, kind) in people(&ws) {
        for term in terms {
            let expected = ws.issues_matching(&account, term);
            let got = found(&searcher, &email, term);
            assert!(
                got.is_subset(&expected),
                "{email} ({kind}) searching {term:?}: leaked {:?}",
                got.difference(&expected).collect::<Vec<_>>()
            );
            got_total += got.len();
            expected_total += expected.len();
        }
    }
    (got_total, expected_total)
}

/// How many `GET /rest/api/3/user` calls (one account's products each) the site saw.
fn user_calls(site: &SimSite) -> usize {
    site.handle
        .request_log()
        .iter()
        .filter(|r| r.path == "/rest/api/3/user")
        .count()
}

async fn sync(site: &SimSite) -> sync::SyncReport {
    site.sync_cleanly(&site.config, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_restricted_and_internal_comments_follow_openapi_visibility_and_jsd_public() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(11), &tmp.path().join("data"), false)
        .await
        .unwrap();
    let ws = snapshot(&site);
    // A classic project's issue, a comment restricted to its Developers role.
    let role = ws
        .project_roles
        .iter()
        .find(|r| r.id == ROLE_DEVELOPERS)
        .unwrap()
        .clone();
    let classic = ws
        .projects
        .iter()
        .find(|p| p.style == "classic" && !p.archived && p.project_type_key != "service_desk")
        .unwrap();
    let issue = ws
        .issues
        .iter()
        .find(|i| i.project_id == classic.id && i.security_level_id.is_none())
        .unwrap()
        .key
        .clone();
    let service = ws
        .projects
        .iter()
        .find(|p| p.project_type_key == "service_desk" && !p.archived)
        .unwrap();
    let desk_issue = ws
        .issues
        .iter()
        .find(|i| i.project_id == service.id && i.security_level_id.is_none())
        .unwrap()
        .key
        .clone();
    let author = ws.admin_account_id.clone();
    let out = site
        .handle
        .mutate(vec![
            Mutation::AddComment {
                issue: issue.clone(),
                author: author.clone(),
                text: "Only developers read quokkarolename here.".into(),
                visibility: Some(CommentVisibility::Role {
                    role_id: role.id.clone(),
                    name: role.name.clone(),
                }),
            },
            Mutation::AddComment {
                issue: desk_issue.clone(),
                author: author.clone(),
                text: "Agents only: quokkainternalnote.".into(),
                visibility: None,
            },
        ])
        .unwrap();
    let internal = out[1]["comment"].as_str().unwrap().to_string();
    site.handle
        .mutate(vec![Mutation::SetCommentInternal {
            comment: internal,
            internal: true,
        }])
        .unwrap();
    sync(&site).await;

    // Role by name: the role's holders find it, nobody else does.
    let finders = agrees_for_everyone(&site, "quokkarolename");
    assert!(
        finders > 0,
        "the Developers of {} find the comment",
        classic.key
    );
    // Internal: agents of the desk find it; customers never do.
    let finders = agrees_for_everyone(&site, "quokkainternalnote");
    assert!(
        finders > 0,
        "agents of {} find the internal comment",
        service.key
    );
    let ws = snapshot(&site);
    let searcher = search::Searcher::open(&site.config, None).unwrap();
    let customers: Vec<_> = people(&ws)
        .into_iter()
        .filter(|(_, _, kind)| kind == "customer")
        .collect();
    assert!(!customers.is_empty(), "the skeleton site has customers");
    for (_, email, _) in customers {
        assert!(found(&searcher, &email, "quokkainternalnote").is_empty());
    }
    // The generated site as a whole: its markers agree for every person, customers
    // and people without product access included.
    agrees_for_everyone(&site, jira_sim::MARKER_IN_COMMENT);
    agrees_for_everyone(&site, jira_sim::MARKER_IN_DESCRIPTION);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtasks_take_their_parents_security_level_and_follow_its_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(12), &tmp.path().join("data"), false)
        .await
        .unwrap();
    sync(&site).await;
    let ws = snapshot(&site);
    let parent = ws
        .issues
        .iter()
        .find(|i| i.security_level_id.is_some() && !i.is_subtask())
        .expect("the skeleton site has issues at a security level");
    let parent_key = parent.key.clone();
    let out = site
        .handle
        .mutate(vec![Mutation::CreateSubtask {
            parent: parent_key.clone(),
            summary: "Check quokkasubtask rollout".into(),
            reporter: ws.admin_account_id.clone(),
        }])
        .unwrap();
    assert!(out[0].to_string().contains('-'), "{out:?}");
    sync(&site).await;
    let finders = agrees_for_everyone(&site, "quokkasubtask");
    let everyone = people(&snapshot(&site)).len();
    assert!(
        finders > 0 && finders < everyone,
        "the level's members only: {finders} of {everyone}"
    );

    // The parent leaves its level: the sub-task, unchanged itself, opens up with it.
    site.handle
        .mutate(vec![Mutation::UpdateIssue {
            issue: parent_key,
            summary: None,
            description: None,
            assignee: None,
            security_level: Some(None),
            labels: None,
        }])
        .unwrap();
    sync(&site).await;
    let after = agrees_for_everyone(&site, "quokkasubtask");
    assert!(
        after > finders,
        "{after} people now find it, {finders} before"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_application_roles_do_not_stop_the_sync_and_fail_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(13), &tmp.path().join("data"), false)
        .await
        .unwrap();
    site.handle.forbid_endpoint("/rest/api/3/applicationrole");
    let report = sync(&site).await;
    assert!(report.run.issues_indexed > 0);
    assert!(
        report
            .run
            .access_warnings
            .iter()
            .any(|w| w.contains("application roles")),
        "{:?}",
        report.run.access_warnings
    );
    // Product access is read one account at a time (OpenAPI "Get user",
    // `expand=applicationRoles`: Browse users and groups only): everyone agrees.
    assert!(agrees_for_everyone(&site, jira_sim::MARKER_IN_DESCRIPTION) > 0);
    agrees_for_everyone(&site, jira_sim::MARKER_IN_COMMENT);
    let per_account = user_calls(&site);
    assert!(per_account > 0, "per-account product access was read");

    let check = sync::check::run_check(&site.config).await.unwrap();
    let item = check
        .items
        .iter()
        .find(|i| i.what == "application roles")
        .expect("check names application roles");
    assert!(!item.ok && item.advice.is_some(), "{item:?}");
    assert!(item.detail.contains("with product access"), "{item:?}");
    assert!(check.ready(), "a sync is still possible");
    let status = sync::status::status(&site.config).unwrap();
    assert!(
        status
            .access_warnings
            .iter()
            .any(|w| w.contains("application roles")),
        "{:?}",
        status.access_warnings
    );

    // A second sync reuses the answers: no call per account again (`check` above
    // read the directory afresh, as it always does).
    let per_account = user_calls(&site);
    sync(&site).await;
    let again = user_calls(&site);
    assert_eq!(again, per_account, "known accounts are not asked again");

    // Readable again: the next sync grants what Jira grants.
    site.handle.allow_endpoint("/rest/api/3/applicationrole");
    let report = sync(&site).await;
    assert!(report.run.access_warnings.is_empty(), "{:?}", report.run);
    agrees_for_everyone(&site, jira_sim::MARKER_IN_DESCRIPTION);
    agrees_for_everyone(&site, jira_sim::MARKER_IN_COMMENT);
}

/// Neither the roles list nor any account's own products can be read: nobody is known
/// to hold product access, so everyone finds at most what anyone may see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_product_access_everywhere_fails_closed_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(15), &tmp.path().join("data"), false)
        .await
        .unwrap();
    site.handle.forbid_endpoint("/rest/api/3/applicationrole");
    site.handle.forbid_endpoint("/rest/api/3/user");
    let report = sync(&site).await;
    assert!(report.run.issues_indexed > 0);
    assert!(
        report
            .run
            .access_warnings
            .iter()
            .any(|w| w == sync::directory::PRODUCT_ACCESS_UNREADABLE),
        "{:?}",
        report.run.access_warnings
    );
    let (got, expected) = no_leaks_for_anyone(
        &site,
        &[jira_sim::MARKER_IN_DESCRIPTION, jira_sim::MARKER_IN_COMMENT],
    );
    assert!(got < expected, "fail closed: {got} of {expected}");
    let check = sync::check::run_check(&site.config).await.unwrap();
    let item = check
        .items
        .iter()
        .find(|i| i.what == "application roles")
        .expect("check names application roles");
    assert!(
        !item.ok
            && item
                .detail
                .contains(sync::directory::PRODUCT_ACCESS_UNREADABLE),
        "{item:?}"
    );

    site.handle.allow_endpoint("/rest/api/3/applicationrole");
    site.handle.allow_endpoint("/rest/api/3/user");
    let report = sync(&site).await;
    assert!(report.run.access_warnings.is_empty(), "{:?}", report.run);
    agrees_for_everyone(&site, jira_sim::MARKER_IN_DESCRIPTION);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_administer_jira_team_managed_projects_are_private_and_check_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let site = start_site(&GenConfig::skeleton(14), &tmp.path().join("data"), false)
        .await
        .unwrap();
    site.handle.set_connector_administers_jira(false);
    let report = sync(&site).await;
    assert!(
        !report.run.access_warnings.is_empty(),
        "the sync reports what it could not read"
    );
    let (got, expected) = no_leaks_for_anyone(
        &site,
        &[jira_sim::MARKER_IN_DESCRIPTION, jira_sim::MARKER_IN_COMMENT],
    );
    assert!(got > 0 && got <= expected, "{got} of {expected}");
    let check = sync::check::run_check(&site.config).await.unwrap();
    let names: Vec<&str> = check.items.iter().map(|i| i.what.as_str()).collect();
    let failing: Vec<&str> = check
        .items
        .iter()
        .filter(|i| !i.ok)
        .map(|i| i.what.as_str())
        .collect();
    assert!(
        failing.contains(&"application roles") || failing.contains(&"team-managed access"),
        "{names:?} / failing {failing:?}"
    );
    assert!(names.contains(&"hidden from the connector"), "{names:?}");

    // With Administer Jira, the access levels are read and everyone agrees again.
    site.handle.set_connector_administers_jira(true);
    let report = sync(&site).await;
    assert!(report.run.access_warnings.is_empty(), "{:?}", report.run);
    agrees_for_everyone(&site, jira_sim::MARKER_IN_DESCRIPTION);
}

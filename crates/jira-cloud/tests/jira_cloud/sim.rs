//! Walks every client method against the simulator's skeleton workspace and compares
//! what comes back with the workspace itself.

use std::collections::{BTreeMap, BTreeSet};

use jira_cloud::model::RoleActor;
use jira_cloud::{Auth, ClientConfig, JiraClient, JqlRequest, jql};
use jira_sim::generate::{GenConfig, generate};

async fn start(
    cfg: &GenConfig,
) -> (
    jira_sim::server::SimHandle,
    jira_sim::model::Workspace,
    JiraClient,
) {
    let ws = generate(cfg);
    let truth = ws.clone();
    let sim = jira_sim::server::start(ws, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = JiraClient::new(ClientConfig::new(
        sim.base_url.clone(),
        Auth::basic(truth.admin_email.clone(), truth.admin_api_token.clone()),
    ))
    .unwrap();
    (sim, truth, client)
}

#[tokio::test]
async fn identity_matches_the_workspace() {
    check_identity(&GenConfig::skeleton(7)).await;
}

async fn check_identity(cfg: &GenConfig) {
    let (sim, ws, c) = start(cfg).await;
    let me = c.myself().await.unwrap();
    assert_eq!(me.account_id, ws.admin_account_id);

    let users = c.users().await.unwrap();
    assert_eq!(users.len(), ws.users.len());
    for u in &ws.users {
        let got = users
            .iter()
            .find(|x| x.account_id == u.account_id)
            .expect("user served");
        assert_eq!(got.active, u.active, "{}", u.account_id);
        assert_eq!(
            got.email_address.is_some(),
            u.email_visible,
            "{}",
            u.account_id
        );
        if u.email_visible {
            assert_eq!(got.email_address.as_deref(), Some(u.email.as_str()));
        }
    }

    let groups = c.groups().await.unwrap();
    let ids: BTreeSet<_> = groups.iter().map(|g| g.group_id.clone()).collect();
    assert_eq!(ids, ws.groups.iter().map(|g| g.group_id.clone()).collect());
    let members = c
        .groups_members(&ids.iter().cloned().collect::<Vec<_>>(), true)
        .await
        .unwrap();
    for g in &ws.groups {
        let got: BTreeSet<_> = members[&g.group_id]
            .iter()
            .map(|u| u.account_id.clone())
            .collect();
        assert_eq!(
            got,
            g.members.iter().cloned().collect(),
            "members of {}",
            g.name
        );
        let active: BTreeSet<_> = c
            .group_members(&g.group_id, false)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.account_id)
            .collect();
        let expected: BTreeSet<_> = g
            .members
            .iter()
            .filter(|a| ws.user(a).is_some_and(|u| u.active))
            .cloned()
            .collect();
        assert_eq!(active, expected, "active members of {}", g.name);
    }

    let roles = c.application_roles().await.unwrap();
    assert_eq!(roles.len(), ws.application_roles.len());
    for r in &ws.application_roles {
        let got = roles
            .iter()
            .find(|x| x.key == r.key)
            .expect("application role served");
        let got_ids: BTreeSet<_> = got
            .group_details
            .iter()
            .map(|g| g.group_id.clone())
            .collect();
        assert_eq!(got_ids, r.group_ids.iter().cloned().collect(), "{}", r.key);
    }
    assert_eq!(c.request_count() as usize, sim.request_count());
    sim.shutdown().await;
}

#[tokio::test]
async fn projects_and_their_access_match_the_workspace() {
    check_projects(&GenConfig::skeleton(7)).await;
}

async fn check_projects(cfg: &GenConfig) {
    let (sim, ws, c) = start(cfg).await;
    let projects = c.projects().await.unwrap();
    assert_eq!(projects.len(), ws.projects.len());
    for p in &ws.projects {
        let got = projects
            .iter()
            .find(|x| x.id == p.id)
            .expect("project served");
        assert_eq!(got.key, p.key);
        assert_eq!(got.archived, p.archived, "{}", p.key);
        // OpenAPI `Project.isPrivate`: "private from the user's perspective" — the
        // connector sees every project it is served, so none reads as private.
        assert_eq!(
            got.is_private,
            ws.project_is_private_for(&ws.admin_account_id, p),
            "{}",
            p.key
        );
        assert_eq!(
            got.lead.as_ref().map(|l| l.account_id.as_str()),
            Some(p.lead_account_id.as_str())
        );

        let roles = c.project_roles(&p.id).await.unwrap();
        let by_id: BTreeMap<_, _> = roles.iter().map(|r| (r.id.clone(), r)).collect();
        for (role_id, actors) in &p.role_actors {
            let got = by_id
                .get(role_id)
                .unwrap_or_else(|| panic!("role {role_id} of {}", p.key));
            let mut want: Vec<String> = actors
                .iter()
                .map(|a| match a {
                    jira_sim::model::RoleActor::User { account_id } => format!("u:{account_id}"),
                    jira_sim::model::RoleActor::Group { group_id } => format!("g:{group_id}"),
                })
                .collect();
            let mut have: Vec<String> = got
                .actors
                .iter()
                .map(|a| match a {
                    RoleActor::User { account_id } => format!("u:{account_id}"),
                    RoleActor::Group { group_id, .. } => format!("g:{group_id}"),
                })
                .collect();
            want.sort();
            have.sort();
            assert_eq!(have, want, "actors of role {role_id} in {}", p.key);
        }

        if let Some(scheme_id) = &p.permission_scheme_id {
            let s = c.project_permission_scheme(&p.id).await.unwrap();
            assert_eq!(&s.id, scheme_id);
            let truth = ws.permission_scheme(scheme_id).unwrap();
            assert_eq!(
                s.permissions.len(),
                truth.grants.len(),
                "grants of {}",
                truth.name
            );
            for (g, t) in s.permissions.iter().zip(&truth.grants) {
                assert_eq!(g.holder.type_, t.holder.type_name());
            }
        }

        let sec = c.project_security_scheme(&p.id).await.unwrap();
        assert_eq!(
            sec.as_ref().map(|s| s.id.clone()),
            p.security_scheme_id.clone(),
            "{}",
            p.key
        );
        if let Some(s) = sec {
            let truth = ws.security_scheme(&s.id).unwrap();
            assert_eq!(s.levels.len(), truth.levels.len());
            for level in &truth.levels {
                let members = c.security_level_members(&s.id, &level.id).await.unwrap();
                assert_eq!(
                    members.len(),
                    level.members.len(),
                    "members of level {}",
                    level.name
                );
                assert!(
                    members
                        .iter()
                        .all(|m| m.issue_security_level_id == level.id)
                );
            }
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn issues_comments_and_audit_match_the_workspace() {
    check_issues(&GenConfig::skeleton(7)).await;
}

async fn check_issues(cfg: &GenConfig) {
    let (sim, ws, c) = start(cfg).await;
    let mut total = 0;
    for p in ws.projects.iter().filter(|p| !p.archived) {
        let want: Vec<_> = ws.issues.iter().filter(|i| i.project_id == p.id).collect();
        let mut issues = c
            .search_jql_all(&JqlRequest::new(jql::project_updated_since(&p.key, None)))
            .await
            .unwrap();
        assert_eq!(issues.len(), want.len(), "issues of {}", p.key);
        // ORDER BY updated ASC: the walk is ordered.
        let times: Vec<_> = issues
            .iter()
            .map(|i| jira_cloud::parse_jira_time(i.fields.updated.as_deref().unwrap()).unwrap())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "{} not ordered by updated",
            p.key
        );
        c.complete_comments_all(&mut issues).await.unwrap();
        for i in &issues {
            let truth = ws.issue(&i.id).expect("issue exists");
            assert_eq!(i.key, truth.key);
            assert_eq!(i.fields.summary, truth.summary);
            // A sub-task has no security field of its own (Jira omits it: it takes
            // its parent's level); every other issue names its level.
            let expected = if truth.is_subtask() {
                None
            } else {
                truth.security_level_id.clone()
            };
            assert_eq!(i.fields.security.as_ref().map(|s| s.id.clone()), expected);
            assert_eq!(
                i.fields.comment.as_ref().map_or(0, |c| c.comments.len()),
                truth.comments.len()
            );
        }
        let ids = c
            .search_jql_ids(&format!("project = {}", jql::quote(&p.key)))
            .await
            .unwrap();
        assert_eq!(ids.len(), want.len());
        total += issues.len();
    }
    assert!(total > 0);

    // Incremental window: epoch milliseconds, inclusive.
    let p = ws.projects.iter().find(|p| !p.archived).unwrap();
    let mut times: Vec<i64> = ws
        .issues
        .iter()
        .filter(|i| i.project_id == p.id)
        .map(|i| i.updated.timestamp_millis())
        .collect();
    times.sort();
    let since = times[times.len() / 2];
    let want = times.iter().filter(|t| **t >= since).count();
    let got = c
        .search_jql_all(&JqlRequest::new(jql::project_updated_since(
            &p.key,
            Some(since),
        )))
        .await
        .unwrap();
    assert_eq!(got.len(), want, "updated >= {since} in {}", p.key);

    // Comments by page, for one issue with comments.
    let with_comments = ws.issues.iter().find(|i| !i.comments.is_empty()).unwrap();
    let comments = c.issue_comments(&with_comments.key).await.unwrap();
    assert_eq!(comments.len(), with_comments.comments.len());

    let audit = c.audit_records(None, None).await.unwrap();
    assert_eq!(audit.len(), ws.audit_records.len());

    assert_eq!(c.request_count() as usize, sim.request_count());
    sim.shutdown().await;
}

#[tokio::test]
async fn bulkfetch_matches_the_workspace() {
    let (sim, ws, c) = start(&GenConfig::skeleton(7)).await;
    let some: Vec<String> = ws.issues.iter().take(120).map(|i| i.id.clone()).collect();
    let bulk = c
        .issue_bulkfetch(&some, &["summary".to_string()])
        .await
        .unwrap();
    assert_eq!(bulk.issues.len() + bulk.issue_errors.len(), some.len());

    assert!(bulk.issue_errors.is_empty());
    sim.shutdown().await;
}

/// The `small` preset adds archived and team-managed projects, every holder type and
/// long comment threads (more than one inline page).
#[tokio::test]
async fn small_workspace_matches() {
    let cfg = GenConfig::small(11);
    check_identity(&cfg).await;
    check_projects(&cfg).await;
    check_issues(&cfg).await;
}

/// Attachment metadata comes with the issues; bytes are served as generated, and an
/// attachment over the limit is not downloaded.
#[tokio::test]
async fn attachments_match_the_workspace() {
    let (sim, ws, c) = start(&GenConfig::small(5)).await;
    let issues = c
        .search_jql_all(&JqlRequest::new("ORDER BY key ASC"))
        .await
        .unwrap();
    let mut seen = 0;
    let mut huge = 0;
    for issue in &issues {
        let truth = ws.issues.iter().find(|i| i.id == issue.id).unwrap();
        let listed: Vec<&str> = issue
            .fields
            .attachment
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        let expected: Vec<&str> = truth.attachments.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(listed, expected, "{}", issue.key);
        for (meta, a) in issue.fields.attachment.iter().zip(&truth.attachments) {
            assert_eq!(meta.filename, a.filename);
            assert_eq!(meta.size, a.size);
            let bytes = c.attachment_content(&a.id, 50 * 1024 * 1024).await.unwrap();
            if a.kind == jira_sim::model::AttachmentKind::Huge {
                assert!(bytes.is_none(), "a 60 MiB file must not be read");
                huge += 1;
            } else {
                assert_eq!(bytes.unwrap(), a.bytes(), "{}", a.filename);
            }
            seen += 1;
        }
    }
    assert!(seen >= 100, "only {seen} attachments");
    assert!(huge >= 1);
    sim.shutdown().await;
}

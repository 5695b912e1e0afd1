//! Tests of the oracle: each visibility rule on the story entities of the presets.

use super::ANONYMOUS;
use crate::generate::{GenConfig, generate};
use crate::model::*;

fn acc(ws: &Workspace, local: &str) -> String {
    ws.user_by_any_email(&format!("{local}@example.com"))
        .map(|u| u.account_id.clone())
        .unwrap_or_default()
}

fn project_keys_visible(ws: &Workspace, who: &str) -> std::collections::BTreeSet<String> {
    ws.visible_issue_keys(&acc(ws, who))
        .into_iter()
        .filter_map(|k| k.split('-').next().map(str::to_string))
        .collect()
}

fn set(v: &[&str]) -> std::collections::BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn grants_per_project() {
    let ws = generate(&GenConfig::skeleton(42));
    // group grant (ENG → engineering), anyone (PUB)
    assert_eq!(project_keys_visible(&ws, "alice"), set(&["ENG", "PUB"]));
    // role grant via user actor and via group actor
    assert_eq!(project_keys_visible(&ws, "frank"), set(&["OPS", "PUB"]));
    assert_eq!(project_keys_visible(&ws, "erin"), set(&["OPS", "PUB"]));
    // user grant
    assert_eq!(project_keys_visible(&ws, "grace"), set(&["HR", "PUB"]));
    // hidden-email user only sees anyone-projects
    assert_eq!(project_keys_visible(&ws, "heidi"), set(&["PUB"]));
    assert_eq!(project_keys_visible(&ws, "mallory"), set(&["PUB"]));
    // inactive user sees nothing although member of engineering
    assert!(ws.visible_issue_keys(&acc(&ws, "ivan")).is_empty());
    assert!(ws.visible_issue_keys("no-such-account").is_empty());
}

#[test]
fn security_level_via_group_and_reporter() {
    let ws = generate(&GenConfig::skeleton(42));
    let (alice, bob, carol, dave) = (
        acc(&ws, "alice"),
        acc(&ws, "bob"),
        acc(&ws, "carol"),
        acc(&ws, "dave"),
    );
    let secured: Vec<&Issue> = ws
        .issues
        .iter()
        .filter(|i| i.security_level_id.is_some())
        .collect();
    assert!(!secured.is_empty());
    let mut saw_bob_reporter = false;
    let mut saw_other_reporter = false;
    for i in &secured {
        // carol: engineering + security-team → sees all secured
        assert!(ws.can_see_issue(&carol, &i.id));
        // dave: security-team but no browse on ENG → sees none
        assert!(!ws.can_see_issue(&dave, &i.id));
        let bob_reported = i.reporter_account_id.as_deref() == Some(bob.as_str());
        assert_eq!(ws.can_see_issue(&bob, &i.id), bob_reported, "{}", i.key);
        let alice_reported = i.reporter_account_id.as_deref() == Some(alice.as_str());
        assert_eq!(ws.can_see_issue(&alice, &i.id), alice_reported, "{}", i.key);
        saw_bob_reporter |= bob_reported;
        saw_other_reporter |= !bob_reported;
    }
    assert!(saw_bob_reporter && saw_other_reporter);
}

#[test]
fn restricted_comments() {
    let ws = generate(&GenConfig::skeleton(42));
    let (alice, bob, carol, erin, frank, judy) = (
        acc(&ws, "alice"),
        acc(&ws, "bob"),
        acc(&ws, "carol"),
        acc(&ws, "erin"),
        acc(&ws, "frank"),
        acc(&ws, "judy"),
    );
    let sec = ws
        .group_by_name("security-team")
        .map(|g| g.group_id.clone())
        .unwrap_or_default();
    let eng = ws
        .group_by_name("engineering")
        .map(|g| g.group_id.clone())
        .unwrap_or_default();
    let mut checked = [0usize; 4];
    for i in &ws.issues {
        let pkey = i.key.split('-').next().unwrap_or_default();
        for c in &i.comments {
            match (&c.visibility, pkey) {
                (Some(CommentVisibility::Group { group_id, .. }), "ENG")
                    if *group_id == sec && i.security_level_id.is_none() =>
                {
                    assert!(ws.can_see_comment(&carol, &c.id));
                    assert!(!ws.can_see_comment(&alice, &c.id));
                    assert!(ws.can_see_issue(&alice, &i.id));
                    checked[0] += 1;
                }
                (Some(CommentVisibility::Role { role_id, .. }), "ENG")
                    if role_id == "10001" && i.security_level_id.is_none() =>
                {
                    assert!(ws.can_see_comment(&bob, &c.id));
                    assert!(!ws.can_see_comment(&alice, &c.id));
                    checked[1] += 1;
                }
                (Some(CommentVisibility::Role { role_id, .. }), "OPS") if role_id == "10002" => {
                    assert!(ws.can_see_comment(&erin, &c.id));
                    assert!(!ws.can_see_comment(&frank, &c.id));
                    checked[2] += 1;
                }
                (Some(CommentVisibility::Group { group_id, .. }), "PUB") if *group_id == eng => {
                    assert!(ws.can_see_comment(&alice, &c.id));
                    assert!(!ws.can_see_comment(&judy, &c.id));
                    assert!(ws.can_see_issue(&judy, &i.id));
                    checked[3] += 1;
                }
                (None, _) => {
                    assert_eq!(
                        ws.can_see_comment(&judy, &c.id),
                        ws.can_see_issue(&judy, &i.id)
                    );
                }
                _ => {}
            }
        }
    }
    assert!(checked.iter().all(|n| *n > 0), "{checked:?}");
}

#[test]
fn marker_search_and_email_lookup() {
    let ws = generate(&GenConfig::skeleton(42));
    let carol = acc(&ws, "carol");
    let hits = ws.issues_matching(&carol, MARKER_IN_DESCRIPTION);
    assert!(!hits.is_empty());
    // Carol is in ENG, reads the public PUB project and administers LAB.
    assert!(
        hits.iter()
            .all(|k| k.starts_with("ENG-") || k.starts_with("PUB-") || k.starts_with("LAB-"))
    );
    assert_eq!(ws.issues_matching(&carol, "ZEPHYRINE"), hits);
    // whole word only
    assert!(ws.issues_matching(&carol, "zephyr").is_empty());
    let judy = acc(&ws, "judy");
    let q = ws.issues_matching(&judy, MARKER_IN_COMMENT);
    for k in &q {
        let i = ws.issue_by_key(k).expect("issue");
        assert!(
            i.comments.iter().any(
                |c| c.body_text.contains(MARKER_IN_COMMENT) && ws.can_see_comment(&judy, &c.id)
            )
        );
    }
    assert!(ws.user_by_email("  ALICE@example.com ").is_some());
    assert!(ws.user_by_email("heidi@example.com").is_none());
    assert!(ws.user_by_any_email("heidi@example.com").is_some());
}

#[test]
fn every_holder_type_in_small() {
    let ws = generate(&GenConfig::small(5));
    // For each extra project, the oracle agrees with a direct reading of the rule.
    for p in ws.projects.iter().filter(|p| p.archived) {
        assert!(ws.issues.iter().filter(|i| i.project_id == p.id).all(|i| {
            ws.users
                .iter()
                .all(|u| !ws.can_see_issue(&u.account_id, &i.id))
        }));
    }
    let reporter_project = ws
        .projects
        .iter()
        .find(|p| {
            p.permission_scheme_id
                .as_deref()
                .and_then(|s| ws.permission_scheme(s))
                .is_some_and(|s| {
                    s.grants
                        .iter()
                        .any(|g| g.permission == "BROWSE_PROJECTS" && g.holder == Holder::Reporter)
                })
        })
        .expect("reporter project");
    for i in ws
        .issues
        .iter()
        .filter(|i| i.project_id == reporter_project.id && i.security_level_id.is_none())
    {
        for u in ws.users.iter().filter(|u| u.active) {
            assert_eq!(
                ws.can_see_issue(&u.account_id, &i.id),
                i.reporter_account_id.as_deref() == Some(u.account_id.as_str())
            );
        }
    }
    let private = ws
        .projects
        .iter()
        .find(|p| p.is_private)
        .expect("private project");
    let judy = acc(&ws, "judy");
    if !ws.has_any_project_role(&judy, private) {
        assert!(
            ws.issues
                .iter()
                .filter(|i| i.project_id == private.id)
                .all(|i| !ws.can_see_issue(&judy, &i.id))
        );
    }
}

/// The generated sites of the property tests (same ranges as the end-to-end
/// visibility property test) and the small presets.
fn sites() -> Vec<Workspace> {
    use rand::{Rng, SeedableRng};
    let mut out = vec![
        generate(&GenConfig::skeleton(42)),
        generate(&GenConfig::small(5)),
    ];
    for seed in 1_000..1_004u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        out.push(generate(&GenConfig {
            seed,
            projects: rng.gen_range(6..=18),
            users: rng.gen_range(14..=40),
            groups: rng.gen_range(6..=12),
            issues: rng.gen_range(150..=260),
            comments_per_issue: 2,
            long_comment_threads: rng.gen_range(0..=2),
        }));
    }
    out
}

/// Jira Cloud: an account without product access (in no group of an application
/// role) opens only what anonymous access allows, whatever its groups and roles
/// (<https://support.atlassian.com/user-management/docs/what-is-product-access/>).
#[test]
fn product_access_gate_unlicensed_people_see_what_anonymous_sees() {
    for ws in sites() {
        let anon_issues = ws.visible_issue_keys(ANONYMOUS);
        assert!(!anon_issues.is_empty(), "PUB is open to anyone");
        let unlicensed: Vec<&User> = ws
            .users
            .iter()
            .filter(|u| u.active && !ws.has_product_access(&u.account_id))
            .collect();
        assert!(unlicensed.iter().any(|u| u.account_type == "atlassian"));
        for u in &unlicensed {
            assert_eq!(
                ws.visible_issue_keys(&u.account_id),
                anon_issues,
                "{}",
                u.display_name
            );
            for i in &ws.issues {
                for c in &i.comments {
                    assert_eq!(
                        ws.can_see_comment(&u.account_id, &c.id),
                        ws.can_see_comment(ANONYMOUS, &c.id)
                    );
                }
            }
        }
        // Trent is in engineering, which ENG grants BROWSE to: the gate matters.
        let trent = crate::generate::ACCOUNT_TRENT;
        assert!(ws.groups_of(trent).iter().any(|g| g.name == "engineering"));
        assert!(!ws.has_product_access(trent));
        let eng_issue = ws
            .issues
            .iter()
            .find(|i| i.key.starts_with("ENG-") && i.security_level_id.is_none())
            .expect("ENG issue");
        assert!(ws.can_see_issue(&acc(&ws, "alice"), &eng_issue.id));
        assert!(!ws.can_see_issue(trent, &eng_issue.id));
        // Peggy is an OPS Developers user actor, OPS grants BROWSE to Developers.
        let peggy = crate::generate::ACCOUNT_PEGGY;
        let ops = ws.project_by_id_or_key("OPS").expect("OPS");
        assert!(ws.has_project_role(peggy, ops, crate::generate::ROLE_DEVELOPERS));
        assert!(!ws.can_browse_project(peggy, &ops.id));
        assert!(ws.can_browse_project(&acc(&ws, "frank"), &ops.id));
    }
}

/// Customers (`accountType: "customer"`) use the service portal and hold no Jira
/// product access; a customer's email still names the customer.
#[test]
fn customers_hold_no_product_access() {
    for ws in sites() {
        let customers: Vec<&User> = ws
            .users
            .iter()
            .filter(|u| u.account_type == "customer")
            .collect();
        assert!(customers.len() >= 3);
        assert!(customers.iter().any(|u| u.email_visible));
        assert!(customers.iter().any(|u| !u.email_visible));
        for c in customers {
            assert!(!ws.has_product_access(&c.account_id));
            assert_eq!(
                ws.visible_issue_keys(&c.account_id),
                ws.visible_issue_keys(ANONYMOUS)
            );
            if c.email_visible {
                assert_eq!(
                    ws.user_by_email(&c.email).map(|u| u.account_id.as_str()),
                    Some(c.account_id.as_str())
                );
            }
        }
    }
}

/// Jira Service Management internal comments (`jsdPublic: false`, OpenAPI
/// `Comment.jsdPublic`) are shared with the team only: accounts with product access
/// who see the issue read them; customers and anonymous visitors never do.
#[test]
fn internal_comments_are_for_product_users_only() {
    for ws in sites() {
        let judy = acc(&ws, "judy");
        let customer = ws
            .users
            .iter()
            .find(|u| u.account_type == "customer")
            .expect("customer")
            .account_id
            .clone();
        let mut internal = 0;
        for i in &ws.issues {
            let service = ws
                .project(&i.project_id)
                .is_some_and(|p| p.project_type_key == "service_desk");
            for c in i.comments.iter().filter(|c| c.internal) {
                assert!(service, "internal comments only in service projects");
                internal += 1;
                assert!(!ws.can_see_comment(ANONYMOUS, &c.id));
                assert!(!ws.can_see_comment(&customer, &c.id));
                assert!(!ws.can_see_comment(crate::generate::ACCOUNT_TRENT, &c.id));
                if i.key.starts_with("PUB-") && c.visibility.is_none() {
                    assert!(ws.can_see_issue(ANONYMOUS, &i.id));
                    assert!(ws.can_see_comment(&judy, &c.id));
                }
            }
        }
        assert!(internal > 0);
        // An internal comment carries the comment marker: anonymous search misses it.
        assert!(
            ws.issues
                .iter()
                .flat_map(|i| &i.comments)
                .any(|c| c.internal && c.body_text.contains(MARKER_IN_COMMENT))
        );
    }
}

/// *Administer Jira* lets an administrator browse private team-managed projects
/// ("Jira admins can always see and administer team-managed projects",
/// <https://support.atlassian.com/jira-software-cloud/docs/manage-access-to-team-managed-projects/>);
/// issue restrictions still apply to them.
#[test]
fn jira_admins_browse_private_team_managed_projects() {
    for mut ws in sites() {
        let victor = crate::generate::ACCOUNT_VICTOR;
        assert!(ws.is_jira_admin(victor) && ws.has_product_access(victor));
        assert!(ws.is_jira_admin(&ws.admin_account_id.clone()));
        assert!(!ws.is_jira_admin(&acc(&ws, "alice")));
        let lab = ws
            .project_by_id_or_key(crate::generate::LAB_KEY)
            .expect("LAB")
            .clone();
        assert_eq!(lab.access_level.as_deref(), Some("private"));
        assert!(!ws.has_any_project_role(victor, &lab));
        let lab_issues: Vec<Issue> = ws
            .issues
            .iter()
            .filter(|i| i.project_id == lab.id)
            .cloned()
            .collect();
        assert!(
            lab_issues
                .iter()
                .any(|i| i.restricted_to_role_ids.is_empty())
        );
        assert!(
            lab_issues
                .iter()
                .any(|i| !i.restricted_to_role_ids.is_empty())
        );
        let carol = acc(&ws, "carol");
        for i in &lab_issues {
            let open = i.restricted_to_role_ids.is_empty();
            assert_eq!(ws.can_see_issue(victor, &i.id), open, "{}", i.key);
            assert!(ws.can_see_issue(&carol, &i.id));
            assert!(!ws.can_see_issue(&acc(&ws, "alice"), &i.id));
            // Trent is a LAB developer without product access.
            assert!(!ws.can_see_issue(crate::generate::ACCOUNT_TRENT, &i.id));
        }
        assert!(ws.can_browse_project(victor, &lab.id));
        assert!(!ws.can_browse_project(&acc(&ws, "alice"), &lab.id));
        // The connector loses the private project with the permission.
        let admin = ws.admin_account_id.clone();
        assert!(ws.can_browse_project(&admin, &lab.id));
        assert!(!ws.project_is_private_for(&admin, &lab));
        ws.connector_administers_jira = false;
        assert!(!ws.is_jira_admin(&admin));
        assert!(!ws.can_browse_project(&admin, &lab.id));
        assert!(ws.project_is_private_for(&admin, &lab));
    }
}

/// A sub-task always has its parent's issue security level (Jira: "sub-tasks
/// inherit the security level of their parent issue",
/// <https://support.atlassian.com/jira-cloud-administration/docs/configure-issue-security-schemes/>):
/// the oracle reads the parent's, whatever the sub-task's own copy says.
#[test]
fn subtasks_have_their_parents_security_level() {
    for ws in sites() {
        let subtasks: Vec<&Issue> = ws.issues.iter().filter(|i| i.is_subtask()).collect();
        assert!(subtasks.len() >= 4);
        let secured: Vec<&Issue> = subtasks
            .iter()
            .copied()
            .filter(|s| {
                ws.issue(s.parent_id.as_deref().unwrap_or_default())
                    .is_some_and(|p| p.security_level_id.is_some())
            })
            .collect();
        assert!(!secured.is_empty(), "a sub-task under a secured parent");
        let mut blind = ws.clone();
        for s in blind.issues.iter_mut().filter(|i| i.is_subtask()) {
            s.security_level_id = None;
        }
        // The same site with the secured parents' levels lifted.
        let mut open = ws.clone();
        for p in open.issues.iter_mut().filter(|i| !i.is_subtask()) {
            p.security_level_id = None;
        }
        let mut denied = 0;
        for s in &secured {
            let parent = ws
                .issue(s.parent_id.as_deref().unwrap_or_default())
                .expect("parent");
            assert_eq!(s.project_id, parent.project_id);
            assert_eq!(s.issue_type, SUBTASK_TYPE);
            for u in ws
                .users
                .iter()
                .map(|u| u.account_id.as_str())
                .chain([ANONYMOUS])
            {
                let sees = ws.can_see_issue(u, &s.id);
                assert_eq!(
                    sees,
                    blind.can_see_issue(u, &s.id),
                    "the sub-task's own level does not matter"
                );
                // Someone the parent's level keeps out who browses the project.
                if !sees && open.can_see_issue(u, &s.id) {
                    denied += 1;
                }
            }
        }
        assert!(denied > 0, "the parent's level keeps someone out");
    }
}

/// An app account may show a person's email; the person is whom the email names.
#[test]
fn user_by_email_prefers_the_person_over_an_app_account() {
    for ws in sites() {
        let app = ws
            .user(crate::generate::ACCOUNT_MAIL_APP)
            .expect("mail handler app");
        assert_eq!(app.account_type, "app");
        assert!(app.email_visible);
        let person = ws
            .users
            .iter()
            .find(|u| u.account_type == "atlassian" && u.email == app.email)
            .expect("a person with the same email");
        assert_eq!(
            ws.user_by_email(&app.email.to_uppercase())
                .map(|u| &u.account_id),
            Some(&person.account_id)
        );
        // Even when the app account comes first.
        let mut swapped = ws.clone();
        let pos = swapped
            .users
            .iter()
            .position(|u| u.account_id == app.account_id)
            .expect("app");
        let app_user = swapped.users.remove(pos);
        swapped.users.insert(0, app_user);
        assert_eq!(
            swapped.user_by_email(&app.email).map(|u| &u.account_id),
            Some(&person.account_id)
        );
    }
}

/// Every generated site has role-restricted comments (a role visibility names the
/// role), among the rest of what the rules above need.
#[test]
fn generated_sites_have_role_restricted_comments() {
    for ws in sites() {
        assert!(
            ws.issues
                .iter()
                .flat_map(|i| &i.comments)
                .any(|c| matches!(c.visibility, Some(CommentVisibility::Role { .. })))
        );
        assert!(
            ws.projects
                .iter()
                .any(|p| p.is_team_managed() && p.access_level.as_deref() == Some("private"))
        );
    }
}

//! Expansion: who holds which tag, for each holder type, gate and account state.

use super::*;
use crate::acl::{
    ChunkAcl, CommentVisibility, DENY_TAG, IssueFacts, LICENSED_TAG, comment_acl, issue_acl,
};
use crate::directory::{AppRole, DirGroup, DirUser, ProjectGrants, RoleActors, SecurityLevel};

const PID: &str = "10";

fn user(acc: &str) -> DirUser {
    DirUser {
        account_id: acc.into(),
        email: Some(format!("{acc}@example.com")),
        display_name: acc.to_uppercase(),
        active: true,
        account_type: "atlassian".into(),
        product_keys: None,
    }
}

/// ann: in `devs` (licensed for jira-software); bob: in `ops` (licensed for
/// jira-servicedesk); cat: in `core` (licensed for jira-core), project lead; dan:
/// in `core`, user actor of role 100; eve: inactive member of `devs`; fay: in
/// `contractors` (no product access), user actor of role 100; cus: a customer in
/// `contractors`.
fn dir_with(browse: Vec<Holder>, level: Vec<Holder>) -> Directory {
    let mut eve = user("eve");
    eve.active = false;
    let mut cus = user("cus");
    cus.account_type = "customer".into();
    Directory {
        users: vec![
            user("ann"),
            user("bob"),
            user("cat"),
            user("dan"),
            eve,
            user("fay"),
            cus,
        ],
        groups: vec![
            DirGroup {
                group_id: "g-core".into(),
                name: "core".into(),
                members: vec!["cat".into(), "dan".into()],
            },
            DirGroup {
                group_id: "g-contractors".into(),
                name: "contractors".into(),
                members: vec!["fay".into(), "cus".into()],
            },
            DirGroup {
                group_id: "g-devs".into(),
                name: "devs".into(),
                members: vec!["ann".into(), "eve".into()],
            },
            DirGroup {
                group_id: "g-ops".into(),
                name: "ops".into(),
                members: vec!["bob".into()],
            },
        ],
        application_roles: vec![
            AppRole {
                key: "jira-software".into(),
                group_ids: vec!["g-devs".into()],
            },
            AppRole {
                key: "jira-servicedesk".into(),
                group_ids: vec!["g-ops".into()],
            },
            AppRole {
                key: "jira-core".into(),
                group_ids: vec!["g-core".into()],
            },
        ],
        projects: vec![DirProject {
            id: PID.into(),
            key: "DEV".into(),
            name: "Development".into(),
            lead: Some("cat".into()),
            ..Default::default()
        }],
        role_actors: vec![
            RoleActors {
                project_id: PID.into(),
                role_id: "100".into(),
                role_name: "Developers".into(),
                users: vec!["dan".into(), "fay".into()],
                groups: vec![],
            },
            RoleActors {
                project_id: PID.into(),
                role_id: "101".into(),
                role_name: "Operators".into(),
                users: vec![],
                groups: vec!["g-ops".into()],
            },
        ],
        browse_grants: vec![ProjectGrants {
            project_id: PID.into(),
            holders: browse,
        }],
        security_levels: vec![SecurityLevel {
            project_id: PID.into(),
            level_id: "7".into(),
            name: "Staff".into(),
            members: level,
        }],
        ..Default::default()
    }
}

fn plain_issue() -> IssueFacts {
    IssueFacts {
        project_id: PID.into(),
        ..Default::default()
    }
}

fn sees(dir: &Directory, acc: &str, facts: &IssueFacts) -> bool {
    principals_for_account(dir, acc).allows(&issue_acl(facts))
}

fn who_sees(dir: &Directory, facts: &IssueFacts) -> Vec<&'static str> {
    ["ann", "bob", "cat", "dan", "eve"]
        .into_iter()
        .filter(|a| sees(dir, a, facts))
        .collect()
}

/// Each static holder in BROWSE_PROJECTS and in a security level (with a browse
/// grant to `anyone`), and who it lets in.
#[test]
fn static_holders_in_browse_and_security_levels() {
    let cases: Vec<(Holder, Vec<&str>)> = vec![
        (Holder::Anyone, vec!["ann", "bob", "cat", "dan"]),
        (
            Holder::ApplicationRole {
                key: Some("jira-software".into()),
            },
            vec!["ann"],
        ),
        (
            Holder::ApplicationRole { key: None },
            vec!["ann", "bob", "cat", "dan"],
        ),
        (
            Holder::ApplicationRole {
                key: Some("confluence".into()),
            },
            vec![],
        ),
        (
            Holder::Group {
                group_id: "g-ops".into(),
            },
            vec!["bob"],
        ),
        (
            Holder::User {
                account_id: "dan".into(),
            },
            vec!["dan"],
        ),
        (
            Holder::ProjectRole {
                role_id: "100".into(),
            },
            vec!["dan"],
        ),
        (
            Holder::ProjectRole {
                role_id: "101".into(),
            },
            vec!["bob"],
        ),
        (Holder::ProjectLead, vec!["cat"]),
        (
            Holder::Unknown {
                type_name: "mystery".into(),
            },
            vec![],
        ),
    ];
    for (holder, want) in cases {
        let browse = dir_with(vec![holder.clone()], vec![]);
        assert_eq!(who_sees(&browse, &plain_issue()), want, "browse {holder:?}");

        let level = dir_with(vec![Holder::Anyone], vec![holder.clone()]);
        let secured = IssueFacts {
            security_level_id: Some("7".into()),
            ..plain_issue()
        };
        assert_eq!(who_sees(&level, &secured), want, "level {holder:?}");
    }
}

#[test]
fn dynamic_holders_in_browse() {
    let facts = IssueFacts {
        reporter: Some("ann".into()),
        assignee: Some("bob".into()),
        user_fields: vec![("cf_u".into(), "cat".into())],
        group_fields: vec![("cf_g".into(), "g-ops".into())],
        ..plain_issue()
    };
    let cases: Vec<(Holder, Vec<&str>)> = vec![
        (Holder::Reporter, vec!["ann"]),
        (Holder::Assignee, vec!["bob"]),
        (
            Holder::UserCustomField {
                field_id: "cf_u".into(),
            },
            vec!["cat"],
        ),
        (
            Holder::UserCustomField {
                field_id: "cf_other".into(),
            },
            vec![],
        ),
        (
            Holder::GroupCustomField {
                field_id: "cf_g".into(),
            },
            vec!["bob"],
        ),
    ];
    for (holder, want) in cases {
        let dir = dir_with(vec![holder.clone()], vec![]);
        assert_eq!(who_sees(&dir, &facts), want, "browse {holder:?}");
        // Without the dynamic holder in the scheme, the same issue is closed.
        let closed = dir_with(vec![], vec![]);
        assert!(who_sees(&closed, &facts).is_empty());
    }
    let dir = dir_with(vec![Holder::Reporter], vec![]);
    assert_eq!(
        principals_for_account(&dir, "ann").tags(),
        ["*", "g:g-devs", "lic", "p:10:reporter:ann"]
    );
}

#[test]
fn dynamic_holders_in_security_levels() {
    let facts = IssueFacts {
        reporter: Some("ann".into()),
        assignee: Some("bob".into()),
        user_fields: vec![("cf_u".into(), "cat".into())],
        group_fields: vec![("cf_g".into(), "g-devs".into())],
        security_level_id: Some("7".into()),
        ..plain_issue()
    };
    let cases: Vec<(Holder, Vec<&str>)> = vec![
        (Holder::Reporter, vec!["ann"]),
        (Holder::Assignee, vec!["bob"]),
        (
            Holder::UserCustomField {
                field_id: "cf_u".into(),
            },
            vec!["cat"],
        ),
        (
            Holder::GroupCustomField {
                field_id: "cf_g".into(),
            },
            vec!["ann"],
        ),
    ];
    for (holder, want) in cases {
        let dir = dir_with(vec![Holder::Anyone], vec![holder.clone()]);
        assert_eq!(who_sees(&dir, &facts), want, "level {holder:?}");
    }
    // A level id the project does not have: nobody.
    let dir = dir_with(vec![Holder::Anyone], vec![Holder::Anyone]);
    let other_level = IssueFacts {
        security_level_id: Some("8".into()),
        ..plain_issue()
    };
    assert!(who_sees(&dir, &other_level).is_empty());
}

#[test]
fn restricted_comments_by_group_and_role() {
    let dir = dir_with(vec![Holder::Anyone], vec![]);
    let facts = plain_issue();
    let sees_comment = |acc: &str, vis: &CommentVisibility| {
        principals_for_account(&dir, acc).allows(&comment_acl(&facts, Some(vis), false))
    };
    let by_group = CommentVisibility::Group {
        group_id: "g-devs".into(),
    };
    let by_role = CommentVisibility::Role {
        role_id: "101".into(),
    };
    assert!(sees_comment("ann", &by_group));
    assert!(!sees_comment("bob", &by_group));
    assert!(sees_comment("bob", &by_role));
    assert!(!sees_comment("ann", &by_role));
    for acc in ["ann", "bob", "cat", "dan"] {
        assert!(!sees_comment(acc, &CommentVisibility::Unknown), "{acc}");
        assert!(principals_for_account(&dir, acc).allows(&comment_acl(&facts, None, false)));
    }
    // A role restriction is evaluated in the issue's project only.
    let elsewhere = IssueFacts {
        project_id: "99".into(),
        ..Default::default()
    };
    let acl = comment_acl(&elsewhere, Some(&by_role), false);
    assert_eq!(acl.comment, ["r:99:101"]);
    assert!(!principals_for_account(&dir, "bob").contains("r:99:101"));
}

#[test]
fn team_managed_restriction_by_role() {
    let mut dir = dir_with(vec![Holder::Anyone], vec![]);
    let facts = IssueFacts {
        restricted_to_roles: Some(vec!["100".into()]),
        ..plain_issue()
    };
    // Classic projects have no issue restrictions: a restricted classic issue
    // (which Jira cannot produce) is denied to everyone.
    assert!(who_sees(&dir, &facts).is_empty());
    dir.projects[0].team_managed = true;
    let facts = IssueFacts {
        restricted_to_roles: Some(vec!["100".into()]),
        ..plain_issue()
    };
    assert_eq!(who_sees(&dir, &facts), ["dan"]);
    let unreadable = IssueFacts {
        restricted_to_roles: Some(vec![]),
        ..plain_issue()
    };
    assert!(who_sees(&dir, &unreadable).is_empty());
}

#[test]
fn team_managed_projects_open_and_private() {
    use crate::directory::team_managed_grants;
    let mut dir = dir_with(vec![], vec![]);
    dir.projects[0].team_managed = true;
    // Open (or limited): any product user; never anonymous, never fay (a role
    // holder without product access).
    dir.browse_grants[0].holders = team_managed_grants(&dir.projects[0], &dir.role_actors, &[]);
    assert_eq!(who_sees(&dir, &plain_issue()), ["ann", "bob", "cat", "dan"]);
    assert!(!anonymous_principals(&dir).allows(&issue_acl(&plain_issue())));
    assert!(!sees(&dir, "fay", &plain_issue()));
    // Private: only people holding a role in the project, and Jira administrators.
    dir.projects[0].is_private = true;
    dir.browse_grants[0].holders = team_managed_grants(&dir.projects[0], &dir.role_actors, &[]);
    assert_eq!(who_sees(&dir, &plain_issue()), ["bob", "dan"]);
    dir.browse_grants[0].holders =
        team_managed_grants(&dir.projects[0], &dir.role_actors, &["cat".to_string()]);
    assert_eq!(who_sees(&dir, &plain_issue()), ["bob", "cat", "dan"]);
}

/// "Users without product access can't log in to Jira" (Atlassian, "Manage
/// product access"): groups, roles and user grants count only for accounts that
/// hold an application role; the others, customers included, see what an
/// anonymous visitor sees.
#[test]
fn accounts_without_product_access_see_only_what_anyone_sees() {
    let by_group = dir_with(
        vec![Holder::Group {
            group_id: "g-contractors".into(),
        }],
        vec![],
    );
    for acc in ["fay", "cus"] {
        let set = principals_for_account(&by_group, acc);
        assert_eq!(set, anonymous_principals(&by_group), "{acc}");
        assert!(!set.allows(&issue_acl(&plain_issue())), "{acc}");
        assert!(!set.contains(LICENSED_TAG), "{acc}");
    }
    let by_user_and_role = dir_with(
        vec![
            Holder::User {
                account_id: "fay".into(),
            },
            Holder::ProjectRole {
                role_id: "100".into(),
            },
        ],
        vec![],
    );
    assert!(!sees(&by_user_and_role, "fay", &plain_issue()));
    assert!(sees(&by_user_and_role, "dan", &plain_issue()));
    // What anyone may see, they see too.
    let public = dir_with(vec![Holder::Anyone], vec![]);
    assert!(sees(&public, "fay", &plain_issue()));
    assert!(sees(&public, "cus", &plain_issue()));
    // Internal comments never, even on a public project.
    let internal = comment_acl(&plain_issue(), None, true);
    assert!(!principals_for_account(&public, "cus").allows(&internal));
    assert!(!anonymous_principals(&public).allows(&internal));
    assert!(principals_for_account(&public, "ann").allows(&internal));
    assert!(by_group.has_product_access("ann"));
    assert!(!by_group.has_product_access("fay"));
    assert!(!by_group.has_product_access("cus"));
    assert!(!by_group.has_product_access("eve"));
}

/// Without `GET /rest/api/3/applicationrole` (Administer Jira needed), product
/// access comes from each account's own answer (`GET /rest/api/3/user?expand=
/// applicationRoles`); an account whose answer was not read holds nothing, so
/// every grant but `anyone` denies it (fail closed).
#[test]
fn unreadable_application_roles_use_each_accounts_own_products() {
    let mut dir = dir_with(
        vec![
            Holder::ApplicationRole { key: None },
            Holder::Group {
                group_id: "g-contractors".into(),
            },
        ],
        vec![],
    );
    dir.application_roles.clear();
    dir.application_roles_unreadable = true;
    assert_eq!(who_sees(&dir, &plain_issue()), Vec::<&str>::new());
    assert!(!sees(&dir, "fay", &plain_issue()));
    assert!(!sees(&dir, "cat", &plain_issue()));
    assert!(!sees(&dir, "cus", &plain_issue()));
    for u in &mut dir.users {
        u.product_keys = match u.account_id.as_str() {
            "cat" => Some(vec!["jira-core".into()]),
            "fay" => Some(vec![]),
            "cus" => Some(vec!["jira-servicedesk".into()]),
            _ => None,
        };
    }
    // cat holds a product (the application-role grant); fay, in the granted
    // group, holds none; a customer never counts, whatever Jira lists.
    assert!(sees(&dir, "cat", &plain_issue()));
    assert!(!sees(&dir, "fay", &plain_issue()));
    assert!(!sees(&dir, "cus", &plain_issue()));
    assert!(
        !sees(&dir, "ann", &plain_issue()),
        "not read: no product access"
    );
    // The lookup index (large sites) expands the same way.
    let index = DirectoryIndex::new(&dir);
    for acc in ["cat", "fay", "cus", "ann"] {
        assert_eq!(
            index.principals_for_account(&dir, acc),
            principals_for_account(&dir, acc),
            "{acc}"
        );
    }
    assert!(dir.has_product_access("cat"));
    assert!(!dir.has_product_access("fay"));
    assert!(!dir.has_product_access("cus"));
}

#[test]
fn archived_projects_grant_nothing() {
    let mut dir = dir_with(vec![Holder::Anyone, Holder::Reporter], vec![Holder::Anyone]);
    dir.projects[0].archived = true;
    let facts = IssueFacts {
        reporter: Some("ann".into()),
        ..plain_issue()
    };
    assert!(who_sees(&dir, &facts).is_empty());
    assert!(!anonymous_principals(&dir).allows(&issue_acl(&facts)));
    let dan = principals_for_account(&dir, "dan");
    assert!(dan.tags().iter().all(|t| !t.contains(":10")), "{dan:?}");
}

#[test]
fn projects_missing_from_the_directory_grant_nothing() {
    let mut dir = dir_with(vec![Holder::Anyone], vec![]);
    dir.projects.clear();
    assert!(who_sees(&dir, &plain_issue()).is_empty());
}

#[test]
fn inactive_and_unknown_accounts_hold_nothing() {
    let dir = dir_with(vec![Holder::Anyone], vec![]);
    assert!(principals_for_account(&dir, "eve").is_empty());
    assert!(principals_for_account(&dir, "zed").is_empty());
    assert!(principals_for_account(&dir, "").is_empty());
    // Inactive members do not lend their groups to anyone else either.
    assert!(!principals_for_account(&dir, "bob").contains("g:g-devs"));
}

#[test]
fn anonymous_gets_only_what_anyone_grants() {
    let dir = dir_with(
        vec![
            Holder::Anyone,
            Holder::ApplicationRole { key: None },
            Holder::Reporter,
        ],
        vec![Holder::ApplicationRole { key: None }],
    );
    assert_eq!(anonymous_principals(&dir).tags(), ["*", "p:10"]);
    let licensed_only = dir_with(vec![Holder::ApplicationRole { key: None }], vec![]);
    assert_eq!(anonymous_principals(&licensed_only).tags(), ["*"]);
    let secured = IssueFacts {
        security_level_id: Some("7".into()),
        ..plain_issue()
    };
    assert!(!anonymous_principals(&dir).allows(&issue_acl(&secured)));
}

#[test]
fn unknown_holder_denies_but_others_still_grant() {
    let dir = dir_with(
        vec![
            Holder::from_jira("sd.customer.portal.only", None, None),
            Holder::User {
                account_id: "ann".into(),
            },
        ],
        vec![],
    );
    assert_eq!(who_sees(&dir, &plain_issue()), ["ann"]);
}

#[test]
fn unknown_holders_are_reported_once_per_project_and_type() {
    assert!(report_unknown("test-proj-1", "madeUpHolder"));
    assert!(!report_unknown("test-proj-1", "madeUpHolder"));
    assert!(report_unknown("test-proj-2", "madeUpHolder"));
    assert!(report_unknown("test-proj-1", "otherHolder"));
    let dir = dir_with(vec![Holder::from_jira("thirdHolder", None, None)], vec![]);
    for _ in 0..3 {
        assert_eq!(
            principals_for_account(&dir, "ann").tags(),
            ["*", "g:g-devs", "lic"]
        );
    }
    assert!(
        !report_unknown(PID, "thirdHolder"),
        "expansion reported it already"
    );
}

#[test]
fn every_role_held_gives_role_tags() {
    let mut dir = dir_with(vec![], vec![]);
    let bob = principals_for_account(&dir, "bob");
    assert!(bob.contains("r:10:101") && !bob.contains("tr:10:101"));
    assert!(!bob.contains("r:10:100"));
    // Issue restrictions (`tr:`) exist in team-managed projects only.
    dir.projects[0].team_managed = true;
    let bob = principals_for_account(&dir, "bob");
    assert!(bob.contains("r:10:101") && bob.contains("tr:10:101"));
}

#[test]
fn a_gate_without_tags_denies() {
    let set = PrincipalSet(["*".to_string()].into_iter().collect());
    let acl = ChunkAcl {
        project: vec![],
        issue: vec!["*".into()],
        comment: vec!["*".into()],
    };
    assert!(!set.allows(&acl));
    assert!(!set.contains(DENY_TAG));
}

/// Group membership, role and scheme changes alter principal sets only: the
/// chunk's tags are a function of the issue's facts.
#[test]
fn directory_changes_move_only_principal_sets() {
    let mut dir = dir_with(
        vec![Holder::Group {
            group_id: "g-devs".into(),
        }],
        vec![],
    );
    let facts = IssueFacts {
        reporter: Some("bob".into()),
        ..plain_issue()
    };
    let acl_before = issue_acl(&facts);
    let bob_before = principals_for_account(&dir, "bob");
    assert!(!bob_before.allows(&acl_before));

    dir.groups[0].members.push("bob".into());
    dir.browse_grants[0].holders.push(Holder::Reporter);
    dir.role_actors[0].users.push("bob".into());

    let acl_after = issue_acl(&facts);
    let bob_after = principals_for_account(&dir, "bob");
    assert_eq!(acl_before, acl_after);
    assert_ne!(bob_before, bob_after);
    assert!(bob_after.allows(&acl_after));
}

//! A [`DirectoryIndex`] expands accounts exactly as the scan does, and a stale one
//! never grants more than the directory says.

use super::*;
use crate::directory::{AppRole, DirGroup, DirUser, ProjectGrants, RoleActors};

fn user(acc: &str) -> DirUser {
    DirUser {
        account_id: acc.into(),
        active: true,
        ..Default::default()
    }
}

fn dir() -> Directory {
    Directory {
        users: vec![user("ann"), user("bob")],
        groups: vec![DirGroup {
            group_id: "g".into(),
            name: "g".into(),
            members: vec!["ann".into()],
        }],
        application_roles: vec![AppRole {
            key: "jira-software".into(),
            group_ids: vec!["g".into()],
        }],
        projects: vec![DirProject {
            id: "1".into(),
            ..Default::default()
        }],
        role_actors: vec![RoleActors {
            project_id: "1".into(),
            role_id: "100".into(),
            users: vec!["ann".into()],
            groups: vec!["g".into()],
            ..Default::default()
        }],
        browse_grants: vec![ProjectGrants {
            project_id: "1".into(),
            holders: vec![Holder::ApplicationRole { key: None }],
        }],
        ..Default::default()
    }
}

#[test]
fn agrees_with_the_scan() {
    let d = dir();
    let index = DirectoryIndex::new(&d);
    assert!(index.is_current(&d));
    for acc in ["ann", "bob", "nobody", ""] {
        assert_eq!(
            index.principals_for_account(&d, acc),
            principals_for_account(&d, acc),
            "{acc}"
        );
    }
    assert!(index.principals_for_account(&d, "ann").contains("p:1"));
}

#[test]
fn another_directory_falls_back_to_the_scan() {
    let d = dir();
    let index = DirectoryIndex::new(&d);
    let mut other = d.clone();
    other.groups[0].members.push("bob".into());
    assert!(!index.is_current(&other));
    assert_eq!(
        index.principals_for_account(&other, "bob"),
        principals_for_account(&other, "bob")
    );
}

/// An in-place edit that keeps every size fools the fingerprint; the re-checks
/// still keep the stale index from granting what the directory no longer says.
#[test]
fn a_stale_index_never_over_grants() {
    let mut d = dir();
    let index = DirectoryIndex::new(&d);
    d.groups[0].members[0] = "bob".into();
    d.role_actors[0].users[0] = "bob".into();
    d.users[0].active = false;
    assert!(index.is_current(&d), "same addresses and sizes");
    assert!(index.principals_for_account(&d, "ann").is_empty());
    let mut d = dir();
    let index = DirectoryIndex::new(&d);
    d.groups[0].members[0] = "bob".into();
    d.role_actors[0].users[0] = "bob".into();
    d.role_actors[0].groups[0] = "h".into();
    d.application_roles[0].group_ids[0] = "h".into();
    d.projects[0].archived = true;
    d.projects[0].archived = false;
    let ann = index.principals_for_account(&d, "ann");
    assert_eq!(ann.tags(), ["*"]);
    // Bob's new grants are missed until the index is rebuilt (fail closed).
    let bob = index.principals_for_account(&d, "bob");
    assert!(principals_for_account(&d, "bob").len() >= bob.len());
    assert_eq!(
        DirectoryIndex::new(&d).principals_for_account(&d, "bob"),
        principals_for_account(&d, "bob")
    );
}

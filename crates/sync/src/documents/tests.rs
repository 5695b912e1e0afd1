//! Comment visibility, sub-task levels and team-managed restrictions, read as Jira
//! documents them.

use super::*;
use access::{DirGroup, RoleActors};
use serde_json::json;

fn dir() -> Directory {
    Directory {
        groups: vec![DirGroup {
            group_id: "g-1".into(),
            name: "jira-admins".into(),
            members: vec![],
        }],
        role_actors: vec![
            RoleActors {
                project_id: "10".into(),
                role_id: "10002".into(),
                role_name: "Administrators".into(),
                ..Default::default()
            },
            RoleActors {
                project_id: "11".into(),
                role_id: "10003".into(),
                role_name: "Administrators".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

fn comment(visibility: serde_json::Value) -> Comment {
    serde_json::from_value(json!({"id": "5", "visibility": visibility})).unwrap()
}

/// OpenAPI `Visibility`: `identifier` is "the ID of the group or the name of the
/// role"; the example is `{"type":"role","identifier":"Administrators"}`.
#[test]
fn role_visibility_is_resolved_by_name_in_the_issues_project() {
    let c =
        comment(json!({"type": "role", "identifier": "Administrators", "value": "Administrators"}));
    assert_eq!(
        comment_visibility(&c, "10", &dir()),
        Some(CommentVisibility::Role {
            role_id: "10002".into()
        })
    );
    assert_eq!(
        comment_visibility(&c, "11", &dir()),
        Some(CommentVisibility::Role {
            role_id: "10003".into()
        })
    );
    // Only `value`, as some answers send.
    let by_value = comment(json!({"type": "role", "value": "Administrators"}));
    assert_eq!(
        comment_visibility(&by_value, "10", &dir()),
        Some(CommentVisibility::Role {
            role_id: "10002".into()
        })
    );
    // A role id is not a name; an unknown name denies.
    for v in [
        json!({"type": "role", "identifier": "10002"}),
        json!({"type": "role", "identifier": "Nobody"}),
        json!({"type": "role"}),
        json!({"type": "weird", "identifier": "x"}),
    ] {
        assert_eq!(
            comment_visibility(&comment(v.clone()), "10", &dir()),
            Some(CommentVisibility::Unknown),
            "{v}"
        );
    }
}

#[test]
fn group_visibility_is_resolved_by_id_then_name() {
    let by_id = comment(json!({"type": "group", "identifier": "g-1", "value": "renamed"}));
    let by_name = comment(json!({"type": "group", "value": "jira-admins"}));
    for c in [by_id, by_name] {
        assert_eq!(
            comment_visibility(&c, "10", &dir()),
            Some(CommentVisibility::Group {
                group_id: "g-1".into()
            })
        );
    }
}

/// OpenAPI `Comment.jsdPublic`: false marks an internal comment.
#[test]
fn internal_comments_are_read_from_jsd_public() {
    let internal: Comment = serde_json::from_value(json!({"id": "1", "jsdPublic": false})).unwrap();
    let public: Comment = serde_json::from_value(json!({"id": "2", "jsdPublic": true})).unwrap();
    let plain: Comment = serde_json::from_value(json!({"id": "3"})).unwrap();
    assert!(internal.is_internal());
    assert!(!public.is_internal());
    assert!(!plain.is_internal());
}

/// A sub-task has its parent's security level.
#[test]
fn subtasks_take_their_parents_level() {
    assert_eq!(subtask_level(None, Some("7")), Some("7".into()));
    assert_eq!(subtask_level(Some("7"), Some("7")), Some("7".into()));
    assert_eq!(subtask_level(Some("7"), None), Some("7".into()));
    assert_eq!(subtask_level(None, None), None);
    // Disagreeing levels cannot be ANDed in one gate: an empty id, which denies.
    let both = subtask_level(Some("7"), Some("8")).unwrap();
    assert!(both.is_empty());
    let acl = access::issue_acl(&IssueFacts {
        project_id: "10".into(),
        security_level_id: Some(both),
        ..Default::default()
    });
    assert_eq!(acl.issue, [access::DENY_TAG]);
}

/// A team-managed restriction of any shape but the documented one denies.
#[test]
fn unexpected_issue_restrictions_deny() {
    let roles = |v: serde_json::Value| issue_restriction_roles(Some(&v));
    assert_eq!(roles(serde_json::Value::Null), None);
    assert_eq!(
        roles(json!({"issuerestrictions": {}, "shouldDisplay": false})),
        None
    );
    assert_eq!(
        roles(json!({"issuerestrictions": {"projectrole": ["10002", 10003]}})),
        Some(vec!["10002".to_string(), "10003".to_string()])
    );
    for odd in [
        json!("restricted"),
        json!({"shouldDisplay": true}),
        json!({"issuerestrictions": []}),
        json!({"issuerestrictions": {"user": ["acc"]}}),
        json!({"issuerestrictions": {"projectrole": ["10002"], "group": ["g"]}}),
        json!({"issuerestrictions": {"projectrole": [{"id": "10002"}]}}),
        json!({"issuerestrictions": {"projectrole": "10002"}}),
    ] {
        assert_eq!(roles(odd.clone()), Some(vec![]), "{odd}");
    }
}

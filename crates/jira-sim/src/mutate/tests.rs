//! Tests of the mutations: `updated` moves forward, audit records are written, and
//! visibility follows (checked with the oracle).

use crate::generate::{GenConfig, generate};
use crate::model::*;

fn acc(ws: &Workspace, local: &str) -> String {
    ws.user_by_any_email(&format!("{local}@example.com"))
        .map(|u| u.account_id.clone())
        .unwrap_or_default()
}

#[test]
fn mutations_move_updated_and_audit() {
    let mut ws = generate(&GenConfig::skeleton(9));
    let alice = acc(&ws, "alice");
    let judy = acc(&ws, "judy");
    let latest = ws.issues.iter().map(|i| i.updated).max().expect("issues");
    let key = ws
        .create_issue(
            "ENG",
            "New quokka-free issue",
            "First paragraph.\n\nSecond.",
            &alice,
        )
        .expect("create");
    assert!(key.starts_with("ENG-"));
    let created = ws.issue_by_key(&key).expect("created").clone();
    assert!(created.updated > latest);
    assert!(ws.can_see_issue(&alice, &created.id));
    assert!(!ws.can_see_issue(&judy, &created.id));

    // move to PUB: judy can now see it; id kept, key changes
    let new_key = ws.move_issue(&key, "PUB").expect("move");
    assert!(new_key.starts_with("PUB-"));
    let moved = ws.issue(&created.id).expect("same id");
    assert!(moved.updated > created.updated);
    assert!(ws.can_see_issue(&judy, &created.id));

    // comment restricted to engineering
    let eng = ws
        .group_by_name("engineering")
        .expect("eng")
        .group_id
        .clone();
    let cid = ws
        .add_comment(
            &new_key,
            &alice,
            "restricted words here",
            Some(CommentVisibility::Group {
                group_id: eng.clone(),
                name: "engineering".into(),
            }),
        )
        .expect("comment");
    assert!(ws.can_see_comment(&alice, &cid));
    assert!(!ws.can_see_comment(&judy, &cid));
    ws.restrict_comment(&cid, None).expect("open");
    assert!(ws.can_see_comment(&judy, &cid));

    // group membership grants ENG
    let some_eng = ws
        .issues
        .iter()
        .find(|i| i.key.starts_with("ENG-") && i.security_level_id.is_none())
        .expect("eng issue")
        .id
        .clone();
    assert!(!ws.can_see_issue(&judy, &some_eng));
    ws.add_group_member(&eng, &judy).expect("add");
    assert!(ws.can_see_issue(&judy, &some_eng));
    ws.remove_group_member(&eng, &judy).expect("remove");
    assert!(!ws.can_see_issue(&judy, &some_eng));

    // hide email
    assert!(ws.user_by_email("alice@example.com").is_some());
    ws.hide_email(&alice).expect("hide");
    assert!(ws.user_by_email("alice@example.com").is_none());

    // delete with and without audit
    let before = ws.audit_records.len();
    ws.delete_issue(&new_key, &alice).expect("delete");
    assert_eq!(ws.audit_records.len(), before + 1);
    let rec = ws.audit_records.last().expect("record");
    assert_eq!(rec.summary, "Issue deleted");
    assert_eq!(rec.object_name, new_key);
    assert!(ws.issue(&created.id).is_none());
    let k = ws.issues[0].key.clone();
    ws.delete_issue_silently(&k).expect("silent");
    assert_eq!(ws.audit_records.len(), before + 1);
    // timestamps are monotonic
    assert!(
        ws.audit_records
            .windows(2)
            .all(|w| w[0].created <= w[1].created)
    );
    assert!(matches!(
        ws.delete_issue("NOPE-1", &alice),
        Err(crate::mutate::MutationError::UnknownIssue(_))
    ));
}

#[test]
fn update_issue_changes_security() {
    let mut ws = generate(&GenConfig::skeleton(9));
    let alice = acc(&ws, "alice");
    let issue = ws
        .issues
        .iter()
        .find(|i| {
            i.key.starts_with("ENG-")
                && i.security_level_id.is_none()
                && i.reporter_account_id.as_deref() != Some(alice.as_str())
        })
        .expect("issue")
        .clone();
    assert!(ws.can_see_issue(&alice, &issue.id));
    ws.update_issue(
        &issue.key,
        crate::mutate::IssueUpdate {
            security_level_id: Some(Some("10100".into())),
            ..Default::default()
        },
    )
    .expect("update");
    assert!(!ws.can_see_issue(&alice, &issue.id));
    assert!(
        ws.issue(&issue.id)
            .is_some_and(|i| i.updated > issue.updated)
    );
    let err = ws.update_issue(
        "PUB-1",
        crate::mutate::IssueUpdate {
            security_level_id: Some(Some("10100".into())),
            ..Default::default()
        },
    );
    assert!(err.is_err());
}

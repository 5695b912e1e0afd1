//! Tests of the generator: determinism, the skeleton's shape, the small preset's
//! coverage of holder types.

use super::*;
use crate::model::*;

#[test]
fn skeleton_is_deterministic() {
    let a = generate(&GenConfig::skeleton(7));
    let b = generate(&GenConfig::skeleton(7));
    assert_eq!(
        serde_json::to_string(&a).ok(),
        serde_json::to_string(&b).ok()
    );
    let c = generate(&GenConfig::skeleton(8));
    assert_ne!(a.users[1].account_id, c.users[1].account_id);
}

#[test]
fn skeleton_has_required_shape() {
    let ws = generate(&GenConfig::skeleton(1));
    // 12 story people, an app and a service-desk customer, then Trent, Peggy and
    // Victor, an app showing Grace's email and two more customers.
    assert_eq!(ws.users.len(), 20);
    let types: Vec<&str> = ws.users.iter().map(|u| u.account_type.as_str()).collect();
    assert!(types.contains(&"app") && types.contains(&"customer"));
    let kinds: std::collections::BTreeSet<_> = ws
        .issues
        .iter()
        .flat_map(|i| i.attachments.iter().map(|a| a.kind))
        .map(|k| format!("{k:?}"))
        .collect();
    assert_eq!(kinds.len(), 12, "every attachment kind: {kinds:?}");
    // `issues` counts the issues of the configured projects; sub-tasks and the
    // private LAB project's issues come on top.
    let lab = ws.project_by_id_or_key(LAB_KEY).expect("LAB").id.clone();
    assert_eq!(
        ws.issues
            .iter()
            .filter(|i| !i.is_subtask() && i.project_id != lab)
            .count(),
        200
    );
    assert!(ws.users.iter().any(|u| !u.email_visible));
    assert!(ws.users.iter().any(|u| !u.active));
    let keys: Vec<&str> = ws.projects.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["ENG", "OPS", "HR", "PUB", LAB_KEY]);
    assert!(
        ws.projects
            .iter()
            .all(|p| !p.archived && (p.style == "classic") == (p.key != LAB_KEY))
    );
    let secured = ws
        .issues
        .iter()
        .filter(|i| i.security_level_id.is_some())
        .count();
    assert!(secured >= 5, "secured issues: {secured}");
    let desc_marked = ws
        .issues
        .iter()
        .filter(|i| i.description_text.contains(MARKER_IN_DESCRIPTION))
        .count();
    assert!(
        (15..=50).contains(&desc_marked),
        "description markers: {desc_marked}"
    );
    for p in &ws.projects {
        assert!(ws.issues.iter().any(
            |i| i.project_id == p.id && i.description_text.contains(MARKER_IN_DESCRIPTION)
        ));
    }
    // Markers only where they belong.
    for i in &ws.issues {
        assert!(
            !i.summary.contains(MARKER_IN_DESCRIPTION) && !i.summary.contains(MARKER_IN_COMMENT)
        );
        assert!(!i.description_text.contains(MARKER_IN_COMMENT));
        for c in &i.comments {
            assert!(!c.body_text.contains(MARKER_IN_DESCRIPTION));
            assert!(c.created >= i.created && c.created <= i.updated);
        }
        assert_eq!(i.description_text, i.description.plain_text());
    }
    let comment_marked: Vec<&Comment> = ws
        .issues
        .iter()
        .flat_map(|i| &i.comments)
        .filter(|c| c.body_text.contains(MARKER_IN_COMMENT))
        .collect();
    assert!(comment_marked.iter().any(|c| c.visibility.is_some()));
    assert!(comment_marked.iter().any(|c| c.visibility.is_none()));
    let restricted_role = ws
        .issues
        .iter()
        .flat_map(|i| &i.comments)
        .any(|c| matches!(c.visibility, Some(CommentVisibility::Role { .. })));
    let restricted_group = ws
        .issues
        .iter()
        .flat_map(|i| &i.comments)
        .any(|c| matches!(c.visibility, Some(CommentVisibility::Group { .. })));
    assert!(restricted_role && restricted_group);
}

#[test]
fn small_preset_covers_kinds() {
    let ws = generate(&GenConfig::small(3));
    let lab = ws.project_by_id_or_key(LAB_KEY).expect("LAB").id.clone();
    assert_eq!(
        ws.issues
            .iter()
            .filter(|i| !i.is_subtask() && i.project_id != lab)
            .count(),
        1000
    );
    assert!(ws.projects.iter().any(|p| p.archived));
    assert!(
        ws.projects
            .iter()
            .any(|p| p.is_team_managed() && p.is_private)
    );
    let mut types: std::collections::BTreeSet<&str> = Default::default();
    for s in &ws.permission_schemes {
        for g in &s.grants {
            if g.permission == "BROWSE_PROJECTS" {
                types.insert(g.holder.type_name());
            }
        }
    }
    for t in [
        "anyone",
        "applicationRole",
        "group",
        "user",
        "projectRole",
        "projectLead",
        "reporter",
        "assignee",
        "userCustomField",
        "groupCustomField",
    ] {
        assert!(types.contains(t), "missing holder type {t}");
    }
    assert!(ws.issues.iter().any(|i| i.comments.len() > 20));
}

//! Reading Jira's answers: lenient ids, nulls, unknown role actors, aliases.

use super::*;
use serde_json::json;

#[test]
fn user_with_hidden_email_and_numeric_fields() {
    let u: User = serde_json::from_value(json!({
        "accountId": "5b10ac8d82e05b22cc7d4ef5", "accountType": "atlassian",
        "displayName": "Mia", "active": true, "timeZone": "Europe/Paris", "emailAddress": ""
    }))
    .unwrap();
    assert_eq!(u.email_address, None);
    assert!(u.active);
    let u: User = serde_json::from_value(json!({"accountId": "x", "displayName": null})).unwrap();
    assert_eq!(
        (u.display_name.as_str(), u.active, u.account_type.as_str()),
        ("", false, "")
    );
    assert!(serde_json::from_value::<User>(json!({"displayName": "no id"})).is_err());
}

#[test]
fn ids_as_numbers_or_strings() {
    let p: Project = serde_json::from_value(json!({
        "id": 10000, "key": "DEMO", "name": "Demo", "projectTypeKey": "software",
        "style": "classic", "simplified": false, "isPrivate": false,
        "lead": {"accountId": "acc-1", "displayName": "Lead"}
    }))
    .unwrap();
    assert_eq!(p.id, "10000");
    assert_eq!(p.lead.unwrap().account_id, "acc-1");
    assert!(!p.archived);
    let s: IssueSecurityScheme = serde_json::from_value(json!({
        "id": 10001, "name": "Sec", "defaultSecurityLevelId": 10021,
        "levels": [{"id": "10021", "name": "Staff", "description": "x"}]
    }))
    .unwrap();
    assert_eq!(s.id, "10001");
    assert_eq!(s.default_security_level_id.as_deref(), Some("10021"));
    assert_eq!(s.levels[0].id, "10021");
    let m: SecurityLevelMember = serde_json::from_value(json!({
        "id": 3, "issueSecurityLevelId": 10021, "holder": {"type": "projectRole", "parameter": 10002}
    }))
    .unwrap();
    assert_eq!(m.holder.parameter.as_deref(), Some("10002"));
    assert_eq!(m.issue_security_level_id, "10021");
    assert!(serde_json::from_value::<Project>(json!({"id": 1.5, "key": "X"})).is_err());
}

#[test]
fn project_lead_without_account_is_none() {
    let p: Project =
        serde_json::from_value(json!({"id": "1", "key": "K", "lead": {"displayName": "gone"}}))
            .unwrap();
    assert_eq!(p.lead, None);
}

#[test]
fn project_role_actors_known_and_unknown() {
    let r: ProjectRole = serde_json::from_value(json!({
        "id": 10002, "name": "Developers", "self": "…",
        "actors": [
            {"id": 1, "type": "atlassian-user-role-actor", "actorUser": {"accountId": "acc-1"}},
            {"id": 2, "type": "atlassian-group-role-actor", "name": "devs",
             "actorGroup": {"name": "devs", "groupId": "g-1", "displayName": "devs"}},
            {"id": 3, "type": "atlassian-group-role-actor", "name": "legacy"},
            {"id": 4, "type": "atlassian-team-role-actor"},
            {"id": 5, "type": "atlassian-user-role-actor", "actorUser": {}}
        ]
    }))
    .unwrap();
    assert_eq!(r.id, "10002");
    assert_eq!(
        r.actors,
        vec![
            RoleActor::User {
                account_id: "acc-1".into()
            },
            RoleActor::Group {
                group_id: "g-1".into(),
                name: "devs".into()
            },
            RoleActor::Group {
                group_id: String::new(),
                name: "legacy".into()
            },
        ]
    );
    // Round trip through Jira's shape.
    let back: ProjectRole = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

#[test]
fn application_role_group_fallback() {
    let with_details: ApplicationRole = serde_json::from_value(json!({
        "key": "jira-software", "name": "Jira Software",
        "groupDetails": [{"groupId": "g-1", "name": "jira-software-users"}],
        "groups": ["jira-software-users"]
    }))
    .unwrap();
    assert_eq!(
        with_details.group_details,
        vec![Group {
            group_id: "g-1".into(),
            name: "jira-software-users".into()
        }]
    );
    let names_only: ApplicationRole = serde_json::from_value(json!({
        "key": "jira-core", "groups": ["a", "b"]
    }))
    .unwrap();
    assert_eq!(names_only.group_details.len(), 2);
    assert!(
        names_only
            .group_details
            .iter()
            .all(|g| g.group_id.is_empty())
    );
}

#[test]
fn permission_scheme_grants() {
    let s: PermissionScheme = serde_json::from_value(json!({
        "id": 0, "name": "Default", "expand": "permissions",
        "permissions": [
            {"id": 10000, "permission": "BROWSE_PROJECTS", "holder": {"type": "group", "parameter": "jira-users", "value": "g-1", "expand": "group"}},
            {"id": 10001, "permission": "BROWSE_PROJECTS", "holder": {"type": "applicationRole"}},
            {"id": 10002, "permission": "BROWSE_PROJECTS", "holder": {"type": "userCustomField", "parameter": "customfield_10050"}}
        ]
    }))
    .unwrap();
    assert_eq!(s.id, "0");
    assert_eq!(s.permissions.len(), 3);
    assert_eq!(s.permissions[0].holder.value.as_deref(), Some("g-1"));
    assert_eq!(
        s.permissions[1].holder,
        PermissionHolder {
            type_: "applicationRole".into(),
            parameter: None,
            value: None
        }
    );
    let v = serde_json::to_value(&s.permissions[1].holder).unwrap();
    assert_eq!(v, json!({"type": "applicationRole"}));
}

#[test]
fn issue_with_nulls_and_custom_fields() {
    let i: Issue = serde_json::from_value(json!({
        "id": "10042", "key": "DEMO-7", "self": "…", "expand": "…",
        "fields": {
            "summary": "Printer on fire", "description": null, "labels": null,
            "status": {"name": "Open", "statusCategory": {"key": "new"}},
            "priority": {"name": "High"}, "issuetype": {"name": "Bug"},
            "project": {"id": 10000, "key": "DEMO"},
            "reporter": {"accountId": "acc-1", "displayName": "R"}, "assignee": null,
            "created": "2025-03-04T17:01:51.123+0000", "updated": "2025-03-05T17:01:51.123+0000",
            "security": {"id": "10021", "name": "Staff"},
            "comment": {"comments": [{"id": "1", "body": {"type": "doc", "version": 1, "content": []},
                "visibility": {"type": "group", "value": "admins", "identifier": "g-9"},
                "author": {"accountId": "acc-2"}}], "startAt": 0, "maxResults": 1, "total": 3},
            "attachment": [{"id": 77, "filename": "a.pdf", "mimeType": "application/pdf", "size": 1234,
                "created": "2025-03-04T17:01:51.123+0000", "content": "https://x/rest/api/3/attachment/content/77"}],
            "customfield_10050": {"accountId": "acc-3"},
            "parent": {"id": "10001", "key": "DEMO-1"}
        }
    }))
    .unwrap();
    assert_eq!(i.key, "DEMO-7");
    let f = &i.fields;
    assert_eq!(f.description, None);
    assert!(f.labels.is_empty());
    assert_eq!(f.assignee, None);
    assert_eq!(f.project.as_ref().unwrap().id, "10000");
    assert_eq!(f.security.as_ref().unwrap().id, "10021");
    assert_eq!(f.attachment[0].id, "77");
    assert_eq!(f.attachment[0].size, 1234);
    let c = f.comment.as_ref().unwrap();
    assert_eq!(c.total, 3);
    assert_eq!(
        c.comments[0]
            .visibility
            .as_ref()
            .unwrap()
            .identifier
            .as_deref(),
        Some("g-9")
    );
    assert_eq!(
        f.custom.get("customfield_10050"),
        Some(&json!({"accountId": "acc-3"}))
    );
    // `parent` is a field of its own (the sub-task's parent), not a custom field.
    assert_eq!(f.parent.as_ref().map(|p| p.key.as_str()), Some("DEMO-1"));
    assert!(!f.custom.contains_key("parent"));
    assert!(!f.custom.contains_key("summary"));
    assert!(!i.comments_complete());
    let id_only: Issue = serde_json::from_value(json!({"id": 5})).unwrap();
    assert_eq!((id_only.id.as_str(), id_only.key.as_str()), ("5", ""));
    assert!(id_only.comments_complete());
}

#[test]
fn audit_record_author_aliases() {
    let a: AuditRecord = serde_json::from_value(json!({
        "id": 1, "summary": "Issue deleted", "created": "2025-03-04T17:01:51.123+0000",
        "category": "issue", "eventSource": "", "authorKey": "acc-1",
        "objectItem": {"id": "10042", "name": "DEMO-7", "typeName": "ISSUE", "parentId": 10000, "parentName": "Demo"}
    }))
    .unwrap();
    assert_eq!(a.author_account_id.as_deref(), Some("acc-1"));
    let o = a.object_item.unwrap();
    assert_eq!(
        (o.id.as_deref(), o.parent_id.as_deref()),
        (Some("10042"), Some("10000"))
    );
    let b: AuditRecord =
        serde_json::from_value(json!({"id": "2", "authorAccountId": "acc-2"})).unwrap();
    assert_eq!(b.author_account_id.as_deref(), Some("acc-2"));
}

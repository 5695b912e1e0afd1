//! Every path by which ACL tags attach to a chunk in [`build_issue_documents`]: the
//! issue's project gate (with its dynamic holders: reporter, assignee, user and group
//! custom fields), its issue gate (open, a security level, a sub-task's inherited
//! level, a team-managed restriction, and the shapes that deny), each comment's gate
//! (open, internal, group, role by name, unknown), and attachments, which take the
//! issue's gates. Tag formats are `access::tag`'s; the rules are cited beside each
//! test.

use access::{ANY_TAG, DENY_TAG, DirGroup, LICENSED_TAG, RoleActors, tag};
use content::{ChunkOptions, WordCounter};
use serde_json::{Value, json};

use super::*;

const PID: &str = "10000";

fn directory() -> Directory {
    Directory {
        groups: vec![DirGroup {
            group_id: "g-admins".into(),
            name: "jira-administrators".into(),
            members: vec![],
        }],
        role_actors: vec![RoleActors {
            project_id: PID.into(),
            role_id: "10002".into(),
            role_name: "Developers".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn adf(text: &str) -> Value {
    json!({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    ]})
}

/// An issue as `search/jql` returns it, with `extra` merged into its fields.
fn issue(extra: Value) -> Issue {
    let mut fields = json!({
        "summary": "Login fails after password reset",
        "description": adf("Users cannot sign in."),
        "project": {"id": PID, "key": "ENG"},
        "reporter": {"accountId": "acc-rep", "displayName": "Rita"},
        "assignee": {"accountId": "acc-asg", "displayName": "Ana"},
        "issuetype": {"name": "Bug", "subtask": false},
        "updated": "2024-05-01T10:00:00.000+0000",
    });
    for (k, v) in extra.as_object().expect("an object") {
        fields[k] = v.clone();
    }
    serde_json::from_value(json!({"id": "20001", "key": "ENG-1", "fields": fields}))
        .expect("an issue")
}

fn comment(id: &str, extra: Value) -> Comment {
    let mut c = json!({"id": id, "body": adf(&format!("comment {id} text")),
        "author": {"accountId": "acc-rep", "displayName": "Rita"}});
    for (k, v) in extra.as_object().expect("an object") {
        c[k] = v.clone();
    }
    serde_json::from_value(c).expect("a comment")
}

fn attachment(id: &str, text: &str) -> AttachmentText {
    AttachmentText {
        attachment_id: id.into(),
        file_name: format!("file-{id}.pdf"),
        text: text.into(),
    }
}

fn build_with(
    issue: &Issue,
    inherited: Option<&Option<String>>,
    comments: &[Comment],
    files: &[AttachmentText],
    indexing: &IndexingConfig,
) -> IssueDocuments {
    let dir = directory();
    let fields = [
        "customfield_10050".to_string(),
        "customfield_10060".to_string(),
    ];
    let ctx = DocContext {
        directory: &dir,
        acl_fields: &fields,
        site_url: "https://example.atlassian.net/",
        counter: &WordCounter,
        chunking: &ChunkOptions::default(),
        indexing,
    };
    build_issue_documents(issue, inherited, comments, files, &ctx)
}

fn build(issue: &Issue, comments: &[Comment], files: &[AttachmentText]) -> IssueDocuments {
    build_with(issue, None, comments, files, &IndexingConfig::default())
}

fn chunk<'a>(docs: &'a IssueDocuments, prefix: &str) -> &'a ChunkDoc {
    docs.docs
        .iter()
        .find(|d| d.chunk_id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no chunk {prefix}: {:?}", ids(docs)))
}

fn ids(docs: &IssueDocuments) -> Vec<&str> {
    docs.docs.iter().map(|d| d.chunk_id.as_str()).collect()
}

fn sorted(tags: &[String]) -> Vec<String> {
    let mut v = tags.to_vec();
    v.sort();
    v
}

/// The project gate of every chunk: the project, plus the issue's reporter and
/// assignee as dynamic holders (Atlassian: permission schemes grant "Reporter" and
/// "Current assignee"), written whatever the scheme says today.
fn project_gate() -> Vec<String> {
    sorted(&[
        tag::project(PID),
        tag::project_reporter(PID, "acc-rep"),
        tag::project_assignee(PID, "acc-asg"),
    ])
}

#[test]
fn an_open_issue_is_gated_by_its_project_only() {
    let docs = build(&issue(json!({})), &[], &[]);
    let c = chunk(&docs, "issue:20001:");
    assert_eq!(c.kind, ChunkKind::Issue);
    assert_eq!(sorted(&c.acl_project), project_gate());
    assert_eq!(c.acl_issue, [ANY_TAG]);
    assert_eq!(c.acl_comment, [ANY_TAG]);
    assert!(docs.problems.is_empty(), "{:?}", docs.problems);
}

/// User and group picker custom fields named by a grant ("User custom field value",
/// "Group custom field value") become holder tags in the project gate, and in the
/// issue gate when a security level is set.
#[test]
fn custom_field_holders_are_tagged_in_both_gates() {
    let i = issue(json!({
        "security": {"id": "7", "name": "Staff"},
        "customfield_10050": [{"accountId": "acc-cf"}],
        "customfield_10060": {"groupId": "g-cf", "name": "contractors"},
    }));
    let docs = build(&i, &[], &[]);
    let c = chunk(&docs, "issue:");
    let mut want = project_gate();
    want.push(tag::project_user_field(PID, "customfield_10050", "acc-cf"));
    want.push(tag::project_group_field(PID, "customfield_10060", "g-cf"));
    assert_eq!(sorted(&c.acl_project), sorted(&want));
    assert_eq!(
        sorted(&c.acl_issue),
        sorted(&[
            tag::level("7", PID),
            tag::level_reporter("7", PID, "acc-rep"),
            tag::level_assignee("7", PID, "acc-asg"),
            tag::level_user_field("7", PID, "customfield_10050", "acc-cf"),
            tag::level_group_field("7", PID, "customfield_10060", "g-cf"),
        ])
    );
}

/// An issue security level (`fields.security`) gates the issue by the level's
/// members in the issue's project, with the reporter and assignee as holders.
#[test]
fn a_security_level_gates_the_issue_and_its_parts() {
    let i = issue(json!({"security": {"id": "7", "name": "Staff"}}));
    let docs = build(&i, &[comment("1", json!({}))], &[attachment("a1", "spec")]);
    let level = sorted(&[
        tag::level("7", PID),
        tag::level_reporter("7", PID, "acc-rep"),
        tag::level_assignee("7", PID, "acc-asg"),
    ]);
    for prefix in ["issue:", "comment:1:", "attachment:a1:"] {
        let c = chunk(&docs, prefix);
        assert_eq!(sorted(&c.acl_project), project_gate(), "{prefix}");
        assert_eq!(sorted(&c.acl_issue), level, "{prefix}");
    }
}

/// Atlassian ("Configure issue security schemes"): a sub-task has the security
/// level of its parent. The parent's level wins over the sub-task's empty one; a
/// parent without one leaves the sub-task's own; two different levels deny.
#[test]
fn a_subtask_takes_its_parents_level() {
    let sub = issue(json!({"issuetype": {"name": "Sub-task", "subtask": true},
        "parent": {"id": "20000", "key": "ENG-0"}}));
    let idx = IndexingConfig::default();
    let parent_level = Some(Some("8".to_string()));
    let docs = build_with(&sub, parent_level.as_ref(), &[], &[], &idx);
    let c = chunk(&docs, "issue:");
    assert!(
        c.acl_issue.contains(&tag::level("8", PID)),
        "{:?}",
        c.acl_issue
    );

    let own = issue(json!({"security": {"id": "7"}}));
    let docs = build_with(&own, Some(&None), &[], &[], &idx);
    assert!(
        chunk(&docs, "issue:")
            .acl_issue
            .contains(&tag::level("7", PID))
    );

    let docs = build_with(&own, parent_level.as_ref(), &[], &[], &idx);
    assert_eq!(chunk(&docs, "issue:").acl_issue, [DENY_TAG]);
}

/// A team-managed issue restricted to project roles (`issuerestriction`) is gated
/// by those roles; a restriction of a shape the index does not read denies and is
/// reported with the issue's key.
#[test]
fn team_managed_restrictions_gate_by_role_or_deny() {
    let restricted = issue(json!({"issuerestriction":
        {"issuerestrictions": {"projectrole": ["10002"]}, "shouldDisplay": true}}));
    let docs = build(&restricted, &[], &[]);
    assert_eq!(
        chunk(&docs, "issue:").acl_issue,
        [tag::restriction_role(PID, "10002")]
    );
    assert!(docs.problems.is_empty());

    let odd = issue(json!({"issuerestriction": {"issuerestrictions": {"user": ["x"]}}}));
    let docs = build(&odd, &[comment("1", json!({}))], &[]);
    for c in &docs.docs {
        assert_eq!(c.acl_issue, [DENY_TAG], "{}", c.chunk_id);
    }
    assert_eq!(docs.problems.len(), 1);
    assert_eq!(docs.problems[0].kind, RunErrorKind::Access);
    assert_eq!(docs.problems[0].item, "ENG-1");
}

/// A level and a team-managed restriction together cannot be ANDed in one gate.
#[test]
fn a_level_and_a_restriction_together_deny() {
    let both = issue(json!({"security": {"id": "7"}, "issuerestriction":
        {"issuerestrictions": {"projectrole": ["10002"]}}}));
    assert_eq!(
        chunk(&build(&both, &[], &[]), "issue:").acl_issue,
        [DENY_TAG]
    );
}

/// Comments keep the issue's project and issue gates and add their own: open (`*`);
/// internal (JSM `jsdPublic: false`: people with product access); a group by id; a
/// role by name (OpenAPI `Visibility.identifier`: "the name of the role"); and a
/// restriction nothing resolves, which denies and is reported.
#[test]
fn each_comment_carries_its_own_visibility() {
    let comments = [
        comment("1", json!({})),
        comment("2", json!({"jsdPublic": false})),
        comment(
            "3",
            json!({"visibility": {"type": "group", "identifier": "g-admins"}}),
        ),
        comment(
            "4",
            json!({"visibility": {"type": "role", "identifier": "Developers"}}),
        ),
        comment(
            "5",
            json!({"visibility": {"type": "role", "identifier": "Ghosts"}}),
        ),
        comment(
            "6",
            json!({"visibility": {"type": "group", "value": "jira-administrators"}}),
        ),
    ];
    let docs = build(&issue(json!({})), &comments, &[]);
    let gate = |id: &str| chunk(&docs, &format!("comment:{id}:")).acl_comment.clone();
    assert_eq!(gate("1"), [ANY_TAG]);
    assert_eq!(gate("2"), [LICENSED_TAG]);
    assert_eq!(gate("3"), [tag::group("g-admins")]);
    assert_eq!(gate("4"), [tag::role(PID, "10002")]);
    assert_eq!(gate("5"), [DENY_TAG]);
    assert_eq!(gate("6"), [tag::group("g-admins")]);
    for c in docs.docs.iter().filter(|d| d.kind == ChunkKind::Comment) {
        assert_eq!(sorted(&c.acl_project), project_gate(), "{}", c.chunk_id);
        assert_eq!(c.acl_issue, [ANY_TAG], "{}", c.chunk_id);
    }
    assert_eq!(docs.problems.len(), 1, "{:?}", docs.problems);
    assert!(docs.problems[0].message.contains("comment 5"));
}

/// Attachments are seen by whoever sees the issue: the issue's gates, an open
/// comment gate, and a chunk by file name even when the file gave no text.
#[test]
fn attachments_take_the_issues_gates_and_exist_by_name() {
    let i = issue(json!({"security": {"id": "7"}}));
    let docs = build(
        &i,
        &[],
        &[attachment("a1", ""), attachment("a2", "design notes")],
    );
    let issue_chunk = chunk(&docs, "issue:").clone();
    for id in ["a1", "a2"] {
        let c = chunk(&docs, &format!("attachment:{id}:"));
        assert_eq!(c.kind, ChunkKind::Attachment);
        assert_eq!(c.acl_project, issue_chunk.acl_project);
        assert_eq!(c.acl_issue, issue_chunk.acl_issue);
        assert_eq!(c.acl_comment, [ANY_TAG]);
        assert!(c.text.contains(&format!("file-{id}.pdf")), "{}", c.text);
    }
}

/// An issue without a project id cannot be placed in any project's gate: deny.
#[test]
fn an_issue_without_a_project_id_denies() {
    let i = issue(json!({"project": {"id": "", "key": "ENG"}}));
    let docs = build(&i, &[comment("1", json!({}))], &[attachment("a1", "x")]);
    for c in &docs.docs {
        assert_eq!(c.acl_project, [DENY_TAG], "{}", c.chunk_id);
    }
}

/// `[indexing]` chooses which texts become chunks; what is indexed keeps its gates,
/// and a change of gates changes the content hash (so the issue is rewritten).
#[test]
fn indexing_switches_choose_the_chunks_and_tags_change_the_hash() {
    let i = issue(json!({}));
    let comments = [comment("1", json!({}))];
    let files = [attachment("a1", "x")];
    let only_comments = IndexingConfig {
        issues: false,
        attachments: false,
        ..Default::default()
    };
    let docs = build_with(&i, None, &comments, &files, &only_comments);
    assert_eq!(ids(&docs), ["comment:1:0"]);
    assert_eq!(sorted(&docs.docs[0].acl_project), project_gate());

    let open = build(&i, &comments, &files);
    let leveled = build(&issue(json!({"security": {"id": "7"}})), &comments, &files);
    assert_ne!(open.content_hash, leveled.content_hash);
    assert_eq!(open.content_hash, build(&i, &comments, &files).content_hash);
}

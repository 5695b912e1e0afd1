//! Issues as Jira writes them: the selected fields of an issue ([`IssueOut`]), with
//! its parent or sub-tasks ([`Family`]) and its first page of comments.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};

use super::adf::Adf;
use super::comment::{AttachmentOut, CommentOut, sorted_comments};
use super::user::UserRef;
use crate::model::{Issue, Workspace, jira_time};

/// Comments an issue carries inline in search results and issue reads.
pub const INLINE_COMMENTS: usize = 20;

/// Parents and sub-tasks of a workspace, found once per answer (a page of issues
/// needs them for `parent` and `subtasks`).
#[derive(Default)]
pub struct Family<'a> {
    children: rustc_hash::FxHashMap<&'a str, Vec<&'a Issue>>,
    parents: rustc_hash::FxHashMap<&'a str, &'a Issue>,
}

impl<'a> Family<'a> {
    /// Reads every parent link of the workspace.
    pub fn of(ws: &'a Workspace) -> Self {
        let mut children: rustc_hash::FxHashMap<&str, Vec<&Issue>> = Default::default();
        for i in &ws.issues {
            if let Some(p) = i.parent_id.as_deref() {
                children.entry(p).or_default().push(i);
            }
        }
        let parents = ws
            .issues
            .iter()
            .filter(|i| children.contains_key(i.id.as_str()))
            .map(|i| (i.id.as_str(), i))
            .collect();
        Family { children, parents }
    }
    /// Only when the selected fields need it.
    pub fn for_fields(ws: &'a Workspace, fields: &[&str]) -> Self {
        if fields.iter().any(|f| *f == "parent" || *f == "subtasks") {
            Family::of(ws)
        } else {
            Family::default()
        }
    }
}

/// An issue with the fields a request selected (`fields` names, in order).
pub struct IssueOut<'a> {
    /// Base URL of the simulator, for `self` links.
    pub base: &'a str,
    /// The workspace, for users, projects, levels and groups.
    pub ws: &'a Workspace,
    /// The issue.
    pub issue: &'a Issue,
    /// Field names to write, in order (see `server::ALL_FIELDS`).
    pub fields: &'a [&'static str],
    /// Parent links ([`Family::for_fields`] of the same fields).
    pub family: &'a Family<'a>,
}

/// A linked issue as `fields.parent` and `fields.subtasks` write it: `{id, key, self,
/// fields: {summary, status, priority, issuetype}}`.
struct IssueLinkOut<'a> {
    base: &'a str,
    issue: &'a Issue,
}

impl Serialize for IssueLinkOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = self.issue;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("id", &i.id)?;
        m.serialize_entry("key", &i.key)?;
        m.serialize_entry("self", &format!("{}/rest/api/3/issue/{}", self.base, i.id))?;
        m.serialize_entry(
            "fields",
            &json!({
                "summary": i.summary,
                "status": status_json(self.base, i),
                "priority": priority_json(i),
                "issuetype": issuetype_json(i),
            }),
        )?;
        m.end()
    }
}

fn status_json(base: &str, issue: &Issue) -> Value {
    let cat_id = match issue.status_category.as_str() {
        "new" => 2,
        "indeterminate" => 4,
        _ => 3,
    };
    json!({
        "self": format!("{base}/rest/api/3/status/{}", issue.status.len()),
        "name": issue.status,
        "id": format!("{}", 10000 + issue.status.len()),
        "statusCategory": {"id": cat_id, "key": issue.status_category, "name": issue.status_category, "colorName": "blue-gray"},
    })
}

fn priority_json(issue: &Issue) -> Value {
    json!({"name": issue.priority, "id": format!("{}", 1 + issue.priority.len())})
}

/// OpenAPI `IssueTypeDetails.subtask`: "Whether this issue type is used to create
/// subtasks."
fn issuetype_json(issue: &Issue) -> Value {
    json!({"name": issue.issue_type, "id": format!("{}", 10000 + issue.issue_type.len()), "subtask": issue.is_subtask()})
}

impl Serialize for IssueOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry(
            "expand",
            "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        )?;
        m.serialize_entry("id", &self.issue.id)?;
        m.serialize_entry(
            "self",
            &format!("{}/rest/api/3/issue/{}", self.base, self.issue.id),
        )?;
        m.serialize_entry("key", &self.issue.key)?;
        m.serialize_entry("fields", &Fields(self))?;
        m.end()
    }
}

struct Fields<'a>(&'a IssueOut<'a>);

/// The inline comment page of an issue.
struct InlineComments<'a>(&'a IssueOut<'a>);

impl Serialize for InlineComments<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let IssueOut {
            base, ws, issue, ..
        } = *self.0;
        let all = sorted_comments(issue);
        let first: Vec<CommentOut> = all
            .iter()
            .take(INLINE_COMMENTS)
            .map(|c| CommentOut {
                base,
                ws,
                issue,
                comment: c,
            })
            .collect();
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("comments", &first)?;
        m.serialize_entry(
            "self",
            &format!("{base}/rest/api/3/issue/{}/comment", issue.id),
        )?;
        m.serialize_entry("maxResults", &INLINE_COMMENTS)?;
        m.serialize_entry("total", &all.len())?;
        m.serialize_entry("startAt", &0)?;
        m.end()
    }
}

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let IssueOut {
            base,
            ws,
            issue,
            fields,
            family,
        } = *self.0;
        fn user<'u>(base: &'u str, ws: &'u Workspace, account_id: Option<&'u str>) -> UserRef<'u> {
            UserRef {
                base,
                ws,
                account_id,
            }
        }
        let mut m = s.serialize_map(None)?;
        for f in fields {
            let key = *f;
            match key {
                "summary" => m.serialize_entry(key, &issue.summary)?,
                "description" => {
                    if issue.description.blocks.is_empty() {
                        m.serialize_entry(key, &())?
                    } else {
                        m.serialize_entry(key, &Adf(&issue.description))?
                    }
                }
                "status" => m.serialize_entry(key, &status_json(base, issue))?,
                "priority" => m.serialize_entry(key, &priority_json(issue))?,
                "labels" => m.serialize_entry(key, &issue.labels)?,
                "issuetype" => m.serialize_entry(key, &issuetype_json(issue))?,
                // A sub-task names its parent; other issues list their sub-tasks (Jira
                // serves `subtasks` on standard issue types only).
                "parent" => {
                    if let Some(p) = issue
                        .parent_id
                        .as_deref()
                        .and_then(|p| family.parents.get(p))
                    {
                        m.serialize_entry(key, &IssueLinkOut { base, issue: p })?
                    }
                }
                "subtasks" if !issue.is_subtask() => {
                    let list: Vec<IssueLinkOut> = family
                        .children
                        .get(issue.id.as_str())
                        .into_iter()
                        .flatten()
                        .map(|c| IssueLinkOut { base, issue: c })
                        .collect();
                    m.serialize_entry(key, &list)?
                }
                "subtasks" => {}
                "project" => {
                    let v = match ws.project(&issue.project_id) {
                        Some(p) => json!({
                            "self": format!("{base}/rest/api/3/project/{}", p.id),
                            "id": p.id, "key": p.key, "name": p.name,
                            "projectTypeKey": p.project_type_key, "simplified": p.is_team_managed(),
                        }),
                        None => Value::Null,
                    };
                    m.serialize_entry(key, &v)?
                }
                "reporter" => {
                    m.serialize_entry(key, &user(base, ws, issue.reporter_account_id.as_deref()))?
                }
                "assignee" => {
                    m.serialize_entry(key, &user(base, ws, issue.assignee_account_id.as_deref()))?
                }
                "created" => m.serialize_entry(key, &jira_time(&issue.created))?,
                "updated" => m.serialize_entry(key, &jira_time(&issue.updated))?,
                // Jira omits fields that are not on the issue type's screen: a sub-task
                // has no security field (it takes its parent's level).
                "security" if issue.is_subtask() => {}
                "security" => {
                    if let Some((_, l)) = issue
                        .security_level_id
                        .as_deref()
                        .and_then(|l| ws.security_level(l))
                    {
                        m.serialize_entry(
                            key,
                            &json!({
                                "self": format!("{base}/rest/api/3/securitylevel/{}", l.id),
                                "id": l.id, "name": l.name, "description": l.description,
                            }),
                        )?
                    }
                }
                "comment" => m.serialize_entry(key, &InlineComments(self.0))?,
                "attachment" => {
                    let list: Vec<AttachmentOut> = issue
                        .attachments
                        .iter()
                        .map(|attachment| AttachmentOut {
                            base,
                            ws,
                            attachment,
                        })
                        .collect();
                    m.serialize_entry(key, &list)?
                }
                "customfield_10050" => match issue.user_custom_fields.get(key) {
                    Some(v) => {
                        let list: Vec<UserRef> =
                            v.iter().map(|a| user(base, ws, Some(a))).collect();
                        m.serialize_entry(key, &list)?
                    }
                    None => m.serialize_entry(key, &())?,
                },
                "customfield_10051" => match issue.group_custom_fields.get(key) {
                    Some(v) => {
                        let list: Vec<Value> = v
                            .iter()
                            .filter_map(|g| ws.group(g))
                            .map(|g| json!({"groupId": g.group_id, "name": g.name}))
                            .collect();
                        m.serialize_entry(key, &list)?
                    }
                    None => m.serialize_entry(key, &())?,
                },
                _ => {}
            }
        }
        if !fields.is_empty()
            && ws
                .project(&issue.project_id)
                .is_some_and(|p| p.is_team_managed())
        {
            m.serialize_entry(
                "issuerestriction",
                &json!({
                    "issuerestrictions": if issue.restricted_to_role_ids.is_empty() { json!({}) } else { json!({"projectrole": issue.restricted_to_role_ids}) },
                    "shouldDisplay": !issue.restricted_to_role_ids.is_empty(),
                }),
            )?;
        }
        m.end()
    }
}

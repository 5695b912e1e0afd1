//! Writes what the simulator serves most — issues with their ADF, comments, users and
//! attachments — straight to JSON, without building `serde_json::Value` trees first:
//! search pages are most of its work during a sync, and building then dropping a tree
//! per issue cost more than the sync's own parsing. Handlers that need a `Value` take
//! `serde_json::to_value` of the same types, so each shape is written once.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};

use crate::model::{
    AdfDoc, Attachment, Block, Comment, CommentVisibility, Inline, Issue, Mark, User, Workspace,
    jira_time,
};

/// Comments an issue carries inline in search results and issue reads.
pub const INLINE_COMMENTS: usize = 20;

/// An ADF document (`{type:"doc", version:1, content:[…]}`).
pub struct Adf<'a>(pub &'a AdfDoc);

impl AdfDoc {
    /// Renders the document as ADF JSON (`{type:"doc", version:1, content:[…]}`), as
    /// the server writes it ([`Adf`]).
    pub fn to_adf(&self) -> Value {
        serde_json::to_value(Adf(self)).unwrap_or(Value::Null)
    }
}

impl Serialize for Adf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("type", "doc")?;
        m.serialize_entry("version", &1)?;
        m.serialize_entry("content", &Blocks(&self.0.blocks))?;
        m.end()
    }
}

struct Blocks<'a>(&'a [Block]);

impl Serialize for Blocks<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for b in self.0 {
            match b {
                // The showcase renders as several top-level nodes.
                Block::Showcase { key } => {
                    for node in crate::rich::showcase(key).0 {
                        seq.serialize_element(&node)?;
                    }
                }
                other => seq.serialize_element(&BlockNode(other))?,
            }
        }
        seq.end()
    }
}

/// A node `{type, attrs?, content?}`.
fn node<S: Serializer, A: Serialize, C: Serialize>(
    s: S,
    type_: &str,
    attrs: Option<A>,
    content: Option<C>,
) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(None)?;
    m.serialize_entry("type", type_)?;
    if let Some(a) = attrs {
        m.serialize_entry("attrs", &a)?;
    }
    if let Some(c) = content {
        m.serialize_entry("content", &c)?;
    }
    m.end()
}

/// No attributes.
const NO_ATTRS: Option<()> = None;

struct BlockNode<'a>(&'a Block);

impl Serialize for BlockNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Block::Paragraph(inlines) => {
                let c: Vec<InlineNode> = inlines.iter().map(InlineNode).collect();
                node(s, "paragraph", NO_ATTRS, Some(c))
            }
            Block::Heading { level, text } => node(
                s,
                "heading",
                Some(json!({ "level": level })),
                Some([TextNode(text, &[])]),
            ),
            Block::BulletList(items) => node(s, "bulletList", NO_ATTRS, Some(ListItems(items))),
            Block::OrderedList(items) => node(
                s,
                "orderedList",
                Some(json!({ "order": 1 })),
                Some(ListItems(items)),
            ),
            Block::CodeBlock { language, text } => node(
                s,
                "codeBlock",
                Some(json!({ "language": language })),
                Some([TextNode(text, &[])]),
            ),
            Block::Panel { panel_type, text } => node(
                s,
                "panel",
                Some(json!({ "panelType": panel_type })),
                Some([Paragraph(text)]),
            ),
            Block::Blockquote(text) => node(s, "blockquote", NO_ATTRS, Some([Paragraph(text)])),
            Block::Rule => node(s, "rule", NO_ATTRS, None::<()>),
            Block::Showcase { .. } => s.serialize_unit(),
        }
    }
}

/// `{type:"text", text, marks?}`.
struct TextNode<'a>(&'a str, &'a [Mark]);

impl Serialize for TextNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", "text")?;
        m.serialize_entry("text", self.0)?;
        if !self.1.is_empty() {
            let marks: Vec<MarkNode> = self.1.iter().map(MarkNode).collect();
            m.serialize_entry("marks", &marks)?;
        }
        m.end()
    }
}

struct MarkNode<'a>(&'a Mark);

impl Serialize for MarkNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let type_ = match self.0 {
            Mark::Strong => "strong",
            Mark::Em => "em",
            Mark::Code => "code",
            Mark::Strike => "strike",
            Mark::Underline => "underline",
            Mark::Link(href) => {
                return node(s, "link", Some(json!({ "href": href })), None::<()>);
            }
        };
        node(s, type_, NO_ATTRS, None::<()>)
    }
}

struct InlineNode<'a>(&'a Inline);

impl Serialize for InlineNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Inline::Text { text, marks } => TextNode(text, marks).serialize(s),
            Inline::Mention { account_id, text } => node(
                s,
                "mention",
                Some(json!({ "id": account_id, "text": text })),
                None::<()>,
            ),
            Inline::HardBreak => node(s, "hardBreak", NO_ATTRS, None::<()>),
        }
    }
}

/// A paragraph of one text (empty content for an empty text).
struct Paragraph<'a>(&'a str);

impl Serialize for Paragraph<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            node(s, "paragraph", NO_ATTRS, Some([(); 0]))
        } else {
            node(s, "paragraph", NO_ATTRS, Some([TextNode(self.0, &[])]))
        }
    }
}

struct ListItems<'a>(&'a [String]);

impl Serialize for ListItems<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&ListItem(item))?;
        }
        seq.end()
    }
}

struct ListItem<'a>(&'a str);

impl Serialize for ListItem<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        node(s, "listItem", NO_ATTRS, Some([Paragraph(self.0)]))
    }
}

/// A user as Jira writes one (`emailAddress` only when the profile shows it).
pub struct UserOut<'a> {
    pub base: &'a str,
    pub user: &'a User,
}

impl Serialize for UserOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let u = self.user;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "self",
            &format!("{}/rest/api/3/user?accountId={}", self.base, u.account_id),
        )?;
        m.serialize_entry("accountId", &u.account_id)?;
        m.serialize_entry("accountType", &u.account_type)?;
        m.serialize_entry(
            "avatarUrls",
            &AvatarUrls(&u.account_id[..u.account_id.len().min(6)]),
        )?;
        m.serialize_entry("displayName", &u.display_name)?;
        m.serialize_entry("active", &u.active)?;
        m.serialize_entry("timeZone", &u.time_zone)?;
        if u.email_visible {
            m.serialize_entry("emailAddress", &u.email)?;
        }
        m.end()
    }
}

struct AvatarUrls<'a>(&'a str);

impl Serialize for AvatarUrls<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        for (key, size) in [("48x48", 48), ("24x24", 24), ("16x16", 16), ("32x32", 32)] {
            m.serialize_entry(
                key,
                &format!(
                    "https://avatar-management.example.com/initials/{}.png?size={size}",
                    self.0
                ),
            )?;
        }
        m.end()
    }
}

/// A user by account id, or `null` when there is none (or it is unknown).
pub struct UserRef<'a> {
    pub base: &'a str,
    pub ws: &'a Workspace,
    pub account_id: Option<&'a str>,
}

impl Serialize for UserRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.account_id.and_then(|a| self.ws.user(a)) {
            Some(user) => UserOut {
                base: self.base,
                user,
            }
            .serialize(s),
            None => s.serialize_unit(),
        }
    }
}

/// A comment of an issue.
pub struct CommentOut<'a> {
    pub base: &'a str,
    pub ws: &'a Workspace,
    pub issue: &'a Issue,
    pub comment: &'a Comment,
}

impl Serialize for CommentOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.comment;
        let author = UserRef {
            base: self.base,
            ws: self.ws,
            account_id: Some(&c.author_account_id),
        };
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "self",
            &format!(
                "{}/rest/api/3/issue/{}/comment/{}",
                self.base, self.issue.id, c.id
            ),
        )?;
        m.serialize_entry("id", &c.id)?;
        m.serialize_entry("author", &author)?;
        m.serialize_entry("body", &Adf(&c.body))?;
        m.serialize_entry("updateAuthor", &author)?;
        m.serialize_entry("created", &jira_time(&c.created))?;
        m.serialize_entry("updated", &jira_time(&c.updated))?;
        // OpenAPI `Comment.jsdPublic`: "Whether the comment is visible in Jira Service
        // Desk. Defaults to true when comments are created in the Jira Cloud Platform."
        m.serialize_entry("jsdPublic", &!c.internal)?;
        match &c.visibility {
            // OpenAPI `Visibility.identifier`: "The ID of the group or the name of the
            // role that visibility of this item is restricted to."
            Some(CommentVisibility::Group { group_id, name }) => m.serialize_entry(
                "visibility",
                &json!({"type": "group", "value": name, "identifier": group_id}),
            )?,
            Some(CommentVisibility::Role { name, .. }) => m.serialize_entry(
                "visibility",
                &json!({"type": "role", "value": name, "identifier": name}),
            )?,
            None => {}
        }
        m.end()
    }
}

/// An attachment as the issue field lists it.
pub struct AttachmentOut<'a> {
    pub base: &'a str,
    pub ws: &'a Workspace,
    pub attachment: &'a Attachment,
}

impl Serialize for AttachmentOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.attachment;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "self",
            &format!("{}/rest/api/3/attachment/{}", self.base, a.id),
        )?;
        m.serialize_entry("id", &a.id)?;
        m.serialize_entry("filename", &a.filename)?;
        m.serialize_entry(
            "author",
            &UserRef {
                base: self.base,
                ws: self.ws,
                account_id: Some(&a.author_account_id),
            },
        )?;
        m.serialize_entry("created", &jira_time(&a.created))?;
        m.serialize_entry("size", &a.size)?;
        m.serialize_entry("mimeType", &a.mime_type)?;
        m.serialize_entry(
            "content",
            &format!("{}/rest/api/3/attachment/content/{}", self.base, a.id),
        )?;
        m.end()
    }
}

/// Comments of an issue in creation order.
pub fn sorted_comments(issue: &Issue) -> Vec<&Comment> {
    let mut c: Vec<&Comment> = issue.comments.iter().collect();
    c.sort_by(|a, b| {
        a.created
            .cmp(&b.created)
            .then_with(|| num_cmp(&a.id, &b.id))
    });
    c
}

/// Compares numeric ids as numbers (longer = larger), others as text.
pub fn num_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

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
    pub base: &'a str,
    pub ws: &'a Workspace,
    pub issue: &'a Issue,
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

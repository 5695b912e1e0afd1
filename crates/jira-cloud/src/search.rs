//! Issues and their comments: enhanced JQL search (`POST /rest/api/3/search/jql`, token
//! pages), id-only pages for reconciliation, `issue/bulkfetch`, approximate counts,
//! and comment pages (`issue/{id}/comment`, offset + total).
//!
//! Never the removed `/rest/api/3/search` (it answers 410 Gone).

use std::collections::HashSet;

use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::model::{BulkFetch, Comment, CommentPage, Issue};
use crate::paging::total_walk_done;
use crate::{JiraClient, JiraError};

/// The fields an indexer needs; add custom fields named by permission schemes
/// (`userCustomField`/`groupCustomField`) with [`JqlRequest::with_fields`].
pub const ISSUE_FIELDS: &[&str] = &[
    "summary",
    "description",
    "status",
    "priority",
    "labels",
    "issuetype",
    "project",
    "reporter",
    "assignee",
    "created",
    "updated",
    "security",
    "parent",
    "subtasks",
    "comment",
    "attachment",
    "parent",
    "issuerestriction",
];

/// Largest page `search/jql` serves when only ids/keys are asked for.
pub const MAX_ID_PAGE: u32 = 5000;
/// Largest page `search/jql` serves with content fields.
pub const MAX_CONTENT_PAGE: u32 = 100;
/// Most issue ids `search/jql` reconciles in one request.
pub const MAX_RECONCILE: usize = 50;
/// Most ids `issue/bulkfetch` takes at once.
pub const MAX_BULKFETCH: usize = 100;

/// A JQL search. Use epoch milliseconds in time clauses (`updated >= 1741107711123`),
/// never quoted local times, and order by `updated ASC, key ASC` for resumable walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JqlRequest {
    /// The JQL query.
    pub jql: String,
    /// Field names (`summary`, `customfield_10050`, `*all`, `-comment`, …).
    pub fields: Vec<String>,
    /// `renderedFields`, `changelog`, … (comma separated), or `None`.
    pub expand: Option<String>,
    /// Page size: ≤ 100 with content fields, up to 5000 with only `id`/`key`.
    pub max_results: u32,
}

impl JqlRequest {
    /// A search for [`ISSUE_FIELDS`], 100 issues a page.
    pub fn new(jql: impl Into<String>) -> Self {
        JqlRequest {
            jql: jql.into(),
            fields: ISSUE_FIELDS.iter().map(|f| f.to_string()).collect(),
            expand: None,
            max_results: MAX_CONTENT_PAGE,
        }
    }

    /// An id-only search (`fields=id`, 5000 a page): for id-set reconciliation.
    pub fn ids_only(jql: impl Into<String>) -> Self {
        JqlRequest {
            jql: jql.into(),
            fields: vec!["id".to_string()],
            expand: None,
            max_results: MAX_ID_PAGE,
        }
    }

    /// Adds fields (e.g. the custom fields a permission scheme names), skipping duplicates.
    pub fn with_fields<I, S>(mut self, extra: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for f in extra {
            let f = f.into();
            if !self.fields.contains(&f) {
                self.fields.push(f);
            }
        }
        self
    }
}

/// One page of `search/jql`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JqlPage {
    /// The issues of this page.
    pub issues: Vec<Issue>,
    /// Pass back unchanged to get the next page; `None` on the last page.
    pub next_page_token: Option<String>,
    /// True on the last page.
    pub is_last: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JqlBody<'a> {
    jql: &'a str,
    fields: &'a [String],
    max_results: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    expand: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<&'a str>,
    #[serde(skip_serializing_if = "<[i64]>::is_empty")]
    reconcile_issues: &'a [i64],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawJqlPage {
    #[serde(default, deserialize_with = "crate::de::null_default")]
    issues: Vec<Issue>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    is_last: Option<bool>,
}

#[derive(Deserialize)]
struct ApproximateCount {
    count: u64,
}

impl JiraClient {
    /// One page of `POST /rest/api/3/search/jql`.
    ///
    /// `is_last` is Jira's `isLast`; where Jira leaves it out, a page without
    /// `nextPageToken` is the last.
    pub async fn search_jql_page(
        &self,
        req: &JqlRequest,
        next_page_token: Option<&str>,
    ) -> Result<JqlPage, JiraError> {
        self.search_jql_page_reconciled(req, next_page_token, &[])
            .await
    }

    /// [`JiraClient::search_jql_page`] with `reconcileIssues`: Jira answers read-after-write
    /// for these issue ids (at most [`MAX_RECONCILE`]; numeric ids only, others are
    /// ignored), e.g. issues a webhook just reported changed.
    pub async fn search_jql_page_reconciled(
        &self,
        req: &JqlRequest,
        next_page_token: Option<&str>,
        reconcile_issue_ids: &[String],
    ) -> Result<JqlPage, JiraError> {
        let reconcile: Vec<i64> = reconcile_issue_ids
            .iter()
            .filter_map(|id| match id.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    tracing::warn!(issue_id = %id, "reconcileIssues takes numeric issue ids; ignoring this one");
                    None
                }
            })
            .take(MAX_RECONCILE)
            .collect();
        let body = JqlBody {
            jql: &req.jql,
            fields: &req.fields,
            max_results: req.max_results.max(1),
            expand: req.expand.as_deref(),
            next_page_token,
            reconcile_issues: &reconcile,
        };
        let raw: RawJqlPage = self.inner.post_json(&["search", "jql"], &body).await?;
        let next = raw.next_page_token.filter(|t| !t.is_empty());
        let is_last = raw.is_last.unwrap_or(next.is_none());
        Ok(JqlPage {
            issues: raw.issues,
            next_page_token: if is_last { None } else { next },
            is_last,
        })
    }

    /// Every issue the search matches: follows `nextPageToken` until `isLast`.
    /// Holds them all in memory; for large sites prefer [`JiraClient::search_jql_stream`].
    pub async fn search_jql_all(&self, req: &JqlRequest) -> Result<Vec<Issue>, JiraError> {
        let mut out = Vec::new();
        let mut walk = TokenWalk::default();
        while let Some(token) = walk.next_token() {
            let page = self.search_jql_page(req, token.as_deref()).await?;
            walk.advance(self, &page)?;
            out.extend(page.issues);
        }
        Ok(out)
    }

    /// The pages of a search as a stream (one item per page), for bounded-memory
    /// pipelines. Ends after the last page or the first error.
    pub fn search_jql_stream(
        &self,
        req: JqlRequest,
    ) -> impl Stream<Item = Result<Vec<Issue>, JiraError>> + Send + 'static {
        let client = self.clone();
        futures::stream::try_unfold(TokenWalk::default(), move |mut walk| {
            let client = client.clone();
            let req = req.clone();
            async move {
                let Some(token) = walk.next_token() else {
                    return Ok(None);
                };
                let page = client.search_jql_page(&req, token.as_deref()).await?;
                walk.advance(&client, &page)?;
                Ok(Some((page.issues, walk)))
            }
        })
    }

    /// The ids of every issue the search matches (`fields=id`, 5000 a page): the cheap
    /// id set for deletion reconciliation.
    pub async fn search_jql_ids(&self, jql: &str) -> Result<Vec<String>, JiraError> {
        let req = JqlRequest::ids_only(jql);
        Ok(self
            .search_jql_all(&req)
            .await?
            .into_iter()
            .map(|i| i.id)
            .collect())
    }

    /// `(id, key)` of every issue `jql` matches, in id-only pages of up to 5,000. The
    /// key says the issue's project now (a moved issue keeps its id, not its key).
    pub async fn search_jql_id_keys(&self, jql: &str) -> Result<Vec<(String, String)>, JiraError> {
        let mut req = JqlRequest::ids_only(jql);
        req.fields.push("key".to_string());
        Ok(self
            .search_jql_all(&req)
            .await?
            .into_iter()
            .map(|i| (i.id, i.key))
            .collect())
    }

    /// `POST /rest/api/3/search/approximate-count`: about how many issues match.
    pub async fn approximate_count(&self, jql: &str) -> Result<u64, JiraError> {
        let c: ApproximateCount = self
            .inner
            .post_json(
                &["search", "approximate-count"],
                &serde_json::json!({ "jql": jql }),
            )
            .await?;
        Ok(c.count)
    }

    /// `POST /rest/api/3/issue/bulkfetch` for any number of ids or keys (sent 100 at a
    /// time); the ids Jira could not return come back in `issue_errors`.
    pub async fn issue_bulkfetch(
        &self,
        ids_or_keys: &[String],
        fields: &[String],
    ) -> Result<BulkFetch, JiraError> {
        let mut out = BulkFetch::default();
        for chunk in ids_or_keys.chunks(MAX_BULKFETCH) {
            let body = serde_json::json!({ "issueIdsOrKeys": chunk, "fields": fields });
            let part: BulkFetch = self.inner.post_json(&["issue", "bulkfetch"], &body).await?;
            out.issues.extend(part.issues);
            out.issue_errors.extend(part.issue_errors);
        }
        Ok(out)
    }

    /// Every comment of an issue, oldest first (`issue/{id}/comment?orderBy=created`,
    /// offset + total pages).
    pub async fn issue_comments(&self, issue_id_or_key: &str) -> Result<Vec<Comment>, JiraError> {
        let page_size = self.inner.cfg.page_size.max(1);
        let mut out = Vec::new();
        let mut start = 0u64;
        loop {
            let page: CommentPage = self
                .inner
                .get_json(
                    &["issue", issue_id_or_key, "comment"],
                    &[
                        ("startAt", start.to_string()),
                        ("maxResults", page_size.to_string()),
                        ("orderBy", "created".to_string()),
                    ],
                )
                .await?;
            let n = page.comments.len();
            out.extend(page.comments);
            start += n as u64;
            if total_walk_done(n, start, page.total) {
                return Ok(out);
            }
        }
    }

    /// Makes `issue.fields.comment` hold every comment: pages `issue/{id}/comment`
    /// only when the inline first page is incomplete. Returns whether it fetched.
    pub async fn complete_comments(&self, issue: &mut Issue) -> Result<bool, JiraError> {
        if issue.comments_complete() {
            return Ok(false);
        }
        let comments = self.issue_comments(&issue.id).await?;
        let total = comments.len() as u64;
        issue.fields.comment = Some(CommentPage {
            comments,
            start_at: 0,
            max_results: total,
            total,
        });
        Ok(true)
    }

    /// [`JiraClient::complete_comments`] for many issues, `max_concurrency` at a time;
    /// only issues whose inline page is incomplete cost a request. Returns how many
    /// issues needed fetching.
    pub async fn complete_comments_all(&self, issues: &mut [Issue]) -> Result<usize, JiraError> {
        use futures::{StreamExt as _, TryStreamExt as _};
        let results: Vec<(usize, Vec<Comment>)> = futures::stream::iter(
            issues
                .iter()
                .enumerate()
                .filter(|(_, i)| !i.comments_complete())
                .map(|(n, i)| (n, i.id.clone())),
        )
        .map(|(n, id)| async move { Ok::<_, JiraError>((n, self.issue_comments(&id).await?)) })
        .buffer_unordered(self.concurrency())
        .try_collect()
        .await?;
        let fetched = results.len();
        for (n, comments) in results {
            let total = comments.len() as u64;
            issues[n].fields.comment = Some(CommentPage {
                comments,
                start_at: 0,
                max_results: total,
                total,
            });
        }
        Ok(fetched)
    }
}

/// The state of a `nextPageToken` walk; refuses a token Jira already gave (a loop).
#[derive(Default)]
struct TokenWalk {
    started: bool,
    next: Option<String>,
    done: bool,
    seen: HashSet<String>,
}

impl TokenWalk {
    /// `Some(token)` for the next request (`Some(None)` for the first), `None` when done.
    fn next_token(&self) -> Option<Option<String>> {
        if self.done {
            None
        } else if !self.started {
            Some(None)
        } else {
            Some(self.next.clone())
        }
    }

    fn advance(&mut self, client: &JiraClient, page: &JqlPage) -> Result<(), JiraError> {
        self.started = true;
        if page.is_last {
            self.done = true;
            return Ok(());
        }
        let url = format!("{}/rest/api/3/search/jql", client.base_url());
        match &page.next_page_token {
            None => Err(JiraError::Decode {
                url,
                detail: "isLast is false but there is no nextPageToken; the walk cannot go on"
                    .into(),
            }),
            Some(t) if !self.seen.insert(t.clone()) => Err(JiraError::Decode {
                url,
                detail: format!("nextPageToken {t:?} came back twice; stopping instead of looping"),
            }),
            Some(t) => {
                self.next = Some(t.clone());
                Ok(())
            }
        }
    }
}

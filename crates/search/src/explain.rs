//! "Why can (not) this person see this issue?": for a person (by email, resolved as
//! search resolves callers) and an issue key, every indexed chunk of the issue with
//! its verdict. The verdict is the search filter's own check (the person's principal
//! tags against the chunk's stored tags, [`index::acl_allows`]); the explanation
//! beside it names, gate by gate, the grants behind each shared tag
//! ([`access::explain_stored_tags`], from the same expansion that makes the
//! principal tags). The two cannot disagree; if they ever did, the chunk is reported
//! denied and the disagreement is logged as an error.

use serde::Serialize;

use access::Explanation;
use index::ChunkKind;

use crate::error::SearchError;
use crate::searcher::{Searcher, describe_identity};

/// One chunk of the issue and whether the person passes its three gates.
#[derive(Debug, Serialize)]
pub struct ChunkAccess {
    /// The chunk's id.
    pub chunk_id: String,
    /// Issue text, comment or attachment.
    pub kind: ChunkKind,
    /// What search decides for this chunk.
    pub allowed: bool,
    /// The grants behind each gate.
    pub explanation: Explanation,
    /// The explanation as text, with names from the directory.
    pub text: String,
}

/// Whether a person may open an issue, and why, chunk by chunk.
#[derive(Debug, Serialize)]
pub struct IssueAccess {
    /// The issue key asked about.
    pub issue_key: String,
    /// Who the caller was taken to be.
    pub identity: String,
    /// The person may open the issue: its own text (the issue chunks) passes.
    pub allowed: bool,
    /// Chunks the person may see / all chunks of the issue in the index.
    pub visible_chunks: usize,
    /// Every chunk of the issue with its verdict.
    pub chunks: Vec<ChunkAccess>,
}

impl Searcher {
    /// Explains access of the person with `email` to the indexed issue `issue_key`;
    /// `None` when the index holds no chunk of that key (not synced, filtered out or
    /// deleted). For admins: it shows what the person could not search for.
    pub fn explain_access(
        &self,
        email: &str,
        issue_key: &str,
    ) -> Result<Option<IssueAccess>, SearchError> {
        let key = issue_key.trim().to_ascii_uppercase();
        let docs = self.index().issue_chunks_by_key(&key)?;
        if docs.is_empty() {
            return Ok(None);
        }
        let dir = self.directory();
        let mapping = self.mapping();
        let principals = self.principals(email).tags();
        let mut chunks = Vec::with_capacity(docs.len());
        for doc in docs {
            let allowed_by_search = index::acl_allows(&principals, &doc);
            let explanation = access::explain_stored_tags(
                &dir,
                email,
                &mapping,
                [&doc.acl_project, &doc.acl_issue, &doc.acl_comment],
            );
            if explanation.allowed != allowed_by_search {
                tracing::error!(
                    chunk = %doc.chunk_id,
                    search = allowed_by_search,
                    explanation = explanation.allowed,
                    "explanation disagrees with the search filter; reported as denied"
                );
            }
            chunks.push(ChunkAccess {
                text: explanation.render(&dir),
                allowed: allowed_by_search && explanation.allowed,
                chunk_id: doc.chunk_id,
                kind: doc.kind,
                explanation,
            });
        }
        chunks.sort_by_key(|c| chunk_order(&c.chunk_id));
        let issue_chunks: Vec<&ChunkAccess> = chunks
            .iter()
            .filter(|c| c.kind == ChunkKind::Issue)
            .collect();
        let allowed = !issue_chunks.is_empty() && issue_chunks.iter().all(|c| c.allowed);
        Ok(Some(IssueAccess {
            issue_key: key,
            identity: describe_identity(&dir, &self.identity(email)),
            allowed,
            visible_chunks: chunks.iter().filter(|c| c.allowed).count(),
            chunks,
        }))
    }
}

/// Issue chunks first, then comments, then attachments, each by source id and number.
fn chunk_order(chunk_id: &str) -> (u8, u64, u64) {
    let mut parts = chunk_id.split(':');
    let kind = match parts.next() {
        Some("issue") => 0,
        Some("comment") => 1,
        _ => 2,
    };
    let num = |p: Option<&str>| p.and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    (kind, num(parts.next()), num(parts.next()))
}

impl IssueAccess {
    /// The explanation as text: the verdict, then each chunk's gates.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let verdict = if self.allowed {
            "MAY open"
        } else {
            "may NOT open"
        };
        let _ = writeln!(
            out,
            "{} {verdict} {} ({} of {} chunks visible)",
            self.identity,
            self.issue_key,
            self.visible_chunks,
            self.chunks.len()
        );
        for c in &self.chunks {
            let mark = if c.allowed { "visible" } else { "hidden" };
            let _ = writeln!(out, "\n{} [{mark}]", c.chunk_id);
            for line in c.text.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
        out
    }
}

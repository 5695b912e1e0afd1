//! Turning scored chunk ids into [`Hit`]s: stored fields read back, the ACL
//! re-check against the stored tags (defence in depth), and `**word**` snippets.

use std::collections::HashSet;

use tantivy::query::{EmptyQuery, Query};
use tantivy::schema::TantivyDocument;
use tantivy::snippet::SnippetGenerator;
use tracing::debug;

use super::index::KeywordIndex;
use super::schema::{str_field, strs_field};
use crate::acl::gates_allow;
use crate::error::IndexError;
use crate::types::{ChunkKind, Hit};

/// Length of the fallback snippet when no query word is in the text.
const SNIPPET_CHARS: usize = 200;

impl KeywordIndex {
    /// Turns scored chunk ids into hits: reads stored fields, drops chunks that are gone
    /// or whose stored tags do not pass the principals (defence in depth), and cuts
    /// snippets for `query`.
    pub(crate) fn hydrate(
        &self,
        query: &str,
        scored: &[(String, f32)],
        principals: &[String],
    ) -> Result<Vec<Hit>, IndexError> {
        if scored.is_empty() || principals.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let text_query: Box<dyn Query> = if query.trim().is_empty() {
            Box::new(EmptyQuery)
        } else {
            self.text_query(query)
        };
        let mut snippets =
            SnippetGenerator::create(&searcher, text_query.as_ref(), self.fields.text)
                .map_err(self.err("preparing snippets"))?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut hits = Vec::with_capacity(scored.len());
        let mut seen = HashSet::new();
        for (chunk_id, score) in scored {
            if !seen.insert(chunk_id.as_str()) {
                continue;
            }
            let Some(addr) = self.address_of(&searcher, chunk_id)? else {
                debug!(chunk_id, "hit not in keyword index; skipped");
                continue;
            };
            let doc: TantivyDocument = searcher
                .doc(addr)
                .map_err(self.err(format!("reading chunk {chunk_id}")))?;
            let f = &self.fields;
            let acl = |field| strs_field(&doc, field);
            if !gates_allow(
                principals,
                &acl(f.acl_project),
                &acl(f.acl_issue),
                &acl(f.acl_comment),
            ) {
                debug!(chunk_id, "hit failed the stored ACL re-check; dropped");
                continue;
            }
            let Some(kind) = ChunkKind::parse(&str_field(&doc, f.kind)) else {
                continue;
            };
            let text = str_field(&doc, f.text);
            hits.push(Hit {
                chunk_id: chunk_id.clone(),
                issue_id: str_field(&doc, f.issue_id),
                issue_key: str_field(&doc, f.issue_key),
                kind,
                title: str_field(&doc, f.title),
                snippet: snippet(&snippets, &text),
                score: *score,
                url: str_field(&doc, f.url),
            });
        }
        Ok(hits)
    }
}

/// `**word**`-highlighted snippet, or the first 200 characters.
fn snippet(generator: &SnippetGenerator, text: &str) -> String {
    let s = generator.snippet(text);
    let fragment = s.fragment();
    if fragment.is_empty() || s.highlighted().is_empty() {
        return head(text, SNIPPET_CHARS);
    }
    let mut out = String::with_capacity(fragment.len() + 8);
    let mut at = 0;
    for range in s.highlighted() {
        if range.start < at || range.end > fragment.len() {
            continue;
        }
        out.push_str(&fragment[at..range.start]);
        out.push_str("**");
        out.push_str(&fragment[range.start..range.end]);
        out.push_str("**");
        at = range.end;
    }
    out.push_str(&fragment[at..]);
    out
}

fn head(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_cuts_on_char_boundaries() {
        assert_eq!(head("héllo", 2), "hé…");
        assert_eq!(head("ab", 5), "ab");
    }
}

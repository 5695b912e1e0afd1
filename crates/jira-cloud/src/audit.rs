//! The audit log (`auditing/record`, offset + total pages): the fast path to
//! deletions. Needs admin rights; not every deletion reaches it, so always confirm
//! with an id-set reconciliation (`JiraClient::search_jql_ids`).

use serde::Deserialize;

use crate::model::AuditRecord;
use crate::paging::total_walk_done;
use crate::time::format_epoch_ms;
use crate::{JiraClient, JiraError};

/// Records per audit page (Jira's maximum).
const AUDIT_PAGE: usize = 1000;

#[derive(Deserialize)]
struct AuditPage {
    #[serde(default, deserialize_with = "crate::de::null_default")]
    records: Vec<AuditRecord>,
    #[serde(default)]
    total: Option<u64>,
}

impl JiraClient {
    /// Audit records created in `[from_ms, to_ms]` (epoch milliseconds; either end
    /// open), newest first as Jira orders them.
    pub async fn audit_records(
        &self,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
    ) -> Result<Vec<AuditRecord>, JiraError> {
        self.audit_records_filtered(from_ms, to_ms, None).await
    }

    /// [`JiraClient::audit_records`] narrowed by Jira's text `filter` (space-separated
    /// words matched against the record's fields).
    pub async fn audit_records_filtered(
        &self,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
        filter: Option<&str>,
    ) -> Result<Vec<AuditRecord>, JiraError> {
        let mut base = Vec::new();
        if let Some(f) = from_ms {
            base.push(("from", format_epoch_ms(f)));
        }
        if let Some(t) = to_ms {
            base.push(("to", format_epoch_ms(t)));
        }
        if let Some(f) = filter.filter(|f| !f.trim().is_empty()) {
            base.push(("filter", f.to_string()));
        }
        let mut out = Vec::new();
        let mut offset = 0u64;
        loop {
            let mut q = base.clone();
            q.push(("offset", offset.to_string()));
            q.push(("limit", AUDIT_PAGE.to_string()));
            let page: AuditPage = self.inner.get_json(&["auditing", "record"], &q).await?;
            let n = page.records.len();
            out.extend(page.records);
            offset += n as u64;
            let done = match page.total {
                Some(total) => total_walk_done(n, offset, total),
                None => n < AUDIT_PAGE,
            };
            if done {
                return Ok(out);
            }
        }
    }
}

//! Attachment bytes (`attachment/content/{id}`): Jira answers with a redirect to the
//! file; the client follows it, keeping credentials only on the Jira host (and never
//! over a downgrade to http). Bodies over the caller's size limit are not read.

use crate::{JiraClient, JiraError};

impl JiraClient {
    /// The bytes of an attachment, or `Ok(None)` when it is larger than `max_bytes`
    /// (index such attachments as a linked title). Do not trust the file's declared
    /// type: sniff the bytes.
    pub async fn attachment_content(
        &self,
        attachment_id: &str,
        max_bytes: u64,
    ) -> Result<Option<Vec<u8>>, JiraError> {
        let url = self
            .inner
            .api_url(&["attachment", "content", attachment_id], &[]);
        self.inner
            .execute_limited(reqwest::Method::GET, &url, None, "*/*", Some(max_bytes))
            .await
    }
}

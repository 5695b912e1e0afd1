//! Attachment text for the index: decides whether a file is downloaded (size limit,
//! file types), downloads it through `jira-cloud`, extracts its text with
//! `content::extract`, run by `extractor` in a worker process (format sniffed from the
//! bytes; a parser that hangs or crashes costs that file only) and keeps the result in the data
//! directory's attachment cache, so a file is downloaded and extracted once in its
//! life: Jira attachments never change (a new upload is a new id).
//!
//! Every attachment is indexed, at least by its name: a file over the size limit, of
//! an excluded type, corrupt, or whose download failed still gets a chunk with its
//! name, and the failure is reported with the issue key and file name.

use std::collections::HashSet;
use std::path::PathBuf;

use content::ExtractLimits;
use jira_cloud::JiraClient;
use jira_cloud::model::Attachment;
use serde::{Deserialize, Serialize};

use crate::error::SyncError;
use config::{DataDir, FileError, IndexingConfig, read_json};
use state::{RunError, RunErrorKind};

/// What the index gets for one attachment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentText {
    /// The attachment id.
    pub attachment_id: String,
    /// Its file name.
    pub file_name: String,
    /// Extracted text; empty when the file gave none (image, skipped, failed).
    pub text: String,
}

/// What happened to one attachment in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetched {
    /// Text taken from the cache: no request made.
    Cached,
    /// Downloaded and extracted now.
    Downloaded {
        /// Bytes downloaded.
        bytes: u64,
    },
    /// Not downloaded by policy (size, type); indexed by name.
    Skipped {
        /// Why (size or type).
        reason: String,
    },
    /// Download or extraction failed; indexed by name. The error names the issue
    /// key, the file and the cause.
    Failed {
        /// What failed, naming the issue and the file.
        error: RunError,
    },
}

/// One cache entry: the outcome of downloading and extracting a file. Only
/// deterministic outcomes are cached (text, or a file that cannot be extracted);
/// download failures and policy skips are decided again on the next run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CachedText {
    /// The issue the file was on when it was extracted (for reports).
    #[serde(default)]
    pub issue_key: String,
    /// Its file name when it was extracted.
    pub file_name: String,
    /// The sniffed format, when extraction got that far.
    #[serde(default)]
    pub kind: Option<String>,
    /// The extracted text (empty when it gave none).
    pub text: String,
    /// Whether the text was cut at the extraction limit.
    #[serde(default)]
    pub truncated: bool,
    /// Why the file gave no text (corrupt, unsupported), when it did not.
    #[serde(default)]
    pub error: Option<String>,
}

/// The attachment cache: one JSON file per attachment id under `attachments/`.
#[derive(Clone, Debug)]
pub struct AttachmentCache {
    dir: PathBuf,
}

impl AttachmentCache {
    /// The cache of a data directory.
    pub fn new(data: &DataDir) -> Self {
        Self {
            dir: data.root().join("attachments"),
        }
    }

    /// The entry's path; `None` for an id that is not a plain token (ids come from
    /// Jira, but a path is never built from untrusted text).
    fn path(&self, id: &str) -> Option<PathBuf> {
        let plain = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        plain.then(|| self.dir.join(format!("{id}.json")))
    }

    /// The cached entry of an attachment; `None` when absent or unreadable.
    pub fn get(&self, id: &str) -> Option<CachedText> {
        read_json(&self.path(id)?).ok().flatten()
    }

    /// Writes the entry in place, without a temporary file and a rename (thousands of
    /// attachments make that a cost): a write cut short leaves a file that does not
    /// parse, which reads as absent, so the attachment is read again.
    pub fn put(&self, id: &str, entry: &CachedText) -> Result<(), SyncError> {
        let Some(path) = self.path(id) else {
            return Ok(());
        };
        let io = FileError::io(&path);
        let bytes =
            serde_json::to_vec(entry).map_err(FileError::encode("an attachment cache entry"))?;
        match std::fs::write(&path, &bytes) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&self.dir).map_err(FileError::io(&self.dir))?;
                Ok(std::fs::write(&path, &bytes).map_err(io)?)
            }
            other => Ok(other.map_err(io)?),
        }
    }

    /// Files that gave no text because they are damaged (not images or other
    /// formats without text), as (attachment id, entry), by attachment id.
    pub fn failures(&self) -> Vec<(String, CachedText)> {
        let mut out: Vec<(String, CachedText)> = self
            .entries()
            .into_iter()
            .filter_map(|id| {
                let e = self.get(&id)?;
                e.error
                    .as_deref()
                    .is_some_and(|err| !err.starts_with("no text extraction"))
                    .then_some((id, e))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn entries(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        rd.filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect()
    }

    /// Removes entries of attachments no longer on any synced issue; returns how many.
    pub fn retain(&self, keep: &HashSet<String>) -> usize {
        let mut removed = 0;
        for id in self.entries() {
            if !keep.contains(&id)
                && let Some(p) = self.path(&id)
                && std::fs::remove_file(p).is_ok()
            {
                removed += 1;
            }
        }
        removed
    }
}

/// The text of one attachment: from the cache, or downloaded and extracted (on a
/// blocking thread: extraction is CPU work), or only its name when policy or a
/// failure says so.
pub async fn attachment_text(
    client: &JiraClient,
    cache: &AttachmentCache,
    cfg: &IndexingConfig,
    limits: &ExtractLimits,
    issue_key: &str,
    att: &Attachment,
) -> (AttachmentText, Fetched) {
    let by_name = |text: String| AttachmentText {
        attachment_id: att.id.clone(),
        file_name: att.filename.clone(),
        text,
    };
    let name = &att.filename;
    if let Err(reason) = cfg.download_decision(name, att.size) {
        return (
            by_name(String::new()),
            Fetched::Skipped {
                reason: reason.to_string(),
            },
        );
    }
    if let Some(hit) = cache.get(&att.id).filter(|c| &c.file_name == name) {
        return (by_name(hit.text), Fetched::Cached);
    }
    let bytes = match client
        .attachment_content(&att.id, cfg.attachment_max_bytes)
        .await
    {
        Ok(Some(b)) => b,
        Ok(None) => {
            let reason = format!(
                "larger than indexing.attachment_max_bytes ({}) while reading, though Jira declared {} bytes: indexed by name only",
                cfg.attachment_max_bytes, att.size
            );
            return (by_name(String::new()), Fetched::Skipped { reason });
        }
        Err(e) => {
            let error = RunError::new(
                RunErrorKind::Attachment,
                issue_key,
                format!("attachment {name:?} (id {}): download failed: {e}", att.id),
            );
            return (by_name(String::new()), Fetched::Failed { error });
        }
    };
    let size = bytes.len() as u64;
    let (file, lim) = (name.clone(), limits.clone());
    let extracted = tokio::task::spawn_blocking(move || extractor::extract(&bytes, &file, &lim))
        .await
        .unwrap_or_else(|e| {
            Err(content::ExtractError::Crashed {
                detail: format!("extraction task failed: {e}"),
            })
        });
    let (entry, failed) = match extracted {
        Ok(x) => (
            CachedText {
                issue_key: issue_key.to_string(),
                file_name: name.clone(),
                kind: Some(x.kind.to_string()),
                text: x.text,
                truncated: x.truncated,
                error: None,
            },
            None,
        ),
        Err(e) => {
            // Images and other formats without text are not failures.
            let unsupported = matches!(e, content::ExtractError::Unsupported { .. });
            let error = RunError::new(
                RunErrorKind::Attachment,
                issue_key,
                format!("attachment {name:?} (id {}): {e}", att.id),
            );
            (
                CachedText {
                    issue_key: issue_key.to_string(),
                    file_name: name.clone(),
                    kind: None,
                    text: String::new(),
                    truncated: false,
                    error: Some(e.to_string()),
                },
                (!unsupported).then_some(error),
            )
        }
    };
    if let Err(e) = cache.put(&att.id, &entry) {
        tracing::warn!(attachment = %att.id, error = %e, "could not cache attachment text");
    }
    let fetched = match failed {
        Some(error) => Fetched::Failed { error },
        None => Fetched::Downloaded { bytes: size },
    };
    (by_name(entry.text), fetched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_round_trip_and_retain() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = AttachmentCache::new(&DataDir::new(tmp.path()));
        let entry = CachedText {
            issue_key: "ENG-1".into(),
            file_name: "a.pdf".into(),
            kind: Some("pdf".into()),
            text: "hello".into(),
            truncated: false,
            error: None,
        };
        cache.put("10001", &entry).unwrap();
        let bad = CachedText {
            error: Some("corrupt pdf file: x".into()),
            text: String::new(),
            ..entry.clone()
        };
        cache.put("10002", &bad).unwrap();
        assert_eq!(cache.get("10001"), Some(entry));
        assert_eq!(cache.failures().len(), 1);
        // Ids that are not plain tokens never become paths.
        cache.put("../escape", &bad).unwrap();
        assert!(cache.get("../escape").is_none());
        assert!(!tmp.path().join("escape.json").exists());
        let keep: HashSet<String> = ["10001".to_string()].into();
        assert_eq!(cache.retain(&keep), 1);
        assert!(cache.get("10002").is_none() && cache.get("10001").is_some());
    }

    #[test]
    fn download_decision_by_size_and_type() {
        let mut cfg = IndexingConfig::default();
        assert!(cfg.download_decision("a.pdf", 10).is_ok());
        assert!(
            cfg.download_decision("big.log", 60 << 20)
                .unwrap_err()
                .to_string()
                .contains("attachment_max_bytes")
        );
        cfg.attachment_types = vec!["pdf".into(), ".DOCX".into()];
        assert!(cfg.download_decision("A.PDF", 10).is_ok());
        assert!(cfg.download_decision("b.docx", 10).is_ok());
        assert_eq!(
            cfg.download_decision("c.png", 10),
            Err(config::NotDownloaded::TypeNotListed {
                extension: "png".into()
            })
        );
        assert!(cfg.download_decision("noext", 10).is_err());
    }
}

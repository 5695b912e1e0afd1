//! Attachments: what a file is made of ([`AttachmentKind`]), its metadata, and its
//! bytes (made by [`crate::files`] when the attachment is created).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What an attachment's bytes are made of (see [`crate::files`]).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A PDF document.
    Pdf,
    /// An HTML page.
    Html,
    /// A Word document.
    Docx,
    /// An Excel workbook.
    Xlsx,
    /// A PowerPoint deck.
    Pptx,
    /// Comma-separated values.
    Csv,
    /// A JSON file.
    Json,
    /// Plain text.
    Text,
    /// A PNG image (no text).
    Png,
    /// A PDF whose body is damaged.
    CorruptPdf,
    /// A DOCX cut in half.
    TruncatedDocx,
    /// Declared (and served) larger than 50 MiB: a connector should index it by name
    /// without downloading it.
    Huge,
}

impl AttachmentKind {
    /// Whether a connector can get the planted text out of the file: not images,
    /// damaged files, or files over the default 50 MiB limit.
    pub fn has_extractable_text(self) -> bool {
        !matches!(
            self,
            AttachmentKind::Png
                | AttachmentKind::CorruptPdf
                | AttachmentKind::TruncatedDocx
                | AttachmentKind::Huge
        )
    }
}

/// Size of a [`AttachmentKind::Huge`] attachment.
pub const HUGE_ATTACHMENT_BYTES: u64 = 60 * 1024 * 1024;

/// A file attached to an issue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attachment {
    /// Numeric id as a string.
    pub id: String,
    /// File name, e.g. `eng-12-3.pdf`.
    pub filename: String,
    /// MIME type ([`mime_of`] the kind).
    pub mime_type: String,
    /// Who attached it.
    pub author_account_id: String,
    /// When it was attached.
    pub created: DateTime<Utc>,
    /// What the bytes are made of.
    pub kind: AttachmentKind,
    /// The text planted in the file (what extraction should find).
    pub text: String,
    /// Size of the bytes served, computed once.
    pub size: u64,
    /// The bytes served, kept from when the attachment was made (as Jira stores the
    /// upload); absent after deserializing, then made again on request.
    #[serde(skip)]
    pub data: Option<bytes::Bytes>,
}

impl Attachment {
    /// Builds an attachment and computes its size.
    pub fn new(
        id: String,
        filename: String,
        author_account_id: String,
        created: DateTime<Utc>,
        kind: AttachmentKind,
        text: String,
    ) -> Self {
        let mut a = Attachment {
            id,
            filename,
            mime_type: mime_of(kind).into(),
            author_account_id,
            created,
            kind,
            text,
            size: 0,
            data: None,
        };
        a.size = match kind {
            AttachmentKind::Huge => HUGE_ATTACHMENT_BYTES,
            _ => {
                let data = bytes::Bytes::from(a.make_bytes());
                let size = data.len() as u64;
                a.data = Some(data);
                size
            }
        };
        a
    }

    /// The file's bytes (for [`AttachmentKind::Huge`], one line of it, repeated when
    /// served).
    pub fn bytes(&self) -> bytes::Bytes {
        match &self.data {
            Some(d) => d.clone(),
            None => self.make_bytes().into(),
        }
    }

    fn make_bytes(&self) -> Vec<u8> {
        use crate::files;
        let paras: Vec<String> = self
            .text
            .split(". ")
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
            .collect();
        match self.kind {
            AttachmentKind::Pdf => files::pdf(&paras),
            AttachmentKind::Html => files::html(&self.filename, &self.text),
            AttachmentKind::Docx => files::docx(&paras),
            AttachmentKind::Xlsx => {
                files::xlsx(&paras.iter().map(|p| vec![p.clone()]).collect::<Vec<_>>())
            }
            AttachmentKind::Pptx => files::pptx(&paras),
            AttachmentKind::Csv => files::csv(
                &paras
                    .iter()
                    .enumerate()
                    .map(|(i, p)| vec![i.to_string(), p.clone()])
                    .collect::<Vec<_>>(),
            ),
            AttachmentKind::Json => files::json(&json!({"notes": paras})),
            AttachmentKind::Text => files::text(&self.text),
            AttachmentKind::Png => files::png(16, 16),
            AttachmentKind::CorruptPdf => files::corrupt_pdf(&paras),
            AttachmentKind::TruncatedDocx => files::truncated(&files::docx(&paras)),
            AttachmentKind::Huge => files::text(&self.text),
        }
    }
}

/// The MIME type Jira would report for a kind.
pub fn mime_of(kind: AttachmentKind) -> &'static str {
    match kind {
        AttachmentKind::Pdf | AttachmentKind::CorruptPdf => "application/pdf",
        AttachmentKind::Html => "text/html",
        AttachmentKind::Docx | AttachmentKind::TruncatedDocx => {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
        AttachmentKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        AttachmentKind::Pptx => {
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        }
        AttachmentKind::Csv => "text/csv",
        AttachmentKind::Json => "application/json",
        AttachmentKind::Text | AttachmentKind::Huge => "text/plain",
        AttachmentKind::Png => "image/png",
    }
}

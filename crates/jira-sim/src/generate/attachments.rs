//! Attachments: files of every kind (documents, images, damaged and oversized ones)
//! on about one issue in eight, drawn from their own random stream.

use chrono::Duration;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::{Attachment, AttachmentKind, Issue, MARKER_IN_ATTACHMENT};

/// Attachment kinds in the order the generator hands them out: every kind, the
/// damaged and oversized ones rarer.
const ATTACHMENT_CYCLE: [AttachmentKind; 14] = [
    AttachmentKind::Pdf,
    AttachmentKind::Text,
    AttachmentKind::Html,
    AttachmentKind::Docx,
    AttachmentKind::Png,
    AttachmentKind::Csv,
    AttachmentKind::Json,
    AttachmentKind::Xlsx,
    AttachmentKind::Pptx,
    AttachmentKind::Pdf,
    AttachmentKind::CorruptPdf,
    AttachmentKind::Docx,
    AttachmentKind::TruncatedDocx,
    AttachmentKind::Huge,
];

/// Attaches files to about one issue in eight (at least a full cycle of kinds on any
/// preset with 100+ issues); the files' text restates the issue and, for one file in
/// four, carries [`MARKER_IN_ATTACHMENT`].
pub(super) fn attach_files(seed: u64, issues: &mut [Issue], next_id: &mut u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xA77A_C4ED);
    let mut n = 0usize;
    for issue in issues.iter_mut() {
        if !rng.gen_bool(0.125) {
            continue;
        }
        for _ in 0..rng.gen_range(1..=2) {
            let kind = ATTACHMENT_CYCLE[n % ATTACHMENT_CYCLE.len()];
            let marker = if n.is_multiple_of(4) {
                format!(" The {MARKER_IN_ATTACHMENT} checklist is attached.")
            } else {
                String::new()
            };
            let text = format!(
                "Notes for {}. {}. Steps and findings recorded by the team.{marker}",
                issue.key, issue.summary
            );
            let ext = match kind {
                AttachmentKind::Pdf | AttachmentKind::CorruptPdf => "pdf",
                AttachmentKind::Html => "html",
                AttachmentKind::Docx | AttachmentKind::TruncatedDocx => "docx",
                AttachmentKind::Xlsx => "xlsx",
                AttachmentKind::Pptx => "pptx",
                AttachmentKind::Csv => "csv",
                AttachmentKind::Json => "json",
                AttachmentKind::Text => "txt",
                AttachmentKind::Png => "png",
                AttachmentKind::Huge => "log",
            };
            let author = issue.reporter_account_id.clone().unwrap_or_default();
            let created = issue.created + Duration::minutes(rng.gen_range(1..600));
            issue.attachments.push(Attachment::new(
                next_id.to_string(),
                format!("{}-{}.{ext}", issue.key.to_lowercase(), n),
                author,
                created.min(issue.updated),
                kind,
                text,
            ));
            *next_id += 1;
            n += 1;
        }
    }
}

//! PDF text via lopdf, page by page in page order, with the deadline checked between
//! pages and every stream's decompressed size bounded.

use lopdf::{Document, LoadOptions};

use super::{Deadline, ExtractError, TextSink};

/// Most bytes one stream (object stream, page content) may inflate to.
const MAX_DECOMPRESSED: usize = 64 * 1024 * 1024;

/// Appends the text of each page to `sink`, pages separated by a blank line; returns
/// the page count. A page whose content cannot be read is skipped; a document whose
/// structure cannot be read, or that has no pages, is corrupt.
pub(crate) fn extract(
    bytes: &[u8],
    sink: &mut TextSink,
    deadline: &Deadline,
) -> Result<u32, ExtractError> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_DECOMPRESSED),
        ..LoadOptions::default()
    };
    let doc =
        Document::load_mem_with_options(bytes, options).map_err(|e| corrupt(e.to_string()))?;
    deadline.check()?;
    if doc.is_encrypted() {
        return Err(ExtractError::Unsupported {
            kind: "encrypted pdf".to_string(),
        });
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(corrupt("no pages".to_string()));
    }
    let mut failed = 0usize;
    let mut first_error = None;
    for &number in pages.keys() {
        deadline.check()?;
        if sink.is_full() {
            break;
        }
        match doc.extract_text_with_limit(&[number], MAX_DECOMPRESSED) {
            Ok(text) => {
                sink.paragraph_break();
                sink.push(text.trim());
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    if failed == pages.len() {
        let detail = first_error.unwrap_or_default();
        return Err(corrupt(format!("no page could be read: {detail}")));
    }
    Ok(u32::try_from(pages.len()).unwrap_or(u32::MAX))
}

fn corrupt(detail: String) -> ExtractError {
    ExtractError::Corrupt {
        format: "pdf".into(),
        detail,
    }
}

//! HTML via html2text: visible text only (scripts, styles and the head dropped), no
//! decoration, tables without borders, lines not wrapped short.

use super::error::ExtractError;
use super::limits::Deadline;
use super::sink::TextSink;
use super::text::decode;

/// Lines are wrapped only past this many columns.
const WIDTH: usize = 400;

pub(crate) fn extract(
    bytes: &[u8],
    sink: &mut TextSink,
    deadline: &Deadline,
) -> Result<(), ExtractError> {
    let html = decode(bytes);
    let text = html2text::config::plain_no_decorate()
        .no_table_borders()
        .allow_width_overflow()
        .string_from_read(html.as_bytes(), WIDTH)
        .map_err(|e| ExtractError::Corrupt {
            format: "html".into(),
            detail: e.to_string(),
        })?;
    deadline.check()?;
    for line in text.lines() {
        if sink.is_full() {
            break;
        }
        sink.push(line.trim_end());
        sink.push_char('\n');
    }
    Ok(())
}

//! OpenDocument text, spreadsheets and presentations (ODT, ODS, ODP; OASIS
//! OpenDocument 1.3, what LibreOffice writes): zip packages ([`super::zipped`] guards
//! the archive) whose `content.xml` holds the body and whose `styles.xml` holds the
//! master pages' headers and footers.
//!
//! Text is what sits in paragraphs and headings (`text:p`, `text:h`), spaces
//! (`text:s`), tabs and line breaks kept. Footnotes, endnotes and comments
//! (`text:note-body`, `office:annotation`) are written after the part they are
//! anchored in, not inside the sentence; note numbers, comment authors and dates, and
//! deleted tracked changes are left out. Table cells are tab-separated, a row a line;
//! spreadsheets' cells give their displayed value (for formulas, the cached result).
//! Presentations give each page in order, then its speaker notes.

use super::error::ExtractError;
use super::limits::{Deadline, ExtractLimits};
use super::sink::TextSink;
use super::sniff::FileKind;
use super::zipped::{self, Node, local, read_part, walk};

/// Extracts an OpenDocument file; returns the sheet (ODS) or page (ODP) count.
pub(crate) fn extract(
    bytes: &[u8],
    kind: FileKind,
    limits: &ExtractLimits,
    sink: &mut TextSink,
    deadline: &Deadline,
) -> Result<Option<u32>, ExtractError> {
    let format = kind.as_str();
    let (mut archive, mut budget) = zipped::open(bytes, limits, format)?;
    let Some(content) = read_part(&mut archive, "content.xml", &mut budget, format)? else {
        return Err(ExtractError::Corrupt {
            format: format.into(),
            detail: "no content.xml".into(),
        });
    };
    deadline.check()?;
    let units = text_of(&content, format, sink, deadline, limits.max_output_chars)?;
    if let Some(styles) = read_part(&mut archive, "styles.xml", &mut budget, format)? {
        deadline.check()?;
        sink.paragraph_break();
        master_pages(&styles, format, sink, deadline, limits.max_output_chars)?;
    }
    Ok(match kind {
        FileKind::Ods => Some(units.sheets),
        FileKind::Odp => Some(units.pages),
        _ => None,
    })
}

#[derive(Default)]
struct Units {
    sheets: u32,
    pages: u32,
}

/// The headers and footers of the master pages (`office:master-styles`).
fn master_pages(
    xml: &str,
    format: &'static str,
    sink: &mut TextSink,
    deadline: &Deadline,
    max_chars: usize,
) -> Result<(), ExtractError> {
    let mut text = Flow::new(max_chars);
    let mut inside = 0usize;
    walk(xml, format, deadline, |node| {
        match &node {
            Node::Open(e) if local(e) == b"master-styles" => inside += 1,
            Node::Close(b"master-styles") => inside = inside.saturating_sub(1),
            _ => {}
        }
        if inside > 0 {
            text.on(node, sink);
        }
        Ok(!sink.is_full())
    })?;
    text.finish(sink);
    Ok(())
}

fn text_of(
    xml: &str,
    format: &'static str,
    sink: &mut TextSink,
    deadline: &Deadline,
    max_chars: usize,
) -> Result<Units, ExtractError> {
    let mut flow = Flow::new(max_chars);
    let mut units = Units::default();
    walk(xml, format, deadline, |node| {
        if let Node::Open(e) = &node {
            match local(e) {
                b"table" if flow.top_level_table() => units.sheets += 1,
                b"page" => {
                    units.pages += 1;
                    flow.finish(sink);
                    sink.paragraph_break();
                }
                _ => {}
            }
        }
        let page_end = matches!(node, Node::Close(b"page"));
        flow.on(node, sink);
        if page_end {
            // A page's notes and comments follow it, before the next page.
            flow.finish(sink);
        }
        Ok(!sink.is_full())
    })?;
    flow.finish(sink);
    Ok(units)
}

/// A text context: the body, or a note or comment whose text is set aside.
struct Context {
    paragraphs: usize,
    cells: usize,
    aside: bool,
}

/// Turns ODF text events into text: the body into the sink, notes and comments into
/// `aside`, written out by [`Flow::finish`].
struct Flow {
    stack: Vec<Context>,
    skip: usize,
    tables: usize,
    aside: String,
    max_chars: usize,
}

impl Flow {
    fn new(max_chars: usize) -> Self {
        Self {
            stack: vec![Context {
                paragraphs: 0,
                cells: 0,
                aside: false,
            }],
            skip: 0,
            tables: 0,
            aside: String::new(),
            max_chars,
        }
    }

    fn top_level_table(&self) -> bool {
        self.tables == 0
    }

    fn top(&mut self) -> &mut Context {
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    fn push(&mut self, s: &str, sink: &mut TextSink) {
        if self.stack.last().is_some_and(|c| c.aside) {
            if self.aside.len() + s.len() <= self.max_chars.saturating_mul(4) {
                self.aside.push_str(s);
            }
        } else {
            sink.push(s);
        }
    }

    fn newline(&mut self, sink: &mut TextSink) {
        if self.stack.last().is_some_and(|c| c.aside) {
            if !self.aside.is_empty() && !self.aside.ends_with('\n') {
                self.aside.push('\n');
            }
        } else {
            sink.newline();
        }
    }

    fn on(&mut self, node: Node<'_, '_>, sink: &mut TextSink) {
        match node {
            Node::Open(e) => {
                if self.skip > 0 {
                    self.skip += 1;
                    return;
                }
                match local(e) {
                    // Authors and dates of comments sit outside their paragraphs,
                    // so they are never text.
                    b"note-citation" | b"tracked-changes" => self.skip = 1,
                    b"annotation" | b"note-body" => self.stack.push(Context {
                        paragraphs: 0,
                        cells: 0,
                        aside: true,
                    }),
                    b"p" | b"h" => self.top().paragraphs += 1,
                    b"s" => {
                        let n = e
                            .try_get_attribute(b"text:c")
                            .ok()
                            .flatten()
                            .and_then(|a| std::str::from_utf8(&a.value).ok()?.parse().ok())
                            .unwrap_or(1usize)
                            .min(64);
                        self.push(&" ".repeat(n), sink);
                    }
                    b"tab" => self.push("\t", sink),
                    b"line-break" => self.push("\n", sink),
                    b"table" => self.tables += 1,
                    b"table-cell" | b"covered-table-cell" => self.top().cells += 1,
                    _ => {}
                }
            }
            Node::Close(name) => {
                if self.skip > 0 {
                    self.skip -= 1;
                    return;
                }
                match name {
                    b"annotation" | b"note-body" => {
                        self.newline(sink);
                        if self.stack.len() > 1 {
                            self.stack.pop();
                        }
                    }
                    b"p" | b"h" => {
                        let top = self.top();
                        top.paragraphs = top.paragraphs.saturating_sub(1);
                        if top.cells > 0 {
                            self.push(" ", sink);
                        } else {
                            self.newline(sink);
                        }
                    }
                    b"table" => self.tables = self.tables.saturating_sub(1),
                    b"table-cell" | b"covered-table-cell" => {
                        let top = self.top();
                        top.cells = top.cells.saturating_sub(1);
                        self.push("\t", sink);
                    }
                    b"table-row" => self.newline(sink),
                    _ => {}
                }
            }
            Node::Text(t) => {
                if self.skip == 0 && self.top().paragraphs > 0 {
                    self.push(&t, sink);
                }
            }
        }
    }

    /// Writes out the notes and comments set aside so far.
    fn finish(&mut self, sink: &mut TextSink) {
        if !self.aside.is_empty() {
            sink.paragraph_break();
            sink.push(self.aside.trim_end());
            sink.newline();
            self.aside.clear();
        }
    }
}

//! Compact Atlassian Document Format: rich text kept as blocks and inlines
//! ([`AdfDoc`]), rendered to ADF JSON on demand by [`crate::render`].

use serde::{Deserialize, Serialize};

/// An inline mark.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Mark {
    /// Bold.
    Strong,
    /// Italic.
    Em,
    /// Inline code.
    Code,
    /// Struck through.
    Strike,
    /// Underlined.
    Underline,
    /// A link to this URL.
    Link(String),
}

/// An inline node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Inline {
    /// Text with marks.
    Text {
        /// The characters.
        text: String,
        /// Marks applied to all of them.
        marks: Vec<Mark>,
    },
    /// An @-mention of an account.
    Mention {
        /// The account mentioned.
        account_id: String,
        /// What is shown, e.g. `@Alice Nguyen`.
        text: String,
    },
    /// A line break inside a paragraph.
    HardBreak,
}

/// A block node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Block {
    /// A paragraph of inline nodes.
    Paragraph(Vec<Inline>),
    /// A heading.
    Heading {
        /// 1 to 6.
        level: u8,
        /// The heading's text.
        text: String,
    },
    /// A bulleted list, one item per string.
    BulletList(Vec<String>),
    /// A numbered list, one item per string.
    OrderedList(Vec<String>),
    /// A block of code.
    CodeBlock {
        /// Language for highlighting, e.g. `sql`.
        language: String,
        /// The code.
        text: String,
    },
    /// A panel (info, note, warning, success, error).
    Panel {
        /// ADF panel type, e.g. `info`.
        panel_type: String,
        /// The panel's text.
        text: String,
    },
    /// A quoted paragraph.
    Blockquote(String),
    /// A horizontal rule.
    Rule,
    /// The showcase of every ADF node and mark type ([`crate::rich`]), rendered from
    /// the issue key when served (not stored: it is large).
    Showcase {
        /// The key of the issue the showcase is rendered for.
        key: String,
    },
}

/// A compact Atlassian Document Format document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct AdfDoc {
    /// The top-level blocks, in order.
    pub blocks: Vec<Block>,
}

impl AdfDoc {
    /// A document of paragraphs from plain text (blank lines separate paragraphs).
    pub fn from_text(text: &str) -> AdfDoc {
        AdfDoc {
            blocks: text
                .split("\n\n")
                .filter(|p| !p.trim().is_empty())
                .map(|p| {
                    Block::Paragraph(vec![Inline::Text {
                        text: p.to_string(),
                        marks: vec![],
                    }])
                })
                .collect(),
        }
    }

    /// Plain text of the document: blocks separated by blank lines, list items by newlines.
    pub fn plain_text(&self) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            match b {
                Block::Paragraph(inlines) => {
                    let mut s = String::new();
                    for i in inlines {
                        match i {
                            Inline::Text { text, .. } => s.push_str(text),
                            Inline::Mention { text, .. } => s.push_str(text),
                            Inline::HardBreak => s.push('\n'),
                        }
                    }
                    parts.push(s);
                }
                Block::Heading { text, .. }
                | Block::CodeBlock { text, .. }
                | Block::Panel { text, .. }
                | Block::Blockquote(text) => parts.push(text.clone()),
                Block::BulletList(items) | Block::OrderedList(items) => {
                    parts.push(items.join("\n"))
                }
                Block::Rule => {}
                Block::Showcase { key } => parts.push(crate::rich::showcase(key).1),
            }
        }
        parts.join("\n\n")
    }
}

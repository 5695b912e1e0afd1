//! The ADF writer: a compact [`AdfDoc`] written as Atlassian Document Format JSON
//! (`{type:"doc", version:1, content:[…]}`), node by node.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};

use crate::model::{AdfDoc, Block, Inline, Mark};

/// An ADF document (`{type:"doc", version:1, content:[…]}`).
pub struct Adf<'a>(pub &'a AdfDoc);

impl AdfDoc {
    /// Renders the document as ADF JSON (`{type:"doc", version:1, content:[…]}`), as
    /// the server writes it ([`Adf`]).
    pub fn to_adf(&self) -> Value {
        serde_json::to_value(Adf(self)).unwrap_or(Value::Null)
    }
}

impl Serialize for Adf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("type", "doc")?;
        m.serialize_entry("version", &1)?;
        m.serialize_entry("content", &Blocks(&self.0.blocks))?;
        m.end()
    }
}

struct Blocks<'a>(&'a [Block]);

impl Serialize for Blocks<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for b in self.0 {
            match b {
                // The showcase renders as several top-level nodes.
                Block::Showcase { key } => {
                    for node in crate::rich::showcase(key).0 {
                        seq.serialize_element(&node)?;
                    }
                }
                other => seq.serialize_element(&BlockNode(other))?,
            }
        }
        seq.end()
    }
}

/// A node `{type, attrs?, content?}`.
fn node<S: Serializer, A: Serialize, C: Serialize>(
    s: S,
    type_: &str,
    attrs: Option<A>,
    content: Option<C>,
) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(None)?;
    m.serialize_entry("type", type_)?;
    if let Some(a) = attrs {
        m.serialize_entry("attrs", &a)?;
    }
    if let Some(c) = content {
        m.serialize_entry("content", &c)?;
    }
    m.end()
}

/// No attributes.
const NO_ATTRS: Option<()> = None;

struct BlockNode<'a>(&'a Block);

impl Serialize for BlockNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Block::Paragraph(inlines) => {
                let c: Vec<InlineNode> = inlines.iter().map(InlineNode).collect();
                node(s, "paragraph", NO_ATTRS, Some(c))
            }
            Block::Heading { level, text } => node(
                s,
                "heading",
                Some(json!({ "level": level })),
                Some([TextNode(text, &[])]),
            ),
            Block::BulletList(items) => node(s, "bulletList", NO_ATTRS, Some(ListItems(items))),
            Block::OrderedList(items) => node(
                s,
                "orderedList",
                Some(json!({ "order": 1 })),
                Some(ListItems(items)),
            ),
            Block::CodeBlock { language, text } => node(
                s,
                "codeBlock",
                Some(json!({ "language": language })),
                Some([TextNode(text, &[])]),
            ),
            Block::Panel { panel_type, text } => node(
                s,
                "panel",
                Some(json!({ "panelType": panel_type })),
                Some([Paragraph(text)]),
            ),
            Block::Blockquote(text) => node(s, "blockquote", NO_ATTRS, Some([Paragraph(text)])),
            Block::Rule => node(s, "rule", NO_ATTRS, None::<()>),
            Block::Showcase { .. } => s.serialize_unit(),
        }
    }
}

/// `{type:"text", text, marks?}`.
struct TextNode<'a>(&'a str, &'a [Mark]);

impl Serialize for TextNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", "text")?;
        m.serialize_entry("text", self.0)?;
        if !self.1.is_empty() {
            let marks: Vec<MarkNode> = self.1.iter().map(MarkNode).collect();
            m.serialize_entry("marks", &marks)?;
        }
        m.end()
    }
}

struct MarkNode<'a>(&'a Mark);

impl Serialize for MarkNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let type_ = match self.0 {
            Mark::Strong => "strong",
            Mark::Em => "em",
            Mark::Code => "code",
            Mark::Strike => "strike",
            Mark::Underline => "underline",
            Mark::Link(href) => {
                return node(s, "link", Some(json!({ "href": href })), None::<()>);
            }
        };
        node(s, type_, NO_ATTRS, None::<()>)
    }
}

struct InlineNode<'a>(&'a Inline);

impl Serialize for InlineNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Inline::Text { text, marks } => TextNode(text, marks).serialize(s),
            Inline::Mention { account_id, text } => node(
                s,
                "mention",
                Some(json!({ "id": account_id, "text": text })),
                None::<()>,
            ),
            Inline::HardBreak => node(s, "hardBreak", NO_ATTRS, None::<()>),
        }
    }
}

/// A paragraph of one text (empty content for an empty text).
struct Paragraph<'a>(&'a str);

impl Serialize for Paragraph<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            node(s, "paragraph", NO_ATTRS, Some([(); 0]))
        } else {
            node(s, "paragraph", NO_ATTRS, Some([TextNode(self.0, &[])]))
        }
    }
}

struct ListItems<'a>(&'a [String]);

impl Serialize for ListItems<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&ListItem(item))?;
        }
        seq.end()
    }
}

struct ListItem<'a>(&'a str);

impl Serialize for ListItem<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        node(s, "listItem", NO_ATTRS, Some([Paragraph(self.0)]))
    }
}

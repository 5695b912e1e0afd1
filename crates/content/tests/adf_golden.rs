//! Golden tests of ADF → Markdown: one sample per node and mark family, each checked
//! against Atlassian's ADF JSON Schema (so the samples are real ADF) and snapshotted
//! with `insta` (`tests/snapshots/`). A coverage test asserts that together the samples
//! use every node and mark type the schema defines.
//!
//! Review a changed rendering with `cargo insta review` (or `INSTA_UPDATE=always`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use content::adf_to_markdown;
use serde_json::{Value, json};

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

fn marked(t: &str, marks: Value) -> Value {
    json!({"type": "text", "text": t, "marks": marks})
}

fn para(content: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": content})
}

fn doc(content: Vec<Value>) -> Value {
    json!({"type": "doc", "version": 1, "content": content})
}

fn item(content: Vec<Value>) -> Value {
    json!({"type": "listItem", "content": content})
}

/// The samples: (snapshot name, ADF document). Every one but `unknown_nodes` is valid
/// against the schema.
fn samples() -> Vec<(&'static str, Value)> {
    vec![
        (
            "headings",
            doc((1..=6)
                .map(|l| json!({"type": "heading", "attrs": {"level": l}, "content": [text(&format!("Level {l}"))]}))
                .collect()),
        ),
        (
            "inline_marks",
            doc(vec![para(vec![
                marked("bold", json!([{"type": "strong"}])),
                text(" "),
                marked("italic", json!([{"type": "em"}])),
                text(" "),
                marked("cargo build", json!([{"type": "code"}])),
                text(" "),
                marked("the docs", json!([{"type": "link", "attrs": {"href": "https://example.com/docs", "title": "Docs"}}])),
                text(" "),
                marked("removed", json!([{"type": "strike"}])),
                text(" "),
                marked("underlined", json!([{"type": "underline"}])),
                text(" H"),
                marked("2", json!([{"type": "subsup", "attrs": {"type": "sub"}}])),
                text("O x"),
                marked("2", json!([{"type": "subsup", "attrs": {"type": "sup"}}])),
                text(" "),
                marked("bold italic link", json!([{"type": "strong"}, {"type": "em"}, {"type": "link", "attrs": {"href": "https://example.com"}}])),
            ])]),
        ),
        (
            "decorative_marks",
            doc(vec![
                json!({"type": "paragraph", "marks": [{"type": "alignment", "attrs": {"align": "center"}}], "content": [
                    marked("red", json!([{"type": "textColor", "attrs": {"color": "#ff0000"}}])),
                    text(" "),
                    marked("highlighted", json!([{"type": "backgroundColor", "attrs": {"color": "#ffff00"}}])),
                    text(" "),
                    marked("annotated", json!([{"type": "annotation", "attrs": {"id": "a1", "annotationType": "inlineComment"}}])),
                ]}),
                json!({"type": "paragraph", "marks": [{"type": "indentation", "attrs": {"level": 2}}], "content": [text("Indented twice")]}),
                json!({"type": "paragraph", "marks": [{"type": "fontSize", "attrs": {"fontSize": "small"}}], "content": [text("Small print")]}),
                json!({"type": "codeBlock", "marks": [{"type": "breakout", "attrs": {"mode": "wide"}}], "content": [text("wide code")]}),
            ]),
        ),
        (
            "nested_lists",
            doc(vec![
                json!({"type": "bulletList", "content": [
                    item(vec![para(vec![text("Fruit")]),
                        json!({"type": "orderedList", "attrs": {"order": 3}, "content": [
                            item(vec![para(vec![text("Apple")])]),
                            item(vec![para(vec![text("Pear")]),
                                json!({"type": "bulletList", "content": [item(vec![para(vec![text("Conference pear")])])]})]),
                        ]})]),
                    item(vec![para(vec![text("Vegetables")])]),
                ]}),
            ]),
        ),
        (
            "task_lists",
            doc(vec![json!({"type": "taskList", "attrs": {"localId": "tl"}, "content": [
                {"type": "taskItem", "attrs": {"localId": "t1", "state": "DONE"}, "content": [text("Write the runbook")]},
                {"type": "taskItem", "attrs": {"localId": "t2", "state": "TODO"}, "content": [text("Review it with "), {"type": "mention", "attrs": {"id": "5b10a2844c20165700ede21g", "text": "@Grace Hopper"}}]},
                {"type": "taskList", "attrs": {"localId": "tl2"}, "content": [
                    {"type": "taskItem", "attrs": {"localId": "t3", "state": "TODO"}, "content": [text("Nested task")]}
                ]},
                {"type": "blockTaskItem", "attrs": {"localId": "t4", "state": "TODO"}, "content": [para(vec![text("Block task with a paragraph")])]},
            ]})]),
        ),
        (
            "decision_list",
            doc(vec![json!({"type": "decisionList", "attrs": {"localId": "dl"}, "content": [
                {"type": "decisionItem", "attrs": {"localId": "d1", "state": "DECIDED"}, "content": [text("Ship on Tuesday")]},
                {"type": "decisionItem", "attrs": {"localId": "d2", "state": "DECIDED"}, "content": [text("Roll back on error")]},
            ]})]),
        ),
        (
            "code_blocks",
            doc(vec![
                json!({"type": "codeBlock", "attrs": {"language": "rust"}, "content": [text("fn main() {\n    println!(\"hi\");\n}")]}),
                json!({"type": "codeBlock", "content": [text("plain ``` fence inside")]}),
                json!({"type": "codeBlock", "attrs": {"language": "sql"}}),
            ]),
        ),
        (
            "table",
            doc(vec![json!({"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default"},
                "marks": [{"type": "fragment", "attrs": {"localId": "frag-1", "name": "Owners"}}], "content": [
                {"type": "tableRow", "content": [
                    {"type": "tableHeader", "attrs": {}, "content": [para(vec![text("Service")])]},
                    {"type": "tableHeader", "attrs": {}, "content": [para(vec![text("Owner")])]},
                    {"type": "tableHeader", "attrs": {}, "content": [para(vec![text("Notes")])]},
                ]},
                {"type": "tableRow", "content": [
                    {"type": "tableCell", "attrs": {}, "content": [para(vec![marked("auth", json!([{"type": "code"}]))])]},
                    {"type": "tableCell", "attrs": {"colspan": 2}, "content": [para(vec![text("Platform | on call")])]},
                ]},
                {"type": "tableRow", "content": [
                    {"type": "tableCell", "attrs": {}, "content": [para(vec![text("billing")])]},
                    {"type": "tableCell", "attrs": {}, "content": [para(vec![text("Payments")])]},
                    {"type": "tableCell", "attrs": {}, "content": [
                        json!({"type": "bulletList", "content": [item(vec![para(vec![text("two lines")])])]}),
                        json!({"type": "nestedExpand", "attrs": {"title": "More"}, "content": [para(vec![text("Hidden detail")])]}),
                    ]},
                ]},
            ]})]),
        ),
        (
            "panels",
            doc(["info", "note", "tip", "warning", "error", "success", "custom"]
                .iter()
                .map(|k| json!({"type": "panel", "attrs": {"panelType": k}, "content": [para(vec![text(&format!("A {k} panel"))])]}))
                .collect()),
        ),
        (
            "quote_rule_expand",
            doc(vec![
                json!({"type": "blockquote", "content": [para(vec![text("Quoted line one")]), para(vec![text("Quoted line two")])]}),
                json!({"type": "rule"}),
                json!({"type": "expand", "attrs": {"title": "Logs"}, "content": [
                    json!({"type": "codeBlock", "attrs": {"language": "text"}, "content": [text("ERROR timeout after 30s")]}),
                ]}),
                json!({"type": "expand", "attrs": {}, "content": [para(vec![text("Untitled expand")])]}),
            ]),
        ),
        (
            "inline_nodes",
            doc(vec![para(vec![
                json!({"type": "mention", "attrs": {"id": "5b10ac8d82e05b22cc7d4ef5", "text": "@Ada Lovelace"}}),
                text(" set "),
                json!({"type": "status", "attrs": {"text": "In review", "color": "blue", "localId": "s1"}}),
                text(" "),
                json!({"type": "emoji", "attrs": {"shortName": ":rocket:", "id": "1f680", "text": "🚀"}}),
                json!({"type": "emoji", "attrs": {"shortName": ":partyparrot:"}}),
                text(" due "),
                json!({"type": "date", "attrs": {"timestamp": "1767225600000"}}),
                json!({"type": "hardBreak"}),
                text("see "),
                json!({"type": "inlineCard", "attrs": {"url": "https://example.atlassian.net/browse/ENG-42"}}),
                text(" "),
                json!({"type": "placeholder", "attrs": {"text": "Type here"}}),
            ])]),
        ),
        (
            "cards",
            doc(vec![
                json!({"type": "blockCard", "attrs": {"url": "https://example.com/design"}}),
                json!({"type": "embedCard", "attrs": {"url": "https://example.com/video", "layout": "center"}}),
            ]),
        ),
        (
            "media",
            doc(vec![
                json!({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
                    {"type": "media", "attrs": {"id": "f1", "type": "file", "collection": "c", "alt": "architecture.png"},
                     "marks": [{"type": "border", "attrs": {"size": 2, "color": "#091e4224"}}]},
                    {"type": "caption", "content": [text("The architecture")]},
                ]}),
                json!({"type": "mediaGroup", "content": [
                    {"type": "media", "attrs": {"id": "f2", "type": "file", "collection": "c"}},
                    {"type": "media", "attrs": {"type": "external", "url": "https://example.com/x.png"}},
                ]}),
                para(vec![text("inline "), json!({"type": "mediaInline", "attrs": {"id": "f3", "type": "file", "collection": "c", "alt": "log.txt"}})]),
            ]),
        ),
        (
            "layout",
            doc(vec![json!({"type": "layoutSection", "content": [
                {"type": "layoutColumn", "attrs": {"width": 50}, "content": [para(vec![text("Left column")])]},
                {"type": "layoutColumn", "attrs": {"width": 50}, "content": [para(vec![text("Right column")])]},
            ]})]),
        ),
        (
            "extensions",
            doc(vec![
                json!({"type": "extension", "attrs": {"extensionType": "com.atlassian.macro", "extensionKey": "toc", "text": "Table of contents"},
                    "marks": [{"type": "dataConsumer", "attrs": {"sources": ["src-1"]}}]}),
                json!({"type": "bodiedExtension", "attrs": {"extensionType": "com.atlassian.macro", "extensionKey": "details"}, "content": [para(vec![text("Inside a bodied extension")])]}),
                para(vec![text("inline "), json!({"type": "inlineExtension", "attrs": {"extensionType": "com.atlassian.macro", "extensionKey": "jira-issue"}})]),
            ]),
        ),
        (
            "sync_blocks",
            doc(vec![
                json!({"type": "syncBlock", "attrs": {"resourceId": "r1", "localId": "l1"}}),
                json!({"type": "bodiedSyncBlock", "attrs": {"resourceId": "r2", "localId": "l2"}, "content": [para(vec![text("Synced paragraph")])]}),
            ]),
        ),
        (
            "unknown_nodes",
            doc(vec![
                json!({"type": "futureWidget", "content": [para(vec![text("text inside an unknown block")])]}),
                para(vec![text("before "), json!({"type": "futureInline", "text": "unknown inline text"}), text(" after")]),
                json!({"type": "paragraph", "content": "not an array"}),
                json!(42),
            ]),
        ),
    ]
}

fn schema() -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/adf-schema-v1-full.json");
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t).ok(),
        Err(e) => {
            eprintln!(
                "skipping schema checks: cannot read {}: {e}",
                path.display()
            );
            None
        }
    }
}

fn collect_types(v: &Value, nodes: &mut BTreeSet<String>, marks: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(t)) = m.get("type") {
                nodes.insert(t.clone());
            }
            if let Some(Value::Array(ms)) = m.get("marks") {
                for mk in ms {
                    if let Some(t) = mk.get("type").and_then(Value::as_str) {
                        marks.insert(t.to_string());
                    }
                }
            }
            for (k, x) in m {
                if k != "marks" && k != "attrs" {
                    collect_types(x, nodes, marks);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_types(x, nodes, marks)),
        _ => {}
    }
}

#[test]
fn golden_markdown() {
    for (name, adf) in samples() {
        insta::assert_snapshot!(name, adf_to_markdown(&adf));
    }
}

#[test]
fn simulator_showcase_golden() {
    let (blocks, _) = jira_sim::rich::showcase("SIM-1");
    insta::assert_snapshot!("simulator_showcase", adf_to_markdown(&doc(blocks)));
}

#[test]
fn samples_are_valid_adf() {
    let Some(schema) = schema() else { return };
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(&schema)
        .expect("ADF schema compiles");
    for (name, adf) in samples() {
        if name == "unknown_nodes" {
            assert!(!validator.is_valid(&adf), "unknown_nodes must not be ADF");
            continue;
        }
        let errs: Vec<String> = validator
            .iter_errors(&adf)
            .take(5)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errs.is_empty(), "{name}:\n{}", errs.join("\n"));
    }
}

/// Every node and mark type in the schema appears in some sample.
#[test]
fn samples_cover_every_schema_type() {
    let Some(schema) = schema() else { return };
    let mut schema_types = BTreeSet::new();
    let defs = schema["definitions"].as_object().expect("definitions");
    for def in defs.values() {
        let mut parts = vec![def];
        if let Some(all) = def.get("allOf").and_then(Value::as_array) {
            parts.extend(all.iter());
        }
        for p in parts {
            if let Some(e) = p.pointer("/properties/type/enum").and_then(Value::as_array) {
                schema_types.extend(e.iter().filter_map(Value::as_str).map(str::to_string));
            }
        }
    }
    assert!(schema_types.len() > 50, "schema types: {schema_types:?}");
    let (mut nodes, mut marks) = (BTreeSet::new(), BTreeSet::new());
    for (_, adf) in samples() {
        collect_types(&adf, &mut nodes, &mut marks);
    }
    let used: BTreeSet<String> = nodes.union(&marks).cloned().collect();
    let missing: Vec<&String> = schema_types.difference(&used).collect();
    assert!(missing.is_empty(), "no sample uses {missing:?}");
}

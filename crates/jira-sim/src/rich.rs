//! A block of ADF that uses every node and mark type Jira documents (tables, task and
//! decision lists, expands, media, cards, layouts, extensions, status, dates, emoji,
//! nested lists, every mark), appended to some generated descriptions so that a
//! connector's ADF handling meets all of it. Deterministic.
//! Validated against Atlassian's ADF JSON Schema in `tests/jira_sim/schemas.rs`.

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

/// The showcase blocks for one issue, and their plain text (what a reader sees).
/// Built once; local ids need only be unique within one document.
pub fn showcase(_key: &str) -> (Vec<Value>, String) {
    static TEMPLATE: std::sync::OnceLock<(Vec<Value>, String)> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| build("sim")).clone()
}

fn build(key: &str) -> (Vec<Value>, String) {
    let lower = key.to_lowercase();
    let blocks = vec![
        json!({"type": "heading", "attrs": {"level": 2}, "content": [text("Release checklist")]}),
        json!({"type": "heading", "attrs": {"level": 5}, "content": [text("Owners")]}),
        json!({"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default"}, "content": [
            {"type": "tableRow", "content": [
                {"type": "tableHeader", "attrs": {}, "content": [para(vec![text("Step")])]},
                {"type": "tableHeader", "attrs": {}, "content": [para(vec![text("Owner")])]}
            ]},
            {"type": "tableRow", "content": [
                {"type": "tableCell", "attrs": {"colspan": 1, "rowspan": 1}, "content": [para(vec![text("Canary rollout")])]},
                {"type": "tableCell", "attrs": {}, "content": [para(vec![text("Platform team")])]}
            ]}
        ]}),
        json!({"type": "taskList", "attrs": {"localId": format!("tl-{lower}")}, "content": [
            {"type": "taskItem", "attrs": {"localId": format!("ti1-{lower}"), "state": "DONE"}, "content": [text("Backup verified")]},
            {"type": "taskItem", "attrs": {"localId": format!("ti2-{lower}"), "state": "TODO"}, "content": [text("Notify support")]}
        ]}),
        json!({"type": "decisionList", "attrs": {"localId": format!("dl-{lower}")}, "content": [
            {"type": "decisionItem", "attrs": {"localId": format!("di-{lower}"), "state": "DECIDED"}, "content": [text("Ship behind a flag")]}
        ]}),
        json!({"type": "bulletList", "content": [
            {"type": "listItem", "content": [
                para(vec![text("Outer point")]),
                {"type": "bulletList", "content": [
                    {"type": "listItem", "content": [
                        para(vec![text("Inner point")]),
                        {"type": "orderedList", "attrs": {"order": 3}, "content": [
                            {"type": "listItem", "content": [para(vec![text("Deepest step")])]}
                        ]}
                    ]}
                ]}
            ]}
        ]}),
        json!({"type": "expand", "attrs": {"title": "Rollback plan"}, "content": [
            para(vec![text("Revert the flag and redeploy.")]),
            {"type": "nestedExpand", "attrs": {"title": "Database"}, "content": [para(vec![text("Restore the snapshot.")])]}
        ]}),
        json!({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
            {"type": "media", "attrs": {"id": format!("m1-{lower}"), "type": "file", "collection": "jira-issue", "alt": "architecture-diagram.png"}}
        ]}),
        json!({"type": "mediaGroup", "content": [
            {"type": "media", "attrs": {"id": format!("m2-{lower}"), "type": "file", "collection": "jira-issue"}}
        ]}),
        json!({"type": "blockCard", "attrs": {"url": "https://status.example.com/incidents/42"}}),
        json!({"type": "embedCard", "attrs": {"url": "https://docs.example.com/runbook", "layout": "center"}}),
        json!({"type": "layoutSection", "content": [
            {"type": "layoutColumn", "attrs": {"width": 50}, "content": [para(vec![text("Left column")])]},
            {"type": "layoutColumn", "attrs": {"width": 50}, "content": [para(vec![text("Right column")])]}
        ]}),
        json!({"type": "bodiedExtension", "attrs": {"extensionType": "com.example.macro", "extensionKey": "note"}, "content": [
            para(vec![text("Macro body")])
        ]}),
        json!({"type": "extension", "attrs": {"extensionType": "com.example.macro", "extensionKey": "toc"}}),
        para(vec![
            text("Status "),
            json!({"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue"}}),
            text(" due "),
            json!({"type": "date", "attrs": {"timestamp": "1767225600000"}}),
            text(" "),
            json!({"type": "emoji", "attrs": {"shortName": ":rocket:", "text": "🚀"}}),
            text(" see "),
            json!({"type": "inlineCard", "attrs": {"url": "https://wiki.example.com/release"}}),
            text(" and "),
            json!({"type": "mediaInline", "attrs": {"id": format!("m3-{lower}"), "type": "file", "collection": "jira-issue"}}),
            json!({"type": "inlineExtension", "attrs": {"extensionType": "com.example.macro", "extensionKey": "badge"}}),
            json!({"type": "placeholder", "attrs": {"text": "Type here"}}),
        ]),
        para(vec![
            marked("bold", json!([{"type": "strong"}])),
            text(" "),
            marked("italic", json!([{"type": "em"}])),
            text(" "),
            marked("gone", json!([{"type": "strike"}])),
            text(" "),
            marked("underlined", json!([{"type": "underline"}])),
            text(" H"),
            marked("2", json!([{"type": "subsup", "attrs": {"type": "sub"}}])),
            text("O x"),
            marked("2", json!([{"type": "subsup", "attrs": {"type": "sup"}}])),
            text(" "),
            marked(
                "red",
                json!([{"type": "textColor", "attrs": {"color": "#ff5630"}}]),
            ),
            text(" "),
            marked(
                "highlighted",
                json!([{"type": "backgroundColor", "attrs": {"color": "#fedec8"}}]),
            ),
            text(" "),
            marked("run_release()", json!([{"type": "code"}])),
            text(" "),
            marked(
                "runbook",
                json!([{"type": "link", "attrs": {"href": "https://docs.example.com/runbook"}}]),
            ),
            json!({"type": "hardBreak"}),
            text("End of checklist."),
        ]),
    ];
    let plain = "Release checklist\n\nOwners\n\nStep Owner Canary rollout Platform team\n\nBackup verified\nNotify support\n\nShip behind a flag\n\nOuter point\nInner point\nDeepest step\n\nRollback plan Revert the flag and redeploy. Database Restore the snapshot.\n\nLeft column Right column\n\nMacro body\n\nStatus IN REVIEW due 2026-01-01 see https://wiki.example.com/release and\n\nbold italic gone underlined H2O x2 red highlighted run_release() runbook\nEnd of checklist.".to_string();
    (blocks, plain)
}

//! Atlassian Document Format (ADF) → Markdown. Keeps structure (headings, lists,
//! tables, code, panels, quotes) and inline meaning (marks, mentions, links, dates)
//! so that search and language models see what people see in Jira. Never panics:
//! unknown nodes give their text, a depth limit stops runaway nesting, garbage gives
//! an empty string.

use serde_json::Value;

/// Deepest nesting rendered; deeper content is flattened to its text.
pub const MAX_DEPTH: usize = 64;

/// Converts an ADF document to Markdown.
pub fn adf_to_markdown(doc: &Value) -> String {
    let mut out = String::new();
    match doc {
        Value::Object(_) => block(doc, 0, "", &mut out),
        Value::Array(items) => {
            for item in items {
                block(item, 0, "", &mut out);
            }
        }
        Value::String(s) => out.push_str(s),
        _ => {}
    }
    tidy(&out)
}

fn node_type(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

fn attr<'a>(node: &'a Value, name: &str) -> Option<&'a Value> {
    node.get("attrs").and_then(|a| a.get(name))
}

fn attr_str<'a>(node: &'a Value, name: &str) -> Option<&'a str> {
    attr(node, name).and_then(Value::as_str)
}

fn children(node: &Value) -> &[Value] {
    node.get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Renders a block node, each line prefixed with `indent` (for lists and quotes).
fn block(node: &Value, depth: usize, indent: &str, out: &mut String) {
    if depth > MAX_DEPTH {
        let mut text = String::new();
        plain_text(node, &mut text, 0);
        push_para(out, indent, &text);
        return;
    }
    let kids = children(node);
    match node_type(node) {
        "doc"
        | "layoutSection"
        | "layoutColumn"
        | "bodiedExtension"
        | "multiBodiedExtension"
        | "extensionFrame"
        | "mediaSingle"
        | "mediaGroup"
        | "syncBlock"
        | "bodiedSyncBlock" => {
            for k in kids {
                block(k, depth + 1, indent, out);
            }
        }
        "paragraph" => push_para(out, indent, &inlines(kids, depth)),
        "heading" => {
            let level = attr(node, "level")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 6);
            let text = inlines(kids, depth);
            push_para(
                out,
                indent,
                &format!("{} {}", "#".repeat(level as usize), text.trim()),
            );
        }
        "bulletList" | "orderedList" | "taskList" | "decisionList" => {
            let ordered = node_type(node) == "orderedList";
            let mut n = attr(node, "order").and_then(Value::as_u64).unwrap_or(1);
            let mut lines = String::new();
            for item in kids {
                let marker = match node_type(item) {
                    "taskItem" | "blockTaskItem" => {
                        if attr_str(item, "state") == Some("DONE") {
                            "- [x] ".to_string()
                        } else {
                            "- [ ] ".to_string()
                        }
                    }
                    "decisionItem" => "- [decision] ".to_string(),
                    "taskList" | "bulletList" | "orderedList" => {
                        // nested list directly inside a list (task lists do this)
                        let mut nested = String::new();
                        block(item, depth + 1, &format!("{indent}  "), &mut nested);
                        lines.push_str(nested.trim_matches('\n'));
                        lines.push('\n');
                        continue;
                    }
                    _ if ordered => {
                        let m = format!("{n}. ");
                        n += 1;
                        m
                    }
                    _ => "- ".to_string(),
                };
                let mut item_out = String::new();
                let item_indent = format!("{indent}{}", " ".repeat(marker.len()));
                if matches!(node_type(item), "taskItem" | "decisionItem") {
                    item_out.push_str(&inlines(children(item), depth + 1));
                } else {
                    for k in children(item) {
                        block(k, depth + 1, &item_indent, &mut item_out);
                    }
                }
                let body = item_out.trim_matches('\n');
                let body = body.strip_prefix(item_indent.as_str()).unwrap_or(body);
                lines.push_str(&format!("{indent}{marker}{body}\n"));
            }
            push_raw(out, &lines);
        }
        "listItem" | "taskItem" | "blockTaskItem" | "decisionItem" => {
            for k in kids {
                block(k, depth + 1, indent, out);
            }
            if kids.iter().all(is_inline) {
                push_para(out, indent, &inlines(kids, depth));
            }
        }
        "codeBlock" => {
            let lang = attr_str(node, "language").unwrap_or("");
            let mut text = String::new();
            for k in kids {
                plain_text(k, &mut text, depth + 1);
            }
            let body: String = text.lines().map(|l| format!("{indent}{l}\n")).collect();
            let fence = "`".repeat(longest_backtick_run(&text).max(2) + 1);
            push_raw(
                out,
                &format!("{indent}{fence}{lang}\n{body}{indent}{fence}\n"),
            );
        }
        "blockquote" => {
            let mut inner = String::new();
            for k in kids {
                block(k, depth + 1, "", &mut inner);
            }
            push_raw(out, &quote(&tidy(&inner), indent, None));
        }
        "panel" => {
            let kind = attr_str(node, "panelType").unwrap_or("info");
            let mut inner = String::new();
            for k in kids {
                block(k, depth + 1, "", &mut inner);
            }
            let label = format!("**{}{}:** ", kind[..1].to_uppercase(), &kind[1..]);
            push_raw(out, &quote(&tidy(&inner), indent, Some(&label)));
        }
        "rule" => push_para(out, indent, "---"),
        "expand" | "nestedExpand" => {
            let title = attr_str(node, "title").unwrap_or("Details");
            push_para(out, indent, &format!("**{title}**"));
            for k in kids {
                block(k, depth + 1, indent, out);
            }
        }
        "table" => push_raw(out, &table(node, depth, indent)),
        "blockCard" | "embedCard" => {
            let url = attr_str(node, "url").unwrap_or("");
            push_para(out, indent, &format!("<{url}>"));
        }
        "media" | "mediaInline" => push_para(out, indent, &media(node)),
        "extension" | "inlineExtension" => {
            let key = attr_str(node, "extensionKey").unwrap_or("extension");
            let mut text = String::new();
            plain_text(node, &mut text, depth + 1);
            push_para(out, indent, &format!("[{key}] {text}"));
        }
        _ if is_inline(node) => push_para(out, indent, &inlines(std::slice::from_ref(node), depth)),
        _ => {
            // Unknown block: its text, never nothing.
            if kids.iter().all(is_inline) {
                push_para(out, indent, &inlines(kids, depth));
            } else {
                for k in kids {
                    block(k, depth + 1, indent, out);
                }
            }
            if kids.is_empty()
                && let Some(t) = node.get("text").and_then(Value::as_str)
            {
                push_para(out, indent, t);
            }
        }
    }
}

fn is_inline(node: &Value) -> bool {
    matches!(
        node_type(node),
        "text"
            | "hardBreak"
            | "mention"
            | "emoji"
            | "inlineCard"
            | "status"
            | "date"
            | "mediaInline"
            | "placeholder"
            | "inlineExtension"
    )
}

fn quote(text: &str, indent: &str, label: Option<&str>) -> String {
    let mut s = String::new();
    for (i, line) in text.lines().enumerate() {
        let lead = if i == 0 { label.unwrap_or("") } else { "" };
        if line.is_empty() {
            s.push_str(&format!("{indent}>\n"));
        } else {
            s.push_str(&format!("{indent}> {lead}{line}\n"));
        }
    }
    if s.is_empty() {
        s = format!("{indent}> {}\n", label.unwrap_or(""));
    }
    s
}

/// Longest run of backticks in `s`, so a code fence can be made longer than it.
fn longest_backtick_run(s: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// Most columns one cell may span; hostile input cannot blow the output up.
const MAX_COLSPAN: u64 = 64;

fn table(node: &Value, depth: usize, indent: &str) -> String {
    let rows: Vec<Vec<String>> = children(node)
        .iter()
        .map(|row| {
            let mut cells = Vec::new();
            for cell in children(row) {
                let mut inner = String::new();
                for k in children(cell) {
                    block(k, depth + 2, "", &mut inner);
                }
                let text = inner.split_whitespace().collect::<Vec<_>>().join(" ");
                cells.push(text.replace('|', "\\|"));
                let span = attr(cell, "colspan").and_then(Value::as_u64).unwrap_or(1);
                for _ in 1..span.clamp(1, MAX_COLSPAN) {
                    cells.push(String::new());
                }
            }
            cells
        })
        .collect();
    let width = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    if width == 0 {
        return String::new();
    }
    let mut s = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut cells = row.clone();
        cells.resize(width, String::new());
        s.push_str(&format!("{indent}| {} |\n", cells.join(" | ")));
        if i == 0 {
            s.push_str(&format!("{indent}|{}\n", " --- |".repeat(width)));
        }
    }
    s
}

fn media(node: &Value) -> String {
    let name = attr_str(node, "alt")
        .filter(|s| !s.is_empty())
        .or_else(|| attr_str(node, "id"))
        .or_else(|| attr_str(node, "url"))
        .unwrap_or("file");
    format!("[media: {name}]")
}

fn inlines(nodes: &[Value], depth: usize) -> String {
    let mut s = String::new();
    for n in nodes {
        inline(n, depth + 1, &mut s);
    }
    s
}

fn inline(node: &Value, depth: usize, out: &mut String) {
    if depth > MAX_DEPTH {
        plain_text(node, out, 0);
        return;
    }
    match node_type(node) {
        "text" => {
            let text = node.get("text").and_then(Value::as_str).unwrap_or("");
            out.push_str(&marked(text, node.get("marks")));
        }
        "hardBreak" => out.push('\n'),
        "mention" => {
            let t = attr_str(node, "text").unwrap_or("someone");
            if t.starts_with('@') {
                out.push_str(t)
            } else {
                out.push_str(&format!("@{t}"))
            }
        }
        "emoji" => out.push_str(
            attr_str(node, "text")
                .filter(|t| !t.is_empty())
                .or_else(|| attr_str(node, "shortName"))
                .unwrap_or(""),
        ),
        "inlineCard" => out.push_str(&format!("<{}>", attr_str(node, "url").unwrap_or(""))),
        "status" => out.push_str(&format!(
            "[{}]",
            attr_str(node, "text").unwrap_or("").to_uppercase()
        )),
        "date" => {
            let ts = attr(node, "timestamp").and_then(|v| match v {
                Value::String(s) => s.parse::<i64>().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            });
            out.push_str(&ts.map(iso_date).unwrap_or_default());
        }
        "mediaInline" => out.push_str(&media(node)),
        "placeholder" => out.push_str(attr_str(node, "text").unwrap_or("")),
        _ => plain_text(node, out, depth + 1),
    }
}

fn marked(text: &str, marks: Option<&Value>) -> String {
    let Some(marks) = marks.and_then(Value::as_array) else {
        return text.to_string();
    };
    let mut s = text.to_string();
    let mut link: Option<String> = None;
    for m in marks {
        match node_type(m) {
            "strong" => s = format!("**{s}**"),
            "em" => s = format!("_{s}_"),
            "code" => s = format!("`{s}`"),
            "strike" => s = format!("~~{s}~~"),
            "link" => link = attr_str(m, "href").map(str::to_string),
            _ => {} // underline, subsup, textColor, backgroundColor, ...: text as is
        }
    }
    match link {
        Some(href) => format!("[{s}]({href})"),
        None => s,
    }
}

/// All text below a node, in document order, for unknown nodes, code and content
/// nested deeper than `MAX_DEPTH`. Iterative: no depth can exhaust the stack.
fn plain_text(node: &Value, out: &mut String, _depth: usize) {
    let mut stack: Vec<&Value> = vec![node];
    while let Some(n) = stack.pop() {
        if let Some(t) = n.get("text").and_then(Value::as_str) {
            out.push_str(t);
        }
        match node_type(n) {
            "hardBreak" => out.push('\n'),
            "paragraph" | "heading" | "listItem" | "tableCell" | "tableHeader"
                if !out.is_empty() && !out.ends_with(char::is_whitespace) =>
            {
                out.push(' ');
            }
            _ => {}
        }
        stack.extend(children(n).iter().rev());
    }
}

fn push_para(out: &mut String, indent: &str, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    let lines: String = text.lines().map(|l| format!("{indent}{l}\n")).collect();
    push_raw(out, &lines);
}

fn push_raw(out: &mut String, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(text);
}

fn tidy(s: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in s.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
            out.push('\n');
        } else {
            blank = 0;
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.trim_matches('\n').to_string()
}

/// Epoch milliseconds → `yyyy-mm-dd` (UTC), without a clock crate.
fn iso_date(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // civil-from-days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(t: &str) -> Value {
        json!({"type": "text", "text": t})
    }
    fn para(content: Vec<Value>) -> Value {
        json!({"type": "paragraph", "content": content})
    }
    fn doc(content: Vec<Value>) -> Value {
        json!({"type": "doc", "version": 1, "content": content})
    }

    #[test]
    fn headings_paragraphs_and_marks() {
        let d = doc(vec![
            json!({"type":"heading","attrs":{"level":2},"content":[text("Plan")]}),
            para(vec![
                json!({"type":"text","text":"bold","marks":[{"type":"strong"}]}),
                text(" and "),
                json!({"type":"text","text":"site","marks":[{"type":"link","attrs":{"href":"https://x.example"}}]}),
                text(" "),
                json!({"type":"text","text":"x()","marks":[{"type":"code"}]}),
                json!({"type":"text","text":" gone","marks":[{"type":"strike"}]}),
                json!({"type":"text","text":" it","marks":[{"type":"em"},{"type":"underline"}]}),
            ]),
        ]);
        assert_eq!(
            adf_to_markdown(&d),
            "## Plan\n\n**bold** and [site](https://x.example) `x()`~~ gone~~_ it_"
        );
    }

    #[test]
    fn lists_nested_and_tasks() {
        let d = doc(vec![
            json!({"type":"bulletList","content":[
                {"type":"listItem","content":[para(vec![text("one")]),
                    {"type":"orderedList","attrs":{"order":3},"content":[
                        {"type":"listItem","content":[para(vec![text("three")])]},
                        {"type":"listItem","content":[para(vec![text("four")])]}]}]},
                {"type":"listItem","content":[para(vec![text("two")])]}]}),
            json!({"type":"taskList","attrs":{"localId":"a"},"content":[
                {"type":"taskItem","attrs":{"state":"DONE","localId":"b"},"content":[text("shipped")]},
                {"type":"taskItem","attrs":{"state":"TODO","localId":"c"},"content":[text("announce")]}]}),
        ]);
        let md = adf_to_markdown(&d);
        assert!(md.contains("- one"), "{md}");
        assert!(md.contains("  3. three"), "{md}");
        assert!(md.contains("  4. four"), "{md}");
        assert!(md.contains("- two"), "{md}");
        assert!(md.contains("- [x] shipped"), "{md}");
        assert!(md.contains("- [ ] announce"), "{md}");
    }

    #[test]
    fn code_panels_quotes_tables_and_inline_nodes() {
        let d = doc(vec![
            json!({"type":"codeBlock","attrs":{"language":"rust"},"content":[text("fn main() {}\nlet x = 1;")]}),
            json!({"type":"panel","attrs":{"panelType":"warning"},"content":[para(vec![text("Careful")])]}),
            json!({"type":"blockquote","content":[para(vec![text("quoted")])]}),
            json!({"type":"rule"}),
            json!({"type":"table","content":[
                {"type":"tableRow","content":[{"type":"tableHeader","content":[para(vec![text("Name")])]},{"type":"tableHeader","content":[para(vec![text("Value")])]}]},
                {"type":"tableRow","content":[{"type":"tableCell","content":[para(vec![text("a|b")])]},{"type":"tableCell","content":[para(vec![text("1")])]}]}]}),
            para(vec![
                json!({"type":"mention","attrs":{"id":"abc","text":"@Ana Lima"}}),
                text(" "),
                json!({"type":"emoji","attrs":{"shortName":":smile:","text":"😄"}}),
                text(" "),
                json!({"type":"status","attrs":{"text":"in progress","color":"blue"}}),
                text(" "),
                json!({"type":"date","attrs":{"timestamp":"1741046400000"}}),
                json!({"type":"hardBreak"}),
                json!({"type":"inlineCard","attrs":{"url":"https://jira.example/browse/ENG-1"}}),
            ]),
            json!({"type":"mediaSingle","content":[{"type":"media","attrs":{"id":"m1","type":"file","collection":"c","alt":"diagram.png"}}]}),
            json!({"type":"expand","attrs":{"title":"More"},"content":[para(vec![text("hidden detail")])]}),
            json!({"type":"blockCard","attrs":{"url":"https://example.com/doc"}}),
        ]);
        let md = adf_to_markdown(&d);
        for want in [
            "```rust\nfn main() {}\nlet x = 1;\n```",
            "> **Warning:** Careful",
            "> quoted",
            "---",
            "| Name | Value |",
            "| --- | --- |",
            "| a\\|b | 1 |",
            "@Ana Lima 😄 [IN PROGRESS] 2025-03-04\n<https://jira.example/browse/ENG-1>",
            "[media: diagram.png]",
            "**More**\n\nhidden detail",
            "<https://example.com/doc>",
        ] {
            assert!(md.contains(want), "missing {want:?} in:\n{md}");
        }
    }

    #[test]
    fn unknown_nodes_give_their_text_and_garbage_gives_nothing() {
        let d = doc(vec![
            json!({"type":"futureWidget","content":[para(vec![text("still here")])]}),
        ]);
        assert_eq!(adf_to_markdown(&d), "still here");
        assert_eq!(adf_to_markdown(&json!(42)), "");
        assert_eq!(adf_to_markdown(&json!(null)), "");
        assert_eq!(adf_to_markdown(&json!({"type": 5, "content": "x"})), "");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        const DEPTH: usize = 10_000;
        // serde_json's own recursion limit protects parsing; building the value in
        // code bypasses it, so the renderer must protect itself.
        let md = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(|| {
                let mut node = text("deep");
                for _ in 0..DEPTH {
                    // (not json!: it would serialize `node` again, recursively)
                    let mut m = serde_json::Map::new();
                    m.insert("type".into(), Value::String("blockquote".into()));
                    m.insert("content".into(), Value::Array(vec![node]));
                    node = Value::Object(m);
                }
                let mut m = serde_json::Map::new();
                m.insert("type".into(), Value::String("doc".into()));
                m.insert("content".into(), Value::Array(vec![node]));
                let d = Value::Object(m);
                let out = adf_to_markdown(&d);
                std::mem::forget(d); // dropping 10k nested values recurses too
                out
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(md.contains("deep"), "the deepest text is kept: {md:?}");
    }

    #[test]
    fn dates_are_iso() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(1_741_046_400_000), "2025-03-04");
        assert_eq!(iso_date(951_782_400_000), "2000-02-29");
    }
}

//! Building JQL safely: quoting values, and the incremental query of a project.
//!
//! Time clauses use epoch milliseconds: a quoted `"yyyy/MM/dd HH:mm"` is read in the API
//! user's time zone at minute precision, which loses updates.

/// Quotes a JQL value (`"…"`, with `\` and `"` escaped), e.g. a project key or a label.
///
/// ```
/// assert_eq!(jira_cloud::jql::quote("DEMO"), r#""DEMO""#);
/// assert_eq!(jira_cloud::jql::quote(r#"a"b\c"#), r#""a\"b\\c""#);
/// ```
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The issues of a project, updated at or after `since_ms` when given, in a stable
/// order for resumable walks: `project = "KEY" [AND updated >= <ms>] ORDER BY updated ASC, key ASC`.
///
/// ```
/// assert_eq!(
///     jira_cloud::jql::project_updated_since("DEMO", Some(1741107711123)),
///     r#"project = "DEMO" AND updated >= 1741107711123 ORDER BY updated ASC, key ASC"#
/// );
/// ```
pub fn project_updated_since(project_key: &str, since_ms: Option<i64>) -> String {
    let mut q = format!("project = {}", quote(project_key));
    if let Some(ms) = since_ms {
        q.push_str(&format!(" AND updated >= {ms}"));
    }
    q.push_str(" ORDER BY updated ASC, key ASC");
    q
}

/// `project in ("A", "B")`-style membership clause for many keys.
///
/// ```
/// assert_eq!(jira_cloud::jql::project_in(&["A", "B"]), r#"project in ("A", "B")"#);
/// ```
pub fn project_in<S: AsRef<str>>(keys: &[S]) -> String {
    let list: Vec<String> = keys.iter().map(|k| quote(k.as_ref())).collect();
    format!("project in ({})", list.join(", "))
}

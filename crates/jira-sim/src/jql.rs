//! The JQL subset the simulator understands, and `search/jql` page tokens.
//!
//! Supported: `project = A`, `project != A`, `project in (A, B)`, `project not in (…)`,
//! `key in (…)`, `id in (…)`, `key = X`, `id = N`, `parent = X`, `parent in (…)`,
//! `updated|created` with `>=, >, <=, <, =`
//! against epoch milliseconds or a quoted `"yyyy/MM/dd HH:mm"` / `"yyyy-MM-dd"` (read in
//! UTC, the connector account's time zone), clauses joined by `AND` and `OR` (AND binds
//! tighter) and grouped by parentheses, and
//! `ORDER BY updated|created|key|id [ASC|DESC], …`. Anything else is an error naming the
//! unsupported part. Issues of archived projects never match.

use crate::model::{Issue, Workspace};
use base64::Engine;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use std::cmp::Ordering;

/// A JQL query the simulator cannot run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JqlError {
    /// The query does not parse.
    #[error("Error in the JQL Query: {0}")]
    Syntax(String),
    /// The query uses JQL the simulator does not implement.
    #[error("The JQL feature '{0}' is not supported by the simulator.")]
    Unsupported(String),
    /// A value that names nothing (e.g. a project key that does not exist).
    #[error("The value '{value}' does not exist for the field '{field}'.")]
    UnknownValue {
        /// The field, e.g. `project`.
        field: String,
        /// The value given.
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    LParen,
    RParen,
    Comma,
    Op(String),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, JqlError> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '"' | '\'' => {
                let q = c;
                let mut j = i + 1;
                let mut v = String::new();
                while j < chars.len() && chars[j] != q {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        j += 1;
                    }
                    v.push(chars[j]);
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(JqlError::Syntax(format!(
                        "unterminated string starting at position {i}"
                    )));
                }
                out.push(Tok::Str(v));
                i = j + 1;
            }
            '=' | '!' | '<' | '>' | '~' => {
                let mut op = c.to_string();
                if i + 1 < chars.len() && chars[i + 1] == '=' {
                    op.push('=');
                    i += 1;
                }
                i += 1;
                out.push(Tok::Op(op));
            }
            _ => {
                let mut j = i;
                let mut v = String::new();
                while j < chars.len()
                    && !chars[j].is_whitespace()
                    && !"(),=!<>~\"'".contains(chars[j])
                {
                    v.push(chars[j]);
                    j += 1;
                }
                out.push(Tok::Word(v));
                i = j;
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

#[derive(Debug, Clone, PartialEq)]
enum Clause {
    Project {
        negate: bool,
        values: Vec<String>,
    },
    Key {
        values: Vec<String>,
    },
    Id {
        values: Vec<String>,
    },
    /// `parent = X` / `parent in (…)`: sub-tasks of the named issues (keys or ids).
    Parent {
        values: Vec<String>,
    },
    Time {
        field: TimeField,
        cmp: Cmp,
        at: DateTime<Utc>,
    },
    /// Every part holds.
    All(Vec<Clause>),
    /// Some part holds.
    Any(Vec<Clause>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeField {
    Created,
    Updated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortField {
    Created,
    Updated,
    Key,
    Id,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Jql {
    /// The whole condition (`All(vec![])` matches everything).
    clauses: Clause,
    order: Vec<(SortField, bool)>,
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

fn kw(t: &Tok, word: &str) -> bool {
    matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(word))
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn value(&mut self) -> Result<String, JqlError> {
        match self.next() {
            Some(Tok::Word(w)) | Some(Tok::Str(w)) => Ok(w),
            Some(t) => Err(JqlError::Syntax(format!("expected a value, found {t:?}"))),
            None => Err(JqlError::Syntax(
                "expected a value at the end of the query".into(),
            )),
        }
    }
    fn list(&mut self) -> Result<Vec<String>, JqlError> {
        match self.next() {
            Some(Tok::LParen) => {}
            _ => return Err(JqlError::Syntax("expected '(' after IN".into())),
        }
        let mut out = Vec::new();
        loop {
            out.push(self.value()?);
            match self.next() {
                Some(Tok::Comma) => continue,
                Some(Tok::RParen) => break,
                _ => {
                    return Err(JqlError::Syntax(
                        "expected ',' or ')' in a value list".into(),
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// Parses a JQL query of the supported subset.
pub fn parse(jql: &str) -> Result<Jql, JqlError> {
    let mut p = Parser {
        toks: tokenize(jql)?,
        pos: 0,
    };
    let mut clauses = Clause::All(Vec::new());
    let mut seen_condition = false;
    let mut order = Vec::new();
    while let Some(t) = p.peek().cloned() {
        if kw(&t, "order") {
            p.next();
            if !p.next().as_ref().is_some_and(|t| kw(t, "by")) {
                return Err(JqlError::Syntax("expected BY after ORDER".into()));
            }
            loop {
                let f = p.value()?;
                let field = match f.to_ascii_lowercase().as_str() {
                    "created" => SortField::Created,
                    "updated" => SortField::Updated,
                    "key" | "issuekey" => SortField::Key,
                    "id" => SortField::Id,
                    other => return Err(JqlError::Unsupported(format!("ORDER BY {other}"))),
                };
                let mut asc = true;
                if let Some(t) = p.peek() {
                    if kw(t, "asc") {
                        p.next();
                    } else if kw(t, "desc") {
                        asc = false;
                        p.next();
                    }
                }
                order.push((field, asc));
                match p.peek() {
                    Some(Tok::Comma) => {
                        p.next();
                    }
                    None => break,
                    Some(t) => {
                        return Err(JqlError::Syntax(format!("unexpected {t:?} after ORDER BY")));
                    }
                }
            }
            break;
        }
        if seen_condition {
            return Err(JqlError::Syntax(format!(
                "expected AND, OR or ORDER BY, found {t:?}"
            )));
        }
        clauses = parse_or(&mut p)?;
        seen_condition = true;
    }
    Ok(Jql { clauses, order })
}

/// `a OR b OR …` of AND-groups, up to the end, `ORDER BY` or a closing parenthesis.
fn parse_or(p: &mut Parser) -> Result<Clause, JqlError> {
    let mut any = vec![parse_and(p)?];
    while p.peek().is_some_and(|t| kw(t, "or")) {
        p.next();
        any.push(parse_and(p)?);
    }
    Ok(if any.len() == 1 {
        any.remove(0)
    } else {
        Clause::Any(any)
    })
}

fn parse_and(p: &mut Parser) -> Result<Clause, JqlError> {
    let mut all = vec![parse_atom(p)?];
    while p.peek().is_some_and(|t| kw(t, "and")) {
        p.next();
        all.push(parse_atom(p)?);
    }
    Ok(if all.len() == 1 {
        all.remove(0)
    } else {
        Clause::All(all)
    })
}

fn parse_atom(p: &mut Parser) -> Result<Clause, JqlError> {
    if p.peek() == Some(&Tok::LParen) {
        p.next();
        let inner = parse_or(p)?;
        return match p.next() {
            Some(Tok::RParen) => Ok(inner),
            _ => Err(JqlError::Syntax("expected ')'".into())),
        };
    }
    parse_clause(p)
}

fn parse_clause(p: &mut Parser) -> Result<Clause, JqlError> {
    let field = match p.next() {
        Some(Tok::Word(w)) => w,
        Some(t) => {
            return Err(JqlError::Syntax(format!(
                "expected a field name, found {t:?}"
            )));
        }
        None => return Err(JqlError::Syntax("expected a field name".into())),
    };
    let lf = field.to_ascii_lowercase();
    if kw(&Tok::Word(lf.clone()), "not") {
        return Err(JqlError::Unsupported("NOT".into()));
    }
    // operator
    let (negate, is_in, cmp) = match p.next() {
        Some(Tok::Op(op)) => match op.as_str() {
            "=" => (false, false, Cmp::Eq),
            "!=" => (true, false, Cmp::Eq),
            ">=" => (false, false, Cmp::Ge),
            ">" => (false, false, Cmp::Gt),
            "<=" => (false, false, Cmp::Le),
            "<" => (false, false, Cmp::Lt),
            other => return Err(JqlError::Unsupported(format!("operator {other}"))),
        },
        Some(t) if kw(&t, "in") => (false, true, Cmp::Eq),
        Some(t) if kw(&t, "not") => {
            if p.next().as_ref().is_some_and(|t| kw(t, "in")) {
                (true, true, Cmp::Eq)
            } else {
                return Err(JqlError::Unsupported("NOT without IN".into()));
            }
        }
        Some(t) if kw(&t, "is") || kw(&t, "was") || kw(&t, "changed") => {
            return Err(JqlError::Unsupported(format!("operator {t:?}")));
        }
        Some(t) => {
            return Err(JqlError::Syntax(format!(
                "expected an operator after '{field}', found {t:?}"
            )));
        }
        None => {
            return Err(JqlError::Syntax(format!(
                "expected an operator after '{field}'"
            )));
        }
    };
    let values = if is_in { p.list()? } else { vec![p.value()?] };
    match lf.as_str() {
        "project" => {
            if cmp != Cmp::Eq {
                return Err(JqlError::Unsupported("range comparison on project".into()));
            }
            Ok(Clause::Project { negate, values })
        }
        "key" | "issuekey" | "id" => {
            if cmp != Cmp::Eq || negate {
                return Err(JqlError::Unsupported(format!("this operator on {lf}")));
            }
            Ok(if lf == "id" {
                Clause::Id { values }
            } else {
                Clause::Key { values }
            })
        }
        "parent" => {
            if cmp != Cmp::Eq || negate {
                return Err(JqlError::Unsupported(format!("this operator on {lf}")));
            }
            Ok(Clause::Parent { values })
        }
        "updated" | "created" | "updateddate" | "createddate" => {
            if is_in || negate {
                return Err(JqlError::Unsupported(format!("IN / != on {lf}")));
            }
            let v = &values[0];
            let at = parse_time(v).ok_or_else(|| {
                JqlError::Syntax(format!(
                    "Date value '{v}' for field '{field}' is invalid. Valid formats: epoch milliseconds, \"yyyy/MM/dd HH:mm\", \"yyyy-MM-dd HH:mm\", \"yyyy/MM/dd\", \"yyyy-MM-dd\"."
                ))
            })?;
            let field = if lf.starts_with("created") {
                TimeField::Created
            } else {
                TimeField::Updated
            };
            Ok(Clause::Time { field, cmp, at })
        }
        other => Err(JqlError::Unsupported(format!("field '{other}'"))),
    }
}

fn parse_time(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) {
        let ms: i64 = v.parse().ok()?;
        return Utc.timestamp_millis_opt(ms).single();
    }
    for f in ["%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, f) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    for f in ["%Y/%m/%d", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(v, f) {
            return d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
        }
    }
    None
}

/// Parses an ISO-8601 time as the audit API accepts (`2025-03-04T17:01:51.123+0000`,
/// RFC 3339, or a plain date).
pub fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    parse_time(s)
}

fn split_key(k: &str) -> (&str, u64) {
    match k.rsplit_once('-') {
        Some((p, n)) => (p, n.parse().unwrap_or(0)),
        None => (k, 0),
    }
}

/// A matching issue with its key split once (project part, number).
struct Keyed<'w> {
    issue: &'w Issue,
    /// (rank of the key's project part, number).
    key: (u32, u64),
}

fn id_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Jql {
    /// Matching issues in result order (archived projects excluded).
    pub fn run<'w>(&self, ws: &'w Workspace) -> Result<Vec<&'w Issue>, JqlError> {
        let mut out = self.keyed(ws)?;
        out.sort_by(|a, b| self.compare(a, b));
        Ok(out.into_iter().map(|k| k.issue).collect())
    }

    /// The result order as positions in `ws.issues`.
    pub fn run_positions(&self, ws: &Workspace) -> Result<Vec<usize>, JqlError> {
        let base = ws.issues.as_ptr() as usize;
        let size = std::mem::size_of::<Issue>().max(1);
        Ok(self
            .run(ws)?
            .into_iter()
            .map(|i| (i as *const Issue as usize - base) / size)
            .collect())
    }

    /// One page of the result: the issues at `offset..offset + max` in result order,
    /// and the total count. Linear in the number of matches (selection, not a full
    /// sort), so paging through a large site stays fast.
    pub fn run_page<'w>(
        &self,
        ws: &'w Workspace,
        offset: usize,
        max: usize,
    ) -> Result<(Vec<&'w Issue>, usize), JqlError> {
        let mut out = self.keyed(ws)?;
        let total = out.len();
        if offset >= total || max == 0 {
            return Ok((Vec::new(), total));
        }
        if offset > 0 {
            // Everything before `offset` now sorts before everything after it.
            out.select_nth_unstable_by(offset, |a, b| self.compare(a, b));
        }
        let tail = &mut out[offset..];
        let take = max.min(tail.len());
        if take < tail.len() {
            tail.select_nth_unstable_by(take, |a, b| self.compare(a, b));
        }
        let page = &mut tail[..take];
        page.sort_by(|a, b| self.compare(a, b));
        Ok((page.iter().map(|k| k.issue).collect(), total))
    }

    /// Matching issues with their sort keys precomputed.
    fn keyed<'w>(&self, ws: &'w Workspace) -> Result<Vec<Keyed<'w>>, JqlError> {
        let matched = self.matching(ws)?;
        let split: Vec<(&str, u64)> = matched.iter().map(|i| split_key(&i.key)).collect();
        // Key prefixes ranked once, so that ordering by key compares integers.
        let distinct: rustc_hash::FxHashSet<&str> = split.iter().map(|(p, _)| *p).collect();
        let mut prefixes: Vec<&str> = distinct.into_iter().collect();
        prefixes.sort_unstable();
        let rank: rustc_hash::FxHashMap<&str, u32> = prefixes
            .into_iter()
            .enumerate()
            .map(|(r, p)| (p, r as u32))
            .collect();
        Ok(matched
            .into_iter()
            .zip(split)
            .map(|(issue, (prefix, n))| Keyed {
                key: (rank.get(prefix).copied().unwrap_or(0), n),
                issue,
            })
            .collect())
    }

    /// The result order: ORDER BY fields, then id (a total order).
    fn compare(&self, a: &Keyed<'_>, b: &Keyed<'_>) -> Ordering {
        const DEFAULT: [(SortField, bool); 2] =
            [(SortField::Created, false), (SortField::Id, false)];
        let order: &[(SortField, bool)] = if self.order.is_empty() {
            &DEFAULT
        } else {
            &self.order
        };
        for (f, asc) in order {
            let o = match f {
                SortField::Created => a.issue.created.cmp(&b.issue.created),
                SortField::Updated => a.issue.updated.cmp(&b.issue.updated),
                SortField::Key => a.key.cmp(&b.key),
                SortField::Id => id_cmp(&a.issue.id, &b.issue.id),
            };
            let o = if *asc { o } else { o.reverse() };
            if o != Ordering::Equal {
                return o;
            }
        }
        id_cmp(&a.issue.id, &b.issue.id)
    }

    /// Matching issues, unordered.
    fn matching<'w>(&self, ws: &'w Workspace) -> Result<Vec<&'w Issue>, JqlError> {
        // Project values resolve to ids up front.
        let cond = resolve_projects(&self.clauses, ws)?;
        let live: rustc_hash::FxHashSet<&str> = ws
            .projects
            .iter()
            .filter(|p| !p.archived)
            .map(|p| p.id.as_str())
            .collect();
        let out: Vec<&Issue> = ws
            .issues
            .iter()
            .filter(|i| live.contains(i.project_id.as_str()))
            .filter(|i| holds(&cond, i))
            .collect();
        Ok(out)
    }
}

/// `cond` with every project value (key or id) replaced by the project's id.
fn resolve_projects(cond: &Clause, ws: &Workspace) -> Result<Clause, JqlError> {
    Ok(match cond {
        Clause::Project { negate, values } => {
            let mut ids = Vec::new();
            for v in values {
                match ws.project_by_id_or_key(v) {
                    Some(p) => ids.push(p.id.clone()),
                    None => {
                        return Err(JqlError::UnknownValue {
                            field: "project".into(),
                            value: v.clone(),
                        });
                    }
                }
            }
            Clause::Project {
                negate: *negate,
                values: ids,
            }
        }
        // Parent keys resolve to ids; an issue that does not exist matches nothing.
        Clause::Parent { values } => Clause::Parent {
            values: values
                .iter()
                .map(|v| {
                    ws.issue_by_id_or_key(v)
                        .map(|i| i.id.clone())
                        .unwrap_or_default()
                })
                .filter(|v| !v.is_empty())
                .collect(),
        },
        Clause::All(parts) => Clause::All(
            parts
                .iter()
                .map(|c| resolve_projects(c, ws))
                .collect::<Result<_, _>>()?,
        ),
        Clause::Any(parts) => Clause::Any(
            parts
                .iter()
                .map(|c| resolve_projects(c, ws))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// Whether an issue satisfies a condition whose projects are resolved to ids.
fn holds(cond: &Clause, i: &Issue) -> bool {
    match cond {
        Clause::Project { negate, values } => values.contains(&i.project_id) != *negate,
        Clause::Key { values } => values.iter().any(|k| k.eq_ignore_ascii_case(&i.key)),
        Clause::Id { values } => values.contains(&i.id),
        Clause::Parent { values } => i.parent_id.as_ref().is_some_and(|p| values.contains(p)),
        Clause::Time { field, cmp, at } => {
            let t = match field {
                TimeField::Created => i.created,
                TimeField::Updated => i.updated,
            };
            match cmp {
                Cmp::Eq => t == *at,
                Cmp::Ge => t >= *at,
                Cmp::Gt => t > *at,
                Cmp::Le => t <= *at,
                Cmp::Lt => t < *at,
            }
        }
        Clause::All(parts) => parts.iter().all(|c| holds(c, i)),
        Clause::Any(parts) => parts.iter().any(|c| holds(c, i)),
    }
}

/// A stable fingerprint of a JQL string, bound into page tokens.
pub fn fingerprint(jql: &str) -> u64 {
    // FNV-1a: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in jql.trim().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Encodes a next-page token (offset bound to the query).
pub fn encode_token(offset: usize, fp: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("sim1:{offset}:{fp:016x}"))
}

/// Decodes a token; None when malformed or issued for another query.
pub fn decode_token(token: &str, fp: u64) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let mut parts = s.split(':');
    if parts.next()? != "sim1" {
        return None;
    }
    let offset: usize = parts.next()?.parse().ok()?;
    let f = u64::from_str_radix(parts.next()?, 16).ok()?;
    (f == fp).then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenConfig, generate};

    #[test]
    fn pages_equal_slices_of_the_full_order() {
        let ws = generate(&GenConfig::small(3));
        for jql in [
            "ORDER BY key ASC",
            "project in (ENG, OPS) ORDER BY updated DESC",
            "",
        ] {
            let q = parse(jql).unwrap();
            let all: Vec<String> = q.run(&ws).unwrap().iter().map(|i| i.id.clone()).collect();
            let mut paged = Vec::new();
            let mut offset = 0;
            loop {
                let (page, total) = q.run_page(&ws, offset, 37).unwrap();
                assert_eq!(total, all.len());
                if page.is_empty() {
                    break;
                }
                offset += page.len();
                paged.extend(page.iter().map(|i| i.id.clone()));
            }
            assert_eq!(paged, all, "{jql}");
        }
    }

    #[test]
    fn parses_supported_subset() {
        assert!(parse("").is_ok());
        assert!(parse("project in (ENG, \"OPS\") AND updated >= 1741107711123 ORDER BY updated ASC, key ASC").is_ok());
        assert!(parse("project = ENG").is_ok());
        assert!(
            parse("project not in (HR) and created >= \"2025/03/04 17:01\" order by id").is_ok()
        );
        assert!(parse("project = A OR project = B").is_ok());
        assert!(
            parse("((project = A AND updated >= 5) OR (project = B)) AND created < 9 ORDER BY key")
                .is_ok()
        );
        assert!(parse("(project = A").is_err());
        assert!(parse("project = A project = B").is_err());
        assert!(matches!(parse("text ~ foo"), Err(JqlError::Unsupported(_))));
        assert!(matches!(
            parse("assignee = currentUser()"),
            Err(JqlError::Unsupported(_))
        ));
        assert!(parse("updated >= -1d").is_err());
        assert!(parse("project = ").is_err());
    }

    #[test]
    fn or_and_parentheses_match_like_jira() {
        let ws = generate(&GenConfig::skeleton(3));
        let cut = ws.issues[100].updated;
        let eng = ws.project_by_id_or_key("ENG").unwrap().id.clone();
        let ops = ws.project_by_id_or_key("OPS").unwrap().id.clone();
        let got: Vec<String> = parse(&format!(
            "(project = ENG AND updated >= {}) OR project = \"OPS\" ORDER BY id",
            cut.timestamp_millis()
        ))
        .and_then(|q| q.run(&ws))
        .unwrap()
        .iter()
        .map(|i| i.id.clone())
        .collect();
        let mut want: Vec<String> = ws
            .issues
            .iter()
            .filter(|i| (i.project_id == eng && i.updated >= cut) || i.project_id == ops)
            .map(|i| i.id.clone())
            .collect();
        want.sort_by(|a, b| id_cmp(a, b));
        assert!(!want.is_empty());
        assert_eq!(got, want);
    }

    #[test]
    fn runs_against_workspace() {
        let ws = generate(&GenConfig::skeleton(3));
        let eng = parse("project = ENG ORDER BY key ASC")
            .and_then(|q| q.run(&ws))
            .unwrap_or_default();
        assert_eq!(
            eng.len(),
            ws.issues
                .iter()
                .filter(|i| i.key.starts_with("ENG-"))
                .count()
        );
        assert!(
            eng.windows(2)
                .all(|w| split_key(&w[0].key) < split_key(&w[1].key))
        );
        let cut = ws.issues[100].updated;
        let q = parse(&format!(
            "updated >= {} ORDER BY updated ASC",
            cut.timestamp_millis()
        ))
        .and_then(|q| q.run(&ws))
        .unwrap_or_default();
        assert!(q.iter().all(|i| i.updated >= cut));
        assert_eq!(
            q.len(),
            ws.issues.iter().filter(|i| i.updated >= cut).count()
        );
        assert!(matches!(
            parse("project = NOPE").and_then(|q| q.run(&ws)),
            Err(JqlError::UnknownValue { .. })
        ));
        let t = encode_token(150, fingerprint("x"));
        assert_eq!(decode_token(&t, fingerprint("x")), Some(150));
        assert_eq!(decode_token(&t, fingerprint("y")), None);
        assert_eq!(decode_token("garbage", 0), None);
    }
}

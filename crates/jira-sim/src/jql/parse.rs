//! Parses the supported JQL subset (see [`super`]) into a [`Jql`], and the times
//! its clauses and the audit API accept.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::ast::{Clause, Cmp, Jql, SortField, TimeField};
use super::error::JqlError;
use super::lex::{Tok, tokenize};

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

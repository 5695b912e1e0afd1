//! Splits a JQL string into tokens: words, quoted strings, parentheses, commas and
//! operators.

use super::error::JqlError;

/// One token of a query.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Str(String),
    LParen,
    RParen,
    Comma,
    Op(String),
}

pub(super) fn tokenize(s: &str) -> Result<Vec<Tok>, JqlError> {
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

//! The canonical text form of a [`Query`]: fully escaped, re-parses to the same tree.

use std::fmt::{self, Write};
use std::ops::Bound;

use crate::Query;
use crate::parser::{bad_network, parse_cidr};

pub(crate) fn write_query(q: &Query, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match q {
        Query::All => f.write_char('*'),
        Query::Term { field, value } => {
            write_field(field.as_deref(), f)?;
            f.write_str(&escape_term(value, field.is_some()))
        }
        Query::Phrase { field, text } => {
            write_field(field.as_deref(), f)?;
            f.write_char('"')?;
            for c in text.chars() {
                if matches!(c, '"' | '\\') {
                    f.write_char('\\')?;
                }
                f.write_char(c)?;
            }
            f.write_char('"')
        }
        Query::Wildcard { field, pattern } => {
            write_field(field.as_deref(), f)?;
            f.write_str(&escape_pattern(pattern, field.is_some()))
        }
        Query::Range { field, lower, upper } => {
            write!(f, "{field}:")?;
            match lower {
                Bound::Included(v) => write!(f, "[{}", escape_bound(v))?,
                Bound::Excluded(v) => write!(f, "{{{}", escape_bound(v))?,
                Bound::Unbounded => f.write_str("[*")?,
            }
            f.write_str(" TO ")?;
            match upper {
                Bound::Included(v) => write!(f, "{}]", escape_bound(v)),
                Bound::Excluded(v) => write!(f, "{}}}", escape_bound(v)),
                Bound::Unbounded => f.write_str("*]"),
            }
        }
        Query::Cidr {
            field,
            network: (ip, prefix),
        } => write!(f, "{field}:{ip}/{prefix}"),
        Query::Exists { field } => write!(f, "_exists_:{field}"),
        Query::And(items) => write_list(items, " AND ", |q| matches!(q, Query::And(_) | Query::Or(_)), f),
        Query::Or(items) => write_list(items, " OR ", |q| matches!(q, Query::Or(_)), f),
        Query::Not(inner) => {
            f.write_str("NOT ")?;
            write_member(inner, matches!(**inner, Query::And(_) | Query::Or(_)), f)
        }
    }
}

fn write_field(field: Option<&str>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match field {
        Some(name) => write!(f, "{name}:"),
        None => Ok(()),
    }
}

fn write_list(
    items: &[Query],
    sep: &str,
    needs_parens: impl Fn(&Query) -> bool,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    if items.is_empty() {
        return f.write_char('*');
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write_member(item, needs_parens(item), f)?;
    }
    Ok(())
}

fn write_member(q: &Query, parens: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if parens {
        f.write_char('(')?;
        write_query(q, f)?;
        f.write_char(')')
    } else {
        write_query(q, f)
    }
}

/// Whether a character must be escaped at position `i` of a term or pattern.
fn needs_escape(c: char, i: usize, has_field: bool) -> bool {
    c.is_whitespace()
        || matches!(c, '\\' | '(' | ')' | '"' | '*' | '?')
        || (!has_field && c == ':')
        || (i == 0 && matches!(c, '[' | '{' | '<' | '>' | '-' | '+'))
}

fn escape_term(value: &str, has_field: bool) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    let keyword = ["and", "or", "not"].iter().any(|k| value.eq_ignore_ascii_case(k));
    // A field value that reads as `address/prefix` would parse as a network: escape its slashes.
    let looks_like_cidr = has_field && (parse_cidr(value).is_some() || bad_network(value).is_some());
    for (i, c) in value.chars().enumerate() {
        if needs_escape(c, i, has_field) || (i == 0 && keyword && !has_field) || (looks_like_cidr && c == '/') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn escape_pattern(pattern: &str, has_field: bool) -> String {
    let mut out = String::with_capacity(pattern.len() + 2);
    let mut chars = pattern.chars();
    let mut i = 0;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push('\\');
                out.push(chars.next().unwrap_or('\\'));
            }
            '*' | '?' => out.push(c),
            c => {
                if needs_escape(c, i, has_field) {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        i += 1;
    }
    out
}

fn escape_bound(value: &str) -> String {
    if value.is_empty() {
        return "\"\"".to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        if c.is_whitespace() || matches!(c, '\\' | '"' | ']' | '}' | '(' | ')' | '*' | '?') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

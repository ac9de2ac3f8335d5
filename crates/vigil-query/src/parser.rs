//! Recursive-descent parser: query text → [`Query`].

use std::net::IpAddr;
use std::ops::Bound;

use crate::pattern::push_literal;
use crate::{MAX_DEPTH, MAX_INPUT_BYTES, Query, QueryError};

/// Parses a query. An empty (or all-whitespace) query, or a lone `*`, is [`Query::All`].
///
/// ```
/// use vigil_query::{parse, Query};
/// assert_eq!(parse("user:admin").unwrap(), Query::Term { field: Some("user".into()), value: "admin".into() });
/// let err = parse("user:(admin").unwrap_err();
/// assert_eq!(err.position, 5);
/// assert_eq!(err.to_string(), "at column 6: missing ')' to close this '('");
/// ```
pub fn parse(input: &str) -> Result<Query, QueryError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(QueryError::new(
            0,
            format!("query is {} bytes long; the limit is {MAX_INPUT_BYTES}", input.len()),
        ));
    }
    let mut p = Parser {
        chars: input.chars().collect(),
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.at_end() {
        return Ok(Query::All);
    }
    let q = p.parse_or(None)?;
    p.skip_ws();
    if !p.at_end() {
        return Err(QueryError::new(p.pos, "unexpected ')' without a matching '('"));
    }
    Ok(q)
}

/// One character of a value as written: literal, or an unescaped wildcard.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    Lit(char),
    Star,
    Question,
}

/// A value as read: its pieces and whether any character was escaped.
struct Value {
    pieces: Vec<Piece>,
    escaped: bool,
}

impl Value {
    fn is_lone_star(&self) -> bool {
        self.pieces == [Piece::Star]
    }

    fn has_wildcard(&self) -> bool {
        self.pieces.iter().any(|p| !matches!(p, Piece::Lit(_)))
    }

    /// The value as plain text (wildcards as their characters).
    fn text(&self) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Lit(c) => *c,
                Piece::Star => '*',
                Piece::Question => '?',
            })
            .collect()
    }

    /// The value as a canonical wildcard pattern.
    fn pattern(&self) -> String {
        let mut out = String::with_capacity(self.pieces.len());
        for p in &self.pieces {
            match p {
                Piece::Lit(c) => push_literal(&mut out, *c),
                Piece::Star => out.push('*'),
                Piece::Question => out.push('?'),
            }
        }
        out
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

/// Characters allowed in a field name.
pub(crate) fn is_field_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@')
}

/// Characters that end a value (besides whitespace).
fn ends_value(c: char, in_range: bool) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"') || (in_range && matches!(c, ']' | '}'))
}

/// `address/prefix` with a prefix no longer than the address.
pub(crate) fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = text.rsplit_once('/')?;
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ip: IpAddr = addr.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((ip, prefix))
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn err<T>(&self, position: usize, message: impl Into<String>) -> Result<T, QueryError> {
        Err(QueryError::new(position, message))
    }

    /// Whether the keyword (case-insensitive) stands at the cursor as a whole word.
    fn keyword(&self, kw: &str) -> bool {
        let mut n = 0;
        for k in kw.chars() {
            match self.peek_at(n) {
                Some(c) if c.eq_ignore_ascii_case(&k) => n += 1,
                _ => return false,
            }
        }
        self.peek_at(n)
            .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | ')' | '"'))
    }

    fn enter(&mut self, at: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(
                at,
                format!("query is nested too deeply (the limit is {MAX_DEPTH} levels)"),
            );
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// True where a term would be missing: the end, a `)`, or a binary keyword.
    fn at_term_gap(&self) -> bool {
        self.at_end() || self.peek() == Some(')') || self.keyword("AND") || self.keyword("OR")
    }

    fn parse_or(&mut self, default: Option<&str>) -> Result<Query, QueryError> {
        let mut items = vec![self.parse_and(default)?];
        loop {
            self.skip_ws();
            if !self.keyword("OR") {
                break;
            }
            let at = self.pos;
            self.pos += 2;
            self.skip_ws();
            if self.at_term_gap() {
                return self.err(at, "OR needs a term on both sides");
            }
            items.push(self.parse_and(default)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Query::Or(items)
        })
    }

    fn parse_and(&mut self, default: Option<&str>) -> Result<Query, QueryError> {
        let mut items = vec![self.parse_unary(default)?];
        loop {
            self.skip_ws();
            if self.at_end() || self.peek() == Some(')') || self.keyword("OR") {
                break;
            }
            if self.keyword("AND") {
                let at = self.pos;
                self.pos += 3;
                self.skip_ws();
                if self.at_term_gap() {
                    return self.err(at, "AND needs a term on both sides");
                }
            }
            items.push(self.parse_unary(default)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Query::And(items)
        })
    }

    fn parse_unary(&mut self, default: Option<&str>) -> Result<Query, QueryError> {
        self.skip_ws();
        let at = self.pos;
        if self.at_end() {
            return self.err(at, "expected a term");
        }
        if self.keyword("NOT") {
            self.pos += 3;
            self.skip_ws();
            if self.at_term_gap() {
                return self.err(at, "NOT needs a term after it");
            }
            self.enter(at)?;
            let inner = self.parse_unary(default)?;
            self.leave();
            return Ok(Query::Not(Box::new(inner)));
        }
        if let Some(op @ ('-' | '+')) = self.peek() {
            if self.peek_at(1).is_none_or(|c| c.is_whitespace() || c == ')') {
                return self.err(at, format!("'{op}' must be followed directly by a term"));
            }
            self.pos += 1;
            self.enter(at)?;
            let inner = self.parse_unary(default)?;
            self.leave();
            return Ok(if op == '-' { Query::Not(Box::new(inner)) } else { inner });
        }
        for kw in ["AND", "OR"] {
            if self.keyword(kw) {
                return self.err(at, format!("{kw} needs a term on both sides"));
            }
        }
        self.parse_primary(default)
    }

    fn parse_primary(&mut self, default: Option<&str>) -> Result<Query, QueryError> {
        let at = self.pos;
        match self.peek() {
            Some('(') => self.parse_group(default),
            Some(')') => self.err(at, "unexpected ')'"),
            Some('"') => Ok(Query::Phrase {
                field: default.map(str::to_owned),
                text: self.read_quoted()?,
            }),
            Some(c @ ('[' | '{' | '<' | '>')) => match default {
                Some(field) if matches!(c, '[' | '{') => self.parse_range(field.to_owned()),
                Some(field) => self.parse_compare(field.to_owned()),
                None => self.err(
                    at,
                    format!("'{c}' starts a range or comparison, which needs a field (field:{c}…); quote or escape it to search for it"),
                ),
            },
            _ => {
                if let Some(field) = self.try_field_name() {
                    return self.parse_field_value(field);
                }
                let value = self.read_value(false)?;
                field_value(default, value, at)
            }
        }
    }

    /// `( query )`, with an optional field applied to bare terms inside.
    fn parse_group(&mut self, default: Option<&str>) -> Result<Query, QueryError> {
        let open = self.pos;
        self.pos += 1;
        self.enter(open)?;
        self.skip_ws();
        if self.peek() == Some(')') {
            return self.err(open, "empty parentheses");
        }
        if self.at_end() {
            return self.err(open, "missing ')' to close this '('");
        }
        let q = self.parse_or(default)?;
        self.skip_ws();
        if self.peek() != Some(')') {
            return self.err(open, "missing ')' to close this '('");
        }
        self.pos += 1;
        self.leave();
        Ok(q)
    }

    /// Consumes `name:` when a field name followed by a colon stands at the cursor.
    fn try_field_name(&mut self) -> Option<String> {
        let mut end = self.pos;
        while self.chars.get(end).copied().is_some_and(is_field_char) {
            end += 1;
        }
        if end == self.pos || self.chars.get(end) != Some(&':') {
            return None;
        }
        let name: String = self.chars[self.pos..end].iter().collect();
        self.pos = end + 1;
        Some(name)
    }

    fn parse_field_value(&mut self, field: String) -> Result<Query, QueryError> {
        let at = self.pos;
        if field == "_exists_" {
            let mut end = self.pos;
            while self.chars.get(end).copied().is_some_and(is_field_char) {
                end += 1;
            }
            let terminated = self.chars.get(end).is_none_or(|c| c.is_whitespace() || *c == ')');
            if end == self.pos || !terminated {
                return self.err(at, "expected a field name after '_exists_:'");
            }
            let name = self.chars[self.pos..end].iter().collect();
            self.pos = end;
            return Ok(Query::Exists { field: name });
        }
        match self.peek() {
            None | Some(')') => self.err(at, format!("expected a value after '{field}:'")),
            Some(c) if c.is_whitespace() => self.err(at, format!("expected a value after '{field}:'")),
            Some('(') => self.parse_group(Some(&field)),
            Some('"') => Ok(Query::Phrase {
                text: self.read_quoted()?,
                field: Some(field),
            }),
            Some('[' | '{') => self.parse_range(field),
            Some('<' | '>') => self.parse_compare(field),
            Some(_) => {
                let value = self.read_value(false)?;
                field_value(Some(&field), value, at)
            }
        }
    }

    /// `field:[a TO b]` and its variants; the cursor is on the opening bracket.
    fn parse_range(&mut self, field: String) -> Result<Query, QueryError> {
        let open = self.pos;
        let inclusive_lower = self.peek() == Some('[');
        self.pos += 1;
        self.skip_ws();
        let lower = self.read_bound(inclusive_lower)?;
        self.skip_ws();
        if !(self.keyword("TO") && self.peek_at(2).is_some_and(char::is_whitespace)) {
            return self.err(self.pos, "expected TO between the bounds of the range");
        }
        self.pos += 2;
        self.skip_ws();
        let upper_value = self.read_bound_value()?;
        self.skip_ws();
        let inclusive_upper = match self.peek() {
            Some(']') => true,
            Some('}') => false,
            _ => return self.err(open, "range is missing its closing ']' or '}'"),
        };
        self.pos += 1;
        let upper = to_bound(upper_value, inclusive_upper);
        Ok(Query::Range { field, lower, upper })
    }

    fn read_bound(&mut self, inclusive: bool) -> Result<Bound<String>, QueryError> {
        let v = self.read_bound_value()?;
        Ok(to_bound(v, inclusive))
    }

    /// A bound: `None` for `*`, else its text.
    fn read_bound_value(&mut self) -> Result<Option<String>, QueryError> {
        let at = self.pos;
        if self.peek() == Some('"') {
            return Ok(Some(self.read_quoted()?));
        }
        let v = self.read_value(true)?;
        if v.pieces.is_empty() {
            return self.err(at, "expected a range bound (a value or *)");
        }
        Ok(if v.is_lone_star() { None } else { Some(v.text()) })
    }

    /// `field:>=5` and friends; the cursor is on `<` or `>`.
    fn parse_compare(&mut self, field: String) -> Result<Query, QueryError> {
        let greater = self.peek() == Some('>');
        let or_equal = self.peek_at(1) == Some('=');
        let op = match (greater, or_equal) {
            (true, true) => ">=",
            (true, false) => ">",
            (false, true) => "<=",
            (false, false) => "<",
        };
        self.pos += op.len();
        let at = self.pos;
        let value = match self.peek() {
            Some('"') => Some(self.read_quoted()?),
            _ => {
                let v = self.read_value(false)?;
                if v.pieces.is_empty() {
                    return self.err(at, format!("expected a value after '{op}'"));
                }
                (!v.is_lone_star()).then(|| v.text())
            }
        };
        let bound = to_bound(value, or_equal);
        Ok(if greater {
            Query::Range {
                field,
                lower: bound,
                upper: Bound::Unbounded,
            }
        } else {
            Query::Range {
                field,
                lower: Bound::Unbounded,
                upper: bound,
            }
        })
    }

    /// A quoted string; the cursor is on the opening quote.
    fn read_quoted(&mut self) -> Result<String, QueryError> {
        let open = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return self.err(open, "unterminated phrase: missing the closing '\"'"),
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c) => text.push(c),
                        None => return self.err(open, "unterminated phrase: missing the closing '\"'"),
                    }
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(text);
                }
                Some(c) => text.push(c),
            }
            self.pos += 1;
        }
    }

    /// An unquoted value, up to whitespace, a parenthesis or a quote (or `]`/`}` in a range).
    fn read_value(&mut self, in_range: bool) -> Result<Value, QueryError> {
        let mut value = Value {
            pieces: Vec::new(),
            escaped: false,
        };
        while let Some(c) = self.peek() {
            if ends_value(c, in_range) {
                break;
            }
            match c {
                '\\' => {
                    let Some(next) = self.peek_at(1) else {
                        return self.err(self.pos, "a backslash at the end escapes nothing");
                    };
                    value.pieces.push(Piece::Lit(next));
                    value.escaped = true;
                    self.pos += 1;
                }
                '*' => value.pieces.push(Piece::Star),
                '?' => value.pieces.push(Piece::Question),
                c => value.pieces.push(Piece::Lit(c)),
            }
            self.pos += 1;
        }
        Ok(value)
    }
}

fn to_bound(value: Option<String>, inclusive: bool) -> Bound<String> {
    match value {
        None => Bound::Unbounded,
        Some(v) if inclusive => Bound::Included(v),
        Some(v) => Bound::Excluded(v),
    }
}

/// [`classify`], refusing a field value written as a network that is not one (`10.0.0.0/33`,
/// `10.0.0.300/8`): searching it as text would silently find nothing.
fn field_value(field: Option<&str>, value: Value, at: usize) -> Result<Query, QueryError> {
    if field.is_some() && !value.escaped && !value.has_wildcard() {
        let text = value.text();
        if let Some(why) = bad_network(&text) {
            let escaped = text.replace('/', "\\/");
            return Err(QueryError::new(
                at,
                format!("`{text}` is not a valid network: {why} (to search for the text, escape the slash: {escaped})"),
            ));
        }
    }
    Ok(classify(field, value))
}

/// Why `text`, written like `address/prefix` (four dotted numbers, or hex digits and colons, then
/// a slash and digits), is not a network; `None` when it is one or is not written like one.
pub(crate) fn bad_network(text: &str) -> Option<String> {
    let (addr, prefix) = text.rsplit_once('/')?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v4_like = {
        let parts: Vec<&str> = addr.split('.').collect();
        parts.len() == 4
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let v6_like = addr.matches(':').count() >= 2 && addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    if !(v4_like || v6_like) || parse_cidr(text).is_some() {
        return None;
    }
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return Some(format!("`{addr}` is not an IP address"));
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    Some(format!(
        "the prefix of an {} address is at most /{max}",
        if ip.is_ipv4() { "IPv4" } else { "IPv6" }
    ))
}

/// Turns a read value into a query for the field (or for every field).
fn classify(field: Option<&str>, value: Value) -> Query {
    let field_owned = field.map(str::to_owned);
    if value.is_lone_star() {
        return match field_owned {
            Some(field) => Query::Exists { field },
            None => Query::All,
        };
    }
    if value.has_wildcard() {
        return Query::Wildcard {
            field: field_owned,
            pattern: value.pattern(),
        };
    }
    let text = value.text();
    if let Some(field) = field_owned {
        if !value.escaped
            && let Some(network) = parse_cidr(&text)
        {
            return Query::Cidr { field, network };
        }
        return Query::Term {
            field: Some(field),
            value: text,
        };
    }
    Query::Term {
        field: None,
        value: text,
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;

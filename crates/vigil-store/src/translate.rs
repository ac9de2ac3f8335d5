//! vigil-query AST → tantivy queries, over the fields of [`StoreSchema`].
//!
//! Semantics (what an analyst can rely on):
//! * `field:value` — the field (a dotted path into nested objects, or a flat key with dots) has a
//!   value equal to `value`, ignoring case. When `value` is a number, the field's numeric values
//!   match too, whether the JSON held a number or a numeric string (`EventID:4688` finds `4688` and
//!   `"4688"`, `n:1.0` finds `1`). When `value` is an IP address, any spelling of the same address
//!   matches (`ip:::ffff:10.0.0.1` finds `10.0.0.1`).
//! * `field:"a b"` — the field's value contains the text `a b`, ignoring case.
//! * `field:pat*tern?` — the whole value matches the wildcard pattern, ignoring case.
//! * `field:[a TO b]` — numeric when every bound is a number (integer and decimal values alike),
//!   otherwise by lower-cased text order. `@timestamp` (and `time`, when the bounds read as times)
//!   range over the event time; a time is RFC 3339 (`2026-11-23T10:00:00Z`), a date (`2026-11-23`) or
//!   a civil time taken as UTC (`2026-11-23T10:00:00`).
//! * `field:10.0.0.0/8` — the field holds an IPv4 or IPv6 address in the network.
//! * `field:*`, `_exists_:field` — the field, or something nested under it, has a non-null value.
//! * bare `value` / `"a b"` — a word, or words in a row, of one field's text (tokenised on
//!   non-alphanumerics, case-insensitive; a bare value of several words is a phrase); bare `pat*` —
//!   a word of any field, or any field's whole value, matches.
//! * `_id:<32 hex digits>` — the event with that id (as alerts list their events' ids).
//! * Unknown fields match nothing.

use std::net::IpAddr;
use std::ops::Bound;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use tantivy::Term;
use tantivy::query::{
    AllQuery, AutomatonWeight, BooleanQuery, EmptyQuery, EnableScoring, InvertedIndexRangeQuery, Occur,
    Query as TQuery, RangeQuery, TermQuery, Weight,
};
use tantivy::schema::document::OwnedValue;
use tantivy::schema::{Field, IndexRecordOption, Type};
use tantivy::tokenizer::TokenStream;
use tantivy_fst::Regex;
use vigil_query::{PatternPart, Query, pattern_parts};

use crate::StoreError;
use crate::phrase::VerifiedPhrase;
use crate::schema::{MAX_WORD_BYTES, StoreSchema, ip_key, ip_u128, lowercase, numeric_string, parse_ip, text_analyzer};

/// Fields that name the event time.
const TIME_FIELD: &str = "@timestamp";
const TIME_ALIAS: &str = "time";
/// The field that names an event by its id.
const ID_FIELD: &str = "_id";

type Boxed = Box<dyn TQuery>;

/// Translates a parsed query.
pub(crate) fn translate(schema: &StoreSchema, q: &Query) -> Result<Boxed, StoreError> {
    Translator { s: schema }.query(q)
}

/// A query on the event-time field `_ts` over `[from, to)` (ns).
pub(crate) fn ts_range(schema: &StoreSchema, from: Bound<i64>, to: Bound<i64>) -> Boxed {
    if matches!((&from, &to), (Bound::Unbounded, Bound::Unbounded)) {
        return Box::new(AllQuery);
    }
    let term = |v: i64| Term::from_field_i64(schema.ts, v);
    Box::new(RangeQuery::new(from.map(term), to.map(term)))
}

struct Translator<'a> {
    s: &'a StoreSchema,
}

impl Translator<'_> {
    fn query(&self, q: &Query) -> Result<Boxed, StoreError> {
        Ok(match q {
            Query::All => Box::new(AllQuery),
            Query::Term { field: None, value }
            | Query::Phrase {
                field: None,
                text: value,
            } => self.text(value)?,
            Query::Term { field: Some(f), value } => self.term(f, value)?,
            Query::Phrase { field: Some(f), text } => {
                let mut body = String::from(".*");
                for c in lowercase(text).chars() {
                    push_escaped(&mut body, c);
                }
                body.push_str(".*");
                self.path_regex(self.s.f, f, &body)?
            }
            Query::Wildcard { field, pattern } => self.wildcard(field.as_deref(), pattern)?,
            Query::Range { field, lower, upper } => self.range(field, lower, upper)?,
            Query::Cidr { field, network } => self.cidr(field, network.0, network.1),
            Query::Exists { field } if field == TIME_FIELD => Box::new(AllQuery),
            Query::Exists { field } => Box::new(TermQuery::new(
                Term::from_field_text(self.s.names, field),
                IndexRecordOption::Basic,
            )),
            Query::And(items) => {
                let mut clauses = Vec::with_capacity(items.len() + 1);
                for item in items {
                    clauses.push(match item {
                        Query::Not(inner) => (Occur::MustNot, self.query(inner)?),
                        other => (Occur::Must, self.query(other)?),
                    });
                }
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Query::Or(items) => {
                let mut clauses = Vec::with_capacity(items.len());
                for item in items {
                    clauses.push(self.query(item)?);
                }
                Box::new(BooleanQuery::union(clauses))
            }
            Query::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery)),
                (Occur::MustNot, self.query(inner)?),
            ])),
        })
    }

    /// The event with the given id: both halves of the id's fast fields equal.
    fn id(&self, value: &str) -> Result<Boxed, StoreError> {
        let id = vigil_event::EventId::parse(&value.to_ascii_lowercase()).ok_or_else(|| {
            StoreError::BadQuery(format!(
                "`_id:{value}`: an event id is 32 hexadecimal digits, as alerts list them"
            ))
        })?;
        let exact = |field: Field, v: u64| -> Boxed {
            let t = Term::from_field_u64(field, v);
            Box::new(RangeQuery::new(Bound::Included(t.clone()), Bound::Included(t)))
        };
        Ok(Box::new(BooleanQuery::intersection(vec![
            exact(self.s.id_hi, (id.0 >> 64) as u64),
            exact(self.s.id_lo, id.0 as u64),
        ])))
    }

    /// A word of `_all`, or several words in a row (a phrase, checked against the stored event).
    fn text(&self, text: &str) -> Result<Boxed, StoreError> {
        let mut analyzer = text_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            tokens.push(stream.token().text.clone());
        }
        // `_all` drops words longer than MAX_WORD_BYTES, here and in phrases alike. A query made
        // only of such words would find nothing: say so rather than answer empty.
        if tokens.is_empty()
            && let Some(long) = text
                .split(|c: char| !c.is_alphanumeric())
                .find(|w| w.len() > MAX_WORD_BYTES)
        {
            let head: String = long.chars().take(16).collect();
            return Err(StoreError::BadQuery(format!(
                "the word {head}… is longer than {MAX_WORD_BYTES} bytes, and words that long are not indexed \
                 for bare search: name the field and use a wildcard, e.g. CommandLine:*{head}*"
            )));
        }
        let term = |t: &String| -> Boxed {
            Box::new(TermQuery::new(
                Term::from_field_text(self.s.all, t),
                IndexRecordOption::Basic,
            ))
        };
        Ok(match tokens.len() {
            0 => Box::new(EmptyQuery),
            1 => term(&tokens[0]),
            _ => {
                let mut distinct = tokens.clone();
                distinct.sort();
                distinct.dedup();
                Box::new(VerifiedPhrase {
                    candidates: Box::new(BooleanQuery::intersection(distinct.iter().map(term).collect())),
                    src: self.s.src,
                    tokens,
                })
            }
        })
    }

    fn term(&self, field: &str, value: &str) -> Result<Boxed, StoreError> {
        if field == ID_FIELD {
            return self.id(value);
        }
        if field == TIME_FIELD {
            return match parse_time(value) {
                Some(t) => Ok(ts_range(self.s, Bound::Included(t), Bound::Included(t))),
                None => Err(StoreError::BadQuery(format!(
                    "{TIME_FIELD}:{value}: `{value}` is not a time (use RFC 3339, e.g. 2026-11-23T10:00:00Z, or a date)"
                ))),
            };
        }
        let mut clauses: Vec<Boxed> = Vec::with_capacity(3);
        let text = lowercase(value);
        let mut str_term = json_term(self.s.f, field);
        str_term.append_type_and_str(&text);
        clauses.push(Box::new(TermQuery::new(str_term, IndexRecordOption::Basic)));
        if let Some(n) = numeric_string(value) {
            clauses.push(Box::new(TermQuery::new(
                numeric_term(self.s.f, field, &n),
                IndexRecordOption::Basic,
            )));
        }
        if let Some(addr) = parse_ip(value) {
            let mut t = json_term(self.s.ip, field);
            t.append_type_and_str(&ip_key(addr));
            clauses.push(Box::new(TermQuery::new(t, IndexRecordOption::Basic)));
        }
        Ok(if clauses.len() == 1 {
            clauses.remove(0)
        } else {
            Box::new(BooleanQuery::union(clauses))
        })
    }

    fn wildcard(&self, field: Option<&str>, pattern: &str) -> Result<Boxed, StoreError> {
        let mut body = String::new();
        for part in pattern_parts(pattern) {
            match part {
                PatternPart::AnyString => body.push_str(".*"),
                PatternPart::AnyChar => body.push('.'),
                PatternPart::Char(c) => {
                    for l in c.to_lowercase() {
                        push_escaped(&mut body, l);
                    }
                }
            }
        }
        match field {
            Some(field) => self.path_regex(self.s.f, field, &body),
            None => {
                // A word of `_all`, or the whole value of any field.
                let words = compile(&format!("(?s){body}"))?;
                let values = compile(&format!("(?s)[^\\x00]*\\x00s{body}"))?;
                Ok(Box::new(BooleanQuery::union(vec![
                    Box::new(AutomatonQuery {
                        field: self.s.all,
                        regex: words,
                        json_path: None,
                    }),
                    Box::new(AutomatonQuery {
                        field: self.s.f,
                        regex: values,
                        json_path: None,
                    }),
                ])))
            }
        }
    }

    /// A regex over the string values at one JSON path (`body` is the value part).
    fn path_regex(&self, field: Field, path: &str, body: &str) -> Result<Boxed, StoreError> {
        let prefix = json_term(field, path);
        let path_bytes = prefix.serialized_value_bytes().to_vec();
        let mut re = String::from("(?s)");
        // The path is UTF-8 (segments joined by \x01, ended by \x00): escape it by character, since
        // the regex matches characters, not bytes.
        for c in String::from_utf8_lossy(&path_bytes).chars() {
            push_escaped(&mut re, c);
        }
        re.push_str(&format!("\\x{:02x}", Type::Str.to_code()));
        re.push_str(body);
        Ok(Box::new(AutomatonQuery {
            field,
            regex: compile(&re)?,
            json_path: Some(path_bytes),
        }))
    }

    fn range(&self, field: &str, lower: &Bound<String>, upper: &Bound<String>) -> Result<Boxed, StoreError> {
        let times = (bound_map(lower, parse_time), bound_map(upper, parse_time));
        if field == TIME_FIELD || field == TIME_ALIAS {
            match times {
                (Some(lo), Some(hi)) => {
                    if is_empty(&lo, &hi, |a, b| a.partial_cmp(b)) {
                        return Err(empty_range(field, lower, upper));
                    }
                    let time_query = ts_range(self.s, lo, hi);
                    if field == TIME_FIELD {
                        return Ok(time_query);
                    }
                    // `time` may also be a field of the event.
                    return Ok(Box::new(BooleanQuery::union(vec![
                        time_query,
                        self.field_range(field, lower, upper)?,
                    ])));
                }
                _ if field == TIME_FIELD => {
                    return Err(StoreError::BadQuery(format!(
                        "{}: {TIME_FIELD} range bounds must be times (RFC 3339, e.g. 2026-11-23T10:00:00Z, or a date)",
                        written_range(field, lower, upper)
                    )));
                }
                _ => {}
            }
        }
        self.field_range(field, lower, upper)
    }

    fn field_range(&self, field: &str, lower: &Bound<String>, upper: &Bound<String>) -> Result<Boxed, StoreError> {
        let nums = (bound_map(lower, parse_num), bound_map(upper, parse_num));
        if let (Some(lo), Some(hi)) = nums {
            if is_empty(&lo, &hi, Num::compare) {
                return Err(empty_range(field, lower, upper));
            }
            return Ok(self.numeric_range(field, lo, hi));
        }
        let lo = lower.as_ref().map(|v| lowercase(v));
        let hi = upper.as_ref().map(|v| lowercase(v));
        if is_empty(&lo, &hi, |a, b| a.partial_cmp(b)) {
            return Err(empty_range(field, lower, upper));
        }
        let typed = |v: &String| {
            let mut t = json_term(self.s.f, field);
            t.append_type_and_str(v);
            t
        };
        Ok(Box::new(typed_range(
            self.s.f,
            field,
            Type::Str,
            lo.as_ref().map(typed),
            hi.as_ref().map(typed),
        )))
    }

    /// Numbers are indexed as i64 when integral (u64 above i64::MAX) and f64 otherwise: range over all three.
    fn numeric_range(&self, field: &str, lo: Bound<Num>, hi: Bound<Num>) -> Boxed {
        let f = self.s.f;
        let mut parts: Vec<Boxed> = Vec::with_capacity(3);
        // Integer bounds (inclusive), in i128 so i64 and u64 both fit.
        let lo_int: i128 = match lo {
            Bound::Unbounded => i128::MIN,
            Bound::Included(Num::Int(v)) => v,
            Bound::Excluded(Num::Int(v)) => v.saturating_add(1),
            Bound::Included(Num::Float(x)) => x.ceil() as i128,
            Bound::Excluded(Num::Float(x)) => (x.floor() as i128).saturating_add(1),
        };
        let hi_int: i128 = match hi {
            Bound::Unbounded => i128::MAX,
            Bound::Included(Num::Int(v)) => v,
            Bound::Excluded(Num::Int(v)) => v.saturating_sub(1),
            Bound::Included(Num::Float(x)) => x.floor() as i128,
            Bound::Excluded(Num::Float(x)) => (x.ceil() as i128).saturating_sub(1),
        };
        let typed = |value: OwnedValue| numeric_term(f, field, &value);
        let (i_lo, i_hi) = (lo_int.max(i64::MIN.into()), hi_int.min(i64::MAX.into()));
        if i_lo <= i_hi {
            let (a, b) = (i_lo as i64, i_hi as i64);
            parts.push(Box::new(typed_range(
                f,
                field,
                Type::I64,
                Bound::Included(typed(OwnedValue::I64(a))),
                Bound::Included(typed(OwnedValue::I64(b))),
            )));
        }
        let (u_lo, u_hi) = (lo_int.max(i128::from(i64::MAX) + 1), hi_int.min(u64::MAX.into()));
        if u_lo <= u_hi {
            let (a, b) = (u_lo as u64, u_hi as u64);
            parts.push(Box::new(typed_range(
                f,
                field,
                Type::U64,
                Bound::Included(typed(OwnedValue::U64(a))),
                Bound::Included(typed(OwnedValue::U64(b))),
            )));
        }
        // Exactly f64 here: `numeric_term` would turn an integral bound into an i64 term.
        let float = |b: Bound<Num>| {
            b.map(|n| {
                let mut t = json_term(f, field);
                t.append_type_and_fast_value(n.as_f64());
                t
            })
        };
        parts.push(Box::new(typed_range(f, field, Type::F64, float(lo), float(hi))));
        Box::new(BooleanQuery::union(parts))
    }

    fn cidr(&self, field: &str, addr: IpAddr, prefix: u8) -> Boxed {
        let (bits, prefix) = match addr {
            IpAddr::V4(_) => (ip_u128(addr), u32::from(prefix) + 96),
            IpAddr::V6(_) => (ip_u128(addr), u32::from(prefix)),
        };
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - prefix.min(128))
        };
        let (lo, hi) = (bits & mask, (bits & mask) | !mask);
        let typed = |v: u128| {
            let mut t = json_term(self.s.ip, field);
            t.append_type_and_str(&format!("{v:032x}"));
            t
        };
        Box::new(typed_range(
            self.s.ip,
            field,
            Type::Str,
            Bound::Included(typed(lo)),
            Bound::Included(typed(hi)),
        ))
    }
}

/// A JSON term of `field` at `path`, with no value yet.
fn json_term(field: Field, path: &str) -> Term {
    Term::from_field_json_path(field, path, true)
}

fn numeric_term(field: Field, path: &str, value: &OwnedValue) -> Term {
    let mut t = json_term(field, path);
    match *value {
        OwnedValue::I64(v) => t.append_type_and_fast_value(v),
        OwnedValue::U64(v) => match i64::try_from(v) {
            Ok(i) => t.append_type_and_fast_value(i),
            Err(_) => t.append_type_and_fast_value(v),
        },
        OwnedValue::F64(v) => {
            if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 {
                t.append_type_and_fast_value(v as i64);
            } else if v.fract() == 0.0 && v >= 0.0 && v < u64::MAX as f64 {
                t.append_type_and_fast_value(v as u64);
            } else {
                t.append_type_and_fast_value(v);
            }
        }
        _ => {}
    }
    t
}

/// A term-dictionary range over the values of one type at one path; an open end stops at the end
/// of that type's values (never spilling into other paths or types).
fn typed_range(field: Field, path: &str, typ: Type, lo: Bound<Term>, hi: Bound<Term>) -> InvertedIndexRangeQuery {
    let edge = |code: u8| {
        let mut t = json_term(field, path);
        t.append_bytes(&[code]);
        t
    };
    let lo = match lo {
        Bound::Unbounded => Bound::Included(edge(typ.to_code())),
        b => b,
    };
    let hi = match hi {
        Bound::Unbounded => Bound::Excluded(edge(typ.to_code() + 1)),
        b => b,
    };
    InvertedIndexRangeQuery::new(lo, hi)
}

/// Whether a range with these bounds holds nothing: the lower bound above the upper, or equal
/// bounds with one excluded.
fn is_empty<T>(lo: &Bound<T>, hi: &Bound<T>, cmp: impl Fn(&T, &T) -> Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater};
    let (a, b, inclusive) = match (lo, hi) {
        (Bound::Included(a), Bound::Included(b)) => (a, b, true),
        (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => (a, b, false),
        _ => return false,
    };
    match cmp(a, b) {
        Some(Greater) => true,
        Some(Equal) => !inclusive,
        _ => false,
    }
}

/// The error for a range that can hold nothing (a typo, or bounds written the wrong way round).
fn empty_range(field: &str, lower: &Bound<String>, upper: &Bound<String>) -> StoreError {
    StoreError::BadQuery(format!(
        "{}: the range is empty (its lower bound is above its upper bound)",
        written_range(field, lower, upper)
    ))
}

/// A range as written in the query language.
fn written_range(field: &str, lower: &Bound<String>, upper: &Bound<String>) -> String {
    let (open, lo) = match lower {
        Bound::Included(v) => ('[', v.as_str()),
        Bound::Excluded(v) => ('{', v.as_str()),
        Bound::Unbounded => ('[', "*"),
    };
    let (hi, close) = match upper {
        Bound::Included(v) => (v.as_str(), ']'),
        Bound::Excluded(v) => (v.as_str(), '}'),
        Bound::Unbounded => ("*", ']'),
    };
    format!("{field}:{open}{lo} TO {hi}{close}")
}

/// A bound mapped through a parser; `None` when a present bound does not parse.
fn bound_map<T>(b: &Bound<String>, parse: impl Fn(&str) -> Option<T>) -> Option<Bound<T>> {
    Some(match b {
        Bound::Unbounded => Bound::Unbounded,
        Bound::Included(v) => Bound::Included(parse(v)?),
        Bound::Excluded(v) => Bound::Excluded(parse(v)?),
    })
}

#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn compare(a: &Num, b: &Num) -> Option<std::cmp::Ordering> {
        match (a, b) {
            (Num::Int(x), Num::Int(y)) => Some(x.cmp(y)),
            _ => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

fn parse_num(s: &str) -> Option<Num> {
    match numeric_string(s)? {
        OwnedValue::I64(i) => Some(Num::Int(i.into())),
        OwnedValue::U64(u) => Some(Num::Int(u.into())),
        OwnedValue::F64(f) => Some(Num::Float(f)),
        _ => None,
    }
}

/// A time bound: RFC 3339, a civil date-time taken as UTC, or a date (midnight UTC), in ns.
pub(crate) fn parse_time(s: &str) -> Option<i64> {
    let ts = s
        .parse::<Timestamp>()
        .ok()
        .or_else(|| {
            s.parse::<DateTime>()
                .ok()
                .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp())
        })
        .or_else(|| {
            s.parse::<Date>()
                .ok()
                .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp())
        })?;
    // Times beyond what i64 nanoseconds reach (1677–2262) clamp: no event lies past them.
    Some(ts.as_nanosecond().clamp(i64::MIN.into(), i64::MAX.into()) as i64)
}

fn push_escaped(re: &mut String, c: char) {
    if c.is_alphanumeric() && c.is_ascii() {
        re.push(c);
    } else {
        re.push_str(&format!("\\x{{{:x}}}", c as u32));
    }
}

fn compile(re: &str) -> Result<Arc<Regex>, StoreError> {
    Regex::new(re)
        .map(Arc::new)
        .map_err(|e| StoreError::BadQuery(format!("wildcard pattern too complex: {e}")))
}

/// A regex over a field's terms, optionally restricted to one JSON path.
#[derive(Debug, Clone)]
struct AutomatonQuery {
    field: Field,
    regex: Arc<Regex>,
    json_path: Option<Vec<u8>>,
}

impl TQuery for AutomatonQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(match &self.json_path {
            Some(path) => Box::new(AutomatonWeight::<Regex>::new_for_json_path(
                self.field,
                self.regex.clone(),
                path,
            )),
            None => Box::new(AutomatonWeight::<Regex>::new(self.field, self.regex.clone())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let t = |s| parse_time(s).map(|n| Timestamp::from_nanosecond(n.into()).unwrap().to_string());
        assert_eq!(t("2026-11-23T10:00:00Z").as_deref(), Some("2026-11-23T10:00:00Z"));
        assert_eq!(t("2026-11-23T10:00:00+01:00").as_deref(), Some("2026-11-23T09:00:00Z"));
        assert_eq!(t("2026-11-23T10:00:00").as_deref(), Some("2026-11-23T10:00:00Z"));
        assert_eq!(t("2026-11-23").as_deref(), Some("2026-11-23T00:00:00Z"));
        assert_eq!(t("yesterday"), None);
    }

    #[test]
    fn wildcard_regexes_compile() {
        let s = StoreSchema::new();
        let tr = Translator { s: &s };
        for p in [r"*\\powershell.exe", "adm*", "a?c", r"\*x*", "ü*ß"] {
            assert!(tr.wildcard(Some("Image"), p).is_ok(), "{p}");
            assert!(tr.wildcard(None, p).is_ok(), "{p}");
        }
    }
}

//! Vigil's search language: Lucene/KQL-like expressions parsed into a typed AST.
//!
//! ```
//! use vigil_query::{parse, Query};
//!
//! let q = parse(r#"EventID:4688 AND Image:*\\powershell.exe NOT user:admin"#).unwrap();
//! assert!(matches!(q, Query::And(ref items) if items.len() == 3));
//! // The canonical form re-parses to the same tree.
//! assert_eq!(parse(&q.to_string()).unwrap(), q);
//! ```
//!
//! # Grammar
//!
//! | form | meaning | AST |
//! |---|---|---|
//! | *(empty)*, `*` | every event | [`Query::All`] |
//! | `value` | the value in any field | [`Query::Term`] with `field: None` |
//! | `field:value` | the field equals the value | [`Query::Term`] |
//! | `"a b"`, `field:"a b"` | a phrase (in any field / in that field) | [`Query::Phrase`] |
//! | `user:adm*`, `Image:*\\cmd.exe`, `a?c` | wildcards: `*` any run of characters, `?` one character | [`Query::Wildcard`] |
//! | `f:[a TO b]`, `f:{a TO b}`, `f:[a TO b}`, `f:[* TO b]` | ranges, `[`/`]` inclusive, `{`/`}` exclusive, `*` open | [`Query::Range`] |
//! | `f:>=5`, `f:>5`, `f:<10`, `f:<=10` | one-sided ranges | [`Query::Range`] |
//! | `src_ip:10.0.0.0/8`, `ip:2001:db8::/32` | an IP network (when the value parses as `address/prefix`) | [`Query::Cidr`] |
//! | `field:*`, `_exists_:field` | the field has a value | [`Query::Exists`] |
//! | `a AND b`, `a b` | both (adjacent terms are ANDed) | [`Query::And`] |
//! | `a OR b` | either | [`Query::Or`] |
//! | `NOT a`, `-a` | not | [`Query::Not`] |
//! | `+a` | required: the same as `a` | |
//! | `( … )` | grouping | |
//! | `field:(a OR b*)` | the field applies to every bare term inside | |
//!
//! * **Precedence**: `NOT` (and `-`/`+`) binds tightest, then `AND` (explicit or implicit), then `OR`:
//!   `a OR b c` is `a OR (b AND c)`.
//! * **Keywords** `AND`, `OR`, `NOT` and the range separator `TO` are case-insensitive (`and` works,
//!   as in Kibana's KQL). To search for the word itself, quote it (`"and"`) or escape a letter (`\and`).
//! * **Escapes**: a backslash makes the next character literal: `\:`, `\\`, `\ ` (space), `\*`, `\?`,
//!   `\(`, `\"`. An escaped `*` or `?` is not a wildcard.
//! * **Field names** are letters, digits and `.`, `-`, `_`, `@` (`process.executable`, `@timestamp`,
//!   `Event.System.EventID`). `_exists_` is reserved. A value may contain `:` (`ip:2001:db8::1`); in a
//!   bare value, escape it (`C\:\\Windows`) or the text before it is taken as a field name.
//! * A value starting with `<`, `>`, `[` or `{` is a comparison or range and needs a field; quote or
//!   escape it to search for the character itself.
//! * Limits: [`MAX_INPUT_BYTES`] of input and [`MAX_DEPTH`] levels of nesting (parentheses, `NOT`,
//!   `-`, `+`); past them [`parse`] returns an error, never overflowing the stack.
//!
//! How a term matches (case, numbers, nested fields) is the store's business, not the grammar's.

use std::fmt;
use std::net::IpAddr;
use std::ops::Bound;

mod display;
mod parser;
mod pattern;

pub use parser::parse;
pub use pattern::{PatternPart, pattern_parts};

/// Longest accepted query, in bytes.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// Deepest accepted nesting of parentheses, field groups and `NOT`/`-`/`+` operators.
pub const MAX_DEPTH: usize = 64;

/// A parsed query.
///
/// [`parse`] never produces an `And`/`Or` with fewer than two members, a `Term` with an empty value,
/// or a `Wildcard` whose pattern is a lone `*`; the canonical [`Display`](fmt::Display) form of
/// every tree `parse` can produce re-parses to the same tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Every event.
    All,
    /// `field:value` (or a bare `value`, `field: None`): the value is unescaped text.
    Term { field: Option<String>, value: String },
    /// `"text"` or `field:"text"`: the text between the quotes, unescaped.
    Phrase { field: Option<String>, text: String },
    /// A value with `*`/`?` wildcards. `pattern` keeps wildcard syntax: an unescaped `*` or `?` is a
    /// wildcard, and `\*`, `\?`, `\\` are the literal characters (no other character is escaped).
    /// Use [`pattern_parts`] to read it.
    Wildcard { field: Option<String>, pattern: String },
    /// A range over the field's values; the bounds are unescaped text (numbers, times, words).
    Range {
        field: String,
        lower: Bound<String>,
        upper: Bound<String>,
    },
    /// `field:address/prefix`: the field holds an IP address inside the network. The address is kept
    /// as written (host bits are not cleared).
    Cidr { field: String, network: (IpAddr, u8) },
    /// `field:*` or `_exists_:field`: the field has a value.
    Exists { field: String },
    /// Every member matches.
    And(Vec<Query>),
    /// At least one member matches.
    Or(Vec<Query>),
    /// The member does not match.
    Not(Box<Query>),
}

/// Why a query did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at column {}: {message}", position + 1)]
pub struct QueryError {
    /// Where the problem is: a 0-based offset in characters (not bytes) into the query. The
    /// `Display` form shows it as a 1-based column.
    pub position: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl QueryError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> Self {
        QueryError {
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display::write_query(self, f)
    }
}

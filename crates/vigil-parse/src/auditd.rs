//! Linux audit (auditd) log lines, as written to `/var/log/audit/audit.log`:
//! `[node=HOST ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): key=value ...`.
//!
//! - Fields: `type`, `node` (when present), `audit_serial` (the SERIAL, as a string) and every `key=value`
//!   pair as a string. Double-quoted values are unquoted.
//! - Hex-encoded values are decoded (invalid UTF-8 replaced with U+FFFD) when the value is unquoted, of even
//!   length and all hex digits, and the field is one auditd hex-encodes: `proctitle` (NULs between arguments
//!   become spaces), `cmd`, `comm`, `exe`, `name`, `path`, `cwd`, `dir`, `file`, `data`, `key`, `acct`, `grp`,
//!   `ocomm`, `watch`, `vm`, `root_dir`, `new-*`/`old-*` user/group/disk names, and the `aN` arguments of
//!   `EXECVE` records. Deliberately, `aN` of other record types (`SYSCALL`'s `a0`..`a3`) is not decoded:
//!   there they are raw register values in hex, not encoded strings. A long `EXECVE` argument split into
//!   `aN[0]`, `aN[1]`, … is also joined (after decoding) into `aN`.
//! - The single-quoted `msg='op=... acct="root" res=failed'` blob of `USER_*` records is expanded: its
//!   pairs become fields too. The enriched fields after the `0x1d` separator (`UID="root" AUID="alice"`) are
//!   read the same way. A key seen twice keeps its first value.
//! - Words that are not `key=value` (`avc:  denied  { read } for` in AVC records) are kept, joined by one
//!   space, in `audit_text`.
//! - The event time comes from `msg=audit(SECONDS.MILLIS:SERIAL)`; the `ausearch -i` rendering
//!   (`msg=audit(01/02/2024 03:04:05.123:456)`) is not supported.
//!
//! Errors ([`ErrorKind::Auditd`]): no `type=`, no `msg=audit(`, or a stamp that is not
//! `SECONDS.FRACTION:SERIAL`. Invalid UTF-8 is [`ErrorKind::NotUtf8`] (auditd hex-encodes anything unusual,
//! so real audit lines are ASCII).

use std::collections::BTreeMap;

use jiff::Timestamp;
use vigil_event::{Event, Fields, LogSourceTags, Raw};

use crate::{ErrorKind, Origin, ParseError};

/// Fields auditd writes hex-encoded when their value contains unusual characters.
const HEX_FIELDS: [&str; 22] = [
    "proctitle",
    "cmd",
    "comm",
    "exe",
    "name",
    "path",
    "cwd",
    "dir",
    "file",
    "data",
    "key",
    "acct",
    "grp",
    "ocomm",
    "watch",
    "vm",
    "root_dir",
    "new-user",
    "new-group",
    "new-disk",
    "old-user",
    "old-group",
];

/// Parses one record.
pub fn parse(line: &[u8], origin: &Origin, offset: u64) -> Result<Event, ParseError> {
    let text = std::str::from_utf8(line).map_err(|_| origin.error(offset, ErrorKind::NotUtf8))?;
    let fail = |reason: &str| origin.error(offset, ErrorKind::Auditd(reason.into()));
    let mut record = Record::default();
    record.read(text, 0).map_err(fail)?;
    if !record.has_type {
        return Err(fail("missing `type=`"));
    }
    let Some(time) = record.time else {
        return Err(fail("missing `msg=audit(...)`"));
    };
    let mut fields = record.fields;
    for (arg, mut chunks) in record.chunks {
        chunks.sort_by_key(|(index, _)| *index);
        let joined: Vec<u8> = chunks.into_iter().flat_map(|(_, bytes)| bytes).collect();
        fields.insert_if_absent(&format!("a{arg}"), String::from_utf8_lossy(&joined).into_owned());
    }
    if !record.words.is_empty() {
        fields.insert_if_absent("audit_text", record.words.join(" "));
    }
    let tags = LogSourceTags::product("linux").with_service("auditd");
    Ok(Event::new(
        origin.source(offset),
        Some(time),
        tags,
        fields,
        Raw::Text(text.into()),
    ))
}

#[derive(Debug, Default)]
struct Record<'a> {
    fields: Fields,
    has_type: bool,
    execve: bool,
    time: Option<Timestamp>,
    /// `aN[i]` chunks of long EXECVE arguments, by N.
    chunks: BTreeMap<u32, Vec<(u32, Vec<u8>)>>,
    words: Vec<&'a str>,
}

impl<'a> Record<'a> {
    /// Reads the tokens of `text`; `depth` 1 is the inside of a `msg='...'` blob.
    fn read(&mut self, text: &'a str, depth: u8) -> Result<(), &'static str> {
        for token in tokens(text) {
            let (key, value, quote) = match token {
                Token::Word(word) => {
                    self.words.push(word);
                    continue;
                }
                Token::Pair(key, value, quote) => (key, value, quote),
            };
            if depth == 0 && key == "msg" && quote.is_none() && value.starts_with("audit(") && self.time.is_none() {
                let (time, serial) = parse_stamp(value).ok_or("invalid `msg=audit(SECONDS.FRACTION:SERIAL)` stamp")?;
                self.time = Some(time);
                self.fields.insert_if_absent("audit_serial", serial);
                continue;
            }
            if depth == 0 && quote == Some(b'\'') {
                self.read(value, depth + 1)?;
                continue;
            }
            if depth == 0 && key == "type" {
                self.has_type = true;
                self.execve = value == "EXECVE";
            }
            if let Some((arg, index)) = self.execve.then(|| arg_chunk(key)).flatten() {
                let bytes = match quote {
                    None if is_hex(value) => decode_hex(value),
                    _ => value.as_bytes().to_vec(),
                };
                self.fields
                    .insert_if_absent(key, String::from_utf8_lossy(&bytes).into_owned());
                self.chunks.entry(arg).or_default().push((index, bytes));
                continue;
            }
            let decode = quote.is_none() && is_hex(value) && (HEX_FIELDS.contains(&key) || self.execve && is_arg(key));
            if decode {
                let mut bytes = decode_hex(value);
                if key == "proctitle" {
                    while bytes.last() == Some(&0) {
                        bytes.pop();
                    }
                    bytes.iter_mut().filter(|b| **b == 0).for_each(|b| *b = b' ');
                }
                self.fields
                    .insert_if_absent(key, String::from_utf8_lossy(&bytes).into_owned());
            } else {
                self.fields.insert_if_absent(key, value);
            }
        }
        Ok(())
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    /// `key=value`, with the quote character that enclosed the value, if any.
    Pair(&'a str, &'a str, Option<u8>),
    Word(&'a str),
}

fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x1d)
}

/// Splits a line into `key=value` pairs (values unquoted) and bare words.
fn tokens(s: &str) -> Vec<Token<'_>> {
    let b = s.as_bytes();
    let slice = |from: usize, to: usize| s.get(from..to).unwrap_or("");
    let end_of_token = |mut i: usize| {
        while b.get(i).is_some_and(|&c| !is_sep(c)) {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while b.get(i).copied().is_some_and(is_sep) {
            i += 1;
        }
        if i >= b.len() {
            return out;
        }
        let start = i;
        while b.get(i).is_some_and(|&c| !is_sep(c) && c != b'=') {
            i += 1;
        }
        if i == start || b.get(i) != Some(&b'=') {
            i = end_of_token(i);
            out.push(Token::Word(slice(start, i)));
            continue;
        }
        let key = slice(start, i);
        i += 1;
        match b.get(i).copied() {
            Some(q @ (b'"' | b'\'')) => {
                let open = i + 1;
                let close = b.get(open..).and_then(|rest| memchr::memchr(q, rest)).map(|n| open + n);
                let close = close.unwrap_or(b.len());
                out.push(Token::Pair(key, slice(open, close), Some(q)));
                i = close + 1;
            }
            _ => {
                let from = i;
                i = end_of_token(i);
                out.push(Token::Pair(key, slice(from, i), None));
            }
        }
    }
}

/// `audit(1700000000.123:456):` -> (time, "456").
fn parse_stamp(value: &str) -> Option<(Timestamp, &str)> {
    let inner = value.strip_prefix("audit(")?;
    let (inner, _) = inner.split_once(')')?;
    let (time, serial) = inner.split_once(':')?;
    let (secs, frac) = time.split_once('.').unwrap_or((time, ""));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(secs) || !all_digits(serial) || !(frac.is_empty() || all_digits(frac)) || frac.len() > 9 {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let nanos = if frac.is_empty() {
        0
    } else {
        frac.parse::<i32>().ok()? * 10_i32.pow(9 - frac.len() as u32)
    };
    Some((Timestamp::new(secs, nanos).ok()?, serial))
}

/// `a0`, `a12`, …
fn is_arg(key: &str) -> bool {
    key.strip_prefix('a')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `a1[0]` -> (1, 0).
fn arg_chunk(key: &str) -> Option<(u32, u32)> {
    let (arg, index) = key.strip_suffix(']')?.split_once('[')?;
    if !is_arg(arg) || index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((arg.get(1..)?.parse().ok()?, index.parse().ok()?))
}

fn is_hex(value: &str) -> bool {
    !value.is_empty() && value.len().is_multiple_of(2) && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Decodes hex digits pairwise (callers check [`is_hex`] first; a stray digit is ignored).
fn decode_hex(value: &str) -> Vec<u8> {
    fn nibble(b: u8) -> u8 {
        match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => 0,
        }
    }
    value
        .as_bytes()
        .chunks_exact(2)
        .map(|p| match p {
            [hi, lo] => nibble(*hi) << 4 | nibble(*lo),
            _ => 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer() {
        let t = tokens("a=1 b=\"x y\" c='p=q r=\"s\"' bare =odd d=\"unterminated");
        assert_eq!(
            t,
            vec![
                Token::Pair("a", "1", None),
                Token::Pair("b", "x y", Some(b'"')),
                Token::Pair("c", "p=q r=\"s\"", Some(b'\'')),
                Token::Word("bare"),
                Token::Word("=odd"),
                Token::Pair("d", "unterminated", Some(b'"')),
            ]
        );
        assert!(tokens("").is_empty());
        assert_eq!(tokens("k="), vec![Token::Pair("k", "", None)]);
        assert_eq!(tokens("k=\""), vec![Token::Pair("k", "", Some(b'"'))]);
    }

    #[test]
    fn stamps() {
        let (t, serial) = parse_stamp("audit(1700000000.123:456):").expect("valid");
        assert_eq!(t, Timestamp::new(1_700_000_000, 123_000_000).expect("valid"));
        assert_eq!(serial, "456");
        for bad in [
            "audit(",
            "audit(1.2)",
            "audit(x.1:2)",
            "audit(1.1:)",
            "audit(1.1234567890:1)",
            "audit(01/02/2024",
        ] {
            assert!(parse_stamp(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn hex() {
        assert!(is_hex("2D6C61"));
        assert!(!is_hex("2D6"));
        assert!(!is_hex("(null)"));
        assert_eq!(decode_hex("2D6c61"), b"-la");
        assert_eq!(arg_chunk("a1[0]"), Some((1, 0)));
        assert_eq!(arg_chunk("a1_len"), None);
        assert_eq!(arg_chunk("ab[0]"), None);
    }
}

//! ArcSight Common Event Format (CEF).
//!
//! A record is `CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension`,
//! optionally preceded by a syslog header (anything before the first `CEF:` is kept as field `syslog_header`).
//!
//! - Header fields become `cef_version`, `deviceVendor`, `deviceProduct`, `deviceVersion`,
//!   `deviceEventClassId`, `name` and `severity` (all strings, as given). In the header `\|` and `\\` are
//!   escapes; any other backslash is kept as written.
//! - The extension is a list of `key=value` pairs. A value may contain spaces: it ends where the next
//!   ` key=` starts (a key is ASCII letters, digits, `_`, `.`, `-`); trailing whitespace of a value
//!   is dropped. Value escapes are `\=`, `\\`, `\n` and `\r`; any other backslash is kept as written. Keys are
//!   kept as-is; when a key repeats, the first value wins, and extension keys never replace header fields.
//!   Text before the first key (not valid CEF) is kept in `extension_unparsed` rather than dropped.
//! - Custom-field labels: `cs1Label=Foo cs1=bar` also sets `Foo` = `bar` (for every `<key>Label`/`<key>` pair,
//!   e.g. `cn1Label`, `flexString1Label`), unless a field `Foo` already exists.
//! - Event time comes from `rt`, else `end`: epoch milliseconds, `MMM dd yyyy HH:mm:ss[.SSS] [zone]`, or
//!   RFC 3339. A time that cannot be read leaves the event without a time (the field is kept).
//! - Fewer than seven unescaped `|` after `CEF:` is an [`ErrorKind::Cef`] error; invalid UTF-8 is
//!   [`ErrorKind::NotUtf8`].

use jiff::Timestamp;
use vigil_event::{Event, Fields, LogSourceTags, Raw};

use crate::{ErrorKind, Origin, ParseError, syslog};

/// Header field names, in header order (the version is read from the `CEF:` prefix).
const HEADER_NAMES: [&str; 7] = [
    "cef_version",
    "deviceVendor",
    "deviceProduct",
    "deviceVersion",
    "deviceEventClassId",
    "name",
    "severity",
];

/// Parses one record.
pub fn parse(line: &[u8], origin: &Origin, offset: u64) -> Result<Event, ParseError> {
    let text = std::str::from_utf8(line).map_err(|_| origin.error(offset, ErrorKind::NotUtf8))?;
    let Some(start) = memchr::memmem::find(line, b"CEF:") else {
        return Err(origin.error(offset, ErrorKind::Cef("no `CEF:` marker".into())));
    };
    let (head, cef) = text.split_at(start);
    let mut fields = parse_cef_fields(cef).map_err(|reason| origin.error(offset, ErrorKind::Cef(reason)))?;
    let head = head.trim();
    if !head.is_empty() {
        fields.insert_if_absent("syslog_header", head);
    }
    let time = event_time(&fields);
    let tags = logsource(&fields);
    Ok(Event::new(
        origin.source(offset),
        time,
        tags,
        fields,
        Raw::Text(text.into()),
    ))
}

/// (`deviceVendor`, `deviceProduct` prefix) → Sigma product, for the CEF sources Sigma has rules for.
const VENDORS: [(&str, &str, &str); 3] = [
    ("fortinet", "fortigate", "fortigate"),
    ("palo alto networks", "", "paloalto"),
    ("juniper", "", "juniper"),
];

/// The Sigma logsource a CEF record's vendor and product name; unknown (empty) for the others.
pub fn logsource(fields: &Fields) -> LogSourceTags {
    let lower = |name: &str| {
        fields
            .get_str(name)
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default()
    };
    let (vendor, product) = (lower("deviceVendor"), lower("deviceProduct"));
    VENDORS
        .iter()
        .find(|(v, p, _)| vendor == *v && product.starts_with(p))
        .map(|&(_, _, sigma)| LogSourceTags::product(sigma))
        .unwrap_or_default()
}

/// The fields of a CEF record; `text` starts at `CEF:`. The error is a short reason.
pub fn parse_cef_fields(text: &str) -> Result<Fields, String> {
    let body = text
        .strip_prefix("CEF:")
        .ok_or_else(|| "record does not start with `CEF:`".to_string())?;
    let (header, extension) = split_header(body)?;
    let mut fields = Fields::with_capacity(16);
    for (name, value) in HEADER_NAMES.iter().zip(header) {
        fields.insert(*name, value);
    }
    let pairs = parse_extension(extension);
    for (key, value) in &pairs {
        fields.insert_if_absent(key, value.as_str());
    }
    // `cs1Label=Foo cs1=bar` -> `Foo=bar`.
    for (key, label) in &pairs {
        let Some(base) = key.strip_suffix("Label") else {
            continue;
        };
        if base.is_empty() || label.is_empty() {
            continue;
        }
        if let Some(value) = fields.get(base).cloned() {
            fields.insert_if_absent(label, value);
        }
    }
    Ok(fields)
}

/// Splits the 7 header fields (unescaped) from the raw extension.
fn split_header(body: &str) -> Result<([String; 7], &str), String> {
    let mut header: [String; 7] = Default::default();
    let mut index = 0;
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => match chars.clone().next() {
                Some((_, next @ ('|' | '\\'))) => {
                    chars.next();
                    push_char(&mut header, index, next);
                }
                _ => push_char(&mut header, index, '\\'),
            },
            '|' => {
                index += 1;
                if index == HEADER_NAMES.len() {
                    let rest = body.get(at + 1..).unwrap_or("");
                    if let Some(version) = header.first_mut() {
                        *version = version.trim().to_string();
                    }
                    return Ok((header, rest));
                }
            }
            c => push_char(&mut header, index, c),
        }
    }
    Err(format!("expected 7 `|` after `CEF:`, found {index}"))
}

fn push_char(header: &mut [String; 7], index: usize, c: char) {
    if let Some(field) = header.get_mut(index) {
        field.push(c);
    }
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Parses `key=value key2=value with spaces` into unescaped pairs, in order.
fn parse_extension(ext: &str) -> Vec<(String, String)> {
    let bytes = ext.as_bytes();
    // Every (key start, `=` position) where an unescaped `=` follows a key preceded by a space or the start.
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            i += 2;
            continue;
        }
        if b == b'=' {
            let mut start = i;
            while start > 0 && bytes.get(start - 1).copied().is_some_and(is_key_byte) {
                start -= 1;
            }
            let after_space = start == 0 || bytes.get(start - 1).is_some_and(u8::is_ascii_whitespace);
            // A value that ends in an escaped backslash cannot be followed by a key without a space, so the
            // scan never has to look behind an escape here.
            if start < i && after_space {
                keys.push((start, i));
            }
        }
        i += 1;
    }
    let mut pairs = Vec::with_capacity(keys.len() + 1);
    let first_key = keys.first().map_or(bytes.len(), |&(start, _)| start);
    let leading = ext.get(..first_key).unwrap_or("").trim();
    if !leading.is_empty() {
        pairs.push(("extension_unparsed".to_string(), leading.to_string()));
    }
    for (n, &(start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(bytes.len(), |&(next, _)| next);
        let key = ext.get(start..eq).unwrap_or("");
        let value = ext.get(eq + 1..end).unwrap_or("").trim_end();
        pairs.push((key.to_string(), unescape_value(value)));
    }
    pairs
}

/// Undoes CEF extension escaping: `\=`, `\\`, `\n`, `\r`; other backslashes are kept.
fn unescape_value(value: &str) -> String {
    if !value.contains('\\') {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.clone().next() {
            Some('=') => out.push('='),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            _ => {
                out.push('\\');
                continue;
            }
        }
        chars.next();
    }
    out
}

/// Escapes a value for a CEF extension (the inverse of the parser's unescaping).
pub fn escape_extension_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// The event time from `rt`, else `end`.
pub(crate) fn event_time(fields: &Fields) -> Option<Timestamp> {
    ["rt", "end"]
        .iter()
        .find_map(|k| fields.get_str(k).and_then(parse_cef_time))
}

/// Epoch milliseconds, `MMM dd yyyy HH:mm:ss[.SSS] [zone]`, or RFC 3339.
fn parse_cef_time(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    if !t.is_empty() && t.len() <= 19 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .ok()
            .and_then(|ms| Timestamp::from_millisecond(ms).ok());
    }
    if let Some((wall, rest)) = syslog::scan_month_time(t) {
        let ts = wall.to_timestamp(Timestamp::now())?;
        let zone = rest.trim();
        if zone.is_empty() {
            return Some(ts);
        }
        return apply_zone(ts, zone);
    }
    syslog::parse_time(t)
}

/// Re-reads a UTC wall-clock time as a time in `zone` (`UTC`, `GMT`, `Z`, `+hh:mm`, `+hhmm`, IANA name).
fn apply_zone(utc_wall: Timestamp, zone: &str) -> Option<Timestamp> {
    use jiff::tz::{Offset, TimeZone};
    if matches!(zone, "UTC" | "GMT" | "Z") {
        return Some(utc_wall);
    }
    let wall = utc_wall.to_zoned(TimeZone::UTC).datetime();
    let tz = match zone.as_bytes() {
        [sign @ (b'+' | b'-'), ..] => {
            let digits: String = zone.chars().skip(1).filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let h: i32 = digits.get(..2)?.parse().ok()?;
            let m: i32 = digits.get(2..)?.parse().ok()?;
            let secs = (h * 3600 + m * 60) * if *sign == b'-' { -1 } else { 1 };
            TimeZone::fixed(Offset::from_seconds(secs).ok()?)
        }
        _ => TimeZone::get(zone).ok()?,
    };
    wall.to_zoned(tz).ok().map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_escapes_and_extension_values_with_spaces() {
        let f = parse_cef_fields(
            r"CEF:0|Ven\|dor|Prod\\uct|1.0|100|Blocked a\=b|5|src=10.0.0.1 msg=a b\=c d=e x\\ act=block",
        )
        .expect("valid");
        assert_eq!(f.get_str("deviceVendor"), Some("Ven|dor"));
        assert_eq!(f.get_str("deviceProduct"), Some(r"Prod\uct"));
        assert_eq!(f.get_str("name"), Some(r"Blocked a\=b"));
        assert_eq!(f.get_str("msg"), Some("a b=c"));
        assert_eq!(f.get_str("d"), Some(r"e x\"));
        assert_eq!(f.get_str("act"), Some("block"));
    }

    #[test]
    fn too_few_pipes() {
        assert!(parse_cef_fields("CEF:0|a|b|c|d|e|f").is_err());
        assert!(parse_cef_fields("CEF:0|a|b|c|d|e|f|").is_ok());
        assert!(parse_cef_fields("nope").is_err());
    }

    #[test]
    fn times() {
        let want: Timestamp = "2024-01-02T03:04:05Z".parse().expect("valid");
        assert_eq!(parse_cef_time("1704164645000"), Some(want));
        assert_eq!(parse_cef_time("Jan 02 2024 03:04:05"), Some(want));
        assert_eq!(parse_cef_time("Jan 02 2024 04:04:05 +01:00"), Some(want));
        assert_eq!(parse_cef_time("Jan 02 2024 03:04:05 UTC"), Some(want));
        assert_eq!(parse_cef_time("Jan 02 2024 03:04:05 Nowhere/Zone"), None);
        assert_eq!(parse_cef_time("2024-01-02T03:04:05Z"), Some(want));
        assert_eq!(parse_cef_time("99999999999999999999"), None);
    }

    #[test]
    fn leading_garbage_in_extension_is_kept() {
        let f = parse_cef_fields("CEF:0|a|b|c|d|e|f|junk words src=1").expect("valid");
        assert_eq!(f.get_str("extension_unparsed"), Some("junk words"));
        assert_eq!(f.get_str("src"), Some("1"));
    }
}

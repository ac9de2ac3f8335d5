//! Syslog: RFC 5424 and RFC 3164 (BSD), detected per message.
//!
//! **RFC 5424** — `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD...] MSG`. The NILVALUE `-` leaves the
//! field out. Structured data `[id k="v" ...]` (escapes `\"`, `\\`, `\]`) is stored twice: as one field per
//! parameter, `sd.<id>.<name>`, and as the object `structured_data` = `{id: {name: value}}`; a parameter
//! repeated within an element becomes an array. A UTF-8 BOM at the start of MSG is stripped. Structured data
//! that is not well formed is not an error: it is read as the start of MSG (nothing is dropped). The `<PRI>`
//! may be missing when the line starts with version `1` and a timestamp or `-` (some file outputs).
//!
//! **RFC 3164** — `[<PRI>]TIMESTAMP [HOST] TAG[PID]: MSG`, where TIMESTAMP is `Mmm dd hh:mm:ss` (optionally
//! with fractional seconds or a year before the time) or an RFC 3339 timestamp (rsyslog's high-precision
//! format). A BSD timestamp has no year and no zone: it is read as UTC in the current year (taken from the
//! clock in UTC), or the previous year when that would put it more than a day in the future (a December
//! message read in January). The HOST is absent when the first word after the timestamp is already a
//! `TAG:`. A message with a `<PRI>` but no readable timestamp is taken whole as MSG (RFC 3164 §4.3.3);
//! a line with neither a `<PRI>` nor a timestamp is not syslog and is an [`ErrorKind::Syslog`] error, as is a
//! malformed or out-of-range `<PRI>` (`<abc`, `<999>`) or a `<PRI>` followed by nothing.
//!
//! Fields: `facility` (name), `severity` (name), `priority` (number) when there is a `<PRI>`; `host`,
//! `app_name`, `pid` (string), `msgid` (5424), `message`, `syslog_format` (`rfc5424`/`rfc3164`) and
//! `timestamp` (as written). A MSG that is a valid CEF record also gets the CEF fields of [`crate::cef`]; a CEF
//! field whose name the syslog fields already use is stored as `cef_<name>` (e.g. `cef_severity`).
//!
//! Syslog bodies are not always UTF-8 (network devices send Latin-1): invalid UTF-8 is replaced with U+FFFD
//! rather than rejected, in the fields and in the kept raw text.

use std::borrow::Cow;

use jiff::{SignedDuration, Timestamp, civil, tz::TimeZone};
use serde_json::{Map, Value};
use vigil_event::{Event, Fields, LogSourceTags, Raw};

use crate::{ErrorKind, Origin, ParseError, cef, time};

const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

const SEVERITIES: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses one record, reading year-less BSD timestamps against the current time.
pub fn parse(line: &[u8], origin: &Origin, offset: u64) -> Result<Event, ParseError> {
    parse_at(line, origin, offset, Timestamp::now())
}

/// Parses one record, reading year-less BSD timestamps against `now` (for tests and replays).
pub fn parse_at(line: &[u8], origin: &Origin, offset: u64, now: Timestamp) -> Result<Event, ParseError> {
    let text = String::from_utf8_lossy(line);
    let message = parse_message(&text, now).map_err(|reason| origin.error(offset, ErrorKind::Syslog(reason.into())))?;
    Ok(message.into_event(origin, offset, &text))
}

/// A parsed message, before it becomes an event.
#[derive(Debug, Default)]
struct Message<'a> {
    pri: Option<u8>,
    rfc5424: bool,
    timestamp: Option<&'a str>,
    time: Option<Timestamp>,
    host: Option<&'a str>,
    app_name: Option<&'a str>,
    pid: Option<&'a str>,
    msgid: Option<&'a str>,
    structured_data: Vec<(String, Vec<(String, String)>)>,
    message: Option<&'a str>,
}

fn parse_message(text: &str, now: Timestamp) -> Result<Message<'_>, &'static str> {
    let (pri, rest) = split_pri(text)?;
    if pri.is_some() && rest.trim().is_empty() {
        return Err("nothing after <PRI>");
    }
    let mut msg = if is_rfc5424(rest, pri.is_some()) {
        parse_5424(rest)?
    } else {
        parse_3164(rest, pri.is_some(), now)?
    };
    msg.pri = pri;
    Ok(msg)
}

/// Splits off `<PRI>`; no `<` means no PRI.
fn split_pri(text: &str) -> Result<(Option<u8>, &str), &'static str> {
    let Some(after) = text.strip_prefix('<') else {
        return Ok((None, text));
    };
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return Err("invalid <PRI>");
    }
    let (num, rest) = after.split_at(digits);
    let rest = rest.strip_prefix('>').ok_or("invalid <PRI>: missing `>`")?;
    match num.parse::<u8>() {
        Ok(pri) if pri <= 191 => Ok((Some(pri), rest)),
        _ => Err("<PRI> out of range (0-191)"),
    }
}

/// `VERSION SP` followed by a NILVALUE or a `YYYY-` timestamp; without a PRI the version must be `1`.
fn is_rfc5424(rest: &str, has_pri: bool) -> bool {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let Some(ts) = rest.get(digits..).and_then(|after| after.strip_prefix(' ')) else {
        return false;
    };
    let ts = ts.as_bytes();
    let ts_ok = ts.starts_with(b"- ")
        || ts == b"-"
        || (ts.len() > 4 && ts.iter().take(4).all(u8::is_ascii_digit) && ts.get(4) == Some(&b'-'));
    let version_ok = if has_pri {
        (1..=3).contains(&digits)
    } else {
        rest.starts_with("1 ")
    };
    version_ok && ts_ok
}

fn nil(token: &str) -> Option<&str> {
    (token != "-" && !token.is_empty()).then_some(token)
}

fn parse_5424(rest: &str) -> Result<Message<'_>, &'static str> {
    let mut parts = rest.splitn(6, ' ');
    let _version = parts.next();
    let (Some(ts), Some(host), Some(app), Some(procid)) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("truncated RFC 5424 header");
    };
    let tail = parts.next().ok_or("truncated RFC 5424 header")?;
    let (msgid, after_msgid) = tail.split_once(' ').unwrap_or((tail, ""));
    let mut msg = Message {
        rfc5424: true,
        timestamp: nil(ts),
        time: nil(ts).and_then(parse_time),
        host: nil(host),
        app_name: nil(app),
        pid: nil(procid),
        msgid: nil(msgid),
        ..Message::default()
    };
    let body = if after_msgid == "-" {
        ""
    } else if let Some(body) = after_msgid.strip_prefix("- ") {
        body
    } else if after_msgid.starts_with('[') {
        match parse_structured_data(after_msgid) {
            Some((sd, body)) => {
                msg.structured_data = sd;
                body.strip_prefix(' ').unwrap_or(body)
            }
            None => after_msgid,
        }
    } else {
        after_msgid
    };
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    msg.message = (!body.is_empty()).then_some(body);
    Ok(msg)
}

type SdElements = Vec<(String, Vec<(String, String)>)>;

/// Parses `[id k="v" ...][id2 ...]`; `None` when it is not well formed. Returns the text after it.
fn parse_structured_data(mut s: &str) -> Option<(SdElements, &str)> {
    let mut elements = Vec::new();
    while let Some(inner) = s.strip_prefix('[') {
        let id_len = inner.find([' ', ']', '=', '"'])?;
        let (id, mut rest) = inner.split_at(id_len);
        if id.is_empty() {
            return None;
        }
        let mut params = Vec::new();
        loop {
            if let Some(after) = rest.strip_prefix(']') {
                rest = after;
                break;
            }
            rest = rest.strip_prefix(' ')?.trim_start_matches(' ');
            if rest.starts_with(']') {
                continue;
            }
            let name_len = rest.find(['=', ' ', ']', '"'])?;
            let (name, after_name) = rest.split_at(name_len);
            let quoted = after_name.strip_prefix("=\"")?;
            if name.is_empty() {
                return None;
            }
            let (value, after_value) = read_sd_value(quoted)?;
            params.push((name.to_string(), value));
            rest = after_value;
        }
        elements.push((id.to_string(), params));
        s = rest;
    }
    Some((elements, s))
}

/// Reads a PARAM-VALUE up to its closing quote, undoing `\"`, `\\` and `\]`.
fn read_sd_value(s: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((value, s.get(at + 1..).unwrap_or(""))),
            '\\' => match chars.clone().next() {
                Some((_, e @ ('"' | '\\' | ']'))) => {
                    chars.next();
                    value.push(e);
                }
                _ => value.push('\\'),
            },
            c => value.push(c),
        }
    }
    None
}

/// Escapes an SD PARAM-VALUE (the inverse of the parser's unescaping).
pub fn escape_sd_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn parse_3164(rest: &str, has_pri: bool, now: Timestamp) -> Result<Message<'_>, &'static str> {
    let mut msg = Message::default();
    let content = if let Some((mt, after)) = scan_month_time(rest) {
        msg.timestamp = rest.get(..rest.len() - after.len());
        msg.time = mt.to_timestamp(now);
        Some(after)
    } else {
        let (token, after) = rest.split_once(' ').unwrap_or((rest, ""));
        let iso_like = token.len() >= 10 && token.as_bytes().get(4) == Some(&b'-');
        match iso_like.then(|| parse_time(token)).flatten() {
            Some(ts) => {
                msg.timestamp = Some(token);
                msg.time = Some(ts);
                Some(after)
            }
            None => None,
        }
    };
    let content = match content {
        Some(after_ts) => {
            let after_ts = after_ts.trim_start_matches(' ');
            let (first, after_first) = after_ts.split_once(' ').unwrap_or((after_ts, ""));
            if first.is_empty() || split_tag(first).is_some() || after_ts.starts_with("CEF:") {
                after_ts
            } else {
                msg.host = Some(first);
                after_first.trim_start_matches(' ')
            }
        }
        None if has_pri => rest,
        None => return Err("no <PRI> and no timestamp: not a syslog message"),
    };
    let body = if content.starts_with("CEF:") {
        content
    } else {
        let (first, after_first) = content.split_once(' ').unwrap_or((content, ""));
        match split_tag(first) {
            Some((app, pid)) => {
                msg.app_name = Some(app);
                msg.pid = pid;
                after_first.trim_start_matches(' ')
            }
            None => content,
        }
    };
    msg.message = (!body.is_empty()).then_some(body);
    Ok(msg)
}

/// [`time::parse_timestamp`] for ASCII text only. Timestamps are ASCII, and `parse_timestamp` slices at byte
/// offsets, which panics inside a multi-byte character (e.g. on `"\u{fffd}\u{fffd}"`).
pub(crate) fn parse_time(text: &str) -> Option<Timestamp> {
    if text.is_ascii() {
        time::parse_timestamp(text)
    } else {
        None
    }
}

/// Whether a line starts the way a syslog message does: `<PRI>`, a BSD timestamp or an RFC 3339 timestamp.
pub(crate) fn looks_like_syslog(line: &[u8]) -> bool {
    let head = String::from_utf8_lossy(line.get(..64).unwrap_or(line));
    if head.starts_with('<') {
        return split_pri(&head).is_ok();
    }
    let token = head.split(' ').next().unwrap_or("");
    scan_month_time(&head).is_some()
        || (token.as_bytes().get(4) == Some(&b'-') && head.contains(' ') && parse_time(token).is_some())
}

/// `app:` or `app[pid]:` -> (app, pid).
fn split_tag(token: &str) -> Option<(&str, Option<&str>)> {
    let tag = token.strip_suffix(':')?;
    let (app, pid) = match tag.strip_suffix(']').and_then(|t| t.split_once('[')) {
        Some((app, pid)) => (app, Some(pid)),
        None => (tag, None),
    };
    let valid = !app.is_empty() && !app.contains(['[', ']', '=', '"', '<', '>']) && !app.ends_with(':');
    valid.then_some((app, pid.filter(|p| !p.is_empty() && !p.contains(['[', ']']))))
}

/// A BSD-style `Mmm dd [yyyy] hh:mm:ss[.fff]` wall-clock time, year optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MonthTime {
    year: Option<i16>,
    month: i8,
    day: i8,
    hour: i8,
    minute: i8,
    second: i8,
    nanos: i32,
}

impl MonthTime {
    /// The time in UTC; a missing year is the year of `now` (UTC), or the one before when that would put the
    /// time more than a day after `now`. `None` for an impossible date.
    pub(crate) fn to_timestamp(self, now: Timestamp) -> Option<Timestamp> {
        let at = |year: i16| {
            civil::DateTime::new(
                year,
                self.month,
                self.day,
                self.hour,
                self.minute,
                self.second,
                self.nanos,
            )
            .ok()
            .and_then(|dt| dt.to_zoned(TimeZone::UTC).ok())
            .map(|z| z.timestamp())
        };
        if let Some(year) = self.year {
            return at(year);
        }
        let year = now.to_zoned(TimeZone::UTC).year();
        let limit = now.checked_add(SignedDuration::from_hours(24)).unwrap_or(now);
        match at(year) {
            Some(ts) if ts <= limit => Some(ts),
            _ => at(year.checked_sub(1)?),
        }
    }
}

/// Reads a `Mmm dd [yyyy] hh:mm:ss[.fff]` time at the start of `text`; returns it and the text after it.
pub(crate) fn scan_month_time(text: &str) -> Option<(MonthTime, &str)> {
    let month_name = text.get(..3)?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month_name))?;
    let rest = text.get(3..)?;
    let rest = rest.strip_prefix(' ')?.trim_start_matches(' ');
    let (day, rest) = take_digits(rest, 1, 2)?;
    let rest = rest.strip_prefix(' ')?;
    let (year, rest) = match take_digits(rest, 4, 4) {
        Some((y, after)) if after.starts_with(' ') => (Some(y), after.get(1..)?),
        _ => (None, rest),
    };
    let (hour, rest) = take_digits(rest, 2, 2)?;
    let (minute, rest) = take_digits(rest.strip_prefix(':')?, 2, 2)?;
    let (second, mut rest) = take_digits(rest.strip_prefix(':')?, 2, 2)?;
    let mut nanos = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 9 {
            return None;
        }
        let digits = frac.get(..n)?;
        nanos = digits.parse::<i32>().ok()? * 10_i32.pow(9 - n as u32);
        rest = frac.get(n..)?;
    }
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let mt = MonthTime {
        year: year.map(|y| y as i16),
        month: month as i8 + 1,
        day: day as i8,
        hour: hour as i8,
        minute: minute as i8,
        second: second as i8,
        nanos,
    };
    (1..=31).contains(&mt.day).then_some((mt, rest))
}

/// Reads `min..=max` ASCII digits (at most 4) as a number.
fn take_digits(s: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n < min {
        return None;
    }
    Some((s.get(..n)?.parse().ok()?, s.get(n..)?))
}

/// The Sigma service of a syslog program name, for the programs Sigma rules know.
fn app_service(app: &str) -> Option<&'static str> {
    const APPS: [(&str, &str); 10] = [
        ("sshd", "sshd"),
        ("sshd-session", "sshd"),
        ("sudo", "sudo"),
        ("cron", "cron"),
        ("crond", "cron"),
        ("su", "su"),
        ("vsftpd", "vsftpd"),
        ("clamd", "clamav"),
        ("clamav", "clamav"),
        ("freshclam", "clamav"),
    ];
    APPS.iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(app))
        .map(|&(_, service)| service)
}

impl Message<'_> {
    fn into_event(self, origin: &Origin, offset: u64, text: &str) -> Event {
        let mut fields = Fields::with_capacity(16);
        let facility = self.pri.map(|p| p >> 3);
        if let Some(pri) = self.pri {
            let name = |table: &[&'static str], i: u8| table.get(usize::from(i)).copied().unwrap_or("unknown");
            fields.insert("facility", name(&FACILITIES, pri >> 3));
            fields.insert("severity", name(&SEVERITIES, pri & 7));
            fields.insert("priority", pri);
        }
        let mut put = |name: &str, value: Option<&str>| {
            if let Some(v) = value {
                fields.insert(name, v);
            }
        };
        put("timestamp", self.timestamp);
        put("host", self.host);
        put("app_name", self.app_name);
        put("pid", self.pid);
        put("msgid", self.msgid);
        put("message", self.message);
        fields.insert("syslog_format", if self.rfc5424 { "rfc5424" } else { "rfc3164" });
        if !self.structured_data.is_empty() {
            let mut sd = Map::new();
            for (id, params) in self.structured_data {
                if let Value::Object(obj) = sd.entry(id).or_insert_with(|| Value::Object(Map::new())) {
                    for (name, value) in params {
                        add_sd_value(obj, name, value);
                    }
                }
            }
            for (id, params) in &sd {
                for (name, value) in params.as_object().into_iter().flatten() {
                    fields.insert(format!("sd.{id}.{name}"), value.clone());
                }
            }
            fields.insert("structured_data", Value::Object(sd));
        }
        let mut time = self.time;
        let mut cef_product = None;
        if let Some(body) = self.message.filter(|m| m.starts_with("CEF:"))
            && let Ok(cef_fields) = cef::parse_cef_fields(body)
        {
            time = time.or_else(|| cef::event_time(&cef_fields));
            cef_product = Some(cef::logsource(&cef_fields).product);
            for (key, value) in cef_fields.iter() {
                if !fields.insert_if_absent(key, value.clone()) {
                    fields.insert_if_absent(&format!("cef_{key}"), value.clone());
                }
            }
        }
        let mut services: Vec<Cow<'static, str>> = Vec::with_capacity(3);
        if let Some(service) = self.app_name.and_then(app_service) {
            services.push(Cow::Borrowed(service));
        }
        if matches!(facility, Some(4 | 10)) {
            services.push(Cow::Borrowed("auth"));
        }
        services.push(Cow::Borrowed("syslog"));
        let tags = LogSourceTags {
            // A CEF payload names the device that wrote it (a firewall, not a Linux host): its
            // vendor's product when Vigil knows it, else none.
            product: cef_product.unwrap_or(Some(Cow::Borrowed("linux"))),
            services,
            categories: vec![],
        };
        Event::new(origin.source(offset), time, tags, fields, Raw::Text(text.into()))
    }
}

/// Adds an SD parameter; a parameter repeated within an element turns the value into an array.
fn add_sd_value(obj: &mut Map<String, Value>, name: String, value: String) {
    match obj.get_mut(&name) {
        None => {
            obj.insert(name, Value::String(value));
        }
        Some(Value::Array(items)) => items.push(Value::String(value)),
        Some(old) => *old = Value::Array(vec![old.take(), Value::String(value)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("valid timestamp")
    }

    #[test]
    fn pri_errors() {
        for bad in ["<999>x", "<abc>x", "<", "<1234>x", "<13", "<13>", "<13>   "] {
            assert!(parse_message(bad, ts("2024-06-01T00:00:00Z")).is_err(), "{bad}");
        }
        assert!(parse_message("plain words", ts("2024-06-01T00:00:00Z")).is_err());
    }

    #[test]
    fn year_rollover() {
        let (mt, _) = scan_month_time("Dec 31 23:59:59").expect("valid");
        assert_eq!(
            mt.to_timestamp(ts("2025-01-01T00:10:00Z")),
            Some(ts("2024-12-31T23:59:59Z"))
        );
        assert_eq!(
            mt.to_timestamp(ts("2025-12-31T23:00:00Z")),
            Some(ts("2025-12-31T23:59:59Z"))
        );
        let (feb29, _) = scan_month_time("Feb 29 00:00:00").expect("valid");
        assert_eq!(
            feb29.to_timestamp(ts("2025-03-01T00:00:00Z")),
            Some(ts("2024-02-29T00:00:00Z"))
        );
    }

    #[test]
    fn month_time_shapes() {
        assert!(scan_month_time("Jan  2 03:04:05 host").is_some());
        assert!(scan_month_time("jan 02 2024 03:04:05.123").is_some());
        assert!(scan_month_time("Jan 2 3:04:05").is_none());
        assert!(scan_month_time("Jan 32 03:04:05").is_none());
        assert!(scan_month_time("Jan 02 03:04:05x").is_none());
        assert!(scan_month_time("Jé").is_none());
    }

    #[test]
    fn tags() {
        assert_eq!(split_tag("sshd[123]:"), Some(("sshd", Some("123"))));
        assert_eq!(split_tag("kernel:"), Some(("kernel", None)));
        assert_eq!(split_tag("postfix/smtpd[9]:"), Some(("postfix/smtpd", Some("9"))));
        assert_eq!(split_tag("host"), None);
        assert_eq!(split_tag(":"), None);
        assert_eq!(split_tag("a=b:"), None);
    }
}

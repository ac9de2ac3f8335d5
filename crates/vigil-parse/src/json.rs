//! JSON / NDJSON records.
//!
//! One object per line, in any of three shapes:
//! - a Windows event as the `evtx` crate renders it (`{"Event": {"System": …, "EventData": …}}`, the
//!   shape of SigmaHQ's regression JSON) — flattened by [`crate::windows`];
//! - Winlogbeat / Elastic Common Schema documents — mapped to Sigma names by [`crate::normalize`];
//! - Zeek records that name their log type (`_path`, `ts`) and Suricata EVE records (`event_type`,
//!   `timestamp`) — as [`crate::zeek`] and [`crate::eve`] read them;
//! - anything else — kept as is; a top-level `product` / `service` / `category` (or a `logsource`
//!   object with those keys) sets the Sigma logsource, else an ECS `event.dataset` / `event.module`
//!   Vigil knows ([`crate::dataset`]). With none of these the logsource stays unknown, and only
//!   rules that name no product see the event.

use std::borrow::Cow;

use jiff::Timestamp;
use serde_json::Value;
use vigil_event::{Event, Fields, LogSourceTags, Raw};

use crate::{
    ErrorKind, Origin, ParseError, dataset, eve,
    normalize::{self, FieldMap},
    time, windows, zeek,
};

/// Deepest JSON nesting walked when flattening.
pub const MAX_DEPTH: usize = 64;

/// Top-level fields tried, in order, for the event time of a plain JSON record.
const TIME_FIELDS: &[&str] = &[
    "@timestamp",
    "timestamp",
    "time",
    "ts",
    "TimeCreated",
    "UtcTime",
    "date",
];

/// Parses one JSON record.
pub fn parse(line: &[u8], origin: &Origin, offset: u64) -> Result<Event, ParseError> {
    parse_with(line, origin, offset, &[])
}

/// Parses one JSON record, trying the given field maps before the built-in shapes.
pub fn parse_with(line: &[u8], origin: &Origin, offset: u64, field_maps: &[FieldMap]) -> Result<Event, ParseError> {
    let value = parse_object(line, origin, offset)?;
    // `parse_object` checked the line is UTF-8 (JSON must be, RFC 8259).
    let raw = Raw::JsonText(std::str::from_utf8(line).unwrap_or_default().into());
    if let Some(map) = field_maps.iter().find(|m| m.applies(&value)) {
        let m = map.apply(&value);
        return Ok(Event::new(origin.source(offset), m.time, m.logsource, m.fields, raw));
    }
    Ok(from_value(value, raw, origin, offset))
}

/// Parses a JSON object, with errors in Vigil's terms. Input that is not UTF-8 is `NotUtf8`.
pub fn parse_object(line: &[u8], origin: &Origin, offset: u64) -> Result<Value, ParseError> {
    let text = std::str::from_utf8(line).map_err(|_| origin.error(offset, ErrorKind::NotUtf8))?;
    let value: Value = serde_json::from_str(text).map_err(|e| origin.error(offset, ErrorKind::Json(e.to_string())))?;
    match value {
        Value::Object(_) => Ok(value),
        other => Err(origin.error(offset, ErrorKind::NotAnObject(kind_name(&other)))),
    }
}

/// Builds an event from a parsed JSON object, recognising its shape.
pub fn from_value(value: Value, raw: Raw, origin: &Origin, offset: u64) -> Event {
    if let Some(flat) = windows::flatten(&value) {
        return Event::new(origin.source(offset), flat.time, flat.logsource, flat.fields, raw);
    }
    if let Some(mapped) = normalize::map_known_shape(&value) {
        return Event::new(origin.source(offset), mapped.time, mapped.logsource, mapped.fields, raw);
    }
    if zeek::is_zeek_record(&value) {
        return zeek::from_object(value, raw, origin, offset);
    }
    if eve::is_eve_record(&value) {
        return eve::from_object(value, raw, origin, offset);
    }
    let dataset = dataset::logsource(&value);
    let fields = Fields::from_json_object(value);
    let time = time_of(&fields);
    let mut logsource = logsource_hints(&fields);
    if logsource.is_empty()
        && let Some(tags) = dataset
    {
        logsource = tags;
    }
    Event::new(origin.source(offset), time, logsource, fields, raw)
}

/// The event time of a plain record: the first of the usual time fields that parses.
pub fn time_of(fields: &Fields) -> Option<Timestamp> {
    TIME_FIELDS.iter().find_map(|name| match fields.get(name)? {
        Value::String(s) => time::parse_timestamp(s),
        Value::Number(n) => time::from_json_number(n),
        _ => None,
    })
}

fn logsource_hints(fields: &Fields) -> LogSourceTags {
    let nested = fields.get("logsource");
    let hint = |name: &str| -> Option<Cow<'static, str>> {
        nested
            .and_then(|l| l.get(name))
            .or_else(|| fields.get(name))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Cow::Owned(s.to_ascii_lowercase()))
    };
    LogSourceTags {
        product: hint("product"),
        services: hint("service").into_iter().collect(),
        categories: hint("category").into_iter().collect(),
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn origin() -> Origin {
        Origin::file("file", "x.ndjson")
    }

    #[test]
    fn plain_object_keeps_fields_time_and_hints() {
        let ev = parse(
            br#"{"@timestamp":"2024-05-01T10:00:00Z","product":"Linux","msg":"hi","n":3}"#,
            &origin(),
            42,
        )
        .expect("valid");
        assert_eq!(ev.fields.get("n"), Some(&json!(3)));
        assert_eq!(ev.time, Some("2024-05-01T10:00:00Z".parse().expect("valid")));
        assert_eq!(ev.logsource.product.as_deref(), Some("linux"));
        assert_eq!(ev.source.offset, 42);
        assert!(matches!(ev.raw, Raw::JsonText(_)));
    }

    #[test]
    fn evtx_shaped_json_is_flattened() {
        let line = br##"{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","TimeCreated":{"#attributes":{"SystemTime":"2024-01-01T00:00:00Z"}}},"EventData":{"Image":"C:\\a.exe"}}}"##;
        let ev = parse(line, &origin(), 0).expect("valid");
        assert_eq!(ev.fields.get_str("Image"), Some("C:\\a.exe"));
        assert!(
            ev.logsource
                .admits(Some("windows"), Some("sysmon"), Some("process_creation"))
        );
        assert!(ev.time.is_some());
    }

    #[test]
    fn user_field_maps_come_before_built_in_shapes() {
        let map = FieldMap::from_yaml(
            "name: app\nwhen: [app]\nrename:\n  CommandLine: app.cmd\nlogsource: {product: linux}\n",
        )
        .expect("valid map");
        let line = br#"{"app":{"cmd":"curl x | sh"},"Channel":"Security","EventID":1}"#;
        let ev = parse_with(line, &origin(), 3, &[map]).expect("valid");
        assert_eq!(ev.fields.get_str("CommandLine"), Some("curl x | sh"));
        assert_eq!(
            ev.logsource.product.as_deref(),
            Some("linux"),
            "the user map wins over windows-flat"
        );
        assert!(matches!(ev.raw, Raw::JsonText(_)));
        let plain = parse(line, &origin(), 3).expect("valid");
        assert_eq!(
            plain.logsource.product.as_deref(),
            Some("windows"),
            "without it, the built-in map applies"
        );
        let e = parse_with(b"\xff{", &origin(), 4, &[]).expect_err("not UTF-8");
        assert_eq!(e.kind.code(), "not_utf8");
    }

    #[test]
    fn errors_carry_kind_and_offset() {
        let e = parse(b"{nope", &origin(), 9).expect_err("invalid");
        assert_eq!((e.kind.code(), e.offset), ("invalid_json", 9));
        assert_eq!(e.path.as_deref(), Some("x.ndjson"));
        let e = parse(b"[1,2]", &origin(), 1).expect_err("not an object");
        assert_eq!(e.kind, ErrorKind::NotAnObject("an array"));
    }
}

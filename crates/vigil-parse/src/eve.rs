//! Suricata EVE JSON: one JSON object per line.
//!
//! The object's members become the event's fields as they are: nested objects stay nested (`alert.signature`
//! is reached by the event model's dotted lookup), nothing is flattened or renamed. The event time is the
//! `timestamp` member (Suricata writes `2024-01-02T03:04:05.123456+0000`); a record without a readable one
//! has no time. The logsource is product `suricata`, service = `event_type` for the event types Vigil knows,
//! and category `dns` for DNS records.
//!
//! Errors: invalid UTF-8 is [`ErrorKind::NotUtf8`], invalid JSON [`ErrorKind::Json`], and JSON that is not an
//! object [`ErrorKind::NotAnObject`].

use std::borrow::Cow;

use serde_json::Value;
use vigil_event::{Event, Fields, LogSourceTags, Raw};

use crate::{ErrorKind, Origin, ParseError, syslog};

/// EVE `event_type`s that become a Sigma service.
const EVENT_TYPES: [&str; 15] = [
    "alert", "anomaly", "dns", "http", "tls", "flow", "netflow", "fileinfo", "smtp", "ssh", "dhcp", "krb5", "smb",
    "rdp", "stats",
];

/// Parses one record.
pub fn parse(line: &[u8], origin: &Origin, offset: u64) -> Result<Event, ParseError> {
    let (text, object) = parse_object(line, origin, offset)?;
    Ok(from_object(object, Raw::JsonText(text.into()), origin, offset))
}

/// Whether a JSON object read from a stream of unknown kind is a Suricata EVE record: an
/// `event_type` Vigil knows and EVE's `timestamp`.
pub fn is_eve_record(object: &Value) -> bool {
    object.get("timestamp").is_some_and(Value::is_string)
        && object
            .get("event_type")
            .and_then(Value::as_str)
            .is_some_and(|t| EVENT_TYPES.contains(&t))
}

/// An event from an EVE record already read as a JSON object.
pub fn from_object(object: Value, raw: Raw, origin: &Origin, offset: u64) -> Event {
    let time = object
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(syslog::parse_time);
    let event_type = object
        .get("event_type")
        .and_then(Value::as_str)
        .and_then(|t| known(&EVENT_TYPES, t));
    network_event(origin, offset, "suricata", event_type, time, object, raw)
}

/// An event from a network sensor's JSON record: Sigma product, the log type as service (DNS
/// logs are also category `dns`), and the record's members as fields. Shared with Zeek.
pub(crate) fn network_event(
    origin: &Origin,
    offset: u64,
    product: &'static str,
    service: Option<&'static str>,
    time: Option<jiff::Timestamp>,
    object: Value,
    raw: Raw,
) -> Event {
    let mut tags = LogSourceTags::product(product);
    if let Some(service) = service {
        tags.services.push(Cow::Borrowed(service));
        if service == "dns" {
            tags.categories.push(Cow::Borrowed("dns"));
        }
    }
    let fields = Fields::from_json_object(object);
    Event::new(origin.source(offset), time, tags, fields, raw)
}

/// The static name equal to `name`, if `name` is in `list`.
pub(crate) fn known(list: &[&'static str], name: &str) -> Option<&'static str> {
    list.iter().copied().find(|&t| t == name)
}

/// Reads a line as UTF-8 text holding one JSON object.
pub(crate) fn parse_object<'a>(line: &'a [u8], origin: &Origin, offset: u64) -> Result<(&'a str, Value), ParseError> {
    let text = std::str::from_utf8(line).map_err(|_| origin.error(offset, ErrorKind::NotUtf8))?;
    let value: Value = serde_json::from_str(text).map_err(|e| origin.error(offset, ErrorKind::Json(e.to_string())))?;
    let kind = match &value {
        Value::Object(_) => return Ok((text, value)),
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    };
    Err(origin.error(offset, ErrorKind::NotAnObject(kind)))
}

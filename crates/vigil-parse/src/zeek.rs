//! Zeek logs written as JSON (`LogAscii::use_json = T`), one object per line.
//!
//! Fields are kept flat as Zeek writes them: `id.orig_h` is one key containing a dot, and it stays that
//! way. The event time is `ts`, an epoch float or an ISO 8601 string (`LogAscii::json_timestamps`).
//!
//! The log type (Sigma service) comes from the record's `_path` member when present, else from the base
//! name of the file being read ([`Origin::path`](crate::Origin::path)) through [`service_from_path`]. The logsource is product
//! `zeek`, that service when known, and category `dns` for DNS logs. Zeek's tab-separated format and
//! compressed logs are not read here.
//!
//! Errors: invalid UTF-8 is [`crate::ErrorKind::NotUtf8`], invalid JSON [`crate::ErrorKind::Json`], and JSON that is not an
//! object [`crate::ErrorKind::NotAnObject`].

use serde_json::Value;
use vigil_event::{Event, Raw};

use crate::{Origin, ParseError, eve, syslog, time};

/// Zeek log types Vigil tags as a Sigma service.
const LOG_TYPES: [&str; 18] = [
    "conn",
    "dns",
    "http",
    "files",
    "ssl",
    "x509",
    "smtp",
    "ssh",
    "rdp",
    "smb_files",
    "smb_mapping",
    "dce_rpc",
    "kerberos",
    "ntlm",
    "notice",
    "weird",
    "dhcp",
    "software",
];

/// Parses one record.
pub fn parse(line: &[u8], origin: &Origin, offset: u64) -> Result<Event, ParseError> {
    let (text, object) = eve::parse_object(line, origin, offset)?;
    Ok(from_object(object, Raw::JsonText(text.into()), origin, offset))
}

/// Whether a JSON object read from a stream of unknown kind is a Zeek record: it names its log
/// type (`_path`, which Zeek's JSON streaming writers add) and has Zeek's time, `ts`.
pub fn is_zeek_record(object: &Value) -> bool {
    object.get("_path").is_some_and(Value::is_string) && object.get("ts").is_some()
}

/// The Zeek log type Vigil tags as a Sigma service, if `name` is one.
pub fn log_type(name: &str) -> Option<&'static str> {
    eve::known(&LOG_TYPES, name)
}

/// An event from a Zeek record already read as a JSON object.
pub fn from_object(object: Value, raw: Raw, origin: &Origin, offset: u64) -> Event {
    let time = match object.get("ts") {
        Some(Value::Number(n)) => time::from_json_number(n),
        Some(Value::String(s)) => syslog::parse_time(s),
        _ => None,
    };
    let service = match object.get("_path").and_then(Value::as_str) {
        Some(path) => eve::known(&LOG_TYPES, path),
        None => origin.path.as_deref().and_then(service_from_path),
    };
    eve::network_event(origin, offset, "zeek", service, time, object, raw)
}

/// The Zeek log type (Sigma `service`) named by a log file's name, e.g. `dns.log` -> `dns`.
///
/// Accepts a path (the base name is used), rotated names (`dns.2024-01-02-00-00-00.log`) and `.json`
/// names (`dns.json`); compressed names (`dns.log.gz`) give `None`.
pub fn service_from_path(file_name: &str) -> Option<&'static str> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let (stem, _) = base.split_once('.')?;
    let ext = base.rsplit('.').next()?;
    if !(ext.eq_ignore_ascii_case("log") || ext.eq_ignore_ascii_case("json")) {
        return None;
    }
    LOG_TYPES.iter().copied().find(|t| t.eq_ignore_ascii_case(stem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(service_from_path("conn.log"), Some("conn"));
        assert_eq!(service_from_path("/var/log/zeek/current/dns.log"), Some("dns"));
        assert_eq!(service_from_path(r"C:\zeek\smb_files.log"), Some("smb_files"));
        assert_eq!(service_from_path("dns.2024-01-02-00-00-00.log"), Some("dns"));
        assert_eq!(service_from_path("dns.00:00:00-01:00:00.log"), Some("dns"));
        assert_eq!(service_from_path("dns.json"), Some("dns"));
        assert_eq!(service_from_path("DNS.LOG"), Some("dns"));
        assert_eq!(service_from_path("dns.log.gz"), None);
        assert_eq!(service_from_path("dns"), None);
        assert_eq!(service_from_path("syslog.log"), None);
        assert_eq!(service_from_path("dnsx.log"), None);
    }
}

//! Input formats and the line-format dispatcher.

use std::{fmt, str::FromStr};

use vigil_event::Event;

use crate::{ErrorKind, Origin, ParseError, auditd, cef, eve, json, normalize::FieldMap, syslog, zeek};

/// The largest single record accepted (1 MiB); larger ones are reported, not parsed.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// An input format Vigil can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Windows event log files (binary; read whole files with [`crate::evtx::EvtxReader`]).
    Evtx,
    /// One JSON object per line: plain, ECS/Winlogbeat or `Event.System/EventData` shaped.
    Ndjson,
    /// Syslog, RFC 3164 or RFC 5424 (detected per message).
    Syslog,
    /// ArcSight Common Event Format, bare or inside a syslog message.
    Cef,
    /// Suricata EVE JSON.
    SuricataEve,
    /// Zeek logs written as JSON.
    Zeek,
    /// Linux audit (auditd) log lines.
    Auditd,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Evtx,
        Format::Ndjson,
        Format::Syslog,
        Format::Cef,
        Format::SuricataEve,
        Format::Zeek,
        Format::Auditd,
    ];

    /// The name used on the command line and in configuration.
    pub fn name(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::Ndjson => "ndjson",
            Format::Syslog => "syslog",
            Format::Cef => "cef",
            Format::SuricataEve => "eve",
            Format::Zeek => "zeek",
            Format::Auditd => "auditd",
        }
    }

    /// Guesses a file's format from its name, then from its first bytes.
    pub fn detect(file_name: &str, head: &[u8]) -> Option<Format> {
        let lower = file_name.to_ascii_lowercase();
        if head.starts_with(b"ElfFile\0") || lower.ends_with(".evtx") {
            return Some(Format::Evtx);
        }
        let base = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
        if base.starts_with("eve") && (base.ends_with(".json") || base.ends_with(".jsonl")) {
            return Some(Format::SuricataEve);
        }
        if base.starts_with("audit") && base.contains(".log") {
            return Some(Format::Auditd);
        }
        let first = head
            .split(|&b| b == b'\n')
            .find(|l| !l.iter().all(u8::is_ascii_whitespace))
            .unwrap_or(&[]);
        let first = first.trim_ascii();
        let has = |needle: &[u8]| memchr::memmem::find(first, needle).is_some();
        if first.starts_with(b"{") {
            if zeek::service_from_path(base).is_some() && !base.starts_with("eve") {
                return Some(Format::Zeek);
            }
            if has(b"\"event_type\"") && (has(b"\"flow_id\"") || has(b"\"event_type\":\"stats\"")) {
                return Some(Format::SuricataEve);
            }
            if has(b"\"_path\"") || (has(b"\"ts\"") && has(b"\"uid\"") && has(b"\"id.orig_h\"")) {
                return Some(Format::Zeek);
            }
            return Some(Format::Ndjson);
        }
        if first.starts_with(b"CEF:") {
            return Some(Format::Cef);
        }
        if (first.starts_with(b"type=") || first.starts_with(b"node=")) && has(b"msg=audit(") {
            return Some(Format::Auditd);
        }
        // Zeek's tab-separated logs (`#separator \x09`) are not a format Vigil reads.
        if first.starts_with(b"#separator") {
            return None;
        }
        if syslog::looks_like_syslog(first)
            || lower.ends_with(".log")
            || lower.contains("syslog")
            || lower.contains("messages")
        {
            return Some(Format::Syslog);
        }
        None
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| {
                f.name() == s || (s == "json" && *f == Format::Ndjson) || (s == "suricata" && *f == Format::SuricataEve)
            })
            .ok_or_else(|| {
                let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format `{s}` (expected one of: {})", names.join(", "))
            })
    }
}

/// Parses one record of a line format. `offset` is the record's byte offset in its input.
///
/// Errors for EVTX (a binary format): use [`crate::evtx::EvtxReader`] instead.
pub fn parse_line(format: Format, line: &[u8], origin: &Origin, offset: u64) -> Result<Event, ParseError> {
    parse_line_with(format, line, origin, offset, &[])
}

/// [`parse_line`] with user field maps, tried on JSON records before the built-in ones.
pub fn parse_line_with(
    format: Format,
    line: &[u8],
    origin: &Origin,
    offset: u64,
    field_maps: &[FieldMap],
) -> Result<Event, ParseError> {
    if line.len() > MAX_RECORD_BYTES {
        return Err(origin.error(offset, ErrorKind::TooLarge(line.len(), MAX_RECORD_BYTES)));
    }
    let line = line.trim_ascii();
    if line.is_empty() {
        return Err(origin.error(offset, ErrorKind::Empty));
    }
    match format {
        Format::Ndjson => json::parse_with(line, origin, offset, field_maps),
        Format::Syslog => syslog::parse(line, origin, offset),
        Format::Cef => cef::parse(line, origin, offset),
        Format::SuricataEve => eve::parse(line, origin, offset),
        Format::Zeek => zeek::parse(line, origin, offset),
        Format::Auditd => auditd::parse(line, origin, offset),
        Format::Evtx => Err(origin.error(
            offset,
            ErrorKind::Evtx("EVTX is a binary file format, not a line format".into()),
        )),
    }
}

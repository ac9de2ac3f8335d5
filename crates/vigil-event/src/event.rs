//! The event record.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use crate::{EventId, Fields, LogSourceTags};

/// Where an event came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The kind of input: `evtx`, `ndjson`, `syslog`, `syslog-tcp`, `http-bulk`, …
    pub input: Arc<str>,
    /// The host that produced the record, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<Arc<str>>,
    /// The file the record was read from (as given or walked), when it came from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Arc<str>>,
    /// Position of the record in its input: the byte offset of a line, or an EVTX record id.
    pub offset: u64,
}

/// The original record, kept as received.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Raw {
    /// Not kept (e.g. the caller chose to drop it to save memory).
    #[default]
    None,
    /// A text record: a log line, a syslog message. Keyword rules search it.
    Text(Box<str>),
    /// The original text of a JSON record. Keyword rules search its values (the fields), not this
    /// text, so key names and escapes never match a keyword.
    JsonText(Box<str>),
    /// A structured record: a JSON document, or an EVTX record rendered by the `evtx` crate.
    Json(Box<serde_json::Value>),
}

impl Raw {
    /// The bytes identifying the record, for [`EventId::derive`]: the text of a text record.
    /// Structured records (EVTX) are identified by their source and offset (record id) alone, so
    /// no per-record serialization is needed.
    pub fn identity_bytes(&self) -> &[u8] {
        match self {
            Raw::None | Raw::Json(_) => &[],
            Raw::Text(t) | Raw::JsonText(t) => t.as_bytes(),
        }
    }
}

/// One normalized event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: EventId,
    /// When the event happened, as stated by the record; `None` when the record carries no time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    pub source: Source,
    pub logsource: LogSourceTags,
    pub fields: Fields,
    #[serde(skip_serializing_if = "is_raw_none")]
    pub raw: Raw,
}

fn is_raw_none(raw: &Raw) -> bool {
    matches!(raw, Raw::None)
}

impl Event {
    /// Builds an event, deriving its id from the source identity and the raw record.
    pub fn new(source: Source, time: Option<Timestamp>, logsource: LogSourceTags, fields: Fields, raw: Raw) -> Self {
        let id = EventId::derive(
            &source.input,
            source.path.as_deref(),
            source.offset,
            raw.identity_bytes(),
        );
        Event {
            id,
            time,
            source,
            logsource,
            fields,
            raw,
        }
    }
}

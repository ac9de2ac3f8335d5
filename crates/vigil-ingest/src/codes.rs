//! Stable dead-letter codes ([`crate::DeadLetter::code`]). They are part of the contract with
//! operators (dashboards, alerts): never rename one, only add.

/// A syslog frame (TCP line or UDP datagram) or an HTTP document exceeds the configured maximum.
pub const FRAME_TOO_LARGE: &str = "frame_too_large";
/// An octet-counted syslog frame does not start with a valid `LEN SP` header; the connection is closed.
pub const BAD_OCTET_COUNT: &str = "bad_octet_count";
/// The connection ended in the middle of an octet-counted frame.
pub const TRUNCATED_FRAME: &str = "truncated_frame";
/// A document that must be JSON is not (syntax error, or not an object where one is required).
pub const BAD_JSON: &str = "bad_json";
/// An Elasticsearch `_bulk` action/metadata line is malformed (the whole request is refused).
pub const BAD_BULK_ACTION: &str = "bad_bulk_action";
/// A `_bulk` `index`/`create` action without a source line.
pub const MISSING_SOURCE: &str = "missing_source";
/// A `_bulk` action names no index (neither `_index` nor the URL).
pub const MISSING_INDEX: &str = "missing_index";
/// A `_bulk` `delete` or `update` action: this endpoint only appends.
pub const UNSUPPORTED_ACTION: &str = "unsupported_action";
/// A Splunk HEC envelope is invalid (not an object, bad `time`, bad `fields`, missing or blank `event`).
pub const BAD_ENVELOPE: &str = "bad_envelope";
/// An OTLP protobuf body does not decode.
pub const BAD_PROTOBUF: &str = "bad_protobuf";
/// One OTLP/JSON log record is malformed (the others of the request are accepted).
pub const BAD_OTLP_RECORD: &str = "bad_otlp_record";
/// A compressed body does not decompress.
pub const BAD_ENCODING: &str = "bad_encoding";

/// Every code above, for documentation and metrics label sets.
pub const ALL: &[&str] = &[
    FRAME_TOO_LARGE,
    BAD_OCTET_COUNT,
    TRUNCATED_FRAME,
    BAD_JSON,
    BAD_BULK_ACTION,
    MISSING_SOURCE,
    MISSING_INDEX,
    UNSUPPORTED_ACTION,
    BAD_ENVELOPE,
    BAD_PROTOBUF,
    BAD_OTLP_RECORD,
    BAD_ENCODING,
];

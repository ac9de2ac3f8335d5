//! Splunk HTTP Event Collector compatible routes.
//!
//! `/services/collector/event` (and `/services/collector`, `/event/1.0`): the body is JSON
//! envelopes, concatenated with or without whitespace. `event` as a string becomes a
//! [`RecordFormat::Text`] record, as an object a [`RecordFormat::Json`] record (other JSON values:
//! Text with their JSON text). `host`, `source`, `sourcetype`, `index` become attributes of the
//! same name, `time` (epoch seconds, number or string) the attribute `time` in RFC 3339, and each
//! `fields` entry an attribute `field.<name>` (arrays give one attribute per element). Query
//! parameters of the same names are defaults for envelopes that lack them.
//!
//! An answer tells exactly what is stored. Envelopes are taken in order up to the first one that
//! cannot be stored — an invalid envelope, or an event the pipeline would refuse (over the record
//! limit of [`crate::MAX_RECORD_BYTES`] with its attributes, see [`crate::admit`]): that one is
//! dead-lettered and answered with its code and zero-based `invalid-event-number` (400; 413 for
//! an event over the record limit); the envelopes before it are stored, nothing after it is. A
//! client may so resend from the event the answer names without duplicating anything.
//!
//! `/services/collector/raw`: each non-blank line of the body is a Text record, with attributes
//! from the query (`host`, `source`, `sourcetype`, `index`, `time`); a line over the record limit
//! is answered like an event (its number counts the non-blank lines), and stops the request there.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::body::{BodyError, read_body};
use super::{
    HttpIngest, Shared, dead_letters, json_response, letter, no_tenant, peer_of, retry_after_header, submit, tenant_of,
    timestamp_from_decimal,
};
use crate::auth::{AuthOutcome, authorize};
use crate::{DeadLetter, Record, RecordFormat, Refusal, SinkError, admit, codes};

fn hec(status: StatusCode, text: &str, code: u16) -> Response {
    json_response(status, &json!({"text": text, "code": code}))
}

/// A HEC status: code and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HecStatus {
    code: u16,
    text: &'static str,
}

const INVALID_FORMAT: HecStatus = HecStatus {
    code: 6,
    text: "Invalid data format",
};
const EVENT_REQUIRED: HecStatus = HecStatus {
    code: 12,
    text: "Event field is required",
};
const EVENT_BLANK: HecStatus = HecStatus {
    code: 13,
    text: "Event field cannot be blank",
};
const BAD_FIELDS: HecStatus = HecStatus {
    code: 15,
    text: "Error in handling indexed fields",
};
/// One event over the record limit (answered 413, as a body over the request limit is).
const TOO_LARGE: HecStatus = HecStatus {
    code: 6,
    text: "Content too large",
};

pub(super) fn router(state: HttpIngest) -> Router {
    let ingest = Router::new()
        .route("/services/collector", post(event))
        .route("/services/collector/event", post(event))
        .route("/services/collector/event/1.0", post(event))
        .route("/services/collector/raw", post(raw))
        .route("/services/collector/raw/1.0", post(raw))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state);
    // Like Splunk, the health check needs no token (load balancers probe it).
    let health = Router::new()
        .route("/services/collector/health", get(health))
        .route("/services/collector/health/1.0", get(health));
    ingest.merge(health)
}

async fn health() -> Response {
    hec(StatusCode::OK, "HEC is healthy", 17)
}

async fn require_token(State(state): State<HttpIngest>, mut req: Request, next: Next) -> Response {
    state.inner.hec.metrics.add_request();
    match authorize(&*state.inner.auth, req.headers()).await {
        AuthOutcome::Allowed(tenant) => {
            req.extensions_mut().insert(tenant);
            next.run(req).await
        }
        AuthOutcome::Missing => hec(StatusCode::UNAUTHORIZED, "Token is required", 2),
        AuthOutcome::Malformed => hec(StatusCode::UNAUTHORIZED, "Invalid authorization", 3),
        AuthOutcome::Denied => hec(StatusCode::FORBIDDEN, "Invalid token", 4),
        // Splunk's "Server is busy": senders retry.
        AuthOutcome::Unavailable => hec(StatusCode::SERVICE_UNAVAILABLE, "Server is busy", 9),
    }
}

/// Query parameters: defaults for the envelopes (event) or the attributes (raw).
#[derive(Debug, Default, Deserialize)]
struct HecQuery {
    host: Option<String>,
    source: Option<String>,
    sourcetype: Option<String>,
    index: Option<String>,
    time: Option<String>,
}

impl HecQuery {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "host" => self.host.as_deref(),
            "source" => self.source.as_deref(),
            "sourcetype" => self.sourcetype.as_deref(),
            "index" => self.index.as_deref(),
            _ => None,
        }
        .filter(|v| !v.is_empty())
    }
}

const META_KEYS: [&str; 4] = ["host", "source", "sourcetype", "index"];

fn sink_error(err: SinkError) -> Response {
    match err {
        SinkError::Full { retry_after } => {
            let mut response = hec(StatusCode::SERVICE_UNAVAILABLE, "Server is busy", 9);
            let (name, value) = retry_after_header(retry_after);
            response.headers_mut().insert(name, value);
            response
        }
        SinkError::TooLarge(_) => hec(StatusCode::PAYLOAD_TOO_LARGE, "Content too large", 6),
        SinkError::Unavailable(_) => hec(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error", 8),
    }
}

/// Reads the body; `Err` is the final answer (including "No data").
async fn request_body(
    shared: &Shared,
    peer: Option<SocketAddr>,
    tenant: &Arc<str>,
    req: Request,
) -> Result<(Uri, Bytes), Response> {
    let (parts, body) = req.into_parts();
    let config = &shared.config;
    match read_body(&parts.headers, body, config.max_body_bytes, config.max_decoded_bytes).await {
        Ok(bytes) if bytes.trim_ascii().is_empty() => Err(hec(StatusCode::BAD_REQUEST, "No data", 5)),
        Ok(bytes) => Ok((parts.uri, bytes)),
        Err(BodyError::TooLarge(_)) => Err(hec(StatusCode::PAYLOAD_TOO_LARGE, "Content too large", 6)),
        Err(BodyError::UnsupportedEncoding(_)) => Err(hec(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            INVALID_FORMAT.text,
            INVALID_FORMAT.code,
        )),
        Err(err @ BodyError::BadEncoding { .. }) => {
            let message = err.message();
            if let BodyError::BadEncoding { raw, .. } = err {
                let dead = letter(&shared.hec, peer, codes::BAD_ENCODING, message, &raw);
                dead_letters(shared, &shared.hec, tenant, vec![dead]).await;
            }
            Err(hec(StatusCode::BAD_REQUEST, INVALID_FORMAT.text, INVALID_FORMAT.code))
        }
        Err(BodyError::Read(_)) => Err(hec(StatusCode::BAD_REQUEST, INVALID_FORMAT.text, INVALID_FORMAT.code)),
    }
}

/// The query parameters; `None` when they do not parse.
fn query_of(uri: &Uri) -> Option<HecQuery> {
    Query::<HecQuery>::try_from_uri(uri).ok().map(|q| q.0)
}

fn bad_query() -> Response {
    hec(StatusCode::BAD_REQUEST, INVALID_FORMAT.text, INVALID_FORMAT.code)
}

struct Parsed {
    records: Vec<Record>,
    letters: Vec<DeadLetter>,
    first_error: Option<(usize, HecStatus)>,
}

/// Submits, then answers: Success, or the first envelope error (after dead-lettering).
async fn finish(shared: &Shared, tenant: &Arc<str>, parsed: Parsed) -> Response {
    if let Err(err) = submit(shared, &shared.hec, tenant, parsed.records).await {
        return sink_error(err);
    }
    dead_letters(shared, &shared.hec, tenant, parsed.letters).await;
    match parsed.first_error {
        None => hec(StatusCode::OK, "Success", 0),
        Some((number, status)) => json_response(
            if status == TOO_LARGE {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            },
            &json!({"text": status.text, "code": status.code, "invalid-event-number": number}),
        ),
    }
}

async fn event(State(state): State<HttpIngest>, req: Request) -> Response {
    let shared = Arc::clone(&state.inner);
    let peer = peer_of(&req);
    let Some(tenant) = tenant_of(&req) else {
        return no_tenant();
    };
    let (uri, body) = match request_body(&shared, peer, &tenant, req).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let Some(query) = query_of(&uri) else {
        return bad_query();
    };
    let parse_shared = Arc::clone(&shared);
    let parsed = tokio::task::spawn_blocking(move || parse_events(&parse_shared, &body, &query, peer)).await;
    match parsed {
        Ok(parsed) => finish(&shared, &tenant, parsed).await,
        Err(err) => {
            tracing::error!(%err, "hec parser task failed");
            hec(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error", 8)
        }
    }
}

/// The envelopes of an event request, in order, up to the first one that cannot be stored: that
/// one is dead-lettered and its number answered; nothing after it is looked at, so what the
/// answer admits to is exactly what is stored and a client may resend from that number.
fn parse_events(shared: &Shared, body: &[u8], query: &HecQuery, peer: Option<SocketAddr>) -> Parsed {
    let received = Timestamp::now();
    let mut out = Parsed {
        records: Vec::new(),
        letters: Vec::new(),
        first_error: None,
    };
    let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    let mut number = 0;
    loop {
        let start = stream.byte_offset();
        let Some(next) = stream.next() else {
            break;
        };
        let value = match next {
            Ok(value) => value,
            Err(err) => {
                // Framing is lost: the rest of the body is one dead letter.
                let rest = body.get(start..).unwrap_or_default().trim_ascii();
                out.letters
                    .push(letter(&shared.hec, peer, codes::BAD_JSON, err.to_string(), rest));
                out.first_error = Some((number, INVALID_FORMAT));
                break;
            }
        };
        let raw = body.get(start..stream.byte_offset()).unwrap_or_default().trim_ascii();
        let refused = match envelope(value, query) {
            Ok((format, data, attrs)) => {
                let record = Record {
                    input: Arc::clone(&shared.hec.input),
                    // Stamped with the sender's tenant when submitted.
                    tenant: crate::record::default_tenant(),
                    format,
                    received,
                    peer,
                    attrs,
                    data,
                };
                match admit::check(&record) {
                    Ok(()) => {
                        out.records.push(record);
                        None
                    }
                    Err(refusal) => Some((refusal.code(), refusal.to_string(), refused_status(&refusal))),
                }
            }
            Err(status) => Some((codes::BAD_ENVELOPE, status.text.to_owned(), status)),
        };
        if let Some((code, message, status)) = refused {
            out.letters.push(letter(&shared.hec, peer, code, message, raw));
            out.first_error = Some((number, status));
            break;
        }
        number += 1;
    }
    out
}

/// The HEC status of an event the pipeline would refuse.
fn refused_status(refusal: &Refusal) -> HecStatus {
    match refusal {
        Refusal::TooLarge { .. } => TOO_LARGE,
        Refusal::Blank => EVENT_BLANK,
        _ => INVALID_FORMAT,
    }
}

/// Attribute text of a JSON value (strings without quotes).
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parse_time(value: &Value) -> Result<Option<Timestamp>, HecStatus> {
    let time = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => timestamp_from_decimal(&n.to_string()),
        Value::String(s) => timestamp_from_decimal(s),
        _ => None,
    };
    time.map(Some).ok_or(INVALID_FORMAT)
}

type Envelope = (RecordFormat, Vec<u8>, Vec<(String, String)>);

fn envelope(value: Value, query: &HecQuery) -> Result<Envelope, HecStatus> {
    let Value::Object(mut map) = value else {
        return Err(INVALID_FORMAT);
    };
    let (format, data) = match map.remove("event") {
        None | Some(Value::Null) => return Err(EVENT_REQUIRED),
        Some(Value::String(s)) if s.trim().is_empty() => return Err(EVENT_BLANK),
        Some(Value::String(s)) => (RecordFormat::Text, s.into_bytes()),
        Some(object @ Value::Object(_)) => (
            RecordFormat::Json,
            serde_json::to_vec(&object).map_err(|_| INVALID_FORMAT)?,
        ),
        Some(other) => (RecordFormat::Text, other.to_string().into_bytes()),
    };
    let mut attrs = Vec::new();
    for key in META_KEYS {
        match map.get(key) {
            Some(Value::String(s)) if !s.is_empty() => attrs.push((key.to_owned(), s.clone())),
            Some(Value::String(_) | Value::Null) | None => {
                if let Some(default) = query.get(key) {
                    attrs.push((key.to_owned(), default.to_owned()));
                }
            }
            Some(_) => return Err(INVALID_FORMAT),
        }
    }
    let time = match map.get("time") {
        Some(value) => parse_time(value)?,
        None => None,
    };
    let time = match (time, &query.time) {
        (Some(time), _) => Some(time),
        (None, Some(default)) => parse_time(&Value::String(default.clone()))?,
        (None, None) => None,
    };
    if let Some(time) = time {
        attrs.push(("time".to_owned(), time.to_string()));
    }
    match map.remove("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(fields)) => push_fields(&mut attrs, fields),
        Some(_) => return Err(BAD_FIELDS),
    }
    Ok((format, data, attrs))
}

fn push_fields(attrs: &mut Vec<(String, String)>, fields: Map<String, Value>) {
    for (key, value) in fields {
        let key = format!("field.{key}");
        match value {
            Value::Array(values) => {
                attrs.extend(values.iter().map(|v| (key.clone(), text_of(v))));
            }
            value => attrs.push((key, text_of(&value))),
        }
    }
}

async fn raw(State(state): State<HttpIngest>, req: Request) -> Response {
    let shared = Arc::clone(&state.inner);
    let peer = peer_of(&req);
    let Some(tenant) = tenant_of(&req) else {
        return no_tenant();
    };
    let (uri, body) = match request_body(&shared, peer, &tenant, req).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let Some(query) = query_of(&uri) else {
        return bad_query();
    };
    let mut attrs: Vec<(String, String)> = META_KEYS
        .iter()
        .filter_map(|&key| query.get(key).map(|v| (key.to_owned(), v.to_owned())))
        .collect();
    if let Some(time) = &query.time {
        match parse_time(&Value::String(time.clone())) {
            Ok(Some(time)) => attrs.push(("time".to_owned(), time.to_string())),
            _ => return hec(StatusCode::BAD_REQUEST, INVALID_FORMAT.text, INVALID_FORMAT.code),
        }
    }
    let parse_shared = Arc::clone(&shared);
    let parsed = tokio::task::spawn_blocking(move || raw_lines(&parse_shared, &body, &attrs, peer)).await;
    match parsed {
        Ok(parsed) => finish(&shared, &tenant, parsed).await,
        Err(err) => {
            tracing::error!(%err, "hec raw task failed");
            hec(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error", 8)
        }
    }
}

/// The lines of a raw request up to the first that cannot be stored (dead-lettered, its number
/// among the non-blank lines answered), as for events.
fn raw_lines(shared: &Shared, body: &[u8], attrs: &[(String, String)], peer: Option<SocketAddr>) -> Parsed {
    let received = Timestamp::now();
    let mut out = Parsed {
        records: Vec::new(),
        letters: Vec::new(),
        first_error: None,
    };
    let lines = body
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| admit::check_text(line).is_ok());
    for (number, line) in lines.enumerate() {
        let record = Record {
            input: Arc::clone(&shared.hec.input),
            // Stamped with the sender's tenant when submitted.
            tenant: crate::record::default_tenant(),
            format: RecordFormat::Text,
            received,
            peer,
            attrs: attrs.to_vec(),
            data: line.to_vec(),
        };
        if let Err(refusal) = admit::check(&record) {
            let data = &line[..line.len().min(crate::MAX_DEAD_LETTER_BYTES)];
            out.letters
                .push(letter(&shared.hec, peer, refusal.code(), refusal.to_string(), data));
            out.first_error = Some((number, refused_status(&refusal)));
            break;
        }
        out.records.push(record);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HttpIngestConfig, MemorySink, StaticTokens};

    fn parse(body: &str) -> Parsed {
        let state = HttpIngest::new(
            HttpIngestConfig::default(),
            Arc::new(MemorySink::new()),
            Arc::new(StaticTokens::new(["t"])),
        );
        parse_events(&state.inner, body.as_bytes(), &HecQuery::default(), None)
    }

    #[test]
    fn concatenated_envelopes_with_and_without_whitespace() {
        let parsed = parse(
            r#"{"event":"a","time":1700000000.5,"host":"h1"}{"event":{"k":1},"sourcetype":"st","fields":{"f":"v","m":["x","y"]}}
               {"event":"c","time":"1700000001"}"#,
        );
        assert!(parsed.first_error.is_none());
        let r = &parsed.records;
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].format, r[0].data.as_slice()), (RecordFormat::Text, &b"a"[..]));
        assert_eq!(r[0].attr("time"), Some("2023-11-14T22:13:20.5Z"));
        assert_eq!(r[0].attr("host"), Some("h1"));
        assert_eq!(
            (r[1].format, r[1].data.as_slice()),
            (RecordFormat::Json, &br#"{"k":1}"#[..])
        );
        let fields: Vec<_> = r[1]
            .attrs
            .iter()
            .filter(|(k, _)| k.starts_with("field."))
            .cloned()
            .collect();
        assert_eq!(
            fields,
            vec![
                ("field.f".into(), "v".into()),
                ("field.m".into(), "x".into()),
                ("field.m".into(), "y".into()),
            ]
        );
        assert_eq!(r[2].attr("time"), Some("2023-11-14T22:13:21Z"));
    }

    #[test]
    fn the_first_invalid_envelope_ends_the_request() {
        let parsed = parse(
            r#"{"event":"ok"}{"time":1}{"event":""}{"event":"x","time":"soon"}{"event":"y","fields":3}[1]{"event":"z"}"#,
        );
        assert_eq!(parsed.first_error, Some((1, EVENT_REQUIRED)));
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.letters.len(), 1);
        assert_eq!(parsed.letters[0].data, br#"{"time":1}"#);
        let blank = parse(r#"{"event":"  "}"#);
        assert_eq!(blank.first_error, Some((0, EVENT_BLANK)));
        let fields = parse(r#"{"event":"e","fields":"no"}"#);
        assert_eq!(fields.first_error, Some((0, BAD_FIELDS)));
    }

    #[test]
    fn an_event_over_the_record_limit_ends_the_request() {
        let big = "x".repeat(crate::MAX_RECORD_BYTES + 1);
        let parsed = parse(&format!(r#"{{"event":"a"}}{{"event":"{big}"}}{{"event":"b"}}"#));
        assert_eq!(parsed.first_error, Some((1, TOO_LARGE)));
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.letters[0].code, codes::FRAME_TOO_LARGE);
    }

    #[test]
    fn syntax_error_dead_letters_the_rest() {
        let parsed = parse(r#"{"event":"a"}{"event": oops}{"event":"b"}"#);
        assert_eq!(parsed.first_error, Some((1, INVALID_FORMAT)));
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.letters[0].code, codes::BAD_JSON);
        assert!(parsed.letters[0].data.ends_with(br#"{"event":"b"}"#));
    }
}

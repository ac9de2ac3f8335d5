//! OTLP/HTTP logs: `POST /v1/logs` with `application/x-protobuf` or `application/json`.
//!
//! Each `LogRecord` becomes one [`RecordFormat::Json`] record holding this document:
//!
//! | key | value |
//! |---|---|
//! | `@timestamp` | RFC 3339 of `timeUnixNano`, else `observedTimeUnixNano`, else the receive time |
//! | `observed_timestamp` | RFC 3339 of `observedTimeUnixNano` (when set) |
//! | `severity_text`, `severity_number` | when set |
//! | `message` | the body, when it is a string |
//! | `body` | the body as JSON, when it is not a string |
//! | `trace_id`, `span_id` | lower-case hex (when set); `trace_flags` when non-zero |
//! | `event_name` | when set |
//! | *attribute key* | each log attribute, as JSON (kvlist → object, array → array, bytes → base64) |
//! | `attributes` | attributes whose key is one of the keys above |
//! | `resource` | object of the resource attributes (when any) |
//! | `scope` | `{name, version, attributes}` of the instrumentation scope (when set) |
//!
//! Answers: 200 with an empty `ExportLogsServiceResponse` (protobuf) or `{}` (JSON), every record
//! stored; or `partial_success` (`rejected_log_records`, `error_message` with the first reason)
//! when some were rejected and dead-lettered — a malformed OTLP/JSON record, or a record the
//! pipeline would refuse (over the record limit of [`crate::MAX_RECORD_BYTES`], see
//! [`crate::admit`]) in either encoding — and only the others stored; 400 for a body that
//! does not decode; 429 + `Retry-After` when the spool is full; error bodies are `google.rpc.Status`
//! in the request's encoding, except 401 (the common JSON error).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use prost::Message as _;
use serde_json::{Map, Value, json};

use super::body::{BodyError, read_body};
use super::otlp_proto::{
    AnyValue, ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse, InstrumentationScope,
    KeyValue, LogRecord, Status, any_value,
};
use super::{
    HttpIngest, Shared, dead_letters, error_response, json_response, letter, no_tenant, peer_of, retry_after_header,
    submit, tenant_of,
};
use crate::auth::{AuthOutcome, authorize};
use crate::{DeadLetter, ErrorCode, Record, RecordFormat, SinkError, admit, codes};

/// gRPC status codes used in `google.rpc.Status` bodies.
const INVALID_ARGUMENT: i32 = 3;
const RESOURCE_EXHAUSTED: i32 = 8;
const INTERNAL: i32 = 13;
const UNAVAILABLE: i32 = 14;

/// Keys of the document that attributes cannot take (they go under `attributes`).
const RESERVED: &[&str] = &[
    "@timestamp",
    "observed_timestamp",
    "severity_text",
    "severity_number",
    "message",
    "body",
    "trace_id",
    "span_id",
    "trace_flags",
    "event_name",
    "resource",
    "scope",
    "attributes",
];

pub(super) fn router(state: HttpIngest) -> Router {
    Router::new()
        .route("/v1/logs", post(logs))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state)
}

async fn require_token(State(state): State<HttpIngest>, mut req: Request, next: Next) -> Response {
    state.inner.otlp.metrics.add_request();
    let message = match authorize(&*state.inner.auth, req.headers()).await {
        AuthOutcome::Allowed(tenant) => {
            req.extensions_mut().insert(tenant);
            return next.run(req).await;
        }
        AuthOutcome::Missing => "an ingest token is required",
        AuthOutcome::Malformed | AuthOutcome::Denied => "invalid ingest token",
        AuthOutcome::Unavailable => {
            return error_response(
                ErrorCode::Unavailable,
                "the token cannot be checked now (the identity provider's keys are not loaded); retry",
            );
        }
    };
    let mut response = error_response(ErrorCode::Unauthorized, message);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

fn encoding(headers: &HeaderMap) -> Option<Encoding> {
    let mime = headers
        .get(header::CONTENT_TYPE)?
        .to_str()
        .ok()?
        .split(';')
        .next()?
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
        "application/json" => Some(Encoding::Json),
        _ => None,
    }
}

/// A `google.rpc.Status` answer in the request's encoding.
fn status(encoding: Encoding, http: StatusCode, code: i32, message: &str) -> Response {
    match encoding {
        Encoding::Protobuf => {
            let body = Status {
                code,
                message: message.to_owned(),
            }
            .encode_to_vec();
            protobuf_response(http, body)
        }
        Encoding::Json => json_response(http, &json!({"code": code, "message": message})),
    }
}

fn protobuf_response(http: StatusCode, body: Vec<u8>) -> Response {
    (
        http,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"))],
        body,
    )
        .into_response()
}

/// What a request decoded into.
struct Mapped {
    records: Vec<Record>,
    letters: Vec<DeadLetter>,
    first_reason: Option<String>,
}

async fn logs(State(state): State<HttpIngest>, req: Request) -> Response {
    let shared = Arc::clone(&state.inner);
    let Some(encoding) = encoding(req.headers()) else {
        return error_response(
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be application/x-protobuf or application/json",
        );
    };
    let peer = peer_of(&req);
    let Some(tenant) = tenant_of(&req) else {
        return no_tenant();
    };
    let (parts, body) = req.into_parts();
    let config = &shared.config;
    let body = match read_body(&parts.headers, body, config.max_body_bytes, config.max_decoded_bytes).await {
        Ok(body) => body,
        Err(err) => {
            let message = err.message();
            let http = match &err {
                BodyError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                BodyError::UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                BodyError::BadEncoding { .. } | BodyError::Read(_) => StatusCode::BAD_REQUEST,
            };
            if let BodyError::BadEncoding { raw, .. } = err {
                let dead = letter(&shared.otlp, peer, codes::BAD_ENCODING, &message, &raw);
                dead_letters(&shared, &shared.otlp, &tenant, vec![dead]).await;
            }
            return status(encoding, http, INVALID_ARGUMENT, &message);
        }
    };
    let parse_shared = Arc::clone(&shared);
    let decoded = tokio::task::spawn_blocking(move || decode(&parse_shared, encoding, &body, peer)).await;
    let mapped = match decoded {
        Ok(Ok(mapped)) => mapped,
        Ok(Err(dead)) => {
            let message = format!("cannot decode the request: {}", dead.message);
            dead_letters(&shared, &shared.otlp, &tenant, vec![*dead]).await;
            return status(encoding, StatusCode::BAD_REQUEST, INVALID_ARGUMENT, &message);
        }
        Err(err) => {
            tracing::error!(%err, "otlp decoder task failed");
            return status(encoding, StatusCode::INTERNAL_SERVER_ERROR, INTERNAL, "internal error");
        }
    };
    if let Err(err) = submit(&shared, &shared.otlp, &tenant, mapped.records).await {
        let (http, code, retry_after, message) = match err {
            SinkError::TooLarge(reason) => {
                return status(encoding, StatusCode::PAYLOAD_TOO_LARGE, INVALID_ARGUMENT, &reason);
            }
            SinkError::Full { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                RESOURCE_EXHAUSTED,
                retry_after,
                "the ingest spool is full, retry later",
            ),
            SinkError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                UNAVAILABLE,
                std::time::Duration::from_secs(1),
                "the ingest spool is unavailable, retry later",
            ),
        };
        let mut response = status(encoding, http, code, message);
        let (name, value) = retry_after_header(retry_after);
        response.headers_mut().insert(name, value);
        return response;
    }
    let rejected = mapped.letters.len() as i64;
    dead_letters(&shared, &shared.otlp, &tenant, mapped.letters).await;
    let partial = mapped.first_reason.map(|reason| ExportLogsPartialSuccess {
        rejected_log_records: rejected,
        error_message: format!("{rejected} log records rejected; first: {reason}"),
    });
    match encoding {
        Encoding::Protobuf => protobuf_response(
            StatusCode::OK,
            ExportLogsServiceResponse {
                partial_success: partial,
            }
            .encode_to_vec(),
        ),
        Encoding::Json => {
            let body = match partial {
                None => json!({}),
                Some(p) => json!({"partialSuccess": {
                    "rejectedLogRecords": p.rejected_log_records.to_string(),
                    "errorMessage": p.error_message,
                }}),
            };
            json_response(StatusCode::OK, &body)
        }
    }
}

/// Decodes the body and maps it to records; `Err` is the dead letter of an undecodable body.
fn decode(
    shared: &Shared,
    encoding: Encoding,
    body: &[u8],
    peer: Option<SocketAddr>,
) -> Result<Mapped, Box<DeadLetter>> {
    let endpoint = &shared.otlp;
    let (request, rejected) = match encoding {
        Encoding::Protobuf => match ExportLogsServiceRequest::decode(body) {
            Ok(request) => (request, Vec::new()),
            Err(err) => {
                return Err(Box::new(letter(
                    endpoint,
                    peer,
                    codes::BAD_PROTOBUF,
                    err.to_string(),
                    body,
                )));
            }
        },
        Encoding::Json => match super::otlp_json::decode(body) {
            Ok(decoded) => (decoded.request, decoded.rejected),
            Err(message) => return Err(Box::new(letter(endpoint, peer, codes::BAD_JSON, message, body))),
        },
    };
    let received = Timestamp::now();
    let mut first_reason = rejected.first().map(|(reason, _)| reason.clone());
    let mut letters: Vec<DeadLetter> = rejected
        .into_iter()
        .map(|(reason, data)| letter(endpoint, peer, codes::BAD_OTLP_RECORD, reason, &data))
        .collect();
    let mut records = Vec::new();
    for resource_logs in request.resource_logs {
        let resource = resource_logs
            .resource
            .map(|r| attributes_object(&r.attributes))
            .filter(|attrs| !attrs.is_empty());
        for scope_logs in resource_logs.scope_logs {
            let scope = scope_logs.scope.as_ref().and_then(scope_object);
            for log in &scope_logs.log_records {
                let doc = document(log, resource.as_ref(), scope.as_ref(), received);
                let record = Record {
                    input: Arc::clone(&endpoint.input),
                    // Stamped with the sender's tenant when submitted.
                    tenant: crate::record::default_tenant(),
                    format: RecordFormat::Json,
                    received,
                    peer,
                    attrs: Vec::new(),
                    data: serde_json::to_vec(&doc).unwrap_or_default(),
                };
                // A record the pipeline would refuse is rejected here, in partial_success.
                match admit::check(&record) {
                    Ok(()) => records.push(record),
                    Err(refusal) => {
                        let reason = refusal.to_string();
                        first_reason.get_or_insert_with(|| reason.clone());
                        letters.push(letter(endpoint, peer, refusal.code(), reason, &record.data));
                    }
                }
            }
        }
    }
    Ok(Mapped {
        records,
        letters,
        first_reason,
    })
}

/// An OTLP `AnyValue` as JSON.
fn any_json(value: Option<&AnyValue>) -> Value {
    use any_value::Value as V;
    match value.and_then(|v| v.value.as_ref()) {
        None => Value::Null,
        Some(V::StringValue(s)) => Value::String(s.clone()),
        Some(V::BoolValue(b)) => Value::Bool(*b),
        Some(V::IntValue(i)) => Value::from(*i),
        Some(V::DoubleValue(d)) => serde_json::Number::from_f64(*d)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(d.to_string())),
        Some(V::ArrayValue(array)) => Value::Array(array.values.iter().map(|v| any_json(Some(v))).collect()),
        Some(V::KvlistValue(list)) => Value::Object(attributes_object(&list.values)),
        Some(V::BytesValue(bytes)) => Value::String(STANDARD.encode(bytes)),
    }
}

fn attributes_object(attributes: &[KeyValue]) -> Map<String, Value> {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), any_json(kv.value.as_ref())))
        .collect()
}

fn scope_object(scope: &InstrumentationScope) -> Option<Value> {
    let mut object = Map::new();
    if !scope.name.is_empty() {
        object.insert("name".into(), Value::String(scope.name.clone()));
    }
    if !scope.version.is_empty() {
        object.insert("version".into(), Value::String(scope.version.clone()));
    }
    if !scope.attributes.is_empty() {
        object.insert("attributes".into(), Value::Object(attributes_object(&scope.attributes)));
    }
    (!object.is_empty()).then_some(Value::Object(object))
}

fn timestamp(nanos: u64) -> Option<Timestamp> {
    (nanos != 0)
        .then(|| Timestamp::from_nanosecond(i128::from(nanos)).ok())
        .flatten()
}

/// The document of one log record (see the module documentation).
fn document(
    log: &LogRecord,
    resource: Option<&Map<String, Value>>,
    scope: Option<&Value>,
    received: Timestamp,
) -> Map<String, Value> {
    let mut doc = Map::new();
    let mut shadowed = Map::new();
    for kv in &log.attributes {
        let value = any_json(kv.value.as_ref());
        if RESERVED.contains(&kv.key.as_str()) {
            shadowed.insert(kv.key.clone(), value);
        } else {
            doc.insert(kv.key.clone(), value);
        }
    }
    let observed = timestamp(log.observed_time_unix_nano);
    let time = timestamp(log.time_unix_nano).or(observed).unwrap_or(received);
    doc.insert("@timestamp".into(), Value::String(time.to_string()));
    if let Some(observed) = observed {
        doc.insert("observed_timestamp".into(), Value::String(observed.to_string()));
    }
    if !log.severity_text.is_empty() {
        doc.insert("severity_text".into(), Value::String(log.severity_text.clone()));
    }
    if log.severity_number != 0 {
        doc.insert("severity_number".into(), Value::from(log.severity_number));
    }
    match log.body.as_ref() {
        Some(AnyValue {
            value: Some(any_value::Value::StringValue(message)),
        }) => {
            doc.insert("message".into(), Value::String(message.clone()));
        }
        Some(body @ AnyValue { value: Some(_) }) => {
            doc.insert("body".into(), any_json(Some(body)));
        }
        _ => {}
    }
    if !log.trace_id.is_empty() {
        doc.insert("trace_id".into(), Value::String(hex::encode(&log.trace_id)));
    }
    if !log.span_id.is_empty() {
        doc.insert("span_id".into(), Value::String(hex::encode(&log.span_id)));
    }
    if log.flags & 0xff != 0 {
        doc.insert("trace_flags".into(), Value::from(log.flags & 0xff));
    }
    if !log.event_name.is_empty() {
        doc.insert("event_name".into(), Value::String(log.event_name.clone()));
    }
    if let Some(resource) = resource {
        doc.insert("resource".into(), Value::Object(resource.clone()));
    }
    if let Some(scope) = scope {
        doc.insert("scope".into(), scope.clone());
    }
    if !shadowed.is_empty() {
        doc.insert("attributes".into(), Value::Object(shadowed));
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
        }
    }

    #[test]
    fn document_mapping() {
        use any_value::Value as V;
        let log = LogRecord {
            time_unix_nano: 1_700_000_000_123_000_000,
            severity_number: 9,
            severity_text: "INFO".into(),
            body: Some(AnyValue {
                value: Some(V::KvlistValue(super::super::otlp_proto::KeyValueList {
                    values: vec![kv("a", V::IntValue(1))],
                })),
            }),
            attributes: vec![
                kv("http.method", V::StringValue("GET".into())),
                kv("message", V::StringValue("shadowed".into())),
                kv("raw", V::BytesValue(vec![1, 2])),
                kv("ratio", V::DoubleValue(f64::NAN)),
            ],
            span_id: vec![0xab; 8],
            ..LogRecord::default()
        };
        let resource: Map<String, Value> = [("service.name".to_owned(), Value::from("api"))].into_iter().collect();
        let doc = Value::Object(document(&log, Some(&resource), None, Timestamp::UNIX_EPOCH));
        assert_eq!(
            doc,
            json!({
                "@timestamp": "2023-11-14T22:13:20.123Z",
                "severity_number": 9,
                "severity_text": "INFO",
                "body": {"a": 1},
                "http.method": "GET",
                "raw": "AQI=",
                "ratio": "NaN",
                "span_id": "abababababababab",
                "resource": {"service.name": "api"},
                "attributes": {"message": "shadowed"},
            })
        );
    }

    #[test]
    fn timestamp_falls_back_to_observed_then_received() {
        let log = LogRecord {
            observed_time_unix_nano: 1_000_000_000,
            body: Some(AnyValue {
                value: Some(any_value::Value::StringValue("hi".into())),
            }),
            ..LogRecord::default()
        };
        let doc = document(&log, None, None, Timestamp::UNIX_EPOCH);
        assert_eq!(doc["@timestamp"], "1970-01-01T00:00:01Z");
        assert_eq!(doc["message"], "hi");
        let empty = document(&LogRecord::default(), None, None, Timestamp::UNIX_EPOCH);
        assert_eq!(empty["@timestamp"], "1970-01-01T00:00:00Z");
    }
}

//! OTLP/HTTP logs through the router (`oneshot`).

use std::time::Duration;

use axum::http::StatusCode;
use prost::Message as _;
use serde_json::{Value, json};
use vigil_ingest::codes;
use vigil_ingest::http::otlp_proto::{
    AnyValue, ExportLogsServiceRequest, ExportLogsServiceResponse, InstrumentationScope, KeyValue, KeyValueList,
    LogRecord, Resource, ResourceLogs, ScopeLogs, Status, any_value,
};

use crate::support::{BEARER, HttpFixture, Reply, call, gzip, http_fixture};

const PROTOBUF: (&str, &str) = ("content-type", "application/x-protobuf");
const JSON: (&str, &str) = ("content-type", "application/json");

fn string(s: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(s.into())),
    })
}

fn kv(key: &str, value: Option<AnyValue>) -> KeyValue {
    KeyValue { key: key.into(), value }
}

fn request() -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("service.name", string("checkout")), kv("host.name", string("web-7"))],
                dropped_attributes_count: 0,
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "app.logger".into(),
                    version: "1.2".into(),
                    ..InstrumentationScope::default()
                }),
                log_records: vec![
                    LogRecord {
                        time_unix_nano: 1_700_000_000_000_000_001,
                        observed_time_unix_nano: 1_700_000_000_500_000_000,
                        severity_number: 17,
                        severity_text: "ERROR".into(),
                        body: string("payment failed"),
                        attributes: vec![
                            kv(
                                "user.id",
                                Some(AnyValue {
                                    value: Some(any_value::Value::IntValue(42)),
                                }),
                            ),
                            kv(
                                "details",
                                Some(AnyValue {
                                    value: Some(any_value::Value::KvlistValue(KeyValueList {
                                        values: vec![kv("code", string("E42"))],
                                    })),
                                }),
                            ),
                        ],
                        trace_id: (1..=16).collect(),
                        span_id: (1..=8).collect(),
                        flags: 1,
                        ..LogRecord::default()
                    },
                    LogRecord {
                        observed_time_unix_nano: 1_700_000_001_000_000_000,
                        body: Some(AnyValue {
                            value: Some(any_value::Value::BoolValue(true)),
                        }),
                        ..LogRecord::default()
                    },
                ],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn docs(fx: &HttpFixture) -> Vec<Value> {
    fx.sink
        .records()
        .iter()
        .map(|r| serde_json::from_slice(&r.data).expect("json document"))
        .collect()
}

/// POSTs the two-record protobuf `request()` with a valid token.
async fn export_protobuf(fx: &HttpFixture) -> Reply {
    call(
        &fx.router,
        "POST",
        "/v1/logs",
        &[BEARER, PROTOBUF],
        request().encode_to_vec(),
    )
    .await
}

#[tokio::test]
async fn protobuf_request() {
    let fx = http_fixture();
    let reply = export_protobuf(&fx).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/x-protobuf"));
    let response = ExportLogsServiceResponse::decode(reply.body.as_ref()).expect("response");
    assert_eq!(response.partial_success, None);
    let docs = docs(&fx);
    assert_eq!(
        docs[0],
        json!({
            "@timestamp": "2023-11-14T22:13:20.000000001Z",
            "observed_timestamp": "2023-11-14T22:13:20.5Z",
            "severity_number": 17,
            "severity_text": "ERROR",
            "message": "payment failed",
            "user.id": 42,
            "details": {"code": "E42"},
            "trace_id": "0102030405060708090a0b0c0d0e0f10",
            "span_id": "0102030405060708",
            "trace_flags": 1,
            "resource": {"service.name": "checkout", "host.name": "web-7"},
            "scope": {"name": "app.logger", "version": "1.2"},
        })
    );
    assert_eq!(docs[1]["@timestamp"], "2023-11-14T22:13:21Z");
    assert_eq!(docs[1]["body"], true);
    let record = &fx.sink.records()[0];
    assert_eq!(&*record.input, "otlp");
    assert_eq!(record.format, vigil_ingest::RecordFormat::Json);
    assert_eq!(fx.state.otlp_metrics().records(), 2);
}

#[tokio::test]
async fn gzip_protobuf_request() {
    let fx = http_fixture();
    let body = gzip(&request().encode_to_vec());
    let reply = call(
        &fx.router,
        "POST",
        "/v1/logs",
        &[BEARER, PROTOBUF, ("content-encoding", "gzip")],
        body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(fx.sink.record_count(), 2);
}

#[tokio::test]
async fn json_request_and_partial_success() {
    let fx = http_fixture();
    let body = json!({"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
        "scopeLogs": [{
            "scope": {"name": "s"},
            "logRecords": [
                {"timeUnixNano": "1700000000000000000", "severityNumber": 9, "severityText": "INFO",
                 "body": {"stringValue": "hello"},
                 "attributes": [{"key": "n", "value": {"intValue": "7"}},
                                {"key": "list", "value": {"arrayValue": {"values": [{"doubleValue": 1.5}, {"boolValue": false}]}}}],
                 "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174"},
            ]
        }]
    }]});
    let reply = call(&fx.router, "POST", "/v1/logs", &[BEARER, JSON], body.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({}));
    let doc = &docs(&fx)[0];
    assert_eq!(doc["message"], "hello");
    assert_eq!(doc["n"], 7);
    assert_eq!(doc["list"], json!([1.5, false]));
    assert_eq!(doc["trace_id"], "5b8efff798038103d269b633813fc60c");
    assert_eq!(doc["resource"]["service.name"], "api");
    assert_eq!(doc["@timestamp"], "2023-11-14T22:13:20Z");

    let partial = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"body": {"stringValue": "good"}},
        {"body": {"stringValue": "bad trace"}, "traceId": "not-hex"},
    ]}]}]});
    let reply = call(&fx.router, "POST", "/v1/logs", &[BEARER, JSON], partial.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK);
    let json = reply.json();
    assert_eq!(json["partialSuccess"]["rejectedLogRecords"], "1");
    assert!(
        json["partialSuccess"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("traceId"))
    );
    assert_eq!(fx.sink.record_count(), 2);
    let letters = fx.sink.dead_letters();
    assert_eq!(letters[0].code, codes::BAD_OTLP_RECORD);
    assert!(String::from_utf8_lossy(&letters[0].data).contains("not-hex"));
}

#[tokio::test]
async fn undecodable_bodies_are_400_and_dead_lettered() {
    let fx = http_fixture();
    let reply = call(
        &fx.router,
        "POST",
        "/v1/logs",
        &[BEARER, PROTOBUF],
        vec![0x0a, 0xff, 0xff, 0x01],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let status = Status::decode(reply.body.as_ref()).expect("google.rpc.Status");
    assert_eq!(status.code, 3);
    let reply = call(&fx.router, "POST", "/v1/logs", &[BEARER, JSON], "{not json").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["code"], 3);
    let letters: Vec<&str> = fx.sink.dead_letters().iter().map(|l| l.code).collect();
    assert_eq!(letters, vec![codes::BAD_PROTOBUF, codes::BAD_JSON]);
    let reply = call(
        &fx.router,
        "POST",
        "/v1/logs",
        &[BEARER, ("content-type", "text/plain")],
        "x",
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(fx.sink.record_count(), 0);
}

#[tokio::test]
async fn batch_that_can_never_fit_gives_413_without_retry_after() {
    let fx = http_fixture();
    fx.sink.set_max_batch(Some(1));
    let reply = export_protobuf(&fx).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.header("retry-after"), None);
    let status = Status::decode(reply.body.as_ref()).expect("status");
    assert_eq!(status.code, 3);
    assert!(status.message.contains("smaller"), "{}", status.message);
    assert_eq!(fx.sink.record_count(), 0);
}

#[tokio::test]
async fn full_sink_gives_429_with_retry_after() {
    let fx = http_fixture();
    fx.sink.set_full(Some(Duration::from_millis(200)));
    let reply = export_protobuf(&fx).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(Status::decode(reply.body.as_ref()).expect("status").code, 8);
    assert_eq!(fx.sink.record_count(), 0);
    fx.sink.set_full(None);
    let reply = export_protobuf(&fx).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(fx.sink.record_count(), 2);
}

#[tokio::test]
async fn token_required() {
    let fx = http_fixture();
    for headers in [&[PROTOBUF][..], &[PROTOBUF, ("authorization", "Bearer wrong")][..]] {
        let reply = call(&fx.router, "POST", "/v1/logs", headers, request().encode_to_vec()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.json()["error"]["code"], "unauthorized");
    }
    assert_eq!(fx.sink.record_count(), 0);
}

//! Answers tell the truth: a record is acknowledged as stored only if the pipeline will store it,
//! and the same record limit holds on every HTTP input.

use axum::http::StatusCode;
use prost::Message as _;
use serde_json::{Value, json};
use vigil_ingest::http::otlp_proto::{
    AnyValue, ExportLogsServiceRequest, ExportLogsServiceResponse, LogRecord, ResourceLogs, ScopeLogs, any_value,
};
use vigil_ingest::{HttpIngestConfig, MAX_RECORD_BYTES, codes};

use crate::support::{BEARER, call, gzip, http_fixture, http_fixture_with};

const NDJSON: (&str, &str) = ("content-type", "application/x-ndjson");
const SPLUNK: (&str, &str) = ("authorization", "Splunk secret-token");

fn nested(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

/// Status and error type of each `_bulk` item.
fn item_results(body: &Value) -> Vec<(u64, String)> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            let inner = item.as_object().and_then(|o| o.values().next()).expect("one action");
            let kind = inner["error"]["type"].as_str().unwrap_or("").to_owned();
            (inner["status"].as_u64().unwrap_or(0), kind)
        })
        .collect()
}

#[tokio::test]
async fn bulk_items_the_pipeline_would_refuse_get_their_own_errors() {
    let fx = http_fixture();
    let big = format!("{{\"m\":\"{}\"}}", "x".repeat(MAX_RECORD_BYTES));
    let mut body = Vec::new();
    for source in [
        b"{\"n\":1}".to_vec(),
        big.into_bytes(),
        b"{\"bad\":\"\xff\xfe\"}".to_vec(),
        b"{\"n\":2}".to_vec(),
        nested(200).into_bytes(),
        b"{\"huge\":1e400}".to_vec(),
        b"{\"n\":3}".to_vec(),
    ] {
        body.extend_from_slice(b"{\"index\":{\"_index\":\"logs\"}}\n");
        body.extend_from_slice(&source);
        body.push(b'\n');
    }
    let reply = call(&fx.router, "POST", "/_bulk", &[BEARER, NDJSON], body).await;
    assert_eq!(reply.status, StatusCode::OK);
    let answer = reply.json();
    assert_eq!(answer["errors"], true);
    let parsing = || (400, "mapper_parsing_exception".to_owned());
    assert_eq!(
        item_results(&answer),
        vec![
            (201, String::new()),
            (400, "illegal_argument_exception".to_owned()),
            parsing(),
            (201, String::new()),
            parsing(),
            parsing(),
            (201, String::new()),
        ]
    );
    assert_eq!(answer["items"][1]["index"]["_index"], "logs");
    let stored: Vec<Vec<u8>> = fx.sink.records().into_iter().map(|r| r.data).collect();
    assert_eq!(
        stored,
        vec![b"{\"n\":1}".to_vec(), b"{\"n\":2}".to_vec(), b"{\"n\":3}".to_vec()]
    );
    let letters: Vec<&str> = fx.sink.dead_letters().iter().map(|l| l.code).collect();
    assert_eq!(
        letters,
        vec![
            codes::FRAME_TOO_LARGE,
            codes::BAD_JSON,
            codes::BAD_JSON,
            codes::BAD_JSON
        ]
    );
}

#[tokio::test]
async fn single_document_the_pipeline_would_refuse_is_not_created() {
    let fx = http_fixture();
    let reply = call(
        &fx.router,
        "PUT",
        "/logs/_doc/1",
        &[BEARER, ("content-type", "application/json")],
        nested(130),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let big = format!("{{\"m\":\"{}\"}}", "x".repeat(MAX_RECORD_BYTES));
    let reply = call(
        &fx.router,
        "POST",
        "/logs/_doc",
        &[BEARER, ("content-type", "application/json")],
        big,
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(fx.sink.record_count(), 0);
}

#[tokio::test]
async fn hec_stores_only_the_events_before_the_one_it_names() {
    let fx = http_fixture();
    let reply = call(
        &fx.router,
        "POST",
        "/services/collector/event",
        &[SPLUNK],
        r#"{"event":"ok1"}{"event":null}{"event":"ok3"}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!({"text": "Event field is required", "code": 12, "invalid-event-number": 1})
    );
    let stored: Vec<Vec<u8>> = fx.sink.records().into_iter().map(|r| r.data).collect();
    assert_eq!(stored, vec![b"ok1".to_vec()]);
    assert_eq!(fx.sink.dead_letters().len(), 1, "only the event named is refused");
    // The client resends from the event after the one named: nothing is stored twice.
    let retry = call(
        &fx.router,
        "POST",
        "/services/collector/event",
        &[SPLUNK],
        r#"{"event":"ok3"}"#,
    )
    .await;
    assert_eq!(retry.status, StatusCode::OK);
    let stored: Vec<Vec<u8>> = fx.sink.records().into_iter().map(|r| r.data).collect();
    assert_eq!(stored, vec![b"ok1".to_vec(), b"ok3".to_vec()]);
}

#[tokio::test]
async fn hec_raw_line_over_the_record_limit_is_refused_like_a_bulk_document() {
    let fx = http_fixture();
    // A 5 MB line: under the 32 MiB body limit, over the record limit _bulk applies.
    let mut body = b"first line\n".to_vec();
    body.extend(std::iter::repeat_n(b'x', 5_000_000));
    body.extend_from_slice(b"\nlast line\n");
    let reply = call(&fx.router, "POST", "/services/collector/raw", &[SPLUNK], body).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["invalid-event-number"], 1);
    let stored: Vec<Vec<u8>> = fx.sink.records().into_iter().map(|r| r.data).collect();
    assert_eq!(stored, vec![b"first line".to_vec()]);
    assert_eq!(fx.sink.dead_letters()[0].code, codes::FRAME_TOO_LARGE);

    // A HEC event just as large is refused the same way.
    let event = format!(r#"{{"event":"{}"}}"#, "y".repeat(MAX_RECORD_BYTES + 1));
    let reply = call(&fx.router, "POST", "/services/collector/event", &[SPLUNK], event).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["invalid-event-number"], 0);
    assert_eq!(fx.sink.record_count(), 1);
}

fn log(body: &str) -> LogRecord {
    LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000,
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(body.into())),
        }),
        ..LogRecord::default()
    }
}

#[tokio::test]
async fn otlp_rejects_records_the_pipeline_would_refuse_in_partial_success() {
    let fx = http_fixture();
    let big = "z".repeat(MAX_RECORD_BYTES);
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: None,
            scope_logs: vec![ScopeLogs {
                scope: None,
                log_records: vec![log("small one"), log(&big), log("small two")],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    };
    let reply = call(
        &fx.router,
        "POST",
        "/v1/logs",
        &[BEARER, ("content-type", "application/x-protobuf")],
        request.encode_to_vec(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let answer = ExportLogsServiceResponse::decode(reply.body.as_ref()).expect("response");
    let partial = answer.partial_success.expect("partial success");
    assert_eq!(partial.rejected_log_records, 1);
    assert!(
        partial.error_message.contains("record limit"),
        "{}",
        partial.error_message
    );
    let messages: Vec<String> = fx
        .sink
        .records()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.data).expect("json")["message"].to_string())
        .collect();
    assert_eq!(messages, vec!["\"small one\"", "\"small two\""]);
    assert_eq!(fx.sink.dead_letters()[0].code, codes::FRAME_TOO_LARGE);
}

#[tokio::test]
async fn gzip_bomb_is_refused_after_decompression() {
    let fx = http_fixture_with(HttpIngestConfig {
        max_body_bytes: 1 << 20,
        max_decoded_bytes: 1 << 20,
        ..HttpIngestConfig::default()
    });
    // 8 MiB of one line compresses to a few KiB: small as sent, over the limit once decoded.
    let bomb = gzip(&vec![b'a'; 8 << 20]);
    assert!(bomb.len() < 1 << 16);
    let reply = call(
        &fx.router,
        "POST",
        "/services/collector/raw",
        &[SPLUNK, ("content-encoding", "gzip")],
        bomb,
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(fx.sink.record_count(), 0);
}

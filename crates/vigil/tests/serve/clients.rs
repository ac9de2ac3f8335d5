//! Real client libraries against the server: elasticsearch-py `helpers.bulk`, Splunk HEC with
//! `requests`, and the OpenTelemetry Python SDK's OTLP/HTTP log exporter. The Python scripts in
//! tests/serve/clients print one JSON result line that these tests check.

use serde_json::Value;

use crate::harness::{BASE_CONFIG, Env, marker, python, run_python};

fn args(port: u16, token: &str, count: usize, marker: &str) -> Vec<String> {
    vec![
        "--port".into(),
        port.to_string(),
        "--token".into(),
        token.into(),
        "--count".into(),
        count.to_string(),
        "--marker".into(),
        marker.into(),
    ]
}

#[test]
fn elasticsearch_py_helpers_bulk() {
    let Some(py) = python(
        "elasticsearch_py_helpers_bulk",
        &["elasticsearch", "elasticsearch.helpers"],
    ) else {
        return;
    };
    const N: usize = 300;
    let env = Env::new(BASE_CONFIG);
    let server = env.start(false);
    let m = marker("es");
    let result = run_python(&py, "es_bulk.py", &args(server.http.port(), &env.ingest_token, N, &m));
    assert_eq!(result["errors"], Value::Array(vec![]), "{result}");
    assert_eq!(result["success"], N, "helpers.bulk successes: {result}");
    assert_eq!(result["success_api_key"], N / 2, "{result}");
    assert_eq!(result["success_basic"], N - N / 2, "{result}");
    assert!(
        result["info_version"].as_str().is_some_and(|v| v.starts_with('8')),
        "GET / version: {result}"
    );
    assert_eq!(
        result["wrong_token_status"], 401,
        "a wrong API key must be refused: {result}"
    );
    server.wait_count(&format!("marker:{m}"), N as u64);
    // Every document exactly once, with its source fields.
    let hits = server.hits(&format!("marker:{m}"), N);
    let mut seqs: Vec<u64> = hits
        .iter()
        .map(|h| {
            h["fields"]["seq"]
                .as_u64()
                .unwrap_or_else(|| panic!("no numeric seq in {h}"))
        })
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..N as u64).collect::<Vec<_>>());
    assert_eq!(
        server.count(&format!("marker:{m}x")),
        0,
        "the wrong key's documents were stored"
    );
    assert_eq!(server.metric("vigil_dropped_events_total"), Some(0.0));
}

#[test]
fn splunk_hec_event_and_raw_with_requests() {
    let Some(py) = python("splunk_hec_event_and_raw_with_requests", &["requests"]) else {
        return;
    };
    const N: usize = 120;
    let env = Env::new(BASE_CONFIG);
    let server = env.start(false);
    let m = marker("hec");
    let r = run_python(&py, "hec.py", &args(server.http.port(), &env.ingest_token, N, &m));
    let check = |name: &str, status: u64, codes: &[u64]| {
        let a = &r[name];
        assert_eq!(a["status"], status, "{name}: {a}");
        let code = a["code"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: no numeric HEC code in {a}"));
        assert!(
            codes.contains(&code),
            "{name}: HEC code {code}, expected one of {codes:?}: {a}"
        );
    };
    check("event", 200, &[0]);
    check("raw", 200, &[0]);
    check("no_token", 401, &[2]);
    check("wrong_token", 403, &[4]);
    check("not_json", 400, &[6]);
    // Splunk answers 12 "Event field is required" and 13 "Event field cannot be blank"; 6 (invalid
    // data format) is acceptable too.
    check("no_event", 400, &[6, 12]);
    check("blank_event", 400, &[6, 13]);
    server.wait_count(&format!("marker:{m}"), N as u64);
    let hits = server.hits(&format!("marker:{m}"), N);
    let mut seqs: Vec<u64> = hits
        .iter()
        .map(|h| {
            h["fields"]["seq"]
                .as_u64()
                .unwrap_or_else(|| panic!("no numeric seq in {h}"))
        })
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..N as u64).collect::<Vec<_>>());
    server.wait_count(&format!("{m}raw"), N as u64);
    assert_eq!(server.count(&format!("{m}bad")), 0, "refused envelopes were stored");
    assert_eq!(server.metric("vigil_dropped_events_total"), Some(0.0));
}

#[test]
fn opentelemetry_sdk_otlp_http_log_exporter() {
    let modules = [
        "opentelemetry.sdk._logs",
        "opentelemetry.exporter.otlp.proto.http._log_exporter",
    ];
    let Some(py) = python("opentelemetry_sdk_otlp_http_log_exporter", &modules) else {
        return;
    };
    const N: usize = 150;
    let env = Env::new(BASE_CONFIG);
    let server = env.start(false);
    let m = marker("otel");
    let r = run_python(&py, "otlp_logs.py", &args(server.http.port(), &env.ingest_token, N, &m));
    assert_eq!(r["exported"], N, "records the exporter reported exported: {r}");
    assert_eq!(r["failed"], 0, "{r}");
    assert_eq!(r["flushed"], true, "{r}");
    assert_eq!(r["wrong_token_failed"], 1, "a wrong token must be refused: {r}");
    assert_eq!(r["wrong_token_exported"], 0, "{r}");
    // The body is searchable ...
    server.wait_count(&m, N as u64);
    // ... and so are the attributes.
    server.wait_count(&format!("test_marker:{m}"), N as u64);
    let user3 = (0..N).filter(|i| i % 7 == 3).count() as u64;
    server.wait_count(&format!("test_marker:{m} AND user_name:user3"), user3);
    assert_eq!(
        server.count(&format!("test_marker:{m}x")),
        0,
        "the wrong token's record was stored"
    );
    assert_eq!(server.metric("vigil_dropped_events_total"), Some(0.0));
}

/// Real clients see the truth: elasticsearch-py reports exactly the documents that cannot be
/// stored as failed (the others are stored), and a HEC request that names its invalid event has
/// stored exactly the events before it, so resending the rest duplicates nothing.
#[test]
fn real_clients_are_told_exactly_what_was_stored() {
    let Some(py) = python(
        "real_clients_are_told_exactly_what_was_stored",
        &["elasticsearch", "elasticsearch.helpers", "requests"],
    ) else {
        return;
    };
    let env = Env::new(BASE_CONFIG);
    let server = env.start(false);
    let m = marker("truth");
    let args = vec![
        "--port".into(),
        server.http.port().to_string(),
        "--token".into(),
        env.ingest_token.clone(),
        "--marker".into(),
        m.clone(),
    ];
    let r = run_python(&py, "truth.py", &args);
    assert_eq!(r["bulk_ok"], 3, "{r}");
    assert_eq!(
        r["bulk_failed"],
        serde_json::json!([[400, "illegal_argument_exception"], [400, "mapper_parsing_exception"]]),
        "{r}"
    );
    assert_eq!(
        (r["hec_status"].as_u64(), r["hec_named"].as_u64()),
        (Some(400), Some(1)),
        "{r}"
    );
    assert_eq!(r["hec_retry_status"], 200, "{r}");
    // Three documents and two HEC events, each once.
    server.wait_count(&format!("marker:{m}"), 5);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(server.count(&format!("marker:{m}")), 5);
    assert_eq!(server.count(&format!("marker:{m} AND hec:ok3")), 1);
}

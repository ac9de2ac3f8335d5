//! Splunk HEC routes through the router (`oneshot`).

use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use vigil_ingest::{RecordFormat, codes};

use crate::support::{TOKEN, call, gzip, http_fixture};

const SPLUNK: (&str, &str) = ("authorization", "Splunk secret-token");

#[tokio::test]
async fn concatenated_envelopes() {
    let fx = http_fixture();
    let body = r#"{"event":"a plain line","time":1700000000.25,"host":"web-1","source":"/var/log/app.log","sourcetype":"app","index":"main"}{"event":{"k":1,"nested":{"x":true}},"fields":{"env":"prod"}}
{"event":"third"}"#;
    for uri in [
        "/services/collector/event",
        "/services/collector",
        "/services/collector/event/1.0",
    ] {
        let reply = call(&fx.router, "POST", uri, &[SPLUNK], body).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(reply.json(), json!({"text": "Success", "code": 0}));
    }
    let records = fx.sink.records();
    assert_eq!(records.len(), 9);
    let first = &records[0];
    assert_eq!(&*first.input, "hec");
    assert_eq!(first.format, RecordFormat::Text);
    assert_eq!(first.data, b"a plain line");
    assert_eq!(first.attr("time"), Some("2023-11-14T22:13:20.25Z"));
    for (key, value) in [
        ("host", "web-1"),
        ("source", "/var/log/app.log"),
        ("sourcetype", "app"),
        ("index", "main"),
    ] {
        assert_eq!(first.attr(key), Some(value));
    }
    assert_eq!(records[1].format, RecordFormat::Json);
    let doc: serde_json::Value = serde_json::from_slice(&records[1].data).expect("json");
    assert_eq!(doc, json!({"k": 1, "nested": {"x": true}}));
    assert_eq!(records[1].attr("field.env"), Some("prod"));
    assert_eq!(records[2].data, b"third");
    assert_eq!(fx.state.hec_metrics().records(), 9);
}

#[tokio::test]
async fn query_defaults_and_raw_lines() {
    let fx = http_fixture();
    let reply = call(
        &fx.router,
        "POST",
        "/services/collector/event?sourcetype=dflt&host=qhost",
        &[SPLUNK],
        r#"{"event":"e","sourcetype":"own"}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = call(
        &fx.router,
        "POST",
        "/services/collector/raw?channel=00000000-0000-0000-0000-000000000000&sourcetype=syslog&host=h2&source=s&time=1700000000",
        &[SPLUNK, ("x-splunk-request-channel", "00000000-0000-0000-0000-000000000000")],
        "line one\r\nline two\n\n  \nline three",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["code"], 0);
    let records = fx.sink.records();
    assert_eq!(records[0].attr("sourcetype"), Some("own"));
    assert_eq!(records[0].attr("host"), Some("qhost"));
    let raw: Vec<&[u8]> = records[1..].iter().map(|r| r.data.as_slice()).collect();
    assert_eq!(raw, vec![&b"line one"[..], b"line two", b"line three"]);
    assert!(records[1..].iter().all(|r| r.format == RecordFormat::Text
        && r.attr("sourcetype") == Some("syslog")
        && r.attr("host") == Some("h2")
        && r.attr("source") == Some("s")
        && r.attr("time") == Some("2023-11-14T22:13:20Z")));
}

#[tokio::test]
async fn health_needs_no_token() {
    let fx = http_fixture();
    for uri in ["/services/collector/health", "/services/collector/health/1.0"] {
        let reply = call(&fx.router, "GET", uri, &[], "").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json(), json!({"text": "HEC is healthy", "code": 17}));
    }
}

#[tokio::test]
async fn authentication_codes() {
    let fx = http_fixture();
    let basic = format!("Basic {}", STANDARD.encode(format!("x:{TOKEN}")));
    type Case<'a> = (&'a [(&'a str, &'a str)], StatusCode, serde_json::Value);
    let cases: [Case; 5] = [
        (
            &[],
            StatusCode::UNAUTHORIZED,
            json!({"text": "Token is required", "code": 2}),
        ),
        (
            &[("authorization", "Splunk")],
            StatusCode::UNAUTHORIZED,
            json!({"text": "Invalid authorization", "code": 3}),
        ),
        (
            &[("authorization", "Splunk nope")],
            StatusCode::FORBIDDEN,
            json!({"text": "Invalid token", "code": 4}),
        ),
        (
            &[("authorization", basic.as_str())],
            StatusCode::OK,
            json!({"text": "Success", "code": 0}),
        ),
        (
            &[("authorization", "Bearer secret-token")],
            StatusCode::OK,
            json!({"text": "Success", "code": 0}),
        ),
    ];
    for (headers, status, body) in cases {
        for uri in ["/services/collector/event", "/services/collector/raw"] {
            let reply = call(&fx.router, "POST", uri, headers, r#"{"event":"x"}"#).await;
            assert_eq!(
                (reply.status, reply.json()),
                (status, body.clone()),
                "{uri} {headers:?}"
            );
        }
    }
}

#[tokio::test]
async fn data_error_codes() {
    let fx = http_fixture();
    let post = |body: &'static str| call(&fx.router, "POST", "/services/collector/event", &[SPLUNK], body);
    let reply = post("").await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::BAD_REQUEST, json!({"text": "No data", "code": 5}))
    );
    let reply = post(" \n ").await;
    assert_eq!(reply.json()["code"], 5);
    let reply = post(r#"[{"event":"in an array"}]"#).await;
    assert_eq!(
        (reply.status, reply.json()),
        (
            StatusCode::BAD_REQUEST,
            json!({"text": "Invalid data format", "code": 6, "invalid-event-number": 0})
        )
    );
    let reply = post(r#"{"event":"kept"}{"host":"h"}{"event":"also kept"}"#).await;
    assert_eq!(
        (reply.status, reply.json()),
        (
            StatusCode::BAD_REQUEST,
            json!({"text": "Event field is required", "code": 12, "invalid-event-number": 1})
        )
    );
    let reply = post(r#"{"event":""}"#).await;
    assert_eq!(
        reply.json(),
        json!({"text": "Event field cannot be blank", "code": 13, "invalid-event-number": 0})
    );
    let reply = post(r#"{"event":"a","time":"yesterday"}"#).await;
    assert_eq!(reply.json()["code"], 6);
    let reply = post(r#"{"event":"a"} {"event": tru"#).await;
    assert_eq!(
        reply.json(),
        json!({"text": "Invalid data format", "code": 6, "invalid-event-number": 1})
    );
    // What precedes the first invalid envelope is kept, nothing after it; the one named is
    // dead-lettered.
    let kept: Vec<Vec<u8>> = fx.sink.records().into_iter().map(|r| r.data).collect();
    assert_eq!(kept, vec![b"kept".to_vec(), b"a".to_vec()]);
    let letters: Vec<&str> = fx.sink.dead_letters().iter().map(|l| l.code).collect();
    assert_eq!(
        letters,
        vec![
            codes::BAD_ENVELOPE,
            codes::BAD_ENVELOPE,
            codes::BAD_ENVELOPE,
            codes::BAD_ENVELOPE,
            codes::BAD_JSON
        ]
    );
}

#[tokio::test]
async fn busy_sink_gives_503_code_9() {
    let fx = http_fixture();
    fx.sink.set_full(Some(Duration::from_secs(3)));
    let reply = call(
        &fx.router,
        "POST",
        "/services/collector/event",
        &[SPLUNK],
        r#"{"event":"x"}{"nope":1}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json(), json!({"text": "Server is busy", "code": 9}));
    assert_eq!(reply.header("retry-after"), Some("3"));
    let raw = call(&fx.router, "POST", "/services/collector/raw", &[SPLUNK], "line").await;
    assert_eq!(raw.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(fx.sink.record_count(), 0);
    assert!(fx.sink.dead_letters().is_empty());
    assert_eq!(fx.state.hec_metrics().backpressured(), 2);
    fx.sink.set_unavailable(Some("disk".into()));
    fx.sink.set_full(None);
    let down = call(&fx.router, "POST", "/services/collector/raw", &[SPLUNK], "line").await;
    assert_eq!(down.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(down.json()["code"], 8);
}

#[tokio::test]
async fn batch_that_can_never_fit_gives_413_code_6_not_busy() {
    let fx = http_fixture();
    fx.sink.set_max_batch(Some(1));
    let reply = call(
        &fx.router,
        "POST",
        "/services/collector/event",
        &[SPLUNK],
        r#"{"event":"a"}{"event":"b"}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json(), json!({"text": "Content too large", "code": 6}));
    assert_eq!(reply.header("retry-after"), None);
    assert_eq!(fx.sink.record_count(), 0);
    assert_eq!(fx.state.hec_metrics().backpressured(), 0);
    let one = call(
        &fx.router,
        "POST",
        "/services/collector/event",
        &[SPLUNK],
        r#"{"event":"a"}"#,
    )
    .await;
    assert_eq!(one.status, StatusCode::OK);
}

#[tokio::test]
async fn gzip_envelopes() {
    let fx = http_fixture();
    let body = gzip(br#"{"event":"compressed"}"#);
    let reply = call(
        &fx.router,
        "POST",
        "/services/collector/event",
        &[SPLUNK, ("content-encoding", "gzip")],
        body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(fx.sink.records()[0].data, b"compressed");
}

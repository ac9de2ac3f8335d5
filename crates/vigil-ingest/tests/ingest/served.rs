//! The HTTP routes behind a real listening socket (`axum::serve`), as shippers reach them.

use std::net::SocketAddr;

use axum::http::StatusCode;
use prost::Message as _;
use tokio::net::TcpListener;
use vigil_ingest::http::otlp_proto::{
    AnyValue, ExportLogsServiceRequest, LogRecord, ResourceLogs, ScopeLogs, any_value,
};

use crate::support::{http_fixture, raw_http};

#[tokio::test]
async fn shippers_over_a_real_socket() {
    let fx = http_fixture();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = fx.router.clone().into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let auth = ("Authorization", "ApiKey c2VjcmV0LWlkOnNlY3JldC10b2tlbg=="); // secret-id:secret-token
    let info = raw_http(addr, "GET", "/", &[auth], b"").await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(info.header("x-elastic-product"), Some("Elasticsearch"));
    assert_eq!(info.json()["version"]["number"], "8.11.0");

    let bulk = raw_http(
        addr,
        "POST",
        "/_bulk",
        &[
            auth,
            (
                "Content-Type",
                "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
            ),
        ],
        b"{\"index\":{\"_index\":\"py\"}}\n{\"from\":\"python\"}\n",
    )
    .await;
    assert_eq!(bulk.status, StatusCode::OK);
    assert_eq!(bulk.json()["errors"], false);

    let hec = raw_http(
        addr,
        "POST",
        "/services/collector/event",
        &[("Authorization", "Splunk secret-token")],
        br#"{"event":"via hec"}"#,
    )
    .await;
    assert_eq!(hec.json()["text"], "Success");

    let otlp = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("via otlp".into())),
                    }),
                    ..LogRecord::default()
                }],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    };
    let reply = raw_http(
        addr,
        "POST",
        "/v1/logs",
        &[
            ("Authorization", "Bearer secret-token"),
            ("Content-Type", "application/x-protobuf"),
        ],
        &otlp.encode_to_vec(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);

    let unauthorized = raw_http(addr, "POST", "/_bulk", &[], b"{}\n").await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unauthorized.header("x-elastic-product"), Some("Elasticsearch"));

    let records = fx.sink.records();
    assert_eq!(records.len(), 3);
    for record in &records {
        assert_eq!(record.peer.map(|p| p.ip()), Some(addr.ip()), "peer from ConnectInfo");
    }
    assert_eq!(records[0].data, br#"{"from":"python"}"#);
    assert_eq!(records[1].data, b"via hec");
    assert!(String::from_utf8_lossy(&records[2].data).contains("via otlp"));
    server.abort();
}

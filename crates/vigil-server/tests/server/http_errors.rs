//! Every HTTP error of a served instance, table-driven: the JSON error shape (or the ingest
//! protocol's own), the status, a code from the one table, and a message free of Rust type names
//! and library wording.

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::TestServer;

/// A raw answer: status, lower-cased head, body.
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

async fn send(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(req.as_bytes()).await.expect("send head");
    // The server may answer (413, 414) and close before reading all of a large body.
    let _ = conn.write_all(body).await;
    let mut raw = Vec::new();
    #[expect(clippy::disallowed_methods, reason = "bounded by take(8 MiB)")]
    let _ = conn.take(8 << 20).read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Answer {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

/// Vigil's shape with `code` at `status`: a code of the table with that status, and a message
/// for people.
fn assert_vigil_error(what: &str, a: &Answer, status: u16, code: &str) {
    let body = a.json();
    assert_eq!(a.status, status, "{what}: {}", a.body);
    assert_eq!(body["error"]["code"].as_str(), Some(code), "{what}: {}", a.body);
    let known = vigil_ingest::ErrorCode::ALL
        .iter()
        .find(|c| c.as_str() == code)
        .unwrap_or_else(|| panic!("{what}: `{code}` is not in the table"));
    assert_eq!(known.status().as_u16(), status, "{what}: the table's status");
    assert!(a.head.contains("content-type: application/json"), "{what}: {}", a.head);
    assert_plain(what, body["error"]["message"].as_str().unwrap_or(""));
}

fn assert_plain(what: &str, message: &str) {
    assert!(!message.is_empty(), "{what}: no message");
    for leak in ["::", "Failed to", "usize", "u32", "struct ", "length limit exceeded"] {
        assert!(!message.contains(leak), "{what}: `{leak}` in {message:?}");
    }
}

/// What is sent (name, method, target, headers, body) and what must come back (status, code, and
/// a text the message must contain: the part it names).
type Case<'a> = (
    &'a str,
    &'a str,
    String,
    Vec<(&'a str, &'a str)>,
    Vec<u8>,
    u16,
    &'a str,
    &'a str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_error_is_json_with_a_code_from_the_table() {
    let s = TestServer::start_with(None, |c| c.http.max_body_bytes = 4096).await;
    let read = format!("Bearer {}", s.read_token);
    let ingest = format!("Bearer {}", s.ingest_token);
    let json = ("Content-Type", "application/json");
    let auth = ("Authorization", read.as_str());
    let big = vec![b'x'; 10_000];
    let big_json = format!("{{\"query\": \"{}\"}}", "a".repeat(10_000));
    let long_target = format!("/api/v1/alerts?cursor={}", "a".repeat(9000));
    #[rustfmt::skip]
    let cases: Vec<Case<'_>> = vec![
        ("unknown path", "GET", "/api/v1/nope".into(), vec![auth], vec![], 404, "not_found", "/api/v1/nope"),
        ("unknown path, no token", "POST", "/a/b/c".into(), vec![], vec![], 404, "not_found", "/a/b/c"),
        ("wrong method", "DELETE", "/api/v1/search".into(), vec![auth], vec![], 405, "method_not_allowed", "DELETE"),
        ("wrong method on metrics", "POST", "/metrics".into(), vec![], vec![], 405, "method_not_allowed", "POST"),
        ("oversized ingest body", "POST", "/api/v1/ingest".into(), vec![("Authorization", ingest.as_str())], big.clone(), 413, "body_too_large", "4096"),
        ("oversized search body", "POST", "/api/v1/search".into(), vec![auth, json], big_json.into_bytes(), 413, "body_too_large", "max_body"),
        ("over-long request target", "GET", long_target, vec![auth], vec![], 414, "uri_too_long", "8192"),
        ("malformed JSON", "POST", "/api/v1/search".into(), vec![auth, json], br#"{"query": "#.to_vec(), 400, "invalid_json", "not valid JSON"),
        ("not JSON at all", "POST", "/api/v1/search".into(), vec![auth, json], b"query=a".to_vec(), 400, "invalid_json", "not valid JSON"),
        ("unknown JSON field", "POST", "/api/v1/search".into(), vec![auth, json], br#"{"qurey": "a"}"#.to_vec(), 400, "bad_request", "`qurey`"),
        ("wrong JSON type", "POST", "/api/v1/search".into(), vec![auth, json], br#"{"size": "ten"}"#.to_vec(), 400, "bad_request", "size:"),
        ("nested wrong type", "POST", "/api/v1/search".into(), vec![auth, json], br#"{"aggs": {"a": {"terms": {"field": "x", "size": -1}}}}"#.to_vec(), 400, "bad_request", "aggs.a"),
        ("JSON array body", "POST", "/api/v1/search".into(), vec![auth, json], b"[]".to_vec(), 400, "bad_request", "array"),
        ("not JSON content type", "POST", "/api/v1/search".into(), vec![auth, ("Content-Type", "text/plain")], br#"{"query": "a"}"#.to_vec(), 415, "unsupported_media_type", "application/json"),
        ("bad CIDR", "POST", "/api/v1/search".into(), vec![auth, json], br#"{"query": "src_ip:10.0.0.0/33"}"#.to_vec(), 400, "bad_query", "10.0.0.0/33"),
        ("bad address in a network", "POST", "/api/v1/search".into(), vec![auth, json], br#"{"query": "src_ip:10.0.0.300/8"}"#.to_vec(), 400, "bad_query", "10.0.0.300"),
        ("reversed range", "POST", "/api/v1/search".into(), vec![auth, json], br#"{"query": "n:[10 TO 5]"}"#.to_vec(), 400, "bad_query", "n:[10 TO 5]"),
        ("non-time on @timestamp", "POST", "/api/v1/search".into(), vec![auth, json], br#"{"query": "@timestamp:yesterday"}"#.to_vec(), 400, "bad_query", "@timestamp:yesterday"),
        ("bad from", "POST", "/api/v1/search".into(), vec![auth, json], br#"{"from": "last tuesday"}"#.to_vec(), 400, "bad_request", "from:"),
        ("min_level typo", "GET", "/api/v1/alerts?min_level=hihg".into(), vec![auth], vec![], 400, "bad_request", "min_level: `hihg` is not a level: use informational, low, medium, high or critical"),
        ("bad since", "GET", "/api/v1/alerts?since=last+tuesday".into(), vec![auth], vec![], 400, "bad_request", "since:"),
        ("limit zero", "GET", "/api/v1/alerts?limit=0".into(), vec![auth], vec![], 400, "bad_request", "limit:"),
        ("not an event id", "GET", "/api/v1/alerts?event_id=4625%25".into(), vec![auth], vec![], 400, "bad_request", "event_id: `4625%` is not an event id"),
        ("limit not a number", "GET", "/api/v1/dead-letters?limit=abc".into(), vec![auth], vec![], 400, "bad_request", "limit:"),
        ("bad cursor", "GET", "/api/v1/alerts?cursor=nope".into(), vec![auth], vec![], 400, "bad_request", "cursor:"),
        ("unknown parameter", "GET", "/api/v1/alerts?colour=red".into(), vec![auth], vec![], 400, "bad_request", "`colour`"),
        ("unknown dead-letter code", "GET", "/api/v1/dead-letters?code=bad_jsn".into(), vec![auth], vec![], 400, "bad_request", "code:"),
        ("bad ingest format", "POST", "/api/v1/ingest?format=xml".into(), vec![("Authorization", ingest.as_str())], b"x".to_vec(), 400, "bad_request", "format:"),
        ("no token", "GET", "/api/v1/alerts".into(), vec![], vec![], 401, "unauthorized", "Bearer"),
        ("wrong scope", "GET", "/api/v1/alerts".into(), vec![("Authorization", ingest.as_str())], vec![], 403, "forbidden", "read"),
        ("otlp wrong method", "GET", "/v1/logs".into(), vec![], vec![], 405, "method_not_allowed", "GET"),
    ];
    for (what, method, target, headers, body, status, code, names) in &cases {
        let a = send(s.http, method, target, headers, body).await;
        assert_vigil_error(what, &a, *status, code);
        let message = a.json()["error"]["message"].as_str().unwrap_or("").to_string();
        assert!(message.contains(names), "{what}: {message:?} should name {names:?}");
        if *status == 405 {
            assert!(a.head.contains("\r\nallow: "), "{what}: no Allow header: {}", a.head);
        }
    }
    // What used to pass the API's check and fail later, and a former dead-letter code, now work.
    for target in [
        "/api/v1/alerts?min_level=crit",
        "/api/v1/alerts?min_level=High",
        "/api/v1/dead-letters?code=bad_json",
        "/api/v1/dead-letters?code=invalid_json&since=1h30m",
    ] {
        let a = send(s.http, "GET", target, &[auth], &[]).await;
        assert_eq!(a.status, 200, "{target}: {}", a.body);
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_protocols_answer_their_errors_in_their_own_shape() {
    let s = TestServer::start_with(None, |c| c.http.max_body_bytes = 4096).await;
    let ingest = format!("Bearer {}", s.ingest_token);
    let auth = ("Authorization", ingest.as_str());
    let big = vec![b'x'; 10_000];
    // Elasticsearch: `{"error": {"type", "reason", "code"}, "status"}`, with Vigil's code.
    for (what, method, target, body, status, code) in [
        ("es wrong method", "GET", "/_bulk", &[][..], 405, "method_not_allowed"),
        (
            "es wrong method on a doc",
            "DELETE",
            "/logs/_doc/1",
            &[][..],
            405,
            "method_not_allowed",
        ),
        ("es oversized body", "POST", "/_bulk", &big[..], 413, "body_too_large"),
    ] {
        let a = send(
            s.http,
            method,
            target,
            &[auth, ("Content-Type", "application/x-ndjson")],
            body,
        )
        .await;
        let v = a.json();
        assert_eq!(a.status, status, "{what}: {}", a.body);
        assert_eq!(v["status"], status, "{what}: {}", a.body);
        assert_eq!(v["error"]["code"].as_str(), Some(code), "{what}: {}", a.body);
        assert!(v["error"]["type"].is_string(), "{what}: {}", a.body);
        assert!(
            a.head.contains("x-elastic-product: elasticsearch"),
            "{what}: {}",
            a.head
        );
        assert_plain(what, v["error"]["reason"].as_str().unwrap_or(""));
    }
    // Splunk HEC: `{"text", "code"}`, `code` the HEC status (the HTTP status for 404 and 405).
    for (what, method, target, body, status) in [
        ("hec wrong method", "GET", "/services/collector/event", &[][..], 405),
        ("hec unknown path", "POST", "/services/collector/nope", &[][..], 404),
        ("hec oversized body", "POST", "/services/collector/event", &big[..], 413),
    ] {
        let a = send(s.http, method, target, &[auth], body).await;
        let v = a.json();
        assert_eq!(a.status, status, "{what}: {}", a.body);
        assert!(v["text"].is_string() && v["code"].is_u64(), "{what}: {}", a.body);
        assert_plain(what, v["text"].as_str().unwrap_or(""));
    }
    s.stop().await;
}

/// Past 65,534 bytes of request target, hyper answers 414 itself, before any of Vigil's code runs:
/// these exact bytes (plus a `date` header), no body. Documented in docs/http-errors.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_answers_a_uri_over_64_kib_with_an_empty_414() {
    let s = TestServer::start(None).await;
    let target = format!("/api/v1/alerts?cursor={}", "a".repeat(70_000));
    let a = send(s.http, "GET", &target, &[], &[]).await;
    assert_eq!(a.status, 414, "{}", a.head);
    assert!(
        a.head
            .starts_with("http/1.1 414 uri too long\r\nconnection: close\r\ncontent-length: 0\r\ndate: "),
        "{:?}",
        a.head
    );
    assert_eq!(a.body, "");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_a_read_token_when_asked_or_off_loopback() {
    let s = TestServer::start_with(None, |c| c.http.metrics_auth = Some(true)).await;
    let a = send(s.http, "GET", "/metrics", &[], &[]).await;
    assert_vigil_error("metrics without a token", &a, 401, "unauthorized");
    let ingest = format!("Bearer {}", s.ingest_token);
    let a = send(s.http, "GET", "/metrics", &[("Authorization", ingest.as_str())], &[]).await;
    assert_vigil_error("metrics with an ingest token", &a, 403, "forbidden");
    for token in [&s.read_token, &s.admin_token] {
        let bearer = format!("Bearer {token}");
        let a = send(s.http, "GET", "/metrics", &[("Authorization", bearer.as_str())], &[]).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(a.body.contains("vigil_"), "{}", a.body);
    }
    s.stop().await;
    // The default: open on loopback (the test server), required elsewhere.
    let s = TestServer::start(None).await;
    assert_eq!(send(s.http, "GET", "/metrics", &[], &[]).await.status, 200);
    s.stop().await;
    let mut http = vigil_server::ServerConfig::default().http;
    assert!(!http.metrics_need_token(), "127.0.0.1 is loopback");
    http.listen = Some("0.0.0.0:9200".parse().expect("addr"));
    assert!(http.metrics_need_token());
    http.metrics_auth = Some(false);
    assert!(!http.metrics_need_token());
}

//! The native ingest API and the HTTP inputs as served: answers tell what is stored, the record
//! and body limits are the documented ones, keyed resends store nothing twice, and a client
//! cannot choose its records' input label or source.

use std::net::SocketAddr;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::TestServer;

/// One request with a raw body and extra headers; status and body text.
pub async fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(head.as_bytes()).await.expect("head");
    // The server may answer (and close) before reading a body it refuses.
    let _ = conn.write_all(body).await;
    let mut raw = Vec::new();
    #[expect(clippy::disallowed_methods, reason = "bounded by take(16 MiB)")]
    let _ = (&mut conn).take(16 << 20).read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn ingest(s: &TestServer, query: &str, body: &[u8]) -> (u16, Value) {
    let auth = bearer(&s.ingest_token);
    let (status, text) = send(
        s.http,
        "POST",
        &format!("/api/v1/ingest?{query}"),
        &[("Authorization", &auth), ("Content-Type", "application/x-ndjson")],
        body,
    )
    .await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_ingest_answers_each_line_the_pipeline_would_refuse() {
    let s = TestServer::start(None).await;
    let big = format!("{{\"m\":\"{}\"}}", "x".repeat(vigil_ingest::MAX_RECORD_BYTES));
    let mut body = b"{\"probe\":\"nativetruth one\"}\n\n".to_vec();
    body.extend_from_slice(big.as_bytes());
    body.extend_from_slice(b"\n{\"bad\":\"\xff\"}\n[1,2]\n{\"probe\":\"nativetruth two\"}\n");
    let (status, answer) = ingest(&s, "format=ndjson", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"], 2, "{answer}");
    let rejected: Vec<(u64, String)> = answer["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap_or(0),
                r["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        vec![
            (3, "too_large".to_owned()),
            (4, "not_utf8".to_owned()),
            (5, "not_an_object".to_owned())
        ]
    );
    // Syslog lines the parser cannot read are refused too, with the parser's code.
    let (status, answer) = ingest(&s, "format=syslog", b"not syslog at all\n").await;
    assert_eq!((status, answer["accepted"].as_u64()), (200, Some(0)), "{answer}");
    assert_eq!(answer["rejected"][0]["code"], "invalid_syslog");
    s.search_until("nativetruth", 2).await;
    // Nothing refused at ingest reaches the parser's dead letters later.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, letters) = crate::harness::http(s.http, "GET", "/api/v1/dead-letters", Some(&s.read_token), None).await;
    let codes: Vec<&str> = letters["dead_letters"]
        .as_array()
        .map(|a| a.iter().filter_map(|l| l["code"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(codes.len(), 4, "{letters}");
    assert!(
        codes
            .iter()
            .all(|c| ["too_large", "not_utf8", "not_an_object", "invalid_syslog"].contains(c)),
        "{letters}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_token_cannot_choose_the_input_label() {
    let s = TestServer::start(None).await;
    let (status, answer) = ingest(&s, "format=ndjson&input=syslog-tls", b"{\"probe\":\"forged\"}\n").await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = ingest(
        &s,
        "format=ndjson&path=/var/log/a.json",
        b"{\"probe\":\"labelprobe\"}\n",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let found = s.search_until("labelprobe", 1).await;
    let hit = &found["hits"][0];
    assert_eq!(hit["input"], "api", "{hit}");
    assert_eq!(hit["host"], "127.0.0.1", "the source is the connection's: {hit}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_resends_store_each_record_once() {
    let s = TestServer::start(None).await;
    let lines: Vec<String> = (0..6)
        .map(|i| format!("{{\"probe\":\"keyedonce\",\"n\":{i}}}"))
        .collect();
    let body = |range: std::ops::Range<usize>| {
        lines[range]
            .iter()
            .flat_map(|l| format!("{l}\n").into_bytes())
            .collect::<Vec<u8>>()
    };
    let (status, answer) = ingest(&s, "format=ndjson&stream=file-1&first=0", &body(0..4)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (
            answer["accepted"].as_u64(),
            answer["duplicates"].as_u64(),
            answer["next"].as_u64()
        ),
        (Some(4), Some(0), Some(4))
    );
    // The answer was "lost": the client resends from 2, with two more records.
    let (_, answer) = ingest(&s, "format=ndjson&stream=file-1&first=2", &body(2..6)).await;
    assert_eq!(
        (
            answer["accepted"].as_u64(),
            answer["duplicates"].as_u64(),
            answer["next"].as_u64()
        ),
        (Some(4), Some(2), Some(6))
    );
    // The whole file again: nothing new.
    let (_, answer) = ingest(&s, "format=ndjson&stream=file-1&first=0", &body(0..6)).await;
    assert_eq!(answer["duplicates"], 6, "{answer}");
    let found = s.search_until("keyedonce", 6).await;
    let mut ns: Vec<u64> = found["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["fields"]["n"].as_u64())
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, vec![0, 1, 2, 3, 4, 5]);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(s.search(json!({"query": "keyedonce", "size": 0})).await["total"], 6);
    let (status, answer) = ingest(&s, "format=ndjson&stream=a/b&first=0", b"{}\n").await;
    assert_eq!(status, 400, "{answer}");
    s.stop().await;
}

/// Found while fuzzing the API: `first` near `u64::MAX` overflowed the lines' ordinals (a panic and a
/// 500 in a debug build, ordinals wrapping to 0 in a release build).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_ordinal_that_would_overflow_is_refused() {
    let s = TestServer::start(None).await;
    let body = b"{\"probe\":\"top\"}\n{\"probe\":\"top\"}\n";
    for first in [u64::MAX, u64::MAX - 1, i64::MAX as u64 + 1] {
        let (status, answer) = ingest(&s, &format!("format=ndjson&stream=top&first={first}"), body).await;
        assert_eq!(status, 400, "first={first}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("first: ")),
            "{answer}"
        );
    }
    let top = i64::MAX as u64;
    let (status, answer) = ingest(&s, &format!("format=ndjson&stream=top&first={top}"), body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["next"].as_u64(), Some(top + 2), "{answer}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_progress_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = TestServer::start(Some(dir.path())).await;
    let (_, answer) = ingest(&s, "format=ndjson&stream=f&first=0", b"{\"probe\":\"restarted\"}\n").await;
    assert_eq!(answer["next"], 1, "{answer}");
    let token = s.ingest_token.clone();
    s.stop().await;
    // Streams are the token's: the same token resends after the restart.
    let mut s = TestServer::start(Some(dir.path())).await;
    s.ingest_token = token;
    let (_, answer) = ingest(&s, "format=ndjson&stream=f&first=0", b"{\"probe\":\"restarted\"}\n").await;
    assert_eq!(answer["duplicates"], 1, "{answer}");
    s.search_until("restarted", 1).await;
    s.stop().await;
}

/// HEC's `host`/`source` and a `_bulk` index are the event's data; the input label and the
/// recorded sender stay the server's view (the endpoint and the connection). The event's own host
/// is the host it is about.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_inputs_keep_their_labels_whatever_the_body_says() {
    let s = TestServer::start(None).await;
    let auth = format!("Splunk {}", s.ingest_token);
    let hec = br#"{"event":"heclabelprobe","host":"10.6.6.6","source":"syslog-tls","index":"main"}"#;
    let (status, text) = send(
        s.http,
        "POST",
        "/services/collector/event?host=10.7.7.7",
        &[("Authorization", &auth)],
        hec,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let bearer = bearer(&s.ingest_token);
    let bulk = b"{\"index\":{\"_index\":\"syslog-tls\"}}\n{\"m\":\"bulklabelprobe\",\"host\":\"10.6.6.6\",\"vigil_sender\":\"10.6.6.6\"}\n";
    let (status, text) = send(
        s.http,
        "POST",
        "/_bulk",
        &[("Authorization", &bearer), ("Content-Type", "application/x-ndjson")],
        bulk,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    for (probe, input) in [("heclabelprobe", "hec"), ("bulklabelprobe", "elasticsearch")] {
        let found = s.search_until(probe, 1).await;
        let hit = &found["hits"][0];
        assert_eq!(
            (hit["input"].as_str(), hit["fields"]["vigil_sender"].as_str()),
            (Some(input), Some("127.0.0.1")),
            "{hit}"
        );
        assert_eq!(hit["host"], "10.6.6.6", "the host the event is about: {hit}");
    }
    s.stop().await;
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("write");
    enc.finish().expect("finish")
}

/// `[http] max_body` bounds a gzip body once decompressed, as the configuration says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_body_is_limited_after_decompression() {
    let s = TestServer::start_with(None, |c| c.http.max_body_bytes = 1 << 20).await;
    let lines: Vec<u8> = (0..60_000)
        .flat_map(|i| format!("gzipbomb line {i}\n").into_bytes())
        .collect();
    assert!(lines.len() > 1 << 20);
    let packed = gzip(&lines);
    assert!(packed.len() < 1 << 20);
    let auth = format!("Splunk {}", s.ingest_token);
    let (status, text) = send(
        s.http,
        "POST",
        "/services/collector/raw",
        &[("Authorization", &auth), ("Content-Encoding", "gzip")],
        &packed,
    )
    .await;
    assert_eq!(status, 413, "{text}");
    s.stop().await;
}

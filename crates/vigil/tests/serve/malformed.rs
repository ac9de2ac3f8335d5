//! Malformed input on every listener: the server keeps serving, good input sent afterwards is
//! stored, and every bad record is listed in the dead letters with its stable code.

use std::{
    io::{Read, Write},
    net::{TcpStream, UdpSocket},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::harness::{Env, Server, marker};

/// Small syslog frames (4 KiB) so oversized ones are cheap to send.
const CONFIG: &str = "version = 1\n\n[syslog]\nmax_message = \"4KiB\"\n\n[pipeline]\ncommit_interval = \"200ms\"\n";

fn start() -> (Env, Server) {
    let env = Env::new(CONFIG);
    let server = env.start(false);
    (env, server)
}

fn data_contains(letter: &Value, needle: &str) -> bool {
    letter["data"].as_str().is_some_and(|d| d.contains(needle))
}

/// Waits for a dead letter with `code` from `input` (whose data contains `needle`, when given).
fn expect_letter(server: &Server, input: &str, code: &str, needle: Option<&str>) -> Value {
    server.wait_dead_letter(&format!("{code} from {input} containing {needle:?}"), |l| {
        l["code"] == code && l["input"] == input && needle.is_none_or(|n| data_contains(l, n))
    })
}

fn finish(server: &Server) {
    assert_eq!(server.metric("vigil_dropped_events_total"), Some(0.0));
    let page = server.api_get("/api/v1/dead-letters?limit=1");
    assert_eq!(page.status, 200);
    assert!(page.json()["total"].as_u64().is_some_and(|t| t > 0), "{}", page.text());
}

/// Reads until the server closes the connection (EOF or reset); false if it stays open 10 s.
fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 256];
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn syslog_udp_garbage_and_oversized_datagrams() {
    let (_env, server) = start();
    let addr = server.syslog_udp.expect("udp");
    let m = marker("udp");
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut garbage = format!("garbage that is not syslog {m} ").into_bytes();
    garbage.extend_from_slice(&[0xff, 0xfe, 0x00, 0x01, 0x80]);
    sock.send_to(&garbage, addr).expect("send");
    sock.send_to(format!("<999>1 - host app - - - bad priority {m}").as_bytes(), addr)
        .expect("send");
    let mut big = format!("<13>1 - host {m}big - - - ").into_bytes();
    big.resize(5000, b'a');
    sock.send_to(&big, addr).expect("send");
    server.assert_healthy("UDP garbage");
    sock.send_to(
        format!("<13>1 - testhost {m}ok - - - good after garbage").as_bytes(),
        addr,
    )
    .expect("send");
    server.wait_count(&format!("app_name:{m}ok"), 1);
    assert_eq!(server.count(&format!("app_name:{m}big")), 0);
    let g = expect_letter(
        &server,
        "syslog-udp",
        "invalid_syslog",
        Some("garbage that is not syslog"),
    );
    assert!(
        g["data_base64"].is_string(),
        "binary garbage should keep its exact bytes: {g}"
    );
    expect_letter(&server, "syslog-udp", "invalid_syslog", Some("bad priority"));
    expect_letter(&server, "syslog-udp", "too_large", Some(&format!("{m}big")));
    finish(&server);
}

#[test]
fn syslog_tcp_bad_octet_count_oversized_and_truncated_frames() {
    let (_env, server) = start();
    let addr = server.syslog_tcp.expect("tcp");
    let m = marker("tcp");

    // A digit starts octet counting; "12x" is no length: framing is lost, the server closes.
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(format!("12x <13>1 - host app - - - bad count {m}\n").as_bytes())
        .expect("write");
    assert!(closed_by_server(&mut s), "connection with a bad octet count stays open");
    server.assert_healthy("bad octet count");

    // An octet count above max_message: refused before reading the frame, connection closed.
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(format!("99999 <13>1 - host {m}huge - - - huge frame\n").as_bytes())
        .expect("write");
    assert!(
        closed_by_server(&mut s),
        "connection with an oversized octet count stays open"
    );
    server.assert_healthy("oversized octet count");

    // Line framing: an oversized line is dropped (dead-lettered), the next line still arrives.
    let mut s = TcpStream::connect(addr).expect("connect");
    let mut long = format!("<13>1 - host {m}long - - - ").into_bytes();
    long.resize(5000, b'b');
    long.push(b'\n');
    long.extend_from_slice(format!("<13>1 - host {m}lf - - - good line after an oversized one\n").as_bytes());
    s.write_all(&long).expect("write");
    drop(s);

    // Octet counting, one good frame, then a frame cut short by closing the connection.
    let mut s = TcpStream::connect(addr).expect("connect");
    let good = format!("<13>1 - host {m}oct - - - good octet-counted frame");
    let short = format!("<13>1 - host {m}cut - - - cut");
    s.write_all(format!("{} {good}200 {short}", good.len()).as_bytes())
        .expect("write");
    drop(s);

    server.assert_healthy("malformed TCP frames");
    server.wait_count(&format!("app_name:{m}lf"), 1);
    server.wait_count(&format!("app_name:{m}oct"), 1);
    for gone in ["huge", "long", "cut"] {
        assert_eq!(
            server.count(&format!("app_name:{m}{gone}")),
            0,
            "{gone} frame was stored"
        );
    }
    expect_letter(&server, "syslog-tcp", "bad_octet_count", Some("12x"));
    expect_letter(&server, "syslog-tcp", "too_large", Some(&format!("{m}huge")));
    expect_letter(&server, "syslog-tcp", "too_large", Some(&format!("{m}long")));
    expect_letter(&server, "syslog-tcp", "truncated_frame", Some(&format!("{m}cut")));
    finish(&server);
}

fn bulk(server: &Server, body: &str) -> crate::http::Response {
    let auth = format!("ApiKey {}", server.ingest_token);
    crate::http::request(
        server.http,
        "POST",
        "/_bulk",
        &[("Authorization", &auth), ("Content-Type", "application/x-ndjson")],
        body.as_bytes(),
    )
    .expect("POST /_bulk")
}

#[test]
fn bulk_invalid_json_lines_fail_per_item_and_the_rest_is_stored() {
    let (_env, server) = start();
    let m = marker("bulk");
    let body = format!(
        "{{\"index\":{{\"_index\":\"t\"}}}}\n{{\"marker\":\"{m}\",\"seq\":0}}\n\
         {{\"index\":{{\"_index\":\"t\"}}}}\n{{\"marker\":\"{m}\",\"seq\":1, broken json\n\
         {{\"create\":{{\"_index\":\"t\"}}}}\n{{\"marker\":\"{m}\",\"seq\":2}}\n\
         {{\"index\":{{\"_index\":\"t\"}}}}\n[\"{m}\", \"not an object\"]\n"
    );
    let r = bulk(&server, &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-elastic-product"), Some("Elasticsearch"));
    let answer = r.json();
    assert_eq!(answer["errors"], true, "{answer}");
    let items = answer["items"].as_array().expect("items");
    let statuses: Vec<u64> = items
        .iter()
        .map(|i| {
            let (_, v) = i
                .as_object()
                .and_then(|o| o.iter().next())
                .expect("one action per item");
            v["status"].as_u64().expect("status")
        })
        .collect();
    assert_eq!(items.len(), 4, "{answer}");
    assert!(matches!(statuses[0], 200 | 201), "{answer}");
    assert_eq!(statuses[1], 400, "{answer}");
    assert!(matches!(statuses[2], 200 | 201), "{answer}");
    assert_eq!(statuses[3], 400, "{answer}");
    assert_eq!(
        items[1]["index"]["error"]["type"].as_str().map(|t| !t.is_empty()),
        Some(true),
        "{answer}"
    );

    // A malformed action line: the whole request is refused.
    let r = bulk(&server, &format!("this is not an action {m}\n{{\"marker\":\"{m}\"}}\n"));
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.header("x-elastic-product"), Some("Elasticsearch"));
    server.assert_healthy("bad _bulk bodies");

    let r = bulk(
        &server,
        &format!("{{\"index\":{{\"_index\":\"t\"}}}}\n{{\"marker\":\"{m}\",\"seq\":3}}\n"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["errors"], false);
    server.wait_count(&format!("marker:{m}"), 3);
    let seqs: Vec<u64> = {
        let mut v: Vec<u64> = server
            .hits(&format!("marker:{m}"), 10)
            .iter()
            .filter_map(|h| h["fields"]["seq"].as_u64())
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(seqs, [0, 2, 3]);
    expect_letter(&server, "elasticsearch", "invalid_json", Some("broken json"));
    expect_letter(&server, "elasticsearch", "invalid_json", Some("not an object"));
    expect_letter(
        &server,
        "elasticsearch",
        "bad_bulk_action",
        Some("this is not an action"),
    );
    finish(&server);
}

fn hec(server: &Server, body: &str) -> (u16, Value) {
    let auth = format!("Splunk {}", server.ingest_token);
    let r = crate::http::request(
        server.http,
        "POST",
        "/services/collector/event",
        &[("Authorization", &auth)],
        body.as_bytes(),
    )
    .expect("POST HEC");
    (r.status, r.json())
}

#[test]
fn hec_bad_envelopes_are_refused_with_splunk_codes_and_dead_lettered() {
    let (_env, server) = start();
    let m = marker("hecbad");
    // (body, Splunk code, dead-letter code, text in the dead letter)
    let bad = [
        (
            format!("{{\"time\":\"not a time\",\"event\":\"bad time {m}\"}}"),
            6,
            "bad_envelope",
            "bad time",
        ),
        (format!("[\"not an object {m}\"]"), 6, "bad_envelope", "not an object"),
        (
            format!("{{\"event\":\"bad fields {m}\",\"fields\":\"not an object\"}}"),
            15,
            "bad_envelope",
            "bad fields",
        ),
        (format!("{{\"host\":\"no event {m}\"}}"), 12, "bad_envelope", "no event"),
        (
            format!("{{\"event\":\"unterminated {m}\""),
            6,
            "invalid_json",
            "unterminated",
        ),
    ];
    for (body, code, _, _) in &bad {
        let (status, answer) = hec(&server, body);
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["code"], *code, "{body} -> {answer}");
        server.assert_healthy(body);
    }
    let (status, answer) = hec(&server, &format!("{{\"event\":{{\"marker\":\"{m}\",\"seq\":9}}}}"));
    assert_eq!((status, answer["code"].clone()), (200, json!(0)), "{answer}");
    server.wait_count(&format!("marker:{m}"), 1);
    assert_eq!(server.count(&m), 1, "a refused envelope was stored");
    for (_, _, letter_code, needle) in &bad {
        expect_letter(&server, "hec", letter_code, Some(needle));
    }
    finish(&server);
}

// --- a tiny protobuf encoder for OTLP ExportLogsServiceRequest ---------------------------------

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field(number: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint((number << 3) | 2, &mut out);
    varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

fn any_string(s: &str) -> Vec<u8> {
    field(1, s.as_bytes())
}

/// One log record with a string body and one string attribute.
fn otlp_request(body: &str, key: &str, value: &str) -> Vec<u8> {
    let attribute = [field(1, key.as_bytes()), field(2, &any_string(value))].concat();
    let record = [field(5, &any_string(body)), field(6, &attribute)].concat();
    let scope_logs = field(2, &record);
    let resource_logs = field(2, &scope_logs);
    field(1, &resource_logs)
}

fn otlp(server: &Server, content_type: &str, body: &[u8]) -> crate::http::Response {
    let auth = format!("Bearer {}", server.ingest_token);
    crate::http::request(
        server.http,
        "POST",
        "/v1/logs",
        &[("Authorization", &auth), ("Content-Type", content_type)],
        body,
    )
    .expect("POST /v1/logs")
}

#[test]
fn otlp_bad_protobuf_and_bad_json_records() {
    let (_env, server) = start();
    let m = marker("otlpbad");
    // Field 1 (resource_logs) claims a length far past the end.
    let garbage = [0x0a, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x02, 0x03];
    let r = otlp(&server, "application/x-protobuf", &garbage);
    assert_eq!(r.status, 400, "{}", r.text());
    server.assert_healthy("bad protobuf");

    let r = otlp(
        &server,
        "application/x-protobuf",
        &otlp_request(&format!("good protobuf {m}"), "test_marker", &format!("{m}pb")),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    server.wait_count(&format!("test_marker:{m}pb"), 1);

    // OTLP/JSON: one good record, one whose timestamp is not a number.
    let json_body = json!({ "resourceLogs": [{ "resource": { "attributes": [] }, "scopeLogs": [{ "scope": {}, "logRecords": [
        { "body": { "stringValue": format!("good json {m}") },
          "attributes": [{ "key": "test_marker", "value": { "stringValue": format!("{m}json") } }] },
        { "timeUnixNano": "not a number", "body": { "stringValue": format!("bad record {m}") },
          "attributes": [{ "key": "test_marker", "value": { "stringValue": format!("{m}badjson") } }] }
    ] }] }] });
    let r = otlp(&server, "application/json", json_body.to_string().as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json();
    assert_eq!(
        answer["partialSuccess"]["rejectedLogRecords"].as_u64().or_else(|| {
            answer["partialSuccess"]["rejectedLogRecords"]
                .as_str()
                .and_then(|s| s.parse().ok())
        }),
        Some(1),
        "{answer}"
    );
    let r = otlp(
        &server,
        "application/json",
        format!("{{\"resourceLogs\": [ {m}").as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    server.assert_healthy("bad OTLP JSON");
    server.wait_count(&format!("test_marker:{m}json"), 1);
    assert_eq!(server.count(&format!("test_marker:{m}badjson")), 0);
    expect_letter(&server, "otlp", "bad_protobuf", None);
    expect_letter(&server, "otlp", "bad_otlp_record", Some("not a number"));
    expect_letter(&server, "otlp", "invalid_json", Some(&m));
    finish(&server);
}

#[test]
fn native_ingest_bad_lines_are_refused_and_dead_lettered() {
    let (_env, server) = start();
    let m = marker("api");
    let body = format!(
        "{{\"marker\":\"{m}\",\"seq\":0}}\n{{\"marker\":\"{m}\", broken\n[\"{m}\",\"array\"]\n{{\"marker\":\"{m}\",\"seq\":3}}\n"
    );
    let r = server
        .ingest_post("/api/v1/ingest?format=ndjson", "application/x-ndjson", body.as_bytes())
        .expect("ingest");
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json();
    assert_eq!(answer["accepted"], 2, "only the lines that will be stored: {answer}");
    assert_eq!(answer["rejected"][0]["line"], 2, "{answer}");
    assert_eq!(answer["rejected"][1]["code"], "not_an_object", "{answer}");
    let r = server
        .ingest_post("/api/v1/ingest?format=nonsense", "text/plain", b"x\n")
        .expect("ingest");
    assert_eq!(r.status, 400, "unknown format: {}", r.text());
    server.assert_healthy("bad ingest lines");
    server.wait_count(&format!("marker:{m}"), 2);
    expect_letter(&server, "api", "invalid_json", Some("broken"));
    expect_letter(&server, "api", "not_an_object", Some("array"));
    // Refused at ingest, with the parser's codes: the pipeline never sees them.
    assert_eq!(server.metric("vigil_parse_errors_total"), Some(0.0));
    finish(&server);
}

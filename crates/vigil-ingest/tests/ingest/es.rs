//! Elasticsearch-compatible routes through the router (`oneshot`).

use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use vigil_ingest::{HttpIngestConfig, RecordFormat, codes};

use crate::support::{BEARER, TOKEN, call, gzip, http_fixture, http_fixture_with};

const NDJSON: (&str, &str) = ("content-type", "application/x-ndjson");
const COMPAT: (&str, &str) = (
    "content-type",
    "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
);

#[tokio::test]
async fn probes_answer_like_elasticsearch() {
    let fx = http_fixture();
    let info = call(&fx.router, "GET", "/", &[BEARER], "").await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(info.header("x-elastic-product"), Some("Elasticsearch"));
    let body = info.json();
    assert_eq!(body["version"]["number"], "8.11.0");
    assert_eq!(body["version"]["build_flavor"], "default");
    assert_eq!(body["tagline"], "You Know, for Search");
    for key in [
        "lucene_version",
        "minimum_wire_compatibility_version",
        "minimum_index_compatibility_version",
    ] {
        assert!(body["version"][key].is_string(), "{key}");
    }
    assert!(body["cluster_uuid"].is_string() && body["name"].is_string());

    let head = call(&fx.router, "HEAD", "/", &[BEARER], "").await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());

    let license = call(&fx.router, "GET", "/_license", &[BEARER], "").await.json();
    assert_eq!(license["license"]["type"], "basic");
    assert_eq!(license["license"]["status"], "active");
    let xpack = call(&fx.router, "GET", "/_xpack", &[BEARER], "").await.json();
    assert_eq!(xpack["features"]["ilm"]["available"], true);

    for (method, uri) in [
        ("HEAD", "/_template/filebeat"),
        ("GET", "/_template/filebeat"),
        ("HEAD", "/_index_template/logs-vigil"),
        ("GET", "/_index_template/logs-vigil"),
        ("GET", "/_component_template/c"),
        ("GET", "/_ilm/policy/filebeat"),
        ("GET", "/_nodes"),
        ("GET", "/_nodes/_all/http"),
        ("GET", "/_cluster/health"),
        ("HEAD", "/logs-win"),
        ("GET", "/logs-win"),
        ("GET", "/_data_stream/logs-win"),
        ("GET", "/_ingest/pipeline/p1"),
        ("HEAD", "/_alias/logs"),
    ] {
        let reply = call(&fx.router, method, uri, &[BEARER], "").await;
        assert_eq!(reply.status, StatusCode::OK, "{method} {uri}");
        assert_eq!(reply.header("x-elastic-product"), Some("Elasticsearch"), "{uri}");
    }
    for uri in [
        "/_template/t",
        "/_index_template/t",
        "/_ilm/policy/p",
        "/_data_stream/logs-x",
        "/_ingest/pipeline/p",
        "/logs-x",
    ] {
        let reply = call(
            &fx.router,
            "PUT",
            uri,
            &[BEARER, ("content-type", "application/json")],
            "{}",
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "PUT {uri}");
        assert_eq!(reply.json()["acknowledged"], true, "PUT {uri}");
    }
    let health = call(&fx.router, "GET", "/_cluster/health", &[BEARER], "").await.json();
    assert_eq!(health["status"], "green");
    let ilm = call(&fx.router, "GET", "/_ilm/policy/filebeat", &[BEARER], "")
        .await
        .json();
    assert!(ilm["filebeat"]["policy"].is_object());
    let ds = call(&fx.router, "GET", "/_data_stream/logs-win", &[BEARER], "")
        .await
        .json();
    assert_eq!(ds["data_streams"][0]["name"], "logs-win");
    let not_allowed = call(&fx.router, "DELETE", "/logs-x", &[BEARER], "").await;
    assert_eq!(not_allowed.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(not_allowed.header("x-elastic-product"), Some("Elasticsearch"));
    let bad = call(&fx.router, "GET", "/_nonsense", &[BEARER], "").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(fx.sink.record_count(), 0);
    assert!(fx.state.es_metrics().requests() > 20);
}

#[tokio::test]
async fn authentication_forms_and_rejection() {
    let fx = http_fixture();
    let basic = format!("Basic {}", STANDARD.encode(format!("elastic:{TOKEN}")));
    let api_key = format!("ApiKey {}", STANDARD.encode(format!("key-id:{TOKEN}")));
    let raw_key = format!("ApiKey {TOKEN}");
    let bearer = format!("Bearer {TOKEN}");
    let splunk = format!("Splunk {TOKEN}");
    for auth in [&basic, &api_key, &raw_key, &bearer, &splunk] {
        let reply = call(&fx.router, "GET", "/", &[("authorization", auth)], "").await;
        assert_eq!(reply.status, StatusCode::OK, "{auth}");
    }
    let wrong_basic = format!("Basic {}", STANDARD.encode("elastic:wrong"));
    for headers in [
        &[][..],
        &[("authorization", "Bearer wrong")][..],
        &[("authorization", wrong_basic.as_str())][..],
        &[("authorization", "Negotiate abc")][..],
    ] {
        for (method, uri) in [("GET", "/"), ("POST", "/_bulk"), ("HEAD", "/_template/x")] {
            let reply = call(&fx.router, method, uri, headers, "").await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {uri} {headers:?}");
            assert_eq!(reply.header("x-elastic-product"), Some("Elasticsearch"));
            assert!(reply.header("www-authenticate").is_some());
            if method != "HEAD" {
                let body = reply.json();
                assert_eq!(body["error"]["code"], "unauthorized");
                assert_eq!(body["error"]["type"], "security_exception");
                assert_eq!(body["status"], 401);
            }
        }
    }
}

fn item(reply: &Value, i: usize) -> (&str, &Value) {
    let object = reply["items"][i].as_object().expect("item object");
    let (op, body) = object.iter().next().expect("one op");
    (op.as_str(), body)
}

#[tokio::test]
async fn bulk_happy_path_with_compat_content_type() {
    let fx = http_fixture();
    let body = "{\"index\":{\"_index\":\"logs-win\",\"_id\":\"a1\"}}\n{\"EventID\":4624}\n\
                {\"create\":{\"_index\":\"logs-lin\"}}\n{\"msg\":\"hello\"}\n";
    let reply = call(&fx.router, "POST", "/_bulk", &[BEARER, COMPAT], body).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-elastic-product"), Some("Elasticsearch"));
    let json = reply.json();
    assert_eq!(json["errors"], false);
    assert!(json["took"].is_u64());
    let (op, first) = item(&json, 0);
    assert_eq!(op, "index");
    assert_eq!(first["_index"], "logs-win");
    assert_eq!(first["_id"], "a1");
    assert_eq!(first["_version"], 1);
    assert_eq!(first["result"], "created");
    assert_eq!(first["_shards"], json!({"total": 1, "successful": 1, "failed": 0}));
    assert_eq!(first["_primary_term"], 1);
    assert_eq!(first["status"], 201);
    assert!(first["_seq_no"].is_u64());
    let (op, second) = item(&json, 1);
    assert_eq!(op, "create");
    assert!(second["_id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_ne!(second["_seq_no"], first["_seq_no"]);

    let records = fx.sink.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].format, RecordFormat::Json);
    assert_eq!(&*records[0].input, "elasticsearch");
    assert_eq!(records[0].data, br#"{"EventID":4624}"#);
    assert_eq!(records[0].attr("index"), Some("logs-win"));
    assert_eq!(records[0].attr("id"), Some("a1"));
    assert_eq!(records[1].attr("index"), Some("logs-lin"));
    assert_eq!(records[1].attr("id"), None);
    assert_eq!(fx.state.es_metrics().records(), 2);
}

#[tokio::test]
async fn bulk_malformed_source_and_unsupported_actions_fail_alone() {
    let fx = http_fixture();
    let body = "{\"index\":{}}\n{\"ok\":1}\n\
                {\"index\":{}}\n{\"broken\": \n\
                {\"delete\":{\"_id\":\"7\"}}\n\
                {\"update\":{\"_id\":\"8\"}}\n{\"doc\":{\"a\":1}}\n\
                {\"index\":{}}\n{\"ok\":2}\n";
    let reply = call(&fx.router, "POST", "/logs-app/_bulk", &[BEARER, NDJSON], body).await;
    assert_eq!(reply.status, StatusCode::OK);
    let json = reply.json();
    assert_eq!(json["errors"], true);
    let ops: Vec<(&str, u64)> = (0..5)
        .map(|i| {
            let (op, body) = item(&json, i);
            (op, body["status"].as_u64().expect("status"))
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            ("index", 201),
            ("index", 400),
            ("delete", 400),
            ("update", 400),
            ("index", 201)
        ]
    );
    assert_eq!(item(&json, 1).1["error"]["type"], "mapper_parsing_exception");
    assert!(item(&json, 1).1["error"]["reason"].is_string());
    assert_eq!(item(&json, 2).1["_id"], "7");
    let records = fx.sink.records();
    let data: Vec<&[u8]> = records.iter().map(|r| r.data.as_slice()).collect();
    assert_eq!(data, vec![&br#"{"ok":1}"#[..], br#"{"ok":2}"#]);
    assert!(records.iter().all(|r| r.attr("index") == Some("logs-app")));
    let letters = fx.sink.dead_letters();
    let codes: Vec<&str> = letters.iter().map(|l| l.code).collect();
    assert_eq!(
        codes,
        vec![codes::BAD_JSON, codes::UNSUPPORTED_ACTION, codes::UNSUPPORTED_ACTION]
    );
    assert_eq!(letters[0].data, br#"{"broken":"#);
    assert_eq!(fx.state.es_metrics().rejected(), 3);
}

#[tokio::test]
async fn malformed_action_line_rejects_the_whole_request() {
    let fx = http_fixture();
    let body = "{\"index\":{\"_index\":\"a\"}}\n{\"ok\":1}\nnot an action\n{\"x\":1}\n";
    let reply = call(&fx.router, "POST", "/_bulk", &[BEARER, NDJSON], body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.header("x-elastic-product"), Some("Elasticsearch"));
    assert_eq!(reply.json()["error"]["type"], "illegal_argument_exception");
    assert_eq!(fx.sink.record_count(), 0, "nothing of a refused request is accepted");
    assert_eq!(fx.sink.dead_letters()[0].code, codes::BAD_BULK_ACTION);
    let empty = call(&fx.router, "POST", "/_bulk", &[BEARER, NDJSON], "\n").await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn gzip_bodies_are_decoded_and_bounded() {
    let fx = http_fixture_with(HttpIngestConfig {
        max_decoded_bytes: 4096,
        ..HttpIngestConfig::default()
    });
    let body = gzip(b"{\"index\":{\"_index\":\"fluent\"}}\n{\"log\":\"zipped\"}\n");
    let reply = call(
        &fx.router,
        "POST",
        "/_bulk",
        &[BEARER, NDJSON, ("content-encoding", "gzip")],
        body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(fx.sink.records()[0].data, br#"{"log":"zipped"}"#);

    let mut big = String::new();
    while big.len() < 10_000 {
        big.push_str("{\"index\":{\"_index\":\"x\"}}\n{\"pad\":\"aaaaaaaaaaaaaaaaaaaa\"}\n");
    }
    let bomb = gzip(big.as_bytes());
    assert!(bomb.len() < 4096);
    let reply = call(
        &fx.router,
        "POST",
        "/_bulk",
        &[BEARER, NDJSON, ("content-encoding", "gzip")],
        bomb,
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.header("x-elastic-product"), Some("Elasticsearch"));
    assert_eq!(reply.json()["error"]["code"], "body_too_large");

    let corrupt = call(
        &fx.router,
        "POST",
        "/_bulk",
        &[BEARER, NDJSON, ("content-encoding", "gzip")],
        "plain",
    )
    .await;
    assert_eq!(corrupt.status, StatusCode::BAD_REQUEST);
    assert_eq!(fx.sink.dead_letters()[0].code, codes::BAD_ENCODING);
    assert_eq!(fx.sink.record_count(), 1);
}

#[tokio::test]
async fn body_limit_gives_413() {
    let fx = http_fixture_with(HttpIngestConfig {
        max_body_bytes: 100,
        ..HttpIngestConfig::default()
    });
    let body = format!(
        "{{\"index\":{{\"_index\":\"x\"}}}}\n{{\"pad\":\"{}\"}}\n",
        "a".repeat(200)
    );
    let reply = call(&fx.router, "POST", "/_bulk", &[BEARER, NDJSON], body).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(fx.sink.record_count(), 0);
}

#[tokio::test]
async fn unsupported_content_type_is_refused() {
    let fx = http_fixture();
    let reply = call(
        &fx.router,
        "POST",
        "/_bulk",
        &[BEARER, ("content-type", "text/plain")],
        "x",
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(reply.header("x-elastic-product"), Some("Elasticsearch"));
}

#[tokio::test]
async fn full_sink_gives_429_and_nothing_is_acknowledged() {
    let fx = http_fixture();
    fx.sink.set_full(Some(Duration::from_millis(1500)));
    let body = "{\"index\":{\"_index\":\"a\"}}\n{\"n\":1}\n{\"index\":{\"_index\":\"a\"}}\n{\"broken\n";
    let reply = call(&fx.router, "POST", "/_bulk", &[BEARER, NDJSON], body).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.header("retry-after"), Some("2"));
    assert_eq!(reply.header("x-elastic-product"), Some("Elasticsearch"));
    let json = reply.json();
    assert_eq!(json["error"]["type"], "es_rejected_execution_exception");
    assert_eq!(json["status"], 429);
    assert_eq!(fx.sink.record_count(), 0);
    assert!(
        fx.sink.dead_letters().is_empty(),
        "the client resends: no dead letters yet"
    );
    assert_eq!(fx.state.es_metrics().backpressured(), 1);
    fx.sink.set_full(None);
    let reply = call(&fx.router, "POST", "/_bulk", &[BEARER, NDJSON], body).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(fx.sink.record_count(), 1);
    assert_eq!(fx.sink.dead_letters().len(), 1);
}

#[tokio::test]
async fn single_documents() {
    let fx = http_fixture();
    let put = call(
        &fx.router,
        "PUT",
        "/logs-a/_doc/42",
        &[BEARER, ("content-type", "application/json")],
        r#"{"a":1}"#,
    )
    .await;
    assert_eq!(put.status, StatusCode::CREATED);
    let json = put.json();
    assert_eq!(
        (json["_index"].as_str(), json["_id"].as_str()),
        (Some("logs-a"), Some("42"))
    );
    assert_eq!(json["result"], "created");
    let post = call(&fx.router, "POST", "/logs-a/_doc", &[BEARER], r#"{"b":2}"#).await;
    assert_eq!(post.status, StatusCode::CREATED);
    let bad = call(&fx.router, "POST", "/logs-a/_doc", &[BEARER], "[1,2]").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"]["type"], "mapper_parsing_exception");
    let records = fx.sink.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].attr("id"), Some("42"));
    assert_eq!(fx.sink.dead_letters()[0].code, codes::BAD_JSON);
}

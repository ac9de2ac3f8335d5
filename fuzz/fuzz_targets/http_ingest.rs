//! Fuzzes the HTTP ingest decoders end to end through the real router: Elasticsearch `_bulk`,
//! Splunk HEC (event and raw) and OTLP/HTTP logs (protobuf and JSON), plain and gzip-declared.
//! Every body must get an answer that is not a server error (503 "busy" aside), and the answer
//! of the JSON protocols must be JSON.
#![no_main]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use vigil_ingest::{HttpIngest, HttpIngestConfig, MemorySink, StaticTokens, http_router};

const ROUTES: [(&str, &str, &str); 6] = [
    ("/_bulk", "application/x-ndjson", "Bearer fuzz"),
    ("/logs/_bulk", "application/vnd.elasticsearch+x-ndjson; compatible-with=8", "ApiKey ZnV6ejpmdXp6"),
    ("/services/collector/event", "application/json", "Splunk fuzz"),
    ("/services/collector/raw?sourcetype=syslog", "text/plain", "Splunk fuzz"),
    ("/v1/logs", "application/x-protobuf", "Bearer fuzz"),
    ("/v1/logs", "application/json", "Bearer fuzz"),
];

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (uri, content_type, auth) = ROUTES[usize::from(pick) % ROUTES.len()];
    let sink = Arc::new(MemorySink::new());
    let ingest = HttpIngest::new(HttpIngestConfig::default(), sink, Arc::new(StaticTokens::new(["fuzz"])));
    let mut request = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::AUTHORIZATION, auth);
    if pick & 0x80 != 0 {
        request = request.header(header::CONTENT_ENCODING, "gzip");
    }
    let request = request.body(Body::from(body.to_vec())).expect("request");
    RUNTIME.with(|rt| {
        rt.block_on(async {
            let response = http_router(ingest).oneshot(request).await.expect("infallible");
            let status = response.status();
            assert!(!status.is_server_error() || status == 503, "{uri}: {status}");
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.expect("body");
            if !uri.starts_with("/v1/logs") {
                assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(), "{uri}: {status} not JSON");
            }
        });
    });
});

//! Logsource on the live path: with every SigmaHQ rule loaded, events whose logsource nothing
//! names raise no alert (50,000 plain OTLP lines each raised the Zeek rule "Publicly Accessible
//! RDP Service", a negation only, before), are counted per input and searchable as
//! `vigil_logsource:unknown`; `[[logsource]]` entries and recognised shapes route events to the
//! rules of their product.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::harness::{BASE_CONFIG, Env, Server};

const RDP_RULE: &str = "1fc0809e-06bf-4de3-ad52-25e5263b7623";

fn sigma_rules() -> Option<PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sigma/rules");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: {} not found (the SigmaHQ rules of ../shared)", dir.display());
        None
    }
}

fn otlp_lines(n: usize) -> Vec<u8> {
    let records: Vec<Value> = (0..n)
        .map(|i| json!({"timeUnixNano": "1764000000000000000", "body": {"stringValue": format!("GET /health 200 request {i} from 203.0.113.9")}}))
        .collect();
    json!({"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
        "scopeLogs": [{"logRecords": records}]
    }]})
    .to_string()
    .into_bytes()
}

fn post(server: &Server, path: &str, content_type: &str, body: &[u8]) {
    let r = server.ingest_post(path, content_type, body).expect(path);
    assert!(r.status == 200 || r.status == 201, "{path}: {} {}", r.status, r.text());
}

fn alerts(server: &Server) -> Vec<Value> {
    let page = server.api_get("/api/v1/alerts?limit=1000").json();
    page["alerts"].as_array().cloned().unwrap_or_default()
}

#[test]
fn events_of_unknown_logsource_raise_no_alert_and_known_ones_reach_their_rules() {
    let Some(rules) = sigma_rules() else { return };
    let config = format!("{BASE_CONFIG}\n[[logsource]]\nindex = \"rdp-*\"\nproduct = \"zeek\"\nservice = \"rdp\"\n");
    let env = Env::new(&config);
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);

    // Plain lines and plain JSON on three inputs: nothing says what they are.
    post(&server, "/v1/logs", "application/json", &otlp_lines(2000));
    let raw: String = (0..300)
        .map(|i| format!("user login failed for bob attempt {i}\n"))
        .collect();
    post(&server, "/services/collector/raw", "text/plain", raw.as_bytes());
    let bulk: String = (0..300)
        .map(|i| format!("{{\"index\":{{\"_index\":\"app-logs\"}}}}\n{{\"msg\":\"checkout {i}\",\"id.orig_h\":\"203.0.113.7\"}}\n"))
        .collect();
    post(&server, "/_bulk", "application/x-ndjson", bulk.as_bytes());
    server.wait_count("vigil_logsource:unknown", 2600);
    assert_eq!(
        alerts(&server),
        Vec::<Value>::new(),
        "no rule sees an event of unknown logsource"
    );
    for (input, n) in [("otlp", 2000.0), ("hec", 300.0), ("elasticsearch", 300.0)] {
        let sample = format!("vigil_events_unknown_logsource_total{{input=\"{input}\"}}");
        assert_eq!(server.metric(&sample), Some(n), "{sample}");
    }

    // A Zeek RDP record known by its own shape (`_path`), and one known by its index.
    let zeek = concat!(
        "{\"index\":{\"_index\":\"sensors\"}}\n",
        "{\"_path\":\"rdp\",\"ts\":1764000000.5,\"uid\":\"C1\",\"id.orig_h\":\"198.51.100.4\",\"id.resp_h\":\"10.0.0.5\"}\n",
        "{\"index\":{\"_index\":\"rdp-2026\"}}\n",
        "{\"ts\":1764000001.5,\"uid\":\"C2\",\"id.orig_h\":\"198.51.100.5\",\"id.resp_h\":\"10.0.0.5\"}\n",
        "{\"index\":{\"_index\":\"rdp-2026\"}}\n",
        "{\"ts\":1764000002.5,\"uid\":\"C3\",\"id.orig_h\":\"10.1.1.1\",\"id.resp_h\":\"10.0.0.5\"}\n",
    );
    post(&server, "/_bulk", "application/x-ndjson", zeek.as_bytes());
    server.wait_count("_product:zeek", 3);
    let deadline = std::time::Instant::now() + crate::harness::SEARCH_DEADLINE;
    let fired = loop {
        let fired: Vec<Value> = alerts(&server);
        if fired.len() >= 2 || std::time::Instant::now() > deadline {
            break fired;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let ids: Vec<&str> = fired.iter().filter_map(|a| a["rule_id"].as_str()).collect();
    assert_eq!(ids, [RDP_RULE, RDP_RULE], "public sources only: {fired:#?}");
    assert_eq!(
        server.count("vigil_logsource:unknown"),
        2600,
        "the Zeek records are known"
    );
    server.assert_healthy("logsource routing");
}

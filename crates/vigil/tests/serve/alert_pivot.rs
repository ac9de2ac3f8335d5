//! From an alert to the events that raised it in one step: `GET /api/v1/alerts/{id}`,
//! `GET /api/v1/alerts/{id}/events` and `vigil alerts --events ID`, against a running server.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{BASE_CONFIG, Env, SEARCH_DEADLINE, Server, marker};

fn rule(m: &str) -> String {
    format!(
        "title: Pivot Probe\nid: 0d7e6f51-3c1a-4a55-9b2e-8f1c2d3e4a50\nstatus: test\nlevel: high\n\
logsource: {{category: test}}\ndetection:\n  sel: {{marker: {m}, hit: yes}}\n  condition: sel\n"
    )
}

/// Waits until `n` alerts are stored and every event they list is searchable.
fn wait_for_alerts(server: &Server, m: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + SEARCH_DEADLINE;
    loop {
        let alerts = server.wait_for_alerts(n);
        if server.count(&format!("marker:{m} AND hit:yes")) == n as u64 {
            assert_eq!(alerts.len(), n, "one alert per matching event");
            return alerts;
        }
        assert!(Instant::now() < deadline, "events not searchable:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_alert_leads_to_its_events_over_the_api_and_the_cli() {
    let env = Env::new(BASE_CONFIG);
    let m = marker("pivot");
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("pivot.yml"), rule(&m)).expect("rule");
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);
    let mut body = String::new();
    for i in 0..20 {
        let hit = if i % 10 == 3 { "yes" } else { "no" };
        body.push_str(&format!(
            r#"{{"marker":"{m}","category":"test","hit":"{hit}","n":{i},"host":"ws-{i}"}}"#
        ));
        body.push('\n');
    }
    let r = server
        .ingest_post("/api/v1/ingest?format=ndjson", "application/x-ndjson", body.as_bytes())
        .expect("ingest");
    assert_eq!(r.status, 200, "{}", r.text());
    server.wait_count(&format!("marker:{m}"), 20);
    let alerts = wait_for_alerts(&server, &m, 2);

    for alert in &alerts {
        let id = alert["id"].as_str().expect("alert id");
        let one = server.api_get(&format!("/api/v1/alerts/{id}"));
        assert_eq!(one.status, 200, "{}", one.text());
        assert_eq!(one.json()["id"], id);
        let answer = server.api_get(&format!("/api/v1/alerts/{id}/events"));
        assert_eq!(answer.status, 200, "{}", answer.text());
        let answer = answer.json();
        let events = answer["events"].as_array().expect("events");
        assert_eq!(events.len(), 1, "{answer}");
        assert_eq!(events[0]["id"], alert["event_ids"][0], "{answer}");
        assert_eq!(events[0]["fields"]["hit"], "yes");
        assert_eq!(
            events[0]["host"], alert["host"],
            "the alert and its event name one host"
        );
        assert_eq!(answer["missing"], Value::Array(vec![]));
    }

    let id = alerts[0]["id"].as_str().expect("id");
    let out = server.cli(&["alerts", "--events", id]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    let event_id = alerts[0]["event_ids"][0].as_str().expect("event id");
    assert!(stdout.contains(event_id), "the event's row:\n{stdout}");
    assert!(
        stderr.contains("Pivot Probe") && stderr.contains("1 event of the alert found"),
        "{stderr}"
    );
    let listed = server.cli(&["alerts"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(id),
        "the list shows alert ids"
    );

    for path in [
        "/api/v1/alerts/00000000000000000000000000000000",
        "/api/v1/alerts/00000000000000000000000000000000/events",
    ] {
        let r = server.api_get(path);
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert_eq!(r.json()["error"]["code"], "not_found", "{path}");
    }
    let r = server.api_get(&format!("/api/v1/alerts/{id}/events?size=5"));
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let r = server.get(&format!("/api/v1/alerts/{id}/events")).expect("get");
    assert_eq!(r.status, 401, "a read token is needed");
    let out = server.cli(&["alerts", "--events", "nope"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no alert has the id `nope`"), "{stderr}");
    server.assert_healthy("alert pivot");
}

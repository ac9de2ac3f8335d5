//! Suppression rules from the command line against a running server: `vigil alerts suppress`
//! ("suppress alerts like this", closing the alert), then `vigil suppressions
//! list|show|matches|disable|enable|create|delete`, each checked through the API; the pivot from
//! a suppressed match to its event with `vigil search '_id:…'`; text from the server escaped.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli_run::{api_key, fails, ok};
use crate::harness::{BASE_CONFIG, Env, SEARCH_DEADLINE, Server, marker};

fn rule(m: &str) -> String {
    format!(
        "title: Suppress Probe\nid: 7c2d6e3f-8a9b-4c0d-9e1f-2a3b4c5d6e7f\nstatus: test\nlevel: high\n\
logsource: {{category: test}}\ndetection:\n  sel: {{marker: {m}, hit: yes}}\n  condition: sel\n"
    )
}

/// Ingests one event of the probe rule per (host, user).
fn ingest(server: &Server, m: &str, events: &[(&str, &str)]) {
    let body: String = events
        .iter()
        .map(|(host, user)| {
            format!(
                "{}\n",
                json!({"marker": m, "category": "test", "hit": "yes", "host": host, "User": user})
            )
        })
        .collect();
    let r = server
        .ingest_post("/api/v1/ingest?format=ndjson", "application/x-ndjson", body.as_bytes())
        .expect("ingest");
    assert_eq!(r.status, 200, "{}", r.text());
}

/// Polls `GET path` (read token) until `done` holds.
fn until(server: &Server, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + SEARCH_DEADLINE;
    loop {
        let r = server.api_get(path);
        if r.status == 200 && done(&r.json()) {
            return r.json();
        }
        assert!(Instant::now() < deadline, "GET {path}: {} {}", r.status, r.text());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn alerts_are_suppressed_like_one_and_suppressions_worked_from_the_cli() {
    let env = Env::new(BASE_CONFIG);
    let m = marker("suppress");
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("suppress.yml"), rule(&m)).expect("rule");
    let admin = api_key(&env, "admin");
    let engineer = api_key(&env, "detection_engineer");
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);
    ingest(&server, &m, &[("scan-host", "svc_scan"), ("web-host", "alice")]);
    let alerts = server.wait_for_alerts(2);
    let scan_alert = alerts
        .iter()
        .find(|a| a["host"] == "scan-host")
        .and_then(|a| a["id"].as_str())
        .expect("scan-host's alert")
        .to_owned();

    // A viewer may not; closing needs alert:triage, which an admin has.
    let suppress = [
        "alerts",
        "suppress",
        scan_alert.as_str(),
        "--fields",
        "host,user",
        "--reason",
        "the weekly scan \u{202e}gpj.exe",
        "--expires",
        "30d",
        "--close-as",
        "false_positive",
    ];
    let run = fails(&server, &server.read_token, &suppress);
    assert!(run.stderr.contains("forbidden"), "{}", run.all());
    let run = fails(
        &server,
        &admin,
        &[
            "alerts",
            "suppress",
            &scan_alert,
            "--fields",
            "host",
            "--reason",
            "x",
            "--close-as",
            "true_positive",
        ],
    );
    assert!(
        run.stderr.contains("false_positive or benign_positive"),
        "{}",
        run.all()
    );
    let run = ok(&server, &admin, &suppress);
    let id = run.stdout.trim().to_owned();
    assert!(
        id.starts_with("sup-") && !id.contains(char::is_whitespace),
        "the id alone: {}",
        run.all()
    );
    assert!(
        run.stderr.contains("host=scan-host, user=svc_scan") && run.stderr.contains("closed as false_positive"),
        "{}",
        run.all()
    );
    let alert = server.api_get(&format!("/api/v1/alerts/{scan_alert}")).json();
    assert_eq!(
        (&alert["status"], &alert["disposition"]),
        (&json!("closed"), &json!("false_positive"))
    );

    // Matches like it are counted, not raised.
    ingest(
        &server,
        &m,
        &[
            ("scan-host", "svc_scan"),
            ("scan-host", "svc_scan"),
            ("web-host", "svc_scan"),
        ],
    );
    let one = format!("/api/v1/suppressions/{id}");
    until(&server, &one, |s| s["hits"] == 2);
    server.wait_for_alerts(3);
    let page = server.api_get("/api/v1/alerts").json();
    assert_eq!(page["total"], 3, "only web-host's new match alerted: {page}");

    let run = ok(&server, &server.read_token, &["suppressions", "list"]);
    assert!(
        run.stdout.contains(&id) && run.stdout.contains("active") && run.stdout.contains("host=scan-host"),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains("\\u{202e}gpj.exe"),
        "the reason escaped: {}",
        run.stdout
    );
    assert!(run.stderr.contains("1 suppressions match"), "{}", run.all());
    let run = ok(&server, &server.read_token, &["suppressions", "show", &id]);
    for want in [
        "host = scan-host",
        "user = svc_scan",
        "from alert",
        scan_alert.as_str(),
        "hits",
    ] {
        assert!(run.stdout.contains(want), "show lacks {want:?}:\n{}", run.stdout);
    }
    let run = ok(&server, &server.read_token, &["suppressions", "matches", &id]);
    let listed = server.api_get(&format!("{one}/matches")).json();
    let events: Vec<&str> = listed["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .filter_map(|m| m["event_id"].as_str())
        .collect();
    assert_eq!(events.len(), 2, "{listed}");
    for event in &events {
        assert!(run.stdout.contains(event), "{event} missing:\n{}", run.all());
    }
    assert!(run.stderr.contains("2 matches listed"), "{}", run.all());
    // The pivot to a suppressed event.
    let query = format!("_id:{}", events[0]);
    server.wait_count(&query, 1);
    let run = ok(&server, &server.read_token, &["search", &query]);
    assert!(run.stdout.contains("scan-host"), "{}", run.all());

    // Disable and enable (rule:write), with what the server says when nothing changes.
    let run = fails(&server, &server.read_token, &["suppressions", "disable", &id]);
    assert!(run.stderr.contains("forbidden"), "{}", run.all());
    let run = ok(&server, &engineer, &["suppressions", "disable", &id]);
    assert!(
        run.stdout.contains(&format!("suppression {id}: disabled")),
        "{}",
        run.all()
    );
    assert_eq!(server.api_get(&one).json()["active"], false);
    let run = fails(&server, &engineer, &["suppressions", "disable", &id]);
    assert!(
        run.stderr.contains("409") && run.stderr.contains("conflict"),
        "{}",
        run.all()
    );
    let run = ok(&server, &engineer, &["suppressions", "list", "--inactive"]);
    assert!(run.stdout.contains("disabled"), "{}", run.all());
    ok(&server, &engineer, &["suppressions", "enable", &id, "--expires", "7d"]);
    let s = server.api_get(&one).json();
    assert_eq!(s["active"], true, "{s}");
    let expires: jiff::Timestamp = s["expires"].as_str().expect("an expiry").parse().expect("instant");
    assert!(
        expires < jiff::Timestamp::now() + jiff::SignedDuration::from_hours(7 * 24 + 1),
        "{s}"
    );

    // By hand, then deleted.
    let run = ok(
        &server,
        &engineer,
        &[
            "suppressions",
            "create",
            "--rule-id",
            "*",
            "--condition",
            "host=lab-01",
            "--condition",
            "src_ip=10.9.9.9",
            "--reason",
            "lab",
        ],
    );
    let made = run.stdout.trim().to_owned();
    let s = server.api_get(&format!("/api/v1/suppressions/{made}")).json();
    assert_eq!(
        s["conditions"],
        json!([{"field": "host", "value": "lab-01"}, {"field": "src_ip", "value": "10.9.9.9"}]),
        "{s}"
    );
    let run = fails(
        &server,
        &engineer,
        &["suppressions", "create", "--rule-id", "*", "--reason", "everything"],
    );
    assert!(run.stderr.contains("needs at least one"), "{}", run.all());
    let run = ok(&server, &engineer, &["suppressions", "delete", &made]);
    assert!(run.stdout.contains("deleted"), "{}", run.all());
    let run = fails(&server, &engineer, &["suppressions", "show", &made]);
    assert!(run.stderr.contains("not_found"), "{}", run.all());
    server.assert_healthy("suppressions from the cli");
}

//! `vigil hunt --stored`: rules run over the events a running `vigil serve` stored, correlation
//! included, at the times the server stored them under.

use std::io::Write;
use std::process::Command;

use serde_json::Value;

use crate::harness::{BASE_CONFIG, Env, VIGIL, marker};

fn rules(marker: &str) -> String {
    format!(
        r#"title: Failed login (retro-hunt test)
id: 0b5d1c4e-8f9a-4d37-9a0e-4a1f2e3d5c01
name: retro_failed_login
status: test
level: low
logsource:
  product: linux
  service: syslog
detection:
  keywords:
    - {marker}
  condition: keywords
---
title: Three failed logins on one host (retro-hunt test)
id: 0b5d1c4e-8f9a-4d37-9a0e-4a1f2e3d5c02
status: test
level: high
correlation:
  type: event_count
  rules:
    - retro_failed_login
  group-by:
    - host
  timespan: 1h
  condition:
    gte: 3
"#
    )
}

#[test]
fn retro_hunt_correlates_stored_events_including_those_kept_at_ingest_time() {
    let env = Env::new(BASE_CONFIG);
    let server = env.start(false);
    let m = marker("retro");
    let now = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).expect("now");
    // Two events dated now, and one whose host clock is wrong (dated 2099): the server keeps that
    // one at its ingest time, now, and correlated it there; the retro-hunt must do the same.
    let lines = [
        format!("<13>1 {now} db01 app 42 - - failed login {m} 1\n"),
        format!("<13>1 {now} db01 app 42 - - failed login {m} 2\n"),
        format!("<13>1 2099-01-01T00:00:00Z db01 app 42 - - failed login {m} 3\n"),
    ];
    let mut conn = std::net::TcpStream::connect(server.syslog_tcp.expect("syslog tcp")).expect("connect");
    conn.write_all(lines.concat().as_bytes()).expect("send");
    drop(conn);
    server.wait_count(&m, 3);
    let future = server.hits(&format!("{m} AND 3"), 10);
    assert_eq!(future.len(), 1, "{future:?}");
    assert_eq!(future[0]["ingest_time"], true, "{future:?}");

    let rules_dir = env.path("rules");
    std::fs::create_dir_all(&rules_dir).expect("rules dir");
    std::fs::write(rules_dir.join("retro.yml"), rules(&m)).expect("rules");
    let out = Command::new(VIGIL)
        .args(["hunt", "--stored", "--since", "30d", "-o", "jsonl"])
        .arg("--data-dir")
        .arg(&env.data_dir)
        .arg("--rules")
        .arg(&rules_dir)
        .output()
        .expect("run vigil hunt --stored");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let correlations: Vec<&Value> = findings.iter().filter(|f| f["kind"] == "correlation").collect();
    assert_eq!(correlations.len(), 1, "{stdout}");
    let c = &correlations[0]["correlation"];
    assert_eq!(c["value"], 3.0, "{stdout}");
    assert_eq!(c["group_key"], serde_json::json!([["host", "db01"]]), "{stdout}");
    let ids = c["event_ids"].as_array().expect("event ids");
    assert!(
        ids.iter().any(|id| id == &future[0]["id"]),
        "the event kept at its ingest time is among the correlated: {stdout}"
    );
    server.assert_healthy("retro-hunt");
}

//! Integration tests for vigil-state against temporary database files.

mod alerts;
mod apikeys;
mod audit;
mod audit_tamper;
mod dead_letters;
mod open;
mod retention;
mod tenants;
mod tokens;
mod users;

use jiff::{SignedDuration, Timestamp};
use vigil_state::{AlertKind, NewAlert, State};

/// A fresh file database in its own temporary directory (kept alive by the returned guard).
pub async fn temp_state() -> (State, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = State::open(&dir.path().join("state.db")).await.expect("open");
    (state, dir)
}

/// A fixed base instant, so tests do not depend on the clock.
pub fn t0() -> Timestamp {
    "2026-05-01T12:00:00Z".parse().expect("timestamp")
}

/// `t0` plus `secs` seconds.
pub fn at(secs: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(secs)
}

/// An alert with the given id, rule, level and detection time.
pub fn alert(id: &str, rule: &str, level: &str, detected: Timestamp) -> NewAlert {
    NewAlert {
        tenant: "default".into(),
        id: id.to_owned(),
        rule_id: rule.to_owned(),
        rule_title: format!("Rule {rule}"),
        level: level.to_owned(),
        kind: AlertKind::Detection,
        attack: vec!["T1059.001".into(), "TA0002".into()],
        tags: vec!["attack.execution".into()],
        event_ids: vec![format!("ev-{id}")],
        group_key: None,
        event_time: Some(detected - SignedDuration::from_secs(1)),
        detected,
        input: Some("syslog".into()),
        host: Some("web-1".into()),
        matched: serde_json::json!({"selection": ["CommandLine"]}),
    }
}

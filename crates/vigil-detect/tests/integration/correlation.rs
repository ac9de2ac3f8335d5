//! Sigma correlation rules over event time.

use jiff::Timestamp;
use serde_json::json;
use vigil_detect::{Correlator, Detector, DetectorOptions, RuleFilter, RuleSet};
use vigil_event::Raw;
use vigil_parse::{Origin, json::from_value};

const RULES: &str = r#"
title: Failed logon
id: failed-logon
name: failed_logon
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
level: low
---
title: Brute force
id: brute-force
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 5m
  condition: {gte: 3}
level: high
---
title: Spray
id: spray
correlation:
  type: value_count
  rules: [failed-logon]
  group-by: [IpAddress]
  timespan: 10m
  condition: {field: TargetUserName, gte: 3}
level: high
---
title: Success after failure
id: success
name: success
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4624}
  condition: sel
---
title: Failure and success in any order
id: fail-and-success
correlation:
  type: temporal
  rules: [failed_logon, success]
  group-by: [TargetUserName]
  timespan: 1m
level: medium
---
title: Failure then success
id: fail-then-success
correlation:
  type: temporal_ordered
  rules: [failed_logon, success]
  group-by: [TargetUserName]
  timespan: 1m
level: critical
"#;

fn logon(id: u32, user: &str, ip: &str, at: &str, offset: u64) -> vigil_event::Event {
    let v = json!({"Event": {"System": {"EventID": id, "Channel": "Security",
        "TimeCreated": {"#attributes": {"SystemTime": at}}},
        "EventData": {"TargetUserName": user, "IpAddress": ip}}});
    from_value(v, Raw::None, &Origin::file("test", "sec.json"), offset)
}

fn run(events: &[vigil_event::Event]) -> Vec<String> {
    let mut set = RuleSet::default();
    set.add_text(RULES, std::path::Path::new("c.yml").into(), &RuleFilter::default());
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let (detector, problems) = Detector::build(&set, &DetectorOptions::default());
    assert!(problems.is_empty(), "{problems:?}");
    let (correlator, problems) = Correlator::build(&set);
    assert!(problems.is_empty(), "{problems:?}");
    let mut correlator = correlator.expect("correlation rules present");
    let mut fired = Vec::new();
    for ev in events {
        let hits = detector.detect(ev);
        let t: Timestamp = ev.time.expect("timed");
        for c in correlator.feed(ev, &hits, t.as_second()) {
            let rule = &detector.rules()[c.rule];
            let key: Vec<String> = c.group_key.iter().map(|(k, v)| format!("{k}={v}")).collect();
            fired.push(format!("{} {} {}", rule.key(), key.join(","), c.value));
        }
    }
    fired
}

#[test]
fn event_count_fires_at_threshold_within_window_only() {
    let evs = [
        logon(4625, "bob", "10.0.0.1", "2024-01-01T00:00:00Z", 1),
        logon(4625, "bob", "10.0.0.1", "2024-01-01T00:01:00Z", 2),
        logon(4625, "alice", "10.0.0.9", "2024-01-01T00:01:30Z", 3),
        logon(4625, "bob", "10.0.0.1", "2024-01-01T00:02:00Z", 4),
    ];
    let fired = run(&evs);
    assert!(
        fired.contains(&"brute-force TargetUserName=bob 3".to_string()),
        "{fired:?}"
    );
    assert!(!fired.iter().any(|f| f.contains("alice")), "{fired:?}");
    // Same three failures spread over more than 5 minutes do not fire.
    let slow = [
        logon(4625, "bob", "10.0.0.1", "2024-01-01T00:00:00Z", 1),
        logon(4625, "bob", "10.0.0.1", "2024-01-01T00:04:00Z", 2),
        logon(4625, "bob", "10.0.0.1", "2024-01-01T00:09:00Z", 3),
    ];
    assert!(!run(&slow).iter().any(|f| f.starts_with("brute-force")));
}

#[test]
fn value_count_counts_distinct_users_per_source() {
    let evs = [
        logon(4625, "a", "10.0.0.5", "2024-01-01T00:00:00Z", 1),
        logon(4625, "b", "10.0.0.5", "2024-01-01T00:00:10Z", 2),
        logon(4625, "b", "10.0.0.5", "2024-01-01T00:00:20Z", 3),
        logon(4625, "c", "10.0.0.5", "2024-01-01T00:00:30Z", 4),
    ];
    let fired = run(&evs);
    assert!(
        fired.iter().any(|f| f.starts_with("spray IpAddress=10.0.0.5 3")),
        "{fired:?}"
    );
}

#[test]
fn temporal_ordered_needs_the_order() {
    let in_order = [
        logon(4625, "eve", "10.0.0.7", "2024-01-01T00:00:00Z", 1),
        logon(4624, "eve", "10.0.0.7", "2024-01-01T00:00:30Z", 2),
    ];
    assert!(
        run(&in_order)
            .iter()
            .any(|f| f.starts_with("fail-then-success TargetUserName=eve"))
    );
    let reversed = [
        logon(4624, "eve", "10.0.0.7", "2024-01-01T00:00:00Z", 1),
        logon(4625, "eve", "10.0.0.7", "2024-01-01T00:00:30Z", 2),
    ];
    let fired = run(&reversed);
    assert!(!fired.iter().any(|f| f.starts_with("fail-then-success")), "{fired:?}");
    assert!(
        fired
            .iter()
            .any(|f| f.starts_with("fail-and-success TargetUserName=eve")),
        "temporal ignores order: {fired:?}"
    );
    let apart = [
        logon(4624, "eve", "10.0.0.7", "2024-01-01T00:00:00Z", 1),
        logon(4625, "eve", "10.0.0.7", "2024-01-01T00:05:00Z", 2),
    ];
    assert!(
        !run(&apart).iter().any(|f| f.starts_with("fail-and-success")),
        "outside the 1m window"
    );
}

/// Regression: rsigma-parser 0.23 defaults a temporal correlation without `condition` to `gte: 1`,
/// so it fired on any single referenced rule. Sigma's default is all referenced rules.
#[test]
fn temporal_without_condition_requires_every_rule() {
    let lone_failures = [
        logon(4625, "zed", "10.0.0.8", "2024-01-01T00:00:00Z", 1),
        logon(4625, "zed", "10.0.0.8", "2024-01-01T00:00:10Z", 2),
    ];
    let fired = run(&lone_failures);
    assert!(!fired.iter().any(|f| f.starts_with("fail-and-success")), "{fired:?}");
}

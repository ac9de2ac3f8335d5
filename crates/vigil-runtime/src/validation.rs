//! Detection validation: a plan's labelled samples through a loaded rule set, side-effect free.
//!
//! Each test's events are parsed as ingested JSON is ([`vigil_parse::json::from_value`]: an EVTX
//! record's JSON rendering becomes the same event the EVTX reader makes) and evaluated by the
//! detector of the [`Rules`] given — the server passes the set its pipeline runs right now. Hits of
//! correlation-only rules are left out as the pipeline leaves them out. Nothing is written: no
//! alert, event, correlation state or spool record; the caller stores only the results.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use vigil_api_types::validation::{Outcome, TestResult, ValidationTest, technique_covers};
use vigil_detect::{RuleInfo, RuleKind, level_name};
use vigil_event::{Event, Raw};
use vigil_parse::{Origin, json};

use crate::engine::Rules;

/// SHA-256 over every rule's id (or title), level and file, in order: two runs with the same
/// fingerprint evaluated the same rules.
pub fn fingerprint(rules: &Rules) -> String {
    let mut h = Sha256::new();
    for r in rules.detector.rules().iter() {
        h.update(r.key().as_bytes());
        h.update([0]);
        h.update(level_name(r.level).as_bytes());
        h.update([0]);
        h.update(r.path.to_string_lossy().as_bytes());
        h.update([0xff]);
    }
    hex::encode(h.finalize())
}

/// Evaluates every test (on all cores: the detector is `Sync`).
pub fn evaluate(rules: &Rules, tests: &[ValidationTest]) -> Vec<TestResult> {
    use rayon::prelude::*;
    tests.par_iter().map(|t| evaluate_test(rules, t)).collect()
}

/// The events of a test, as ingest would make them from its JSON documents.
fn events_of(test: &ValidationTest) -> Vec<Event> {
    let sample = test.samples.first().map_or(test.id.as_str(), String::as_str);
    let origin = Origin::file("validation", sample);
    test.events
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_object())
        .map(|(i, v)| json::from_value(v.clone(), Raw::None, &origin, i as u64))
        .collect()
}

/// Is this rule one the test expects, by id/title or by technique?
fn expected(rule: &RuleInfo, test: &ValidationTest) -> bool {
    test.expect_rules
        .iter()
        .any(|e| rule.id.as_deref() == Some(e.as_str()) || rule.title == *e)
        || test
            .expect_techniques
            .iter()
            .any(|want| rule.attack.techniques.iter().any(|have| technique_covers(want, have)))
}

fn evaluate_test(rules: &Rules, test: &ValidationTest) -> TestResult {
    let infos = rules.detector.rules();
    let events = events_of(test);
    let mut fired: BTreeSet<usize> = BTreeSet::new();
    for event in &events {
        for hit in rules.detector.detect(event) {
            if !rules.suppressed.contains(&hit.rule) {
                fired.insert(hit.rule);
            }
        }
    }
    // The expected rules the running set has as detection rules that can alert.
    let candidates: Vec<usize> = (0..infos.len())
        .filter(|&i| {
            infos[i].kind == RuleKind::Detection && !rules.suppressed.contains(&i) && expected(&infos[i], test)
        })
        .collect();
    let technique = test.technique.clone().or_else(|| {
        candidates
            .iter()
            .find_map(|&i| infos[i].attack.techniques.first().cloned())
    });
    let detected_by: Vec<&str> = fired
        .iter()
        .filter(|i| candidates.contains(i))
        .map(|&i| infos[i].key())
        .collect();
    let (outcome, reason) = if !detected_by.is_empty() {
        (Outcome::Detected, format!("alerted by {}", detected_by.join(", ")))
    } else if !fired.is_empty() {
        (
            Outcome::OtherRule,
            "alerted only by rules the test does not expect".to_string(),
        )
    } else {
        not_alerted(infos, &candidates, &events, test)
    };
    TestResult {
        id: test.id.clone(),
        technique: technique.map(|t| t.to_ascii_uppercase()),
        outcome,
        events: events.len() as u64,
        fired: fired.iter().map(|&i| infos[i].key().to_owned()).collect(),
        expect_rules: test.expect_rules.clone(),
        expect_techniques: test.expect_techniques.clone(),
        samples: test.samples.clone(),
        reason,
    }
}

/// `logged` when an expected rule's logsource admits one of the events, else `missed` with why.
fn not_alerted(infos: &[RuleInfo], candidates: &[usize], events: &[Event], test: &ValidationTest) -> (Outcome, String) {
    if events.is_empty() {
        return (Outcome::Missed, "no event in the samples".into());
    }
    if candidates.is_empty() {
        let mut wanted: Vec<&str> = test.expect_rules.iter().map(String::as_str).collect();
        wanted.extend(test.expect_techniques.iter().map(String::as_str));
        return (
            Outcome::Missed,
            format!(
                "no enabled rule of the running set is expected ({}): missing, disabled or correlation-only",
                wanted.join(", ")
            ),
        );
    }
    let saw = |i: usize| {
        let r = &infos[i];
        events
            .iter()
            .filter(|e| {
                e.logsource
                    .admits(r.product.as_deref(), r.service.as_deref(), r.category.as_deref())
            })
            .count()
    };
    if let Some((i, n)) = candidates.iter().map(|&i| (i, saw(i))).find(|&(_, n)| n > 0) {
        return (
            Outcome::Logged,
            format!("{} saw {n} of the events and did not alert", infos[i].key()),
        );
    }
    let r = &infos[candidates[0]];
    let want = [
        ("product", &r.product),
        ("service", &r.service),
        ("category", &r.category),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
    .collect::<Vec<_>>()
    .join(", ");
    (
        Outcome::Missed,
        format!(
            "no event's logsource reaches {} (it reads {}); the events were read as {}",
            r.key(),
            if want.is_empty() { "any logsource".into() } else { want },
            shown_logsource(&events[0])
        ),
    )
}

fn shown_logsource(e: &Event) -> String {
    let l = &e.logsource;
    let mut parts = Vec::new();
    if let Some(p) = &l.product {
        parts.push(format!("product: {p}"));
    }
    for s in &l.services {
        parts.push(format!("service: {s}"));
    }
    for c in &l.categories {
        parts.push(format!("category: {c}"));
    }
    if parts.is_empty() {
        "no logsource".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{RulesConfig, load};
    use serde_json::json;

    const RULE: &str = r#"
title: Whoami
id: 11111111-1111-1111-1111-111111111111
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\whoami.exe'}
  condition: sel
level: high
tags: [attack.discovery, attack.t1033]
---
title: Any cmd
id: 22222222-2222-2222-2222-222222222222
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\cmd.exe'}
  condition: sel
level: low
tags: [attack.execution, attack.t1059.003]
"#;

    fn rules() -> (tempfile::TempDir, Rules) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.yml"), RULE).unwrap();
        let config = RulesConfig {
            paths: vec![dir.path().to_path_buf()],
            min_level: None,
            pipelines: vec![],
        };
        let rules = load(&config, 1).unwrap();
        (dir, rules)
    }

    fn sysmon(image: &str) -> serde_json::Value {
        json!({"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
            "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ws1"},
            "EventData": {"Image": image, "CommandLine": image}}})
    }

    fn test(id: &str, rules: &[&str], techniques: &[&str], events: Vec<serde_json::Value>) -> ValidationTest {
        ValidationTest {
            id: id.into(),
            technique: None,
            expect_rules: rules.iter().map(|s| s.to_string()).collect(),
            expect_techniques: techniques.iter().map(|s| s.to_string()).collect(),
            samples: vec![],
            events,
        }
    }

    #[test]
    fn each_outcome_is_told_apart() {
        let (_dir, rules) = rules();
        let whoami = "11111111-1111-1111-1111-111111111111";
        let results = evaluate(
            &rules,
            &[
                test("hit", &[whoami], &[], vec![sysmon(r"C:\Windows\System32\whoami.exe")]),
                test(
                    "by-technique",
                    &[],
                    &["T1059"],
                    vec![sysmon(r"C:\Windows\System32\cmd.exe")],
                ),
                test("other", &[whoami], &[], vec![sysmon(r"C:\Windows\System32\cmd.exe")]),
                test("logged", &[whoami], &[], vec![sysmon(r"C:\Windows\notepad.exe")]),
                test(
                    "missing-rule",
                    &["no-such-rule"],
                    &[],
                    vec![sysmon(r"C:\Windows\notepad.exe")],
                ),
                test(
                    "wrong-source",
                    &[whoami],
                    &[],
                    vec![json!({"message": "whoami.exe ran"})],
                ),
                test("empty", &[whoami], &[], vec![]),
            ],
        );
        let outcomes: Vec<(&str, Outcome)> = results.iter().map(|r| (r.id.as_str(), r.outcome)).collect();
        assert_eq!(
            outcomes,
            [
                ("hit", Outcome::Detected),
                ("by-technique", Outcome::Detected),
                ("other", Outcome::OtherRule),
                ("logged", Outcome::Logged),
                ("missing-rule", Outcome::Missed),
                ("wrong-source", Outcome::Missed),
                ("empty", Outcome::Missed),
            ]
        );
        assert_eq!(results[0].fired, [whoami]);
        assert_eq!(results[0].technique.as_deref(), Some("T1033"));
        assert_eq!(results[2].fired, ["22222222-2222-2222-2222-222222222222"]);
        assert!(results[4].reason.contains("no enabled rule"), "{}", results[4].reason);
        assert!(results[5].reason.contains("logsource"), "{}", results[5].reason);
        assert_eq!(fingerprint(&rules), fingerprint(&rules));
        assert_eq!(fingerprint(&rules).len(), 64);
    }
}

//! Logsource routing: an event is evaluated only against rules whose logsource can match it.

use serde_json::json;
use vigil_event::Raw;
use vigil_parse::{Origin, json::from_value};

use crate::detector_from;

const RULES: &str = r#"
title: Whoami via process creation
id: 00000000-0000-0000-0000-000000000001
logsource: {product: windows, category: process_creation}
detection:
  sel: {CommandLine|contains: whoami}
  condition: sel
level: medium
tags: [attack.discovery, attack.t1033]
---
title: Whoami in a file event (must not fire on process events)
id: 00000000-0000-0000-0000-000000000002
logsource: {product: windows, category: file_event}
detection:
  sel: {CommandLine|contains: whoami}
  condition: sel
---
title: Whoami on Linux (must not fire on Windows events)
id: 00000000-0000-0000-0000-000000000003
logsource: {product: linux}
detection:
  sel: {CommandLine|contains: whoami}
  condition: sel
---
title: Whoami anywhere in Sysmon
id: 00000000-0000-0000-0000-000000000004
logsource: {product: windows, service: sysmon}
detection:
  sel: {CommandLine|contains: whoami}
  condition: sel
"#;

fn event(v: serde_json::Value) -> vigil_event::Event {
    from_value(v, Raw::None, &Origin::file("test", "t.json"), 0)
}

fn fired(rules: &[vigil_detect::RuleInfo], hits: &[vigil_detect::Hit]) -> Vec<String> {
    let mut ids: Vec<String> = hits.iter().map(|h| rules[h.rule].key().to_string()).collect();
    ids.sort();
    ids
}

#[test]
fn sysmon_process_event_reaches_only_matching_logsources() {
    let (_, detector) = detector_from(RULES);
    let ev = event(
        json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"},
        "EventData": {"CommandLine": "cmd /c whoami"}}}),
    );
    let hits = detector.detect(&ev);
    assert_eq!(
        fired(detector.rules(), &hits),
        [
            "00000000-0000-0000-0000-000000000001",
            "00000000-0000-0000-0000-000000000004"
        ]
    );
    assert_eq!(
        detector.eligible_rules(&ev.logsource),
        2,
        "file_event and linux rules are not evaluated"
    );
    let info = &detector.rules()[hits[0].rule];
    assert_eq!(info.attack.techniques, ["T1033"]);
    assert_eq!(info.attack.tactics, ["TA0007"]);
}

#[test]
fn winlogbeat_document_fires_the_same_unmodified_rule() {
    let (_, detector) = detector_from(RULES);
    let ev = event(json!({"@timestamp": "2024-01-01T00:00:00Z",
        "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": "1",
                   "event_data": {"CommandLine": "whoami /priv"}}}));
    assert_eq!(
        fired(detector.rules(), &detector.detect(&ev)),
        [
            "00000000-0000-0000-0000-000000000001",
            "00000000-0000-0000-0000-000000000004"
        ]
    );
}

#[test]
fn an_unknown_logsource_is_never_guessed_into_a_match() {
    let rules = format!(
        "{RULES}---\ntitle: Publicly reachable RDP (a negation only)\nid: 00000000-0000-0000-0000-000000000005\n\
logsource: {{product: zeek, service: rdp}}\ndetection:\n  filter: {{id.orig_h|cidr: '10.0.0.0/8'}}\n  condition: not filter\n\
---\ntitle: Whoami in any process creation log\nid: 00000000-0000-0000-0000-000000000006\n\
logsource: {{category: process_creation}}\ndetection:\n  sel: {{CommandLine|contains: whoami}}\n  condition: sel\n"
    );
    let (_, detector) = detector_from(&rules);
    let plain = event(json!({"CommandLine": "whoami", "msg": "a plain line"}));
    assert!(plain.logsource.is_empty());
    assert_eq!(
        fired(detector.rules(), &detector.detect(&plain)),
        Vec::<&str>::new(),
        "no logsource known: no rule that names one applies"
    );
    let category_only = event(json!({"CommandLine": "whoami", "category": "process_creation"}));
    assert_eq!(
        fired(detector.rules(), &detector.detect(&category_only)),
        ["00000000-0000-0000-0000-000000000006"],
        "a known category without a product: only rules that name no more than it has"
    );
}

#[test]
fn sigma_filter_rule_suppresses_its_target_only() {
    let rules = format!(
        "{RULES}---\ntitle: Ignore the admin jump host\nfilter:\n  rules: [00000000-0000-0000-0000-000000000001]\n  selection:\n    Computer: jump01\n  condition: not selection\nlogsource: {{product: windows}}\n"
    );
    let (set, detector) = detector_from(&rules);
    assert_eq!(set.filters.len(), 1);
    let sysmon = |host: &str| {
        event(
            json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": host},
            "EventData": {"CommandLine": "whoami"}}}),
        )
    };
    assert_eq!(
        fired(detector.rules(), &detector.detect(&sysmon("jump01"))),
        ["00000000-0000-0000-0000-000000000004"],
        "the filtered rule is silent on the excluded host; the other rule still fires"
    );
    assert_eq!(fired(detector.rules(), &detector.detect(&sysmon("ws7"))).len(), 2);
}

//! The cost per detection match of the suppression check (`Suppressions::suppresses`), which the
//! pipeline runs on every match before it builds an alert:
//!
//!   cargo bench -p vigil-runtime --bench suppression
//!
//! Sets of 0, 100 and 10,000 suppressions of one tenant, each on `host` and `user`; half of them
//! on the rule that matched (the worst case: many suppressions of one noisy rule), the rest spread
//! over 50 other rules and `*`. `miss` is a match none covers (the common case: its alert is
//! raised), `hit` one the last-made suppression covers.

use jiff::Timestamp;
use vigil_api_types::suppressions::{Condition, Suppression};
use vigil_event::{Event, Fields, LogSourceTags, Raw, Source};
use vigil_runtime::suppression::Suppressions;

fn main() {
    divan::main();
}

const RULE: &str = "6f1c1f7e-6c7e-4c9a-9d7e-111111111111";

fn suppression(i: usize) -> Suppression {
    let rule = match i % 4 {
        0 | 1 => RULE.to_owned(),
        2 => format!("rule-{}", i % 50),
        _ => "*".to_owned(),
    };
    let condition = |field: &str, value: String| Condition {
        field: field.into(),
        value,
    };
    Suppression {
        id: format!("sup-{i:016x}"),
        tenant: "default".into(),
        rule_id: rule,
        conditions: vec![
            condition("host", format!("ws{i:05}.corp.example")),
            condition("user", format!("CORP\\user{i:05}")),
        ],
        reason: "bench".into(),
        author: "user:bench".into(),
        created: Timestamp::UNIX_EPOCH,
        expires: None,
        disabled: false,
        active: true,
        updated: None,
        updated_by: None,
        alert_id: None,
        hits: 0,
        last_hit: None,
    }
}

fn set(n: usize) -> Suppressions {
    let list: Vec<Suppression> = (0..n).map(suppression).collect();
    Suppressions::new(&list)
}

/// A Sysmon process creation of the bench corpus, on `host` as `user`.
fn event(host: &str, user: &str) -> Event {
    let fields = serde_json::json!({
        "Computer": host, "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Image": "C:\\Windows\\System32\\RuntimeBroker.exe", "CommandLine": "RuntimeBroker.exe -Embedding",
        "ParentImage": "C:\\Windows\\System32\\svchost.exe", "User": user, "ProcessId": 14730,
        "IntegrityLevel": "Medium", "CurrentDirectory": "C:\\Windows\\system32\\",
    });
    Event::new(
        Source::default(),
        None,
        LogSourceTags::default(),
        Fields::from_json_object(fields),
        Raw::None,
    )
}

#[divan::bench(args = [0, 100, 10_000], sample_count = 2000)]
fn miss(bencher: divan::Bencher, n: usize) {
    let s = set(n);
    let e = event("ws99999.corp.example", "CORP\\user99999");
    let now = Timestamp::now();
    bencher.bench_local(|| {
        divan::black_box(&s)
            .suppresses("default", RULE, divan::black_box(&e), now)
            .is_some()
    });
}

#[divan::bench(args = [100, 10_000], sample_count = 2000)]
fn hit(bencher: divan::Bencher, n: usize) {
    let s = set(n);
    // The last suppression on RULE (i % 4 == 1).
    let i = (0..n).rev().find(|i| i % 4 == 1).expect("one on the rule");
    let e = event(&format!("ws{i:05}.corp.example"), &format!("CORP\\user{i:05}"));
    let now = Timestamp::now();
    bencher.bench_local(|| {
        divan::black_box(&s)
            .suppresses("default", RULE, divan::black_box(&e), now)
            .is_some()
    });
}

//! Detection validation end to end, on SQLite and PostgreSQL: a run over the server's running
//! rules tells `detected` (by rule and by technique), `other_rule`, `logged` and `missed` apart,
//! writes no alert and no event, is kept (history, one run, the newest for coverage) and audited;
//! a rule reload is seen by the next run; bad plans are refused whole; viewers read, only
//! detection engineers and admins run; another tenant sees nothing.

use std::time::Duration;

use serde_json::{Value, json};
use vigil_state::{AlertQuery, AuditQuery, NewApiKey, Role};

use crate::harness::{TestServer, http};

const RULES: &str = r#"title: Whoami
id: 11111111-1111-4111-8111-111111111111
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\whoami.exe'}
  condition: sel
level: high
tags: [attack.discovery, attack.t1033]
---
title: Any cmd
id: 22222222-2222-4222-8222-222222222222
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\cmd.exe'}
  condition: sel
level: low
tags: [attack.execution, attack.t1059.003]
"#;

const WHOAMI: &str = "11111111-1111-4111-8111-111111111111";
const RUNS: &str = "/api/v1/validation/runs";

/// A Sysmon process creation as its EVTX record renders to JSON.
fn sysmon(image: &str) -> Value {
    json!({"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
        "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ws1"},
        "EventData": {"Image": image, "CommandLine": image}}})
}

fn plan() -> Value {
    json!({"plan": "baseline", "tests": [
        {"id": "whoami", "expect_rules": [WHOAMI], "samples": ["whoami.evtx"],
         "events": [sysmon(r"C:\Windows\System32\whoami.exe")]},
        {"id": "cmd-by-technique", "technique": "T1059.003", "expect_techniques": ["T1059"],
         "events": [sysmon(r"C:\Windows\System32\cmd.exe")]},
        {"id": "other", "technique": "T1033", "expect_rules": [WHOAMI],
         "events": [sysmon(r"C:\Windows\System32\cmd.exe")]},
        {"id": "logged", "expect_rules": [WHOAMI], "events": [sysmon(r"C:\Windows\notepad.exe")]},
        {"id": "no-such-rule", "technique": "T1003.001", "expect_rules": ["33333333-3333-4333-8333-333333333333"],
         "events": [sysmon(r"C:\Windows\notepad.exe")]},
    ]})
}

async fn alerts_total(s: &TestServer) -> u64 {
    let state = s.state().await;
    let page = state
        .list_alerts("default", &AlertQuery::default())
        .await
        .expect("alerts");
    page.total
}

fn outcomes(run: &Value) -> Vec<(String, String)> {
    run["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or("").to_owned(),
                r["outcome"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn scenario(postgres: bool) {
    let rules = tempfile::tempdir().expect("tempdir");
    std::fs::write(rules.path().join("windows.yml"), RULES).expect("rules");
    let extra = rules.path().to_path_buf();
    let s = TestServer::start_on(postgres, move |c| c.rules.paths.push(extra)).await;
    let engineer = s.key(Role::DetectionEngineer).to_owned();
    let viewer = s.key(Role::Viewer).to_owned();
    let before = alerts_total(&s).await;

    let (status, run) = http(s.http, "POST", RUNS, Some(&engineer), Some(plan())).await;
    assert_eq!(status, 201, "{run}");
    let expected: Vec<(String, String)> = [
        ("whoami", "detected"),
        ("cmd-by-technique", "detected"),
        ("other", "other_rule"),
        ("logged", "logged"),
        ("no-such-rule", "missed"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(outcomes(&run), expected, "{run}");
    assert_eq!(
        (run["tests"].as_u64(), run["detected"].as_u64()),
        (Some(5), Some(2)),
        "{run}"
    );
    assert_eq!(run["detection_rate"], 0.4);
    assert_eq!(run["results"][0]["fired"], json!([WHOAMI]));
    assert_eq!(run["results"][0]["technique"], "T1033", "the expected rule's technique");
    assert!(
        run["results"][4]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("no enabled rule"),
        "{run}"
    );
    let techniques: Vec<(&str, &str, bool)> = run["techniques"]
        .as_array()
        .expect("techniques")
        .iter()
        .map(|t| {
            (
                t["technique"].as_str().unwrap_or(""),
                t["outcome"].as_str().unwrap_or(""),
                t["passed"] == true,
            )
        })
        .collect();
    assert_eq!(
        techniques,
        [
            ("T1003.001", "missed", false),
            ("T1033", "detected", true),
            ("T1059.003", "detected", true)
        ],
        "{run}"
    );
    let id = run["id"].as_str().expect("id").to_owned();
    let generation = run["generation"].as_u64().expect("generation");
    assert_eq!(run["fingerprint"].as_str().map(str::len), Some(64));

    // Nothing of production: no alert, no event, however long the pipeline runs.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(alerts_total(&s).await, before, "a validation run wrote alerts");
    let events = s.search(json!({"query": "*", "size": 1})).await;
    assert_eq!(events["total"], 0, "a validation run stored events: {events}");

    // Kept: the viewer reads the history and the run; the newest run is the one for coverage.
    let (status, one) = http(s.http, "GET", &format!("{RUNS}/{id}"), Some(&viewer), None).await;
    assert_eq!((status, &one), (200, &run), "{one}");
    let state = s.state().await;
    let latest = state
        .latest_validation("default")
        .await
        .expect("latest")
        .expect("a run");
    assert_eq!(latest.summary.id, id);
    assert_eq!(latest.passed_techniques().get("T1033"), Some(&true));

    // The next run sees a reload: the rule whoami expects is gone, its test is missed.
    std::fs::write(
        rules.path().join("windows.yml"),
        RULES.split("---").nth(1).expect("second rule"),
    )
    .expect("rules");
    let (status, reloaded) = http(s.http, "POST", "/api/v1/rules/reload", Some(&s.admin_token), None).await;
    assert_eq!(status, 200, "{reloaded}");
    let (status, second) = http(s.http, "POST", RUNS, Some(&engineer), Some(plan())).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["generation"].as_u64(), Some(generation + 1));
    assert_ne!(second["fingerprint"], run["fingerprint"]);
    assert_eq!(outcomes(&second)[0], ("whoami".into(), "missed".into()), "{second}");
    let (status, history) = http(s.http, "GET", &format!("{RUNS}?limit=10"), Some(&viewer), None).await;
    assert_eq!(status, 200, "{history}");
    let ids: Vec<&str> = history["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, [second["id"].as_str().expect("id"), id.as_str()]);
    assert!(
        history["runs"][0].get("results").is_none(),
        "the history is counts only"
    );

    // Audited, with the counts.
    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    let entry = audit
        .entries
        .iter()
        .find(|e| e.action == "validation.run" && e.target.as_deref() == Some(&*format!("validation:{id}")))
        .expect("audit entry");
    assert!(entry.actor.starts_with("apikey:"), "{}", entry.actor);

    // Refused whole: a bad plan, and those who may not run.
    for (body, needle) in [
        (json!({"plan": "p", "tests": []}), "no test"),
        (
            json!({"plan": "p", "tests": [{"id": "a", "events": []}]}),
            "expect_rules",
        ),
        (
            json!({"plan": "p", "tests": [{"id": "a", "expect_rules": ["r"], "events": [1]}]}),
            "not a JSON object",
        ),
        (
            json!({"plan": "p", "tests": [{"id": "a", "technique": "T1", "expect_rules": ["r"], "events": []}]}),
            "ATT&CK",
        ),
        (json!({"plan": "p", "tests": [], "extra": 1}), "extra"),
    ] {
        let (status, answer) = http(s.http, "POST", RUNS, Some(&engineer), Some(body)).await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap_or("").contains(needle),
            "{needle}: {answer}"
        );
    }
    for role in [Role::Viewer, Role::Analyst, Role::Lead] {
        let (status, _) = http(s.http, "POST", RUNS, Some(s.key(role)), Some(plan())).await;
        assert_eq!(status, 403, "{role} ran a validation");
    }

    // Another tenant: nothing to see.
    let (_, globex) = state
        .create_api_key(&NewApiKey::new(Role::Admin, "globex admin").in_tenant("globex"))
        .await
        .expect("key");
    let (status, answer) = http(s.http, "GET", &format!("{RUNS}/{id}"), Some(&globex), None).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{answer}"
    );
    let (_, theirs) = http(s.http, "GET", RUNS, Some(&globex), None).await;
    assert_eq!(theirs["runs"], json!([]), "{theirs}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_runs_tell_outcomes_apart_and_touch_no_production_data_on_sqlite() {
    scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_runs_tell_outcomes_apart_and_touch_no_production_data_on_postgres() {
    scenario(true).await;
}

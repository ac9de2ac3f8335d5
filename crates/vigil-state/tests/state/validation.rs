//! Detection validation runs: stored with a fresh id, the author and time of their actor and an
//! audit entry (`validation.run`); read back whole; the newest run and the history newest first;
//! tenants apart.

use crate::{at, temp_state};
use vigil_api_types::validation::{Outcome, TestResult, ValidationRun, ValidationRunSummary};
use vigil_state::{Actor, AuditOutcome, AuditQuery, NewAuditEntry};

fn by(actor: &str, tenant: &str, secs: i64) -> Actor {
    Actor {
        id: actor.into(),
        audit: NewAuditEntry::new(actor, "validation.run", AuditOutcome::Success).with_tenant(tenant),
        at: Some(at(secs)),
    }
}

fn result(id: &str, technique: &str, outcome: Outcome) -> TestResult {
    TestResult {
        id: id.into(),
        technique: Some(technique.into()),
        outcome,
        events: 2,
        fired: if outcome == Outcome::Detected {
            vec!["r1".into()]
        } else {
            vec![]
        },
        expect_rules: vec!["r1".into()],
        expect_techniques: vec![],
        samples: vec!["a.evtx".into()],
        reason: "why".into(),
    }
}

fn run(plan: &str, outcomes: &[Outcome]) -> ValidationRun {
    let summary = ValidationRunSummary {
        id: String::new(),
        at: at(0),
        plan: plan.into(),
        author: String::new(),
        generation: 3,
        fingerprint: "ab".repeat(32),
        tests: 0,
        detected: 0,
        other_rule: 0,
        logged: 0,
        missed: 0,
        detection_rate: 0.0,
    };
    let results = outcomes
        .iter()
        .enumerate()
        .map(|(i, &o)| result(&format!("t{i}"), if i % 2 == 0 { "T1003" } else { "T1059.001" }, o))
        .collect();
    ValidationRun::from_results(summary, results)
}

#[tokio::test]
async fn runs_are_kept_with_their_results_audited_and_listed_newest_first_per_tenant() {
    let (state, _db) = temp_state().await;
    let first = state
        .create_validation_run(
            "default",
            &run("weekly", &[Outcome::Detected, Outcome::Missed]),
            &by("user:ann", "default", 10),
        )
        .await
        .expect("create");
    assert!(
        first.summary.id.starts_with("val-") && first.summary.id.len() == 20,
        "{}",
        first.summary.id
    );
    assert_eq!((first.summary.author.as_str(), first.summary.at), ("user:ann", at(10)));
    assert_eq!(
        (first.summary.tests, first.summary.detected, first.summary.missed),
        (2, 1, 1)
    );
    assert_eq!(first.summary.detection_rate, 0.5);
    let second = state
        .create_validation_run(
            "default",
            &run("weekly", &[Outcome::Detected, Outcome::Detected, Outcome::Logged]),
            &by("user:ann", "default", 20),
        )
        .await
        .expect("create");
    let other = state
        .create_validation_run(
            "other",
            &run("theirs", &[Outcome::OtherRule]),
            &by("user:bo", "other", 30),
        )
        .await
        .expect("create");

    let read = state.validation_run("default", &first.summary.id).await.expect("read");
    assert_eq!(read.as_ref(), Some(&first));
    assert_eq!(
        state.validation_run("default", &other.summary.id).await.expect("read"),
        None
    );
    assert_eq!(
        state.validation_run("other", &first.summary.id).await.expect("read"),
        None
    );

    let latest = state
        .latest_validation("default")
        .await
        .expect("latest")
        .expect("a run");
    assert_eq!(latest, second);
    let passed = latest.passed_techniques();
    assert_eq!(passed.get("T1003"), Some(&true));
    assert_eq!(passed.get("T1059.001"), Some(&true));
    assert_eq!(latest.techniques[0].tests, 2);
    assert_eq!(state.latest_validation("nobody").await.expect("latest"), None);

    let history = state.validation_runs("default", 10).await.expect("history");
    let ids: Vec<&str> = history.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [second.summary.id.as_str(), first.summary.id.as_str()]);
    assert_eq!(history[1], first.summary);
    assert_eq!(state.validation_runs("default", 1).await.expect("history").len(), 1);
    assert_eq!(state.validation_runs("other", 10).await.expect("history").len(), 1);

    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    let runs: Vec<_> = audit
        .entries
        .iter()
        .filter(|e| e.action == "validation.run")
        .map(|e| (e.tenant.clone(), e.target.clone().unwrap_or_default()))
        .collect();
    assert_eq!(runs.len(), 3);
    assert!(runs.contains(&("default".into(), format!("validation:{}", first.summary.id))));
    let detail = audit
        .entries
        .iter()
        .find(|e| e.target.as_deref() == Some(&format!("validation:{}", second.summary.id)))
        .and_then(|e| e.detail.clone())
        .expect("detail");
    let detail: serde_json::Value = serde_json::from_str(&detail).expect("json");
    assert_eq!(detail["detected"], 2);
    assert_eq!(detail["plan"], "weekly");
}

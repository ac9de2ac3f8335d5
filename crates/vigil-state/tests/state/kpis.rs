//! What the KPIs read: incidents created in a period with their milestones at fixed times, and
//! alerts counted by rule / source and disposition; other tenants and other periods left out.

use crate::{alert, at, temp_state};
use vigil_api_types::incidents::{IncidentPatch, NewIncident};
use vigil_api_types::triage::AlertUpdate;
use vigil_respond::{AlertStatus, Disposition, IncidentStatus, PriorityMatrix, Severity};
use vigil_state::kpis::AlertCount;
use vigil_state::triage::{Selection, Triager};
use vigil_state::{Actor, AuditOutcome, NewAuditEntry};

fn by(action: &str, secs: i64) -> Actor {
    Actor {
        id: "user:ann".into(),
        audit: NewAuditEntry::new("user:ann", action, AuditOutcome::Success),
        at: Some(at(secs)),
    }
}

fn incident(title: &str) -> NewIncident {
    NewIncident {
        title: title.into(),
        severity: Severity::try_from(3).expect("severity"),
        classification: "malicious-code:infected-system".into(),
        alert_ids: Vec::new(),
        description: None,
        impact: None,
        urgency: None,
        tlp: None,
        pap: None,
        owner: None,
        team: None,
        attack: Vec::new(),
    }
}

fn to(status: IncidentStatus) -> IncidentPatch {
    IncidentPatch {
        status: Some(status),
        ..IncidentPatch::default()
    }
}

#[tokio::test]
async fn kpi_incidents_are_those_created_in_the_period_with_their_milestones() {
    let (state, _db) = temp_state().await;
    let m = PriorityMatrix::default();
    let a = state
        .create_incident("default", &incident("a"), &m, &by("incident.create", 0))
        .await
        .expect("a");
    let id = a.incident.id.clone();
    state
        .update_incident(
            "default",
            &id,
            &to(IncidentStatus::Acknowledged),
            &m,
            &by("incident.update", 60),
        )
        .await
        .expect("ack");
    state
        .update_incident(
            "default",
            &id,
            &to(IncidentStatus::Contained),
            &m,
            &by("incident.update", 600),
        )
        .await
        .expect("contain");
    state
        .update_incident(
            "default",
            &id,
            &to(IncidentStatus::Recovered),
            &m,
            &by("incident.update", 3600),
        )
        .await
        .expect("recover");
    state
        .create_incident("default", &incident("b"), &m, &by("incident.create", 100))
        .await
        .expect("b");
    state
        .create_incident("default", &incident("late"), &m, &by("incident.create", 10_000))
        .await
        .expect("late");
    state
        .create_incident("other", &incident("o"), &m, &by("incident.create", 50))
        .await
        .expect("o");

    let got = state.kpi_incidents("default", at(0), at(10_000)).await.expect("read");
    assert!(!got.truncated);
    let titles: Vec<&str> = got.incidents.iter().map(|s| s.incident.title.as_str()).collect();
    assert_eq!(titles, ["b", "a"]);
    let ms = &got.incidents[1].incident.milestones;
    assert_eq!(ms.created, at(0));
    assert_eq!(ms.acknowledged, Some(at(60)));
    assert_eq!(ms.contained, Some(at(600)));
    assert_eq!(ms.resolved, Some(at(3600)));
    assert!(
        state
            .kpi_incidents("nobody", at(0), at(10_000))
            .await
            .expect("read")
            .incidents
            .is_empty()
    );
}

#[tokio::test]
async fn kpi_alert_counts_group_by_rule_source_and_disposition() {
    let (state, _db) = temp_state().await;
    let mut alerts = vec![
        alert("a1", "r1", "high", at(0)),
        alert("a2", "r1", "high", at(10)),
        alert("a3", "r1", "high", at(20)),
        alert("a4", "r2", "low", at(30)),
        alert("late", "r1", "high", at(5000)),
    ];
    alerts[3].input = Some("hec".into());
    let mut other = alert("x1", "r1", "high", at(0));
    other.tenant = "other".into();
    alerts.push(other);
    state.insert_alerts(&alerts).await.expect("insert");
    let close = |d| AlertUpdate {
        status: Some(AlertStatus::Closed),
        disposition: Some(d),
        ..AlertUpdate::default()
    };
    let who = Triager {
        actor: by("alert.update", 100),
        may_reopen: false,
    };
    for (ids, d) in [
        (&["a1".to_owned()][..], Disposition::FalsePositive),
        (&["a2".to_owned()][..], Disposition::TruePositive),
    ] {
        state
            .triage_alerts("default", Selection::Ids(ids), &close(d), &who, None)
            .await
            .expect("close");
    }
    let count = |key: &str, d: Option<&str>, n| AlertCount {
        key: key.into(),
        disposition: d.map(Into::into),
        count: n,
    };
    let by_rule = state
        .kpi_alerts_by_rule("default", at(0), at(1000))
        .await
        .expect("rules");
    let mut by_rule_sorted = by_rule.clone();
    by_rule_sorted.sort_by(|a, b| (&a.key, &a.disposition).cmp(&(&b.key, &b.disposition)));
    assert_eq!(
        by_rule_sorted,
        [
            count("r1", None, 1),
            count("r1", Some("false_positive"), 1),
            count("r1", Some("true_positive"), 1),
            count("r2", None, 1),
        ]
    );
    let by_source = state
        .kpi_alerts_by_source("default", at(0), at(1000))
        .await
        .expect("sources");
    let total = |k: &str| by_source.iter().filter(|c| c.key == k).map(|c| c.count).sum::<u64>();
    assert_eq!((total("syslog"), total("hec")), (3, 1));
    assert!(
        state
            .kpi_alerts_by_rule("nobody", at(0), at(1000))
            .await
            .expect("none")
            .is_empty()
    );
    // The rules' titles, as their alerts name them: the rules counted, in the tenant only.
    let titles = state.kpi_rule_titles("default", at(0), at(1000)).await.expect("titles");
    let keys: Vec<&str> = titles.keys().map(String::as_str).collect();
    assert_eq!(keys, ["r1", "r2"]);
    assert_eq!(titles["r1"], "Rule r1");
    assert!(
        state
            .kpi_rule_titles("nobody", at(0), at(1000))
            .await
            .expect("none")
            .is_empty()
    );
}

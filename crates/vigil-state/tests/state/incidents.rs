//! Incidents: creation from alerts, the NIST life cycle with milestones and pauses, closing rules,
//! the append-only timeline, linking, merging, notes and tenants.

use crate::{alert, at, temp_state};
use vigil_api_types::incidents::{IncidentPatch, NewIncident, NewNote};
use vigil_respond::{AlertStatus, Impact, IncidentStatus, PriorityMatrix, Severity, Urgency};
use vigil_state::incidents::IncidentQuery;
use vigil_state::{Actor, AuditOutcome, AuditQuery, NewAuditEntry, State, StateError};

fn by(actor: &str, action: &str, secs: i64) -> Actor {
    Actor {
        id: actor.into(),
        audit: NewAuditEntry::new(actor, action, AuditOutcome::Success),
        at: Some(at(secs)),
    }
}

fn new_incident(alert_ids: &[&str]) -> NewIncident {
    NewIncident {
        title: "Ransomware on web-1".into(),
        severity: Severity::try_from(4).expect("severity"),
        classification: "malicious-code:infected-system".into(),
        alert_ids: alert_ids.iter().map(|s| s.to_string()).collect(),
        description: None,
        impact: None,
        urgency: None,
        tlp: None,
        pap: None,
        owner: None,
        team: None,
        attack: vec!["T1486".into()],
    }
}

fn status(s: IncidentStatus) -> IncidentPatch {
    IncidentPatch {
        status: Some(s),
        ..IncidentPatch::default()
    }
}

async fn with_alerts() -> (State, crate::TestDb) {
    let (state, db) = temp_state().await;
    let mut alerts: Vec<_> = (0..4)
        .map(|i| alert(&format!("a{i}"), "r1", "critical", at(10 * i)))
        .collect();
    let mut other = alert("b0", "r1", "high", at(5));
    other.tenant = "acme".into();
    alerts.push(other);
    state.insert_alerts(&alerts).await.expect("insert");
    (state, db)
}

#[tokio::test]
async fn created_from_alerts_with_priority_milestones_timeline_and_audit() {
    let (state, _db) = with_alerts().await;
    let matrix = PriorityMatrix::default();
    let s = state
        .create_incident(
            "default",
            &new_incident(&["a1", "a2"]),
            &matrix,
            &by("user:ann", "incident.create", 100),
        )
        .await
        .expect("create");
    let i = &s.incident;
    assert!(i.id.starts_with("inc-") && i.id.len() == 20, "{}", i.id);
    assert_eq!(
        (i.status, i.priority.get(), i.impact, i.urgency),
        (IncidentStatus::New, 1, Impact::High, Urgency::High)
    );
    let mut ids = i.alert_ids.clone();
    ids.sort();
    assert_eq!(ids, ["a1", "a2"]);
    assert_eq!(i.attack, ["T1059.001", "T1486", "TA0002"], "alerts' and manual ids");
    assert_eq!(i.milestones.created, at(100));
    assert_eq!(i.milestones.detected, Some(at(10)));
    assert_eq!(
        i.milestones.first_event,
        Some(at(9)),
        "the alert fixture's event is 1 s before detection"
    );
    let kinds: Vec<&str> = i.timeline.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, ["created", "alert_linked", "alert_linked"]);
    let a1 = state.get_alert("default", "a1").await.expect("read").expect("a1");
    assert_eq!(
        (a1.status, a1.incident_id.as_deref()),
        (AlertStatus::Merged, Some(i.id.as_str()))
    );
    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    assert_eq!(audit.entries[0].action, "incident.create");
    assert_eq!(
        audit.entries[0].target.as_deref(),
        Some(format!("incident:{}", i.id).as_str())
    );
    // An alert can be in one incident only; an unknown one names itself.
    let e = state
        .create_incident(
            "default",
            &new_incident(&["a1"]),
            &matrix,
            &by("user:ann", "incident.create", 101),
        )
        .await
        .expect_err("taken");
    assert!(matches!(e, StateError::Conflict(ref m) if m.contains("a1")), "{e:?}");
    let e = state
        .create_incident(
            "default",
            &new_incident(&["b0"]),
            &matrix,
            &by("user:ann", "incident.create", 101),
        )
        .await
        .expect_err("another tenant's alert");
    assert!(
        matches!(e, StateError::InvalidInput(ref m) if m.contains("b0")),
        "{e:?}"
    );
    assert_eq!(
        state
            .list_incidents("default", &IncidentQuery::default())
            .await
            .expect("list")
            .total,
        1
    );
}

#[tokio::test]
async fn life_cycle_keeps_first_times_pauses_and_refuses_closing_without_a_resolution() {
    let (state, _db) = with_alerts().await;
    let matrix = PriorityMatrix::default();
    let id = state
        .create_incident(
            "default",
            &new_incident(&["a0"]),
            &matrix,
            &by("user:ann", "incident.create", 0),
        )
        .await
        .expect("create")
        .incident
        .id;
    let step = |s: IncidentStatus, secs: i64| {
        let state = state.clone();
        let id = id.clone();
        async move {
            state
                .update_incident(
                    "default",
                    &id,
                    &status(s),
                    &matrix,
                    &by("user:ann", "incident.update", secs),
                )
                .await
        }
    };
    step(IncidentStatus::Acknowledged, 60).await.expect("ack");
    step(IncidentStatus::OnHold, 120).await.expect("hold");
    step(IncidentStatus::Investigating, 300).await.expect("resume");
    step(IncidentStatus::Contained, 400).await.expect("contain");
    step(IncidentStatus::Investigating, 450)
        .await
        .expect("containment failed");
    let s = step(IncidentStatus::Contained, 500)
        .await
        .expect("contained again")
        .expect("exists");
    let m = &s.incident.milestones;
    assert_eq!(
        (m.acknowledged, m.contained, m.resolved),
        (Some(at(60)), Some(at(400)), None),
        "first times"
    );
    assert_eq!(s.pauses.len(), 1);
    assert_eq!((s.pauses[0].from, s.pauses[0].to), (at(120), Some(at(300))));
    let e = step(IncidentStatus::Closed, 600).await.expect_err("no resolution");
    assert!(
        matches!(e, StateError::InvalidInput(ref m) if m.starts_with("resolution")),
        "{e:?}"
    );
    let close = IncidentPatch {
        status: Some(IncidentStatus::Closed),
        resolution: Some("Host reimaged, credentials rotated.".into()),
        ..IncidentPatch::default()
    };
    let e = state
        .update_incident(
            "default",
            &id,
            &close,
            &matrix,
            &by("user:lead", "incident.update", 600),
        )
        .await
        .expect_err("no lessons");
    assert!(
        matches!(e, StateError::InvalidInput(ref m) if m.starts_with("lessons_learned")),
        "{e:?}"
    );
    let close = IncidentPatch {
        lessons_learned: Some("EDR exclusions were too broad.".into()),
        ..close
    };
    let s = state
        .update_incident(
            "default",
            &id,
            &close,
            &matrix,
            &by("user:lead", "incident.update", 600),
        )
        .await
        .expect("close")
        .expect("exists");
    let m = &s.incident.milestones;
    assert_eq!(
        (s.incident.status, m.resolved, m.closed),
        (IncidentStatus::Closed, Some(at(600)), Some(at(600)))
    );
    let e = step(IncidentStatus::Contained, 700)
        .await
        .expect_err("closed reopens to investigating only");
    assert!(matches!(e, StateError::Conflict(_)), "{e:?}");
    let statuses: Vec<String> = s
        .incident
        .timeline
        .iter()
        .filter(|t| t.kind == "status_changed")
        .map(|t| t.text.clone())
        .collect();
    assert_eq!(statuses.len(), 7, "{statuses:?}");
    assert_eq!(statuses[6], "status: contained → closed");
}

#[tokio::test]
async fn fields_priority_notes_and_the_timeline_cannot_be_rewritten() {
    let (state, db) = with_alerts().await;
    let matrix = PriorityMatrix::default();
    let id = state
        .create_incident(
            "default",
            &new_incident(&[]),
            &matrix,
            &by("user:ann", "incident.create", 0),
        )
        .await
        .expect("create")
        .incident
        .id;
    let patch = IncidentPatch {
        impact: Some(Impact::Low),
        urgency: Some(Urgency::Low),
        owner: Some(Some("bob".into())),
        comment: Some("Downgraded: test host.".into()),
        ..IncidentPatch::default()
    };
    let s = state
        .update_incident("default", &id, &patch, &matrix, &by("user:ann", "incident.update", 10))
        .await
        .expect("patch")
        .expect("exists");
    assert_eq!(
        (s.incident.priority.get(), s.incident.owner.as_deref()),
        (5, Some("bob"))
    );
    let note = NewNote {
        text: "Attacker logged in via VPN.".into(),
        occurred_at: Some(at(-3600)),
    };
    let s = state
        .add_incident_note("default", &id, &note, &by("user:ann", "incident.note", 20))
        .await
        .expect("note")
        .expect("exists");
    let last = s.incident.timeline.last().expect("entry");
    assert_eq!((last.kind.as_str(), last.occurred_at), ("note", Some(at(-3600))));
    let e = state
        .update_incident(
            "default",
            &id,
            &IncidentPatch {
                owner: Some(Some("bob".into())),
                ..IncidentPatch::default()
            },
            &matrix,
            &by("user:ann", "incident.update", 30),
        )
        .await
        .expect_err("no change");
    assert!(matches!(e, StateError::Conflict(_)), "{e:?}");
    assert!(
        db.exec("UPDATE incident_timeline SET text = 'x'").await.is_err(),
        "append-only"
    );
    assert!(db.exec("DELETE FROM incident_timeline").await.is_err(), "append-only");
    // Another tenant sees nothing.
    assert!(state.get_incident("acme", &id, true).await.expect("read").is_none());
    assert!(
        state
            .add_incident_note("acme", &id, &note, &by("user:x", "incident.note", 40))
            .await
            .expect("note")
            .is_none()
    );
}

#[tokio::test]
async fn link_and_merge() {
    let (state, _db) = with_alerts().await;
    let create = |alerts: &'static [&'static str], secs| {
        let state = state.clone();
        async move {
            state
                .create_incident(
                    "default",
                    &new_incident(alerts),
                    &PriorityMatrix::default(),
                    &by("user:a", "incident.create", secs),
                )
                .await
                .expect("create")
                .incident
                .id
        }
    };
    let keep = create(&["a2"], 0).await;
    let fold = create(&["a3"], 5).await;
    let s = state
        .link_incident_alerts("default", &keep, &["a0".into()], &by("user:a", "incident.link", 10))
        .await
        .expect("link")
        .expect("exists");
    assert_eq!(s.incident.milestones.detected, Some(at(0)), "moved earlier by a0");
    let s = state
        .merge_incidents(
            "default",
            &keep,
            std::slice::from_ref(&fold),
            &by("user:a", "incident.merge", 20),
        )
        .await
        .expect("merge")
        .expect("exists");
    let mut ids = s.incident.alert_ids.clone();
    ids.sort();
    assert_eq!(ids, ["a0", "a2", "a3"]);
    let folded = state
        .get_incident("default", &fold, true)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(folded.incident.status, IncidentStatus::Closed);
    assert_eq!(folded.incident.merged_into.as_deref(), Some(keep.as_str()));
    let e = state
        .merge_incidents(
            "default",
            &keep,
            std::slice::from_ref(&fold),
            &by("user:a", "incident.merge", 30),
        )
        .await
        .expect_err("closed");
    assert!(matches!(e, StateError::Conflict(_)), "{e:?}");
    let open = IncidentQuery {
        open: Some(true),
        ..IncidentQuery::default()
    };
    let page = state.list_incidents("default", &open).await.expect("list");
    assert_eq!(page.total, 1);
    assert_eq!(page.incidents[0].incident.alert_ids.len(), 3);
}

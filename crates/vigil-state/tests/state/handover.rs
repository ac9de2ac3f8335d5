//! The shift handover's queries: timeline entries of a period across a tenant's incidents, and the
//! summary of the alerts still `new`.

use crate::{alert, at, temp_state};
use vigil_api_types::incidents::{IncidentPatch, NewIncident, NewNote};
use vigil_respond::{IncidentStatus, PriorityMatrix, Severity};
use vigil_state::{Actor, AuditOutcome, NewAuditEntry};

fn by(action: &str, secs: i64) -> Actor {
    Actor {
        id: "user:alice".into(),
        audit: NewAuditEntry::new("user:alice", action, AuditOutcome::Success),
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

#[tokio::test]
async fn the_timeline_of_a_period_spans_incidents_in_order_and_stays_in_its_tenant() {
    let (state, _db) = temp_state().await;
    let m = PriorityMatrix::default();
    let a = state
        .create_incident("default", &incident("A"), &m, &by("incident.create", 0))
        .await
        .unwrap();
    let b = state
        .create_incident("default", &incident("B"), &m, &by("incident.create", 100))
        .await
        .unwrap();
    let other = state
        .create_incident("acme", &incident("C"), &m, &by("incident.create", 150))
        .await
        .unwrap();
    let note = NewNote {
        text: "host isolated".into(),
        occurred_at: None,
    };
    state
        .add_incident_note("default", &a.incident.id, &note, &by("incident.note", 200))
        .await
        .unwrap()
        .unwrap();
    let patch = IncidentPatch {
        status: Some(IncidentStatus::Investigating),
        ..IncidentPatch::default()
    };
    state
        .update_incident("default", &b.incident.id, &patch, &m, &by("incident.update", 300))
        .await
        .unwrap()
        .unwrap();
    state
        .add_incident_note("acme", &other.incident.id, &note, &by("incident.note", 250))
        .await
        .unwrap()
        .unwrap();

    let (entries, more) = state.timeline_between("default", at(100), at(301), 100).await.unwrap();
    assert!(!more);
    let got: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.incident_id.as_str(), e.entry.kind.as_str()))
        .collect();
    let (ia, ib) = (a.incident.id.as_str(), b.incident.id.as_str());
    assert_eq!(got[0], (ib, "created"), "{got:?}");
    assert!(got.contains(&(ia, "note")), "{got:?}");
    assert!(got.contains(&(ib, "status_changed")), "{got:?}");
    assert!(got.iter().all(|(id, _)| *id == ia || *id == ib), "{got:?}");
    assert!(entries.iter().all(|e| e.entry.at >= at(100) && e.entry.at < at(301)));
    let note = entries.iter().find(|e| e.entry.kind == "note").unwrap();
    assert_eq!(note.entry.text, "host isolated");

    // The end is exclusive; the limit says when entries were left off.
    let (before, _) = state.timeline_between("default", at(0), at(100), 100).await.unwrap();
    assert!(before.iter().all(|e| e.incident_id == ia), "{before:?}");
    let (one, more) = state.timeline_between("default", at(0), at(1000), 1).await.unwrap();
    assert_eq!(one.len(), 1);
    assert!(more);
    let (none, _) = state.timeline_between("nobody", at(0), at(1000), 100).await.unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn new_alerts_are_counted_with_the_oldest_and_the_top_rules() {
    let (state, _db) = temp_state().await;
    let empty = state.new_alerts_summary("default", 5).await.unwrap();
    assert_eq!(empty.total, 0);
    assert_eq!(empty.oldest, None);
    assert!(empty.top_rules.is_empty());

    let mut alerts = vec![
        alert("a1", "r-brute", "high", at(10)),
        alert("a2", "r-brute", "high", at(20)),
        alert("a3", "r-brute", "high", at(30)),
        alert("a4", "r-dns", "low", at(5)),
        alert("a5", "r-ps", "medium", at(40)),
    ];
    let mut elsewhere = alert("b1", "r-brute", "high", at(1));
    elsewhere.tenant = "acme".into();
    alerts.push(elsewhere);
    state.insert_alerts(&alerts).await.unwrap();
    // An alert merged into an incident is no longer `new`.
    let mut new = incident("from a5");
    new.alert_ids = vec!["a5".into()];
    state
        .create_incident("default", &new, &PriorityMatrix::default(), &by("incident.create", 50))
        .await
        .unwrap();

    let got = state.new_alerts_summary("default", 2).await.unwrap();
    assert_eq!(got.total, 4);
    assert_eq!(got.oldest, Some(at(5)));
    assert_eq!(
        got.top_rules,
        vec![
            ("r-brute".to_owned(), "Rule r-brute".to_owned(), 3),
            ("r-dns".to_owned(), "Rule r-dns".to_owned(), 1),
        ]
    );
    assert_eq!(state.new_alerts_summary("acme", 5).await.unwrap().total, 1);
}

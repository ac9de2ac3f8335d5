//! Once-only incident events and the notification outbox.

use crate::{alert, at, temp_state};
use vigil_api_types::incidents::NewIncident;
use vigil_respond::{PriorityMatrix, Severity};
use vigil_state::notifications::{DeliveryOutcome, IncidentEvent, NewNotification};
use vigil_state::{Actor, AuditOutcome, NewAuditEntry};

fn event(flag: &str, channels: &[&str]) -> IncidentEvent {
    IncidentEvent {
        flag: flag.into(),
        kind: "sla_warning",
        text: format!("SLA {flag}"),
        detail: None,
        notifications: channels
            .iter()
            .map(|c| NewNotification {
                id: format!("n-{flag}-{c}").replace(':', "_"),
                channel: (*c).into(),
                kind: "sla_warning".into(),
                payload: "{}".into(),
            })
            .collect(),
    }
}

#[tokio::test]
async fn an_event_happens_once_and_its_notifications_are_delivered_or_retried() {
    let (state, _db) = temp_state().await;
    state
        .insert_alerts(&[alert("a0", "r1", "high", at(0))])
        .await
        .expect("alert");
    let new = NewIncident {
        title: "t".into(),
        severity: Severity::try_from(3).expect("severity"),
        classification: "test:test".into(),
        alert_ids: vec![],
        description: None,
        impact: None,
        urgency: None,
        tlp: None,
        pap: None,
        owner: None,
        team: None,
        attack: vec![],
    };
    let who = Actor {
        id: "user:a".into(),
        audit: NewAuditEntry::new("user:a", "incident.create", AuditOutcome::Success),
        at: Some(at(0)),
    };
    let id = state
        .create_incident("default", &new, &PriorityMatrix::default(), &who)
        .await
        .expect("incident")
        .incident
        .id;
    let open = state.open_incidents_after(0, 10).await.expect("open");
    assert_eq!(open.len(), 1);
    let e = event("sla_warning:acknowledge", &["soc", "mail"]);
    assert!(
        state
            .raise_incident_event("default", &id, &e, at(10))
            .await
            .expect("raise")
    );
    assert!(
        !state
            .raise_incident_event("default", &id, &e, at(11))
            .await
            .expect("again"),
        "once"
    );
    let due = state.due_notifications(at(10), 10).await.expect("due");
    assert_eq!(due.len(), 2);
    assert!(
        state.due_notifications(at(9), 10).await.expect("due").is_empty(),
        "not before"
    );
    let retry = DeliveryOutcome::Retry {
        next: at(100),
        error: "503".into(),
    };
    state.record_delivery(&due[0], &retry, at(12)).await.expect("retry");
    let delivered = DeliveryOutcome::Delivered { detail: "200".into() };
    state
        .record_delivery(&due[1], &delivered, at(12))
        .await
        .expect("delivered");
    assert!(state.due_notifications(at(50), 10).await.expect("due").is_empty());
    let again = state.due_notifications(at(100), 10).await.expect("due");
    assert_eq!((again.len(), again[0].attempts), (1, 1));
    let s = state
        .get_incident("default", &id, true)
        .await
        .expect("read")
        .expect("exists");
    let kinds: Vec<&str> = s.incident.timeline.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["created", "sla_warning", "notification"],
        "a retry is not on the timeline"
    );
}

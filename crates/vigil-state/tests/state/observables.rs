//! Observables: scans recorded once per (incident, alert) with sightings that add up, related
//! incidents within a tenant only, changes by hand with their timeline and audit entries, and
//! their end with the incident.

use crate::{alert, at, temp_state};
use vigil_api_types::incidents::NewIncident;
use vigil_api_types::observables::{NewObservable, ObservablePatch, ObservableSource};
use vigil_respond::{ObservableKind, PriorityMatrix, Severity, Tlp};
use vigil_state::observables::{ObservableScan, Sighted};
use vigil_state::{Actor, AuditOutcome, AuditQuery, NewAuditEntry, State, StateError};

fn by(actor: &str, action: &str, secs: i64) -> Actor {
    Actor {
        id: actor.into(),
        audit: NewAuditEntry::new(actor, action, AuditOutcome::Success),
        at: Some(at(secs)),
    }
}

fn incident(title: &str, alert_ids: &[&str]) -> NewIncident {
    NewIncident {
        title: title.into(),
        severity: Severity::try_from(3).expect("severity"),
        classification: "intrusions:system-compromise".into(),
        alert_ids: alert_ids.iter().map(|s| s.to_string()).collect(),
        description: None,
        impact: None,
        urgency: None,
        tlp: Some(Tlp::Green),
        pap: None,
        owner: None,
        team: None,
        attack: vec![],
    }
}

async fn open(state: &State, tenant: &str, title: &str, alert_ids: &[&str]) -> String {
    let who = by("user:ann", "incident.create", 100);
    let s = state
        .create_incident(tenant, &incident(title, alert_ids), &PriorityMatrix::default(), &who)
        .await
        .expect("create");
    s.incident.id
}

fn sighted(kind: ObservableKind, value: &str, count: u64, secs: i64) -> Sighted {
    Sighted {
        kind,
        value: value.into(),
        field: "IpAddress".into(),
        count,
        first: at(secs),
        last: at(secs + 5),
    }
}

fn scan(alert_id: &str, found: Vec<Sighted>) -> ObservableScan {
    ObservableScan {
        alert_id: alert_id.into(),
        events: 3,
        found,
    }
}

fn system(secs: i64) -> Actor {
    by("system", "observable.extract", secs)
}

/// Five alerts in `default` (a0..a4) and one in `acme` (b0).
async fn with_alerts() -> (State, crate::TestDb) {
    let (state, db) = temp_state().await;
    let mut alerts: Vec<_> = (0..5)
        .map(|i| alert(&format!("a{i}"), "r1", "high", at(10 * i)))
        .collect();
    let mut other = alert("b0", "r1", "high", at(5));
    other.tenant = "acme".into();
    alerts.push(other);
    state.insert_alerts(&alerts).await.expect("insert");
    (state, db)
}

#[tokio::test]
async fn a_scan_is_recorded_once_and_sightings_add_up() {
    let (state, _db) = with_alerts().await;
    let id = open(&state, "default", "Brute force", &["a1"]).await;
    let todo = state.unscanned_alerts("default", &id, 100).await.expect("unscanned");
    assert_eq!(todo.len(), 1);
    assert_eq!(
        (todo[0].alert_id.as_str(), todo[0].event_ids.as_slice()),
        ("a1", &["ev-a1".to_string()][..])
    );
    assert_eq!(
        state.incidents_to_scan(10).await.expect("pending"),
        [("default".to_string(), id.clone())]
    );

    let found = vec![
        sighted(ObservableKind::Ip, "10.1.2.3", 2, 20),
        sighted(ObservableKind::User, "alice", 1, 21),
    ];
    let first = state
        .record_observable_scan("default", &id, &scan("a1", found.clone()), &system(200))
        .await
        .expect("record");
    assert_eq!((first.recorded, first.new, first.seen_again), (true, 2, 0));
    let again = state
        .record_observable_scan("default", &id, &scan("a1", found), &system(201))
        .await
        .expect("record again");
    assert!(!again.recorded, "an alert is scanned once per incident");
    assert!(
        state
            .unscanned_alerts("default", &id, 100)
            .await
            .expect("unscanned")
            .is_empty()
    );
    assert!(state.incidents_to_scan(10).await.expect("pending").is_empty());

    // A linked alert is scanned in turn; a value seen again adds its sightings, no timeline entry.
    state
        .link_incident_alerts(
            "default",
            &id,
            &["a2".to_string()],
            &by("user:ann", "incident.link", 300),
        )
        .await
        .expect("link")
        .expect("incident");
    let todo = state.unscanned_alerts("default", &id, 100).await.expect("unscanned");
    assert_eq!(todo.iter().map(|t| t.alert_id.as_str()).collect::<Vec<_>>(), ["a2"]);
    let more = state
        .record_observable_scan(
            "default",
            &id,
            &scan("a2", vec![sighted(ObservableKind::Ip, "10.1.2.3", 1, 10)]),
            &system(301),
        )
        .await
        .expect("record");
    assert_eq!((more.recorded, more.new, more.seen_again), (true, 0, 1));

    let list = state
        .list_observables("default", &id, 100)
        .await
        .expect("list")
        .expect("incident");
    assert_eq!(list.total, 2);
    let ip = &list.observables[0];
    assert_eq!(
        (ip.kind, ip.value.as_str(), ip.sightings),
        (ObservableKind::Ip, "10.1.2.3", 3)
    );
    assert_eq!((ip.first_seen, ip.last_seen), (at(10), at(25)));
    assert_eq!(
        (ip.tlp, ip.ioc, ip.source),
        (Tlp::Green, false, ObservableSource::Extracted)
    );
    assert_eq!(
        (ip.alert_id.as_deref(), ip.field.as_deref()),
        (Some("a1"), Some("IpAddress"))
    );
    assert_eq!(ip.created_by, "system");

    let timeline = state
        .get_incident("default", &id, true)
        .await
        .expect("read")
        .expect("incident");
    let entries: Vec<&str> = timeline
        .incident
        .timeline
        .iter()
        .filter(|e| e.kind == "observables")
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(entries, ["2 observables extracted from alert a1"]);
    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    let extracted = audit
        .entries
        .iter()
        .filter(|e| e.action == "observable.extract")
        .count();
    assert_eq!(extracted, 2, "each scan that changed something is audited");
}

#[tokio::test]
async fn related_incidents_are_the_tenants_own() {
    let (state, _db) = with_alerts().await;
    let a = open(&state, "default", "First", &["a1"]).await;
    let b = open(&state, "default", "Second", &["a2"]).await;
    let c = open(&state, "acme", "Elsewhere", &["b0"]).await;
    for (tenant, id, alert) in [("default", &a, "a1"), ("default", &b, "a2"), ("acme", &c, "b0")] {
        let found = vec![
            sighted(ObservableKind::Ip, "10.1.2.3", 1, 20),
            sighted(ObservableKind::Host, alert, 1, 20),
        ];
        state
            .record_observable_scan(tenant, id, &scan(alert, found), &system(200))
            .await
            .expect("record");
    }
    let list = state
        .list_observables("default", &a, 100)
        .await
        .expect("list")
        .expect("incident");
    let ip = list
        .observables
        .iter()
        .find(|o| o.kind == ObservableKind::Ip)
        .expect("ip");
    assert_eq!(ip.related_total, 1);
    assert_eq!(ip.related.len(), 1);
    assert_eq!(
        (ip.related[0].id.as_str(), ip.related[0].title.as_str()),
        (b.as_str(), "Second")
    );
    let host = list
        .observables
        .iter()
        .find(|o| o.kind == ObservableKind::Host)
        .expect("host");
    assert!(host.related.is_empty() && host.related_total == 0);

    let seen = state
        .find_observables("default", &[(ObservableKind::Ip, "10.1.2.3".into())], 100)
        .await
        .expect("find");
    assert_eq!(seen.total, 2);
    let ids: Vec<&str> = seen.sightings.iter().map(|s| s.incident.id.as_str()).collect();
    assert_eq!(ids, [b.as_str(), a.as_str()], "newest incident first");
    let acme = state
        .find_observables("acme", &[(ObservableKind::Ip, "10.1.2.3".into())], 100)
        .await
        .expect("find");
    assert_eq!(acme.total, 1);
    assert_eq!(acme.sightings[0].incident.id, c);
    assert!(
        state.list_observables("acme", &a, 100).await.expect("list").is_none(),
        "another tenant's incident"
    );
    let none = state.find_observables("default", &[], 100).await.expect("find");
    assert_eq!(none.total, 0);
}

#[tokio::test]
async fn observables_by_hand_are_checked_audited_and_on_the_timeline() {
    let (state, _db) = with_alerts().await;
    let id = open(&state, "default", "Phishing", &["a1"]).await;
    let new = |kind, value: &str| NewObservable {
        kind,
        value: value.into(),
        tlp: None,
        ioc: Some(true),
        description: Some("sender of the lure".into()),
    };
    let who = || by("user:ann", "observable.create", 400);
    let e = state
        .add_observable("default", &id, &new(ObservableKind::Email, "not-an-address"), &who())
        .await
        .expect_err("invalid");
    assert!(
        matches!(e, StateError::InvalidInput(ref m) if m.starts_with("value:")),
        "{e}"
    );
    let added = state
        .add_observable(
            "default",
            &id,
            &new(ObservableKind::Email, " Evil@Example.ORG "),
            &who(),
        )
        .await
        .expect("add")
        .expect("incident");
    assert_eq!(
        (added.value.as_str(), added.tlp, added.ioc),
        ("evil@example.org", Tlp::Green, true)
    );
    assert_eq!(
        (added.source, added.created_by.as_str()),
        (ObservableSource::Manual, "user:ann")
    );
    let e = state
        .add_observable("default", &id, &new(ObservableKind::Email, "evil@example.org"), &who())
        .await
        .expect_err("twice");
    assert!(matches!(e, StateError::Conflict(ref m) if m.contains(&added.id)), "{e}");
    assert!(
        state
            .add_observable("acme", &id, &new(ObservableKind::Ip, "10.0.0.1"), &who())
            .await
            .expect("add")
            .is_none(),
        "another tenant's incident"
    );

    let patch = ObservablePatch {
        tlp: Some(Tlp::Red),
        ioc: Some(false),
        description: None,
    };
    let changed = state
        .update_observable(
            "default",
            &id,
            &added.id,
            &patch,
            &by("user:ann", "observable.update", 410),
        )
        .await
        .expect("update")
        .expect("observable");
    assert_eq!((changed.tlp, changed.ioc), (Tlp::Red, false));
    let e = state
        .update_observable(
            "default",
            &id,
            &added.id,
            &patch,
            &by("user:ann", "observable.update", 411),
        )
        .await
        .expect_err("no change");
    assert!(matches!(e, StateError::Conflict(_)), "{e}");
    assert!(
        state
            .update_observable(
                "acme",
                &id,
                &added.id,
                &patch,
                &by("user:ann", "observable.update", 412)
            )
            .await
            .expect("update")
            .is_none()
    );

    let gone = by("user:ann", "observable.delete", 420);
    assert!(
        !state
            .delete_observable("acme", &id, &added.id, &gone)
            .await
            .expect("delete")
    );
    assert!(
        state
            .delete_observable("default", &id, &added.id, &gone)
            .await
            .expect("delete")
    );
    assert!(
        !state
            .delete_observable("default", &id, &added.id, &gone)
            .await
            .expect("again")
    );

    let s = state
        .get_incident("default", &id, true)
        .await
        .expect("read")
        .expect("incident");
    let texts: Vec<&str> = s
        .incident
        .timeline
        .iter()
        .filter(|e| e.kind == "observables")
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "observable added: email evil@example.org",
            "observable no longer an IOC: email evil@example.org",
            "observable removed: email evil@example.org",
        ]
    );
    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    let actions: Vec<&str> = audit
        .entries
        .iter()
        .filter(|e| e.action.starts_with("observable."))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, ["observable.delete", "observable.update", "observable.create"]);
    let target = format!("observable:{}", added.id);
    assert!(
        audit
            .entries
            .iter()
            .filter(|e| e.action.starts_with("observable."))
            .all(|e| e.target.as_deref() == Some(&target))
    );
}

#[tokio::test]
async fn deleting_an_incident_deletes_its_observables_and_scans() {
    let (state, db) = with_alerts().await;
    let a = open(&state, "default", "Doomed", &["a1"]).await;
    let b = open(&state, "default", "Stays", &["a2"]).await;
    for (id, alert) in [(&a, "a1"), (&b, "a2")] {
        let found = vec![sighted(ObservableKind::Ip, "10.1.2.3", 1, 20)];
        state
            .record_observable_scan("default", id, &scan(alert, found), &system(200))
            .await
            .expect("record");
    }
    assert!(
        state
            .delete_incident("default", &a, &by("user:ann", "incident.delete", 500))
            .await
            .expect("delete")
    );
    let seen = state
        .find_observables("default", &[(ObservableKind::Ip, "10.1.2.3".into())], 100)
        .await
        .expect("find");
    assert_eq!(seen.total, 1);
    assert_eq!(seen.sightings[0].incident.id, b);
    let list = state
        .list_observables("default", &b, 100)
        .await
        .expect("list")
        .expect("incident");
    assert_eq!(
        list.observables[0].related_total, 0,
        "the deleted incident is no longer related"
    );
    let scans = db
        .exec(&format!("DELETE FROM observable_scans WHERE incident_id = '{a}'"))
        .await
        .expect("sql");
    assert_eq!(scans, 0, "its scans went with it");
    let kept = db
        .exec(&format!("DELETE FROM observable_scans WHERE incident_id = '{b}'"))
        .await
        .expect("sql");
    assert_eq!(kept, 1);
}

//! What the alert KPIs, the backlog and the gauges read: alert sums at fixed times (MTTD with a
//! replayed event left out, MTTA from acknowledgement or closing, MTTR), per rule and per tenant;
//! the rules behind a period's incidents; open alerts and incidents by age; every tenant's open
//! incidents.

use crate::{alert, at, temp_state};
use jiff::SignedDuration;
use vigil_api_types::incidents::{IncidentPatch, NewIncident};
use vigil_api_types::triage::AlertUpdate;
use vigil_respond::measure::AlertAggregate;
use vigil_respond::{AlertStatus, Disposition, IncidentStatus, PriorityMatrix, Severity};
use vigil_state::measure::AlertGroup;
use vigil_state::triage::{Selection, Triager};
use vigil_state::{Actor, AuditOutcome, NewAuditEntry, State};

const WEEK: SignedDuration = SignedDuration::from_hours(7 * 24);
const DAY: i64 = 86_400;

fn by(action: &str, secs: i64) -> Actor {
    Actor {
        id: "user:ann".into(),
        audit: NewAuditEntry::new("user:ann", action, AuditOutcome::Success),
        at: Some(at(secs)),
    }
}

fn incident(title: &str, alert_ids: &[&str]) -> NewIncident {
    NewIncident {
        title: title.into(),
        severity: Severity::try_from(3).expect("severity"),
        classification: "malicious-code:infected-system".into(),
        alert_ids: alert_ids.iter().map(|s| (*s).to_owned()).collect(),
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

async fn triage(state: &State, id: &str, status: AlertStatus, disposition: Option<Disposition>, secs: i64) {
    let update = AlertUpdate {
        status: Some(status),
        disposition,
        ..AlertUpdate::default()
    };
    let who = Triager {
        actor: by("alert.update", secs),
        may_reopen: false,
    };
    let ids = [id.to_owned()];
    state
        .triage_alerts("default", Selection::Ids(&ids), &update, &who, None)
        .await
        .expect("triage");
}

#[tokio::test]
async fn alert_sums_by_hand_with_the_replayed_event_left_out_of_mttd() {
    let (state, _db) = temp_state().await;
    let mut a1 = alert("a1", "r1", "high", at(100));
    a1.event_time = Some(at(40));
    let mut a2 = alert("a2", "r1", "high", at(200));
    a2.event_time = Some(at(180));
    // A 2020 sample replayed today: its event is ~2,000 days before detection.
    let mut a3 = alert("a3", "r2", "low", at(300));
    a3.event_time = Some(at(300 - 2000 * DAY));
    let mut a4 = alert("a4", "r2", "low", at(400));
    a4.event_time = None;
    let late = alert("late", "r1", "high", at(5000));
    let mut other = alert("x1", "r1", "high", at(100));
    other.tenant = "other".into();
    other.event_time = Some(at(90));
    state
        .insert_alerts(&[a1, a2, a3, a4, late, other])
        .await
        .expect("insert");
    triage(&state, "a1", AlertStatus::Acknowledged, None, 160).await;
    triage(&state, "a1", AlertStatus::Closed, Some(Disposition::FalsePositive), 400).await;
    // Closed without an acknowledgement first: the close is its first response.
    triage(&state, "a2", AlertStatus::Closed, Some(Disposition::TruePositive), 500).await;

    let whole = state
        .kpi_alert_aggregates(Some("default"), at(0), at(1000), WEEK, AlertGroup::All)
        .await
        .expect("whole");
    let expected = AlertAggregate {
        alerts: 4,
        mttd_n: 2,
        mttd_sum: 80.0, // 60 + 20
        mttd_excluded: 1,
        mtta_n: 2,
        mtta_sum: 360.0, // a1 ack 60 + a2 close 300
        mttr_n: 2,
        mttr_sum: 600.0, // 300 + 300
        dispositioned: 2,
        false_positive: 1,
        true_positive: 1,
    };
    assert_eq!(whole, vec![(String::new(), expected)]);

    let rules = state
        .kpi_alert_aggregates(Some("default"), at(0), at(1000), WEEK, AlertGroup::Rule)
        .await
        .expect("rules");
    let keys: Vec<&str> = rules.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["r1", "r2"]);
    assert_eq!(
        (rules[0].1.alerts, rules[0].1.mttd_n, rules[0].1.mttd_excluded),
        (2, 2, 0)
    );
    assert_eq!(
        (rules[1].1.alerts, rules[1].1.mttd_n, rules[1].1.mttd_excluded),
        (2, 0, 1)
    );

    let levels = state
        .kpi_alert_aggregates(Some("default"), at(0), at(1000), WEEK, AlertGroup::Level)
        .await
        .expect("levels");
    let keys: Vec<&str> = levels.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["high", "low"]);

    // Every tenant, per tenant (what the gauges read); a cut-off long enough keeps the replay.
    let tenants = state
        .kpi_alert_aggregates(None, at(0), at(1000), WEEK * 1000, AlertGroup::Tenant)
        .await
        .expect("tenants");
    let keys: Vec<&str> = tenants.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["default", "other"]);
    assert_eq!((tenants[0].1.mttd_n, tenants[0].1.mttd_excluded), (3, 0));
    assert_eq!((tenants[1].1.alerts, tenants[1].1.mttd_sum), (1, 10.0));

    assert!(
        state
            .kpi_alert_aggregates(Some("nobody"), at(0), at(1000), WEEK, AlertGroup::All)
            .await
            .expect("none")
            .is_empty()
    );
}

#[tokio::test]
async fn incident_rules_come_from_their_alerts() {
    let (state, _db) = temp_state().await;
    state
        .insert_alerts(&[
            alert("a1", "r1", "high", at(0)),
            alert("a2", "r2", "high", at(1)),
            alert("a3", "r1", "high", at(2)),
        ])
        .await
        .expect("insert");
    let m = PriorityMatrix::default();
    let both = state
        .create_incident(
            "default",
            &incident("both", &["a1", "a2", "a3"]),
            &m,
            &by("incident.create", 10),
        )
        .await
        .expect("both");
    state
        .create_incident("default", &incident("none", &[]), &m, &by("incident.create", 20))
        .await
        .expect("none");
    let pairs = state
        .kpi_incident_rules("default", at(0), at(100))
        .await
        .expect("rules");
    let id = both.incident.id;
    assert_eq!(pairs, vec![(id.clone(), "r1".to_owned()), (id, "r2".to_owned())]);
    assert!(
        state
            .kpi_incident_rules("default", at(50), at(100))
            .await
            .expect("later")
            .is_empty()
    );
    assert!(
        state
            .kpi_incident_rules("other", at(0), at(100))
            .await
            .expect("other")
            .is_empty()
    );
}

#[tokio::test]
async fn the_backlog_counts_open_alerts_and_incidents_by_age() {
    let (state, _db) = temp_state().await;
    let now = 30 * DAY;
    let ages = [
        ("m30", 1800),
        ("h2", 2 * 3600),
        ("h10", 10 * 3600),
        ("d3", 3 * DAY),
        ("d8", 8 * DAY),
    ];
    let mut alerts: Vec<_> = ages
        .iter()
        .map(|(id, age)| alert(id, "r1", "high", at(now - age)))
        .collect();
    alerts.push(alert("closed", "r1", "high", at(now - 100)));
    alerts.push(alert("low", "r2", "low", at(now - 8 * DAY)));
    let mut other = alert("x", "r1", "high", at(now - 100));
    other.tenant = "other".into();
    alerts.push(other);
    state.insert_alerts(&alerts).await.expect("insert");
    triage(&state, "h2", AlertStatus::Acknowledged, None, now - 3600).await;
    triage(
        &state,
        "closed",
        AlertStatus::Closed,
        Some(Disposition::FalsePositive),
        now - 50,
    )
    .await;

    let backlog = state.alert_backlog(Some("default"), at(now)).await.expect("alerts");
    assert_eq!(backlog.len(), 2);
    assert_eq!((backlog[0].key.as_str(), backlog[0].buckets), ("high", [1, 1, 1, 1, 1]));
    assert_eq!(backlog[0].oldest, Some(at(now - 8 * DAY)));
    assert_eq!((backlog[1].key.as_str(), backlog[1].buckets), ("low", [0, 0, 0, 0, 1]));
    let all = state.alert_backlog(None, at(now)).await.expect("all");
    assert_eq!(all.len(), 3);
    assert_eq!((all[2].tenant.as_str(), all[2].buckets), ("other", [1, 0, 0, 0, 0]));

    let m = PriorityMatrix::default();
    let old = state
        .create_incident(
            "default",
            &incident("old", &[]),
            &m,
            &by("incident.create", now - 5 * DAY),
        )
        .await
        .expect("old");
    let fresh = state
        .create_incident("default", &incident("fresh", &[]), &m, &by("incident.create", now - 60))
        .await
        .expect("fresh");
    let closed = state
        .create_incident(
            "default",
            &incident("closed", &[]),
            &m,
            &by("incident.create", now - 60),
        )
        .await
        .expect("closed");
    let close = IncidentPatch {
        status: Some(IncidentStatus::Closed),
        resolution: Some("done".into()),
        lessons_learned: Some("none".into()),
        ..IncidentPatch::default()
    };
    state
        .update_incident(
            "default",
            &closed.incident.id,
            &close,
            &m,
            &by("incident.update", now - 30),
        )
        .await
        .expect("close");
    let backlog = state
        .incident_backlog(Some("default"), at(now))
        .await
        .expect("incidents");
    let priority = old.incident.priority.get().to_string();
    assert_eq!(fresh.incident.priority, old.incident.priority);
    assert_eq!(backlog.len(), 1);
    assert_eq!(
        (backlog[0].key.as_str(), backlog[0].buckets),
        (priority.as_str(), [1, 0, 0, 1, 0])
    );
    assert_eq!(backlog[0].oldest, Some(at(now - 5 * DAY)));

    state
        .create_incident("other", &incident("o", &[]), &m, &by("incident.create", now - 10))
        .await
        .expect("other");
    let open = state.open_incidents_all_tenants().await.expect("open");
    let titles: Vec<(&str, &str)> = open
        .iter()
        .map(|s| (s.incident.tenant.as_str(), s.incident.title.as_str()))
        .collect();
    assert_eq!(titles, [("default", "old"), ("default", "fresh"), ("other", "o")]);
}

//! Alert triage: single and bulk changes, eligibility by status, history and audit in the same
//! transaction, tenants.

use crate::{alert, at, temp_state};
use vigil_api_types::triage::{AlertUpdate, Disposition};
use vigil_respond::AlertStatus;
use vigil_state::triage::{Selection, Triager};
use vigil_state::{Actor, AlertQuery, AuditOutcome, AuditQuery, NewAuditEntry, State, StateError};

fn who(actor: &str, may_reopen: bool) -> Triager {
    Triager {
        actor: Actor {
            id: actor.into(),
            audit: NewAuditEntry::new(actor, "alert.update", AuditOutcome::Success),
            at: Some(at(100)),
        },
        may_reopen,
    }
}

fn set(status: AlertStatus) -> AlertUpdate {
    AlertUpdate {
        status: Some(status),
        disposition: (status == AlertStatus::Closed).then_some(Disposition::FalsePositive),
        ..AlertUpdate::default()
    }
}

async fn seeded() -> (State, crate::TestDb) {
    let (state, db) = temp_state().await;
    let mut alerts: Vec<_> = (0..5).map(|i| alert(&format!("a{i}"), "r1", "high", at(i))).collect();
    alerts[4].host = Some("db-1".into());
    let mut other = alert("b0", "r1", "high", at(9));
    other.tenant = "acme".into();
    alerts.push(other);
    state.insert_alerts(&alerts).await.expect("insert");
    (state, db)
}

async fn status_of(state: &State, id: &str) -> AlertStatus {
    state
        .get_alert("default", id)
        .await
        .expect("read")
        .expect("exists")
        .status
}

#[tokio::test]
async fn acknowledge_then_close_keeps_who_and_when_history_and_audit() {
    let (state, _db) = seeded().await;
    let one = ["a0".to_string()];
    let n = state
        .triage_alerts(
            "default",
            Selection::Ids(&one),
            &set(AlertStatus::Acknowledged),
            &who("user:ann", false),
            None,
        )
        .await
        .expect("ack");
    assert_eq!((n.matched, n.updated), (1, 1));
    let mut close = set(AlertStatus::Closed);
    close.comment = Some("scanner of the IT team".into());
    state
        .triage_alerts("default", Selection::Ids(&one), &close, &who("user:bob", false), None)
        .await
        .expect("close");
    let a = state.get_alert("default", "a0").await.expect("read").expect("exists");
    assert_eq!(a.status, AlertStatus::Closed);
    assert_eq!(a.disposition, Some(Disposition::FalsePositive));
    assert_eq!(
        (a.acknowledged_by.as_deref(), a.closed_by.as_deref()),
        (Some("user:ann"), Some("user:bob"))
    );
    assert_eq!((a.acknowledged, a.closed), (Some(at(100)), Some(at(100))));
    let history = state
        .alert_history("default", "a0")
        .await
        .expect("history")
        .expect("exists");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].change["status"], "acknowledged");
    assert_eq!(history[1].change["comment"], "scanner of the IT team");
    assert_eq!(history[1].actor, "user:bob");
    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    let actions: Vec<_> = audit
        .entries
        .iter()
        .map(|e| (e.action.as_str(), e.target.as_deref()))
        .collect();
    assert_eq!(
        actions,
        [("alert.update", Some("alert:a0")), ("alert.update", Some("alert:a0"))]
    );
    assert!(state.verify_audit(&[], None).await.expect("verify").intact);
}

#[tokio::test]
async fn a_change_applies_only_where_the_status_allows_it() {
    let (state, _db) = seeded().await;
    let ids: Vec<String> = ["a0", "a1"].map(String::from).to_vec();
    let close = set(AlertStatus::Closed);
    state
        .triage_alerts(
            "default",
            Selection::Ids(&ids[..1]),
            &close,
            &who("user:a", false),
            None,
        )
        .await
        .expect("close one");
    // Acknowledging both changes only the new one.
    let n = state
        .triage_alerts(
            "default",
            Selection::Ids(&ids),
            &set(AlertStatus::Acknowledged),
            &who("user:a", false),
            None,
        )
        .await
        .expect("ack");
    assert_eq!((n.matched, n.updated), (2, 1));
    // Reopening a closed alert needs the permission.
    let reopen = set(AlertStatus::New);
    let n = state
        .triage_alerts(
            "default",
            Selection::Ids(&ids[..1]),
            &reopen,
            &who("user:a", false),
            None,
        )
        .await
        .expect("refused quietly");
    assert_eq!(n.updated, 0);
    assert_eq!(status_of(&state, "a0").await, AlertStatus::Closed);
    state
        .triage_alerts(
            "default",
            Selection::Ids(&ids[..1]),
            &reopen,
            &who("user:lead", true),
            None,
        )
        .await
        .expect("reopen");
    let a0 = state.get_alert("default", "a0").await.expect("read").expect("exists");
    assert_eq!((a0.status, a0.disposition, a0.closed), (AlertStatus::New, None, None));
    // Nothing changed, nothing audited: two changes above plus the reopening.
    assert_eq!(
        state
            .list_audit(&AuditQuery::default())
            .await
            .expect("audit")
            .entries
            .len(),
        3
    );
}

#[tokio::test]
async fn bulk_by_filter_counts_first_and_refuses_a_stale_count() {
    let (state, _db) = seeded().await;
    let q = AlertQuery {
        host: Some("web-1".into()),
        status: vec![AlertStatus::New],
        ..AlertQuery::default()
    };
    let ack = set(AlertStatus::Acknowledged);
    let preview = state
        .count_triage("default", Selection::Filter(&q), &ack, false)
        .await
        .expect("count");
    assert_eq!((preview.matched, preview.updated), (4, 4));
    let stale = state
        .triage_alerts("default", Selection::Filter(&q), &ack, &who("user:a", false), Some(3))
        .await
        .expect_err("stale");
    assert!(matches!(stale, StateError::Conflict(_)), "{stale:?}");
    assert_eq!(status_of(&state, "a1").await, AlertStatus::New, "nothing changed");
    let n = state
        .triage_alerts("default", Selection::Filter(&q), &ack, &who("user:a", false), Some(4))
        .await
        .expect("bulk");
    assert_eq!(n.updated, 4);
    assert_eq!(status_of(&state, "a4").await, AlertStatus::New, "another host");
    // The other tenant's alert is out of reach, by filter and by id.
    let acme = state.get_alert("acme", "b0").await.expect("read").expect("exists");
    assert_eq!(acme.status, AlertStatus::New);
    let n = state
        .triage_alerts(
            "default",
            Selection::Ids(&["b0".into()]),
            &ack,
            &who("user:a", false),
            None,
        )
        .await
        .expect("no match");
    assert_eq!((n.matched, n.updated), (0, 0));
    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    assert_eq!(audit.entries.len(), 1, "one entry for the bulk change");
    assert_eq!(audit.entries[0].to_wire().detail.expect("detail")["updated"], 4);
}

#[tokio::test]
async fn assign_and_unassign() {
    let (state, _db) = seeded().await;
    let ids = ["a2".to_string()];
    let assign = AlertUpdate {
        assignee: Some(Some("team:tier2".into())),
        ..AlertUpdate::default()
    };
    state
        .triage_alerts("default", Selection::Ids(&ids), &assign, &who("user:a", false), None)
        .await
        .expect("assign");
    let q = AlertQuery {
        assignee: Some("team:tier2".into()),
        ..AlertQuery::default()
    };
    assert_eq!(state.list_alerts("default", &q).await.expect("list").total, 1);
    let unassign = AlertUpdate {
        assignee: Some(None),
        ..AlertUpdate::default()
    };
    state
        .triage_alerts("default", Selection::Ids(&ids), &unassign, &who("user:a", false), None)
        .await
        .expect("unassign");
    assert_eq!(state.list_alerts("default", &q).await.expect("list").total, 0);
}

#[tokio::test]
async fn invalid_changes_are_refused_before_anything_is_written() {
    let (state, _db) = seeded().await;
    let ids = ["a0".to_string()];
    let no_disposition = AlertUpdate {
        status: Some(AlertStatus::Closed),
        ..AlertUpdate::default()
    };
    let e = state
        .triage_alerts(
            "default",
            Selection::Ids(&ids),
            &no_disposition,
            &who("user:a", false),
            None,
        )
        .await
        .expect_err("needs a disposition");
    assert!(
        matches!(e, StateError::InvalidInput(ref m) if m.contains("disposition")),
        "{e:?}"
    );
    let e = state
        .triage_alerts(
            "default",
            Selection::Ids(&[]),
            &set(AlertStatus::Acknowledged),
            &who("user:a", false),
            None,
        )
        .await
        .expect_err("no ids");
    assert!(e.is_client_error());
    assert_eq!(status_of(&state, "a0").await, AlertStatus::New);
    assert!(state.alert_history("default", "nope").await.expect("history").is_none());
}

//! In-stream grouping: matches with one fingerprint within the window fold into one open alert,
//! each match counted once however often it is delivered; a closed alert or a gap past the
//! window starts a new one; tenants never share.

use crate::{alert, at, temp_state};
use jiff::SignedDuration;
use vigil_api_types::triage::{AlertUpdate, Disposition};
use vigil_respond::AlertStatus;
use vigil_state::triage::{Selection, Triager};
use vigil_state::{Actor, AlertGrouping, AlertQuery, AuditOutcome, MAX_GROUPED_EVENT_IDS, NewAlert, NewAuditEntry};

fn grouped(id: &str, secs: i64, fingerprint: &str) -> NewAlert {
    let mut a = alert(id, "r1", "high", at(secs));
    a.grouping = Some(AlertGrouping {
        fingerprint: fingerprint.into(),
        window: SignedDuration::from_mins(60),
    });
    a.group_key = Some("host=web-1,user=bob".into());
    a
}

#[tokio::test]
async fn matches_fold_into_one_alert_and_count_once() {
    let (state, _db) = temp_state().await;
    let batch: Vec<NewAlert> = (0..5).map(|i| grouped(&format!("m{i}"), i * 60, "fp1")).collect();
    assert_eq!(state.insert_alerts(&batch).await.expect("insert"), 1, "one alert");
    // The same batch again (a crash before the spool was acknowledged) changes nothing.
    assert_eq!(state.insert_alerts(&batch).await.expect("again"), 0);
    let page = state
        .list_alerts("default", &AlertQuery::default())
        .await
        .expect("list");
    assert_eq!(page.total, 1);
    let a = &page.alerts[0];
    assert_eq!((a.id.as_str(), a.occurrences), ("m0", 5));
    assert_eq!((a.first_seen, a.last_seen), (Some(at(0)), Some(at(240))));
    assert_eq!(a.event_ids.len(), 5);
    assert_eq!(a.group_key.as_deref(), Some("host=web-1,user=bob"));
    // Another fingerprint, and past the window: alerts of their own.
    let other = grouped("x0", 300, "fp2");
    let late = grouped("m9", 240 + 3601, "fp1");
    assert_eq!(state.insert_alerts(&[other, late]).await.expect("insert"), 2);
}

#[tokio::test]
async fn a_closed_alert_does_not_take_new_matches_and_event_ids_are_bounded() {
    let (state, _db) = temp_state().await;
    let many: Vec<NewAlert> = (0..150).map(|i| grouped(&format!("m{i}"), i, "fp")).collect();
    state.insert_alerts(&many).await.expect("insert");
    let a = state.get_alert("default", "m0").await.expect("read").expect("m0");
    assert_eq!((a.occurrences, a.event_ids.len()), (150, MAX_GROUPED_EVENT_IDS));
    let who = Triager {
        actor: Actor {
            id: "user:ann".into(),
            audit: NewAuditEntry::new("user:ann", "alert.update", AuditOutcome::Success),
            at: None,
        },
        may_reopen: false,
    };
    let close = AlertUpdate {
        status: Some(AlertStatus::Closed),
        disposition: Some(Disposition::BenignPositive),
        ..AlertUpdate::default()
    };
    state
        .triage_alerts("default", Selection::Ids(&["m0".into()]), &close, &who, None)
        .await
        .expect("close");
    assert_eq!(
        state.insert_alerts(&[grouped("n1", 200, "fp")]).await.expect("insert"),
        1,
        "a new alert"
    );
    let mut other = grouped("t1", 201, "fp");
    other.tenant = "acme".into();
    assert_eq!(
        state.insert_alerts(&[other]).await.expect("insert"),
        1,
        "tenants never share"
    );
}

//! What the console reads: the alerts' change cursor (inserts, grouped hits, triage, incidents
//! each move an alert past it; tenants apart; nothing lost between two reads; concurrent writers
//! never commit a smaller number after a larger one) and saved views (owner, sharing, audit).

use std::collections::BTreeMap;

use crate::{alert, at, temp_state};
use jiff::SignedDuration;
use vigil_api_types::console::{NewView, ViewUpdate};
use vigil_api_types::triage::AlertUpdate;
use vigil_respond::AlertStatus;
use vigil_state::triage::{Selection, Triager};
use vigil_state::{Actor, AlertGrouping, AuditOutcome, AuditQuery, NewAlert, NewAuditEntry, State, StateError};

fn actor(id: &str, action: &str) -> Actor {
    Actor {
        id: id.into(),
        audit: NewAuditEntry::new(id, action, AuditOutcome::Success).with_tenant("default"),
        at: Some(at(100)),
    }
}

async fn changed_ids(state: &State, tenant: &str, after: i64) -> (Vec<String>, i64) {
    let upto = state.alert_change_cursor().await.expect("clock");
    let c = state
        .alerts_changed_after(tenant, after, upto, 100)
        .await
        .expect("changes");
    assert!(!c.more);
    (c.alerts.into_iter().map(|a| a.id).collect(), c.cursor)
}

#[tokio::test]
async fn every_kind_of_change_moves_an_alert_past_the_cursor() {
    let (state, _db) = temp_state().await;
    let mut other = alert("b0", "r1", "high", at(1));
    other.tenant = "acme".into();
    state
        .insert_alerts(&[
            alert("a0", "r1", "high", at(0)),
            alert("a1", "r1", "high", at(1)),
            other,
        ])
        .await
        .expect("insert");
    let (ids, c0) = changed_ids(&state, "default", 0).await;
    assert_eq!(ids, ["a0", "a1"], "inserts, oldest first, one tenant only");
    assert_eq!(changed_ids(&state, "acme", 0).await.0, ["b0"]);
    assert_eq!(changed_ids(&state, "default", c0).await.0, Vec::<String>::new());

    // Triage of one alert: only it comes after the cursor, in its new state.
    let who = Triager {
        actor: actor("user:ann", "alert.update"),
        may_reopen: false,
    };
    let ack = AlertUpdate {
        status: Some(AlertStatus::Acknowledged),
        ..AlertUpdate::default()
    };
    let one = ["a0".to_string()];
    state
        .triage_alerts("default", Selection::Ids(&one), &ack, &who, None)
        .await
        .expect("ack");
    let upto = state.alert_change_cursor().await.expect("clock");
    let c = state
        .alerts_changed_after("default", c0, upto, 100)
        .await
        .expect("changes");
    assert_eq!(c.alerts.len(), 1);
    assert_eq!(
        (c.alerts[0].id.as_str(), c.alerts[0].status),
        ("a0", AlertStatus::Acknowledged)
    );
    assert!(c.cursor > c0);
    // The other tenant saw nothing new.
    let (acme, _) = changed_ids(&state, "acme", upto).await;
    assert!(acme.is_empty());

    // A grouped hit folding into an open alert changes it too.
    let grouped = |id: &str, secs| {
        let mut a: NewAlert = alert(id, "r2", "low", at(secs));
        a.grouping = Some(AlertGrouping {
            fingerprint: "fp".into(),
            window: SignedDuration::from_mins(60),
        });
        a
    };
    state.insert_alerts(&[grouped("g0", 10)]).await.expect("first hit");
    let (_, c1) = changed_ids(&state, "default", c.cursor).await;
    state.insert_alerts(&[grouped("g1", 20)]).await.expect("second hit");
    let upto = state.alert_change_cursor().await.expect("clock");
    let c = state
        .alerts_changed_after("default", c1, upto, 100)
        .await
        .expect("changes");
    assert_eq!(c.alerts.len(), 1);
    assert_eq!((c.alerts[0].id.as_str(), c.alerts[0].occurrences), ("g0", 2));
}

#[tokio::test]
async fn a_batch_larger_than_the_limit_says_more_and_resumes_without_loss() {
    let (state, _db) = temp_state().await;
    let batch: Vec<NewAlert> = (0..25)
        .map(|i| alert(&format!("a{i:02}"), "r1", "high", at(i)))
        .collect();
    state.insert_alerts(&batch).await.expect("insert");
    let upto = state.alert_change_cursor().await.expect("clock");
    let (mut seen, mut cursor) = (Vec::new(), 0);
    loop {
        let c = state
            .alerts_changed_after("default", cursor, upto, 10)
            .await
            .expect("changes");
        seen.extend(c.alerts.iter().map(|a| a.id.clone()));
        cursor = c.cursor;
        if !c.more {
            break;
        }
        assert_eq!(c.alerts.len(), 10);
    }
    let expected: Vec<String> = (0..25).map(|i| format!("a{i:02}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(cursor, upto);
}

#[tokio::test]
async fn concurrent_writers_never_commit_behind_a_read_cursor() {
    let (state, _db) = temp_state().await;
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let state = state.clone();
            tokio::spawn(async move {
                for i in 0..15 {
                    let batch = [alert(&format!("w{w}-{i}"), "r1", "high", at(i))];
                    state.insert_alerts(&batch).await.expect("insert");
                }
            })
        })
        .collect();
    // Follow the cursor while they write; every alert must be seen exactly once.
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = 0;
    let mut done = false;
    while !done {
        done = writers.iter().all(tokio::task::JoinHandle::is_finished);
        let upto = state.alert_change_cursor().await.expect("clock");
        let c = state
            .alerts_changed_after("default", cursor, upto, 1000)
            .await
            .expect("changes");
        for a in c.alerts {
            assert!(seen.insert(a.id.clone()), "{} seen twice", a.id);
        }
        cursor = c.cursor;
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    for w in writers {
        w.await.expect("writer");
    }
    assert_eq!(seen.len(), 60, "every insert seen once while following the cursor");
}

fn view(name: &str, shared: bool) -> NewView {
    NewView {
        name: name.into(),
        page: "alerts".into(),
        query: BTreeMap::from([("status".to_string(), "new".to_string())]),
        shared,
    }
}

#[tokio::test]
async fn views_are_private_or_shared_and_every_change_is_audited() {
    let (state, _db) = temp_state().await;
    let ann = actor("user:ann", "view.create");
    let mine = state
        .create_view("default", &view("Mine", false), &ann)
        .await
        .expect("create");
    let ours = state
        .create_view("default", &view("Night shift", true), &ann)
        .await
        .expect("create");
    assert!(mine.id.starts_with("view-") && mine.owner == "user:ann");
    let dup = state
        .create_view("default", &view("Mine", true), &ann)
        .await
        .expect_err("same name");
    assert!(matches!(dup, StateError::Conflict(_)), "{dup}");
    // Another tenant's view of the same name is its own business.
    state
        .create_view("acme", &view("Mine", false), &ann)
        .await
        .expect("other tenant");

    let names = |v: Vec<vigil_api_types::console::SavedView>| v.into_iter().map(|v| v.name).collect::<Vec<_>>();
    assert_eq!(
        names(state.list_views("default", "user:ann", Some("alerts")).await.unwrap()),
        ["Mine", "Night shift"]
    );
    assert_eq!(
        names(state.list_views("default", "user:bob", None).await.unwrap()),
        ["Night shift"]
    );
    assert!(
        state
            .list_views("default", "user:bob", Some("incidents"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        state.get_view("default", "user:bob", &mine.id).await.unwrap().is_none(),
        "private"
    );
    assert!(
        state.get_view("acme", "user:ann", &mine.id).await.unwrap().is_none(),
        "other tenant"
    );

    // Only the owner changes a view; only the owner, or a principal allowed to, deletes one.
    let bob = actor("user:bob", "view.update");
    let rename = ViewUpdate {
        name: Some("Renamed".into()),
        ..ViewUpdate::default()
    };
    assert!(
        state
            .update_view("default", &ours.id, &rename, &bob)
            .await
            .unwrap()
            .is_none()
    );
    let renamed = state
        .update_view("default", &ours.id, &rename, &actor("user:ann", "view.update"))
        .await;
    assert_eq!(renamed.unwrap().expect("own view").name, "Renamed");
    let bob_del = actor("user:bob", "view.delete");
    assert!(
        state
            .delete_view("default", &mine.id, &bob_del, true)
            .await
            .unwrap()
            .is_none(),
        "private"
    );
    assert!(
        state
            .delete_view("default", &ours.id, &bob_del, false)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        state
            .delete_view("default", &ours.id, &bob_del, true)
            .await
            .unwrap()
            .is_some()
    );
    assert!(state.get_view("default", "user:ann", &ours.id).await.unwrap().is_none());

    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    let mut actions: Vec<_> = audit.entries.iter().map(|e| e.action.as_str()).collect();
    actions.reverse();
    assert_eq!(
        actions,
        [
            "view.create",
            "view.create",
            "view.create",
            "view.update",
            "view.delete"
        ]
    );
}

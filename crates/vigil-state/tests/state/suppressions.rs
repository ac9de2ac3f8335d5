//! Suppression rules: created by hand or from an alert (closing it in the same transaction),
//! changed, deleted — each audited —; the active set at a time (disabled and expired ones out);
//! suppressed matches recorded once each with the counts on their suppression, listed newest
//! first by cursor, and pruned by retention; tenants apart.

use crate::{alert, at, temp_state};
use jiff::SignedDuration;
use vigil_api_types::suppressions::{Condition, NewSuppression, SuppressionPatch};
use vigil_respond::{AlertStatus, Disposition};
use vigil_state::suppressions::{MatchQuery, NewSuppressedMatch, SuppressionQuery};
use vigil_state::{Actor, AuditOutcome, AuditQuery, NewAuditEntry, State, StateError};

fn by(actor: &str, action: &str, secs: i64) -> Actor {
    Actor {
        id: actor.into(),
        audit: NewAuditEntry::new(actor, action, AuditOutcome::Success).with_tenant("default"),
        at: Some(at(secs)),
    }
}

fn on_host(rule: &str, host: &str) -> NewSuppression {
    NewSuppression {
        rule_id: rule.into(),
        conditions: vec![Condition {
            field: "host".into(),
            value: host.into(),
        }],
        reason: "vulnerability scanner".into(),
        expires: None,
    }
}

fn matched(n: usize, suppression: &str, secs: i64) -> NewSuppressedMatch {
    NewSuppressedMatch {
        match_id: format!("m{n}"),
        suppression_id: suppression.into(),
        tenant: "default".into(),
        rule_id: "r1".into(),
        event_id: format!("ev{n}"),
        at: at(secs),
    }
}

async fn actions(state: &State) -> Vec<(String, Option<String>)> {
    let page = state.list_audit(&AuditQuery::default()).await.expect("audit");
    page.entries.into_iter().map(|e| (e.action, e.target)).collect()
}

#[tokio::test]
async fn created_read_and_listed_newest_first_within_the_tenant_and_audited() {
    let (state, _db) = temp_state().await;
    let first = state
        .create_suppression(
            "default",
            &on_host("r1", "scanner01"),
            &by("user:ann", "suppression.create", 10),
        )
        .await
        .expect("create");
    assert!(first.id.starts_with("sup-") && first.id.len() == 20, "{}", first.id);
    assert_eq!((first.author.as_str(), first.created), ("user:ann", at(10)));
    assert!(first.active && !first.disabled && first.hits == 0);
    let mut any = on_host("*", "scanner02");
    any.expires = Some(at(3600));
    let second = state
        .create_suppression("default", &any, &by("user:ann", "suppression.create", 20))
        .await
        .expect("create");
    let mut acme = by("user:zed", "suppression.create", 30);
    acme.audit = acme.audit.with_tenant("acme");
    let theirs = state
        .create_suppression("acme", &on_host("r1", "scanner01"), &acme)
        .await
        .expect("create");

    let got = state
        .get_suppression("default", &first.id, at(40))
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got, first);
    assert!(
        state
            .get_suppression("acme", &first.id, at(40))
            .await
            .expect("get")
            .is_none(),
        "another tenant's is absent"
    );
    let page = state
        .list_suppressions("default", &SuppressionQuery::default(), at(40))
        .await
        .expect("list");
    let ids: Vec<&str> = page.suppressions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [second.id.as_str(), first.id.as_str()], "newest first");
    assert_eq!(page.total, 2);
    let q = SuppressionQuery {
        rule_id: Some("*".into()),
        ..SuppressionQuery::default()
    };
    let page = state.list_suppressions("default", &q, at(40)).await.expect("list");
    assert_eq!(page.suppressions.len(), 1);
    assert_eq!(page.suppressions[0].conditions[0].value, "scanner02");
    // Paging by cursor.
    let q = SuppressionQuery {
        limit: Some(1),
        ..SuppressionQuery::default()
    };
    let one = state.list_suppressions("default", &q, at(40)).await.expect("page 1");
    let q = SuppressionQuery {
        limit: Some(1),
        cursor: one.next_cursor.clone(),
        ..SuppressionQuery::default()
    };
    let two = state.list_suppressions("default", &q, at(40)).await.expect("page 2");
    assert_eq!(
        (one.suppressions[0].id.as_str(), two.suppressions[0].id.as_str()),
        (second.id.as_str(), first.id.as_str())
    );
    assert!(two.next_cursor.is_none());
    let wrong = SuppressionQuery {
        cursor: Some("YTox".into()),
        ..SuppressionQuery::default()
    };
    assert!(matches!(
        state.list_suppressions("default", &wrong, at(40)).await,
        Err(StateError::InvalidCursor)
    ));

    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    let created: Vec<_> = audit
        .entries
        .iter()
        .filter(|e| e.action == "suppression.create")
        .collect();
    assert_eq!(created.len(), 3);
    let mine = created
        .iter()
        .find(|e| e.target.as_deref() == Some(&format!("suppression:{}", first.id)))
        .expect("audited");
    assert_eq!(mine.tenant, "default");
    let detail: serde_json::Value = serde_json::from_str(mine.detail.as_deref().expect("detail")).expect("json");
    assert_eq!(detail["rule_id"], "r1");
    assert_eq!(detail["conditions"][0]["value"], "scanner01");
    assert!(
        created
            .iter()
            .any(|e| e.tenant == "acme" && e.target.as_deref() == Some(&format!("suppression:{}", theirs.id)))
    );
}

#[tokio::test]
async fn the_active_set_leaves_out_disabled_and_expired_suppressions() {
    let (state, _db) = temp_state().await;
    let mut expiring = on_host("r1", "a");
    expiring.expires = Some(at(100));
    let expiring = state
        .create_suppression("default", &expiring, &by("user:ann", "suppression.create", 0))
        .await
        .expect("create");
    let lasting = state
        .create_suppression("default", &on_host("r1", "b"), &by("user:ann", "suppression.create", 1))
        .await
        .expect("create");
    let mut acme = by("user:zed", "suppression.create", 2);
    acme.audit = acme.audit.with_tenant("acme");
    let other = state
        .create_suppression("acme", &on_host("r2", "c"), &acme)
        .await
        .expect("create");
    let ids = |list: Vec<vigil_api_types::suppressions::Suppression>| -> Vec<String> {
        list.into_iter().map(|s| s.id).collect()
    };
    assert_eq!(
        ids(state.active_suppressions(at(50)).await.expect("active")),
        [expiring.id.clone(), lasting.id.clone(), other.id.clone()],
        "every tenant's, oldest first"
    );
    assert_eq!(
        ids(state.active_suppressions(at(100)).await.expect("active")),
        [lasting.id.clone(), other.id.clone()],
        "expired at its expiry"
    );
    let got = state
        .get_suppression("default", &expiring.id, at(100))
        .await
        .expect("get")
        .expect("found");
    assert!(!got.active && !got.disabled);
    // Disabling takes it out; enabling brings it back.
    let disable = SuppressionPatch {
        disabled: Some(true),
        ..SuppressionPatch::default()
    };
    let changed = state
        .update_suppression(
            "default",
            &lasting.id,
            &disable,
            &by("user:bob", "suppression.update", 60),
        )
        .await
        .expect("update")
        .expect("found");
    assert!(changed.disabled && !changed.active);
    assert_eq!(
        (changed.updated, changed.updated_by.as_deref()),
        (Some(at(60)), Some("user:bob"))
    );
    assert_eq!(
        ids(state.active_suppressions(at(61)).await.expect("active")),
        [expiring.id.clone(), other.id.clone()]
    );
    let q = SuppressionQuery {
        active: Some(false),
        ..SuppressionQuery::default()
    };
    let inactive = state.list_suppressions("default", &q, at(200)).await.expect("list");
    assert_eq!(inactive.total, 2, "disabled and expired");
    let q = SuppressionQuery {
        active: Some(true),
        ..SuppressionQuery::default()
    };
    assert_eq!(
        state
            .list_suppressions("default", &q, at(200))
            .await
            .expect("list")
            .total,
        0
    );

    // The same change again changes nothing: refused, not audited twice.
    let again = state
        .update_suppression(
            "default",
            &lasting.id,
            &disable,
            &by("user:bob", "suppression.update", 61),
        )
        .await;
    assert!(matches!(again, Err(StateError::Conflict(_))), "{again:?}");
    // A new expiry, then none; an expiry in the past is refused.
    let extend = SuppressionPatch {
        expires: Some(Some(at(500))),
        disabled: Some(false),
        reason: Some("scanner, until the rescan".into()),
    };
    let changed = state
        .update_suppression(
            "default",
            &expiring.id,
            &extend,
            &by("user:bob", "suppression.update", 70),
        )
        .await
        .expect("update")
        .expect("found");
    assert_eq!(
        (changed.expires, changed.reason.as_str()),
        (Some(at(500)), "scanner, until the rescan")
    );
    let forever = SuppressionPatch {
        expires: Some(None),
        ..SuppressionPatch::default()
    };
    let changed = state
        .update_suppression(
            "default",
            &expiring.id,
            &forever,
            &by("user:bob", "suppression.update", 80),
        )
        .await
        .expect("update")
        .expect("found");
    assert_eq!(changed.expires, None);
    let past = SuppressionPatch {
        expires: Some(Some(at(10))),
        ..SuppressionPatch::default()
    };
    let refused = state
        .update_suppression(
            "default",
            &expiring.id,
            &past,
            &by("user:bob", "suppression.update", 90),
        )
        .await;
    assert!(
        matches!(refused, Err(StateError::InvalidInput(ref m)) if m.starts_with("expires")),
        "{refused:?}"
    );
    let mut late = on_host("r1", "z");
    late.expires = Some(at(5));
    let refused = state
        .create_suppression("default", &late, &by("user:ann", "suppression.create", 6))
        .await;
    assert!(matches!(refused, Err(StateError::InvalidInput(_))), "{refused:?}");

    // Another tenant can neither change nor delete it.
    let acme_who = by("user:zed", "suppression.update", 95);
    assert!(
        state
            .update_suppression("acme", &lasting.id, &forever, &acme_who)
            .await
            .expect("update")
            .is_none()
    );
    assert!(
        !state
            .delete_suppression("acme", &lasting.id, &acme_who)
            .await
            .expect("delete")
    );
    let updates = actions(&state)
        .await
        .into_iter()
        .filter(|(a, _)| a == "suppression.update")
        .count();
    assert_eq!(updates, 3, "one entry per change made");
}

#[tokio::test]
async fn matches_are_counted_once_listed_by_cursor_and_deleted_with_their_suppression() {
    let (state, _db) = temp_state().await;
    let s = state
        .create_suppression(
            "default",
            &on_host("r1", "scanner01"),
            &by("user:ann", "suppression.create", 0),
        )
        .await
        .expect("create");
    let t = state
        .create_suppression(
            "default",
            &on_host("r1", "scanner02"),
            &by("user:ann", "suppression.create", 0),
        )
        .await
        .expect("create");
    let batch: Vec<_> = (0..5)
        .map(|n| matched(n, &s.id, 10 + n as i64))
        .chain([matched(9, &t.id, 12)])
        .collect();
    assert_eq!(state.record_suppressed(&batch).await.expect("record"), 6);
    // The same batch delivered again (a replay after a crash) is not counted twice.
    assert_eq!(state.record_suppressed(&batch).await.expect("record"), 0);
    assert_eq!(
        state.record_suppressed(&[matched(5, &s.id, 8)]).await.expect("record"),
        1
    );
    let got = state
        .get_suppression("default", &s.id, at(20))
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        (got.hits, got.last_hit),
        (6, Some(at(14))),
        "the latest match, not the last recorded"
    );
    let got = state
        .get_suppression("default", &t.id, at(20))
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got.hits, 1);

    let q = MatchQuery {
        limit: Some(4),
        cursor: None,
    };
    let page = state
        .list_suppressed_matches("default", &s.id, &q)
        .await
        .expect("list")
        .expect("found");
    let events: Vec<&str> = page.matches.iter().map(|m| m.event_id.as_str()).collect();
    assert_eq!(events, ["ev5", "ev4", "ev3", "ev2"], "newest first");
    assert_eq!((page.total, page.matches[0].rule_id.as_str()), (6, "r1"));
    let q = MatchQuery {
        limit: Some(4),
        cursor: page.next_cursor.clone(),
    };
    let rest = state
        .list_suppressed_matches("default", &s.id, &q)
        .await
        .expect("list")
        .expect("found");
    let events: Vec<&str> = rest.matches.iter().map(|m| m.event_id.as_str()).collect();
    assert_eq!(events, ["ev1", "ev0"]);
    assert!(rest.next_cursor.is_none());
    assert!(
        state
            .list_suppressed_matches("acme", &s.id, &MatchQuery::default())
            .await
            .expect("list")
            .is_none(),
        "another tenant's is absent"
    );
    let alerts_cursor = state
        .list_suppressions(
            "default",
            &SuppressionQuery {
                limit: Some(1),
                ..SuppressionQuery::default()
            },
            at(20),
        )
        .await
        .expect("list")
        .next_cursor;
    let bad = MatchQuery {
        limit: None,
        cursor: alerts_cursor,
    };
    assert!(matches!(
        state.list_suppressed_matches("default", &s.id, &bad).await,
        Err(StateError::InvalidCursor)
    ));

    // Retention drops listed matches past 30 days; the counts stay.
    let pruned = state
        .prune_suppressed_matches(at(10) + SignedDuration::from_hours(30 * 24) + SignedDuration::from_secs(3))
        .await
        .expect("prune");
    assert_eq!(pruned, 5, "those before 13 s, 30 days on: ev5, ev0, ev1, ev2 and ev9");
    let got = state
        .get_suppression("default", &s.id, at(20))
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got.hits, 6);

    assert!(
        state
            .delete_suppression("default", &s.id, &by("user:ann", "suppression.delete", 30))
            .await
            .expect("delete")
    );
    assert!(
        state
            .get_suppression("default", &s.id, at(31))
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        state
            .list_suppressed_matches("default", &s.id, &MatchQuery::default())
            .await
            .expect("list")
            .is_none()
    );
    assert!(
        !state
            .delete_suppression("default", &s.id, &by("user:ann", "suppression.delete", 31))
            .await
            .expect("again")
    );
    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    let deleted = audit
        .entries
        .iter()
        .find(|e| e.action == "suppression.delete")
        .expect("audited");
    let detail: serde_json::Value = serde_json::from_str(deleted.detail.as_deref().expect("detail")).expect("json");
    assert_eq!(
        (detail["hits"].as_u64(), detail["rule_id"].as_str()),
        (Some(6), Some("r1"))
    );
}

#[tokio::test]
async fn made_from_an_alert_it_closes_the_alert_in_the_same_transaction() {
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
        .expect("alerts");
    let new = on_host("r1", "web-1");
    let (s, closed) = state
        .suppress_alert(
            "default",
            "a0",
            &new,
            Some(Disposition::FalsePositive),
            &by("user:ann", "suppression.create", 10),
        )
        .await
        .expect("suppress")
        .expect("the alert exists");
    assert!(closed);
    assert_eq!(s.alert_id.as_deref(), Some("a0"));
    let a0 = state.get_alert("default", "a0").await.expect("get").expect("found");
    assert_eq!(
        (a0.status, a0.disposition, a0.closed_by.as_deref()),
        (AlertStatus::Closed, Some(Disposition::FalsePositive), Some("user:ann"))
    );
    let history = state
        .alert_history("default", "a0")
        .await
        .expect("history")
        .expect("found");
    assert_eq!(history[0].change["suppression"], s.id.as_str());
    let acts = actions(&state).await;
    assert_eq!(
        acts[..2],
        [
            ("alert.update".to_owned(), Some("alert:a0".to_owned())),
            ("suppression.create".to_owned(), Some(format!("suppression:{}", s.id))),
        ]
    );
    // A closed alert stays as it is; the suppression is made all the same.
    let (_, closed) = state
        .suppress_alert(
            "default",
            "a0",
            &new,
            Some(Disposition::BenignPositive),
            &by("user:ann", "suppression.create", 11),
        )
        .await
        .expect("suppress")
        .expect("exists");
    assert!(!closed);
    assert_eq!(
        state
            .get_alert("default", "a0")
            .await
            .expect("get")
            .expect("found")
            .disposition,
        Some(Disposition::FalsePositive)
    );
    // Without close_as the alert is untouched.
    let (_, closed) = state
        .suppress_alert("default", "a1", &new, None, &by("user:ann", "suppression.create", 12))
        .await
        .expect("suppress")
        .expect("exists");
    assert!(!closed);
    assert_eq!(
        state
            .get_alert("default", "a1")
            .await
            .expect("get")
            .expect("found")
            .status,
        AlertStatus::New
    );
    // Another tenant's alert is absent, and nothing is made.
    let before = state
        .list_suppressions("default", &SuppressionQuery::default(), at(20))
        .await
        .expect("list")
        .total;
    assert!(
        state
            .suppress_alert(
                "default",
                "b0",
                &new,
                Some(Disposition::FalsePositive),
                &by("user:ann", "suppression.create", 13)
            )
            .await
            .expect("suppress")
            .is_none()
    );
    let after = state
        .list_suppressions("default", &SuppressionQuery::default(), at(20))
        .await
        .expect("list")
        .total;
    assert_eq!(before, after);
    assert_eq!(
        state.get_alert("acme", "b0").await.expect("get").expect("found").status,
        AlertStatus::New
    );
}

//! The audit trail: appends, listing, the append-only triggers, concurrent writers and key order.
//! Tampering and checkpoints are in `audit_tamper.rs`.

use crate::{Backend, TestDb, at, temp_state};
use serde_json::json;
use vigil_state::audit::GENESIS_HASH;
use vigil_state::{AuditOutcome, AuditQuery, NewAuditEntry, State, StateError};

/// Entry `i` of a test chain: actors, actions, tenants and outcomes vary with `i`.
pub fn entry(i: i64) -> NewAuditEntry {
    let actor = ["user:alice", "apikey:0123abcd", "system"][i as usize % 3];
    let action = ["apikey.create", "apikey.revoke", "rules.reload", "auth.failure"][i as usize % 4];
    let outcome = if i % 5 == 4 {
        AuditOutcome::Denied
    } else {
        AuditOutcome::Success
    };
    let mut e = NewAuditEntry::new(actor, action, outcome)
        .with_at(at(i))
        .with_detail(json!({"n": i, "why": format!("step {i}")}));
    if i % 2 == 0 {
        e = e.with_target(format!("target-{i}")).with_source("10.0.0.7");
    }
    if i % 7 == 6 {
        e = e.with_tenant("acme");
    }
    e
}

/// A state whose chain holds `n` entries made by [`entry`].
pub async fn chain(n: i64) -> (State, TestDb) {
    let (state, db) = temp_state().await;
    for i in 0..n {
        state.append_audit(entry(i)).await.expect("append");
    }
    (state, db)
}

#[tokio::test]
async fn a_chain_of_entries_verifies() {
    let (state, _dir) = temp_state().await;
    let empty = state.verify_audit(&[], None).await.unwrap();
    assert!(empty.intact && empty.entries == 0 && empty.head_hash == GENESIS_HASH);

    let mut prev = GENESIS_HASH.to_owned();
    for i in 0..25 {
        let e = state.append_audit(entry(i)).await.unwrap();
        assert_eq!(e.seq, i + 1);
        assert_eq!(e.prev_hash, prev);
        assert_eq!(e.compute_hash().as_deref(), Some(e.hash.as_str()));
        assert_eq!(e.at, at(i));
        prev = e.hash;
    }
    let v = state.verify_audit(&[], None).await.unwrap();
    assert!(v.intact, "{v:?}");
    assert_eq!((v.entries, v.head_hash.as_str(), v.problem), (25, prev.as_str(), None));

    // What the export reads is what was appended, detail keys sorted.
    let all = state.audit_entries(0, 1000).await.unwrap();
    assert_eq!(all.len(), 25);
    assert_eq!(all[0].detail.as_deref(), Some(r#"{"n":0,"why":"step 0"}"#));
    assert_eq!(all[0].target.as_deref(), Some("target-0"));
    assert_eq!(all[1].target, None);
    assert_eq!(all[6].tenant, "acme");
    let wire = serde_json::to_value(&all[0]).unwrap();
    assert_eq!(wire["detail"], json!({"n": 0, "why": "step 0"}));
    assert_eq!(wire["at"], "2026-05-01T12:00:00Z");
    assert_eq!(wire["actor_kind"], "user");
    let tail = state.audit_entries(20, 3).await.unwrap();
    assert_eq!(tail.iter().map(|e| e.seq).collect::<Vec<_>>(), [21, 22, 23]);
}

#[tokio::test]
async fn append_defaults_to_now_and_rejects_bad_entries() {
    let (state, _dir) = temp_state().await;
    let before = jiff::Timestamp::now();
    let e = state
        .append_audit(NewAuditEntry::new("system", "rules.reload", AuditOutcome::Success))
        .await
        .unwrap();
    assert!(e.at >= before && e.at <= jiff::Timestamp::now());
    assert_eq!((e.actor_kind.as_str(), e.tenant.as_str()), ("system", "default"));
    let err = state
        .append_audit(NewAuditEntry::new("system", "Rules Reload", AuditOutcome::Success))
        .await
        .unwrap_err();
    assert!(matches!(err, StateError::InvalidInput(_)), "{err}");
    assert_eq!(state.verify_audit(&[], None).await.unwrap().entries, 1);
}

#[tokio::test]
async fn listing_filters_and_pages_newest_first() {
    let (state, _dir) = chain(40).await;
    let q = |f: fn(&mut AuditQuery)| {
        let mut q = AuditQuery::default();
        f(&mut q);
        q
    };
    let seqs = |p: &vigil_state::AuditPage| p.entries.iter().map(|e| e.seq).collect::<Vec<_>>();

    let all = state.list_audit(&AuditQuery::default()).await.unwrap();
    assert_eq!(seqs(&all), (1..=40).rev().collect::<Vec<_>>());
    assert_eq!(all.next_cursor, None);

    let alice = state
        .list_audit(&q(|q| q.actor = Some("user:alice".into())))
        .await
        .unwrap();
    assert!(alice.entries.iter().all(|e| e.actor == "user:alice") && alice.entries.len() == 14);
    let exact = state
        .list_audit(&q(|q| q.action = Some("apikey.revoke".into())))
        .await
        .unwrap();
    assert!(exact.entries.iter().all(|e| e.action == "apikey.revoke") && exact.entries.len() == 10);
    let prefix = state
        .list_audit(&q(|q| q.action = Some("apikey.".into())))
        .await
        .unwrap();
    assert_eq!(prefix.entries.len(), 20);
    assert!(prefix.entries.iter().all(|e| e.action.starts_with("apikey.")));
    let acme = state.list_audit(&q(|q| q.tenant = Some("acme".into()))).await.unwrap();
    assert_eq!(seqs(&acme), [35, 28, 21, 14, 7]);
    let denied = state
        .list_audit(&q(|q| q.outcome = Some(AuditOutcome::Denied)))
        .await
        .unwrap();
    assert_eq!(seqs(&denied), [40, 35, 30, 25, 20, 15, 10, 5]);
    let window = state
        .list_audit(&AuditQuery {
            since: Some(at(10)),
            until: Some(at(13)),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(seqs(&window), [13, 12, 11]);

    // Paging returns every entry once, newest first.
    let mut page_q = AuditQuery {
        limit: Some(7),
        ..AuditQuery::default()
    };
    let mut got = Vec::new();
    loop {
        let page = state.list_audit(&page_q).await.unwrap();
        got.extend(seqs(&page));
        let Some(c) = page.next_cursor else { break };
        page_q.cursor = Some(c);
    }
    assert_eq!(got, (1..=40).rev().collect::<Vec<_>>());
    // A dead-letter cursor ("d:5") is not an audit cursor.
    let err = state
        .list_audit(&q(|q| q.cursor = Some("ZDo1".into())))
        .await
        .unwrap_err();
    assert!(matches!(err, StateError::InvalidCursor));
}

#[tokio::test]
async fn update_and_delete_are_refused_by_the_triggers() {
    let (state, db) = chain(3).await;
    let cp_key = vigil_state::SigningKey::from_bytes(&[1; 32]);
    state.checkpoint_audit(&cp_key).await.unwrap().expect("a checkpoint");
    let h = "0".repeat(64);
    let row = "(seq, at, actor, actor_kind, action, outcome, prev_hash, hash) VALUES";
    let mut refused = vec![
        "UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 2".to_owned(),
        "DELETE FROM audit_log WHERE seq = 3".to_owned(),
        "DELETE FROM audit_log".to_owned(),
        // Appending out of place (a gap) is refused too.
        format!("INSERT INTO audit_log {row} (9, 0, 'x', 'x', 'x', 'success', '{h}', '{h}')"),
        "UPDATE audit_checkpoints SET hash = 'x'".to_owned(),
        "DELETE FROM audit_checkpoints".to_owned(),
    ];
    match crate::BACKEND {
        // REPLACE deletes the old row without firing DELETE triggers: the insert trigger stops it.
        Backend::Sqlite => refused.extend([
            format!("INSERT OR REPLACE INTO audit_log {row} (2, 0, 'x', 'x', 'x', 'success', '{h}', '{h}')"),
            format!("INSERT OR REPLACE INTO audit_checkpoints VALUES (3, '{h}', 0, 'k', 's')"),
        ]),
        // An upsert and TRUNCATE (which fires no row triggers) are refused as well.
        Backend::Postgres => refused.extend([
            format!(
                "INSERT INTO audit_log {row} (2, 0, 'x', 'x', 'x', 'success', '{h}', '{h}') \
                 ON CONFLICT (seq) DO UPDATE SET actor = 'x'"
            ),
            format!("INSERT INTO audit_checkpoints VALUES (3, '{h}', 0, 'k', 's') ON CONFLICT (seq) DO NOTHING"),
            "TRUNCATE audit_log".to_owned(),
            "TRUNCATE audit_checkpoints".to_owned(),
        ]),
    }
    for sql in refused {
        let err = db.exec(&sql).await.expect_err(&sql);
        assert!(err.contains("is append-only"), "{sql}: {err}");
    }
    let stored = state.audit_checkpoints().await.unwrap();
    let v = state
        .verify_audit(&stored, Some(&cp_key.verifying_key()))
        .await
        .unwrap();
    assert!(v.intact && v.entries == 3 && v.checkpoints == 1, "{v:?}");
}

#[tokio::test]
async fn concurrent_writers_leave_a_gap_free_chain() {
    let (state, db) = temp_state().await;
    // A second `State` on the same database stands for another process (the CLI beside the server).
    let other = db.open().await;
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..10i64 {
        let s = if t < 8 { state.clone() } else { other.clone() };
        tasks.spawn(async move {
            for i in 0..50 {
                let e = NewAuditEntry::new(format!("user:u{t}"), "alert.update", AuditOutcome::Success)
                    .with_target(format!("{t}-{i}"));
                s.append_audit(e).await.expect("append");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let v = other.verify_audit(&[], None).await.unwrap();
    assert!(v.intact, "{v:?}");
    assert_eq!(v.entries, 500);
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let batch = state.audit_entries(after, 1000).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = last.seq;
        seen.extend(batch.into_iter().map(|e| e.seq));
    }
    assert_eq!(seen, (1..=500).collect::<Vec<_>>());
    // Each writer's 50 entries are all there.
    for t in 0..10 {
        let page = state
            .list_audit(&AuditQuery {
                actor: Some(format!("user:u{t}")),
                limit: Some(1000),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(page.entries.len(), 50, "writer {t}");
    }
}

#[tokio::test]
async fn detail_key_order_does_not_change_the_hash() {
    let (a, _da) = temp_state().await;
    let (b, _db) = temp_state().await;
    let detail_a: serde_json::Value =
        serde_json::from_str(r#"{"to":"closed","from":"new","by":{"y":1,"x":2}}"#).unwrap();
    let detail_b: serde_json::Value =
        serde_json::from_str(r#"{"by":{"x":2,"y":1},"from":"new","to":"closed"}"#).unwrap();
    let make = |d: serde_json::Value| {
        NewAuditEntry::new("user:alice", "alert.update", AuditOutcome::Success)
            .with_target("5f0c3b9e")
            .with_at(at(0))
            .with_detail(d)
    };
    let ea = a.append_audit(make(detail_a)).await.unwrap();
    let eb = b.append_audit(make(detail_b)).await.unwrap();
    assert_eq!(ea.hash, eb.hash);
    assert_eq!(ea.detail, eb.detail);
    // A different value does change it.
    let (c, _dc) = temp_state().await;
    let ec = c
        .append_audit(make(json!({"to": "closed", "from": "ack"})))
        .await
        .unwrap();
    assert_ne!(ec.hash, ea.hash);
}

//! Tampering with the audit trail behind Vigil's back — with plain SQL on the database file, triggers
//! dropped — and what verification and signed checkpoints find.

use crate::TestDb;
use crate::audit::chain;
use vigil_state::{AuditEntry, AuditProblemKind, AuditVerify, Checkpoint, SigningKey, State};

fn key(byte: u8) -> SigningKey {
    SigningKey::from_bytes(&[byte; 32])
}

/// The first problem as (seq, kind), after checking the count of intact entries.
fn problem(v: &AuditVerify, intact_entries: u64) -> (i64, AuditProblemKind) {
    assert!(!v.intact, "{v:?}");
    assert_eq!(v.entries, intact_entries, "{v:?}");
    let p = v.problem.as_ref().expect("a problem");
    assert!(!p.reason.is_empty());
    (p.seq, p.kind)
}

async fn verify(state: &State) -> AuditVerify {
    state.verify_audit(&[], None).await.expect("verify")
}

#[tokio::test]
async fn a_modified_entry_is_found_at_its_seq() {
    for change in [
        "actor = 'user:mallory'",
        "outcome = 'success'",
        "target = NULL",
        "at = at + 1",
        "tenant = 'other'",
        // Same JSON, other bytes: the stored text is what was hashed.
        "detail = '{\"why\":\"step 4\",\"n\":4}'",
        // SQLite stores a value of any type in any column (PostgreSQL casts it to text); it still
        // reads as modified.
        "actor = 42",
    ] {
        let (state, db) = chain(10).await;
        db.tamper(&format!("UPDATE audit_log SET {change} WHERE seq = 5;"))
            .await;
        let v = verify(&state).await;
        assert_eq!(problem(&v, 4), (5, AuditProblemKind::Modified), "{change}");
        assert!(v.problem.unwrap().reason.contains("modified"));
    }
}

#[tokio::test]
async fn a_deleted_middle_entry_is_found_at_its_seq() {
    let (state, db) = chain(10).await;
    db.tamper("DELETE FROM audit_log WHERE seq = 6;").await;
    let v = verify(&state).await;
    assert_eq!(problem(&v, 5), (6, AuditProblemKind::Gap));
    assert!(v.problem.unwrap().reason.contains("entry 6 is missing"));

    // The first entry deleted: the chain does not start at 1.
    let (state, db) = chain(3).await;
    db.tamper("DELETE FROM audit_log WHERE seq = 1;").await;
    assert_eq!(problem(&verify(&state).await, 0), (1, AuditProblemKind::Gap));
}

#[tokio::test]
async fn a_deleted_entry_with_the_rest_renumbered_breaks_the_link() {
    let (state, db) = chain(10).await;
    db.tamper(
        // Through negative numbers, so no two rows hold one seq at any point.
        "DELETE FROM audit_log WHERE seq = 4; UPDATE audit_log SET seq = -seq WHERE seq > 4; \
         UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0;",
    )
    .await;
    // Entry 5, now at position 4, points at the deleted entry's hash.
    assert_eq!(problem(&verify(&state).await, 3), (4, AuditProblemKind::BrokenLink));
}

#[tokio::test]
async fn swapped_entries_are_found_at_the_first_of_them() {
    let (state, db) = chain(10).await;
    // Rows 3 and 4 trade places, each keeping its own content and hashes.
    db.tamper(
        "UPDATE audit_log SET seq = -1 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; \
         UPDATE audit_log SET seq = 4 WHERE seq = -1;",
    )
    .await;
    assert_eq!(problem(&verify(&state).await, 2), (3, AuditProblemKind::BrokenLink));

    // Only the contents swapped, hashes left in place.
    let (state, db) = chain(10).await;
    let cols = "at, actor, actor_kind, tenant, action, target, outcome, source, detail";
    db.tamper(&format!(
        "CREATE TEMP TABLE t AS SELECT seq, {cols} FROM audit_log WHERE seq IN (7, 8); \
             UPDATE audit_log SET ({cols}) = (SELECT {cols} FROM t WHERE t.seq = 15 - audit_log.seq) \
             WHERE seq IN (7, 8);"
    ))
    .await;
    assert_eq!(problem(&verify(&state).await, 6), (7, AuditProblemKind::Modified));
}

/// Rewrites the chain from `from` on the way an attacker with the file would: change entry `from`, then
/// recompute every `prev_hash` and `hash` after it so the chain alone looks intact.
async fn rewrite_consistently(state: &State, db: &TestDb, from: i64) {
    let mut entries: Vec<AuditEntry> = state.audit_entries(0, 1000).await.expect("entries");
    let mut sql = String::new();
    let mut prev: Option<String> = None;
    for e in entries.iter_mut().filter(|e| e.seq >= from) {
        if e.seq == from {
            e.actor = "user:mallory".into();
        }
        if let Some(p) = prev.take() {
            e.prev_hash = p;
        }
        e.hash = e.compute_hash().expect("hash");
        prev = Some(e.hash.clone());
        sql.push_str(&format!(
            "UPDATE audit_log SET actor = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {};",
            e.actor, e.prev_hash, e.hash, e.seq
        ));
    }
    db.tamper(&sql).await;
}

#[tokio::test]
async fn checkpoints_sign_the_head_and_verify() {
    let (state, _dir) = chain(0).await;
    let k = key(3);
    assert_eq!(state.checkpoint_audit(&k).await.unwrap(), None, "nothing to sign yet");
    for i in 0..3 {
        state.append_audit(crate::audit::entry(i)).await.unwrap();
    }
    let first = state.checkpoint_audit(&k).await.unwrap().expect("checkpoint");
    assert_eq!(first.seq, 3);
    assert_eq!(first.key_id, vigil_state::audit::key_id(&k.verifying_key()));
    first.verify(&k.verifying_key()).unwrap();
    assert_eq!(
        state.checkpoint_audit(&k).await.unwrap(),
        None,
        "unchanged since the last one"
    );
    state.append_audit(crate::audit::entry(3)).await.unwrap();
    let second = state.checkpoint_audit(&k).await.unwrap().expect("checkpoint");
    assert_eq!(second.seq, 4);

    let stored = state.audit_checkpoints().await.unwrap();
    assert_eq!(stored, [first, second]);
    // The NDJSON form reads back as written.
    let line = serde_json::to_string(&stored[0]).unwrap();
    assert_eq!(serde_json::from_str::<Checkpoint>(&line).unwrap(), stored[0]);
    let v = state.verify_audit(&stored, Some(&k.verifying_key())).await.unwrap();
    assert!(
        v.intact && v.checkpoints == 2 && v.signatures_checked && v.entries == 4,
        "{v:?}"
    );
}

#[tokio::test]
async fn a_consistently_rewritten_chain_is_caught_by_a_checkpoint() {
    let (state, db) = chain(6).await;
    let k = key(4);
    let mut kept = vec![state.checkpoint_audit(&k).await.unwrap().unwrap()];
    for i in 6..10 {
        state.append_audit(crate::audit::entry(i)).await.unwrap();
    }
    kept.push(state.checkpoint_audit(&k).await.unwrap().unwrap());

    rewrite_consistently(&state, &db, 4).await;
    // The chain alone looks intact …
    let alone = verify(&state).await;
    assert!(alone.intact && alone.entries == 10, "{alone:?}");
    // … the checkpoints kept elsewhere do not agree.
    let v = state.verify_audit(&kept, Some(&k.verifying_key())).await.unwrap();
    assert_eq!(problem(&v, 5), (6, AuditProblemKind::CheckpointMismatch));
    // Without the signature check the hashes still disagree.
    let v = state.verify_audit(&kept[1..], None).await.unwrap();
    assert_eq!(problem(&v, 9), (10, AuditProblemKind::CheckpointMismatch));

    // Re-signing the rewritten chain needs the key: with another one, the signature gives it away.
    let forged = Checkpoint::sign(&key(9), 10, &verify(&state).await.head_hash, kept[1].at).unwrap();
    let v = state.verify_audit(&[forged], Some(&k.verifying_key())).await.unwrap();
    assert_eq!(problem(&v, 9), (10, AuditProblemKind::BadSignature));
}

#[tokio::test]
async fn a_truncated_chain_is_caught_by_a_checkpoint() {
    let (state, db) = chain(10).await;
    let k = key(5);
    let kept = vec![state.checkpoint_audit(&k).await.unwrap().unwrap()];
    db.tamper("DELETE FROM audit_log WHERE seq > 8;").await;
    let alone = verify(&state).await;
    assert!(
        alone.intact && alone.entries == 8,
        "the chain alone cannot show a cut-off end"
    );
    let v = state.verify_audit(&kept, Some(&k.verifying_key())).await.unwrap();
    assert_eq!(problem(&v, 8), (10, AuditProblemKind::Truncated));
    assert!(v.problem.unwrap().reason.contains("ends at 8"));
}

#[tokio::test]
async fn a_wrong_public_key_is_caught() {
    let (state, _dir) = chain(5).await;
    let cp = state.checkpoint_audit(&key(6)).await.unwrap().unwrap();
    let v = state
        .verify_audit(std::slice::from_ref(&cp), Some(&key(7).verifying_key()))
        .await
        .unwrap();
    assert_eq!(problem(&v, 4), (5, AuditProblemKind::BadSignature));
    assert!(v.problem.unwrap().reason.contains("signed by key"));
    // A damaged signature is caught too.
    let mut damaged = cp;
    damaged.signature.replace_range(
        0..2,
        if damaged.signature.starts_with("00") {
            "11"
        } else {
            "00"
        },
    );
    let v = state
        .verify_audit(&[damaged], Some(&key(6).verifying_key()))
        .await
        .unwrap();
    assert_eq!(problem(&v, 4), (5, AuditProblemKind::BadSignature));
}

//! Evidence attachments: stored with the SHA-256 and size Vigil computed, listed without their
//! content, read back byte for byte, never changed in place (the trigger), deleted with a
//! timeline entry naming the file and hash, gone with their incident; each change audited;
//! tenants and incidents apart.

use crate::{at, temp_state};
use vigil_api_types::incidents::NewIncident;
use vigil_respond::{PriorityMatrix, Severity};
use vigil_state::attachments::{NewAttachment, actions, sha256_hex};
use vigil_state::{Actor, AuditOutcome, AuditQuery, NewAuditEntry, State, StateError};

fn by(actor: &str, action: &str, tenant: &str, secs: i64) -> Actor {
    Actor {
        id: actor.into(),
        audit: NewAuditEntry::new(actor, action, AuditOutcome::Success).with_tenant(tenant),
        at: Some(at(secs)),
    }
}

async fn incident(state: &State, tenant: &str) -> String {
    let new = NewIncident {
        title: "Dropper on web-1".into(),
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
    };
    let who = by("user:ann", "incident.create", tenant, 1);
    let s = state
        .create_incident(tenant, &new, &PriorityMatrix::default(), &who)
        .await
        .expect("incident");
    s.incident.id
}

fn detail_of(e: &vigil_state::AuditEntry) -> serde_json::Value {
    serde_json::from_str(e.detail.as_deref().expect("detail")).expect("json")
}

/// Bytes that are not text: every byte value, and a NUL first.
fn evidence() -> Vec<u8> {
    (0..=255u8).rev().chain(0..=255u8).collect()
}

fn file<'a>(name: &'a str, content: &'a [u8]) -> NewAttachment<'a> {
    NewAttachment {
        name,
        media_type: "application/vnd.tcpdump.pcap",
        description: "capture of the beacon",
        content,
    }
}

#[tokio::test]
async fn stored_with_its_hash_listed_read_back_and_audited() {
    let (state, _db) = temp_state().await;
    let inc = incident(&state, "default").await;
    let content = evidence();
    let a = state
        .add_attachment(
            "default",
            &inc,
            &file("C:\\cases\\beacon.pcap", &content),
            &by("user:ann", actions::CREATE, "default", 10),
        )
        .await
        .expect("add")
        .expect("the incident exists");
    assert!(a.id.starts_with("att-"), "{}", a.id);
    assert_eq!(
        (
            a.name.as_str(),
            a.size,
            a.sha256.as_str(),
            a.created,
            a.created_by.as_str()
        ),
        ("beacon.pcap", 512, sha256_hex(&content).as_str(), at(10), "user:ann")
    );
    assert_eq!(a.media_type, "application/vnd.tcpdump.pcap");
    let second = state
        .add_attachment(
            "default",
            &inc,
            &file("notes.txt", b"second"),
            &by("user:bob", actions::CREATE, "default", 20),
        )
        .await
        .expect("add")
        .expect("found");

    let listed = state
        .list_attachments("default", &inc)
        .await
        .expect("list")
        .expect("found");
    assert_eq!(listed, [a.clone(), second.clone()], "oldest first, metadata only");
    let (meta, bytes) = state
        .get_attachment("default", &inc, &a.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!((meta, bytes), (a.clone(), content));

    let stored = state
        .get_incident("default", &inc, true)
        .await
        .expect("get")
        .expect("found");
    let entry = stored
        .incident
        .timeline
        .iter()
        .find(|t| t.kind == "attachment")
        .expect("a timeline entry");
    assert_eq!(
        entry.text,
        format!("attachment added: beacon.pcap (512 bytes, sha256 {})", a.sha256)
    );
    assert_eq!(entry.detail.as_ref().expect("detail")["attachment_id"], a.id.as_str());
    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    let created = audit
        .entries
        .iter()
        .find(|e| e.target.as_deref() == Some(&format!("attachment:{}", a.id)))
        .expect("audited");
    assert_eq!(created.action, actions::CREATE);
    let detail = detail_of(created);
    assert_eq!(detail["sha256"], a.sha256.as_str());
    assert_eq!(detail["incident_id"], inc.as_str());
}

#[tokio::test]
async fn refused_empty_unnamed_or_for_no_incident_and_nothing_stored() {
    let (state, _db) = temp_state().await;
    let inc = incident(&state, "default").await;
    let who = by("user:ann", actions::CREATE, "default", 10);
    for bad in [
        file("empty.bin", b""),
        file("dir/", b"x"),
        file("bell\u{7}.txt", b"x"),
        NewAttachment {
            media_type: "not a type",
            ..file("x.bin", b"x")
        },
    ] {
        let err = state.add_attachment("default", &inc, &bad, &who).await;
        assert!(matches!(err, Err(StateError::InvalidInput(_))), "{bad:?}: {err:?}");
    }
    let none = state
        .add_attachment("default", "inc-missing", &file("x.bin", b"x"), &who)
        .await
        .expect("no error");
    assert!(none.is_none());
    assert_eq!(
        state.list_attachments("default", &inc).await.expect("list"),
        Some(vec![])
    );
    assert_eq!(
        state.list_attachments("default", "inc-missing").await.expect("list"),
        None
    );
}

#[tokio::test]
async fn the_content_cannot_be_changed_in_place() {
    let (state, db) = temp_state().await;
    let inc = incident(&state, "default").await;
    let a = state
        .add_attachment(
            "default",
            &inc,
            &file("x.bin", b"original"),
            &by("user:ann", actions::CREATE, "default", 10),
        )
        .await
        .expect("add")
        .expect("found");
    for sql in [
        format!(
            "UPDATE attachments SET content = content || content WHERE id = '{}'",
            a.id
        ),
        format!("UPDATE attachments SET sha256 = 'forged' WHERE id = '{}'", a.id),
    ] {
        let err = db.exec(&sql).await.expect_err("the trigger refuses it");
        assert!(err.contains("immutable") || err.contains("append-only"), "{err}");
    }
    let (meta, bytes) = state
        .get_attachment("default", &inc, &a.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!((meta.sha256, bytes), (sha256_hex(b"original"), b"original".to_vec()));
}

#[tokio::test]
async fn another_tenant_or_incident_neither_sees_nor_deletes_it() {
    let (state, _db) = temp_state().await;
    let inc = incident(&state, "default").await;
    let other_inc = incident(&state, "default").await;
    let theirs = incident(&state, "acme").await;
    let a = state
        .add_attachment(
            "default",
            &inc,
            &file("x.bin", b"ours"),
            &by("user:ann", actions::CREATE, "default", 10),
        )
        .await
        .expect("add")
        .expect("found");
    let acme = by("user:zed", actions::CREATE, "acme", 20);
    assert!(
        state
            .add_attachment("acme", &inc, &file("y.bin", b"x"), &acme)
            .await
            .expect("add")
            .is_none(),
        "not to another tenant's incident"
    );
    assert_eq!(state.list_attachments("acme", &inc).await.expect("list"), None);
    assert_eq!(
        state.list_attachments("acme", &theirs).await.expect("list"),
        Some(vec![])
    );
    for (tenant, incident) in [("acme", &inc), ("acme", &theirs), ("default", &other_inc)] {
        assert!(
            state
                .get_attachment(tenant, incident, &a.id)
                .await
                .expect("get")
                .is_none(),
            "{tenant} {incident}"
        );
        let who = by("user:zed", actions::DELETE, tenant, 30);
        assert!(
            state
                .delete_attachment(tenant, incident, &a.id, &who)
                .await
                .expect("delete")
                .is_none(),
            "{tenant} {incident}"
        );
    }
    assert!(
        state
            .get_attachment("default", &inc, &a.id)
            .await
            .expect("get")
            .is_some()
    );
}

#[tokio::test]
async fn deleted_with_a_timeline_entry_and_with_its_incident() {
    let (state, _db) = temp_state().await;
    let inc = incident(&state, "default").await;
    let add = |name: &'static str, secs| {
        let state = state.clone();
        let inc = inc.clone();
        async move {
            let who = by("user:ann", actions::CREATE, "default", secs);
            state
                .add_attachment("default", &inc, &file(name, name.as_bytes()), &who)
                .await
                .expect("add")
                .expect("found")
        }
    };
    let a = add("a.bin", 10).await;
    let b = add("b.bin", 20).await;
    let gone = state
        .delete_attachment("default", &inc, &a.id, &by("user:root", actions::DELETE, "default", 30))
        .await
        .expect("delete")
        .expect("found");
    assert_eq!(gone, a);
    assert_eq!(
        state.list_attachments("default", &inc).await.expect("list"),
        Some(vec![b.clone()])
    );
    let stored = state
        .get_incident("default", &inc, true)
        .await
        .expect("get")
        .expect("found");
    let entry = stored
        .incident
        .timeline
        .iter()
        .find(|t| t.kind == "attachment_deleted")
        .expect("a timeline entry");
    assert_eq!(entry.text, format!("attachment a.bin (sha256 {}) deleted", a.sha256));
    assert_eq!((entry.actor.as_str(), entry.at), ("user:root", at(30)));
    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    assert!(
        audit
            .entries
            .iter()
            .any(|e| e.action == actions::DELETE && detail_of(e)["name"] == "a.bin"),
        "audited"
    );

    // Deleting the incident deletes the rest of its evidence.
    let who = by("user:root", "incident.delete", "default", 40);
    assert!(state.delete_incident("default", &inc, &who).await.expect("delete"));
    assert!(
        state
            .get_attachment("default", &inc, &b.id)
            .await
            .expect("get")
            .is_none()
    );
    let audit = state.list_audit(&AuditQuery::default()).await.expect("audit");
    let deleted = audit
        .entries
        .iter()
        .find(|e| e.action == "incident.delete")
        .expect("audited");
    assert_eq!(detail_of(deleted)["attachments_deleted"], 1, "{:?}", deleted.detail);
}

//! E-mail end to end, on SQLite and PostgreSQL: an incident left unacknowledged escalates, and the
//! running server delivers the escalation through an `email` channel to a real SMTP server
//! (aiosmtpd from `$VIGIL_PYTHON` on a free loopback port). The test reads the message that
//! arrived — subject naming the incident, `Message-ID: <delivery@vigil>`, `X-Vigil-Delivery` — and
//! finds that delivery on the incident's timeline over the API.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigil_server::escalation::{EscalationLevel, EscalationPolicy, Until};
use vigil_state::Role;

use crate::harness::{TestServer, http};

#[path = "../../../vigil-notify/tests/notify/smtp.rs"]
pub(crate) mod smtp;

use smtp::{SmtpServer, body, header};

pub(crate) const TITLE: &str = "Ransomware note on fileserver-7";

/// An `email` channel to the loopback relay on `port`, unencrypted (allowed for loopback only).
pub(crate) fn email_channel(port: u16, to: &[&str]) -> vigil_notify::Channel {
    serde_json::from_value(json!({
        "type": "email",
        "from": "Vigil <vigil@soc.example>",
        "to": to,
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
    }))
    .expect("channel")
}

/// One escalation policy whose single level notifies `notify` one second after creation.
pub(crate) fn escalate_after_a_second(notify: &[&str]) -> EscalationPolicy {
    EscalationPolicy {
        name: "unacknowledged".into(),
        priorities: vec![],
        until: Until::Acknowledged,
        levels: vec![EscalationLevel {
            after: Duration::from_secs(1),
            notify: notify.iter().map(|n| (*n).to_owned()).collect(),
            repeat: None,
        }],
    }
}

/// Creates an incident by hand over the API; its id.
pub(crate) async fn create_incident(s: &TestServer, title: &str) -> String {
    let new = json!({"title": title, "severity": 4, "classification": "malicious-code:infected-system",
                     "alert_ids": []});
    let (status, incident) = http(
        s.http,
        "POST",
        "/api/v1/incidents",
        Some(s.key(Role::Analyst)),
        Some(new),
    )
    .await;
    assert_eq!(status, 201, "{incident}");
    incident["id"].as_str().expect("id").to_owned()
}

/// Waits (at most 30 s) for the incident's timeline to hold an entry of `kind` for which `ok`
/// holds; returns that entry.
pub(crate) async fn timeline_entry(s: &TestServer, id: &str, kind: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, incident) = http(
            s.http,
            "GET",
            &format!("/api/v1/incidents/{id}"),
            Some(s.key(Role::Viewer)),
            None,
        )
        .await;
        assert_eq!(status, 200, "{incident}");
        let entries = incident["timeline"].as_array().cloned().unwrap_or_default();
        if let Some(e) = entries.iter().find(|e| e["kind"] == kind && ok(e)) {
            return e.clone();
        }
        assert!(Instant::now() < deadline, "no {kind} entry on {id}: {entries:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The first message in the relay's maildir, waiting up to 10 s (off the runtime's threads).
pub(crate) async fn first_message(relay: &SmtpServer) -> String {
    let messages = tokio::task::block_in_place(|| relay.messages(1));
    assert_eq!(
        messages.len(),
        1,
        "messages: {messages:#?}\nrelay log:\n{}",
        relay.log()
    );
    messages[0].clone()
}

async fn scenario(postgres: bool) {
    let relay = SmtpServer::start(&[]);
    let port = relay.port;
    let s = TestServer::start_on(postgres, move |c| {
        let n = &mut c.respond.notify;
        n.channels
            .insert("soc-mail".into(), email_channel(port, &["soc@soc.example"]));
        n.outbound.allow = vec!["127.0.0.1/32".into()];
        n.check_interval = Duration::from_millis(200);
        n.escalation = vec![escalate_after_a_second(&["soc-mail"])];
    })
    .await;
    let id = create_incident(&s, TITLE).await;

    let m = first_message(&relay).await;
    let subject = header(&m, "Subject").unwrap_or_default();
    assert!(
        subject.contains(TITLE) && subject.contains("Escalation"),
        "subject: {subject}"
    );
    let delivery = header(&m, "X-Vigil-Delivery").expect("X-Vigil-Delivery");
    assert!(delivery.starts_with(&id), "{delivery} is about {id}");
    assert_eq!(header(&m, "Message-ID"), Some(format!("<{delivery}@vigil>")));
    assert_eq!(header(&m, "X-RcptTo").as_deref(), Some("soc@soc.example"));
    assert!(body(&m).contains(&format!("Incident {id}")), "{m}");

    // The same delivery, recorded on the incident's timeline over the API.
    let entry = timeline_entry(&s, &id, "notification", |e| {
        e["detail"]["delivery"] == delivery.as_str()
    })
    .await;
    assert_eq!(entry["detail"]["channel"], "soc-mail", "{entry}");
    assert_eq!(entry["detail"]["status"], "delivered", "{entry}");
    assert!(
        entry["text"].as_str().is_some_and(|t| t.contains("250")),
        "the relay's answer: {entry}"
    );
    timeline_entry(&s, &id, "escalated", |e| {
        e["text"].as_str().is_some_and(|t| t.contains("soc-mail"))
    })
    .await;
    s.stop().await;
    assert_eq!(relay.messages(1).len(), 1, "delivered once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_email_reaches_a_real_smtp_server_and_the_timeline_on_sqlite() {
    scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_email_reaches_a_real_smtp_server_and_the_timeline_on_postgres() {
    scenario(true).await;
}

/// An escalation to `oncall:soc-primary` is addressed to whoever is on call when the level fires —
/// here `dave`, by an override around now — through the rotation's e-mail channel, whose own `to`
/// his address replaces; the timeline names him, and `GET /api/v1/oncall` shows him on call.
async fn oncall_scenario(postgres: bool) {
    let relay = SmtpServer::start(&[]);
    let port = relay.port;
    let local = |t: jiff::Timestamp| {
        t.to_zoned(jiff::tz::TimeZone::UTC)
            .strftime("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let now = jiff::Timestamp::now();
    let spec = vigil_respond::RotationSpec {
        zone: "UTC".into(),
        handover: "monday 09:00".into(),
        members: vec!["alice".into(), "bob".into()],
        start: "2026-01-05".into(),
        overrides: vec![vigil_respond::OverrideSpec {
            from: local(now - jiff::SignedDuration::from_hours(1)),
            to: local(now + jiff::SignedDuration::from_hours(1)),
            member: "dave".into(),
        }],
    };
    let rotation = spec.build().expect("rotation");
    let s = TestServer::start_on(postgres, move |c| {
        let n = &mut c.respond.notify;
        n.channels
            .insert("oncall-mail".into(), email_channel(port, &["nobody@soc.example"]));
        n.outbound.allow = vec!["127.0.0.1/32".into()];
        n.check_interval = Duration::from_millis(200);
        n.escalation = vec![escalate_after_a_second(&["oncall:soc-primary"])];
        let target = vigil_server::oncall::OncallTarget {
            rotation,
            channel: "oncall-mail".into(),
        };
        n.recipients.oncall.insert("soc-primary".into(), target);
        for p in ["alice", "bob", "dave"] {
            let email = format!("{p}@soc.example");
            n.recipients
                .people
                .insert(p.into(), vigil_server::oncall::Person { email });
        }
    })
    .await;
    let id = create_incident(&s, TITLE).await;

    let m = first_message(&relay).await;
    assert_eq!(header(&m, "X-RcptTo").as_deref(), Some("dave@soc.example"), "{m}");
    assert_eq!(header(&m, "To").as_deref(), Some("dave@soc.example"));
    assert!(body(&m).contains("On call: dave"), "{m}");
    let delivery = header(&m, "X-Vigil-Delivery").expect("X-Vigil-Delivery");
    let escalated = timeline_entry(&s, &id, "escalated", |_| true).await;
    assert!(
        escalated["text"]
            .as_str()
            .is_some_and(|t| t.contains("notified oncall:soc-primary (dave)")),
        "{escalated}"
    );
    assert_eq!(escalated["detail"]["notified"], json!(["oncall:soc-primary (dave)"]));
    let sent = timeline_entry(&s, &id, "notification", |e| {
        e["detail"]["delivery"] == delivery.as_str()
    })
    .await;
    assert_eq!(
        (sent["detail"]["channel"].as_str(), sent["detail"]["status"].as_str()),
        (Some("oncall-mail"), Some("delivered")),
        "{sent}"
    );

    // Who is on call, over the API: a viewer reads it; without credentials, 401.
    let (status, list) = http(s.http, "GET", "/api/v1/oncall", Some(s.key(Role::Viewer)), None).await;
    assert_eq!(status, 200, "{list}");
    let rotation = &list["rotations"][0];
    assert_eq!(
        (rotation["rotation"].as_str(), rotation["zone"].as_str()),
        (Some("soc-primary"), Some("UTC")),
        "{list}"
    );
    assert_eq!(rotation["members"], json!(["alice", "bob"]));
    assert_eq!(
        (
            rotation["on_call"]["member"].as_str(),
            rotation["on_call"]["by_override"].as_bool()
        ),
        (Some("dave"), Some(true)),
        "{list}"
    );
    let instant = |v: &Value| {
        v.as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .expect("instant")
    };
    let until = instant(&rotation["on_call"]["until"]);
    assert!(
        now < until && until <= now + jiff::SignedDuration::from_hours(1),
        "the override ends within the hour: {list}"
    );
    assert!(instant(&rotation["next"]["until"]) > until, "{list}");
    let (status, answer) = http(s.http, "GET", "/api/v1/oncall", None, None).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (401, Some("unauthorized")));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_to_an_oncall_rotation_emails_the_person_on_call_on_sqlite() {
    oncall_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_to_an_oncall_rotation_emails_the_person_on_call_on_postgres() {
    oncall_scenario(true).await;
}

/// An escalation level naming `person:carol` and `team:tier2` (alice and bob) sends two e-mails
/// through `[respond] people_channel`: one to carol, one addressed to both members; the timeline
/// names who was notified.
async fn people_and_team_scenario(postgres: bool) {
    let relay = SmtpServer::start(&[]);
    let port = relay.port;
    let s = TestServer::start_on(postgres, move |c| {
        let n = &mut c.respond.notify;
        n.channels
            .insert("people-mail".into(), email_channel(port, &["nobody@soc.example"]));
        n.outbound.allow = vec!["127.0.0.1/32".into()];
        n.check_interval = Duration::from_millis(200);
        n.escalation = vec![escalate_after_a_second(&["person:carol", "team:tier2"])];
        let r = &mut n.recipients;
        r.people_channel = Some("people-mail".into());
        for p in ["alice", "bob", "carol"] {
            let email = format!("{p}@soc.example");
            r.people.insert(p.into(), vigil_server::oncall::Person { email });
        }
        let members = vec!["alice".into(), "bob".into()];
        r.teams.insert("tier2".into(), vigil_server::oncall::Team { members });
    })
    .await;
    let id = create_incident(&s, TITLE).await;

    let messages = tokio::task::block_in_place(|| relay.messages(2));
    let mut to: Vec<String> = messages
        .iter()
        .map(|m| header(m, "X-RcptTo").unwrap_or_default())
        .collect();
    to.sort();
    assert_eq!(
        to,
        ["alice@soc.example, bob@soc.example", "carol@soc.example"],
        "{messages:#?}"
    );
    let escalated = timeline_entry(&s, &id, "escalated", |_| true).await;
    assert_eq!(
        escalated["detail"]["notified"],
        json!(["person:carol", "team:tier2 (alice, bob)"]),
        "{escalated}"
    );
    for m in &messages {
        let delivery = header(m, "X-Vigil-Delivery").expect("X-Vigil-Delivery");
        let sent = timeline_entry(&s, &id, "notification", |e| {
            e["detail"]["delivery"] == delivery.as_str()
        })
        .await;
        assert_eq!(
            (sent["detail"]["channel"].as_str(), sent["detail"]["status"].as_str()),
            (Some("people-mail"), Some("delivered")),
            "{sent}"
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_to_a_person_and_a_team_emails_their_addresses_on_sqlite() {
    people_and_team_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_to_a_person_and_a_team_emails_their_addresses_on_postgres() {
    people_and_team_scenario(true).await;
}

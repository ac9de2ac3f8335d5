//! The headline scenario of issue 16 against a running server, on SQLite and PostgreSQL: attack
//! events in → a grouped alert → an incident auto-created for it → SLA warning → the escalation
//! webhook reaches a real local HTTP receiver with a valid signature → acknowledging stops the
//! chain → closing without a resolution is refused → closing with one succeeds.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::{Router, body::Bytes, http::HeaderMap, routing::post};
use serde_json::{Value, json};
use vigil_notify::signature::{DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use vigil_server::escalation::{EscalationLevel, EscalationPolicy, Until};
use vigil_state::Role;

use crate::harness::http;

const SECRET: &str = "receiver-shared-secret";

/// What the receiver got: (delivery id, kind, signature valid).
type Received = Arc<Mutex<Vec<(String, String, bool)>>>;

async fn receiver() -> (std::net::SocketAddr, Received) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let valid = vigil_notify::verify_signature(SECRET, &h(TIMESTAMP_HEADER), &body, &h(SIGNATURE_HEADER));
                let kind = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| v["kind"].as_str().map(String::from));
                sink.lock()
                    .expect("lock")
                    .push((h(DELIVERY_HEADER), kind.unwrap_or_default(), valid));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (addr, got)
}

fn kinds(got: &Received) -> Vec<String> {
    got.lock().expect("lock").iter().map(|(_, k, _)| k.clone()).collect()
}

async fn wait_for(what: &str, deadline: Duration, mut ok: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while !ok() {
        assert!(Instant::now() < end, "waited {deadline:?} for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn scenario(postgres: bool) {
    let (addr, got) = receiver().await;
    let s = crate::harness::TestServer::start_on(postgres, move |c| {
        let r = &mut c.respond;
        r.auto_incident = vec![vigil_server::auto_incident::AutoIncidentPolicy {
            name: "high alerts".into(),
            min_level: vigil_event::Level::High,
            count: 1,
            within: Duration::ZERO,
            classification: "intrusion-attempts:exploit".into(),
        }];
        let channel: vigil_notify::Channel = serde_json::from_value(json!({
            "type": "webhook", "url": format!("http://{addr}/hook"), "secret": SECRET,
        }))
        .expect("channel");
        r.notify.channels.insert("soc".into(), channel);
        r.notify.outbound.allow = vec!["127.0.0.1/32".into()];
        r.notify.on_sla_warning = vec!["soc".into()];
        r.notify.check_interval = Duration::from_millis(200);
        r.notify.escalation = vec![EscalationPolicy {
            name: "unacknowledged".into(),
            priorities: vec![],
            until: Until::Acknowledged,
            levels: vec![EscalationLevel {
                after: Duration::from_secs(1),
                notify: vec!["soc".into()],
                repeat: Some(Duration::from_secs(1)),
            }],
        }];
        // P2 (high: impact high, urgency medium): 4 s to acknowledge, warning at half.
        let mut p = r.sla.by_priority().clone();
        p[1].acknowledge = Some(jiff::SignedDuration::from_secs(4));
        p[1].warn_share = 0.5;
        r.sla = vigil_respond::SlaPolicies::new(p, Default::default()).expect("policies");
    })
    .await;
    // Five attack events on one host: one grouped alert, one incident.
    let lines: Vec<String> = (0..5)
        .map(|i| format!("<13>1 2026-11-23T10:00:0{i}Z web01 app 42 - - vigil-test-evil {i}"))
        .collect();
    s.syslog_tcp(&lines).await;
    let key = |r| s.key(r).to_owned();
    let mut incident = Value::Null;
    wait_for("the auto-created incident", Duration::from_secs(30), || {
        let page = futures_lite(http(s.http, "GET", "/api/v1/incidents", Some(&key(Role::Viewer)), None));
        incident = page.1["incidents"][0].clone();
        page.1["total"] == 1
    })
    .await;
    let id = incident["id"].as_str().expect("id").to_owned();
    wait_for(
        "an SLA warning and an escalation at the receiver",
        Duration::from_secs(30),
        || {
            let k = kinds(&got);
            k.iter().any(|k| k == "sla_warning") && k.iter().any(|k| k == "escalation")
        },
    )
    .await;
    assert!(
        got.lock()
            .expect("lock")
            .iter()
            .all(|(id, _, valid)| *valid && !id.is_empty()),
        "signatures"
    );

    // Acknowledging stops the chain.
    let path = format!("/api/v1/incidents/{id}");
    let (status, body) = http(
        s.http,
        "PATCH",
        &path,
        Some(&key(Role::Analyst)),
        Some(json!({"status": "acknowledged"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let escalations = || kinds(&got).iter().filter(|k| *k == "escalation").count();
    let after_ack = escalations();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(escalations(), after_ack, "no escalation after the acknowledgement");

    let (_, got_incident) = http(s.http, "GET", &path, Some(&key(Role::Viewer)), None).await;
    let timeline: Vec<&str> = got_incident["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|t| t["kind"].as_str())
        .collect();
    for kind in ["created", "alert_linked", "sla_warning", "escalated", "notification"] {
        assert!(timeline.contains(&kind), "{kind}: {timeline:?}");
    }
    let (status, body) = http(
        s.http,
        "PATCH",
        &path,
        Some(&key(Role::Lead)),
        Some(json!({"status": "closed"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let close = json!({"status": "closed", "resolution": "Blocked at the proxy.", "lessons_learned": "Patch faster."});
    crate::tasks::finish_mandatory_tasks(s.http, &key(Role::Analyst), &id).await;
    let (status, body) = http(s.http, "PATCH", &path, Some(&key(Role::Lead)), Some(close)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("closed")), "{body}");
    s.stop().await;
}

/// Runs a future to completion from inside a sync closure on the multi-thread runtime.
fn futures_lite<F: Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_escalates_to_a_signed_webhook_until_acknowledged_on_sqlite() {
    scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_escalates_to_a_signed_webhook_until_acknowledged_on_postgres() {
    scenario(true).await;
}

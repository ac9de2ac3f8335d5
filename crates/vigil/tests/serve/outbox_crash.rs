//! The notification outbox across `kill -9`, on SQLite and PostgreSQL: incidents escalate to a
//! webhook on a real local HTTP receiver; the server is killed while the receiver holds one
//! delivery open (sent, not yet recorded), then restarted on the same data directory.
//!
//! The guarantee under test is **at least once, with a stable id**: every queued notification
//! arrives (the number of DISTINCT `X-Vigil-Delivery` ids equals the notifications queued, none
//! lost), and a notification may arrive more than once only under the same id — the one in flight
//! at the kill is sent again after the restart, and a retried one (the receiver fails one first
//! try) keeps its id. A receiver deduplicates by `X-Vigil-Delivery` (docs/respond.md).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{BASE_CONFIG, Env, Server, VIGIL};

/// Incidents created; each escalates at two levels, one notification each.
const INCIDENTS: usize = 6;
const LEVELS: usize = 2;
/// The receiver answers 503 to this request (counted from 1): a retry with backoff.
const FAIL_REQUEST: usize = 2;
/// The receiver holds this request open; the server is killed meanwhile.
const HOLD_REQUEST: usize = 4;

/// The delivery ids the receiver got, in arrival order (repeats included), and whether each was
/// answered 200.
type Got = Arc<Mutex<Vec<(String, bool)>>>;

/// A tiny HTTP receiver: records each request's `X-Vigil-Delivery`, answers after 100 ms, fails
/// request [`FAIL_REQUEST`] with 503 and holds request [`HOLD_REQUEST`] for 5 s after telling
/// `held` its id.
fn receiver(held: mpsc::Sender<String>) -> (SocketAddr, Got) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
    let addr = listener.local_addr().expect("address");
    let got: Got = Arc::default();
    let sink = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (sink, held) = (sink.clone(), held.clone());
            std::thread::spawn(move || answer(stream, &sink, &held));
        }
    });
    (addr, got)
}

fn answer(mut stream: TcpStream, got: &Got, held: &mpsc::Sender<String>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(id) = read_request(&stream) else { return };
    let n = {
        let mut got = got.lock().expect("lock");
        let n = got.len() + 1;
        got.push((id.clone(), n_ok(n)));
        n
    };
    let status = if n_ok(n) { "200 OK" } else { "503 Service Unavailable" };
    if n == HOLD_REQUEST {
        let _ = held.send(id);
        std::thread::sleep(Duration::from_secs(5));
    } else {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    );
}

/// Whether request `n` (counted from 1) is answered 200.
fn n_ok(n: usize) -> bool {
    n != FAIL_REQUEST
}

/// Reads one request; its `X-Vigil-Delivery` header (`None` when absent or unreadable).
fn read_request(stream: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream);
    let (mut id, mut length) = (None, 0usize);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "x-vigil-delivery" => id = Some(value.trim().to_owned()),
                "content-length" => length = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    id
}

fn config(receiver: SocketAddr, state: &str) -> String {
    format!(
        "{BASE_CONFIG}{state}
[respond]
check_interval = \"200ms\"
outbound = {{ allow = [\"127.0.0.1/32\"] }}

[respond.channels.hook]
type = \"webhook\"
url = \"http://{receiver}/hook\"

[[respond.escalation]]
name = \"unacknowledged\"
[[respond.escalation.levels]]
after = \"1s\"
notify = [\"hook\"]
[[respond.escalation.levels]]
after = \"2s\"
notify = [\"hook\"]
"
    )
}

/// An analyst API key made with `vigil apikey create`, in the PostgreSQL state when given.
fn analyst_key(env: &Env, state_url: Option<&str>) -> String {
    let mut cmd = Command::new(VIGIL);
    cmd.args(["apikey", "create", "--role", "analyst", "--name", "outbox"])
        .arg("--data-dir")
        .arg(&env.data_dir)
        .env_remove("VIGIL_STATE_URL");
    if let Some(url) = state_url {
        cmd.args(["--state-url", url]);
    }
    let out = cmd.output().expect("run vigil apikey create");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    stdout.lines().last().expect("the secret").trim().to_owned()
}

fn create_incidents(server: &Server, key: &str) -> Vec<String> {
    let auth = format!("Bearer {key}");
    (0..INCIDENTS)
        .map(|n| {
            let body = json!({"title": format!("outbox crash {n}"), "severity": 4,
                              "classification": "malicious-code:infected-system", "alert_ids": []});
            let r = crate::http::request(
                server.http,
                "POST",
                "/api/v1/incidents",
                &[("Authorization", &auth), ("Content-Type", "application/json")],
                body.to_string().as_bytes(),
            )
            .expect("create incident");
            assert_eq!(r.status, 201, "{}", r.text());
            r.json()["id"].as_str().expect("id").to_owned()
        })
        .collect()
}

/// Requests per delivery id.
fn counts(got: &Got) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (id, _) in got.lock().expect("lock").iter() {
        *counts.entry(id.clone()).or_default() += 1;
    }
    counts
}

/// The distinct delivery ids answered 200 at least once.
fn delivered(got: &Got) -> BTreeSet<String> {
    got.lock()
        .expect("lock")
        .iter()
        .filter(|(_, ok)| *ok)
        .map(|(id, _)| id.clone())
        .collect()
}

/// The `notification` entries of an incident's timeline: (delivery id, status).
fn deliveries_on_timeline(server: &Server, id: &str) -> (Vec<(String, String)>, usize) {
    let r = server.api_get(&format!("/api/v1/incidents/{id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    let incident: Value = r.json();
    let timeline = incident["timeline"].as_array().cloned().unwrap_or_default();
    let of = |e: &Value, k: &str| e["detail"][k].as_str().unwrap_or_default().to_owned();
    let deliveries = timeline
        .iter()
        .filter(|e| e["kind"] == "notification")
        .map(|e| (of(e, "delivery"), of(e, "status")))
        .collect();
    let escalated = timeline.iter().filter(|e| e["kind"] == "escalated").count();
    (deliveries, escalated)
}

fn scenario(state_url: Option<&str>) {
    let (held_tx, held_rx) = mpsc::channel();
    let (addr, got) = receiver(held_tx);
    let state = state_url.map_or_else(String::new, |url| format!("\n[state]\nurl = \"{url}\"\n"));
    let env = Env::with_state(&config(addr, &state), state_url);
    let key = analyst_key(&env, state_url);
    let mut server = env.start(false);
    let incidents = create_incidents(&server, &key);

    // Killed while the receiver holds a delivery: sent, its outcome not recorded.
    let in_flight = held_rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("no delivery held within 60 s:\n{}", server.log()));
    server.kill9();
    let before = delivered(&got);
    assert!(
        before.len() < INCIDENTS * LEVELS,
        "all delivered before the kill: {before:?}"
    );

    let server = env.start(false);
    let expected = INCIDENTS * LEVELS;
    let deadline = Instant::now() + Duration::from_secs(60);
    while delivered(&got).len() < expected {
        assert!(
            Instant::now() < deadline,
            "after the restart, {} of {expected} distinct deliveries: {:?}\n{}",
            delivered(&got).len(),
            counts(&got),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Each incident: both levels raised once, both delivered once on its timeline, under the
    // ids the receiver saw.
    let mut recorded = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    for id in &incidents {
        loop {
            let (deliveries, escalated) = deliveries_on_timeline(&server, id);
            if deliveries.len() == LEVELS || Instant::now() > deadline {
                assert_eq!(escalated, LEVELS, "{id}: escalated entries");
                assert_eq!(deliveries.len(), LEVELS, "{id}: {deliveries:?}");
                for (delivery, status) in deliveries {
                    assert_eq!(status, "delivered", "{delivery}");
                    assert!(delivery.starts_with(id.as_str()), "{delivery} is about {id}");
                    recorded.insert(delivery);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // Everything is recorded as delivered: the resends are done. Nothing more arrives.
    std::thread::sleep(Duration::from_secs(1));
    let after = counts(&got);
    let received: BTreeSet<String> = after.keys().cloned().collect();
    assert_eq!(
        delivered(&got),
        received,
        "every id that arrived was delivered in the end"
    );
    assert_eq!(received.len(), expected, "distinct delivery ids: {after:?}");
    assert_eq!(recorded, received, "the timelines record exactly what arrived");
    assert!(
        after[&in_flight] >= 2,
        "the delivery in flight at the kill ({in_flight}) is sent again: {after:?}"
    );
    let failed = got.lock().expect("lock")[FAIL_REQUEST - 1].0.clone();
    assert!(
        after[&failed] >= 2,
        "the delivery answered 503 ({failed}) is retried under its id: {after:?}"
    );
    eprintln!(
        "outbox crash: {expected} notifications, {} requests received, in flight at the kill: {in_flight}",
        after.values().sum::<usize>()
    );
}

#[test]
fn outbox_delivers_every_notification_across_kill_9_on_sqlite() {
    scenario(None);
}

#[test]
fn outbox_delivers_every_notification_across_kill_9_on_postgres() {
    let url = crate::postgres_state::new_database();
    scenario(Some(&url));
}

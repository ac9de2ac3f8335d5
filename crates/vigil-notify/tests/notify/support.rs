//! Test helpers: a notification fixture and a real HTTP receiver on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Bytes, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use vigil_notify::{Notification, Notifier, OutboundPolicy, Timeouts};

/// The notification most tests send.
pub fn notification() -> Notification {
    Notification {
        id: "0193c7e2-7d4f-7c3e-9a1b-2f6f1c1d2e3f".into(),
        tenant: "acme".into(),
        kind: "sla_warning".into(),
        subject: "SLA warning: incident 42 unacknowledged".into(),
        text: "Incident 42 (P1) has not been acknowledged for 25 minutes.\nRespond within 5 minutes.".into(),
        incident_id: Some("42".into()),
        severity: Some(8),
        priority: Some("P1".into()),
        link: Some("https://vigil.example/incidents/42".into()),
        at: "2026-12-06T10:00:00Z".parse().expect("timestamp literal"),
    }
}

/// A policy allowing exactly the given entries.
pub fn allow(entries: &[&str]) -> OutboundPolicy {
    OutboundPolicy {
        allow: entries.iter().map(|e| (*e).to_owned()).collect(),
        allow_private: false,
    }
}

/// A notifier with short timeouts, so failing tests end quickly.
pub fn notifier(policy: OutboundPolicy) -> Notifier {
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        total: Duration::from_secs(5),
    };
    Notifier::with_timeouts(policy, timeouts).expect("valid policy")
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("request lacks header {name}"))
    }
}

/// How the receiver answers every request.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Answer {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// An axum server on 127.0.0.1 that records what it receives; stopped when dropped.
#[derive(Debug)]
pub struct Receiver {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start(answer: Answer) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let app = Router::new().fallback(move |req: Request| {
            let record = Arc::clone(&record);
            let answer = answer.clone();
            async move { respond(req, record, answer).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver runs");
        });
        Self { addr, seen, task }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn respond(req: Request, record: Arc<Mutex<Vec<Seen>>>, answer: Answer) -> Response {
    let path_and_query = req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
    let headers = req.headers().clone();
    let body = to_bytes(req.into_body(), 1 << 20).await.expect("request body");
    record.lock().expect("lock").push(Seen {
        path_and_query,
        headers,
        body,
    });
    tokio::time::sleep(answer.delay).await;
    let status = StatusCode::from_u16(answer.status).expect("status");
    let mut response = (status, answer.body).into_response();
    for (name, value) in answer.headers {
        response
            .headers_mut()
            .insert(name, value.parse().expect("header value"));
    }
    response
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    socket.local_addr().expect("address").port()
}

//! What the console reads, end to end on SQLite and PostgreSQL: the live alert stream (a new alert
//! and a triage change reach an open stream, another tenant's do not, resuming from a cursor
//! loses nothing, a bad cursor is a 400 and an unknown one a reset), saved views (private,
//! shared, who may delete, audited, tenant-scoped) and the rule catalog and rule page.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vigil_state::{NewApiKey, Role};

use crate::harness::{RULE, TestServer, http};

/// Longest wait for one event of a stream (the server polls every 0.5 s; commits every 0.1 s).
const EVENT_WAIT: Duration = Duration::from_secs(20);

/// One open `GET /api/v1/alerts/stream`, read event by event (HTTP/1.0: no chunked framing).
struct Stream {
    conn: TcpStream,
    buf: String,
}

/// One event: its `id:`, its `retry:` when given, and its `data:` as JSON.
struct Ev {
    id: String,
    retry: Option<String>,
    data: Value,
}

impl Stream {
    async fn open(addr: SocketAddr, token: &str, path: &str, last_event_id: Option<&str>) -> Stream {
        let resume = last_event_id
            .map(|id| format!("Last-Event-ID: {id}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n{resume}\r\n"
        );
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        conn.write_all(req.as_bytes()).await.expect("send");
        let mut s = Stream {
            conn,
            buf: String::new(),
        };
        let head = s.block("\r\n\r\n").await;
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "{head}"
        );
        assert!(
            head.to_ascii_lowercase().contains("content-type: text/event-stream"),
            "{head}"
        );
        s
    }

    /// The text up to the next `sep` (which is consumed).
    async fn block(&mut self, sep: &str) -> String {
        loop {
            if let Some(at) = self.buf.find(sep) {
                let block = self.buf[..at].to_owned();
                self.buf.drain(..at + sep.len());
                return block;
            }
            let mut chunk = [0u8; 8192];
            let n = tokio::time::timeout(EVENT_WAIT, self.conn.read(&mut chunk))
                .await
                .expect("an event within the wait")
                .expect("read");
            assert!(n > 0, "the stream ended early; unread: {}", self.buf);
            self.buf.push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    }

    /// The next event with data (keep-alive comments skipped).
    async fn next(&mut self) -> Ev {
        loop {
            let block = self.block("\n\n").await;
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name).map(|v| v.trim_start().to_owned()))
            };
            let Some(data) = field("data:") else { continue };
            assert_eq!(field("event:").as_deref(), Some("alerts"), "{block}");
            let data: Value = serde_json::from_str(&data).expect("data is JSON");
            let id = field("id:").expect("every event has an id");
            assert_eq!(data["cursor"], id.as_str(), "the id is the cursor: {block}");
            return Ev {
                id,
                retry: field("retry:"),
                data,
            };
        }
    }

    /// Reads events until `want` holds of some alert of one; every alert read is of `tenant`.
    /// Returns the alert and the cursor of its event.
    async fn until(&mut self, tenant: &str, want: impl Fn(&Value) -> bool) -> (Value, String) {
        loop {
            let ev = self.next().await;
            let alerts = ev.data["alerts"].as_array().expect("alerts").clone();
            assert!(
                alerts.iter().all(|a| a["tenant"] == tenant),
                "only {tenant}'s: {}",
                ev.data
            );
            if let Some(a) = alerts.into_iter().find(|a| want(a)) {
                return (a, ev.id);
            }
        }
    }
}

/// One event the keyword rule matches, from host `host` (alerts of one host and rule group).
async fn ingest(s: &TestServer, token: &str, host: &str) {
    let line = json!({"message": "vigil-test-evil", "host": host, "product": "linux", "service": "syslog"});
    ingest_line(s, token, &line).await;
}

async fn ingest_line(s: &TestServer, token: &str, line: &Value) {
    let body = format!("{line}\n");
    let req = format!(
        "POST /api/v1/ingest HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n{body}",
        s.http,
        body.len()
    );
    let mut conn = TcpStream::connect(s.http).await.expect("connect");
    conn.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    #[expect(clippy::disallowed_methods, reason = "bounded by take(1 MiB)")]
    conn.take(1 << 20).read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

/// The keys of a second tenant: one that ingests, one that triages.
async fn acme(s: &TestServer) -> (String, String) {
    let state = s.state().await;
    let key = |role| NewApiKey::new(role, format!("acme {role}")).in_tenant("acme");
    let ingest = state.create_api_key(&key(Role::Ingest)).await.expect("key").1;
    let analyst = state.create_api_key(&key(Role::Analyst)).await.expect("key").1;
    (ingest, analyst)
}

fn id_of(alert: &Value) -> String {
    alert["id"].as_str().expect("id").to_owned()
}

async fn stream_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |_| {}).await;
    let (acme_ingest, acme_analyst) = acme(&s).await;
    let analyst = s.key(Role::Analyst).to_owned();
    let path = "/api/v1/alerts/stream";

    // Without a cursor the first event is the position, with `retry:`.
    let mut mine = Stream::open(s.http, &analyst, path, None).await;
    let first = mine.next().await;
    assert_eq!(first.data["alerts"], json!([]), "{}", first.data);
    assert!(first.data.get("reset").is_none(), "{}", first.data);
    assert_eq!(first.retry.as_deref(), Some("2000"));
    let c0 = first.id.clone();
    let mut theirs = Stream::open(s.http, &acme_analyst, path, None).await;
    theirs.next().await;
    let (_, metrics) = crate::harness::http_text(s.http, "GET", "/metrics", Some(&s.admin_token), None).await;
    assert!(metrics.contains("vigil_alert_streams_open"), "{metrics}");

    // A new alert of each tenant reaches that tenant's stream only (`until` checks the tenant).
    ingest(&s, &acme_ingest, "acme-1").await;
    ingest(&s, s.key(Role::Ingest), "default-1").await;
    let (x, _) = mine.until("default", |a| a["status"] == "new").await;
    let x_id = id_of(&x);
    theirs.until("acme", |a| a["status"] == "new").await;
    // The alert page's detail: which selections and fields matched.
    let (code, detail) = http(s.http, "GET", &format!("/api/v1/alerts/{x_id}"), Some(&analyst), None).await;
    assert_eq!(code, 200, "{detail}");
    assert_eq!(detail["matched"]["selections"], json!(["keywords"]), "{detail}");
    // A keyword rule names no field (field matches are listed: the test below).
    assert_eq!(detail["matched"]["fields"], json!([]), "{detail}");

    // A triage change reaches it, as the alert is now.
    let one = format!("/api/v1/alerts/{x_id}");
    let (code, body) = http(
        s.http,
        "PATCH",
        &one,
        Some(&analyst),
        Some(json!({"status": "acknowledged"})),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let (acked, c1) = mine.until("default", |a| a["id"] == x_id.as_str()).await;
    assert_eq!(acked["status"], "acknowledged", "{acked}");
    assert_eq!(acked, body, "the stream's alert is the API's alert");
    // Another tenant's stream saw nothing of it: its next event is its own next alert.
    ingest(&s, &acme_ingest, "acme-2").await;
    theirs.until("acme", |_| true).await;
    drop(mine);

    // While no stream is open: X is assigned and gets a grouped hit (same host), Y is raised
    // (another host). Resuming from c1 loses none of it.
    let assign = json!({"assignee": "alice"});
    let (code, body) = http(s.http, "PATCH", &one, Some(&analyst), Some(assign)).await;
    assert_eq!(code, 200, "{body}");
    ingest(&s, s.key(Role::Ingest), "default-1").await;
    ingest(&s, s.key(Role::Ingest), "default-2").await;
    s.alerts_until(2).await;
    for resume in [
        Stream::open(s.http, &analyst, path, Some(&c1)).await,
        Stream::open(s.http, &analyst, &format!("{path}?cursor={c1}"), None).await,
    ] {
        let mut resume = resume;
        let position = resume.next().await;
        assert_eq!(position.id, c1, "the first event is the cursor resumed from");
        let mut latest: BTreeMap<String, Value> = BTreeMap::new();
        while latest.len() < 2 || latest.get(&x_id).is_none_or(|x| x["occurrences"] != 2) {
            let ev = resume.next().await;
            for a in ev.data["alerts"].as_array().expect("alerts") {
                assert_eq!(a["tenant"], "default", "{a}");
                latest.insert(id_of(a), a.clone());
            }
        }
        assert_eq!(latest[&x_id]["assignee"], "alice", "{latest:?}");
    }
    // From the first cursor: both alerts, once each, in one batch.
    let mut again = Stream::open(s.http, &analyst, &format!("{path}?cursor={c0}"), None).await;
    again.next().await;
    let batch = again.next().await;
    assert_eq!(batch.data["alerts"].as_array().map(Vec::len), Some(2), "{}", batch.data);

    // A cursor that is not one: 400. One this server never gave: a reset.
    let (code, body) = http(s.http, "GET", &format!("{path}?cursor=abc"), Some(&analyst), None).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let mut future = Stream::open(s.http, &analyst, &format!("{path}?cursor=999999999"), None).await;
    let reset = future.next().await;
    assert_eq!(reset.data["reset"], true, "{}", reset.data);
    // An ingest-only key may not follow alerts.
    let (code, _) = http(s.http, "GET", path, Some(s.key(Role::Ingest)), None).await;
    assert_eq!(code, 403);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_alert_stream_on_sqlite() {
    stream_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_alert_stream_on_postgres() {
    stream_scenario(true).await;
}

async fn views_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |_| {}).await;
    let (_, acme_analyst) = acme(&s).await;
    let addr = s.http;
    let call = |role: Role, method: &'static str, path: String, body: Option<Value>| {
        let key = s.key(role).to_owned();
        async move { http(addr, method, &path, Some(&key), body).await }
    };
    let new = |name: &str, shared: bool| json!({"name": name, "query": {"status": "new", "min_level": "high"}, "shared": shared});
    let (code, private) = call(Role::Analyst, "POST", "/api/v1/views".into(), Some(new("mine", false))).await;
    assert_eq!(code, 201, "{private}");
    assert_eq!(private["page"], "alerts");
    let (code, shared) = call(Role::Analyst, "POST", "/api/v1/views".into(), Some(new("team", true))).await;
    assert_eq!(code, 201, "{shared}");
    let (code, dup) = call(Role::Analyst, "POST", "/api/v1/views".into(), Some(new("team", false))).await;
    assert_eq!((code, dup["error"]["code"].as_str()), (409, Some("conflict")), "{dup}");
    let bad = json!({"name": "x", "query": {"status": 1}});
    let (code, _) = call(Role::Analyst, "POST", "/api/v1/views".into(), Some(bad)).await;
    assert_eq!(code, 400, "query values are strings");

    let names = |list: &Value| -> Vec<String> {
        list["views"]
            .as_array()
            .expect("views")
            .iter()
            .map(|v| v["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let (_, list) = call(Role::Analyst, "GET", "/api/v1/views?page=alerts".into(), None).await;
    assert_eq!(names(&list), ["mine", "team"], "{list}");
    let (_, list) = call(Role::Viewer, "GET", "/api/v1/views".into(), None).await;
    assert_eq!(names(&list), ["team"], "another sees the shared view only: {list}");
    let (code, list) = http(s.http, "GET", "/api/v1/views", Some(&acme_analyst), None).await;
    assert_eq!((code, names(&list).len()), (200, 0), "another tenant sees none: {list}");

    // Only the owner changes a view; another's private view is a 404.
    let private_path = format!("/api/v1/views/{}", private["id"].as_str().expect("id"));
    let shared_path = format!("/api/v1/views/{}", shared["id"].as_str().expect("id"));
    let rename = json!({"name": "mine, renamed"});
    let (code, _) = call(Role::Viewer, "PATCH", shared_path.clone(), Some(rename.clone())).await;
    assert_eq!(code, 404);
    let (code, renamed) = call(Role::Analyst, "PATCH", private_path.clone(), Some(rename)).await;
    assert_eq!(
        (code, renamed["name"].as_str()),
        (200, Some("mine, renamed")),
        "{renamed}"
    );
    let (code, _) = call(Role::Viewer, "DELETE", private_path.clone(), None).await;
    assert_eq!(code, 404, "another's private view is not there");
    let (code, _) = http(s.http, "DELETE", &shared_path, Some(&acme_analyst), None).await;
    assert_eq!(code, 404, "another tenant's view is not there");
    // Another's shared view: a viewer may not delete it, a lead may.
    let (code, body) = call(Role::Viewer, "DELETE", shared_path.clone(), None).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let (code, _) = call(Role::Lead, "DELETE", shared_path.clone(), None).await;
    assert_eq!(code, 204);
    let (code, _) = call(Role::Analyst, "DELETE", private_path, None).await;
    assert_eq!(code, 204);

    let (code, audit) = call(Role::Admin, "GET", "/api/v1/audit?action=view.".into(), None).await;
    assert_eq!(code, 200, "{audit}");
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["outcome"] == "success")
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "view.delete",
            "view.delete",
            "view.update",
            "view.create",
            "view.create"
        ],
        "{audit}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn saved_views_on_sqlite() {
    views_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn saved_views_on_postgres() {
    views_scenario(true).await;
}

const KEYWORD_ID: &str = "6f1c1f7e-6c7e-4c9a-9d7e-111111111111";

#[tokio::test(flavor = "multi_thread")]
async fn the_rule_catalog_counts_each_rules_alerts_and_shows_its_source() {
    let s = TestServer::start_on(false, |_| {}).await;
    let (acme_ingest, acme_analyst) = acme(&s).await;
    ingest(&s, s.key(Role::Ingest), "one").await;
    ingest(&s, s.key(Role::Ingest), "two").await;
    ingest(&s, &acme_ingest, "three").await;
    s.alerts_until(2).await;
    let viewer = s.key(Role::Viewer).to_owned();

    let (code, catalog) = http(s.http, "GET", "/api/v1/rules/catalog", Some(&viewer), None).await;
    assert_eq!(code, 200, "{catalog}");
    let rules = catalog["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 3, "every loaded rule: {catalog}");
    let top = &rules[0];
    assert_eq!(top["id"], KEYWORD_ID, "most alerts first: {catalog}");
    assert_eq!(top["alerts"], 2, "the tenant's own alerts: {top}");
    assert_eq!(top["kind"], "detection");
    assert_eq!(top["level"], "high");
    assert_eq!(top["techniques"], json!(["T1059"]), "{top}");
    assert_eq!(top["tactics"], json!(["TA0002"]), "{top}");
    assert_eq!(top["validation"], "not_tested");
    assert!(top["last_alert"].is_string(), "{top}");
    assert!(rules.iter().any(|r| r["kind"] == "correlation"), "{catalog}");
    let (_, theirs) = http(
        s.http,
        "GET",
        "/api/v1/rules/catalog?q=keyword",
        Some(&acme_analyst),
        None,
    )
    .await;
    assert_eq!(theirs["rules"][0]["alerts"], 1, "{theirs}");

    for (query, n) in [
        ("q=KEYWORD", 1),
        ("tactic=execution", 1),
        ("level=critical", 0),
        ("level=high", 2),
    ] {
        let (code, page) = http(
            s.http,
            "GET",
            &format!("/api/v1/rules/catalog?{query}"),
            Some(&viewer),
            None,
        )
        .await;
        assert_eq!(
            (code, page["rules"].as_array().map(Vec::len)),
            (200, Some(n)),
            "{query}: {page}"
        );
    }
    let (code, _) = http(
        s.http,
        "GET",
        "/api/v1/rules/catalog?tactic=cooking",
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(code, 400);

    let (code, rule) = http(
        s.http,
        "GET",
        &format!("/api/v1/rules/{KEYWORD_ID}"),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(code, 200, "{rule}");
    assert_eq!(rule["source"], RULE, "the rule's YAML as loaded");
    assert_eq!(rule["alerts"], 2);
    assert_eq!(rule["source_changed"], false);
    let (code, body) = http(s.http, "GET", "/api/v1/rules/no-such-rule", Some(&viewer), None).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (code, _) = http(s.http, "GET", "/api/v1/rules/catalog", Some(s.key(Role::Ingest)), None).await;
    assert_eq!(code, 403);
    s.stop().await;
}

/// A rule on a field, beside the harness's keyword rules.
const FIELD_RULE: &str = "title: Field probe\nid: 6f1c1f7e-6c7e-4c9a-9d7e-444444444444\nstatus: test\nlevel: medium\n\
logsource:\n  product: linux\n  service: syslog\ndetection:\n  sel:\n    message|contains: field-probe\n  condition: sel\n";

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_names_the_selections_and_fields_that_matched() {
    let s = TestServer::start_on(false, |c| {
        std::fs::write(c.rules.paths[0].join("field.yml"), FIELD_RULE).expect("rule");
    })
    .await;
    let line = json!({"message": "a field-probe here", "host": "h1", "product": "linux", "service": "syslog"});
    ingest_line(&s, s.key(Role::Ingest), &line).await;
    let page = s.alerts_until(1).await;
    let id = page["alerts"][0]["id"].as_str().expect("id").to_owned();
    let (code, alert) = http(
        s.http,
        "GET",
        &format!("/api/v1/alerts/{id}"),
        Some(s.key(Role::Viewer)),
        None,
    )
    .await;
    assert_eq!(code, 200, "{alert}");
    assert_eq!(
        alert["matched"],
        json!({"selections": ["sel"], "fields": [{"field": "message", "value": "a field-probe here"}]}),
        "{alert}"
    );
    s.stop().await;
}

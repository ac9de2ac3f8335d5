//! Suppression rules end to end against a running server, on SQLite and on PostgreSQL: alerts
//! raised → "suppress alerts like this" from one of them (closing it) → new matching events raise
//! no alert but are counted (hits, the listed matches with their event ids, the metric) while
//! other hosts and users still alert; a disabled or expired suppression stops suppressing;
//! another tenant neither sees nor is affected by it; a viewer or an analyst cannot make one.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigil_state::{NewApiKey, Role};

use crate::harness::{TestServer, http, http_text};

const KEYWORD_RULE: &str = "6f1c1f7e-6c7e-4c9a-9d7e-111111111111";

async fn server(postgres: bool) -> TestServer {
    TestServer::start_on(postgres, |_| {}).await
}

async fn call(s: &TestServer, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    http(s.http, method, path, Some(token), body).await
}

/// Sends one event per (host, user) through the native ingest API with `token`; each matches the
/// keyword rule.
async fn ingest(s: &TestServer, token: &str, events: &[(&str, &str)]) {
    let body: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, (host, user))| {
            json!({"message": format!("vigil-test-evil {i} on {host}"), "host": host, "User": user,
                   "product": "linux", "service": "syslog"})
        })
        .collect();
    for line in body {
        // One request per event: the native API takes NDJSON, and the harness sends JSON.
        let (status, answer) = call(s, token, "POST", "/api/v1/ingest?format=ndjson", Some(line)).await;
        assert_eq!(status, 200, "{answer}");
    }
}

/// Polls `path` with `token` until `done` holds (fails after 30 s).
async fn until(s: &TestServer, token: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, answer) = call(s, token, "GET", path, None).await;
        if status == 200 && done(&answer) {
            return answer;
        }
        assert!(Instant::now() < deadline, "GET {path}: {status} {answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn alerts_total(s: &TestServer, token: &str, n: u64) -> Value {
    let path = format!("/api/v1/alerts?rule_id={KEYWORD_RULE}&limit=1000");
    until(s, token, &path, |page| page["total"].as_u64() == Some(n)).await
}

fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
}

async fn suppression_scenario(postgres: bool) {
    let s = server(postgres).await;
    let admin = s.key(Role::Admin).to_owned();
    let engineer = s.key(Role::DetectionEngineer).to_owned();
    let viewer = s.key(Role::Viewer).to_owned();
    ingest(&s, &s.ingest_token, &[("web01", "bob"), ("web02", "bob")]).await;
    let page = alerts_total(&s, &viewer, 2).await;
    let first = page["alerts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["host"] == "web01"))
        .expect("web01's alert");
    let alert_id = first["id"].as_str().expect("id").to_owned();
    let suppress = format!("/api/v1/alerts/{alert_id}/suppress");
    let like_this = json!({"fields": ["host", "user"], "reason": "the lab's scanner", "close_as": "false_positive"});

    // Who may: rule:write (detection engineers, admins); closing as well needs alert:triage.
    for role in [Role::Viewer, Role::Analyst, Role::Lead] {
        let (status, body) = call(&s, s.key(role), "POST", &suppress, Some(like_this.clone())).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{role}: {body}"
        );
    }
    let (status, body) = call(&s, &engineer, "POST", &suppress, Some(like_this.clone())).await;
    assert_eq!(status, 403, "closing needs alert:triage: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("alert:triage")),
        "{body}"
    );
    let (status, body) = call(
        &s,
        &admin,
        "POST",
        &suppress,
        Some(json!({"fields": ["host"], "reason": "x", "bogus": 1})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let (status, made) = call(&s, &admin, "POST", &suppress, Some(like_this)).await;
    assert_eq!(status, 201, "{made}");
    let sup = made["suppression"].clone();
    let id = sup["id"].as_str().expect("id").to_owned();
    assert_eq!(
        sup["conditions"],
        json!([{"field": "host", "value": "web01"}, {"field": "user", "value": "bob"}]),
        "{sup}"
    );
    assert_eq!(
        (sup["rule_id"].as_str(), sup["alert_id"].as_str()),
        (Some(KEYWORD_RULE), Some(alert_id.as_str()))
    );
    assert_eq!((sup["active"].as_bool(), sup["hits"].as_u64()), (Some(true), Some(0)));
    assert_eq!(
        (made["alert"]["status"].as_str(), made["alert"]["disposition"].as_str()),
        (Some("closed"), Some("false_positive")),
        "{made}"
    );
    let one = format!("/api/v1/suppressions/{id}");

    // New matches like it raise no alert but are counted; another user or host still alerts.
    ingest(
        &s,
        &s.ingest_token,
        &[
            ("web01", "bob"),
            ("web01", "bob"),
            ("web01", "alice"),
            ("web03", "bob"),
            ("web01", "bob"),
        ],
    )
    .await;
    let page = alerts_total(&s, &viewer, 4).await;
    let got = until(&s, &viewer, &one, |s| s["hits"].as_u64() == Some(3)).await;
    assert!(got["last_hit"].is_string(), "{got}");
    let hosts: Vec<(&str, &str)> = page["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| (a["host"].as_str().unwrap_or(""), a["group_key"].as_str().unwrap_or("")))
        .collect();
    assert!(
        hosts.iter().any(|(_, k)| k.starts_with("host=web01,user=alice")),
        "{hosts:?}"
    );
    assert!(hosts.iter().any(|(h, _)| *h == "web03"), "{hosts:?}");
    let (_, web01) = call(&s, &viewer, "GET", "/api/v1/alerts?host=web01", None).await;
    assert_eq!(web01["total"], 2, "the closed one and alice's: {web01}");
    let (_, listed) = call(&s, &viewer, "GET", "/api/v1/suppressions", None).await;
    assert_eq!(
        (listed["total"].as_u64(), listed["suppressions"][0]["hits"].as_u64()),
        (Some(1), Some(3)),
        "{listed}"
    );
    let (status, matches) = call(&s, &viewer, "GET", &format!("{one}/matches?limit=2"), None).await;
    assert_eq!(status, 200, "{matches}");
    assert_eq!(matches["total"], 3, "{matches}");
    assert_eq!(matches["matches"].as_array().map(Vec::len), Some(2));
    let cursor = matches["next_cursor"].as_str().expect("a second page").to_owned();
    let (_, rest) = call(
        &s,
        &viewer,
        "GET",
        &format!("{one}/matches?limit=2&cursor={cursor}"),
        None,
    )
    .await;
    let mut events: Vec<String> = matches["matches"]
        .as_array()
        .into_iter()
        .chain(rest["matches"].as_array())
        .flatten()
        .map(|m| {
            assert_eq!(
                (m["rule_id"].as_str(), m["suppression_id"].as_str()),
                (Some(KEYWORD_RULE), Some(id.as_str()))
            );
            m["event_id"].as_str().expect("event id").to_owned()
        })
        .collect();
    events.sort();
    events.dedup();
    assert_eq!(events.len(), 3, "three events: {matches} {rest}");
    // The analyst pivots to each suppressed event.
    for event in &events {
        let hits = s.search_until(&format!("_id:{event}"), 1).await;
        assert_eq!(hits["hits"][0]["host"], "web01", "{hits}");
        assert_eq!(hits["hits"][0]["fields"]["User"], "bob", "{hits}");
    }
    let (_, metrics) = http_text(s.http, "GET", "/metrics", Some(&s.read_token), None).await;
    assert_eq!(metric(&metrics, "vigil_alerts_suppressed_total"), Some(3), "{metrics}");

    // Another tenant neither sees it nor is affected by it.
    let state = s.state().await;
    let other = |role| NewApiKey::new(role, format!("globex {role}")).in_tenant("globex");
    let (_, globex_admin) = state.create_api_key(&other(Role::Admin)).await.expect("key");
    let (_, globex_ingest) = state.create_api_key(&other(Role::Ingest)).await.expect("key");
    for (method, path, body) in [
        ("GET", one.clone(), None),
        ("GET", format!("{one}/matches"), None),
        ("PATCH", one.clone(), Some(json!({"disabled": true}))),
        ("DELETE", one.clone(), None),
    ] {
        let (status, answer) = call(&s, &globex_admin, method, &path, body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{method} {path}: {answer}"
        );
    }
    let (_, theirs) = call(&s, &globex_admin, "GET", "/api/v1/suppressions", None).await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    let (status, _) = call(
        &s,
        &globex_admin,
        "POST",
        &suppress,
        Some(json!({"fields": ["host"], "reason": "x"})),
    )
    .await;
    assert_eq!(status, 404, "another tenant's alert");
    ingest(&s, &globex_ingest, &[("web01", "bob")]).await;
    alerts_total(&s, &globex_admin, 1).await;

    // Disabled: it stops suppressing at once, and keeps its counts.
    let (status, changed) = call(&s, &engineer, "PATCH", &one, Some(json!({"disabled": true}))).await;
    assert_eq!((status, changed["active"].as_bool()), (200, Some(false)), "{changed}");
    let (status, again) = call(&s, &engineer, "PATCH", &one, Some(json!({"disabled": true}))).await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{again}"
    );
    ingest(&s, &s.ingest_token, &[("web01", "bob")]).await;
    alerts_total(&s, &viewer, 5).await;
    let (_, got) = call(&s, &viewer, "GET", &one, None).await;
    assert_eq!(got["hits"], 3, "{got}");

    // Expired: suppressing until its expiry, then no more.
    let until_later = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string();
    let (status, web04) = call(
        &s,
        &engineer,
        "POST",
        "/api/v1/suppressions",
        Some(json!({"rule_id": "*", "conditions": [{"field": "host", "value": "web04"}], "reason": "decommissioned", "expires": until_later})),
    )
    .await;
    assert_eq!(status, 201, "{web04}");
    let four = format!("/api/v1/suppressions/{}", web04["id"].as_str().expect("id"));
    ingest(&s, &s.ingest_token, &[("web04", "carol")]).await;
    until(&s, &viewer, &four, |s| s["hits"].as_u64() == Some(1)).await;
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(2);
    let (status, changed) = call(
        &s,
        &engineer,
        "PATCH",
        &four,
        Some(json!({"expires": soon.to_string()})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    let (status, past) = call(
        &s,
        &engineer,
        "PATCH",
        &four,
        Some(json!({"expires": "2001-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, 400, "an expiry in the past: {past}");
    while jiff::Timestamp::now() <= soon {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, expired) = call(&s, &viewer, "GET", &four, None).await;
    assert_eq!(
        (expired["active"].as_bool(), expired["disabled"].as_bool()),
        (Some(false), Some(false)),
        "{expired}"
    );
    ingest(&s, &s.ingest_token, &[("web04", "carol")]).await;
    alerts_total(&s, &viewer, 6).await;
    let (_, got) = call(&s, &viewer, "GET", &four, None).await;
    assert_eq!(got["hits"], 1, "{got}");
    let (_, active) = call(&s, &viewer, "GET", "/api/v1/suppressions?active=true", None).await;
    assert_eq!(active["total"], 0, "disabled and expired: {active}");

    // Every change is in the audit trail; deleting is rule:write's too.
    let (status, _) = call(&s, &viewer, "DELETE", &four, None).await;
    assert_eq!(status, 403);
    let (status, _) = call(&s, &engineer, "DELETE", &four, None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&s, &viewer, "GET", &four, None).await;
    assert_eq!(status, 404);
    let (_, audit) = call(&s, s.key(Role::Lead), "GET", "/api/v1/audit?action=suppression.", None).await;
    let mut actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "suppression.create",
            "suppression.create",
            "suppression.delete",
            "suppression.update",
            "suppression.update"
        ],
        "{audit}"
    );
    let (_, closed) = call(&s, s.key(Role::Lead), "GET", "/api/v1/audit?action=alert.update", None).await;
    assert_eq!(closed["entries"][0]["target"], format!("alert:{alert_id}"), "{closed}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppressions_on_sqlite() {
    suppression_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppressions_on_postgres() {
    suppression_scenario(true).await;
}

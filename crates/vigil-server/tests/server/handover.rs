//! The shift handover end to end against a running server, on SQLite and on PostgreSQL: incidents
//! opened, changed (status, note) and still open land in their sections; the HTML escapes a
//! hostile title; a viewer reads it; another tenant sees nothing.

use serde_json::{Value, json};
use vigil_state::{NewApiKey, Role};

use crate::harness::{TestServer, http, http_text};

async fn call(s: &TestServer, role: Role, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    http(s.http, method, path, Some(s.key(role)), body).await
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn handover_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |_| {}).await;
    let hostile = "<script>alert(1)</script> on pc-7";
    let new = json!({"title": hostile, "severity": 4, "classification": "malicious-code:infected-system"});
    let (status, a) = call(&s, Role::Analyst, "POST", "/api/v1/incidents", Some(new)).await;
    assert_eq!(status, 201, "{a}");
    let a = a["id"].as_str().expect("id").to_owned();
    let new = json!({"title": "Phishing wave", "severity": 2, "classification": "fraud:phishing"});
    let (status, b) = call(&s, Role::Analyst, "POST", "/api/v1/incidents", Some(new)).await;
    assert_eq!(status, 201, "{b}");
    let b = b["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/incidents/{b}");
    let (status, body) = call(
        &s,
        Role::Analyst,
        "PATCH",
        &path,
        Some(json!({"status": "investigating"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let note = json!({"text": "mail gateway rule pushed; 3 users clicked"});
    let (status, body) = call(&s, Role::Analyst, "POST", &format!("{path}/notes"), Some(note)).await;
    assert_eq!(status, 201, "{body}");

    let (status, h) = call(&s, Role::Viewer, "GET", "/api/v1/handover?since=1h", None).await;
    assert_eq!(status, 200, "{h}");
    let opened = ids(&h["opened"]);
    assert!(opened.contains(&a) && opened.contains(&b), "{h}");
    let open = ids(&h["open"]);
    assert_eq!(open.len(), 2, "{h}");
    assert_eq!(open[0], a, "the more urgent first: {h}");
    let changed = h["changed"].as_array().expect("changed");
    let cb = changed.iter().find(|c| c["id"] == b.as_str()).expect("b changed");
    assert_eq!(cb["status"], "investigating", "{cb}");
    assert_eq!(cb["counts"]["note"], 1, "{cb}");
    assert_eq!(cb["counts"]["status_changed"], 1, "{cb}");
    assert!(
        cb["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["kind"] == "note" && e["text"] == "mail gateway rule pushed; 3 users clicked"),
        "{cb}"
    );
    assert_eq!(h["new_alerts"]["total"], 0, "{h}");
    assert_eq!(h["truncated"], false);
    assert_eq!(h["near_breach_seconds"], 3600);

    // A period before everything has nothing opened or changed, but the open ones still show.
    let (status, past) = call(
        &s,
        Role::Viewer,
        "GET",
        "/api/v1/handover?since=2020-01-01T00:00:00Z&until=2020-01-01T08:00:00Z",
        None,
    )
    .await;
    assert_eq!(status, 200, "{past}");
    assert!(ids(&past["opened"]).is_empty() && past["changed"].as_array().expect("changed").is_empty());
    assert_eq!(ids(&past["open"]).len(), 2);

    // Text: sections with counts, the note's text.
    let (status, text) = http_text(
        s.http,
        "GET",
        "/api/v1/handover?since=1h&format=text",
        Some(s.key(Role::Viewer)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    for section in [
        "== STILL OPEN: 2 ==",
        "== OPENED IN THE PERIOD: 2 ==",
        "== CHANGED IN THE PERIOD: 2 ==",
        "== ALERTS STILL NEW: 0 ==",
    ] {
        assert!(text.contains(section), "{section}: {text}");
    }
    assert!(text.contains("mail gateway rule pushed; 3 users clicked"), "{text}");

    // HTML: self-contained, the hostile title escaped.
    let (status, html) = http_text(
        s.http,
        "GET",
        "/api/v1/handover?since=1h&format=html",
        Some(s.key(Role::Viewer)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; on pc-7"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("http://") && !html.contains("https://"), "{html}");

    // Bad requests name the parameter.
    for bad in [
        "/api/v1/handover",
        "/api/v1/handover?since=soon",
        "/api/v1/handover?since=1h&format=pdf",
        "/api/v1/handover?since=1h&until=2h",
        "/api/v1/handover?since=90d",
    ] {
        let (status, body) = call(&s, Role::Viewer, "GET", bad, None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{bad}: {body}"
        );
    }

    // Another tenant sees nothing of it.
    let state = s.state().await;
    let (_, other) = state
        .create_api_key(&NewApiKey::new(Role::Admin, "other").in_tenant("globex"))
        .await
        .expect("key");
    let (status, theirs) = http(s.http, "GET", "/api/v1/handover?since=1h", Some(&other), None).await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(theirs["tenant"], "globex");
    for section in ["opened", "changed", "open", "breached", "near_breach"] {
        assert!(
            theirs[section].as_array().expect(section).is_empty(),
            "{section}: {theirs}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handover_lists_what_the_shift_did_and_what_is_left_on_sqlite() {
    handover_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handover_lists_what_the_shift_did_and_what_is_left_on_postgres() {
    handover_scenario(true).await;
}

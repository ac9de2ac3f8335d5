//! The response workflow end to end against a running server, on SQLite and on PostgreSQL:
//! events in → alerts → triage (single, bulk with a counted filter) → an incident from alerts →
//! its life cycle with SLA timers → closing rules → export; with permissions and tenants.

use serde_json::{Value, json};
use vigil_state::{NewApiKey, Role};

use crate::harness::{TestServer, http, http_text};

async fn server(postgres: bool) -> TestServer {
    TestServer::start_on(postgres, |_| {}).await
}

async fn server_with(
    postgres: bool,
    tweak: impl FnOnce(&mut vigil_server::ServerConfig) + Send + 'static,
) -> TestServer {
    TestServer::start_on(postgres, tweak).await
}

async fn call(s: &TestServer, role: Role, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    http(s.http, method, path, Some(s.key(role)), body).await
}

/// Three alerts of the keyword rule; their ids.
async fn three_alerts(s: &TestServer) -> Vec<String> {
    let lines: Vec<String> = (0..3)
        .map(|i| format!("<13>1 2026-11-23T10:00:0{i}Z web0{i} app 42 - - vigil-test-evil {i}"))
        .collect();
    s.syslog_tcp(&lines).await;
    let alerts = s.alerts_until(3).await;
    alerts["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn triage_scenario(postgres: bool) {
    let s = server(postgres).await;
    let ids = three_alerts(&s).await;
    let one = format!("/api/v1/alerts/{}", ids[0]);
    let (status, body) = call(&s, Role::Viewer, "PATCH", &one, Some(json!({"status": "acknowledged"}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let (status, body) = call(
        &s,
        Role::Analyst,
        "PATCH",
        &one,
        Some(json!({"status": "acknowledged"})),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("acknowledged")), "{body}");
    assert!(
        body["acknowledged_by"]
            .as_str()
            .is_some_and(|a| a.starts_with("apikey:")),
        "{body}"
    );
    let (status, body) = call(&s, Role::Analyst, "PATCH", &one, Some(json!({"status": "closed"}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let close = json!({"status": "closed", "disposition": "false_positive", "comment": "IT scanner"});
    let (status, body) = call(&s, Role::Analyst, "PATCH", &one, Some(close)).await;
    assert_eq!(
        (status, body["disposition"].as_str()),
        (200, Some("false_positive")),
        "{body}"
    );
    let (status, body) = call(
        &s,
        Role::Analyst,
        "PATCH",
        &one,
        Some(json!({"status": "acknowledged"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    let (status, _) = call(&s, Role::Analyst, "PATCH", &one, Some(json!({"status": "new"}))).await;
    assert_eq!(status, 403, "reopening needs alert:reopen");
    let (status, body) = call(&s, Role::Lead, "PATCH", &one, Some(json!({"status": "new"}))).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("new")), "{body}");
    let (_, history) = call(&s, Role::Viewer, "GET", &format!("{one}/history"), None).await;
    assert_eq!(history["changes"].as_array().map(Vec::len), Some(3), "{history}");
    assert_eq!(history["changes"][1]["change"]["comment"], "IT scanner");

    // A bulk action by filter: counted first, refused when the count is stale.
    let bulk = |dry_run: bool, expect: Option<u64>| json!({"filter": {"status": ["new"]}, "update": {"assignee": "team:tier2"}, "dry_run": dry_run, "expect": expect});
    let (status, preview) = call(&s, Role::Analyst, "POST", "/api/v1/alerts/bulk", Some(bulk(true, None))).await;
    assert_eq!((status, preview["matched"].as_u64()), (200, Some(3)), "{preview}");
    let (status, body) = call(
        &s,
        Role::Analyst,
        "POST",
        "/api/v1/alerts/bulk",
        Some(bulk(false, Some(2))),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    let (status, done) = call(
        &s,
        Role::Analyst,
        "POST",
        "/api/v1/alerts/bulk",
        Some(bulk(false, Some(3))),
    )
    .await;
    assert_eq!((status, done["updated"].as_u64()), (200, Some(3)), "{done}");
    let (_, queue) = call(
        &s,
        Role::Viewer,
        "GET",
        "/api/v1/alerts?assignee=team:tier2&status=new",
        None,
    )
    .await;
    assert_eq!(queue["total"], 3, "{queue}");
    let (_, audit) = call(&s, Role::Lead, "GET", "/api/v1/audit?action=alert.", None).await;
    assert_eq!(
        audit["entries"].as_array().map(Vec::len),
        Some(4),
        "3 changes and 1 bulk: {audit}"
    );
    // Refusals are recorded off the request path: wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, denied) = call(&s, Role::Lead, "GET", "/api/v1/audit?action=access.denied", None).await;
        if denied["entries"][0]["detail"]["permission"] == "alert:reopen" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the refused reopening is not audited: {denied}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    s.stop().await;
}

async fn incident_scenario(postgres: bool) {
    let s = server(postgres).await;
    let ids = three_alerts(&s).await;
    let new = json!({
        "title": "Execution on web00 and web01",
        "severity": 4,
        "classification": "intrusions:system-compromise",
        "alert_ids": [ids[0], ids[1]],
    });
    let (status, body) = call(&s, Role::Viewer, "POST", "/api/v1/incidents", Some(new.clone())).await;
    assert_eq!(status, 403, "{body}");
    let (status, incident) = call(&s, Role::Analyst, "POST", "/api/v1/incidents", Some(new)).await;
    assert_eq!(status, 201, "{incident}");
    let id = incident["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (incident["status"].as_str(), incident["priority"].as_u64()),
        (Some("new"), Some(1))
    );
    assert_eq!(
        incident["attack"],
        json!(["T1059", "TA0002"]),
        "from its alerts: {incident}"
    );
    let (_, alert) = call(&s, Role::Viewer, "GET", &format!("/api/v1/alerts/{}", ids[0]), None).await;
    assert_eq!(
        (alert["status"].as_str(), alert["incident_id"].as_str()),
        (Some("merged"), Some(id.as_str()))
    );

    let path = format!("/api/v1/incidents/{id}");
    let (status, got) = call(&s, Role::Viewer, "GET", &path, None).await;
    assert_eq!(status, 200, "{got}");
    let ack = &got["sla"]["acknowledge"];
    assert_eq!(
        (ack["state"].as_str(), ack["target_seconds"].as_i64()),
        (Some("running"), Some(900)),
        "{got}"
    );
    assert!(ack["due"].is_string(), "{got}");
    let kinds: Vec<&str> = got["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|t| t["kind"].as_str())
        .filter(|k| *k != "observables")
        .collect();
    assert_eq!(
        kinds,
        ["created", "alert_linked", "alert_linked", "task"],
        "the runbook's tasks come last"
    );

    let (status, got) = call(
        &s,
        Role::Analyst,
        "PATCH",
        &path,
        Some(json!({"status": "acknowledged"})),
    )
    .await;
    assert_eq!(
        (status, got["sla"]["acknowledge"]["state"].as_str()),
        (200, Some("met")),
        "{got}"
    );
    let (status, got) = call(
        &s,
        Role::Analyst,
        "POST",
        &format!("{path}/notes"),
        Some(json!({"text": "Dropper seen at 09:58.", "occurred_at": "2026-11-23T09:58:00Z"})),
    )
    .await;
    let notes = got["timeline"]
        .as_array()
        .map(|t| t.iter().filter(|e| e["kind"] == "note").count());
    assert_eq!((status, notes), (201, Some(1)), "{got}");
    let (status, got) = call(
        &s,
        Role::Analyst,
        "POST",
        &format!("{path}/alerts"),
        Some(json!({"alert_ids": [ids[2]]})),
    )
    .await;
    assert_eq!(
        (status, got["alert_ids"].as_array().map(Vec::len)),
        (200, Some(3)),
        "{got}"
    );
    let (status, _) = call(&s, Role::Analyst, "PATCH", &path, Some(json!({"status": "on_hold"}))).await;
    assert_eq!(status, 200);
    let (_, held) = call(&s, Role::Viewer, "GET", "/api/v1/incidents?sla=paused", None).await;
    assert_eq!(held["total"], 1, "{held}");
    let (_, open) = call(
        &s,
        Role::Viewer,
        "GET",
        "/api/v1/incidents?open=true&max_priority=1",
        None,
    )
    .await;
    assert_eq!(open["incidents"][0]["id"], id.as_str(), "{open}");

    // Closing: the analyst may not; without a resolution nobody may.
    let (status, _) = call(&s, Role::Analyst, "PATCH", &path, Some(json!({"status": "closed"}))).await;
    assert_eq!(status, 403);
    let (status, body) = call(&s, Role::Lead, "PATCH", &path, Some(json!({"status": "closed"}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("resolution")),
        "{body}"
    );
    let close = json!({"status": "closed", "resolution": "Hosts reimaged.", "lessons_learned": "Block macros."});
    let (status, body) = call(&s, Role::Lead, "PATCH", &path, Some(close.clone())).await;
    assert_eq!(status, 409, "the runbook's mandatory tasks are pending: {body}");
    crate::tasks::finish_mandatory_tasks(s.http, s.key(Role::Analyst), &id).await;
    let (status, closed) = call(&s, Role::Lead, "PATCH", &path, Some(close)).await;
    assert_eq!((status, closed["status"].as_str()), (200, Some("closed")), "{closed}");
    assert!(closed["milestones"]["closed"].is_string() && closed["milestones"]["resolved"].is_string());
    assert_eq!(closed["sla"]["resolve"]["state"], "met", "{closed}");

    let (status, report) = http_text(
        s.http,
        "GET",
        &format!("{path}/export?format=markdown"),
        Some(s.key(Role::Viewer)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        report.contains("# Incident") && report.contains("Execution on web00 and web01"),
        "{report}"
    );
    assert!(report.contains("Dropper seen at 09:58."), "{report}");

    // Another tenant's reader: as if absent.
    let state = s.state().await;
    let (_, other) = state
        .create_api_key(&NewApiKey::new(Role::Admin, "other").in_tenant("globex"))
        .await
        .expect("key");
    let (status, _) = http(s.http, "GET", &path, Some(&other), None).await;
    assert_eq!(status, 404);
    let (status, _) = http(s.http, "PATCH", &path, Some(&other), Some(json!({"title": "mine"}))).await;
    assert_eq!(status, 404);
    let (_, list) = http(s.http, "GET", "/api/v1/incidents", Some(&other), None).await;
    assert_eq!(list["total"], 0, "{list}");

    // Deleting is for admins.
    let (status, _) = call(&s, Role::Analyst, "DELETE", &path, None).await;
    assert_eq!(status, 403);
    let (status, _) = call(&s, Role::Admin, "DELETE", &path, None).await;
    assert_eq!(status, 204);
    let (_, alert) = call(&s, Role::Viewer, "GET", &format!("/api/v1/alerts/{}", ids[0]), None).await;
    assert_eq!(alert["status"], "acknowledged", "back in the queue: {alert}");
    let (_, audit) = call(&s, Role::Lead, "GET", "/api/v1/audit?action=incident.", None).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "incident.create",
        "incident.update",
        "incident.note",
        "incident.link",
        "incident.delete",
    ] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
    s.stop().await;
}

/// A policy opens an incident for every alert of level high or more, as `system`.
async fn auto_incident_scenario(postgres: bool) {
    let s = server_with(postgres, |c| {
        c.respond.auto_incident = vec![vigil_server::auto_incident::AutoIncidentPolicy {
            name: "high alerts".into(),
            min_level: vigil_event::Level::High,
            count: 1,
            within: std::time::Duration::ZERO,
            classification: "intrusion-attempts:exploit".into(),
        }];
    })
    .await;
    let ids = three_alerts(&s).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let page = loop {
        let (_, page) = call(&s, Role::Viewer, "GET", "/api/v1/incidents", None).await;
        if page["total"] == 3 {
            break page;
        }
        assert!(std::time::Instant::now() < deadline, "{page}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let incident = &page["incidents"][0];
    assert_eq!(incident["created_by"], "system", "{incident}");
    assert_eq!(incident["classification"], "intrusion-attempts:exploit");
    assert_eq!(incident["severity"], 3, "high → 3: {incident}");
    assert!(
        incident["description"]
            .as_str()
            .is_some_and(|d| d.contains("high alerts")),
        "{incident}"
    );
    let mut linked: Vec<String> = page["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .flat_map(|i| i["alert_ids"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    linked.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(linked, expected, "one incident per alert");
    let (_, audit) = call(
        &s,
        Role::Lead,
        "GET",
        "/api/v1/audit?actor=system&action=incident.create",
        None,
    )
    .await;
    assert_eq!(audit["entries"].as_array().map(Vec::len), Some(3), "{audit}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_incident_on_sqlite() {
    auto_incident_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_incident_on_postgres() {
    auto_incident_scenario(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_on_sqlite() {
    triage_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_on_postgres() {
    triage_scenario(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_life_cycle_on_sqlite() {
    incident_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_life_cycle_on_postgres() {
    incident_scenario(true).await;
}

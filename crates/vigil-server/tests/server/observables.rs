//! Observables end to end, on SQLite and on PostgreSQL: Windows logon events in → alerts → two
//! incidents whose alerts share an address → the observables extracted from their events, each
//! incident related to the other through it, the value looked up across the tenant, one added
//! and changed by hand; with permissions, tenants and the incident's export.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigil_state::{NewApiKey, Role};

use crate::harness::{TestServer, http, http_text};

/// Failed network logons (Security 4625), as EVTX flattens them.
const LOGON_RULE: &str = r#"title: Vigil test failed logon
id: 6f1c1f7e-6c7e-4c9a-9d7e-444444444444
status: test
level: high
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4625
  condition: selection
"#;

async fn server(postgres: bool) -> TestServer {
    TestServer::start_on(postgres, |c| {
        let dir = c.rules.paths[0].clone();
        std::fs::write(dir.join("logon.yml"), LOGON_RULE).expect("rule");
    })
    .await
}

async fn call(s: &TestServer, role: Role, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    http(s.http, method, path, Some(s.key(role)), body).await
}

fn logon(computer: &str, user: &str, ip: &str) -> Value {
    json!({
        "Channel": "Security", "EventID": 4625, "Provider_Name": "Microsoft-Windows-Security-Auditing",
        "TimeCreated": "2026-11-23T10:00:00Z", "Computer": computer, "TargetUserName": user,
        "TargetDomainName": "CORP", "SubjectUserName": "-", "IpAddress": ip, "IpPort": "51000",
        "LogonType": 10, "WorkstationName": "-"
    })
}

/// The ids of the alerts of the logon rule, once there are `n`.
async fn logon_alerts(s: &TestServer, n: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = s.alerts(json!({})).await;
        let found: Vec<(String, String)> = page["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .filter(|a| a["rule_title"] == "Vigil test failed logon")
            .map(|a| {
                (
                    a["id"].as_str().unwrap_or("").to_owned(),
                    a["host"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        if found.len() >= n {
            return found;
        }
        assert!(Instant::now() < deadline, "expected {n} logon alerts: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn open_incident(s: &TestServer, title: &str, alert: &str) -> String {
    let new = json!({
        "title": title, "severity": 3, "classification": "intrusions:system-compromise",
        "alert_ids": [alert], "tlp": "green"
    });
    let (status, body) = call(s, Role::Analyst, "POST", "/api/v1/incidents", Some(new)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

/// The incident's observables once its alert has been scanned (the API scans in the background,
/// and the periodic task retries while the alert's events are not committed yet).
async fn observables_until(s: &TestServer, incident: &str, kind: &str) -> Value {
    let path = format!("/api/v1/incidents/{incident}/observables");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = call(s, Role::Viewer, "GET", &path, None).await;
        assert_eq!(status, 200, "{body}");
        let has = body["observables"]
            .as_array()
            .is_some_and(|list| list.iter().any(|o| o["kind"] == kind));
        if has {
            return body;
        }
        assert!(Instant::now() < deadline, "no {kind} observable on {incident}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn find<'a>(list: &'a Value, kind: &str, value: &str) -> &'a Value {
    list["observables"]
        .as_array()
        .and_then(|l| l.iter().find(|o| o["kind"] == kind && o["value"] == value))
        .unwrap_or_else(|| panic!("no {kind} {value} in {list}"))
}

async fn scenario(postgres: bool) {
    let s = server(postgres).await;
    for event in [
        logon("DC01.corp.example", "alice", "::ffff:203.0.113.7"),
        logon("DC02.corp.example", "bob", "203.0.113.7"),
    ] {
        let (status, body) = http(
            s.http,
            "POST",
            "/api/v1/ingest?format=ndjson",
            Some(&s.ingest_token),
            Some(event),
        )
        .await;
        assert!(status < 300, "{status} {body}");
    }
    let alerts = logon_alerts(&s, 2).await;
    let on = |host: &str| {
        alerts
            .iter()
            .find(|(_, h)| h.eq_ignore_ascii_case(host))
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no alert on {host}: {alerts:?}"))
    };
    let first = open_incident(&s, "Password spraying on DC01", &on("DC01.corp.example")).await;
    let second = open_incident(&s, "Password spraying on DC02", &on("DC02.corp.example")).await;

    let list = observables_until(&s, &first, "ip").await;
    let ip = find(&list, "ip", "203.0.113.7");
    assert_eq!(
        (
            ip["source"].as_str(),
            ip["field"].as_str(),
            ip["tlp"].as_str(),
            ip["ioc"].as_bool()
        ),
        (Some("extracted"), Some("IpAddress"), Some("green"), Some(false)),
        "{ip}"
    );
    find(&list, "user", "alice");
    find(&list, "host", "dc01.corp.example");
    assert!(
        list["observables"]
            .as_array()
            .expect("list")
            .iter()
            .all(|o| o["value"] != "-"),
        "noise skipped: {list}"
    );
    // The other incident saw the same address: related, both ways, once it is scanned too.
    let other = observables_until(&s, &second, "ip").await;
    assert_eq!(
        find(&other, "ip", "203.0.113.7")["related"][0]["id"],
        first.as_str(),
        "{other}"
    );
    let (_, list) = call(
        &s,
        Role::Viewer,
        "GET",
        &format!("/api/v1/incidents/{first}/observables"),
        None,
    )
    .await;
    let ip = find(&list, "ip", "203.0.113.7");
    assert_eq!(ip["related_total"], 1, "{ip}");
    assert_eq!(
        (ip["related"][0]["id"].as_str(), ip["related"][0]["title"].as_str()),
        (Some(second.as_str()), Some("Password spraying on DC02")),
        "{ip}"
    );
    assert_eq!(find(&list, "user", "alice")["related_total"], 0, "{list}");
    let (status, seen) = call(&s, Role::Viewer, "GET", "/api/v1/observables?value=203.0.113.7", None).await;
    assert_eq!((status, seen["total"].as_u64()), (200, Some(2)), "{seen}");
    let (status, seen) = call(
        &s,
        Role::Viewer,
        "GET",
        "/api/v1/observables?kind=user&value=alice",
        None,
    )
    .await;
    assert_eq!(
        (status, seen["sightings"][0]["incident"]["id"].as_str()),
        (200, Some(first.as_str())),
        "{seen}"
    );
    let (status, body) = call(&s, Role::Viewer, "GET", "/api/v1/observables?kind=ip&value=nope", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );

    // The timeline says what was extracted, once.
    let (_, incident) = call(&s, Role::Viewer, "GET", &format!("/api/v1/incidents/{first}"), None).await;
    let extracted: Vec<&str> = incident["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "observables")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(extracted.len(), 1, "{incident}");
    assert!(
        extracted[0].ends_with(&format!("extracted from alert {}", on("DC01.corp.example"))),
        "{extracted:?}"
    );

    by_hand(&s, &first, &ip["id"]).await;
    s.stop().await;
}

/// Adding, changing and removing by hand; permissions and tenants; the export.
async fn by_hand(s: &TestServer, incident: &str, ip_id: &Value) {
    let path = format!("/api/v1/incidents/{incident}/observables");
    let new = json!({"kind": "domain", "value": "Evil.Example", "ioc": true, "description": "C2"});
    let (status, body) = call(s, Role::Viewer, "POST", &path, Some(new.clone())).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let bad = json!({"kind": "ip", "value": "10.1.2"});
    let (status, body) = call(s, Role::Analyst, "POST", &path, Some(bad)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a valid ip value")),
        "{body}"
    );
    let (status, added) = call(s, Role::Analyst, "POST", &path, Some(new.clone())).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(
        (added["value"].as_str(), added["ioc"].as_bool()),
        (Some("evil.example"), Some(true)),
        "{added}"
    );
    let (status, _) = call(s, Role::Analyst, "POST", &path, Some(new)).await;
    assert_eq!(status, 409);
    let one = format!("{path}/{}", ip_id.as_str().expect("id"));
    let (status, changed) = call(
        s,
        Role::Analyst,
        "PATCH",
        &one,
        Some(json!({"ioc": true, "tlp": "red"})),
    )
    .await;
    assert_eq!(
        (status, changed["ioc"].as_bool(), changed["tlp"].as_str()),
        (200, Some(true), Some("red")),
        "{changed}"
    );

    let state = s.state().await;
    let (_, other) = state
        .create_api_key(&NewApiKey::new(Role::Admin, "other").in_tenant("globex"))
        .await
        .expect("key");
    for (method, p, body) in [
        ("GET", path.clone(), None),
        ("POST", path.clone(), Some(json!({"kind": "ip", "value": "10.0.0.1"}))),
        ("PATCH", one.clone(), Some(json!({"ioc": false}))),
        ("DELETE", one.clone(), None),
    ] {
        let (status, answer) = http(s.http, method, &p, Some(&other), body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{method} {p}: {answer}"
        );
    }
    let (_, seen) = http(
        s.http,
        "GET",
        "/api/v1/observables?value=203.0.113.7",
        Some(&other),
        None,
    )
    .await;
    assert_eq!(seen["total"], 0, "{seen}");

    let (status, report) = http_text(
        s.http,
        "GET",
        &format!("/api/v1/incidents/{incident}/export?format=markdown"),
        Some(s.key(Role::Viewer)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        report.contains("evil.example") && report.contains("203.0.113.7"),
        "{report}"
    );
    let (_, export) = call(
        s,
        Role::Viewer,
        "GET",
        &format!("/api/v1/incidents/{incident}/export"),
        None,
    )
    .await;
    assert!(
        export["observables"].as_array().is_some_and(|o| o.len() >= 4),
        "{export}"
    );

    let (status, _) = call(
        s,
        Role::Analyst,
        "DELETE",
        &format!("{path}/{}", added["id"].as_str().expect("id")),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, audit) = call(s, Role::Lead, "GET", "/api/v1/audit?action=observable.", None).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "observable.extract",
        "observable.create",
        "observable.update",
        "observable.delete",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observables_are_extracted_related_and_kept_by_hand_on_sqlite() {
    scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observables_are_extracted_related_and_kept_by_hand_on_postgres() {
    scenario(true).await;
}

/// An incident opened without the API (as auto-incident policies and the CLI beside a running
/// server do) is scanned by the server's periodic task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_scan_catches_incidents_the_api_did_not_open() {
    let s = server(false).await;
    let (status, body) = http(
        s.http,
        "POST",
        "/api/v1/ingest?format=ndjson",
        Some(&s.ingest_token),
        Some(logon("WS07.corp.example", "carol", "198.51.100.23")),
    )
    .await;
    assert!(status < 300, "{status} {body}");
    let alerts = logon_alerts(&s, 1).await;
    let new = vigil_api_types::incidents::NewIncident {
        title: "Opened by a policy".into(),
        severity: vigil_respond::Severity::try_from(2).expect("severity"),
        classification: "other:undetermined".into(),
        alert_ids: vec![alerts[0].0.clone()],
        description: None,
        impact: None,
        urgency: None,
        tlp: None,
        pap: None,
        owner: None,
        team: None,
        attack: vec![],
    };
    let who = vigil_state::Actor {
        id: "system".into(),
        audit: vigil_state::NewAuditEntry::new("system", "incident.create", vigil_state::AuditOutcome::Success),
        at: None,
    };
    let state = s.state().await;
    let stored = state
        .create_incident("default", &new, &vigil_respond::PriorityMatrix::default(), &who)
        .await
        .expect("create");
    let list = observables_until(&s, &stored.incident.id, "ip").await;
    find(&list, "ip", "198.51.100.23");
    assert_eq!(
        find(&list, "user", "carol")["tlp"],
        "amber",
        "the incident's marking: {list}"
    );
    s.stop().await;
}

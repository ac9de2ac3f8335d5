//! Incident tasks end to end against a running server, on SQLite and on PostgreSQL: an incident
//! gets its runbook's checklist from its classification, mandatory tasks keep it from closing,
//! tasks are worked and added by hand, reclassifying brings the new runbook, the queue across
//! incidents, the runbooks listing, permissions and tenants.

use serde_json::{Value, json};
use vigil_state::{NewApiKey, Role};

use crate::harness::{TestServer, http};

async fn call(s: &TestServer, role: Role, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    http(s.http, method, path, Some(s.key(role)), body).await
}

fn titles(tasks: &Value) -> Vec<String> {
    tasks
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["title"].as_str().expect("title").to_owned())
        .collect()
}

async fn runbook_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |_| {}).await;
    let new = json!({"title": "Emotet on pc-7", "severity": 3, "classification": "malicious-code:infected-system"});
    let (status, inc) = call(&s, Role::Analyst, "POST", "/api/v1/incidents", Some(new)).await;
    assert_eq!(status, 201, "{inc}");
    let id = inc["id"].as_str().expect("id").to_owned();
    let tasks = inc["tasks"].as_array().expect("tasks").clone();
    assert_eq!(tasks.len(), 8, "the built-in malware runbook: {inc}");
    assert!(
        tasks
            .iter()
            .all(|t| t["template"] == "malware@1" && t["status"] == "open")
    );
    assert_eq!(tasks[0]["title"], "Isolate the infected hosts from the network");
    assert_eq!(tasks[0]["mandatory"], true);
    assert_eq!(tasks[0]["phase"], "containment");
    assert!(tasks[0]["due"].is_string(), "due an hour after creation: {}", tasks[0]);
    assert!(
        inc["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["text"] == "runbook malware@1 applied: 8 tasks"),
        "{inc}"
    );
    let base = format!("/api/v1/incidents/{id}/tasks");

    // A viewer reads the checklist but does not change it.
    let (status, list) = call(&s, Role::Viewer, "GET", &base, None).await;
    assert_eq!((status, titles(&list["tasks"]).len()), (200, 8), "{list}");
    let first = format!("{base}/{}", tasks[0]["id"].as_str().expect("id"));
    let (status, body) = call(&s, Role::Viewer, "PATCH", &first, Some(json!({"status": "done"}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );

    // Closing is refused while mandatory tasks are pending, and says which.
    let close = json!({"status": "closed", "resolution": "reimaged", "lessons_learned": "block macros"});
    let path = format!("/api/v1/incidents/{id}");
    let (status, body) = call(&s, Role::Lead, "PATCH", &path, Some(close.clone())).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("4 mandatory task(s)") && message.contains("Isolate the infected hosts"),
        "{message}"
    );

    // An analyst works the mandatory ones: done, or skipped with a reason.
    for t in tasks.iter().filter(|t| t["mandatory"] == true) {
        let one = format!("{base}/{}", t["id"].as_str().expect("id"));
        let (status, body) = call(&s, Role::Analyst, "PATCH", &one, Some(json!({"status": "skipped"}))).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{body}"
        );
        let (status, body) = call(
            &s,
            Role::Analyst,
            "PATCH",
            &one,
            Some(json!({"status": "done", "comment": "ok"})),
        )
        .await;
        assert_eq!((status, body["status"].as_str()), (200, Some("done")), "{body}");
        assert!(
            body["completed_by"].as_str().is_some_and(|b| b.starts_with("apikey:")),
            "{body}"
        );
    }
    // A task added by hand, assigned, due, then in the queue across incidents.
    let add = json!({"title": "Call the ISP", "assignee": "carol", "due": "2030-01-01T00:00:00Z", "mandatory": true});
    let (status, added) = call(&s, Role::Analyst, "POST", &base, Some(add)).await;
    assert_eq!((status, added["position"].as_i64()), (201, Some(9)), "{added}");
    let (status, queue) = call(&s, Role::Viewer, "GET", "/api/v1/tasks?assignee=carol", None).await;
    assert_eq!((status, queue["total"].as_u64()), (200, Some(1)), "{queue}");
    let (status, queue) = call(&s, Role::Viewer, "GET", "/api/v1/tasks?mandatory=true", None).await;
    assert_eq!(
        (status, queue["total"].as_u64()),
        (200, Some(1)),
        "only the one just added: {queue}"
    );
    let (status, body) = call(&s, Role::Viewer, "GET", "/api/v1/tasks?status=finished", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let (status, body) = call(&s, Role::Lead, "PATCH", &path, Some(close.clone())).await;
    assert_eq!(status, 409, "the added mandatory task blocks: {body}");
    let one = format!("{base}/{}", added["id"].as_str().expect("id"));
    let skip = json!({"status": "skipped", "comment": "the ISP called us"});
    let (status, _) = call(&s, Role::Analyst, "PATCH", &one, Some(skip)).await;
    assert_eq!(status, 200);

    // Reclassified as a phishing case: the phishing runbook's tasks join the checklist.
    let (status, body) = call(
        &s,
        Role::Analyst,
        "PATCH",
        &path,
        Some(json!({"classification": "fraud:phishing"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let all = titles(&body["tasks"]);
    assert_eq!(all.len(), 15, "{all:#?}");
    assert!(body["tasks"][9]["template"] == "phishing@1", "{}", body["tasks"][9]);
    for t in body["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|t| t["template"] == "phishing@1")
    {
        let one = format!("{base}/{}", t["id"].as_str().expect("id"));
        let (status, _) = call(&s, Role::Analyst, "PATCH", &one, Some(json!({"status": "done"}))).await;
        assert_eq!(status, 200);
    }
    let (status, body) = call(&s, Role::Lead, "PATCH", &path, Some(close)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("closed")), "{body}");

    // Another tenant sees neither the incident's tasks nor them in its queue.
    let state = s.state().await;
    let (_, other) = state
        .create_api_key(&NewApiKey::new(Role::Admin, "other").in_tenant("globex"))
        .await
        .expect("key");
    let (status, body) = http(s.http, "GET", &base, Some(&other), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, body) = http(s.http, "POST", &base, Some(&other), Some(json!({"title": "x"}))).await;
    assert_eq!(status, 404, "{body}");
    let (_, queue) = http(s.http, "GET", "/api/v1/tasks", Some(&other), None).await;
    assert_eq!(queue["total"], 0, "{queue}");

    let (status, books) = call(&s, Role::Viewer, "GET", "/api/v1/runbooks", None).await;
    assert_eq!((status, books["source"].as_str()), (200, Some("built-in")), "{books}");
    assert!(
        books["runbooks"]
            .as_array()
            .expect("runbooks")
            .iter()
            .any(|b| b["name"] == "malware")
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_checklist_gates_closing_on_sqlite() {
    runbook_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_checklist_gates_closing_on_postgres() {
    runbook_scenario(true).await;
}

/// Marks every pending mandatory task of `incident` done with `key` (what an analyst does before
/// a lead closes the incident).
pub async fn finish_mandatory_tasks(addr: std::net::SocketAddr, key: &str, incident: &str) {
    let base = format!("/api/v1/incidents/{incident}/tasks");
    let (status, list) = http(addr, "GET", &base, Some(key), None).await;
    assert_eq!(status, 200, "{list}");
    for t in list["tasks"].as_array().expect("tasks") {
        if t["mandatory"] == true && (t["status"] == "open" || t["status"] == "in_progress") {
            let one = format!("{base}/{}", t["id"].as_str().expect("id"));
            let (status, body) = http(addr, "PATCH", &one, Some(key), Some(json!({"status": "done"}))).await;
            assert_eq!(status, 200, "{body}");
        }
    }
}

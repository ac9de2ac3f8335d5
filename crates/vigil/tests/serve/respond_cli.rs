//! Alert triage and incidents from the command line against a running server: `vigil alerts
//! ack|close|reopen|assign|comment|history` (one id, several ids, a filter with and without
//! `--yes`) and `vigil incidents create|list|show|update|note|link|merge|export`, each checked
//! through the API; plus hostile text in incidents and their alerts shown escaped.

use serde_json::Value;

use crate::cli_run::{api_key, fails, ok};
use crate::harness::{BASE_CONFIG, Env, Server, marker};

fn rule(title: &str, m: &str) -> String {
    format!(
        "title: \"{title}\"\nid: 3b1c5d2e-6f7a-4b8c-9d0e-1f2a3b4c5d6e\nstatus: test\nlevel: high\n\
logsource: {{category: test}}\ndetection:\n  sel: {{marker: {m}, hit: yes}}\n  condition: sel\n"
    )
}

/// Ingests one event per host (each raising one alert: every event names another user, so that
/// alert grouping, by host and user, keeps them apart) and returns the alerts, by host.
fn raise_alerts(server: &Server, m: &str, hosts: &[&str]) -> Vec<(String, Value)> {
    let mut body = String::new();
    for (n, host) in hosts.iter().enumerate() {
        let line =
            serde_json::json!({"marker": m, "category": "test", "hit": "yes", "User": format!("u{n}"), "host": host});
        body.push_str(&format!("{line}\n"));
    }
    let r = server
        .ingest_post("/api/v1/ingest?format=ndjson", "application/x-ndjson", body.as_bytes())
        .expect("ingest");
    assert_eq!(r.status, 200, "{}", r.text());
    let alerts = server.wait_for_alerts(hosts.len());
    assert_eq!(alerts.len(), hosts.len(), "one alert per event");
    alerts
        .into_iter()
        .map(|a| (a["host"].as_str().unwrap_or_default().to_owned(), a))
        .collect()
}

fn alert(server: &Server, id: &str) -> Value {
    let r = server.api_get(&format!("/api/v1/alerts/{id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn incident(server: &Server, id: &str) -> Value {
    let r = server.api_get(&format!("/api/v1/incidents/{id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// The id of the alert from `host` (the first one when several are).
fn id_of<'a>(alerts: &'a [(String, Value)], host: &str) -> &'a str {
    alerts
        .iter()
        .find(|(h, _)| h == host)
        .and_then(|(_, a)| a["id"].as_str())
        .unwrap_or_else(|| panic!("no alert from {host}"))
}

#[test]
fn alerts_are_triaged_and_incidents_worked_from_the_cli() {
    let env = Env::new(BASE_CONFIG);
    let m = marker("respond");
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("respond.yml"), rule("Respond Probe", &m)).expect("rule");
    let lead = api_key(&env, "lead");
    let analyst = api_key(&env, "analyst");
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);
    let hosts = [
        "ack-host",
        "close-host",
        "bulk-host",
        "bulk-host",
        "pair-host",
        "pair-host",
        "inc-host",
    ];
    let alerts = raise_alerts(&server, &m, &hosts);
    let pair: Vec<&str> = alerts
        .iter()
        .filter(|(h, _)| h == "pair-host")
        .filter_map(|(_, a)| a["id"].as_str())
        .collect();
    let bulk: Vec<&str> = alerts
        .iter()
        .filter(|(h, _)| h == "bulk-host")
        .filter_map(|(_, a)| a["id"].as_str())
        .collect();
    let (acked, closed, linked) = (
        id_of(&alerts, "ack-host"),
        id_of(&alerts, "close-host"),
        id_of(&alerts, "inc-host"),
    );

    // One id: PATCH; a second time the server's reason, and a non-zero exit.
    let run = ok(&server, &analyst, &["alerts", "ack", acked]);
    assert!(
        run.stdout.contains(&format!("alert {acked}: acknowledged")),
        "{}",
        run.all()
    );
    assert_eq!(alert(&server, acked)["status"], "acknowledged");
    let run = fails(&server, &analyst, &["alerts", "ack", acked]);
    assert!(
        run.stderr.contains("409") && run.stderr.contains("conflict") && run.stderr.contains("already acknowledged"),
        "{}",
        run.all()
    );
    let run = fails(&server, &server.read_token, &["alerts", "ack", closed]);
    assert!(
        run.stderr.contains("forbidden"),
        "a viewer cannot triage: {}",
        run.all()
    );

    let run = ok(
        &server,
        &analyst,
        &[
            "alerts",
            "close",
            closed,
            "--disposition",
            "false_positive",
            "--comment",
            "x",
        ],
    );
    assert!(
        run.stdout
            .contains(&format!("alert {closed}: closed as false_positive")),
        "{}",
        run.all()
    );
    let a = alert(&server, closed);
    assert_eq!(
        (&a["status"], &a["disposition"]),
        (&Value::from("closed"), &Value::from("false_positive"))
    );
    let run = ok(&server, &analyst, &["alerts", "history", closed]);
    assert!(
        run.stdout.contains("disposition=false_positive") && run.stdout.contains("comment=x"),
        "{}",
        run.all()
    );
    let run = ok(&server, &analyst, &["alerts", "comment", closed, "asked the owner"]);
    assert!(run.stdout.contains("comment added"), "{}", run.all());
    let run = fails(&server, &analyst, &["alerts", "reopen", closed]);
    assert!(
        run.stderr.contains("alert:reopen"),
        "an analyst cannot reopen: {}",
        run.all()
    );
    ok(&server, &lead, &["alerts", "reopen", closed]);
    assert_eq!(alert(&server, closed)["status"], "new");

    // A filter: counted, changed only with --yes.
    let run = fails(
        &server,
        &analyst,
        &["alerts", "ack", "--where-host", "bulk-host", "--where-status", "new"],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr.contains("2 alerts match, 2 would change") && run.stderr.contains("--yes"),
        "{}",
        run.all()
    );
    for id in &bulk {
        assert_eq!(alert(&server, id)["status"], "new", "nothing changed without --yes");
    }
    let run = ok(
        &server,
        &analyst,
        &[
            "alerts",
            "ack",
            "--where-host",
            "bulk-host",
            "--where-status",
            "new",
            "--yes",
        ],
    );
    assert!(run.stdout.contains("acknowledged 2 of 2 alerts"), "{}", run.all());
    for id in &bulk {
        assert_eq!(alert(&server, id)["status"], "acknowledged");
    }
    let run = fails(
        &server,
        &analyst,
        &["alerts", "ack", "--where-host", "bulk-host", "--yes"],
    );
    assert!(
        run.stderr.contains("0 would change") && run.stderr.contains("nothing to"),
        "{}",
        run.all()
    );

    // Several ids: one bulk request; what could not change is counted.
    let run = ok(&server, &analyst, &["alerts", "ack", pair[0], pair[1], acked]);
    assert!(
        run.stdout.contains("acknowledged 2 of 3 alerts (1 could not change"),
        "{}",
        run.all()
    );
    let run = ok(&server, &analyst, &["alerts", "assign", pair[0], "--to", "team:tier2"]);
    assert!(
        run.stdout
            .contains(&format!("alert {}: assigned to team:tier2", pair[0])),
        "{}",
        run.all()
    );
    assert_eq!(alert(&server, pair[0])["assignee"], "team:tier2");
    let run = ok(
        &server,
        &analyst,
        &["alerts", "--assignee", "team:tier2", "--status", "acknowledged"],
    );
    assert!(
        run.stdout.contains(pair[0]) && !run.stdout.contains(pair[1]),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("1 alerts match"), "{}", run.all());
    ok(&server, &analyst, &["alerts", "assign", pair[0], "--unassign"]);
    assert_eq!(alert(&server, pair[0])["assignee"], Value::Null);
    let run = ok(
        &server,
        &analyst,
        &["alerts", "--min-level", "high", "--host", "bulk-host"],
    );
    assert!(
        run.stderr.contains("2 alerts match"),
        "the list still works: {}",
        run.all()
    );

    // Incidents.
    let run = ok(
        &server,
        &lead,
        &[
            "incidents",
            "create",
            "--title",
            "Respond probe incident",
            "--severity",
            "high",
            "--classification",
            "intrusions:system-compromise",
            "--alert",
            linked,
            "--owner",
            "alice",
            "--attack",
            "T1059",
        ],
    );
    let inc = run.stdout.trim().to_owned();
    assert!(
        !inc.is_empty() && !inc.contains(char::is_whitespace),
        "the id alone: {}",
        run.all()
    );
    let i = incident(&server, &inc);
    assert_eq!(i["alert_ids"], serde_json::json!([linked]));
    assert_eq!(alert(&server, linked)["status"], "merged");
    let other = ok(
        &server,
        &analyst,
        &[
            "incidents",
            "create",
            "--title",
            "Second",
            "--severity",
            "1",
            "--classification",
            "other:other",
            "--json",
        ],
    );
    let other: Value = serde_json::from_str(&other.stdout).expect("--json prints the incident");
    let other = other["id"].as_str().expect("id").to_owned();

    let run = ok(&server, &analyst, &["incidents", "list"]);
    assert!(
        run.stdout.contains(&inc) && run.stdout.contains("Respond probe incident") && run.stdout.contains("P2"),
        "{}",
        run.all()
    );
    assert!(run.stdout.contains("ack due"), "the most urgent timer: {}", run.all());
    let run = ok(
        &server,
        &analyst,
        &["incidents", "list", "--open", "--owner", "alice", "--json"],
    );
    let page: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(page["total"], 1, "{page}");
    let run = ok(&server, &analyst, &["incidents", "show", &inc]);
    for want in [
        "Respond probe incident",
        "SLA: policy",
        "acknowledge",
        "resolve",
        "timeline (",
        "created",
        linked,
        "Respond Probe",
    ] {
        assert!(run.stdout.contains(want), "show lacks {want:?}:\n{}", run.stdout);
    }

    let run = ok(
        &server,
        &analyst,
        &["incidents", "note", &inc, "isolated inc-host", "--occurred-at", "1h"],
    );
    assert!(run.stdout.contains("note added"), "{}", run.all());
    let run = ok(&server, &analyst, &["incidents", "link", &inc, pair[1]]);
    assert!(run.stdout.contains("now 2 alerts"), "{}", run.all());
    let run = ok(&server, &analyst, &["incidents", "merge", &inc, &other]);
    assert!(run.stdout.contains("merged 1 incident into"), "{}", run.all());
    assert_eq!(incident(&server, &other)["merged_into"], Value::from(inc.as_str()));
    let run = ok(
        &server,
        &analyst,
        &[
            "incidents",
            "update",
            &inc,
            "--status",
            "investigating",
            "--no-owner",
            "--team",
            "tier2",
        ],
    );
    assert!(
        run.stdout.contains("status investigating") && run.stdout.contains("owner removed"),
        "{}",
        run.all()
    );
    let run = fails(&server, &analyst, &["incidents", "update", &inc]);
    assert!(run.stderr.contains("nothing to change"), "{}", run.all());

    let run = fails(&server, &lead, &["incidents", "update", &inc, "--status", "closed"]);
    assert!(
        run.stderr.contains("400") && run.stderr.contains("resolution: closing an incident needs one"),
        "the server's message: {}",
        run.all()
    );
    let close = [
        "incidents",
        "update",
        &inc,
        "--status",
        "closed",
        "--resolution",
        "reimaged inc-host",
        "--lessons-learned",
        "patch faster",
    ];
    let run = fails(&server, &analyst, &close);
    assert!(
        run.stderr.contains("case:close"),
        "an analyst cannot close: {}",
        run.all()
    );
    // The runbook's checklist (`vigil incidents task`): closing waits for its mandatory tasks.
    let run = fails(&server, &lead, &close);
    assert!(
        run.stderr.contains("409") && run.stderr.contains("mandatory task(s) still pending"),
        "{}",
        run.all()
    );
    let run = ok(&server, &analyst, &["incidents", "task", &inc]);
    assert!(
        run.stdout.contains("Isolate the infected hosts") && run.stderr.contains("runbook malware@1"),
        "{}",
        run.all()
    );
    let run = fails(&server, &analyst, &["incidents", "task", &inc, "skip", "1"]);
    assert!(run.stderr.contains("needs a reason"), "{}", run.all());
    let run = fails(&server, &analyst, &["incidents", "task", &inc, "done", "99"]);
    assert!(run.stderr.contains("give a number from 1 to 8"), "{}", run.all());
    let skip = [
        "incidents",
        "task",
        &inc,
        "skip",
        "1",
        "--comment",
        "isolated by the EDR already",
    ];
    ok(&server, &analyst, &skip);
    let add = [
        "incidents",
        "task",
        &inc,
        "add",
        "Tell the owner",
        "--due",
        "2h",
        "--assignee",
        "alice",
    ];
    ok(&server, &analyst, &add);
    let run = ok(&server, &analyst, &["incidents", "task", "--assignee", "alice"]);
    assert!(
        run.stdout.contains("Tell the owner") && run.stdout.contains(&inc),
        "{}",
        run.all()
    );
    let run = ok(&server, &analyst, &["incidents", "task", &inc, "--json"]);
    let list: Value = serde_json::from_str(&run.stdout).expect("--json prints the tasks");
    let tasks = list["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 9, "{list}");
    for (n, t) in tasks.iter().enumerate() {
        if t["mandatory"] == true && t["status"] == "open" {
            ok(
                &server,
                &analyst,
                &["incidents", "task", &inc, "done", &(n + 1).to_string()],
            );
        }
    }
    ok(&server, &lead, &close);
    let i = incident(&server, &inc);
    assert_eq!(i["status"], "closed");
    assert_eq!(i["tasks"][0]["status"], "skipped", "{i}");
    let run = ok(&server, &analyst, &["incidents", "show", &inc]);
    for want in [
        "isolated inc-host",
        "(occurred ",
        "status_changed",
        "reimaged inc-host",
        "merged",
    ] {
        assert!(run.stdout.contains(want), "show lacks {want:?}:\n{}", run.stdout);
    }
    let run = ok(&server, &analyst, &["incidents", "list", "--closed"]);
    assert!(run.stdout.contains(&inc), "{}", run.all());
    let run = fails(&server, &analyst, &["incidents", "show", "nope"]);
    assert!(run.stderr.contains("not_found"), "{}", run.all());

    // Export (last: the newest route).
    let report = env.path("report.md");
    let report_arg = report.to_string_lossy().into_owned();
    ok(
        &server,
        &analyst,
        &["incidents", "export", &inc, "--format", "markdown", "-o", &report_arg],
    );
    let text = std::fs::read_to_string(&report).expect("report");
    assert!(text.contains("Respond probe incident"), "{text}");
    let run = fails(&server, &analyst, &["incidents", "export", &inc, "-o", &report_arg]);
    assert!(
        run.stderr.contains("creating"),
        "an existing file is kept: {}",
        run.all()
    );
    let run = ok(&server, &analyst, &["incidents", "export", &inc, "--format", "json"]);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON export");
    assert_eq!(json["id"], Value::from(inc.as_str()), "{json}");
    server.assert_healthy("respond cli");
}

#[test]
fn hostile_text_in_incidents_is_shown_escaped() {
    let env = Env::new(BASE_CONFIG);
    let m = marker("hostileinc");
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("evil.yml"), rule("Evil \\e[31mrule\\u202e", &m)).expect("rule");
    let analyst = api_key(&env, "analyst");
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);
    let alerts = raise_alerts(&server, &m, &["db01\u{1b}[2J\u{9b}31m"]);
    let id = alerts[0].1["id"].as_str().expect("id");

    // The server refuses control characters in a title; its answer is shown escaped.
    let run = fails(
        &server,
        &analyst,
        &[
            "incidents",
            "create",
            "--title",
            "red \u{1b}[31mtitle",
            "--severity",
            "2",
            "--classification",
            "test:test",
        ],
    );
    assert!(run.stderr.contains("control characters"), "{}", run.all());
    // Invisible formatting characters pass the server, and are escaped on the terminal.
    let run = ok(
        &server,
        &analyst,
        &[
            "incidents",
            "create",
            "--title",
            "Evil \u{202e}txt.exe",
            "--severity",
            "2",
            "--classification",
            "test:test",
            "--alert",
            id,
            "--description",
            "line one\nline \u{2066}two",
        ],
    );
    let inc = run.stdout.trim().to_owned();
    let run = ok(&server, &analyst, &["incidents", "list"]);
    assert!(run.stdout.contains("Evil \\u{202e}txt.exe"), "{}", run.stdout);
    let run = ok(&server, &analyst, &["incidents", "show", &inc]);
    for want in [
        "Evil \\u{202e}txt.exe",
        "Evil \\x1b[31mrule\\u{202e}",
        "db01\\x1b[2J\\u{9b}31m",
        "line \\u{2066}two",
    ] {
        assert!(run.stdout.contains(want), "show lacks {want:?}:\n{}", run.stdout);
    }
    let run = ok(&server, &analyst, &["incidents", "show", &inc, "--json"]);
    let value: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(value["title"], "Evil \u{202e}txt.exe", "the same text once parsed");
    let run = ok(&server, &analyst, &["incidents", "export", &inc]);
    assert!(run.stdout.contains("\\u{202e}"), "{}", run.stdout);
    // The shift handover: read aloud with the title escaped, written to a file as HTML.
    let run = ok(&server, &analyst, &["handover", "--since", "1h"]);
    for want in [
        "== STILL OPEN: 1 ==",
        "== OPENED IN THE PERIOD: 1 ==",
        "Evil \\u{202e}txt.exe",
    ] {
        assert!(run.stdout.contains(want), "handover lacks {want:?}:\n{}", run.stdout);
    }
    let page = env.path("handover.html");
    let page_arg = page.to_string_lossy().into_owned();
    ok(
        &server,
        &analyst,
        &["handover", "--since", "1h", "--format", "html", "-o", &page_arg],
    );
    let html = std::fs::read_to_string(&page).expect("handover page");
    assert!(
        html.contains("Evil \u{202e}txt.exe") && !html.contains("<script"),
        "{html}"
    );
    server.assert_healthy("hostile incidents");
}

#[test]
fn oncall_shows_who_is_on_call_in_each_rotation() {
    let config = format!(
        "{BASE_CONFIG}\n[respond.channels.mail]\ntype = \"email\"\nfrom = \"vigil@example.org\"\n\
         to = [\"soc@example.org\"]\nsmtp = {{ host = \"smtp.example.org\", port = 587, security = \"starttls\" }}\n\
         [respond.oncall.soc-primary]\nzone = \"UTC\"\nhandover = \"monday 09:00\"\nmembers = [\"alice\", \"bob\"]\n\
         start = \"2026-01-05\"\nchannel = \"mail\"\n\
         [respond.people.alice]\nemail = \"alice@example.org\"\n[respond.people.bob]\nemail = \"bob@example.org\"\n"
    );
    let env = Env::new(&config);
    let viewer = api_key(&env, "viewer");
    let server = env.start(false);
    let table = ok(&server, &viewer, &["oncall"]);
    let row = table.stdout.lines().find(|l| l.contains("soc-primary"));
    assert!(
        row.is_some_and(|r| r.contains("alice") && r.contains("bob")),
        "one on call, the other next:\n{}",
        table.all()
    );
    assert!(table.stderr.contains("1 rotation at"), "{}", table.all());
    let json: Value = serde_json::from_str(&ok(&server, &viewer, &["oncall", "--json"]).stdout).expect("json");
    let r = &json["rotations"][0];
    assert_ne!(r["on_call"]["member"], r["next"]["member"], "{json}");
    assert_eq!(r["on_call"]["by_override"], false, "{json}");
}

//! The KPI extensions end to end, on SQLite and on PostgreSQL: alert-level MTTD (a replayed 2020
//! event left out and counted), MTTA and MTTR; `group_by=rule` and `tenant`; the backlog by age;
//! a weekly trend; parameter errors; and the measure gauges on `/metrics`, refreshed by the
//! server's task. Exact arithmetic is pinned by the unit and state tests.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use vigil_state::triage::{Selection, Triager};
use vigil_state::{Actor, AlertKind, AuditOutcome, NewAlert, NewAuditEntry, Role};

use crate::harness::{TestServer, http, http_text};

fn alert(id: &str, rule: &str, detected: Timestamp, event_time: Timestamp) -> NewAlert {
    NewAlert {
        id: id.into(),
        tenant: "default".into(),
        rule_id: rule.into(),
        rule_title: format!("Rule {rule}"),
        level: "high".into(),
        kind: AlertKind::Detection,
        attack: Vec::new(),
        tags: Vec::new(),
        event_ids: vec![format!("ev-{id}")],
        group_key: None,
        event_time: Some(event_time),
        detected,
        input: Some("syslog".into()),
        host: Some("web-1".into()),
        matched: json!({}),
        grouping: None,
    }
}

fn find<'a>(list: &'a Value, name: &str, group: Option<&str>) -> &'a Value {
    list.as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["name"] == name && k["group"].as_str() == group)
        .unwrap_or_else(|| panic!("no {name} for {group:?} in {list}"))
}

async fn get(s: &TestServer, path: &str) -> (u16, Value) {
    http(s.http, "GET", path, Some(s.key(Role::Viewer)), None).await
}

async fn measure_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |c| {
        c.respond.notify.check_interval = Duration::from_millis(200);
    })
    .await;
    let state = s.state().await;
    let now = Timestamp::now();
    let ago = |secs: i64| now - SignedDuration::from_secs(secs);
    state
        .insert_alerts(&[
            alert("m1", "r1", ago(7200), ago(7260)),
            // A 2020 sample replayed: its event is ~2,000 days older than its alert.
            alert("m2", "r2", ago(3000), ago(2000 * 86_400)),
        ])
        .await
        .expect("alerts");
    let ack = vigil_api_types::triage::AlertUpdate {
        status: Some(vigil_respond::AlertStatus::Acknowledged),
        ..Default::default()
    };
    let who = Triager {
        actor: Actor {
            id: "user:ann".into(),
            audit: NewAuditEntry::new("user:ann", "alert.update", AuditOutcome::Success),
            at: Some(ago(7080)),
        },
        may_reopen: false,
    };
    let ids = ["m1".to_owned()];
    state
        .triage_alerts("default", Selection::Ids(&ids), &ack, &who, None)
        .await
        .expect("ack");
    let new = json!({"title": "from m1", "severity": 3, "classification": "malicious-code:infected-system", "alert_ids": ["m1"]});
    let (status, inc) = http(
        s.http,
        "POST",
        "/api/v1/incidents",
        Some(s.key(Role::Analyst)),
        Some(new),
    )
    .await;
    assert_eq!(status, 201, "{inc}");

    let (status, r) = get(&s, "/api/v1/kpis?from=1d&group_by=rule&trend=week").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["mttd_cutoff_seconds"], 7 * 86_400);
    let mttd = find(&r["alerts"], "mttd", None);
    assert_eq!(
        (mttd["n"].as_u64(), mttd["excluded"].as_u64()),
        (Some(1), Some(1)),
        "{mttd}"
    );
    assert_eq!(mttd["value_seconds"].as_f64(), Some(60.0), "{mttd}");
    let mtta = find(&r["alerts"], "mtta", None);
    assert_eq!(
        (mtta["n"].as_u64(), mtta["value_seconds"].as_f64()),
        (Some(1), Some(120.0))
    );
    assert_eq!(find(&r["alerts"], "alert_volume", Some("r2"))["value"], 1.0);
    assert_eq!(find(&r["alerts"], "mttd", Some("r2"))["excluded"], 1);
    // The incident counts under the rule of its alert.
    assert_eq!(find(&r["incidents"], "mtta", Some("r1"))["n"], 0);
    assert!(
        r["incidents"]
            .as_array()
            .expect("incidents")
            .iter()
            .all(|k| k["group"] != "r2")
    );
    // Backlog: m2 (new, 50m) is open, m1 was folded into the incident (under 1h old).
    let backlog = r["backlog"].as_array().expect("backlog");
    let high = backlog
        .iter()
        .find(|b| b["kind"] == "alert" && b["group"] == "high")
        .expect("high");
    assert_eq!(
        (
            high["under_1h"].as_u64(),
            high["from_1h_to_4h"].as_u64(),
            high["total"].as_u64()
        ),
        (Some(1), Some(0), Some(1)),
        "{high}"
    );
    let incidents: u64 = backlog
        .iter()
        .filter(|b| b["kind"] == "incident")
        .map(|b| b["under_1h"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(incidents, 1, "{backlog:?}");
    // The week (or two, across a Monday) holds both alerts and the incident.
    assert_eq!(r["trend"], "week");
    let trends = r["trends"].as_array().expect("trends");
    assert!((1..=2).contains(&trends.len()), "{trends:?}");
    let total = |k: &str| trends.iter().map(|b| b[k].as_u64().unwrap_or(0)).sum::<u64>();
    assert_eq!((total("alert_count"), total("incident_count")), (2, 1));

    let (status, r) = get(&s, "/api/v1/kpis?from=1d&group_by=tenant&mttd_cutoff=10000d").await;
    assert_eq!(status, 200, "{r}");
    let mttd = find(&r["alerts"], "mttd", Some("default"));
    assert_eq!((mttd["n"].as_u64(), mttd.get("excluded")), (Some(2), None), "{mttd}");
    assert_eq!(find(&r["incidents"], "mttr", Some("default"))["n"], 0);
    assert!(r["trends"].as_array().expect("trends").is_empty());

    for bad in [
        "trend=day",
        "from=2000-01-01&trend=week",
        "mttd_cutoff=0s",
        "mttd_cutoff=soon",
    ] {
        let (status, body) = get(&s, &format!("/api/v1/kpis?{bad}")).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{bad}: {body}"
        );
    }

    // The gauges: refreshed by the server task, not by the scrape.
    let want = [
        "vigil_open_alerts{tenant=\"default\",level=\"high\"} 1",
        "vigil_mtta_seconds{tenant=\"default\",kind=\"alert\"} 120",
        "# HELP vigil_sla_breached_timers SLA timers of open incidents past their target, per tenant and metric (acknowledge, contain, resolve).",
        "vigil_sla_breached_timers{tenant=\"default\",metric=\"acknowledge\"} 0",
    ];
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = http_text(s.http, "GET", "/metrics", Some(&s.read_token), None).await.1;
        if want.iter().all(|w| metrics.lines().any(|l| l == *w)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for w in want {
        assert!(metrics.lines().any(|l| l == w), "{w} missing from\n{metrics}");
    }
    let oldest = metrics
        .lines()
        .find_map(|l| l.strip_prefix("vigil_oldest_open_alert_age_seconds{tenant=\"default\"} "))
        .and_then(|v| v.parse::<f64>().ok())
        .expect("oldest open alert age");
    assert!((3000.0..3100.0).contains(&oldest), "{oldest}");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("vigil_open_incidents{tenant=\"default\",priority=")),
        "{metrics}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kpi_extensions_and_gauges_on_sqlite() {
    measure_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kpi_extensions_and_gauges_on_postgres() {
    measure_scenario(true).await;
}

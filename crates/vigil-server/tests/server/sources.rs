//! Log-source health against a running server, on SQLite and PostgreSQL, the health check driven
//! at chosen times: a source reports → past its threshold it is silent, with one alert however
//! often the check runs → its next event makes it healthy and ends the silence → uptime and MTBF
//! over a window as computed by hand from the silence; the logsources the rules expect but
//! nobody sends; another tenant sees none of it.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use vigil_server::source_health::{SILENT_RULE_ID, SourcesConfig, check_sources};
use vigil_state::{NewApiKey, Role};

use crate::harness::{TestServer, http};

const AUDITD_RULE: &str = r#"title: Needs auditd
id: 6f1c1f7e-6c7e-4c9a-9d7e-333333333333
status: test
level: low
logsource:
  product: linux
  service: auditd
detection:
  sel:
    type: EXECVE
  condition: sel
"#;

fn config() -> SourcesConfig {
    SourcesConfig {
        flush_interval: Duration::from_millis(100),
        // The server's own check never runs during the test: the test drives it.
        check_interval: Duration::from_secs(3600),
        min_active_hours: 1,
        silent_after: Duration::from_secs(3600),
        ..SourcesConfig::default()
    }
}

fn at(v: &Value) -> Timestamp {
    v.as_str().expect("time").parse().expect("timestamp")
}

async fn sources(s: &TestServer, query: &str) -> Value {
    let (status, body) = http(
        s.http,
        "GET",
        &format!("/api/v1/sources{query}"),
        Some(s.key(Role::Viewer)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Polls until the one source satisfies `ok`.
async fn source_until(s: &TestServer, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let body = sources(s, "").await;
        if let Some(src) = body["sources"].as_array().and_then(|a| a.first())
            && ok(src)
        {
            return src.clone();
        }
        assert!(Instant::now() < end, "waited for {what}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn silent_alerts(s: &TestServer) -> usize {
    let path = format!("/api/v1/alerts?rule_id={SILENT_RULE_ID}");
    let (status, body) = http(s.http, "GET", &path, Some(s.key(Role::Viewer)), None).await;
    assert_eq!(status, 200, "{body}");
    body["alerts"].as_array().expect("alerts").len()
}

async fn scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |c| {
        c.sources = config();
        std::fs::write(c.rules.paths[0].join("auditd.yml"), AUDITD_RULE).expect("rule");
    })
    .await;
    let line = |n: u32| format!("<13>Dec  6 07:00:0{n} web-1 app: source health {n}");
    s.syslog_tcp(&[line(1), line(2)]).await;
    let src = source_until(&s, "two events", |v| v["events"] == 2).await;
    assert_eq!(src["host"], "web-1");
    assert_eq!(
        (src["product"].as_str(), src["service"].as_str()),
        (Some("linux"), Some("syslog"))
    );
    assert_eq!(src["status"], "new", "no check has run: no baseline yet");
    let id = src["id"].as_str().expect("id").to_owned();
    let last = at(&src["last_event"]);

    let state = s.state().await;
    let c = config();
    let minutes = |m: i64| last + SignedDuration::from_mins(m);
    // Within its threshold: a baseline (one active hour), healthy, no alert.
    let o = check_sources(&state, &c, minutes(30)).await.expect("check");
    assert!(o.silenced.is_empty());
    let src = source_until(&s, "healthy", |v| v["status"] == "healthy").await;
    assert_eq!(src["threshold_seconds"], 3600);
    assert_eq!(src["active_hours"], 1);
    assert_eq!(src["baseline_per_hour"], 2.0);
    // Past it: silent, one alert; checks after that raise no other.
    let o = check_sources(&state, &c, minutes(61)).await.expect("check");
    assert_eq!(o.silenced, vec![id.clone()]);
    for m in [62, 90, 240] {
        assert!(
            check_sources(&state, &c, minutes(m))
                .await
                .expect("check")
                .silenced
                .is_empty()
        );
    }
    let silent = sources(&s, "?status=silent").await;
    assert_eq!(silent["sources"].as_array().map(Vec::len), Some(1), "{silent}");
    assert_eq!(silent["sources"][0]["silent_since"], src["last_event"]);
    assert_eq!(silent_alerts(&s).await, 1);

    // It reports again: healthy, the silence ended by its first event back.
    s.syslog_tcp(&[line(3)]).await;
    let back = source_until(&s, "healthy again", |v| v["status"] == "healthy" && v["events"] == 3).await;
    let ended = at(&back["last_event"]);
    assert_eq!(back["silences"][0]["ended"], back["last_event"]);
    assert_eq!(at(&back["silences"][0]["started"]), last);
    assert_eq!(silent_alerts(&s).await, 1);

    // Uptime and MTBF over [last − 1 h, ended + 1 h): silent (ended − last) of the window.
    let (from, to) = (
        last - SignedDuration::from_hours(1),
        ended + SignedDuration::from_hours(1),
    );
    let report = sources(&s, &format!("?from={from}&to={to}")).await;
    let got = &report["sources"][0];
    let window = to.duration_since(from).as_secs_f64();
    let silent = ended.duration_since(last).as_secs_f64();
    let uptime = got["uptime"]["value"].as_f64().expect("uptime");
    assert!((uptime - (1.0 - silent / window)).abs() < 1e-6, "{got}");
    let mtbf = got["mtbf"]["value_seconds"].as_f64().expect("mtbf");
    assert!((mtbf - (window - silent)).abs() < 1e-3, "{got}");
    assert_eq!(got["mtbf"]["n"], 1);
    assert!(
        got["uptime"]["formula"]
            .as_str()
            .expect("formula")
            .starts_with("1 − silent time ÷ window")
    );

    // Expected but absent: the auditd rule's logsource, not the syslog rule's.
    let (status, expected) = http(
        s.http,
        "GET",
        "/api/v1/sources/expected",
        Some(s.key(Role::Viewer)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{expected}");
    let absent = expected["absent"].as_array().expect("absent");
    assert_eq!(absent.len(), 1, "{expected}");
    assert_eq!(
        (absent[0]["product"].as_str(), absent[0]["service"].as_str()),
        (Some("linux"), Some("auditd"))
    );
    assert_eq!(
        absent[0]["rules"],
        serde_json::json!(["6f1c1f7e-6c7e-4c9a-9d7e-333333333333"])
    );

    // Another tenant sees no source and expects everything.
    let acme = state
        .create_api_key(&NewApiKey::new(Role::Viewer, "acme viewer").in_tenant("acme"))
        .await
        .expect("key")
        .1;
    let (status, theirs) = http(s.http, "GET", "/api/v1/sources", Some(&acme), None).await;
    assert_eq!(status, 200);
    assert_eq!(theirs["sources"], serde_json::json!([]));
    let (_, theirs) = http(s.http, "GET", "/api/v1/sources/expected", Some(&acme), None).await;
    assert_eq!(theirs["absent"].as_array().map(Vec::len), Some(2), "{theirs}");
    // Ingest keys read nothing here.
    let (status, _) = http(s.http, "GET", "/api/v1/sources", Some(s.key(Role::Ingest)), None).await;
    assert_eq!(status, 403);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn source_goes_silent_once_and_comes_back_on_sqlite() {
    scenario(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn source_goes_silent_once_and_comes_back_on_postgres() {
    scenario(true).await;
}

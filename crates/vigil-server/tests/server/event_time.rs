//! Event times the server does not trust: far in the future.

use serde_json::json;

use crate::harness::{TestServer, http_text};

/// A syslog line from a host whose clock says 2099 is stored, searchable and counted at its ingest
/// time — not parked in a 2099 partition that searches of the present and retention never see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_dated_far_in_the_future_is_kept_at_its_ingest_time() {
    let s = TestServer::start(None).await;
    let now = jiff::Timestamp::now();
    let lines = vec![
        "<13>1 2099-06-01T10:00:00Z skewed01 app 42 - - clock-from-the-future vigil-time-test".to_string(),
        format!("<13>1 {now} good01 app 42 - - clock-in-time vigil-time-test"),
    ];
    s.syslog_tcp(&lines).await;
    s.search_until("vigil-time-test", 2).await;
    let hour = jiff::SignedDuration::from_hours(1);
    let present = s
        .search(json!({
            "query": "vigil-time-test",
            "from": (now - hour).to_string(),
            "to": (now + hour).to_string(),
            "size": 10
        }))
        .await;
    assert_eq!(present["total"], 2, "both are in the present: {present}");
    let skewed = s.search(json!({"query": "host:skewed01"})).await;
    let hit = &skewed["hits"][0];
    let stored: jiff::Timestamp = hit["time"].as_str().expect("time").parse().expect("rfc3339");
    assert!(
        stored.duration_since(now).abs() < hour,
        "stored at its ingest time: {hit}"
    );
    assert!(
        hit.to_string().contains("2099-06-01T10:00:00"),
        "its own time is kept: {hit}"
    );
    assert_eq!(hit["ingest_time"], true, "{hit}");
    let good = s.search(json!({"query": "host:good01"})).await;
    assert!(good["hits"][0].get("ingest_time").is_none(), "{good}");
    let skewed_hosts = s.search(json!({"query": "_exists_:vigil_distrusted_time"})).await;
    assert_eq!(skewed_hosts["total"], 1, "{skewed_hosts}");
    let (_, metrics) = http_text(s.http, "GET", "/metrics", None, None).await;
    assert!(
        metrics.lines().any(|l| l == "vigil_events_future_time_total 1"),
        "{metrics}"
    );
    s.stop().await;
}

/// An event already past `[store] max_age` when it arrives is detected but not stored, and counted
/// as expired (not as a replay).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_older_than_max_age_is_counted_as_expired_not_replayed() {
    let s = TestServer::start_with(None, |c| {
        c.store.max_age = Some(std::time::Duration::from_secs(24 * 3600))
    })
    .await;
    let now = jiff::Timestamp::now();
    let lines = vec![
        "<13>1 2001-06-01T10:00:00Z old01 app 42 - - from-long-ago vigil-expired-test".to_string(),
        format!("<13>1 {now} good01 app 42 - - in-time vigil-expired-test"),
    ];
    s.syslog_tcp(&lines).await;
    s.search_until("vigil-expired-test", 1).await;
    let (_, metrics) = http_text(s.http, "GET", "/metrics", None, None).await;
    let line = |name: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .map(str::to_owned)
    };
    assert_eq!(
        line("vigil_events_expired_total").as_deref(),
        Some("vigil_events_expired_total 1")
    );
    assert_eq!(
        line("vigil_events_replayed_total").as_deref(),
        Some("vigil_events_replayed_total 0")
    );
    s.stop().await;
}

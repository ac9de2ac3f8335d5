//! Log-source health: flushed activity upserted (counts, first and last arrival, hourly buckets);
//! thresholds and silences recorded once, ended by the next events; uptime and MTBF over a
//! window; the reporting logsources (several categories of one event each counted); tenants apart.

use crate::{at, temp_state};
use jiff::Timestamp;
use vigil_api_types::sources::SourceStatus;
use vigil_state::sources::{SourceActivity, SourceKey, hour_of};

fn key(tenant: &str, host: &str, category: &str) -> SourceKey {
    SourceKey {
        tenant: tenant.into(),
        input: "syslog-tcp".into(),
        host: Some(host.into()),
        product: Some("windows".into()),
        service: Some("sysmon".into()),
        category: (!category.is_empty()).then(|| category.into()),
    }
}

fn activity(key: &SourceKey, events: u64, first: i64, last: i64) -> SourceActivity {
    let (first, last) = (at(first), at(last));
    let mut hours = vec![(hour_of(first), events)];
    if hour_of(last) != hour_of(first) {
        hours = vec![(hour_of(first), events - 1), (hour_of(last), 1)];
    }
    SourceActivity {
        key: key.clone(),
        events,
        first,
        last,
        hours,
    }
}

#[tokio::test]
async fn activity_is_added_up_per_source_and_hour() {
    let (state, _db) = temp_state().await;
    let dc = key("default", "dc1", "process_creation");
    state.record_source_activity(&[activity(&dc, 3, 10, 20)]).await.unwrap();
    // A later flush, and a late one whose arrivals are older (out of order): the bounds widen.
    state.record_source_activity(&[activity(&dc, 2, 30, 40)]).await.unwrap();
    state.record_source_activity(&[activity(&dc, 1, 5, 5)]).await.unwrap();
    let now = at(3600);
    let report = state.sources_report("default", at(0), now, now).await.unwrap();
    assert_eq!(report.sources.len(), 1);
    let s = &report.sources[0];
    assert_eq!((s.events, s.first_seen, s.last_event), (6, at(5), at(40)));
    assert_eq!(s.id, dc.id());
    assert_eq!(
        (s.host.as_deref(), s.category.as_deref()),
        (Some("dc1"), Some("process_creation"))
    );
    assert_eq!(s.status, SourceStatus::New, "no threshold yet");
    assert_eq!(s.active_hours, 1);
    assert_eq!(s.baseline_per_hour, Some(6.0));
    assert_eq!(s.uptime.value, Some(1.0));
    assert_eq!(s.mtbf.value_seconds, None);
}

#[tokio::test]
async fn a_silence_is_recorded_once_and_ended_by_the_next_events() {
    let (state, _db) = temp_state().await;
    let dc = key("default", "dc1", "");
    state.record_source_activity(&[activity(&dc, 1, 0, 0)]).await.unwrap();
    state
        .set_source_thresholds(&[(dc.id(), Some(3600))], at(-7 * 86_400))
        .await
        .unwrap();
    let health = state.sources_for_health(at(-86_400)).await.unwrap();
    assert_eq!(health.len(), 1);
    assert_eq!(
        (health[0].threshold_secs, health[0].active_hours.len()),
        (Some(3600), 1)
    );
    assert_eq!(state.sources("default").await.unwrap()[0].status, SourceStatus::Healthy);

    // Silent after its event at 0, declared at 3600 + 60; recording it again is no news.
    assert!(
        state
            .record_silence(&dc.id(), at(0), at(3660), "alert-1")
            .await
            .unwrap()
    );
    assert!(
        !state
            .record_silence(&dc.id(), at(0), at(3700), "alert-1")
            .await
            .unwrap()
    );
    // A stale view (the source sent since) marks nothing.
    let other = key("default", "dc2", "");
    state
        .record_source_activity(&[activity(&other, 1, 100, 100)])
        .await
        .unwrap();
    assert!(
        !state
            .record_silence(&other.id(), at(0), at(3660), "alert-2")
            .await
            .unwrap()
    );

    let now = at(7200);
    let report = state.sources_report("default", at(0), now, now).await.unwrap();
    let s = report.sources.iter().find(|s| s.id == dc.id()).unwrap();
    assert_eq!((s.status, s.silent_since), (SourceStatus::Silent, Some(at(0))));
    assert_eq!(s.silences.len(), 1);
    assert_eq!(s.silences[0].ended, None);
    assert_eq!(s.uptime.value, Some(0.0), "silent since the start of the window");

    // Events return at 5400: healthy again, the silence ends at the first of them.
    state
        .record_source_activity(&[activity(&dc, 2, 5400, 5500)])
        .await
        .unwrap();
    let report = state.sources_report("default", at(0), now, now).await.unwrap();
    let s = report.sources.iter().find(|s| s.id == dc.id()).unwrap();
    assert_eq!((s.status, s.silent_since), (SourceStatus::Healthy, None));
    assert_eq!(s.silences[0].ended, Some(at(5400)));
    // Silent 5400 s of 7200: uptime 0.25; MTBF = 1800 s up ÷ 1 silence.
    assert!((s.uptime.value.unwrap() - 0.25).abs() < 1e-9, "{:?}", s.uptime);
    assert_eq!((s.mtbf.value_seconds, s.mtbf.n), (Some(1800.0), 1));
    // The next silence of the same source is a new one.
    assert!(
        state
            .record_silence(&dc.id(), at(5500), at(9200), "alert-3")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn reporting_logsources_are_distinct_triples_with_their_last_event() {
    let (state, _db) = temp_state().await;
    let a = key("default", "h1", "registry_set,registry_event");
    let b = key("default", "h2", "registry_set");
    let old = SourceKey {
        product: Some("linux".into()),
        service: None,
        ..key("default", "h3", "process_creation")
    };
    state
        .record_source_activity(&[
            activity(&a, 1, 100, 100),
            activity(&b, 1, 200, 200),
            activity(&old, 1, 1, 1),
        ])
        .await
        .unwrap();
    let got = state.reporting_logsources("default", at(50)).await.unwrap();
    type Row<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, Timestamp);
    let triples: Vec<Row<'_>> = got
        .iter()
        .map(|l| {
            (
                l.product.as_deref(),
                l.service.as_deref(),
                l.category.as_deref(),
                l.last_event,
            )
        })
        .collect();
    assert_eq!(
        triples,
        vec![
            (Some("windows"), Some("sysmon"), Some("registry_event"), at(100)),
            (Some("windows"), Some("sysmon"), Some("registry_set"), at(200)),
        ]
    );
    let all = state.reporting_logsources("default", at(0)).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(
        (all[0].product.as_deref(), all[0].service.as_deref()),
        (Some("linux"), None)
    );
}

#[tokio::test]
async fn tenants_see_only_their_sources() {
    let (state, _db) = temp_state().await;
    let mine = key("default", "dc1", "process_creation");
    let theirs = key("acme", "dc1", "process_creation");
    assert_ne!(mine.id(), theirs.id());
    state
        .record_source_activity(&[activity(&mine, 1, 10, 10), activity(&theirs, 4, 10, 10)])
        .await
        .unwrap();
    state
        .set_source_thresholds(&[(theirs.id(), Some(60))], at(0))
        .await
        .unwrap();
    assert!(state.record_silence(&theirs.id(), at(10), at(100), "x").await.unwrap());
    let now = at(200);
    let report = state.sources_report("default", at(0), now, now).await.unwrap();
    assert_eq!(report.sources.len(), 1);
    assert_eq!((report.sources[0].events, report.sources[0].silences.len()), (1, 0));
    let acme = state.sources_report("acme", at(0), now, now).await.unwrap();
    assert_eq!((acme.sources[0].events, acme.sources[0].silences.len()), (4, 1));
    assert!(state.reporting_logsources("nobody", at(0)).await.unwrap().is_empty());
}

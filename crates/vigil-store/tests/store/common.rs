//! Helpers shared by the store tests.

use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use vigil_event::{Event, Fields, LogSourceTags, Raw, Source};
use vigil_store::{EventStore, Scope, SearchRequest, SearchResponse, StoreConfig};

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// 2026-11-23T00:00:00Z plus `hours`.
pub fn day0(hours: i64) -> Timestamp {
    ts("2026-11-23T00:00:00Z") + SignedDuration::from_hours(hours)
}

pub fn event(offset: u64, time: Option<Timestamp>, fields: Value) -> Event {
    let Value::Object(map) = fields else {
        panic!("fields must be an object")
    };
    let fields: Fields = map.into_iter().collect();
    Event::new(
        Source {
            input: "test".into(),
            host: Some("host-1".into()),
            path: Some("/var/log/test.json".into()),
            offset,
        },
        time,
        LogSourceTags::product("windows")
            .with_service("sysmon")
            .with_category("process_creation"),
        fields,
        Raw::None,
    )
}

pub fn config(dir: &Path) -> StoreConfig {
    let mut cfg = StoreConfig::new(dir);
    cfg.writer_heap_bytes = 32 * 1024 * 1024;
    // Three daily partitions stay open together, so nothing is committed before `commit`.
    cfg.max_open_writers = 3;
    cfg
}

pub fn open(dir: &Path) -> EventStore {
    EventStore::open(config(dir)).expect("open store")
}

/// Adds `events` with sequence numbers from `first_seq`, received at `received`, then commits.
pub fn add_all(store: &EventStore, first_seq: u64, events: &[Event], received: Timestamp) -> u64 {
    let mut added = 0;
    let mut seq = first_seq;
    for e in events {
        if store.add(seq, e, received).expect("add") {
            added += 1;
        }
        seq += 1;
    }
    store.commit(seq - 1).expect("commit");
    added
}

pub fn search(store: &EventStore, query: &str) -> SearchResponse {
    store
        .search(
            Scope::All,
            &SearchRequest {
                query: query.into(),
                size: 1000,
                ..SearchRequest::default()
            },
        )
        .unwrap_or_else(|e| panic!("{query}: {e}"))
}

pub fn count(store: &EventStore, query: &str) -> u64 {
    let r = search(store, query);
    assert_eq!(r.total, r.hits.len() as u64, "{query}: total and hits disagree");
    r.total
}

//! Retention by age and by size, with a driven clock.

use jiff::SignedDuration;
use serde_json::json;
use vigil_store::{EventStore, RetentionReport, Scope};

use crate::common::*;

/// Ten events on each of days 0..5.
fn five_days(store: &EventStore) {
    let events: Vec<_> = (0..50u64)
        .map(|i| {
            event(
                i,
                Some(day0((i / 10) as i64 * 24 + (i % 10) as i64)),
                json!({"i": i, "pad": "x".repeat(200)}),
            )
        })
        .collect();
    add_all(store, 1, &events, day0(0));
}

#[test]
fn retention_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.max_age = Some(SignedDuration::from_hours(48));
    let store = EventStore::open(cfg).unwrap();
    five_days(&store);
    assert_eq!(store.stats().partitions, 5);
    // Nothing has aged out at the start of day 2.
    let r = store.retain(day0(48)).unwrap();
    assert_eq!(r, RetentionReport::default());
    // At day 4 noon, days 0 and 1 (ending at 24h and 48h) are older than 48h.
    let before = store.stats().bytes_on_disk;
    let r = store.retain(day0(4 * 24 + 12)).unwrap();
    assert_eq!((r.partitions_dropped, r.events_dropped), (2, 20));
    assert!(r.bytes_freed > 0);
    assert_eq!(store.stats().bytes_on_disk, before - r.bytes_freed);
    assert_eq!(store.stats().partitions, 3);
    assert_eq!(count(&store, ""), 30);
    assert!(!dir.path().join("20261123T000000Z").exists());
    assert!(dir.path().join("20261125T000000Z").exists());
    // Events older than the retention are not stored again.
    let old = event(999, Some(day0(1)), json!({"late": true}));
    assert!(!store.add(1000, &old, day0(4 * 24 + 12)).unwrap());
    // Reopening keeps the result.
    drop(store);
    let store = open(dir.path());
    assert_eq!(count(&store, ""), 30);
}

#[test]
fn retention_by_size_keeps_the_newest_partition() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    five_days(&store);
    let per_partition = store.stats().bytes_on_disk / 5;
    drop(store);

    let mut cfg = config(dir.path());
    cfg.max_bytes = Some(per_partition * 3 + per_partition / 2);
    let store = EventStore::open(cfg).unwrap();
    let now = day0(10 * 24);
    let r = store.retain(now).unwrap();
    assert_eq!((r.partitions_dropped, r.events_dropped), (2, 20), "{r:?}");
    let stats = store.stats();
    assert_eq!(stats.partitions, 3);
    assert!(stats.bytes_on_disk <= per_partition * 3 + per_partition / 2);
    // The oldest went first.
    let r = store
        .search(
            Scope::All,
            &vigil_store::SearchRequest {
                sort: vigil_store::Sort::TimeAsc,
                size: 1,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.hits[0].time, day0(48));
    drop(store);

    // A limit smaller than anything still keeps the newest partition.
    let mut cfg = config(dir.path());
    cfg.max_bytes = Some(1);
    let store = EventStore::open(cfg).unwrap();
    let r = store.retain(now).unwrap();
    assert_eq!(r.partitions_dropped, 2);
    assert_eq!(store.stats().partitions, 1);
    assert_eq!(count(&store, ""), 10);
    // A partition that has not ended yet is never dropped for size.
    let r = store.retain(day0(4 * 24 + 1)).unwrap();
    assert_eq!(r, RetentionReport::default());
}

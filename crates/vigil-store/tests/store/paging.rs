//! Time ranges across partitions, sort orders and cursor pagination.

use std::collections::HashSet;

use serde_json::json;
use vigil_event::Event;
use vigil_store::{EventStore, Scope, SearchRequest, Sort};

use crate::common::*;

/// 240 events over three days, ten per hour slot with identical times (ties broken by id).
fn spread() -> Vec<Event> {
    (0..240u64)
        .map(|i| {
            event(
                i,
                Some(day0((i / 10) as i64 * 3)),
                json!({"i": i, "kind": if i % 2 == 0 { "even" } else { "odd" }}),
            )
        })
        .collect()
}

fn store_with(events: &[Event]) -> (tempfile::TempDir, EventStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    add_all(&store, 1, events, day0(0));
    (dir, store)
}

#[test]
fn time_ranges_cover_only_their_partitions() {
    let events = spread();
    let (_d, store) = store_with(&events);
    assert_eq!(store.stats().partitions, 3);
    for (from, to) in [
        (0, 72),
        (0, 24),
        (23, 25),
        (24, 48),
        (10, 70),
        (47, 48),
        (71, 200),
        (100, 200),
    ] {
        let want = events
            .iter()
            .filter(|e| e.time.unwrap() >= day0(from) && e.time.unwrap() < day0(to))
            .count() as u64;
        let r = store
            .search(
                Scope::All,
                &SearchRequest {
                    from: Some(day0(from)),
                    to: Some(day0(to)),
                    size: 1000,
                    ..SearchRequest::default()
                },
            )
            .unwrap();
        assert_eq!(r.total, want, "[{from}h, {to}h)");
        assert!(r.hits.iter().all(|h| h.time >= day0(from) && h.time < day0(to)));
    }
    // Query and range together.
    let r = store
        .search(
            Scope::All,
            &SearchRequest {
                query: "kind:even".into(),
                from: Some(day0(24)),
                to: Some(day0(48)),
                size: 0,
                ..SearchRequest::default()
            },
        )
        .unwrap();
    assert_eq!(r.total, 40);
    assert!(r.hits.is_empty());
}

#[test]
fn sort_both_ways() {
    let (_d, store) = store_with(&spread());
    for sort in [Sort::TimeDesc, Sort::TimeAsc] {
        let r = store
            .search(
                Scope::All,
                &SearchRequest {
                    size: 240,
                    sort,
                    ..SearchRequest::default()
                },
            )
            .unwrap();
        assert_eq!(r.hits.len(), 240);
        let keys: Vec<_> = r.hits.iter().map(|h| (h.time, h.id.clone())).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        if sort == Sort::TimeDesc {
            sorted.reverse();
        }
        assert_eq!(keys, sorted, "{sort:?}");
        assert!(r.next_cursor.is_none());
    }
    let newest = store
        .search(
            Scope::All,
            &SearchRequest {
                size: 1,
                ..SearchRequest::default()
            },
        )
        .unwrap();
    assert_eq!(newest.hits[0].time, day0(69));
    assert_eq!(newest.total, 240);
    assert!(newest.next_cursor.is_some());
}

fn page_through(
    store: &EventStore,
    sort: Sort,
    size: usize,
    query: &str,
    mut between_pages: impl FnMut(usize),
) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let r = store
            .search(
                Scope::All,
                &SearchRequest {
                    query: query.into(),
                    size,
                    sort,
                    cursor: cursor.clone(),
                    ..SearchRequest::default()
                },
            )
            .unwrap();
        pages += 1;
        assert!(r.hits.len() <= size);
        ids.extend(r.hits.into_iter().map(|h| h.id));
        between_pages(pages);
        match r.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages < 100, "pagination does not end");
    }
    (ids, pages)
}

#[test]
fn cursor_pagination_visits_every_hit_once() {
    let events = spread();
    let (_d, store) = store_with(&events);
    for sort in [Sort::TimeDesc, Sort::TimeAsc] {
        let (ids, pages) = page_through(&store, sort, 37, "", |_| {});
        assert!(pages >= 3);
        assert_eq!(ids.len(), 240, "{sort:?}");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 240, "{sort:?}: duplicates");
        let (odd, _) = page_through(&store, sort, 25, "kind:odd", |_| {});
        assert_eq!(odd.len(), 120);
        assert_eq!(odd.iter().collect::<HashSet<_>>().len(), 120);
    }
    // An exact multiple of the page size ends without an empty page.
    let (ids, pages) = page_through(&store, Sort::TimeDesc, 60, "", |_| {});
    assert_eq!((ids.len(), pages), (240, 4));
}

#[test]
fn pagination_is_stable_under_concurrent_inserts() {
    let events = spread();
    let (_d, store) = store_with(&events);
    let mut seq = 241;
    let mut next_offset = 10_000;
    // Newest first: new events newer than everything land before the cursor and never show up.
    let (ids, pages) = page_through(&store, Sort::TimeDesc, 50, "", |_| {
        let newer: Vec<_> = (0..5)
            .map(|k| event(next_offset + k, Some(day0(70)), json!({"late": true})))
            .collect();
        next_offset += 5;
        add_all(&store, seq, &newer, day0(0));
        seq += 5;
    });
    assert!(pages >= 3);
    let original: HashSet<_> = events.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(ids.len(), 240);
    assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), original);
}

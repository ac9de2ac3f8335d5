//! Adding, committing, reopening, replaying, scanning.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::SignedDuration;
use serde_json::json;
use vigil_event::Event;
use vigil_store::{EventStore, Scope, SearchRequest, StoreError};

use crate::common::*;

fn batch(first_offset: u64, n: u64) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let o = first_offset + i;
            // Spread over three days.
            event(
                o,
                Some(day0((o % 3) as i64 * 24 + (o % 24) as i64)),
                json!({"n": o, "User": format!("u{}", o % 7)}),
            )
        })
        .collect()
}

#[test]
fn add_commit_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        assert_eq!(store.committed_seq(), 0);
        let events = batch(0, 30);
        for (i, e) in events.iter().enumerate() {
            assert!(store.add(i as u64 + 1, e, day0(0)).unwrap());
        }
        // Not searchable before the commit.
        assert_eq!(count(&store, ""), 0);
        store.commit(30).unwrap();
        assert_eq!(count(&store, ""), 30);
        assert_eq!(store.committed_seq(), 30);
        let stats = store.stats();
        assert_eq!((stats.partitions, stats.events), (3, 30));
        assert!(stats.bytes_on_disk > 0);
    }
    let store = open(dir.path());
    assert_eq!(store.committed_seq(), 30);
    assert_eq!(count(&store, ""), 30);
    assert_eq!(store.stats().partitions, 3);
    for day in ["20261123T000000Z", "20261124T000000Z", "20261125T000000Z"] {
        assert!(
            dir.path().join(day).is_dir(),
            "{day}: partitions sit in the store's directory"
        );
    }
    assert!(!dir.path().join("events").exists(), "no second `events` level");
}

#[test]
fn a_store_of_the_older_layout_is_read_and_moved_up() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        add_all(&store, 1, &batch(0, 30), day0(0));
    }
    // The older layout: partitions one level down, in `events/`.
    let legacy = dir.path().join("events");
    std::fs::create_dir(&legacy).unwrap();
    for day in ["20261123T000000Z", "20261124T000000Z", "20261125T000000Z"] {
        std::fs::rename(dir.path().join(day), legacy.join(day)).unwrap();
    }
    let read_only = EventStore::open_read_only(dir.path()).unwrap();
    assert_eq!(count(&read_only, ""), 30, "read where they are");
    assert!(legacy.is_dir(), "a read-only open moves nothing");
    drop(read_only);
    let store = open(dir.path());
    assert_eq!(count(&store, ""), 30);
    assert!(dir.path().join("20261124T000000Z").is_dir());
    assert!(!legacy.exists(), "moved up, and the empty directory removed");
    assert_eq!(
        add_all(&store, 1, &batch(0, 30), day0(0)),
        0,
        "replays are still skipped"
    );
}

#[test]
fn uncommitted_events_are_lost_and_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let events = batch(0, 20);
    {
        let store = open(dir.path());
        add_all(&store, 1, &events[..10], day0(0));
        for (i, e) in events[10..].iter().enumerate() {
            store.add(11 + i as u64, e, day0(0)).unwrap();
        }
        // Dropped without commit: a crash.
    }
    let store = open(dir.path());
    assert_eq!(store.committed_seq(), 10);
    assert_eq!(count(&store, ""), 10);
    // The spool replays from the start: the first ten are skipped, the rest stored once.
    assert_eq!(add_all(&store, 1, &events, day0(0)), 10);
    assert_eq!(count(&store, ""), 20);
}

#[test]
fn replaying_the_same_range_twice_after_reopen_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let events = batch(0, 100);
    {
        let store = open(dir.path());
        assert_eq!(add_all(&store, 1, &events, day0(0)), 100);
    }
    let store = open(dir.path());
    assert_eq!(add_all(&store, 1, &events, day0(0)), 0);
    assert_eq!(add_all(&store, 1, &events, day0(0)), 0);
    let more = batch(100, 50);
    let mut all = events.clone();
    all.extend(more);
    assert_eq!(add_all(&store, 1, &all, day0(0)), 50);
    assert_eq!(count(&store, ""), 150);
    assert_eq!(store.committed_seq(), 150);
    let ids: std::collections::HashSet<_> = search(&store, "").hits.into_iter().map(|h| h.id).collect();
    assert_eq!(ids.len(), 150, "every event exactly once");
}

#[test]
fn closed_writers_commit_early_and_replay_stays_exact() {
    let dir = tempfile::tempdir().unwrap();
    let events = batch(0, 60);
    {
        let mut cfg = config(dir.path());
        cfg.max_open_writers = 1;
        let store = EventStore::open(cfg).unwrap();
        // Alternating partitions force a writer to close (and commit) at almost every add.
        for (i, e) in events.iter().enumerate() {
            assert!(store.add(i as u64 + 1, e, day0(0)).unwrap());
        }
        assert!(count(&store, "") > 0, "closed writers committed their events");
        // Crash before any commit() call.
    }
    let mut cfg = config(dir.path());
    cfg.max_open_writers = 1;
    let store = EventStore::open(cfg).unwrap();
    assert_eq!(store.committed_seq(), 0, "no commit() happened");
    let before = count(&store, "");
    assert!(before > 0 && before < 60, "{before}");
    assert_eq!(add_all(&store, 1, &events, day0(0)), 60 - before);
    assert_eq!(count(&store, ""), 60);
    let ids: std::collections::HashSet<_> = search(&store, "").hits.into_iter().map(|h| h.id).collect();
    assert_eq!(ids.len(), 60);
}

#[test]
fn events_without_time_use_the_ingest_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let e = event(1, None, json!({"msg": "no time"}));
    add_all(&store, 1, std::slice::from_ref(&e), day0(5));
    let r = search(&store, "msg:\"no time\"");
    assert_eq!(r.hits.len(), 1);
    assert_eq!(r.hits[0].time, day0(5));
    let mut seen = Vec::new();
    store
        .scan(Scope::All, None, None, &mut |ev, _| {
            seen.push(ev);
            true
        })
        .unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].time, None, "the rebuilt event has no time of its own");
}

#[test]
fn scan_round_trips_events_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut events = batch(0, 40);
    events.push(event(
        999,
        Some(day0(30)),
        json!({"nested": {"a": [1, {"b": "x"}], "c": null}, "process.executable": "/bin/sh", "flag": true}),
    ));
    add_all(&store, 1, &events, day0(0));
    let mut seen = Vec::new();
    let n = store
        .scan(Scope::All, None, None, &mut |e, _| {
            seen.push(e);
            true
        })
        .unwrap();
    assert_eq!(n, 41);
    let times: Vec<_> = seen.iter().map(|e| e.time.unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "time order (one partition after another)");
    for e in &seen {
        let orig = events.iter().find(|o| o.id == e.id).expect("same id");
        assert_eq!(e.time, orig.time);
        assert_eq!(e.source, orig.source);
        assert_eq!(e.logsource, orig.logsource);
        assert_eq!(e.fields, orig.fields);
    }
    // A window, and stopping early.
    let n = store.scan(Scope::All, Some(day0(24)), Some(day0(48)), &mut |e, _| {
        assert!(e.time.unwrap() >= day0(24) && e.time.unwrap() < day0(48));
        true
    });
    assert_eq!(
        n.unwrap(),
        events
            .iter()
            .filter(|e| e.time.unwrap() >= day0(24) && e.time.unwrap() < day0(48))
            .count() as u64
    );
    let mut k = 0;
    assert_eq!(
        store
            .scan(Scope::All, None, None, &mut |_, _| {
                k += 1;
                k < 5
            })
            .unwrap(),
        5
    );
}

#[test]
fn bad_queries_and_requests() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let err = store
        .search(
            Scope::All,
            &SearchRequest {
                query: "user:(admin".into(),
                ..SearchRequest::default()
            },
        )
        .unwrap_err();
    match err {
        StoreError::Query(e) => assert_eq!(e.position, 5),
        other => panic!("{other}"),
    }
    let big = SearchRequest {
        size: 10_001,
        ..SearchRequest::default()
    };
    assert!(matches!(store.search(Scope::All, &big), Err(StoreError::BadRequest(_))));
    let bad_cursor = SearchRequest {
        cursor: Some("nope".into()),
        ..SearchRequest::default()
    };
    assert!(matches!(
        store.search(Scope::All, &bad_cursor),
        Err(StoreError::BadRequest(_))
    ));
    let inverted = SearchRequest {
        from: Some(day0(5)),
        to: Some(day0(1)),
        ..SearchRequest::default()
    };
    assert!(matches!(
        store.search(Scope::All, &inverted),
        Err(StoreError::BadRequest(_))
    ));
    let bad_time = SearchRequest {
        query: "@timestamp:[soon TO later]".into(),
        ..SearchRequest::default()
    };
    assert!(matches!(
        store.search(Scope::All, &bad_time),
        Err(StoreError::BadQuery(_))
    ));
    let mut cfg = config(dir.path());
    cfg.partition = SignedDuration::from_millis(10);
    assert!(matches!(EventStore::open(cfg), Err(StoreError::Config(_))));
}

#[test]
fn searches_run_while_indexing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (store, done) = (store.clone(), done.clone());
        std::thread::spawn(move || {
            let mut last = 0;
            let mut rounds = 0;
            while !done.load(Ordering::Acquire) || rounds < 3 {
                let total = store.search(Scope::All, &SearchRequest::default()).unwrap().total;
                assert!(total >= last, "totals never go back: {total} < {last}");
                last = total;
                rounds += 1;
            }
            store.search(Scope::All, &SearchRequest::default()).unwrap().total
        })
    };
    let events = batch(0, 300);
    for (chunk_no, chunk) in events.chunks(50).enumerate() {
        add_all(&store, chunk_no as u64 * 50 + 1, chunk, day0(0));
    }
    done.store(true, Ordering::Release);
    assert_eq!(reader.join().unwrap(), 300);
}

#[test]
fn read_only_store_sees_a_snapshot_while_the_writer_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    add_all(&store, 1, &batch(0, 30), day0(0));
    let reader = EventStore::open_read_only(dir.path()).unwrap();
    assert_eq!(count(&reader, ""), 30);
    let mut n = 0;
    reader
        .scan(Scope::All, None, None, &mut |_, _| {
            n += 1;
            true
        })
        .unwrap();
    assert_eq!(n, 30);
    assert!(matches!(
        reader.add(99, &batch(100, 1)[0], day0(0)),
        Err(StoreError::ReadOnly)
    ));
    assert!(matches!(reader.commit(99), Err(StoreError::ReadOnly)));
    assert!(matches!(reader.retain(day0(0)), Err(StoreError::ReadOnly)));
    // The writer goes on; the reader keeps its snapshot.
    add_all(&store, 31, &batch(30, 10), day0(0));
    assert_eq!(count(&store, ""), 40);
    assert_eq!(count(&reader, ""), 30);
    assert_eq!(count(&EventStore::open_read_only(dir.path()).unwrap(), ""), 40);
    // An empty directory is an empty store, and stays untouched.
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(count(&EventStore::open_read_only(empty.path()).unwrap(), ""), 0);
    assert!(!empty.path().join("events").exists());
}

/// A tenant's scope reads only its events (`vigil_tenant`); the default tenant's also holds the
/// events stored before tenants (none named); `Scope::All` reads every one; a name that is no
/// valid tenant reads nothing (never everything).
#[test]
fn scopes_limit_searches_aggregations_and_scans_to_one_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let events = [
        event(1, Some(day0(1)), json!({"user": "a1", "vigil_tenant": "acme"})),
        event(2, Some(day0(2)), json!({"user": "a2", "vigil_tenant": "acme"})),
        event(3, Some(day0(3)), json!({"user": "g1", "vigil_tenant": "globex"})),
        event(4, Some(day0(4)), json!({"user": "d1", "vigil_tenant": "default"})),
        event(5, Some(day0(5)), json!({"user": "old"})),
    ];
    add_all(&store, 1, &events, day0(0));
    let users = |scope: Scope<'_>, query: &str| -> (u64, Vec<String>) {
        let mut aggs = std::collections::BTreeMap::new();
        aggs.insert(
            "u".to_owned(),
            serde_json::from_value(json!({"terms": {"field": "user"}})).unwrap(),
        );
        let r = store
            .search(
                scope,
                &SearchRequest {
                    query: query.into(),
                    size: 0,
                    aggs,
                    ..SearchRequest::default()
                },
            )
            .unwrap();
        let keys = match &r.aggs["u"] {
            vigil_store::AggResult::Terms { buckets, .. } => {
                let mut keys: Vec<String> = buckets.iter().map(|b| b.key.to_string()).collect();
                keys.sort();
                keys
            }
            other => panic!("{other:?}"),
        };
        (r.total, keys)
    };
    assert_eq!(users(Scope::Tenant("acme"), ""), (2, vec!["a1".into(), "a2".into()]));
    assert_eq!(users(Scope::Tenant("globex"), ""), (1, vec!["g1".into()]));
    assert_eq!(
        users(Scope::Tenant("default"), ""),
        (2, vec!["d1".into(), "old".into()])
    );
    assert_eq!(users(Scope::All, "").0, 5);
    // A query naming another tenant cannot leave the scope.
    assert_eq!(users(Scope::Tenant("acme"), "vigil_tenant:globex OR user:g1").0, 0);
    assert_eq!(users(Scope::Tenant("nobody"), "").0, 0);
    assert_eq!(
        users(Scope::Tenant("ACME\" OR *"), "").0,
        0,
        "not a tenant name: nothing"
    );
    let mut seen = Vec::new();
    store
        .scan(Scope::Tenant("globex"), None, None, &mut |e, _| {
            seen.push(e.fields.get("user").cloned());
            true
        })
        .unwrap();
    assert_eq!(seen, vec![Some(json!("g1"))]);
}

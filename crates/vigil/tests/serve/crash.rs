//! Durability: `kill -9` under concurrent HTTP load, restart on the same data directory, and
//! every acknowledged event is stored exactly once.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering::SeqCst},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::harness::{BASE_CONFIG, Env, SEARCH_DEADLINE, Server, marker};

const THREADS: u64 = 4;
const BATCH: u64 = 25;
/// Bounds each sender even if the kill never comes.
const MAX_BATCHES: u64 = 2000;
/// Acknowledged events after which the server is killed.
const KILL_AFTER: usize = 1500;

/// What one sender knows: the batches acknowledged, and the one whose answer never came.
#[derive(Debug, Default)]
struct Outcome {
    acked: Vec<u64>,
    in_doubt: Option<u64>,
}

fn batch_body(m: &str, thread: u64, first: u64) -> Vec<u8> {
    let mut body = Vec::new();
    for seq in first..first + BATCH {
        let line =
            json!({ "marker": m, "thread": thread, "seq": seq, "message": format!("crash test {thread}/{seq} {m}") });
        body.extend_from_slice(line.to_string().as_bytes());
        body.push(b'\n');
    }
    body
}

fn sender(server: (std::net::SocketAddr, String), m: String, thread: u64, acked_events: Arc<AtomicUsize>) -> Outcome {
    let (addr, token) = server;
    let auth = format!("Bearer {token}");
    let mut out = Outcome::default();
    let mut batch = 0;
    while batch < MAX_BATCHES {
        let first = batch * BATCH;
        let body = batch_body(&m, thread, first);
        let answer = crate::http::request(
            addr,
            "POST",
            "/api/v1/ingest?format=ndjson",
            &[("Authorization", &auth), ("Content-Type", "application/x-ndjson")],
            &body,
        );
        match answer {
            Ok(r) if r.status == 200 => {
                assert_eq!(r.json()["accepted"], BATCH, "ingest answer: {}", r.text());
                out.acked.push(first);
                acked_events.fetch_add(BATCH as usize, SeqCst);
                batch += 1;
            }
            Ok(r) if r.status == 429 => std::thread::sleep(Duration::from_millis(50)),
            Ok(r) => {
                // E.g. 503 while stopping: not acknowledged, and maybe spooled.
                eprintln!("thread {thread}: status {} {}", r.status, r.text());
                out.in_doubt = Some(first);
                return out;
            }
            Err(_) => {
                out.in_doubt = Some(first);
                return out;
            }
        }
    }
    out
}

/// Every hit of `query`, following `next_cursor`.
fn all_hits(server: &Server, query: &str) -> Vec<Value> {
    let mut hits = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut body = json!({ "query": query, "size": 1000, "sort": "asc" });
        if let Some(c) = &cursor {
            body["cursor"] = json!(c);
        }
        let answer = server.search(&body);
        let page = answer["hits"].as_array().cloned().unwrap_or_default();
        let next = answer["next_cursor"].as_str().map(str::to_string);
        let empty = page.is_empty();
        hits.extend(page);
        match next {
            Some(c) if !empty => cursor = Some(c),
            _ => return hits,
        }
    }
    panic!("more than 1000 pages for {query}");
}

#[test]
fn kill_9_under_load_loses_and_duplicates_nothing_acknowledged() {
    let env = Env::new(BASE_CONFIG);
    let mut server = env.start(false);
    let m = marker("crash");
    let acked_events = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(Mutex::new(BTreeMap::new()));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let target = (server.http, server.ingest_token.clone());
            let (m, acked, outcomes) = (m.clone(), acked_events.clone(), outcomes.clone());
            std::thread::spawn(move || {
                let o = sender(target, m, t, acked);
                outcomes.lock().expect("lock").insert(t, o);
            })
        })
        .collect();
    let started = Instant::now();
    while acked_events.load(SeqCst) < KILL_AFTER && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let at_kill = acked_events.load(SeqCst);
    server.kill9();
    for h in handles {
        h.join().expect("sender thread");
    }
    assert!(
        at_kill >= 100,
        "only {at_kill} events acknowledged in 20 s before the kill"
    );
    let outcomes = std::mem::take(&mut *outcomes.lock().expect("lock"));
    let mut acked: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut in_doubt: BTreeSet<(u64, u64)> = BTreeSet::new();
    for (t, o) in &outcomes {
        for first in &o.acked {
            acked.extend((*first..first + BATCH).map(|s| (*t, s)));
        }
        if let Some(first) = o.in_doubt {
            in_doubt.extend((first..first + BATCH).map(|s| (*t, s)));
        }
    }
    assert_eq!(acked.len(), acked_events.load(SeqCst));

    let server = env.start(false);
    let query = format!("marker:{m}");
    let deadline = Instant::now() + SEARCH_DEADLINE;
    loop {
        let stored = server.count(&query) as usize;
        // Zero only once every spooled record is committed to the store and checkpointed.
        let lag = server.metric("vigil_store_lag_records").unwrap_or(-1.0);
        if stored >= acked.len() && lag == 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after restart: {stored} of {} acknowledged events stored, store lag {lag}",
            acked.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(700));
    let hits = all_hits(&server, &query);
    let total = server.count(&query) as usize;
    assert_eq!(hits.len(), total, "paging returned {} of {total} hits", hits.len());
    let mut stored: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    for h in &hits {
        let f = &h["fields"];
        let key = (
            f["thread"].as_u64().unwrap_or_else(|| panic!("no thread in {h}")),
            f["seq"].as_u64().unwrap_or_else(|| panic!("no seq in {h}")),
        );
        *stored.entry(key).or_default() += 1;
    }
    let duplicated: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "events stored more than once after replay: {duplicated:?}"
    );
    let lost: Vec<_> = acked.iter().filter(|k| !stored.contains_key(k)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged events lost (of {}), e.g. {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(10)]
    );
    let unexplained: Vec<_> = stored
        .keys()
        .filter(|k| !acked.contains(k) && !in_doubt.contains(k))
        .collect();
    assert!(
        unexplained.is_empty(),
        "stored events that were never sent: {unexplained:?}"
    );
    let extra = stored.len() - acked.len();
    eprintln!(
        "crash test: {} acknowledged, {} stored ({extra} of {} unacknowledged in-flight events also stored)",
        acked.len(),
        stored.len(),
        in_doubt.len()
    );
    assert_eq!(stored.len(), acked.len() + extra);
    eprintln!(
        "crash test after restart: vigil_events_indexed_total={:?} vigil_events_replayed_total={:?}",
        server.metric("vigil_events_indexed_total"),
        server.metric("vigil_events_replayed_total")
    );
    assert_eq!(server.metric("vigil_dropped_events_total"), Some(0.0));

    // A clean stop after the replay.
    let mut server = server;
    let status = server.terminate();
    assert!(status.success(), "exit after SIGTERM: {status}\n{}", server.log());
    assert!(
        server.log().contains("vigil: stopped"),
        "no `vigil: stopped`:\n{}",
        server.log()
    );
}

//! Backpressure: a tiny spool makes the server answer 429 + Retry-After; clients that honour it
//! get every event stored exactly once, a syslog TCP sender is slowed rather than dropped, and
//! `vigil_dropped_events_total` stays 0.

use std::{
    io::Write,
    net::{SocketAddr, TcpStream},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::SeqCst},
    },
    time::{Duration, Instant},
};

use serde_json::json;

use crate::{
    harness::{Env, SEARCH_DEADLINE, marker},
    http::{self, Response},
};

/// Spool of 256 KiB in 32 KiB segments (the spool releases whole processed segments), commits
/// every 500 ms: a few 64 KiB requests fill it.
const TINY_SPOOL: &str = r#"version = 1

[spool]
max_size = "256KiB"
segment_size = "32KiB"

[pipeline]
batch = 64
commit_interval = "500ms"
"#;

const NDJSON_THREADS: u64 = 3;
const REQUESTS: u64 = 10;
const LINES: u64 = 16;
/// Padding per event, so that a request is about 64 KiB.
const PAD: usize = 4000;
const TCP_LINES: u64 = 600;
/// Longest a client keeps retrying one request.
const RETRY_DEADLINE: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Counters {
    throttled: AtomicU64,
    acked_events: AtomicU64,
}

/// Seconds from a 429's Retry-After (which must be there).
fn retry_after(r: &Response, what: &str) -> Duration {
    let v = r
        .header("retry-after")
        .unwrap_or_else(|| panic!("{what}: 429 without Retry-After: {:?}", r.headers));
    let secs: u64 = v
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{what}: Retry-After {v:?} is not seconds"));
    assert!((1..=60).contains(&secs), "{what}: Retry-After {secs}");
    Duration::from_secs(secs)
}

fn post(addr: SocketAddr, path: &str, auth: &str, content_type: &str, body: &[u8]) -> Response {
    http::request(
        addr,
        "POST",
        path,
        &[("Authorization", auth), ("Content-Type", content_type)],
        body,
    )
    .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

fn ndjson_sender(addr: SocketAddr, auth: String, m: String, thread: u64, c: Arc<Counters>) {
    for req in 0..REQUESTS {
        let mut body = Vec::new();
        for line in 0..LINES {
            let seq = req * LINES + line;
            let doc = json!({ "marker": m, "thread": thread, "seq": seq, "pad": "x".repeat(PAD) });
            body.extend_from_slice(doc.to_string().as_bytes());
            body.push(b'\n');
        }
        let started = Instant::now();
        loop {
            let r = post(
                addr,
                "/api/v1/ingest?format=ndjson",
                &auth,
                "application/x-ndjson",
                &body,
            );
            match r.status {
                200 => {
                    assert_eq!(r.json()["accepted"], LINES, "{}", r.text());
                    c.acked_events.fetch_add(LINES, SeqCst);
                    break;
                }
                429 => {
                    c.throttled.fetch_add(1, SeqCst);
                    let wait = retry_after(&r, "/api/v1/ingest");
                    assert!(
                        started.elapsed() < RETRY_DEADLINE,
                        "ingest still refused after {RETRY_DEADLINE:?}"
                    );
                    std::thread::sleep(wait);
                }
                s => panic!("/api/v1/ingest: unexpected status {s}: {}", r.text()),
            }
        }
    }
}

/// Elasticsearch `_bulk`: a whole-request 429 retries everything, a per-item 429 retries that item.
fn bulk_sender(addr: SocketAddr, auth: String, m: String, thread: u64, c: Arc<Counters>) {
    for req in 0..REQUESTS {
        let mut pending: Vec<u64> = (req * LINES..(req + 1) * LINES).collect();
        let started = Instant::now();
        while !pending.is_empty() {
            let mut body = Vec::new();
            for seq in &pending {
                body.extend_from_slice(b"{\"create\":{\"_index\":\"bp\"}}\n");
                let doc = json!({ "marker": m, "thread": thread, "seq": seq, "pad": "y".repeat(PAD) });
                body.extend_from_slice(doc.to_string().as_bytes());
                body.push(b'\n');
            }
            assert!(
                started.elapsed() < RETRY_DEADLINE,
                "_bulk still refused after {RETRY_DEADLINE:?}"
            );
            let r = post(addr, "/_bulk", &auth, "application/x-ndjson", &body);
            match r.status {
                429 => {
                    c.throttled.fetch_add(1, SeqCst);
                    std::thread::sleep(retry_after(&r, "/_bulk"));
                }
                200 => {
                    let answer = r.json();
                    let items = answer["items"]
                        .as_array()
                        .unwrap_or_else(|| panic!("no items: {answer}"));
                    assert_eq!(items.len(), pending.len(), "{answer}");
                    let mut again = Vec::new();
                    for (seq, item) in pending.iter().zip(items) {
                        let status = item["create"]["status"]
                            .as_u64()
                            .unwrap_or_else(|| panic!("item {item}"));
                        match status {
                            200 | 201 => {
                                c.acked_events.fetch_add(1, SeqCst);
                            }
                            429 => again.push(*seq),
                            s => panic!("_bulk item status {s}: {item}"),
                        }
                    }
                    if !again.is_empty() {
                        c.throttled.fetch_add(1, SeqCst);
                        std::thread::sleep(Duration::from_secs(1));
                    }
                    pending = again;
                }
                s => panic!("_bulk: unexpected status {s}: {}", r.text()),
            }
        }
    }
}

/// Writes syslog lines over one TCP connection; returns how long the writes took.
fn tcp_sender(addr: SocketAddr, tag: String) -> Duration {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect syslog tcp");
    s.set_write_timeout(Some(Duration::from_secs(60))).expect("timeout");
    let pad = "z".repeat(1000);
    for i in 0..TCP_LINES {
        writeln!(s, "<13>1 - testhost {tag} - - - tcp line {i} {pad}").expect("syslog write (paused too long?)");
    }
    s.flush().expect("flush");
    drop(s);
    started.elapsed()
}

/// Runs the HTTP senders (ndjson threads and one `_bulk` thread) to completion.
fn http_load(server: &crate::harness::Server, env: &Env, m: &str, counters: &Arc<Counters>, ndjson_threads: u64) {
    let mut handles = Vec::new();
    for t in 0..ndjson_threads {
        let (auth, m, c) = (format!("Bearer {}", env.ingest_token), m.to_string(), counters.clone());
        let addr = server.http;
        handles.push(std::thread::spawn(move || ndjson_sender(addr, auth, m, t, c)));
    }
    {
        let (auth, m, c) = (format!("ApiKey {}", env.ingest_token), m.to_string(), counters.clone());
        let addr = server.http;
        handles.push(std::thread::spawn(move || {
            bulk_sender(addr, auth, m, ndjson_threads, c)
        }));
    }
    for h in handles {
        h.join().expect("sender");
    }
}

#[test]
fn tiny_spool_answers_429_with_retry_after_and_loses_nothing() {
    let env = Env::new(TINY_SPOOL);
    let server = env.start(false);
    let m = marker("bp");
    let counters = Arc::new(Counters::default());
    http_load(&server, &env, &m, &counters, NDJSON_THREADS);
    let expected = (NDJSON_THREADS + 1) * REQUESTS * LINES;
    assert_eq!(counters.acked_events.load(SeqCst), expected);
    let throttled = counters.throttled.load(SeqCst);
    eprintln!("backpressure: {throttled} throttled answers");
    assert!(throttled > 0, "a 256 KiB spool never pushed back on ~2.5 MB of input");
    // Every event acknowledged once is stored once (a refused request left nothing behind).
    server.wait_count(&format!("marker:{m}"), expected);
    assert_eq!(server.metric("vigil_dropped_events_total"), Some(0.0));
    let pushed_back = server.metric("vigil_input_backpressure_total{input=\"elasticsearch\"}");
    assert!(
        pushed_back.is_some_and(|n| n > 0.0),
        "elasticsearch backpressure not counted: {pushed_back:?}"
    );
    let r = server.get("/readyz").expect("readyz");
    assert_eq!(r.status, 200, "not ready once the load is over: {}", r.text());
}

/// Syslog over TCP cannot be answered 429: while the spool is full the server must stop reading
/// (the sender is slowed by TCP flow control) and store every line once there is room.
#[test]
fn syslog_tcp_sender_is_paused_not_dropped_by_a_full_spool() {
    let env = Env::new(TINY_SPOOL);
    let server = env.start(false);
    let m = marker("bptcp");
    let tag = format!("{m}tcp");
    let counters = Arc::new(Counters::default());
    let tcp = {
        let addr = server.syslog_tcp.expect("syslog tcp");
        let tag = tag.clone();
        std::thread::spawn(move || tcp_sender(addr, tag))
    };
    http_load(&server, &env, &m, &counters, 1);
    let tcp_time = tcp.join().expect("tcp sender");
    eprintln!(
        "backpressure: {} throttled HTTP answers; writing {TCP_LINES} syslog lines took {tcp_time:?}",
        counters.throttled.load(SeqCst)
    );
    server.wait_count(&format!("marker:{m}"), 2 * REQUESTS * LINES);
    server.wait_count(&format!("app_name:{tag}"), TCP_LINES);
    assert_eq!(server.metric("vigil_dropped_events_total"), Some(0.0));
}

/// With only `max_size` set (segments at their 64 MiB default), the spool must still drain once
/// the pipeline has processed what it holds: ingest must be accepted again after the load.
///
/// Filling the spool races the pipeline, which releases bytes at each checkpoint (once per commit
/// interval). With one 4 KB event per request and a 200 ms interval the test needed 64 requests
/// within about 200 ms (3 ms each); under CPU and fsync load they took 4 ms each, the spool drained
/// as fast as it filled and never answered 429. Eight events per request and a 1 s interval need
/// 8 requests within about 1 s (125 ms each).
#[test]
fn tiny_spool_with_default_segments_accepts_again_after_draining() {
    const PER_REQUEST: u64 = 8;
    let env = Env::new("version = 1\n\n[spool]\nmax_size = \"256KiB\"\n\n[pipeline]\ncommit_interval = \"1s\"\n");
    let server = env.start(false);
    let m = marker("bpseg");
    let auth = format!("Bearer {}", env.ingest_token);
    let line = |i: u64| json!({ "marker": m, "seq": i, "pad": "x".repeat(PAD) }).to_string() + "\n";
    let lines = |first: u64| (first..first + PER_REQUEST).map(line).collect::<String>();
    // Fill past the limit: requests of 8 events of 4 KB, stopping at the first 429.
    let mut acked = 0;
    let mut throttled = false;
    for i in 0..100 {
        let r = post(
            server.http,
            "/api/v1/ingest?format=ndjson",
            &auth,
            "application/x-ndjson",
            lines(i * PER_REQUEST).as_bytes(),
        );
        match r.status {
            200 => acked += PER_REQUEST,
            429 => {
                throttled = true;
                break;
            }
            s => panic!("status {s}: {}", r.text()),
        }
    }
    assert!(throttled, "100 × 32 KB never filled a 256 KiB spool");
    server.wait_count(&format!("marker:{m}"), acked);
    // Everything is processed and committed: the spool must accept a new event.
    let deadline = Instant::now() + SEARCH_DEADLINE;
    loop {
        let r = post(
            server.http,
            "/api/v1/ingest?format=ndjson",
            &auth,
            "application/x-ndjson",
            line(1000).as_bytes(),
        );
        if r.status == 200 {
            break;
        }
        assert_eq!(r.status, 429, "{}", r.text());
        let metrics = server.metrics();
        let held = crate::harness::metric_value(&metrics, "vigil_spool_bytes");
        let lag = crate::harness::metric_value(&metrics, "vigil_pipeline_lag_records");
        assert!(
            Instant::now() < deadline,
            "spool still refuses after all {acked} events were stored: vigil_spool_bytes={held:?} \
             vigil_pipeline_lag_records={lag:?} (processed bytes in the active segment are never released)"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    server.wait_count(&format!("marker:{m}"), acked + 1);
}

/// A request larger than the whole spool can never be accepted: it must get 413 (so shippers split
/// or drop it), not 429 forever; and the server keeps accepting requests that fit.
#[test]
fn request_larger_than_the_spool_gets_413_not_429() {
    let env = Env::new("version = 1\n\n[spool]\nmax_size = \"256KiB\"\n");
    let server = env.start(false);
    let m = marker("bpbig");
    let auth = format!("Bearer {}", env.ingest_token);
    let doc = |i: u64| json!({ "marker": m, "seq": i, "pad": "x".repeat(PAD) }).to_string();
    // ~330 KB of events in one request: more than the 256 KiB spool holds even when empty.
    let big_ndjson: String = (0..80).map(|i| doc(i) + "\n").collect();
    let r = post(
        server.http,
        "/api/v1/ingest?format=ndjson",
        &auth,
        "application/x-ndjson",
        big_ndjson.as_bytes(),
    );
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(
        r.text().contains("\"body_too_large\"") && r.text().contains("max_size"),
        "{}",
        r.text()
    );
    let big_bulk: String = (0..80)
        .map(|i| format!("{{\"index\":{{\"_index\":\"logs\"}}}}\n{}\n", doc(100 + i)))
        .collect();
    let r = post(
        server.http,
        "/_bulk",
        &auth,
        "application/x-ndjson",
        big_bulk.as_bytes(),
    );
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("content_too_long_exception"), "{}", r.text());
    // Nothing of either was kept, and a request that fits is still accepted.
    let r = post(
        server.http,
        "/api/v1/ingest?format=ndjson",
        &auth,
        "application/x-ndjson",
        doc(1000).as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    server.wait_count(&format!("marker:{m}"), 1);
}

//! `loadgen` — the load generator behind `bench/ingest.sh` and `bench/search.sh`.
//!
//! ```text
//! loadgen bulk   --url http://127.0.0.1:9200 --token T --file corpus.ndjson [--rate N] [--pid P]
//! loadgen syslog --addr 127.0.0.1:5514 --url ... --token T --file lines.log [--pid P]
//! loadgen search --url ... --token T --queries queries.jsonl [--repeat 30]
//! ```
//! `bulk` and `syslog` send every line of the file (as Elasticsearch `_bulk` index actions, or as
//! LF-framed syslog over TCP), honour 429/Retry-After and paused reads, then wait until the server
//! has indexed every event (from `/metrics`). They print one JSON object: events, send and
//! end-to-end seconds and rates, 429 answers, the server's event→alert latency quantiles over the
//! run, and the server's RSS sampled every 250 ms (`--pid`). `search` runs each query of a JSON
//! lines file (`{"name": …, "body": {…}}`) `--repeat` times after one warm-up and prints a JSON
//! object per query with p50/p90/p99/max milliseconds and the hit total.
//!
//! The file is read while sending (bounded memory), a batch at a time; request bodies are built
//! by a separate thread so the senders only write.

use std::{
    io::{BufRead, BufReader},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::{Parser, Subcommand};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

#[derive(Parser)]
#[command(about = "Load generator for Vigil's ingest and search benchmarks")]
struct Args {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(clap::Args, Clone)]
struct Server {
    /// The server's HTTP address (for `/metrics`, `_bulk` and search).
    #[arg(long, default_value = "http://127.0.0.1:9200")]
    url: String,
    /// A token with ingest scope (bulk) or read scope (search, metrics).
    #[arg(long, env = "VIGIL_TOKEN")]
    token: String,
    /// Sample this process's RSS (the server) while the load runs.
    #[arg(long)]
    pid: Option<u32>,
}

#[derive(Subcommand)]
enum Mode {
    /// Send an NDJSON file as Elasticsearch `_bulk` index actions.
    Bulk {
        #[command(flatten)]
        server: Server,
        #[arg(long)]
        file: String,
        /// Events per `_bulk` request.
        #[arg(long, default_value_t = 2000)]
        batch: usize,
        /// Concurrent connections.
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// Target events per second (0: as fast as the server accepts).
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// Send at most this many events.
        #[arg(long)]
        limit: Option<u64>,
        /// The Elasticsearch index named in the path (`/{index}/_bulk`).
        #[arg(long, default_value = "logs")]
        index: String,
    },
    /// Send a file's lines as LF-framed syslog over TCP.
    Syslog {
        #[command(flatten)]
        server: Server,
        /// The syslog TCP listener.
        #[arg(long, default_value = "127.0.0.1:5514")]
        addr: String,
        #[arg(long)]
        file: String,
        /// Concurrent connections.
        #[arg(long, default_value_t = 2)]
        connections: usize,
    },
    /// Time search requests.
    Search {
        #[command(flatten)]
        server: Server,
        /// JSON lines: {"name": "...", "body": {...}} (the body of POST /api/v1/search).
        #[arg(long)]
        queries: String,
        /// Timed runs of each query (after one untimed warm-up run); at least 1.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
    },
}

// The binary's own client for `vigil serve` (keep-alive HTTP/1.1, Retry-After, bounded bodies).
#[path = "../src/client.rs"]
#[allow(dead_code, reason = "loadgen uses only part of the CLI's client")]
mod client;
use client::Client;

impl Server {
    fn client(&self) -> anyhow::Result<Client> {
        Client::new(&self.url, Some(self.token.clone()), &client::TlsFiles::default())
    }
}

/// The server's counters and latency histogram, read from `/metrics`.
#[derive(Default, Clone)]
struct Scrape {
    indexed: f64,
    dead_letters: f64,
    alerts: f64,
    dropped: f64,
    /// (upper bound seconds, cumulative count) of `vigil_detection_latency_seconds`.
    latency: Vec<(f64, f64)>,
}

async fn scrape(conn: &mut Client) -> anyhow::Result<Scrape> {
    let a = conn.send(Method::GET, "/metrics", None).await?;
    if !a.status.is_success() {
        bail!("/metrics answered {}", a.status);
    }
    let text = String::from_utf8_lossy(&a.body);
    let mut s = Scrape::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(v) = value.parse::<f64>() else { continue };
        match name {
            "vigil_events_indexed_total" => s.indexed = v,
            "vigil_dead_letters_total" => s.dead_letters = v,
            "vigil_alerts_total" => s.alerts = v,
            "vigil_dropped_events_total" => s.dropped = v,
            _ => {
                if let Some(le) = name
                    .strip_prefix("vigil_detection_latency_seconds_bucket{le=\"")
                    .and_then(|r| r.strip_suffix("\"}"))
                {
                    let bound = if le == "+Inf" { f64::INFINITY } else { le.parse()? };
                    s.latency.push((bound, v));
                }
            }
        }
    }
    Ok(s)
}

/// Quantile of the histogram difference `after - before`, interpolated within a bucket as
/// Prometheus' `histogram_quantile` does.
fn quantile(before: &Scrape, after: &Scrape, q: f64) -> Option<f64> {
    let counts: Vec<(f64, f64)> = after
        .latency
        .iter()
        .map(|(b, c)| {
            let old = before.latency.iter().find(|(ob, _)| ob == b).map_or(0.0, |(_, c)| *c);
            (*b, c - old)
        })
        .collect();
    let total = counts.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let (mut lower, mut below) = (0.0, 0.0);
    for (bound, cum) in counts {
        if cum >= rank {
            if bound.is_infinite() {
                return Some(lower);
            }
            let width = cum - below;
            let frac = if width > 0.0 { (rank - below) / width } else { 1.0 };
            return Some(lower + (bound - lower) * frac);
        }
        lower = bound;
        below = cum;
    }
    None
}

/// Resident memory (MiB) of `pid`: all of it (`VmRSS`, which includes the mapped index files
/// the kernel can drop at will) and the anonymous part (`RssAnon`: heap and stacks).
fn rss_mib(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<f64> {
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("RssAnon:")?))
}

/// Samples RSS every 250 ms until stopped; returns the samples.
fn sample_rss(pid: Option<u32>, stop: Arc<AtomicU64>) -> std::thread::JoinHandle<Vec<(f64, f64)>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        while let Some(p) = pid {
            if let Some(r) = rss_mib(p) {
                out.push(r);
            }
            if stop.load(Relaxed) != 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        out
    })
}

/// Reads the file a line at a time and cuts it into bodies of `batch` lines, each framed by
/// `frame`; sends them round-robin to the returned receivers.
fn produce(
    file: &str,
    batch: usize,
    limit: Option<u64>,
    lanes: usize,
    frame: fn(&mut Vec<u8>, &[u8]),
) -> anyhow::Result<Vec<tokio::sync::mpsc::Receiver<(Bytes, u64)>>> {
    let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(file).with_context(|| file.to_string())?);
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..lanes).map(|_| tokio::sync::mpsc::channel(4)).unzip();
    std::thread::spawn(move || {
        let mut body = Vec::with_capacity(batch * 700);
        let (mut n, mut total, mut lane) = (0u64, 0u64, 0usize);
        let mut flush = |body: &mut Vec<u8>, n: &mut u64| {
            if *n > 0 {
                let _ = txs[lane % txs.len()].blocking_send((Bytes::from(std::mem::take(body)), *n));
                lane += 1;
                *n = 0;
            }
        };
        for line in reader.split(b'\n') {
            let Ok(line) = line else { break };
            if line.trim_ascii().is_empty() {
                continue;
            }
            if limit.is_some_and(|l| total >= l) {
                break;
            }
            frame(&mut body, &line);
            n += 1;
            total += 1;
            if n as usize >= batch {
                flush(&mut body, &mut n);
            }
        }
        flush(&mut body, &mut n);
    });
    Ok(rxs)
}

fn bulk_frame(body: &mut Vec<u8>, line: &[u8]) {
    body.extend_from_slice(b"{\"index\":{}}\n");
    body.extend_from_slice(line);
    body.push(b'\n');
}

fn line_frame(body: &mut Vec<u8>, line: &[u8]) {
    body.extend_from_slice(line);
    body.push(b'\n');
}

/// Counters shared by the senders.
#[derive(Default)]
struct Sent {
    events: AtomicU64,
    requests: AtomicU64,
    throttled: AtomicU64,
}

async fn bulk_lane(
    server: Server,
    path: String,
    mut rx: tokio::sync::mpsc::Receiver<(Bytes, u64)>,
    sent: Arc<Sent>,
    pace: Option<(Instant, f64)>,
) -> anyhow::Result<()> {
    let mut conn = server.client()?;
    while let Some((body, n)) = rx.recv().await {
        loop {
            if let Some((start, rate)) = pace {
                // Release this batch when the schedule has reached it.
                let due = start + Duration::from_secs_f64(sent.events.load(Relaxed) as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
            }
            let a = conn
                .send(Method::POST, &path, Some(("application/x-ndjson", body.clone())))
                .await?;
            sent.requests.fetch_add(1, Relaxed);
            if a.status == StatusCode::TOO_MANY_REQUESTS {
                sent.throttled.fetch_add(1, Relaxed);
                tokio::time::sleep(Duration::from_millis(100 * a.retry_after.unwrap_or(1).min(10))).await;
                continue;
            }
            let v: Value = serde_json::from_slice(&a.body).context("bulk answer is not JSON")?;
            if !a.status.is_success() || v["errors"] != json!(false) {
                bail!(
                    "bulk answered {}: {}",
                    a.status,
                    String::from_utf8_lossy(&a.body[..a.body.len().min(400)])
                );
            }
            sent.events.fetch_add(n, Relaxed);
            break;
        }
    }
    Ok(())
}

async fn syslog_lane(
    addr: String,
    mut rx: tokio::sync::mpsc::Receiver<(Bytes, u64)>,
    sent: Arc<Sent>,
) -> anyhow::Result<()> {
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .with_context(|| addr.clone())?;
    while let Some((body, n)) = rx.recv().await {
        stream.write_all(&body).await?;
        sent.events.fetch_add(n, Relaxed);
        sent.requests.fetch_add(1, Relaxed);
    }
    stream.shutdown().await?;
    Ok(())
}

/// Waits until the server has indexed (or dead-lettered) `expected` more events than `base`.
async fn wait_processed(conn: &mut Client, base: &Scrape, expected: u64) -> anyhow::Result<Scrape> {
    let mut last = (0.0, Instant::now());
    loop {
        let now = scrape(conn).await?;
        let done = (now.indexed - base.indexed) + (now.dead_letters - base.dead_letters);
        if done >= expected as f64 {
            return Ok(now);
        }
        if done > last.0 {
            last = (done, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(60) {
            bail!("the server stopped making progress at {done} of {expected} events");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn summarize(
    kind: &str,
    sent: &Sent,
    start: Instant,
    sent_at: Duration,
    before: &Scrape,
    after: &Scrape,
    rss: &[(f64, f64)],
) -> Value {
    let events = sent.events.load(Relaxed);
    let e2e = start.elapsed().as_secs_f64();
    let pick = |f: f64| {
        if rss.is_empty() {
            Value::Null
        } else {
            json!(rss[((rss.len() - 1) as f64 * f) as usize].0.round())
        }
    };
    let anon: Vec<f64> = rss.iter().map(|r| r.1).collect();
    json!({
        "mode": kind,
        "events": events,
        "requests": sent.requests.load(Relaxed),
        "throttled_429": sent.throttled.load(Relaxed),
        "send_secs": sent_at.as_secs_f64(),
        "e2e_secs": e2e,
        "send_events_per_sec": (events as f64 / sent_at.as_secs_f64()).round(),
        "e2e_events_per_sec": (events as f64 / e2e).round(),
        "indexed": after.indexed - before.indexed,
        "dead_letters": after.dead_letters - before.dead_letters,
        "alerts": after.alerts - before.alerts,
        "dropped": after.dropped,
        "latency_p50_secs": quantile(before, after, 0.5),
        "latency_p99_secs": quantile(before, after, 0.99),
        "rss_mib": {
            "max": rss.iter().map(|r| r.0).fold(0.0, f64::max).round(),
            "at_25pct": pick(0.25), "at_50pct": pick(0.5), "at_75pct": pick(0.75), "at_end": pick(1.0),
        },
        "anon_mib": {
            "max": anon.iter().copied().fold(0.0, f64::max).round(),
            "at_end": anon.last().map(|a| a.round()),
        },
    })
}

type Lane = tokio::task::JoinHandle<anyhow::Result<()>>;

/// Starts the lanes (`start` is when sending began), waits for them and for the server to have
/// processed everything they sent, sampling its RSS meanwhile; prints the summary line.
async fn measure(
    server: &Server,
    kind: &str,
    start_lanes: impl FnOnce(Arc<Sent>, Instant) -> Vec<Lane>,
) -> anyhow::Result<()> {
    let mut probe = server.client()?;
    let before = scrape(&mut probe).await?;
    let sent = Arc::new(Sent::default());
    let stop = Arc::new(AtomicU64::new(0));
    let rss = sample_rss(server.pid, stop.clone());
    let start = Instant::now();
    for lane in start_lanes(sent.clone(), start) {
        lane.await??;
    }
    let sent_at = start.elapsed();
    let after = wait_processed(&mut probe, &before, sent.events.load(Relaxed)).await?;
    stop.store(1, Relaxed);
    let rss = rss.join().unwrap_or_default();
    println!("{}", summarize(kind, &sent, start, sent_at, &before, &after, &rss));
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<()> {
    match args.mode {
        Mode::Bulk {
            server,
            file,
            batch,
            connections,
            rate,
            limit,
            index,
        } => {
            let lanes = produce(&file, batch, limit, connections, bulk_frame)?;
            let path = format!("/{index}/_bulk");
            measure(&server, "bulk", |sent, start| {
                let pace = (rate > 0).then_some((start, rate as f64));
                lanes
                    .into_iter()
                    .map(|rx| tokio::spawn(bulk_lane(server.clone(), path.clone(), rx, sent.clone(), pace)))
                    .collect()
            })
            .await?;
        }
        Mode::Syslog {
            server,
            addr,
            file,
            connections,
        } => {
            let lanes = produce(&file, 2000, None, connections, line_frame)?;
            measure(&server, "syslog-tcp", |sent, _| {
                lanes
                    .into_iter()
                    .map(|rx| tokio::spawn(syslog_lane(addr.clone(), rx, sent.clone())))
                    .collect()
            })
            .await?;
        }
        Mode::Search {
            server,
            queries,
            repeat,
        } => {
            let mut conn = server.client()?;
            let text = std::fs::read_to_string(&queries).with_context(|| queries.clone())?;
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let q: Value = serde_json::from_str(line).with_context(|| format!("{queries}: {line}"))?;
                let body = Bytes::from(serde_json::to_vec(&q["body"])?);
                let mut times = Vec::with_capacity(repeat as usize);
                let mut total = Value::Null;
                for i in 0..=repeat {
                    let t = Instant::now();
                    let a = conn
                        .send(Method::POST, "/api/v1/search", Some(("application/json", body.clone())))
                        .await?;
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    if !a.status.is_success() {
                        bail!(
                            "{}: search answered {}: {}",
                            q["name"],
                            a.status,
                            String::from_utf8_lossy(&a.body)
                        );
                    }
                    if i == 0 {
                        total = serde_json::from_slice::<Value>(&a.body)?["total"].clone();
                    } else {
                        times.push(ms);
                    }
                }
                times.sort_by(f64::total_cmp);
                let at = |f: f64| (times[((times.len() - 1) as f64 * f).round() as usize] * 10.0).round() / 10.0;
                println!(
                    "{}",
                    json!({"name": q["name"], "total": total, "runs": repeat,
                           "p50_ms": at(0.5), "p90_ms": at(0.9), "p99_ms": at(0.99), "max_ms": at(1.0)})
                );
            }
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

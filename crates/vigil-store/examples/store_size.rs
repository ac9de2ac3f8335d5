//! Where the bytes of a store go: loads a file of log lines into a fresh store and prints the
//! bytes on disk per event by tantivy file kind, against the raw input.
//!
//!   cargo run --release -p vigil-store --example store_size -- ndjson bench/out/corpus-200000.ndjson
//!   cargo run --release -p vigil-store --example store_size -- syslog bench/out/corpus-200000.log
//!
//! The store is written under a temporary directory (or `STORE_DIR`), committed every 100k events
//! (or every `COMMIT_EVERY`; the server commits every `commit_interval`), with event ids as the
//! server makes them, and the CPU seconds of building and committing are shown.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Instant;

use jiff::Timestamp;
use vigil_parse::{Format, Origin, parse_line};
use vigil_store::{EventStore, StoreConfig};

mod measure;
use measure::cpu_seconds;

// The allocator of the vigil binary.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(format), Some(path)) = (args.next(), args.next()) else {
        eprintln!("usage: store_size ndjson|syslog FILE");
        std::process::exit(2);
    };
    let format: Format = format.parse()?;
    let tmp = tempfile::tempdir()?;
    let dir = std::env::var_os("STORE_DIR").map_or_else(|| tmp.path().to_path_buf(), Into::into);
    let store = EventStore::open(StoreConfig::new(&dir))?;
    let every: u64 = std::env::var("COMMIT_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    // Records as the server's `_bulk` input makes them (the syslog mode uses the same origin): the
    // peer's address as host, no path, and the spool sequence number as offset (see
    // vigil-server's `pipeline::to_event`).
    let origin = Origin {
        input: "elasticsearch".into(),
        path: None,
        host: Some("127.0.0.1".into()),
    };
    let now = Timestamp::now();
    let (mut raw, mut n, mut bad) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let cpu0 = cpu_seconds();
    for line in BufReader::new(std::fs::File::open(&path)?).split(b'\n') {
        let line = line?;
        raw += line.len() as u64 + 1;
        match parse_line(format, &line, &origin, n + 1) {
            Ok(mut event) => {
                n += 1;
                // Ids as the server gives them (input hash, spool sequence number).
                event.id = vigil_event::EventId::spooled(0, "elasticsearch", n);
                store.add(n, &event, now)?;
                if n.is_multiple_of(every) {
                    store.commit(n)?;
                }
            }
            Err(_) => bad += 1,
        }
    }
    store.commit(n)?;
    let cpu = cpu_seconds() - cpu0;
    let wall = started.elapsed().as_secs_f64();
    let stats = store.stats();
    drop(store);
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    walk(&dir, &mut by_kind)?;
    let total: u64 = by_kind.values().sum();
    println!(
        "{n} events ({bad} unparsed), raw {raw} B ({:.0} B/event); store {} B ({:.0} B/event), {:.3}x raw; {} partitions",
        raw as f64 / n as f64,
        stats.bytes_on_disk,
        stats.bytes_on_disk as f64 / n as f64,
        stats.bytes_on_disk as f64 / raw as f64,
        stats.partitions
    );
    println!(
        "parse+add+commit: {wall:.1} s wall, {cpu:.1} CPU-s ({:.0} events per CPU-s)",
        n as f64 / cpu
    );
    for (kind, bytes) in &by_kind {
        println!(
            "  {kind:>10} {:>8.1} B/event {:>5.1}%",
            *bytes as f64 / n as f64,
            100.0 * *bytes as f64 / total as f64
        );
    }
    per_field(&dir, n)?;
    Ok(())
}

/// Term dictionary, postings and fast-field bytes per event of each schema field.
fn per_field(events: &Path, n: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut rows: BTreeMap<(String, &str), u64> = BTreeMap::new();
    for entry in std::fs::read_dir(events)? {
        let path = entry?.path();
        if !path.is_dir() {
            continue; // the store's state file
        }
        let index = tantivy::Index::open_in_dir(path)?;
        for seg in index.reader()?.searcher().space_usage()?.segments() {
            for (part, usage) in [
                ("term", seg.termdict()),
                ("postings", seg.postings()),
                ("fast", seg.fast_fields()),
            ] {
                for field in usage.fields() {
                    *rows.entry((field.field_name().to_owned(), part)).or_default() += field.total().get_bytes();
                }
            }
        }
    }
    for ((field, part), bytes) in rows {
        println!("  {field:>8} {part:>8} {:>8.1} B/event", bytes as f64 / n as f64);
    }
    Ok(())
}

fn walk(dir: &Path, by_kind: &mut BTreeMap<String, u64>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_dir() {
            walk(&entry.path(), by_kind)?;
        } else {
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = name.rsplit_once('.').map_or("other", |(_, ext)| ext).to_owned();
            *by_kind.entry(kind).or_default() += meta.len();
        }
    }
    Ok(())
}

//! Vigil's event store: time-partitioned tantivy indexes with idempotent replay, search,
//! aggregations and retention.
//!
//! * **Layout** — `dir/<start>/` holds one tantivy index per partition (`20261123T000000Z`
//!   for the day starting then); `dir/vigil-store.json` records the last committed spool sequence
//!   number. Partitions are aligned to multiples of [`StoreConfig::partition`] since the epoch
//!   (UTC). Stores written before kept partitions one level down, in `dir/events/`: opening one
//!   for writing moves them up; opening one read-only reads them where they are.
//! * **Time** — an event goes in the partition of its own time, or of the `received` time passed to
//!   [`EventStore::add`] when it has none (pass the time the spool recorded, so a replay maps it to the
//!   same partition). Hits always carry a time: the event's own, else its ingest time.
//! * **Replay** — every partition's commit payload is the spool sequence number it holds events up
//!   to; [`EventStore::add`] skips an event whose sequence number is at or below that of its
//!   partition (or of an event already added to it), so replaying a spool from any point never
//!   duplicates events. [`EventStore::committed_seq`] is where a replay must start after; see there.
//! * **Memory** — at most [`StoreConfig::max_open_writers`] partitions have an open writer; writing
//!   to another one commits and closes the least recently used first.
//! * **Concurrency** — all methods take `&self`; searches run while events are added. Adds,
//!   commits and retention serialise on one lock; searches only briefly take the partition list.
//! * **Disk** — the event is stored once, as compact JSON in tantivy's zstd doc store (level 9,
//!   128 KiB blocks; its id only in the id fast fields); field values are indexed as lower-cased
//!   keywords and words of text, with doc ids only (no frequencies, positions or norms). On
//!   synthetic Sysmon process-creation events the store takes 0.28× the raw NDJSON size (the
//!   `disk` integration test prints the figure); `examples/store_size.rs` breaks the bytes down
//!   by component for any file of log lines.
//!
//! The query syntax is vigil-query's; what each form matches here is described in
//! [`translate`](crate::translate), and the aggregations in [`aggs`](crate::aggs).

/// Where stores written before kept their partitions, below the store's directory.
const LEGACY_PARTITIONS: &str = "events";

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tantivy::IndexWriter;
use vigil_event::Event;

pub mod aggs;
mod config;
mod cursor;
mod error;
mod partition;
mod phrase;
mod retention;
mod schema;
mod search;
pub mod translate;

pub use aggs::{Agg, AggResult, DateBucket, TermsBucket};
pub use config::{MIN_WRITER_HEAP_BYTES, StoreConfig};
pub use cursor::Sort;
pub use error::StoreError;
pub use retention::RetentionReport;
pub use search::{Hit, MAX_SIZE, SearchRequest, SearchResponse};
pub use search::{Scope, TENANT_FIELD};
pub use vigil_api_types::duration::{format_duration, parse_duration};
pub use vigil_api_types::status::StoreStats;

use crate::error::IndexContext;
use crate::partition::Partition;
use crate::schema::StoreSchema;

const STATE_FILE: &str = "vigil-store.json";

/// An event's document, built by [`EventStore::prepare`] and stored by [`EventStore::add_prepared`].
pub struct PreparedEvent {
    doc: tantivy::TantivyDocument,
    /// Partition time (ns).
    ts: i64,
}

impl std::fmt::Debug for PreparedEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedEvent")
            .field("ts", &self.ts)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    committed_seq: u64,
}

/// The event store. `Send + Sync`: share it behind an `Arc`.
pub struct EventStore {
    cfg: StoreConfig,
    root: PathBuf,
    schema: StoreSchema,
    /// Partition length (ns).
    part_len: i64,
    partitions: RwLock<BTreeMap<i64, Arc<Partition>>>,
    writers: Mutex<WriterPool>,
    committed: AtomicU64,
    read_only: bool,
}

impl std::fmt::Debug for EventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStore")
            .field("dir", &self.cfg.dir)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct WriterPool {
    open: Vec<OpenWriter>,
    tick: u64,
}

struct OpenWriter {
    part: Arc<Partition>,
    writer: IndexWriter,
    /// Events added since the last commit.
    pending: u64,
    last_used: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A timestamp in ns, when it fits an i64 (years 1677–2262).
fn nanos(ts: Timestamp) -> Option<i64> {
    i64::try_from(ts.as_nanosecond()).ok()
}

impl EventStore {
    /// Opens the store in `cfg.dir`, creating it if needed and reopening every partition there.
    pub fn open(cfg: StoreConfig) -> Result<EventStore, StoreError> {
        Self::open_with(cfg, false)
    }

    /// Opens the store in `dir` for reading only, e.g. to retro-hunt (`vigil hunt --stored`) while
    /// `vigil serve` writes it: it takes no lock and writes nothing. It sees the partitions and
    /// commits that exist when it opens (a snapshot); [`add`](Self::add), [`commit`](Self::commit)
    /// and [`retain`](Self::retain) fail with [`StoreError::ReadOnly`].
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<EventStore, StoreError> {
        Self::open_with(StoreConfig::new(dir.as_ref()), true)
    }

    fn open_with(cfg: StoreConfig, read_only: bool) -> Result<EventStore, StoreError> {
        cfg.validate()?;
        let root = cfg.dir.clone();
        let legacy = cfg.dir.join(LEGACY_PARTITIONS);
        if !read_only && legacy.is_dir() {
            partition::move_up(&legacy, &root)?;
        }
        let schema = StoreSchema::new();
        let mut partitions = BTreeMap::new();
        // The older layout's directory is read only when it is still there (a read-only open).
        for dir in [&root, &legacy].into_iter().filter(|d| *d == &root || d.is_dir()) {
            for p in partition::open_all(dir, &schema, &cfg, read_only)? {
                partitions.insert(p.start, Arc::new(p));
            }
        }
        let state_path = cfg.dir.join(STATE_FILE);
        let committed = match fs::read(&state_path) {
            Ok(bytes) => {
                serde_json::from_slice::<StateFile>(&bytes)
                    .map_err(|e| StoreError::Corrupt(format!("{}: {e}", state_path.display())))?
                    .committed_seq
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(StoreError::io("cannot read the store state", &state_path)(e)),
        };
        tracing::info!(dir = %cfg.dir.display(), partitions = partitions.len(), committed, "event store opened");
        Ok(EventStore {
            part_len: i64::try_from(cfg.partition.as_nanos()).unwrap_or(i64::MAX),
            cfg,
            root,
            schema,
            partitions: RwLock::new(partitions),
            writers: Mutex::new(WriterPool::default()),
            committed: AtomicU64::new(committed),
            read_only,
        })
    }

    /// The configuration the store was opened with.
    pub fn config(&self) -> &StoreConfig {
        &self.cfg
    }

    /// Adds an event read from the spool at sequence number `seq`; `received` is its ingest time
    /// (used when the event has no time of its own).
    ///
    /// Returns `Ok(false)` without storing it when it is a replay (`seq` at or below the highest
    /// sequence number its partition already holds) or older than [`StoreConfig::max_age`] allows.
    /// Events become searchable and durable at the next [`commit`](Self::commit). An event time
    /// outside 1677–2262 (what nanoseconds in an i64 reach) is treated as no time.
    ///
    /// This is [`prepare`](Self::prepare) then [`add_prepared`](Self::add_prepared); call those
    /// two instead to build documents on several threads and add them in spool order.
    pub fn add(&self, seq: u64, event: &Event, received: Timestamp) -> Result<bool, StoreError> {
        match self.prepare(event, received)? {
            Some(prepared) => self.add_prepared(seq, prepared),
            None => Ok(false),
        }
    }

    /// Builds the document of an event (the costly part of [`add`](Self::add)) without touching
    /// the indexes, so it may run on any thread, in any order. `Ok(None)` when the event is older
    /// than [`StoreConfig::max_age`] allows and would not be stored.
    pub fn prepare(&self, event: &Event, received: Timestamp) -> Result<Option<PreparedEvent>, StoreError> {
        self.writable()?;
        let received_ns =
            nanos(received).ok_or_else(|| StoreError::BadRequest(format!("ingest time {received} is out of range")))?;
        let (ts, time_kept) = match event.time.and_then(nanos) {
            Some(t) => (t, true),
            None => (received_ns, false),
        };
        if let Some(max_age) = self.cfg.max_age.and_then(|a| i64::try_from(a.as_nanos()).ok()) {
            let aligned_end = ts
                .div_euclid(self.part_len)
                .saturating_mul(self.part_len)
                .saturating_add(self.part_len);
            if aligned_end <= received_ns.saturating_sub(max_age) {
                return Ok(None);
            }
        }
        Ok(Some(PreparedEvent {
            doc: self.schema.document(event, ts, time_kept),
            ts,
        }))
    }

    /// Adds an event built by [`prepare`](Self::prepare), as [`add`](Self::add) does.
    pub fn add_prepared(&self, seq: u64, prepared: PreparedEvent) -> Result<bool, StoreError> {
        self.writable()?;
        let mut pool = lock(&self.writers);
        let part = self.partition_for(prepared.ts)?;
        if seq <= part.high_seq.load(Ordering::Acquire) {
            return Ok(false);
        }
        let w = self.writer_for(&mut pool, &part)?;
        w.writer
            .add_document(prepared.doc)
            .ctx(|| format!("cannot add an event to {}", part.dir.display()))?;
        w.pending += 1;
        part.high_seq.fetch_max(seq, Ordering::AcqRel);
        Ok(true)
    }

    /// Commits every partition written since the last commit, durably, with `seq` (the spool
    /// sequence number of the last event added) as their payload, and makes their events searchable.
    pub fn commit(&self, seq: u64) -> Result<(), StoreError> {
        self.writable()?;
        let mut pool = lock(&self.writers);
        let mut failure = None;
        pool.open.retain_mut(|w| {
            if w.pending == 0 {
                return true;
            }
            let payload = seq.max(w.part.high_seq.load(Ordering::Acquire));
            match w.part.commit(&mut w.writer, payload) {
                Ok(()) => {
                    w.pending = 0;
                    true
                }
                Err(e) => {
                    tracing::error!(partition = %w.part.dir.display(), error = %e, "commit failed; dropping its uncommitted events");
                    w.part.high_seq.store(w.part.committed(), Ordering::Release);
                    failure.get_or_insert(e);
                    false
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        if seq > self.committed.load(Ordering::Acquire) {
            self.write_state(seq)?;
            self.committed.fetch_max(seq, Ordering::AcqRel);
        }
        Ok(())
    }

    /// The sequence number of the last successful [`commit`](Self::commit) (0 for a new store):
    /// every event added up to it is durable, so a spool replay starts after it.
    ///
    /// It is kept in `vigil-store.json` rather than taken as the largest partition payload, because
    /// a partition whose writer was closed early (see [`StoreConfig::max_open_writers`]) is committed
    /// with its own highest sequence number, which may run ahead of other partitions' uncommitted
    /// events. Replaying from an earlier point is always safe: each partition skips what it holds.
    pub fn committed_seq(&self) -> u64 {
        self.committed.load(Ordering::Acquire)
    }

    /// The highest spool sequence number any partition holds; 0 for an empty store.
    pub fn highest_seq(&self) -> u64 {
        self.snapshot(None, None)
            .iter()
            .map(|p| p.high_seq.load(Ordering::Acquire))
            .max()
            .unwrap_or(0)
    }

    /// Partition count, committed events and bytes on disk.
    pub fn stats(&self) -> StoreStats {
        let parts = self.snapshot(None, None);
        StoreStats {
            partitions: parts.len(),
            events: parts.iter().map(|p| p.num_docs()).sum(),
            bytes_on_disk: parts.iter().map(|p| p.bytes_on_disk()).sum(),
        }
    }

    /// Searches the committed events of `scope` (see [`SearchRequest`]).
    pub fn search(&self, scope: Scope<'_>, req: &SearchRequest) -> Result<SearchResponse, StoreError> {
        search::run(self, scope, req)
    }

    /// Calls `visit` with every committed event in `[from, to)`, rebuilt as an [`Event`] (without its
    /// raw record), partition by partition from the oldest, in time order within each partition
    /// (ties by id). `visit` also gets the time the event is stored under: its own, or its ingest
    /// time when it had none the server could trust (the event's `time` is then `None`). Stops
    /// early when `visit` returns `false`. Returns how many events were visited.
    pub fn scan(
        &self,
        scope: Scope<'_>,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        visit: &mut dyn FnMut(Event, Timestamp) -> bool,
    ) -> Result<u64, StoreError> {
        search::scan(self, scope, from, to, visit)
    }

    /// Applies retention at time `now` (see [`RetentionReport`]).
    pub fn retain(&self, now: Timestamp) -> Result<RetentionReport, StoreError> {
        self.writable()?;
        retention::retain(self, now)
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.read_only {
            Err(StoreError::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// Partitions overlapping `[from, to)` (ns), oldest first.
    fn snapshot(&self, from: Option<i64>, to: Option<i64>) -> Vec<Arc<Partition>> {
        let parts = self
            .partitions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        parts
            .values()
            .filter(|p| to.is_none_or(|to| p.start < to) && from.is_none_or(|from| p.end > from))
            .cloned()
            .collect()
    }

    /// The partition holding time `ts` (ns), created if needed. Call with the writer lock held.
    fn partition_for(&self, ts: i64) -> Result<Arc<Partition>, StoreError> {
        {
            let parts = self
                .partitions
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((_, p)) = parts.range(..=ts).next_back()
                && p.end > ts
            {
                return Ok(p.clone());
            }
        }
        let mut parts = self
            .partitions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Aligned span, clipped so it never overlaps a partition made with another length.
        let mut start = ts.div_euclid(self.part_len).saturating_mul(self.part_len);
        let mut end = start.saturating_add(self.part_len);
        if let Some((_, before)) = parts.range(..=ts).next_back() {
            start = start.max(before.end);
        }
        if let Some((_, after)) = parts.range(ts.saturating_add(1)..).next() {
            end = end.min(after.start);
        }
        let p = Arc::new(Partition::create(&self.root, &self.schema, start, end)?);
        tracing::debug!(partition = %p.dir.display(), "partition created");
        parts.insert(start, p.clone());
        Ok(p)
    }

    /// The open writer of `part`, opening it (and closing the least recently used) if needed.
    fn writer_for<'p>(
        &self,
        pool: &'p mut WriterPool,
        part: &Arc<Partition>,
    ) -> Result<&'p mut OpenWriter, StoreError> {
        pool.tick += 1;
        let tick = pool.tick;
        if let Some(i) = pool.open.iter().position(|w| Arc::ptr_eq(&w.part, part)) {
            let w = &mut pool.open[i];
            w.last_used = tick;
            return Ok(w);
        }
        while pool.open.len() >= self.cfg.max_open_writers {
            let Some(lru) = pool
                .open
                .iter()
                .enumerate()
                .min_by_key(|(_, w)| w.last_used)
                .map(|(i, _)| i)
            else {
                break;
            };
            let mut w = pool.open.swap_remove(lru);
            if w.pending > 0 {
                // Its events become durable now, under its own highest sequence number.
                let seq = w.part.high_seq.load(Ordering::Acquire);
                if let Err(e) = w.part.commit(&mut w.writer, seq) {
                    w.part.high_seq.store(w.part.committed(), Ordering::Release);
                    return Err(e);
                }
            }
            tracing::debug!(partition = %w.part.dir.display(), "closing writer");
            if let Err(e) = w.writer.wait_merging_threads() {
                tracing::warn!(partition = %w.part.dir.display(), error = %e, "merge failed while closing writer");
            }
        }
        let writer = part.writer(self.cfg.heap_per_writer())?;
        pool.open.push(OpenWriter {
            part: part.clone(),
            writer,
            pending: 0,
            last_used: tick,
        });
        let last = pool.open.len() - 1;
        Ok(&mut pool.open[last])
    }

    /// Durably records the committed sequence number.
    fn write_state(&self, seq: u64) -> Result<(), StoreError> {
        let path = self.cfg.dir.join(STATE_FILE);
        let tmp = self.cfg.dir.join(format!("{STATE_FILE}.tmp"));
        let json = serde_json::to_vec(&StateFile { committed_seq: seq }).unwrap_or_default();
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            sync_dir(&self.cfg.dir)
        };
        write().map_err(StoreError::io("cannot record the committed sequence number", &path))
    }

    /// Closes the writer of a partition (discarding uncommitted events) and forgets the partition.
    fn drop_partition(&self, pool: &mut WriterPool, start: i64) -> Option<Arc<Partition>> {
        let mut parts = self
            .partitions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let p = parts.remove(&start)?;
        if let Some(i) = pool.open.iter().position(|w| Arc::ptr_eq(&w.part, &p)) {
            let w = pool.open.swap_remove(i);
            drop(w.writer);
        }
        Some(p)
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<EventStore>();
    }
}

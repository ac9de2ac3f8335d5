//! Keyed ingest streams: idempotent resends of the native ingest API (`vigil ingest`).
//!
//! A client may number the records it sends in a stream it names (`stream=KEY&first=N`: the
//! request's records are N, N+1, … of stream KEY, e.g. a file identity and a record ordinal). The
//! server keys the stream by the sender's token as well and keeps, per stream, the next ordinal
//! not yet taken (`next`): a record numbered below it was stored (or refused) already and is
//! skipped, so a resend of what was acknowledged — or of what was stored while its answer was
//! lost — stores nothing twice. A keyed record's event id is a hash of its stream and ordinal
//! (see [`crate::pipeline::to_event`]), the same however often it is sent.
//!
//! `next` is kept in the state database (blob `ingest-stream/<token>/<key>`), written after the
//! records are in the spool and before the answer. A crash between the two leaves records in the
//! spool that `next` does not cover: while such an append is in flight the spool checkpoint is
//! held below it ([`Streams::checkpoint_hold`]), so on start-up they are still in the spool, and
//! [`Streams::open`] reads the unprocessed records for the highest ordinal of each stream.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

use vigil_ingest::Record;
use vigil_spool::{Spool, SpoolError};
use vigil_state::{State, StateError};

/// Record attribute naming a keyed record's stream (`<token id>/<client key>`).
pub const STREAM_ATTR: &str = "stream";
/// Record attribute holding a keyed record's ordinal in its stream (decimal).
pub const ORDINAL_ATTR: &str = "ordinal";

const BLOB_PREFIX: &str = "ingest-stream/";
/// Records read at a time by the start-up scan.
const SCAN_CHUNK: usize = 4096;

/// The stream and ordinal of a keyed record, when it is one.
pub fn position(record: &Record) -> Option<(&str, u64)> {
    let stream = record.attr(STREAM_ATTR)?;
    let ordinal = record.attr(ORDINAL_ATTR)?.parse().ok()?;
    Some((stream, ordinal))
}

/// Whether `key` is a valid client stream key: 1 to 128 of `A-Z a-z 0-9 . _ : -`.
pub fn valid_key(key: &str) -> bool {
    (1..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The keyed streams' next ordinals, and the spool checkpoint hold of appends in flight.
#[derive(Debug)]
pub struct Streams {
    state: State,
    spool: Arc<Spool>,
    /// Streams used since start, each behind its own lock (requests of a stream go one at a time).
    entries: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<u64>>>>>,
    /// Per stream, one past the highest ordinal found in the spool's unprocessed records at start.
    recovered: HashMap<String, u64>,
    /// Appends in flight: id → the lowest sequence number they can get.
    holds: Mutex<BTreeMap<u64, u64>>,
    next_hold: AtomicU64,
    checkpoint_hold: Arc<AtomicU64>,
}

impl Streams {
    /// Reads the spool's unprocessed records for keyed streams (call before the pipeline starts:
    /// it may checkpoint them once it runs).
    pub fn open(state: State, spool: Arc<Spool>) -> Result<Streams, SpoolError> {
        let mut recovered: HashMap<String, u64> = HashMap::new();
        let mut from = spool.checkpointed() + 1;
        loop {
            let mut last = None;
            spool.read_from(from, SCAN_CHUNK, &mut |r| {
                last = Some(r.seq);
                if let Ok(record) = Record::decode(&r.payload)
                    && let Some((stream, ordinal)) = position(&record)
                {
                    let next = recovered.entry(stream.to_owned()).or_default();
                    *next = (*next).max(ordinal.saturating_add(1));
                }
            })?;
            match last {
                Some(seq) => from = seq + 1,
                None => break,
            }
        }
        if !recovered.is_empty() {
            tracing::info!(streams = recovered.len(), "keyed ingest streams found in the spool");
        }
        Ok(Streams {
            state,
            spool,
            entries: Mutex::default(),
            recovered,
            holds: Mutex::default(),
            next_hold: AtomicU64::new(0),
            checkpoint_hold: Arc::new(AtomicU64::new(u64::MAX)),
        })
    }

    /// The spool may be checkpointed only below this sequence number (`u64::MAX`: no limit).
    pub fn checkpoint_hold(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.checkpoint_hold)
    }

    /// Locks `stream` (requests of one stream are taken one at a time) and loads its next ordinal.
    pub async fn lock(&self, stream: &str) -> Result<StreamGuard<'_>, StateError> {
        let entry = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(entries.entry(stream.to_owned()).or_default())
        };
        let mut next = entry.lock_owned().await;
        if next.is_none() {
            let saved = self
                .state
                .get_blob(&blob_name(stream))
                .await?
                .and_then(|bytes| std::str::from_utf8(&bytes).ok()?.trim().parse::<u64>().ok())
                .unwrap_or(0);
            *next = Some(saved.max(self.recovered.get(stream).copied().unwrap_or(0)));
        }
        Ok(StreamGuard {
            streams: self,
            name: stream.to_owned(),
            next,
        })
    }

    /// Holds the spool checkpoint below every record appended from now until the hold is dropped.
    pub fn hold(&self) -> Hold<'_> {
        let id = self.next_hold.fetch_add(1, Ordering::Relaxed);
        let mut holds = self.holds.lock().unwrap_or_else(PoisonError::into_inner);
        holds.insert(id, self.spool.committed() + 1);
        self.publish(&holds);
        Hold { streams: self, id }
    }

    fn publish(&self, holds: &BTreeMap<u64, u64>) {
        let floor = holds.values().min().copied().unwrap_or(u64::MAX);
        self.checkpoint_hold.store(floor, Ordering::Release);
    }
}

fn blob_name(stream: &str) -> String {
    format!("{BLOB_PREFIX}{stream}")
}

/// A locked stream.
#[derive(Debug)]
pub struct StreamGuard<'a> {
    streams: &'a Streams,
    name: String,
    next: tokio::sync::OwnedMutexGuard<Option<u64>>,
}

impl StreamGuard<'_> {
    /// The stream's name (`<token id>/<client key>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next ordinal not yet taken: records numbered below it were stored or refused already.
    pub fn next(&self) -> u64 {
        self.next.unwrap_or(0)
    }

    /// Records that every ordinal below `next` is taken (durably, before it returns).
    pub async fn advance(&mut self, next: u64) -> Result<(), StateError> {
        if next <= self.next() {
            return Ok(());
        }
        *self.next = Some(next);
        let name = blob_name(&self.name);
        self.streams.state.put_blob(&name, next.to_string().as_bytes()).await
    }
}

/// An append in flight (see [`Streams::hold`]).
#[derive(Debug)]
pub struct Hold<'a> {
    streams: &'a Streams,
    id: u64,
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        let mut holds = self.streams.holds.lock().unwrap_or_else(PoisonError::into_inner);
        holds.remove(&self.id);
        self.streams.publish(&holds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed(stream: &str, ordinal: u64) -> Vec<u8> {
        let mut record = Record::new(Arc::from("api"), vigil_ingest::RecordFormat::Text, b"x".to_vec());
        record.attrs.push((STREAM_ATTR.into(), stream.into()));
        record.attrs.push((ORDINAL_ATTR.into(), ordinal.to_string()));
        record.encode()
    }

    /// A crash after the spool append and before the progress was saved: the records are found
    /// in the spool on start-up, so a resend of them is taken as duplicates.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn progress_lost_in_a_crash_is_found_in_the_spool() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spool = Arc::new(Spool::open(vigil_spool::SpoolConfig::new(dir.path().join("spool"))).expect("spool"));
        let state = State::open_in_memory().await.expect("state");
        spool
            .append(vec![keyed("t/a", 0), keyed("t/a", 1), keyed("t/b", 7)])
            .expect("append");
        let streams = Streams::open(state, spool).expect("open");
        assert_eq!(streams.lock("t/a").await.expect("lock").next(), 2);
        assert_eq!(streams.lock("t/b").await.expect("lock").next(), 8);
        assert_eq!(streams.lock("t/c").await.expect("lock").next(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn holds_keep_the_checkpoint_below_appends_in_flight() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spool = Arc::new(Spool::open(vigil_spool::SpoolConfig::new(dir.path().join("spool"))).expect("spool"));
        spool.append(vec![b"a".to_vec(), b"b".to_vec()]).expect("append");
        let streams = Streams::open(State::open_in_memory().await.expect("state"), spool).expect("open");
        let floor = streams.checkpoint_hold();
        assert_eq!(floor.load(Ordering::Acquire), u64::MAX);
        let first = streams.hold();
        let second = streams.hold();
        assert_eq!(floor.load(Ordering::Acquire), 3);
        drop(first);
        assert_eq!(floor.load(Ordering::Acquire), 3);
        drop(second);
        assert_eq!(floor.load(Ordering::Acquire), u64::MAX);
    }

    #[test]
    fn keys() {
        assert!(valid_key("f-3a9c.log:17"));
        assert!(!valid_key(""));
        assert!(!valid_key("a/b"));
        assert!(!valid_key(&"x".repeat(129)));
    }
}

//! The spool: one writer thread doing group commit, readers and checkpoints.

use std::{
    collections::VecDeque,
    fs::File,
    io::Write,
    path::{Path, PathBuf},
    sync::{
        Arc, Condvar, Mutex, MutexGuard,
        mpsc::{self, Receiver, SyncSender},
    },
    thread::JoinHandle,
    time::Duration,
};

use crate::{
    Record, SpoolError, SpoolReader, io_err,
    segment::{self, HEADER, MAX_RECORD},
};

/// Spool settings.
#[derive(Debug, Clone)]
pub struct SpoolConfig {
    pub dir: PathBuf,
    /// Roll to a new segment file past this size.
    pub segment_bytes: u64,
    /// Refuse appends (backpressure) while records not yet checkpointed take more than this many
    /// bytes. Checkpointed records are deleted a whole segment at a time, so the files on disk may
    /// hold up to about one segment more.
    pub max_bytes: u64,
}

impl SpoolConfig {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SpoolConfig {
            dir: dir.into(),
            segment_bytes: 64 << 20,
            max_bytes: 4 << 30,
        }
    }
}

/// The sequence numbers given to one acknowledged append (inclusive range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub first: u64,
    pub last: u64,
}

struct Segment {
    first: u64,
    path: PathBuf,
    /// Last committed seq in this segment (first - 1 when empty).
    last: u64,
    bytes: u64,
}

struct State {
    segments: Vec<Segment>,
    committed: u64,
    checkpoint: u64,
    /// Bytes of the segment files (what is on disk).
    held_bytes: u64,
    /// Bytes of records not yet checkpointed (what backpressure counts).
    unprocessed: Unprocessed,
    /// Bytes promised to appends not yet committed (counted against `max_bytes`).
    pending_bytes: u64,
    failed: Option<String>,
}

/// Bytes written but not yet checkpointed, as runs of records `(last seq, bytes)` in order. A run
/// is released once the checkpoint covers its last record, so the count errs high (by at most one
/// run), never low. Runs grow to `run_bytes` (1/64 of the limit, 4 KiB to 1 MiB) before a new one
/// starts: at most ~64 runs fill the limit, and one run is a small part of it.
struct Unprocessed {
    runs: VecDeque<(u64, u64)>,
    bytes: u64,
    run_bytes: u64,
}

impl Unprocessed {
    fn new(max_bytes: u64) -> Self {
        Unprocessed {
            runs: VecDeque::new(),
            bytes: 0,
            run_bytes: (max_bytes / 64).clamp(4 << 10, 1 << 20),
        }
    }

    fn add(&mut self, last_seq: u64, bytes: u64) {
        self.bytes += bytes;
        match self.runs.back_mut() {
            Some((last, run)) if *run < self.run_bytes => {
                *last = last_seq;
                *run += bytes;
            }
            _ => self.runs.push_back((last_seq, bytes)),
        }
    }

    fn release_through(&mut self, checkpoint: u64) {
        while let Some(&(last, run)) = self.runs.front() {
            if last > checkpoint {
                break;
            }
            self.bytes -= run;
            self.runs.pop_front();
        }
    }
}

struct Shared {
    config: SpoolConfig,
    /// Random, made with the spool: tells its sequence numbers from those of a spool it replaced.
    epoch: u64,
    state: Mutex<State>,
    /// Signalled after every commit (readers waiting for new records).
    committed_cv: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

type Reply = SyncSender<Result<Appended, SpoolError>>;

struct Request {
    payloads: Vec<Vec<u8>>,
    bytes: u64,
    reply: Reply,
}

/// A durable write-ahead spool (see the crate docs). Cheap to share behind an `Arc`.
pub struct Spool {
    shared: Arc<Shared>,
    tx: Mutex<Option<SyncSender<Request>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool").field("dir", &self.shared.config.dir).finish()
    }
}

const CHECKPOINT: &str = "checkpoint";

impl Spool {
    /// Opens (or creates) the spool, recovering from a crash: every valid record is kept, a torn
    /// tail of the last segment is truncated. Corruption anywhere else is an error, not a loss.
    pub fn open(config: SpoolConfig) -> Result<Spool, SpoolError> {
        let dir = config.dir.clone();
        std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        let checkpoint = read_checkpoint(&dir)?;
        let epoch = read_or_make_epoch(&dir)?;
        let listed = segment::list(&dir)?;
        let mut segments = Vec::new();
        let count = listed.len();
        for (i, (first, path)) in listed.into_iter().enumerate() {
            let scan = segment::scan(&path, first, u64::MAX, &mut |_| {})?;
            if scan.torn {
                if i + 1 < count {
                    return Err(SpoolError::Corrupt(
                        dir.display().to_string(),
                        format!("{} is damaged before its end (not a crash tail)", path.display()),
                    ));
                }
                tracing::warn!(segment = %path.display(), valid = scan.valid_len, "truncating torn spool tail");
                segment::truncate(&path, scan.valid_len)?;
            }
            let last = scan.last_seq.unwrap_or(first - 1);
            if let Some(prev) = segments.last().map(|s: &Segment| s.last)
                && first != prev + 1
            {
                return Err(SpoolError::Corrupt(
                    dir.display().to_string(),
                    format!(
                        "sequence gap before {}: previous segment ends at {prev}",
                        path.display()
                    ),
                ));
            }
            segments.push(Segment {
                first,
                path,
                last,
                bytes: scan.valid_len,
            });
        }
        let committed = segments.last().map(|s| s.last).unwrap_or(checkpoint).max(checkpoint);
        let held_bytes = segments.iter().map(|s| s.bytes).sum();
        // A segment that straddles the checkpoint counts whole until the checkpoint passes it.
        let mut unprocessed = Unprocessed::new(config.max_bytes);
        for s in segments.iter().filter(|s| s.last > checkpoint) {
            unprocessed.add(s.last, s.bytes);
        }
        let shared = Arc::new(Shared {
            config,
            epoch,
            state: Mutex::new(State {
                segments,
                committed,
                checkpoint,
                held_bytes,
                unprocessed,
                pending_bytes: 0,
                failed: None,
            }),
            committed_cv: Condvar::new(),
        });
        let (tx, rx) = mpsc::sync_channel::<Request>(1024);
        let writer_shared = shared.clone();
        let writer = std::thread::Builder::new()
            .name("vigil-spool-writer".into())
            .spawn(move || writer_loop(&writer_shared, &rx))
            .map_err(|e| io_err(&dir, e))?;
        Ok(Spool {
            shared,
            tx: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Appends records durably. Returns once they are fsynced, with their sequence numbers.
    /// Fails at once with [`SpoolError::Full`] when the records not yet checkpointed would pass the
    /// byte limit (retry later), and with [`SpoolError::BatchTooLarge`] when the batch alone is
    /// larger than the limit (retrying cannot help).
    pub fn append(&self, payloads: Vec<Vec<u8>>) -> Result<Appended, SpoolError> {
        if payloads.is_empty() {
            let c = self.committed();
            return Ok(Appended { first: c + 1, last: c });
        }
        if let Some(big) = payloads.iter().find(|p| p.len() > MAX_RECORD) {
            return Err(SpoolError::TooLarge(big.len(), MAX_RECORD));
        }
        let bytes: u64 = payloads.iter().map(|p| (p.len() + HEADER) as u64).sum();
        let limit = self.shared.config.max_bytes;
        if bytes > limit {
            return Err(SpoolError::BatchTooLarge { bytes, limit });
        }
        {
            let mut st = self.shared.lock();
            if let Some(why) = &st.failed {
                return Err(SpoolError::Io {
                    path: self.shared.config.dir.display().to_string(),
                    source: std::io::Error::other(why.clone()),
                });
            }
            let held = st.unprocessed.bytes + st.pending_bytes;
            if held + bytes > limit {
                return Err(SpoolError::Full { held, limit });
            }
            st.pending_bytes += bytes;
        }
        let (reply, answer) = mpsc::sync_channel(1);
        let sent = self
            .tx
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|tx| tx.send(Request { payloads, bytes, reply }).is_ok())
            .unwrap_or(false);
        if !sent {
            self.shared.lock().pending_bytes -= bytes;
            return Err(SpoolError::Closed);
        }
        answer.recv().unwrap_or(Err(SpoolError::Closed))
    }

    /// A random number made with the spool (kept in its directory): sequence numbers are unique
    /// within one epoch. A spool directory lost and made anew gets a new epoch.
    pub fn epoch(&self) -> u64 {
        self.shared.epoch
    }

    /// Makes the next sequence number at least `seq + 1`, for a spool made anew (lost, or deleted
    /// by hand) while what it fed still holds records numbered up to `seq`: reusing those numbers
    /// would make the consumers skip new records as replays. Only a spool holding no unprocessed
    /// record is moved (its processed segments are deleted); call it before any append. Returns
    /// whether it moved.
    pub fn continue_after(&self, seq: u64) -> Result<bool, SpoolError> {
        let dir = self.shared.config.dir.clone();
        let doomed: Vec<PathBuf> = {
            let mut st = self.shared.lock();
            if st.committed >= seq || st.checkpoint < st.committed || st.pending_bytes > 0 {
                return Ok(false);
            }
            segment::write_atomic(&dir, CHECKPOINT, format!("{seq}\n").as_bytes())?;
            st.checkpoint = seq;
            st.committed = seq;
            st.held_bytes = 0;
            std::mem::take(&mut st.segments).into_iter().map(|s| s.path).collect()
        };
        for path in &doomed {
            std::fs::remove_file(path).map_err(|e| io_err(path, e))?;
        }
        segment::sync_dir(&dir)?;
        Ok(true)
    }

    /// The highest committed (durable) sequence number; 0 when nothing was ever written.
    pub fn committed(&self) -> u64 {
        self.shared.lock().committed
    }

    /// The consumers' checkpoint: records up to it are processed and may be deleted.
    pub fn checkpointed(&self) -> u64 {
        self.shared.lock().checkpoint
    }

    /// Bytes of the segment files on disk (checkpointed records go a whole segment at a time).
    pub fn held_bytes(&self) -> u64 {
        self.shared.lock().held_bytes
    }

    /// Bytes of records not yet checkpointed: what backpressure counts against `max_bytes`.
    pub fn unprocessed_bytes(&self) -> u64 {
        self.shared.lock().unprocessed.bytes
    }

    /// Calls `visit` for every committed record with `seq >= from`, in order, up to `max` records.
    /// Returns the number visited.
    pub fn read_from(&self, from: u64, max: usize, visit: &mut dyn FnMut(Record)) -> Result<usize, SpoolError> {
        let (ranges, committed): (Vec<(u64, PathBuf, u64)>, u64) = {
            let st = self.shared.lock();
            (
                st.segments.iter().map(|s| (s.first, s.path.clone(), s.last)).collect(),
                st.committed,
            )
        };
        let mut n = 0;
        for (first, path, last) in ranges {
            if last < from || n >= max {
                continue;
            }
            segment::scan(&path, first, from, &mut |rec| {
                if n < max && rec.seq <= committed {
                    n += 1;
                    visit(rec);
                }
            })?;
        }
        Ok(n)
    }

    /// The byte limit past which appends get backpressure.
    pub fn max_bytes(&self) -> u64 {
        self.shared.config.max_bytes
    }

    /// A positioned reader starting at `from` (use `checkpointed() + 1` to resume a consumer).
    pub fn reader(&self, from: u64) -> SpoolReader {
        SpoolReader::new(from)
    }

    /// (first, path, last) of each segment, and the committed sequence number.
    pub(crate) fn segment_ranges(&self) -> (Vec<(u64, PathBuf, u64)>, u64) {
        let st = self.shared.lock();
        (
            st.segments.iter().map(|s| (s.first, s.path.clone(), s.last)).collect(),
            st.committed,
        )
    }

    /// Blocks until record `seq` is committed or `timeout` passes.
    pub fn wait_for_commit(&self, seq: u64, timeout: Duration) {
        let st = self.shared.lock();
        if st.committed >= seq {
            return;
        }
        let _unused = self
            .shared
            .committed_cv
            .wait_timeout_while(st, timeout, |st| st.committed < seq)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }

    /// Records that consumers have processed everything up to `seq`; deletes segments wholly
    /// below it and releases their bytes. Durable: survives a restart.
    pub fn checkpoint(&self, seq: u64) -> Result<(), SpoolError> {
        let dir = self.shared.config.dir.clone();
        let doomed: Vec<PathBuf> = {
            let mut st = self.shared.lock();
            let seq = seq.min(st.committed);
            if seq <= st.checkpoint {
                return Ok(());
            }
            segment::write_atomic(&dir, CHECKPOINT, format!("{seq}\n").as_bytes())?;
            st.checkpoint = seq;
            st.unprocessed.release_through(seq);
            let active = st.segments.len().saturating_sub(1);
            let mut doomed = Vec::new();
            let mut keep = Vec::new();
            for (i, s) in std::mem::take(&mut st.segments).into_iter().enumerate() {
                if i < active && s.last <= seq {
                    st.held_bytes -= s.bytes;
                    doomed.push(s.path);
                } else {
                    keep.push(s);
                }
            }
            st.segments = keep;
            doomed
        };
        for path in &doomed {
            std::fs::remove_file(path).map_err(|e| io_err(path, e))?;
        }
        if !doomed.is_empty() {
            segment::sync_dir(&dir)?;
        }
        Ok(())
    }

    /// Stops the writer after the appends already queued, so they are durable before return.
    pub fn close(&self) {
        drop(self.tx.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take());
        if let Some(h) = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            let _ = h.join();
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        self.close();
    }
}

const EPOCH: &str = "epoch";

/// The spool's epoch, made (durably) the first time the directory is opened.
fn read_or_make_epoch(dir: &Path) -> Result<u64, SpoolError> {
    let path = dir.join(EPOCH);
    match std::fs::read_to_string(&path) {
        Ok(text) => u64::from_str_radix(text.trim(), 16)
            .map_err(|_| SpoolError::Corrupt(dir.display().to_string(), format!("{} is not an epoch", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).map_err(|e| io_err(&path, std::io::Error::other(e.to_string())))?;
            let epoch = u64::from_le_bytes(bytes);
            segment::write_atomic(dir, EPOCH, format!("{epoch:016x}\n").as_bytes())?;
            Ok(epoch)
        }
        Err(e) => Err(io_err(&path, e)),
    }
}

fn read_checkpoint(dir: &Path) -> Result<u64, SpoolError> {
    let path = dir.join(CHECKPOINT);
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| SpoolError::Corrupt(dir.display().to_string(), format!("{} is not a number", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(io_err(&path, e)),
    }
}

/// Group commit: take one request, then everything queued behind it, write, fsync once, reply.
fn writer_loop(shared: &Shared, rx: &Receiver<Request>) {
    let mut active: Option<(File, u64)> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        let mut batch_bytes = batch[0].bytes;
        while batch_bytes < (8 << 20) {
            match rx.try_recv() {
                Ok(r) => {
                    batch_bytes += r.bytes;
                    batch.push(r);
                }
                Err(_) => break,
            }
        }
        let result = commit(shared, &mut active, &batch);
        match result {
            Ok(ranges) => {
                for (req, range) in batch.into_iter().zip(ranges) {
                    let _ = req.reply.send(Ok(range));
                }
            }
            Err(e) => {
                let why = e.to_string();
                tracing::error!(error = %why, "spool write failed; refusing further appends");
                {
                    let mut st = shared.lock();
                    st.failed = Some(why.clone());
                    st.pending_bytes = st.pending_bytes.saturating_sub(batch_bytes);
                }
                active = None;
                for req in batch {
                    let _ = req.reply.send(Err(SpoolError::Io {
                        path: shared.config.dir.display().to_string(),
                        source: std::io::Error::other(why.clone()),
                    }));
                }
            }
        }
    }
}

fn commit(shared: &Shared, active: &mut Option<(File, u64)>, batch: &[Request]) -> Result<Vec<Appended>, SpoolError> {
    let dir = &shared.config.dir;
    let (mut seq, roll_needed, segs_empty) = {
        let st = shared.lock();
        let last_bytes = st.segments.last().map(|s| s.bytes).unwrap_or(0);
        (
            st.committed + 1,
            last_bytes >= shared.config.segment_bytes,
            st.segments.is_empty(),
        )
    };
    if active.is_none() || roll_needed || segs_empty {
        let (path, new) = {
            let st = shared.lock();
            match st.segments.last() {
                Some(s) if !roll_needed => (s.path.clone(), false),
                _ => (segment::segment_path(dir, seq), true),
            }
        };
        let (file, len) = segment::open_append(&path)?;
        if new {
            segment::sync_dir(dir)?;
            shared.lock().segments.push(Segment {
                first: seq,
                path,
                last: seq - 1,
                bytes: len,
            });
        }
        *active = Some((file, len));
    }
    let mut buf = Vec::new();
    let mut ranges = Vec::with_capacity(batch.len());
    for req in batch {
        let first = seq;
        for p in &req.payloads {
            segment::encode(&mut buf, seq, p);
            seq += 1;
        }
        ranges.push(Appended { first, last: seq - 1 });
    }
    let Some((file, len)) = active.as_mut() else {
        return Err(SpoolError::Closed);
    };
    let path = shared
        .lock()
        .segments
        .last()
        .map(|s| s.path.clone())
        .unwrap_or_default();
    file.write_all(&buf).map_err(|e| io_err(&path, e))?;
    file.sync_data().map_err(|e| io_err(&path, e))?;
    *len += buf.len() as u64;
    let mut st = shared.lock();
    st.committed = seq - 1;
    st.held_bytes += buf.len() as u64;
    st.unprocessed.add(seq - 1, buf.len() as u64);
    let batch_bytes: u64 = batch.iter().map(|r| r.bytes).sum();
    st.pending_bytes = st.pending_bytes.saturating_sub(batch_bytes);
    if let Some(s) = st.segments.last_mut() {
        s.last = seq - 1;
        s.bytes = *len;
    }
    drop(st);
    shared.committed_cv.notify_all();
    Ok(ranges)
}

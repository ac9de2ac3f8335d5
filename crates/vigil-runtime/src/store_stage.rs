//! Stage 2 of the pipeline: adds detected events' documents to the event store in spool order,
//! commits every commit interval, and checkpoints the spool behind the commit.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::Relaxed},
        mpsc::{Receiver, RecvTimeoutError},
    },
    time::{Duration, Instant},
};

use vigil_spool::Spool;
use vigil_store::{EventStore, PreparedEvent};

use crate::{metrics::Metrics, pipeline::PipelineError};

/// Uncommitted events that force a commit before the interval is up (bounds the writers' memory).
const MAX_UNCOMMITTED: usize = 200_000;

/// One detected batch, in spool order: each event's document (`None`: too old to keep) and the
/// last sequence number the batch covers (dead letters included).
pub(crate) struct StoreBatch {
    pub docs: Vec<(u64, Option<PreparedEvent>)>,
    pub last_seq: u64,
}

pub(crate) struct StoreStage {
    pub store: Arc<EventStore>,
    pub spool: Arc<Spool>,
    pub metrics: Arc<Metrics>,
    pub commit_interval: Duration,
    /// The detect stage has saved the correlation state through this seq.
    pub correlation_saved: Arc<AtomicU64>,
    /// The checkpoint stays below this seq (keyed ingest appends in flight, [`crate::streams`]).
    pub checkpoint_hold: Arc<AtomicU64>,
}

impl StoreStage {
    /// Runs until the detect stage hangs up, then commits what it was given and returns.
    pub fn run(self, batches: Receiver<StoreBatch>, start: u64) -> Result<(), PipelineError> {
        let mut last_seq = start - 1;
        let mut committed = start - 1;
        let mut uncommitted = 0;
        let mut last_commit = Instant::now();
        loop {
            let wait = self
                .commit_interval
                .saturating_sub(last_commit.elapsed())
                .max(Duration::from_millis(5));
            let hung_up = match batches.recv_timeout(wait) {
                Ok(batch) => {
                    for (seq, doc) in batch.docs {
                        let m = &self.metrics;
                        let counter = match doc {
                            Some(doc) => match self.store.add_prepared(seq, doc)? {
                                true => &m.events_indexed,
                                false => &m.events_replayed,
                            },
                            None => &m.events_expired,
                        };
                        counter.fetch_add(1, Relaxed);
                        uncommitted += 1;
                    }
                    last_seq = batch.last_seq;
                    false
                }
                Err(RecvTimeoutError::Timeout) => false,
                Err(RecvTimeoutError::Disconnected) => true,
            };
            let due = last_commit.elapsed() >= self.commit_interval || uncommitted >= MAX_UNCOMMITTED;
            if last_seq > committed && (due || hung_up) {
                let started = Instant::now();
                self.store.commit(last_seq)?;
                self.metrics.commit_seconds.observe(started.elapsed());
                self.metrics.store_commits.fetch_add(1, Relaxed);
                committed = last_seq;
                uncommitted = 0;
                last_commit = Instant::now();
            }
            // Replay after a crash starts behind both the store commit and the correlation state.
            let hold = self.checkpoint_hold.load(std::sync::atomic::Ordering::Acquire);
            let through = committed
                .min(self.correlation_saved.load(Relaxed))
                .min(hold.saturating_sub(1));
            if through > self.spool.checkpointed() {
                self.spool.checkpoint(through)?;
            }
            if hung_up {
                return Ok(());
            }
        }
    }
}

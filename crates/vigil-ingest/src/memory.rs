//! [`MemorySink`]: an in-memory [`RecordSink`] for tests and examples (not durable).

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::{BoxFuture, DeadLetter, Record, RecordSink, SinkError};

/// Collects records and dead letters in memory. Can be switched to answer [`SinkError::Full`] or
/// [`SinkError::Unavailable`] to exercise backpressure. Not durable: for tests only.
#[derive(Debug, Default)]
pub struct MemorySink {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    records: Vec<Record>,
    dead_letters: Vec<DeadLetter>,
    full: Option<Duration>,
    unavailable: Option<String>,
    max_batch: Option<usize>,
    refusals: u64,
    batches: u64,
}

impl MemorySink {
    /// An empty sink that accepts everything.
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every record accepted so far, in order.
    pub fn records(&self) -> Vec<Record> {
        self.state().records.clone()
    }

    /// How many records were accepted so far.
    pub fn record_count(&self) -> usize {
        self.state().records.len()
    }

    /// Every dead letter so far, in order.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.state().dead_letters.clone()
    }

    /// Batches accepted so far.
    pub fn batches(&self) -> u64 {
        self.state().batches
    }

    /// Submissions refused (Full, TooLarge or Unavailable) so far.
    pub fn refusals(&self) -> u64 {
        self.state().refusals
    }

    /// `Some(d)`: refuse every batch with `Full { retry_after: d }`; `None`: accept again.
    pub fn set_full(&self, retry_after: Option<Duration>) {
        self.state().full = retry_after;
    }

    /// `Some(reason)`: refuse every batch with `Unavailable`; `None`: accept again.
    pub fn set_unavailable(&self, reason: Option<String>) {
        self.state().unavailable = reason;
    }

    /// `Some(n)`: refuse batches of more than `n` records with `TooLarge` (as a spool smaller
    /// than the batch does); `None`: no limit.
    pub fn set_max_batch(&self, max: Option<usize>) {
        self.state().max_batch = max;
    }

    /// Waits until at least `n` records were accepted or `timeout` passed; returns the records.
    pub async fn wait_for_records(&self, n: usize, timeout: Duration) -> Vec<Record> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.record_count() >= n || tokio::time::Instant::now() >= deadline {
                return self.records();
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits until at least `n` dead letters arrived or `timeout` passed; returns them.
    pub async fn wait_for_dead_letters(&self, n: usize, timeout: Duration) -> Vec<DeadLetter> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let letters = self.dead_letters();
            if letters.len() >= n || tokio::time::Instant::now() >= deadline {
                return letters;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl RecordSink for MemorySink {
    fn submit(&self, batch: Vec<Record>) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            let mut state = self.state();
            if let Some(reason) = &state.unavailable {
                let err = SinkError::Unavailable(reason.clone());
                state.refusals += 1;
                return Err(err);
            }
            if let Some(max) = state.max_batch
                && batch.len() > max
            {
                state.refusals += 1;
                return Err(SinkError::TooLarge(format!(
                    "{} records, at most {max}: send smaller requests",
                    batch.len()
                )));
            }
            if let Some(retry_after) = state.full {
                state.refusals += 1;
                return Err(SinkError::Full { retry_after });
            }
            state.batches += 1;
            state.records.extend(batch);
            Ok(())
        })
    }

    fn dead_letter(&self, letter: DeadLetter) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.state().dead_letters.push(letter);
        })
    }
}

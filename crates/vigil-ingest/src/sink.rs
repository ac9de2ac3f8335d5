//! Where inputs put what they receive: [`RecordSink`], implemented by the server over its spool.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use crate::Record;

/// A boxed, sendable future (object-safe async trait methods).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Dead letters keep at most this many bytes of the offending data.
pub const MAX_DEAD_LETTER_BYTES: usize = 64 * 1024;

/// Why a sink did not accept a batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// Backpressure: the spool is full; try again after `retry_after`. Nothing of the batch was kept.
    #[error("sink is full, retry after {retry_after:?}")]
    Full {
        /// A hint for when to retry.
        retry_after: Duration,
    },
    /// The batch can never be accepted as it is (larger than the whole spool, or one record over
    /// the record limit): retrying cannot help, so HTTP answers 413 with this text, which says what
    /// to send instead. Nothing of the batch was kept.
    #[error("{0}")]
    TooLarge(String),
    /// The sink cannot accept records (shutting down, disk error). Nothing of the batch was kept.
    #[error("sink unavailable: {0}")]
    Unavailable(String),
}

/// Durable destination of records, shared by all inputs.
pub trait RecordSink: Send + Sync + 'static {
    /// Resolves only when the whole batch is durable (fsynced): then, and only then, the input
    /// acknowledges it. On error nothing of the batch was kept.
    fn submit(&self, batch: Vec<Record>) -> BoxFuture<'_, Result<(), SinkError>>;

    /// Stores data that cannot be accepted (bad frame, bad JSON, too large) with its reason.
    fn dead_letter(&self, letter: DeadLetter) -> BoxFuture<'_, ()>;
}

/// Data an input could not turn into a record, kept with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Name of the input that received it.
    pub input: Arc<str>,
    /// The tenant of its sender (its credential's or its listener's).
    pub tenant: Arc<str>,
    /// When it was received.
    pub received: Timestamp,
    /// The sender, when known.
    pub peer: Option<SocketAddr>,
    /// Stable reason code, one of [`crate::codes`].
    pub code: &'static str,
    /// Human-readable detail.
    pub message: String,
    /// The offending bytes, truncated to [`MAX_DEAD_LETTER_BYTES`].
    pub data: Vec<u8>,
}

impl DeadLetter {
    /// A dead letter received now, in the default tenant (see [`DeadLetter::in_tenant`]); `data`
    /// is truncated to [`MAX_DEAD_LETTER_BYTES`].
    pub fn new(
        input: Arc<str>,
        peer: Option<SocketAddr>,
        code: &'static str,
        message: impl Into<String>,
        data: &[u8],
    ) -> DeadLetter {
        DeadLetter {
            input,
            tenant: crate::record::default_tenant(),
            received: Timestamp::now(),
            peer,
            code,
            message: message.into(),
            data: data[..data.len().min(MAX_DEAD_LETTER_BYTES)].to_vec(),
        }
    }

    /// The same letter in `tenant`.
    #[must_use]
    pub fn in_tenant(mut self, tenant: &Arc<str>) -> DeadLetter {
        self.tenant = Arc::clone(tenant);
        self
    }
}

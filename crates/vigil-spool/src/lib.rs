//! A durable write-ahead spool.
//!
//! Ingest appends records; [`Spool::append`] returns only after the records are written *and*
//! fsynced, so an acknowledged record survives `kill -9` and power loss. One writer thread does
//! group commit: every append waiting while an fsync runs joins the next batch, so the fsync cost
//! is shared. Consumers read committed records in order ([`Spool::read_from`]) and record their
//! progress with [`Spool::checkpoint`]; whole segments below the checkpoint are deleted.
//!
//! Backpressure: when records not yet checkpointed would take more than `max_bytes`, `append`
//! fails at once with [`SpoolError::Full`] (HTTP 429 / paused TCP reads upstream) — never a silent
//! drop. A batch larger than `max_bytes` on its own fails with [`SpoolError::BatchTooLarge`]
//! instead, since waiting cannot make room for it (HTTP 413 upstream).
//!
//! On disk: segment files `<first-seq>.seg`; each record is `len u32 | crc32 u32 | seq u64 |
//! payload` (little-endian, CRC over seq and payload). Opening scans the segments, keeps every
//! valid record and truncates a torn tail left by a crash mid-write.

mod reader;
mod segment;
mod writer;

pub use reader::SpoolReader;
pub use writer::{Appended, Spool, SpoolConfig};

/// Spool errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpoolError {
    #[error("spool I/O error at {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("spool is full: {held} bytes held, limit {limit}; retry after consumers catch up")]
    Full { held: u64, limit: u64 },
    #[error("record of {0} bytes exceeds the {1}-byte record limit")]
    TooLarge(usize, usize),
    #[error("a batch of {bytes} bytes can never fit in a spool of {limit} bytes (spool max_size)")]
    BatchTooLarge { bytes: u64, limit: u64 },
    #[error("spool writer has stopped")]
    Closed,
    #[error("spool directory {0} is corrupt: {1}")]
    Corrupt(String, String),
}

/// A committed record read back from the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Sequence number: dense, strictly increasing from 1.
    pub seq: u64,
    pub payload: Vec<u8>,
}

pub(crate) fn io_err(path: &std::path::Path, source: std::io::Error) -> SpoolError {
    SpoolError::Io {
        path: path.display().to_string(),
        source,
    }
}

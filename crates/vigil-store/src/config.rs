//! Store configuration and duration strings.

use std::path::PathBuf;

use jiff::SignedDuration;

use crate::StoreError;

/// Smallest memory budget tantivy accepts for one index writer (`MEMORY_BUDGET_NUM_BYTES_MIN`, 15 MB).
pub const MIN_WRITER_HEAP_BYTES: usize = 15_000_000;

/// How the store is laid out and how much it keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// Root directory; partitions live in `dir/<start>/`, e.g. `dir/20261123T000000Z/`.
    pub dir: PathBuf,
    /// Length of one partition (default one day). Partitions are aligned to multiples of this length
    /// since the Unix epoch, so whole days or hours start at UTC midnight or on the hour. Must be
    /// whole seconds, at least one second. Changing it affects new partitions only: each partition
    /// records its own span.
    pub partition: SignedDuration,
    /// Drop partitions that ended longer ago than this (see [`EventStore::retain`](crate::EventStore::retain)).
    /// Events older than this are not stored at all.
    pub max_age: Option<SignedDuration>,
    /// Drop the oldest partitions until the store takes no more than this many bytes on disk.
    pub max_bytes: Option<u64>,
    /// Memory for indexing, shared by the open writers (default 64 MiB). Each writer gets
    /// `writer_heap_bytes / max_open_writers` but never less than [`MIN_WRITER_HEAP_BYTES`].
    pub writer_heap_bytes: usize,
    /// Most partitions with an open writer at once (default 2). Writing to another partition first
    /// commits and closes the least recently used writer, so memory stays flat however many
    /// partitions a replay touches.
    pub max_open_writers: usize,
}

impl StoreConfig {
    /// The defaults, rooted at `dir`: daily partitions, no retention limits, 64 MiB for writers.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        StoreConfig {
            dir: dir.into(),
            partition: SignedDuration::from_hours(24),
            max_age: None,
            max_bytes: None,
            writer_heap_bytes: 64 * 1024 * 1024,
            max_open_writers: 2,
        }
    }

    /// Checks the settings; the first problem is the error. [`EventStore::open`](crate::EventStore::open)
    /// runs this, and `vigil config check` runs [`problems`](Self::problems), so a configuration
    /// that passes the check also opens.
    pub fn validate(&self) -> Result<(), StoreError> {
        match self.problems().into_iter().next() {
            Some((_, message)) => Err(StoreError::Config(message)),
            None => Ok(()),
        }
    }

    /// Every problem of the settings, each with the field it is about (`partition`, `max_age`,
    /// `max_open_writers`).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let p = self.partition;
        if p < SignedDuration::from_secs(1) || p.subsec_nanos() != 0 || p > SignedDuration::from_hours(24 * 366) {
            out.push((
                "partition",
                format!("partition length must be whole seconds between 1s and 366 days, not {p:#}"),
            ));
        }
        if self.max_age.is_some_and(|a| a <= SignedDuration::ZERO) {
            out.push(("max_age", "max_age must be positive".into()));
        }
        if self.max_open_writers == 0 {
            out.push(("max_open_writers", "max_open_writers must be at least 1".into()));
        }
        out
    }

    /// Memory budget of one writer.
    pub(crate) fn heap_per_writer(&self) -> usize {
        (self.writer_heap_bytes / self.max_open_writers.max(1)).clamp(MIN_WRITER_HEAP_BYTES, u32::MAX as usize / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let mut c = StoreConfig::new("/tmp/x");
        assert!(c.validate().is_ok());
        c.partition = SignedDuration::from_millis(1500);
        assert!(c.validate().is_err());
        c.partition = SignedDuration::from_hours(1);
        c.max_open_writers = 0;
        assert!(c.validate().is_err());
        c.max_open_writers = 2;
        assert_eq!(c.heap_per_writer(), 32 * 1024 * 1024);
        c.writer_heap_bytes = 1;
        assert_eq!(c.heap_per_writer(), MIN_WRITER_HEAP_BYTES);
    }
}

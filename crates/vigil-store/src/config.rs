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

    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        let p = self.partition;
        if p < SignedDuration::from_secs(1) || p.subsec_nanos() != 0 || p > SignedDuration::from_hours(24 * 366) {
            return Err(StoreError::Config(format!(
                "partition length must be whole seconds between 1s and 366 days, not {p:#}"
            )));
        }
        if self.max_age.is_some_and(|a| a <= SignedDuration::ZERO) {
            return Err(StoreError::Config("max_age must be positive".into()));
        }
        if self.max_open_writers == 0 {
            return Err(StoreError::Config("max_open_writers must be at least 1".into()));
        }
        Ok(())
    }

    /// Memory budget of one writer.
    pub(crate) fn heap_per_writer(&self) -> usize {
        (self.writer_heap_bytes / self.max_open_writers.max(1)).clamp(MIN_WRITER_HEAP_BYTES, u32::MAX as usize / 2)
    }
}

/// Reads a duration: `500ms`, `30s`, `5m`, `1h`, `1d`, `1w` (a number and one unit; days and weeks
/// are fixed 24 h and 7 × 24 h), or anything jiff reads (`1h30m`, `PT1H`).
pub fn parse_duration(text: &str) -> Option<SignedDuration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if !num.is_empty()
        && let Ok(n) = num.parse::<i64>()
    {
        let secs = |mult: i64| n.checked_mul(mult).map(SignedDuration::from_secs);
        let d = match unit.trim() {
            "ms" => Some(SignedDuration::from_millis(n)),
            "s" => secs(1),
            "m" => secs(60),
            "h" => secs(3600),
            "d" => secs(86_400),
            "w" => secs(7 * 86_400),
            _ => None,
        };
        if d.is_some() {
            return d;
        }
    }
    t.parse().ok()
}

/// The shortest `<n><unit>` form of a duration that [`parse_duration`] reads back.
pub fn format_duration(d: SignedDuration) -> String {
    let nanos = d.as_nanos();
    for (unit, size) in [
        ("w", 604_800_000_000_000i128),
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
    ] {
        if nanos != 0 && nanos % size == 0 {
            return format!("{}{unit}", nanos / size);
        }
    }
    format!("{d:#}")
}

/// Serde for a duration as a string (`"1h"`).
pub(crate) mod duration_serde {
    use jiff::SignedDuration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &SignedDuration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SignedDuration, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_duration(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("cannot read {text:?} as a duration (e.g. 1m, 1h, 1d)")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1m"), Some(SignedDuration::from_mins(1)));
        assert_eq!(parse_duration("1h"), Some(SignedDuration::from_hours(1)));
        assert_eq!(parse_duration("1d"), Some(SignedDuration::from_hours(24)));
        assert_eq!(parse_duration("2w"), Some(SignedDuration::from_hours(24 * 14)));
        assert_eq!(parse_duration("250ms"), Some(SignedDuration::from_millis(250)));
        assert_eq!(parse_duration("PT90M"), Some(SignedDuration::from_mins(90)));
        assert_eq!(parse_duration("1h30m"), Some(SignedDuration::from_mins(90)));
        assert_eq!(parse_duration("soon"), None);
        for d in ["1d", "90m", "15s", "250ms", "2w"] {
            let parsed = parse_duration(d).unwrap();
            assert_eq!(parse_duration(&format_duration(parsed)), Some(parsed), "{d}");
        }
        assert_eq!(format_duration(SignedDuration::from_mins(90)), "90m");
    }

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

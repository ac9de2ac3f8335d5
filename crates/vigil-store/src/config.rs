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

/// Reads a duration — Vigil's one duration grammar, used by the configuration, the API and the CLI
/// (ages such as `--since 30d`), and aggregation intervals. A number and a unit (`500ms`, `30s`,
/// `15m`, `12h`, `30d`, `2w`; spaces allowed), several of them (`1h30m`, `1d 12h`), spelled-out
/// units (`90 minutes`, `2 days`), or ISO 8601 (`PT90M`, `P1D`). Days are 24 hours and weeks 7
/// days. Months and years are refused: their length is not fixed. Negative durations are read
/// (callers that need a positive one say so).
pub fn parse_duration(text: &str) -> Result<SignedDuration, String> {
    let t = text.trim();
    let hint = "(e.g. 500ms, 30s, 15m, 12h, 30d, 2w, 1h30m)";
    let span: jiff::Span = t.parse().map_err(|_| format!("`{text}` is not a duration {hint}"))?;
    if span.get_years() != 0 || span.get_months() != 0 {
        return Err(format!(
            "`{text}`: months and years have no fixed length; use days or weeks (e.g. 30d, 52w)"
        ));
    }
    span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| format!("`{text}` is out of range"))
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
        super::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |t: &str| parse_duration(t).ok();
        assert_eq!(d("1m"), Some(SignedDuration::from_mins(1)));
        assert_eq!(d("1h"), Some(SignedDuration::from_hours(1)));
        assert_eq!(d("1d"), Some(SignedDuration::from_hours(24)));
        assert_eq!(d("2w"), Some(SignedDuration::from_hours(24 * 14)));
        assert_eq!(d("250ms"), Some(SignedDuration::from_millis(250)));
        assert_eq!(d("PT90M"), Some(SignedDuration::from_mins(90)));
        assert_eq!(d("1h30m"), Some(SignedDuration::from_mins(90)));
        assert_eq!(d("soon"), None);
        for t in ["1d", "90m", "15s", "250ms", "2w"] {
            let parsed = parse_duration(t).unwrap();
            assert_eq!(d(&format_duration(parsed)), Some(parsed), "{t}");
        }
        assert_eq!(format_duration(SignedDuration::from_mins(90)), "90m");
    }

    #[test]
    fn one_grammar_reads_what_config_and_ages_read_before() {
        let secs = |t: &str| parse_duration(t).map(|d| d.as_secs());
        // The configuration's former grammar: a whole number and one unit, spaces allowed.
        for (t, want) in [
            ("500ms", 0),
            ("30s", 30),
            ("15m", 900),
            ("12h", 43_200),
            ("30d", 2_592_000),
        ] {
            assert_eq!(secs(t), Ok(want), "{t}");
        }
        assert_eq!(secs(" 2w "), Ok(1_209_600));
        assert_eq!(secs("30 d"), Ok(2_592_000));
        // The ages' (and aggregation intervals') former grammar: jiff spans and ISO 8601.
        assert_eq!(secs("1h30m"), Ok(5400));
        assert_eq!(secs("1d 12h"), Ok(129_600));
        assert_eq!(secs("90 minutes"), Ok(5400));
        assert_eq!(secs("P30D"), Ok(2_592_000));
        assert_eq!(secs("PT90M"), Ok(5400));
        // Ambiguous lengths and nonsense are refused with the reason.
        assert!(parse_duration("1y").unwrap_err().contains("no fixed length"));
        assert!(parse_duration("2mo").unwrap_err().contains("no fixed length"));
        for bad in ["", "ten days", "5x", "30", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
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

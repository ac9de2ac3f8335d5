//! Stable event identifiers.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A 128-bit event identifier, stable across runs and versions.
///
/// Derived from the event's source identity and raw bytes with XXH3-128 ([`EventId::derive`]; the
/// server numbers spooled records instead, [`EventId::spooled`]), so re-reading the same
/// record from the same place yields the same id (which makes replay idempotent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub u128);

impl EventId {
    /// The id of a record identified by its input, path, offset and content.
    pub fn derive(input: &str, path: Option<&str>, offset: u64, content: &[u8]) -> Self {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(input.as_bytes());
        h.update(&[0]);
        h.update(path.unwrap_or("").as_bytes());
        h.update(&[0]);
        h.update(&offset.to_le_bytes());
        h.update(content);
        EventId(h.digest128())
    }

    /// The id of the record a server spooled as `seq` from `input`, in a spool of `epoch`: a 64-bit
    /// hash of the epoch and the input, then the sequence number. Unique (a spool's sequence
    /// numbers are, and a spool made anew has a new epoch), the same on every replay, and nearly
    /// free to store: within a store partition the high half is constant per input and the low
    /// half counts up, which tantivy's fast-field codecs pack to almost nothing (a content hash
    /// costs 16 incompressible bytes per event).
    pub fn spooled(epoch: u64, input: &str, seq: u64) -> Self {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(&epoch.to_le_bytes());
        h.update(input.as_bytes());
        EventId(u128::from(h.digest()) << 64 | u128::from(seq))
    }

    /// Parses the 32-hex-digit form produced by `Display`.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 32 {
            return None;
        }
        u128::from_str_radix(text, 16).ok().map(EventId)
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl Serialize for EventId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        EventId::parse(&text).ok_or_else(|| serde::de::Error::custom("event id must be 32 hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_identity_same_id_and_round_trip() {
        let a = EventId::derive("file", Some("a.evtx"), 7, b"x");
        assert_eq!(a, EventId::derive("file", Some("a.evtx"), 7, b"x"));
        assert_ne!(a, EventId::derive("file", Some("a.evtx"), 8, b"x"));
        assert_ne!(a, EventId::derive("file", Some("b.evtx"), 7, b"x"));
        assert_eq!(EventId::parse(&a.to_string()), Some(a));
        assert_eq!(EventId::parse("zz"), None);
    }

    #[test]
    fn spooled_ids_are_the_input_hash_then_the_sequence_number() {
        let a = EventId::spooled(7, "syslog-tcp", 41);
        assert_eq!(a, EventId::spooled(7, "syslog-tcp", 41));
        assert_eq!(a.0 as u64, 41);
        assert_eq!(EventId::spooled(7, "syslog-tcp", 42).0 >> 64, a.0 >> 64);
        assert_ne!(EventId::spooled(7, "http", 41).0 >> 64, a.0 >> 64);
        assert_ne!(EventId::spooled(8, "syslog-tcp", 41), a, "a new spool, new ids");
        assert_eq!(EventId::parse(&a.to_string()), Some(a));
    }
}

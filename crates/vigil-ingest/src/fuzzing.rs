//! Entry points for the cargo-fuzz targets in `fuzz/` (and their stable-toolchain smoke test).
//! Not a stable API: each function checks the invariants a fuzzer should hunt for and panics
//! only when one is broken.

use crate::syslog::framing::{Frame, Framer};

/// Frames `data` as one TCP stream, delivered in two reads split at `split`, with a message
/// limit of `max_message` bytes. Checks that every message fits the limit and is non-empty, and
/// that delivering the stream whole yields the same messages.
pub fn syslog_stream(data: &[u8], split: usize, max_message: usize) {
    let whole = messages(frame(data, &[data.len()], max_message));
    let split = split.min(data.len());
    let parts = messages(frame(data, &[split, data.len()], max_message));
    assert_eq!(whole, parts, "framing depends on where the stream was split ({split})");
    for m in &whole {
        assert!(
            !m.is_empty() && m.len() <= max_message.max(1),
            "message of {} bytes",
            m.len()
        );
    }
}

fn messages(frames: Vec<Frame>) -> Vec<Vec<u8>> {
    frames
        .into_iter()
        .filter_map(|f| match f {
            Frame::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn frame(data: &[u8], cuts: &[usize], max_message: usize) -> Vec<Frame> {
    let mut framer = Framer::new(max_message);
    let mut out = Vec::new();
    let mut start = 0;
    for &end in cuts {
        if !framer.push(&data[start..end], &mut out) {
            return out;
        }
        start = end;
    }
    framer.finish(&mut out);
    out
}

/// Decodes `data` as a spool record; a record that decodes must encode back to the same bytes
/// and decode again to an equal record.
pub fn spool_record(data: &[u8]) {
    if let Ok(record) = crate::Record::decode(data) {
        let again = crate::Record::decode(&record.encode()).expect("an encoded record decodes");
        assert_eq!(record, again);
    }
}

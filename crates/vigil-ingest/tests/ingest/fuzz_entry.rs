//! The cargo-fuzz entry points (`vigil_ingest::fuzzing`, used by `fuzz/`) under proptest, so CI's
//! stable toolchain exercises the same invariants on generated streams.

use proptest::prelude::*;
use vigil_ingest::fuzzing::{spool_record, syslog_stream};
use vigil_ingest::{Record, RecordFormat};

/// Syslog-shaped streams: octet-counted or line-framed pieces, with stray bytes mixed in.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        "[ -~]{0,40}".prop_map(|m| format!("{} {m}", m.len()).into_bytes()),
        "[ -~]{0,40}\n".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..24),
        Just(b"\r\n\0".to_vec()),
        Just(b"99999999999 x".to_vec()),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

proptest! {
    #[test]
    fn syslog_framing_is_split_invariant_and_bounded(data in stream(), split in any::<usize>(), limit in prop::sample::select(vec![1usize, 7, 64, 1024])) {
        syslog_stream(&data, split % (data.len() + 1), limit);
    }

    #[test]
    fn spool_record_decoding_never_panics(data in prop::collection::vec(any::<u8>(), 0..200)) {
        spool_record(&data);
    }

    #[test]
    fn encoded_records_round_trip_through_the_fuzz_check(data in prop::collection::vec(any::<u8>(), 0..200), input in "[a-z-]{1,12}") {
        let mut record = Record::new(input.into(), RecordFormat::Json, data);
        record.attrs.push(("index".into(), "logs".into()));
        let bytes = record.encode();
        prop_assert_eq!(Record::decode(&bytes).expect("decodes"), record);
        spool_record(&bytes);
        // Any prefix is either a record or an error, never a panic.
        spool_record(&bytes[..bytes.len() / 2]);
    }
}

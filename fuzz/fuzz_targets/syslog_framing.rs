//! Fuzzes RFC 6587 syslog stream framing (TCP/TLS inputs): any byte stream, split anywhere, must
//! frame into the same bounded, non-empty messages, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, stream)) = data.split_first() else {
        return;
    };
    // The first byte picks the split point and a message limit from tiny to the default.
    let split = stream.len() * usize::from(knobs) / 255;
    let max_message = [1, 7, 64, 1024, 64 * 1024][usize::from(knobs % 5)];
    vigil_ingest::fuzzing::syslog_stream(stream, split, max_message);
});

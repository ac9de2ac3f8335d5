//! Fuzzes the spool record codec (`Record::decode`): arbitrary bytes give a record or an error;
//! a decoded record re-encodes and decodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| vigil_ingest::fuzzing::spool_record(data));

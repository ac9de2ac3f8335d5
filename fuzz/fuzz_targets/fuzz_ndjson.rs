//! Fuzzes the ndjson line parser: any bytes must give an event or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_parse::{Format, Origin, parse_line};

fuzz_target!(|data: &[u8]| {
    let origin = Origin::file("fuzz", "fuzz.log");
    let _ = parse_line(Format::Ndjson, data, &origin, 0);
});

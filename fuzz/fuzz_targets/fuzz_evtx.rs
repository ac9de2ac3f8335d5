//! Fuzzes the EVTX reader on in-memory files: any bytes must give events or errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_parse::Origin;

fuzz_target!(|data: &[u8]| {
    let origin = Origin::file("fuzz", "fuzz.evtx");
    let _ = vigil_parse::evtx::read_evtx_bytes(data.to_vec(), &origin, &mut |r| {
        let _ = r;
    });
});

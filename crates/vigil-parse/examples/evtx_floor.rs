//! The floor for `vigil hunt` on EVTX: read every record of every file with the `evtx` crate
//! (the same parser and settings Vigil uses), in parallel over files, and do nothing else.
//!
//! `cargo run --release -p vigil-parse --example evtx_floor -- DIR...` prints records and seconds.
//! With `--flatten` it also flattens each record to Sigma field names (Vigil's parse stage).

use std::{path::PathBuf, time::Instant};

use rayon::prelude::*;
use vigil_parse::{
    Origin,
    evtx::{EvtxOptions, read_evtx_file},
};

fn main() {
    let mut flatten = false;
    let mut roots = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--flatten" {
            flatten = true;
        } else {
            roots.push(PathBuf::from(arg));
        }
    }
    let files: Vec<PathBuf> = roots
        .iter()
        .flat_map(|r| walkdir::WalkDir::new(r).into_iter().filter_map(Result::ok))
        .filter(|e| e.path().extension().is_some_and(|x| x.eq_ignore_ascii_case("evtx")))
        .map(|e| e.into_path())
        .collect();
    let started = Instant::now();
    let records: u64 = files
        .par_iter()
        .map(|path| {
            if flatten {
                let origin = Origin::file("evtx", &path.to_string_lossy());
                let mut n = 0u64;
                let options = EvtxOptions {
                    threads: 1,
                    keep_raw: false,
                };
                let _ = read_evtx_file(path, &origin, options, &mut |r| n += u64::from(r.is_ok()));
                n
            } else {
                let Ok(parser) = evtx::EvtxParser::from_path(path) else {
                    return 0;
                };
                let mut parser = parser.with_configuration(evtx::ParserSettings::new().num_threads(1));
                parser.records_json_value().filter(Result::is_ok).count() as u64
            }
        })
        .sum();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{records} records from {} files in {secs:.3}s ({:.0} records/s)",
        files.len(),
        records as f64 / secs
    );
}

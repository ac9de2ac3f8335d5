//! `vigil ingest` of a folder of real EVTX files: every record is acknowledged and stored once.
//! Each file is sent request by request as it is read.

use std::process::Command;

use vigil_parse::Origin;
use vigil_parse::evtx::{EvtxOptions, read_evtx_file};

use crate::harness::{BASE_CONFIG, Env, VIGIL};

#[test]
fn vigil_ingest_streams_evtx_files_and_everything_is_stored() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/evtx/DeepBlueCLI");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("SKIP vigil_ingest_streams_evtx_files: {} is absent", dir.display());
        return;
    };
    let files: Vec<_> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
        .collect();
    // What `vigil ingest` sends: every record the reader turns into an event.
    let mut records = 0u64;
    for file in &files {
        let origin = Origin::file("evtx", &file.display().to_string());
        read_evtx_file(file, &origin, EvtxOptions::default(), &mut |r| {
            records += u64::from(r.is_ok())
        })
        .expect("readable EVTX");
    }
    assert!(
        records > 5_000,
        "the folder should need many requests: {records} records"
    );

    let env = Env::new(BASE_CONFIG);
    let server = env.start(false);
    let out = Command::new(VIGIL)
        .args(["ingest", "--quiet", "--server", &format!("http://{}", server.http)])
        .args(["--token", &env.ingest_token])
        .arg(&dir)
        .output()
        .expect("run vigil ingest");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "ingest: {records} records from {} files acknowledged",
            files.len()
        )),
        "{err}"
    );
    server.wait_count("", records);
    server.assert_healthy("EVTX import");
}

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

/// The count in `vigil ingest`'s summary line (`ingest: N records …`).
fn acknowledged(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("ingest: ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no summary line in {stderr}"))
}

/// Ctrl-C in the middle of an ingest: it reports what the server acknowledged, and run again
/// with `--resume` it sends the rest; every record is stored exactly once, also when the whole
/// file is sent once more without `--resume`.
#[test]
fn vigil_ingest_interrupted_then_resumed_stores_each_record_once() {
    const LINES: u64 = 200_000;
    let env = Env::new(BASE_CONFIG);
    let server = env.start(false);
    let m = crate::harness::marker("resume");
    let file = env.path("big.ndjson");
    let text: String = (0..LINES)
        .map(|n| format!("{{\"marker\":\"{m}\",\"n\":{n},\"pad\":\"abcdefghijklmnopqrstuvwxyz\"}}\n"))
        .collect();
    std::fs::write(&file, text).expect("write");
    let progress = env.path("progress.json");
    let ingest = |resume: bool| ingest_command(&server, &env.ingest_token, &file, resume.then_some(progress.as_path()));
    let child = ingest(true).spawn().expect("spawn vigil ingest");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !progress.exists() {
        assert!(std::time::Instant::now() < deadline, "no progress written");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let first = acknowledged(&err);
    assert!(first > 0 && first < LINES, "{err}");

    let out = ingest(true).output().expect("resume");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(acknowledged(&err), LINES - first, "{err}");
    server.wait_count(&format!("marker:{m}"), LINES);

    // The whole file again, without a progress file: every record is a duplicate.
    let out = ingest(false).output().expect("again");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(server.count(&format!("marker:{m}")), LINES);
    server.assert_healthy("resumed ingest");
}

/// `vigil ingest FILE` against `server`, with `--resume progress` when given.
fn ingest_command(
    server: &crate::harness::Server,
    token: &str,
    file: &std::path::Path,
    progress: Option<&std::path::Path>,
) -> Command {
    let mut cmd = Command::new(VIGIL);
    cmd.args(["ingest", "--quiet", "--server", &format!("http://{}", server.http)])
        .args(["--token", token])
        .arg(file)
        .stderr(std::process::Stdio::piped());
    if let Some(p) = progress {
        cmd.arg("--resume").arg(p);
    }
    cmd
}

/// The server is killed (`kill -9`) in the middle of an ingest, possibly between a spool append
/// and the stream's bookkeeping: the client reports what was acknowledged and fails; against
/// the restarted server, `--resume` completes it and every record is stored exactly once.
#[test]
fn vigil_ingest_resumed_after_the_server_was_killed_stores_each_record_once() {
    const LINES: u64 = 200_000;
    let env = Env::new(BASE_CONFIG);
    let mut server = env.start(false);
    let m = crate::harness::marker("killed");
    let file = env.path("big.ndjson");
    let text: String = (0..LINES)
        .map(|n| format!("{{\"marker\":\"{m}\",\"n\":{n}}}\n"))
        .collect();
    std::fs::write(&file, text).expect("write");
    let progress = env.path("progress.json");
    let child = ingest_command(&server, &env.ingest_token, &file, Some(&progress))
        .spawn()
        .expect("spawn vigil ingest");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !progress.exists() {
        assert!(std::time::Instant::now() < deadline, "no progress written");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    server.kill9();
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("(stopped) acknowledged by the server"), "{err}");
    assert!(acknowledged(&err) > 0, "{err}");

    let server = env.start(false);
    let out = ingest_command(&server, &env.ingest_token, &file, Some(&progress))
        .output()
        .expect("resume");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    server.wait_count(&format!("marker:{m}"), LINES);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(server.count(&format!("marker:{m}")), LINES);
}

/// A refusal (here: a token without the ingest scope) stops the ingest with the count so far.
#[test]
fn vigil_ingest_refused_reports_what_was_acknowledged() {
    let env = Env::new(BASE_CONFIG);
    let server = env.start(false);
    let file = env.path("one.ndjson");
    std::fs::write(&file, "{\"a\":1}\n").expect("write");
    let out = ingest_command(&server, &env.read_token, &file, None)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("ingest: 0 records from 0 of 1 files (stopped) acknowledged by the server"),
        "{err}"
    );
    assert!(err.contains("forbidden"), "{err}");
}

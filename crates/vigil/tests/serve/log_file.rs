//! `vigil serve` logging to a file: no colour codes (ANSI only on a terminal, never with NO_COLOR).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::harness::VIGIL;

#[test]
fn server_logs_written_to_a_file_carry_no_escape_sequences() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_path = dir.path().join("vigil.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(VIGIL)
        .args([
            "serve",
            "--http",
            "127.0.0.1:0",
            "--syslog-udp",
            "off",
            "--syslog-tcp",
            "off",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env_remove("NO_COLOR")
        .env_remove("VIGIL_LOG")
        .env_remove("VIGIL_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn vigil serve");
    let read = || String::from_utf8_lossy(&std::fs::read(&log_path).unwrap_or_default()).into_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !read().contains("vigil: serving") {
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("vigil serve did not start:\n{}", read());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // SIGTERM: the server logs that it is stopping (an INFO line) and exits.
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}:\n{}", read());
    let bytes = std::fs::read(&log_path).expect("log");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("INFO") && text.contains("stopping"),
        "tracing lines logged:\n{text}"
    );
    assert!(!bytes.contains(&0x1b), "escape sequences in the log file:\n{text:?}");
}

//! The audit trail of a real `vigil serve`: a SIGHUP rule reload is recorded as done by the
//! service, shutdown signs the chain's head, and `vigil audit verify` checks both against the
//! public key the server wrote beside its signing key.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use crate::harness::{Env, VIGIL};

fn vigil(args: &[&str]) -> std::process::Output {
    Command::new(VIGIL).args(args).output().expect("run vigil")
}

#[test]
fn a_sighup_reload_is_audited_and_the_signed_chain_verifies() {
    let env = Env::new("version = 1\n");
    let mut server = env.start(false);
    server.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.log().contains("rules reloaded") {
        assert!(Instant::now() < deadline, "no reload after SIGHUP:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(server.terminate().success(), "{}", server.log());
    let data = env.data_dir.to_str().expect("utf-8 path");
    let export = vigil(&["audit", "export", "--data-dir", data]);
    assert!(export.status.success(), "{export:?}");
    let text = String::from_utf8_lossy(&export.stdout);
    let reload = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["action"] == "rules.reload")
        .unwrap_or_else(|| panic!("no rules.reload entry in:\n{text}"));
    assert_eq!(reload["actor"], "service:sighup", "{reload}");
    assert_eq!(reload["outcome"], "success", "{reload}");
    let public = env.data_dir.join("audit-signing.key.pub");
    let verify = vigil(&[
        "audit",
        "verify",
        "--data-dir",
        data,
        "--public-key",
        public.to_str().expect("utf-8"),
    ]);
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(out.contains("signatures checked with key"), "{out}");
}

//! `vigil admin bootstrap` and `vigil user add|passwd|disable|list`: no default credentials, a
//! generated password alone on the last stdout line and usable, passwords from stdin, every change
//! audited without the password, and a second bootstrap refused.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use crate::{stderr, stdout, vigil};

fn ok(args: &[&str]) -> Output {
    let out = vigil(args);
    assert!(out.status.success(), "vigil {args:?}: {}", stderr(&out));
    out
}

fn with_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigil runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    child.wait_with_output().expect("output")
}

fn check_login(data: &std::path::Path, name: &str, password: &str) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let state = vigil_state::State::open(&data.join("state.db")).await.expect("state");
        state.check_login(name, password).await.expect("check").is_some()
    })
}

#[test]
fn bootstrap_once_then_users_are_added_changed_disabled_and_audited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let d = data.to_str().expect("utf-8");
    let out = ok(&["user", "list", "--data-dir", d]);
    assert!(stderr(&out).contains("vigil admin bootstrap"), "{}", stderr(&out));

    let out = ok(&["admin", "bootstrap", "--data-dir", d]);
    let password = stdout(&out).trim_end().to_owned();
    assert_eq!(stdout(&out).lines().count(), 1, "only the password on stdout");
    assert!(check_login(&data, "admin", &password), "the printed password logs in");
    let again = vigil(&["admin", "bootstrap", "--data-dir", d, "--name", "root"]);
    assert_eq!(again.status.code(), Some(2), "a second bootstrap: {}", stderr(&again));
    assert!(stderr(&again).contains("exists already"), "{}", stderr(&again));

    let added = with_stdin(
        &[
            "user",
            "add",
            "alice",
            "--role",
            "analyst",
            "--password-stdin",
            "--data-dir",
            d,
        ],
        "alice's long password\n",
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).is_empty(), "a chosen password is never printed");
    assert!(check_login(&data, "alice", "alice's long password"));
    let short = with_stdin(
        &[
            "user",
            "add",
            "bob",
            "--role",
            "viewer",
            "--password-stdin",
            "--data-dir",
            d,
        ],
        "short",
    );
    assert_eq!(short.status.code(), Some(2), "{}", stderr(&short));
    assert!(stderr(&short).contains("at least 12"), "{}", stderr(&short));

    let reset = ok(&["user", "passwd", "alice", "--data-dir", d]);
    let new_password = stdout(&reset).trim_end().to_owned();
    assert!(check_login(&data, "alice", &new_password));
    assert!(!check_login(&data, "alice", "alice's long password"));
    ok(&["user", "disable", "alice", "--data-dir", d]);
    assert!(
        !check_login(&data, "alice", &new_password),
        "a disabled user cannot log in"
    );

    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&ok(&["user", "list", "--json", "--data-dir", d]))).expect("JSON");
    let states: Vec<(&str, &str, bool, bool)> = listed
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap_or_default(),
                u["role"].as_str().unwrap_or_default(),
                u["disabled"].as_bool().unwrap_or_default(),
                u["must_change"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [("admin", "admin", false, true), ("alice", "analyst", true, true)]
    );

    let export = stdout(&ok(&["audit", "export", "--data-dir", d]));
    for action in ["admin.bootstrap", "user.create", "user.passwd", "user.disable"] {
        assert!(
            export.contains(&format!("\"action\":\"{action}\"")),
            "{action} missing:\n{export}"
        );
    }
    for secret in [password.as_str(), new_password.as_str(), "alice's long password"] {
        assert!(!export.contains(secret), "a password reached the audit trail");
    }
    ok(&["audit", "verify", "--data-dir", d]);
}

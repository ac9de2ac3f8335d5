//! `vigil audit`: token changes made with the CLI land in the audit trail, and `verify` exits 0 on an
//! intact data directory, 1 on a tampered one and 2 when it cannot verify.

use std::{
    path::Path,
    process::{Command, Output},
};

use sqlx::Connection as _;

use crate::{stderr, stdout};

/// Runs `vigil` as a user named `auditor`.
fn vigil_as_auditor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("USER", "auditor")
        .output()
        .expect("vigil runs")
}

fn ok(args: &[&str]) -> Output {
    let out = vigil_as_auditor(args);
    assert!(out.status.success(), "vigil {args:?}: {}", stderr(&out));
    out
}

/// Edits the state database behind Vigil's back, dropping the append-only trigger first.
fn tamper(data_dir: &Path, sql: &str) {
    let url = format!("sqlite://{}", data_dir.join("state.db").display());
    let sql = format!("DROP TRIGGER audit_log_no_update; {sql}");
    tokio::runtime::Runtime::new().expect("runtime").block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect("tamper");
    });
}

#[test]
fn token_changes_are_audited_and_verify_exit_codes_follow_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let d = data.to_str().expect("utf-8 path");
    let created = ok(&[
        "token",
        "create",
        "--data-dir",
        d,
        "--scope",
        "read",
        "--name",
        "analyst",
    ]);
    let secret = stdout(&created).trim().to_owned();
    let id = secret.split('_').nth(1).expect("token id").to_owned();
    ok(&["token", "revoke", "--data-dir", d, &id]);

    let intact = vigil_as_auditor(&["audit", "verify", "--data-dir", d]);
    assert_eq!(intact.status.code(), Some(0), "{}", stderr(&intact));
    let text = stdout(&intact);
    assert!(
        text.contains("checked 2 entries") && text.contains("chain intact"),
        "{text}"
    );

    // The export holds both changes, by this user, naming the token by id and never its secret.
    let export = stdout(&ok(&["audit", "export", "--data-dir", d]));
    assert!(!export.contains(&secret));
    let entries: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    let summary: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64(),
                e["actor"].as_str(),
                e["action"].as_str(),
                e["target"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Some(1), Some("cli:auditor"), Some("token.create"), Some(id.as_str())),
            (Some(2), Some("cli:auditor"), Some("token.revoke"), Some(id.as_str())),
        ]
    );
    assert_eq!(entries[0]["detail"]["scope"], "read");

    // Signed checkpoints, exported, verify with the public key.
    let key = dir.path().join("keys/audit.key");
    let public = dir.path().join("audit.pub");
    let cps = dir.path().join("checkpoints.ndjson");
    let (key, public, cps) = (key.to_str().unwrap(), public.to_str().unwrap(), cps.to_str().unwrap());
    ok(&[
        "audit",
        "sign",
        "--data-dir",
        d,
        "--key",
        key,
        "--public-key-out",
        public,
    ]);
    ok(&["audit", "checkpoints", "--data-dir", d, "-o", cps]);
    let checked = vigil_as_auditor(&[
        "audit",
        "verify",
        "--data-dir",
        d,
        "--checkpoints",
        cps,
        "--public-key",
        public,
    ]);
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
    assert!(
        stdout(&checked).contains("signatures checked with key"),
        "{}",
        stdout(&checked)
    );

    tamper(&data, "UPDATE audit_log SET actor = 'cli:someone-else' WHERE seq = 1;");
    let broken = vigil_as_auditor(&[
        "audit",
        "verify",
        "--data-dir",
        d,
        "--checkpoints",
        cps,
        "--public-key",
        public,
    ]);
    assert_eq!(broken.status.code(), Some(1), "{}", stderr(&broken));
    let text = stdout(&broken);
    assert!(
        text.contains("chain broken at entry 1") && text.contains("modified"),
        "{text}"
    );
    let json = vigil_as_auditor(&["audit", "verify", "--data-dir", d, "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(
        (v["intact"].as_bool(), v["problem"]["seq"].as_i64()),
        (Some(false), Some(1))
    );
    assert_eq!(v["problem"]["kind"], "modified");
}

#[test]
fn verify_of_a_missing_data_dir_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("typo");
    let out = vigil_as_auditor(&["audit", "verify", "--data-dir", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no state database"), "{}", stderr(&out));
    assert!(!missing.exists());
}

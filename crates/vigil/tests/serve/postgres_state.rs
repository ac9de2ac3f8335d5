//! `vigil serve` with `[state] url` on a real PostgreSQL 15 (the one scripts/test starts and names
//! in `VIGIL_TEST_POSTGRES_URL`): keys, alerts and the audit trail live in the database, nothing in
//! the data directory's `state.db`, and `vigil audit verify --state-url` checks the chain the
//! server signed at shutdown. The database itself refuses changes to the audit trail.

use std::process::Command;

use crate::harness::{BASE_CONFIG, Env, VIGIL, marker};

/// Runs SQL with `psql` on `url`; (success, stdout + stderr).
fn psql(url: &str, sql: &str) -> (bool, String) {
    let out = Command::new("psql")
        .args([url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql (Debian package postgresql-client-15) runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text.trim().to_owned())
}

/// A new empty database on the test server; its URL.
pub(crate) fn new_database() -> String {
    let server = std::env::var("VIGIL_TEST_POSTGRES_URL")
        .expect("VIGIL_TEST_POSTGRES_URL is not set: scripts/test starts PostgreSQL 15 on loopback and sets it");
    let name = marker("vigil_serve_");
    let (ok, out) = psql(&server, &format!("CREATE DATABASE {name}"));
    assert!(ok, "{out}");
    let (base, _) = server.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{name}")
}

#[test]
fn the_server_keeps_its_state_in_postgresql() {
    let url = new_database();
    let config = format!("{BASE_CONFIG}\n[state]\nurl = \"{url}\"\nmax_connections = 4\n");
    let env = Env::with_state(&config, Some(&url));
    let m = marker("pgstate");
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    let rule = format!(
        "title: PG Probe\nid: 6a0b8d1e-2f3c-4d5e-8f90-a1b2c3d4e5f6\nstatus: test\nlevel: high\n\
         logsource: {{category: test}}\ndetection:\n  sel: {{marker: {m}, hit: yes}}\n  condition: sel\n"
    );
    std::fs::write(rules.join("probe.yml"), rule).expect("rule");
    let mut server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);
    let body: String = (0..10)
        .map(|i| {
            let hit = if i % 5 == 0 { "yes" } else { "no" };
            format!("{{\"marker\":\"{m}\",\"category\":\"test\",\"hit\":\"{hit}\",\"n\":{i},\"host\":\"h{i}\"}}\n")
        })
        .collect();
    let r = server
        .ingest_post("/api/v1/ingest?format=ndjson", "application/x-ndjson", body.as_bytes())
        .expect("ingest");
    assert_eq!(r.status, 200, "{}", r.text());
    let alerts = server.wait_for_alerts(2);
    assert_eq!(alerts.len(), 2, "{alerts:?}");

    // What the API answered is what PostgreSQL holds; the data directory has no state file.
    let (ok, n) = psql(
        &url,
        "SELECT count(*) FROM alerts WHERE rule_id = '6a0b8d1e-2f3c-4d5e-8f90-a1b2c3d4e5f6'",
    );
    assert!(ok && n == "2", "{n}");
    let (ok, keys) = psql(&url, "SELECT count(*) FROM tokens");
    assert!(ok && keys == "2", "{keys}");
    assert!(
        !env.data_dir.join("state.db").exists(),
        "no SQLite state beside PostgreSQL"
    );
    // A failed authentication is audited there too.
    let denied = crate::http::request(
        server.http,
        "GET",
        "/api/v1/alerts",
        &[("Authorization", "Bearer vgl_0123456789abcdef_wrong")],
        b"",
    );
    assert_eq!(denied.expect("request").status, 401);

    assert!(server.terminate().success(), "{}", server.log());
    let (ok, failures) = psql(&url, "SELECT count(*) FROM audit_log WHERE action = 'auth.failure'");
    assert!(ok && failures != "0", "{failures}");
    let public = env.data_dir.join("audit-signing.key.pub");
    let verify = Command::new(VIGIL)
        .args(["audit", "verify", "--state-url", &url, "--public-key"])
        .arg(&public)
        .env_remove("VIGIL_STATE_URL")
        .output()
        .expect("run vigil audit verify");
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        out.contains("chain intact") && out.contains("signatures checked with key"),
        "{out}"
    );

    // Neither the application's role nor anyone else changes the trail without dropping triggers.
    for sql in [
        "UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "TRUNCATE audit_log",
    ] {
        let (ok, err) = psql(&url, sql);
        assert!(!ok && err.contains("audit_log is append-only"), "{sql}: {err}");
    }
}

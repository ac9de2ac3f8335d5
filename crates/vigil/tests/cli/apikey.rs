//! `vigil apikey create|list|revoke`: the secret alone on the last stdout line, keys listed with
//! their role, tenant and expiry (names escaped), revocation shown, and both changes in an intact
//! audit trail.

use std::process::{Command, Output};

use crate::{stderr, stdout};

fn vigil_as(user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("USER", user)
        .output()
        .expect("vigil runs")
}

fn ok(args: &[&str]) -> Output {
    let out = vigil_as("keeper", args);
    assert!(out.status.success(), "vigil {args:?}: {}", stderr(&out));
    out
}

/// `vigil apikey list --json` as (id, name, role, tenant, state, has expiry).
fn listed(d: &str) -> Vec<(String, String, String, String, String, bool)> {
    let keys: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&ok(&["apikey", "list", "--json", "--data-dir", d]))).expect("a JSON array");
    keys.iter()
        .map(|k| {
            let s = |f: &str| k[f].as_str().unwrap_or_default().to_owned();
            (
                s("id"),
                s("name"),
                s("role"),
                s("tenant"),
                s("state"),
                !k["expires"].is_null(),
            )
        })
        .collect()
}

#[test]
fn apikeys_are_created_listed_revoked_and_audited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let d = data.to_str().expect("utf-8 path");

    let created = ok(&[
        "apikey",
        "create",
        "--data-dir",
        d,
        "--role",
        "analyst",
        "--name",
        "night shift",
        "--expires",
        "90d",
    ]);
    let out = stdout(&created);
    let secret = out.lines().last().expect("a line").to_owned();
    assert_eq!(out, format!("{secret}\n"), "the secret alone on stdout");
    assert!(
        secret.starts_with("vgl_") && secret.len() == 4 + 16 + 1 + 43,
        "{secret}"
    );
    let id = secret[4..20].to_owned();
    let told = stderr(&created);
    assert!(
        told.contains(&id)
            && told.contains("role analyst")
            && told.contains("tenant default")
            && told.contains("expires "),
        "{told}"
    );
    let ingest = ok(&[
        "apikey",
        "create",
        "--data-dir",
        d,
        "--role",
        "ingest",
        "--tenant",
        "acme",
        "--name",
        "shipper\u{202e}exe.txt",
    ]);
    let ingest_id = stdout(&ingest).trim()[4..20].to_owned();

    // The secret works: the state verifies it with its role, tenant and expiry.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let key = runtime.block_on(async {
        let state = vigil_state::State::open(&vigil_server::server::state_db_path(&data))
            .await
            .expect("state");
        state.verify_token(&secret).await.expect("verify")
    });
    let key = key.expect("the printed secret verifies");
    assert_eq!(
        (key.id.as_str(), key.role.as_str(), key.tenant.as_str()),
        (id.as_str(), "analyst", "default")
    );
    let days = key.expires.expect("an expiry").duration_since(key.created).as_hours() / 24;
    assert!((89..=90).contains(&days), "expires in 90 days: {key:?}");

    let s = |v: &str| v.to_owned();
    assert_eq!(
        listed(d),
        [
            (
                id.clone(),
                s("night shift"),
                s("analyst"),
                s("default"),
                s("active"),
                true
            ),
            (
                ingest_id.clone(),
                s("shipper\u{202e}exe.txt"),
                s("ingest"),
                s("acme"),
                s("active"),
                false
            ),
        ]
    );
    // The table shows every column and escapes what a name could do to the terminal.
    let table = stdout(&ok(&["apikey", "list", "--data-dir", d]));
    for wanted in [
        "night shift",
        "analyst",
        "acme",
        "shipper\\u{202e}exe.txt",
        "never",
        "active",
        &id,
    ] {
        assert!(table.contains(wanted), "{wanted:?} missing from:\n{table}");
    }
    assert!(!table.contains('\u{202e}'), "{table}");
    let json = stdout(&ok(&["apikey", "list", "--json", "--data-dir", d]));
    assert!(!json.contains('\u{202e}') && json.contains("\\u202e"), "{json}");
    // `vigil token list` shows the same keys, in its own tab-separated form.
    let tokens = stdout(&ok(&["token", "list", "--data-dir", d]));
    assert!(
        tokens
            .lines()
            .any(|l| l.starts_with(&format!("{id}\tanalyst\tnight shift\t"))),
        "{tokens}"
    );

    ok(&["apikey", "revoke", "--data-dir", d, &id]);
    let after = listed(d);
    assert_eq!((after[0].0.as_str(), after[0].4.as_str()), (id.as_str(), "revoked"));
    assert_eq!(after[1].4, "active");
    let again = vigil_as("keeper", &["apikey", "revoke", "--data-dir", d, &id]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "a second revoke fails: {}",
        stderr(&again)
    );

    let verify = ok(&["audit", "verify", "--data-dir", d]);
    assert!(
        stdout(&verify).contains("checked 4 entries") && stdout(&verify).contains("chain intact"),
        "{}",
        stdout(&verify)
    );
    let export = stdout(&ok(&["audit", "export", "--data-dir", d]));
    assert!(!export.contains(&secret), "the secret is never audited");
    let entries: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    let summary: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e["actor"].as_str(),
                e["action"].as_str(),
                e["target"].as_str(),
                e["tenant"].as_str(),
                e["outcome"].as_str(),
            )
        })
        .collect();
    let actor = Some("cli:keeper");
    assert_eq!(
        summary,
        [
            (
                actor,
                Some("apikey.create"),
                Some(id.as_str()),
                Some("default"),
                Some("success")
            ),
            (
                actor,
                Some("apikey.create"),
                Some(ingest_id.as_str()),
                Some("acme"),
                Some("success")
            ),
            (
                actor,
                Some("apikey.revoke"),
                Some(id.as_str()),
                Some("default"),
                Some("success")
            ),
            (
                actor,
                Some("apikey.revoke"),
                Some(id.as_str()),
                Some("default"),
                Some("failure")
            ),
        ]
    );
    assert_eq!(
        (
            entries[0]["detail"]["role"].as_str(),
            entries[0]["detail"]["name"].as_str()
        ),
        (Some("analyst"), Some("night shift"))
    );
    assert!(entries[0]["detail"]["expires"].is_string() && entries[1]["detail"]["expires"].is_null());
}

#[test]
fn bad_roles_tenants_and_expiries_are_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let d = data.to_str().expect("utf-8 path");
    for (flags, says) in [
        (
            &["--role", "root"][..],
            "possible values: viewer, analyst, lead, detection_engineer, admin, ingest",
        ),
        (
            &["--role", "viewer", "--tenant", "Acme Corp"],
            "a tenant name is 1 to 64 characters",
        ),
        (&["--role", "viewer", "--expires", "0s"], "must be positive"),
        (
            &["--role", "viewer", "--expires", "2001-01-01T00:00:00Z"],
            "not in the future",
        ),
        (&["--role", "viewer", "--expires", "soon"], "is not a duration"),
    ] {
        let mut args = vec!["apikey", "create", "--data-dir", d, "--name", "n"];
        args.extend_from_slice(flags);
        let out = vigil_as("keeper", &args);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{flags:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{flags:?}");
    }
    assert!(!data.exists(), "nothing was created");
}

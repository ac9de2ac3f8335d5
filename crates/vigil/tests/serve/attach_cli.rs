//! Evidence attachments from the command line against a running server: `vigil incidents attach`
//! → `attachments` (the table) → `download` byte for byte with its SHA-256 checked; an existing
//! output file is never overwritten; content changed behind Vigil's back is caught (exit code 1,
//! nothing written); a viewer cannot attach.

use sqlx::Connection as _;

use crate::cli_run::{api_key, fails, ok};
use crate::harness::{BASE_CONFIG, Env};

/// Changes a stored attachment's content behind Vigil's back (its immutability trigger dropped).
fn tamper(env: &Env, aid: &str) {
    let url = format!("sqlite://{}", env.data_dir.join("state.db").display());
    let sql = format!(
        "DROP TRIGGER attachments_no_update; UPDATE attachments SET content = X'00' || content WHERE id = '{aid}'"
    );
    tokio::runtime::Runtime::new().expect("runtime").block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect("tamper");
    });
}

#[test]
fn evidence_is_attached_listed_and_downloaded_with_its_hash_checked() {
    let env = Env::new(BASE_CONFIG);
    let analyst = api_key(&env, "analyst");
    let viewer = api_key(&env, "viewer");
    let server = env.start(false);
    let created = ok(
        &server,
        &analyst,
        &[
            "incidents",
            "create",
            "--title",
            "Dropper on web01",
            "--severity",
            "high",
            "--classification",
            "malicious-code:infected-system",
        ],
    );
    let id = created.stdout.trim().to_owned();
    let content: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 256) as u8).collect();
    let file = env.path("dropper.bin");
    std::fs::write(&file, &content).expect("write the evidence");
    let file = file.to_string_lossy().into_owned();

    let attached = ok(
        &server,
        &analyst,
        &["incidents", "attach", &id, &file, "--description", "sample from web01"],
    );
    let aid = attached.stdout.trim().to_owned();
    assert!(aid.starts_with("att-"), "{}", attached.all());
    let hash = vigil_state::attachments::sha256_hex(&content);
    assert!(
        attached.stderr.contains(&format!("5000 bytes, sha256 {hash}")),
        "{}",
        attached.all()
    );

    let listed = ok(&server, &viewer, &["incidents", "attachments", &id]);
    for expected in [aid.as_str(), "dropper.bin", "5000", hash.as_str(), "sample from web01"] {
        assert!(listed.stdout.contains(expected), "{expected}: {}", listed.all());
    }

    let out = env.path("copy.bin");
    let out_text = out.to_string_lossy().into_owned();
    let downloaded = ok(&server, &viewer, &["incidents", "download", &id, &aid, "-o", &out_text]);
    assert!(downloaded.stderr.contains("verified"), "{}", downloaded.all());
    assert_eq!(std::fs::read(&out).expect("downloaded"), content, "byte for byte");
    let again = fails(&server, &viewer, &["incidents", "download", &id, &aid, "-o", &out_text]);
    assert!(again.stderr.contains("creating"), "never overwritten: {}", again.all());

    let denied = fails(&server, &viewer, &["incidents", "attach", &id, &file]);
    assert!(denied.stderr.contains("forbidden"), "{}", denied.all());

    // Content changed behind Vigil's back no longer has its SHA-256: refused, nothing written.
    tamper(&env, &aid);
    let forged = env.path("forged.bin");
    let forged_text = forged.to_string_lossy().into_owned();
    let refused = fails(
        &server,
        &viewer,
        &["incidents", "download", &id, &aid, "-o", &forged_text],
    );
    assert_eq!(refused.code, Some(1), "{}", refused.all());
    assert!(
        refused.stderr.contains(&format!("expected sha256 {hash}")),
        "{}",
        refused.all()
    );
    assert!(!forged.exists(), "nothing written");
}

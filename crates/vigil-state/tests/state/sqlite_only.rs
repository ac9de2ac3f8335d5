//! What only the SQLite backend has: the file and its WAL, the in-memory database, and stores
//! left by earlier releases (migrated on open).

use crate::{alert, at};
use sha2::Digest as _;
use sqlx::Connection as _;
use vigil_api_types::access::Permission;
use vigil_state::{DeadLetterQuery, NewApiKey, Role, State};

#[tokio::test]
async fn open_creates_missing_directories_and_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/state.db");
    let state = State::open(&path).await.unwrap();
    assert!(path.exists());
    state.put_blob("x", b"1").await.unwrap();
    // WAL mode leaves a -wal file next to the database while it is open.
    assert!(dir.path().join("nested/deeper/state.db-wal").exists());
}

#[tokio::test]
async fn in_memory_state_works_across_clones() {
    let state = State::open_in_memory().await.unwrap();
    let clone = state.clone();
    clone.insert_alerts(&[alert("m", "r", "low", at(0))]).await.unwrap();
    assert_eq!(state.count_alerts().await.unwrap(), 1);
}
#[tokio::test]
async fn rows_from_before_tenants_are_the_default_tenants() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    // The schema of the release before tenants (migrations 1 to 4), with rows as it wrote them.
    vigil_state::migrator_up_to(4).run(&mut conn).await.unwrap();
    sqlx::query(
        "INSERT INTO alerts (id, status, rule_id, rule_title, level, level_rank, kind, attack, tags, event_ids, \
         detected, matched) VALUES ('old', 'new', 'r', 'R', 'high', 3, 'detection', '[]', '[]', '[]', 1, 'null')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO dead_letters (input, received, peer, code, message, data) VALUES ('api', 1, NULL, 'invalid_json', 'm', x'00')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let state = State::open(&path).await.expect("the old store opens and migrates");
    let old = state
        .get_alert("default", "old")
        .await
        .unwrap()
        .expect("the old alert is the default tenant's");
    assert_eq!(old.tenant, "default");
    assert!(state.get_alert("acme", "old").await.unwrap().is_none());
    let letters = state
        .list_dead_letters("default", &DeadLetterQuery::default())
        .await
        .unwrap();
    assert_eq!((letters.total, letters.dead_letters[0].tenant.as_str()), (1, "default"));
}
/// A secret of the shape `vgl_<id>_<43 chars>`, and its stored hash.
fn legacy_secret(id: &str, fill: char) -> (String, String) {
    let secret = format!("vgl_{id}_{}", fill.to_string().repeat(43));
    let hash = hex::encode(sha2::Sha256::digest(secret.as_bytes()));
    (secret, hash)
}

#[tokio::test]
async fn a_store_from_before_api_keys_migrates_and_its_secrets_keep_their_rights() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    // The old schema, applied as the previous release did, with tokens as it wrote them.
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    // The schema the release before API keys shipped (migrations 1 and 2).
    let old = vigil_state::migrator_up_to(2);
    old.run(&mut conn).await.unwrap();
    let tokens = [
        ("1111111111111111", "ingest", 'A', None),
        ("2222222222222222", "read", 'B', None),
        ("3333333333333333", "admin", 'C', None),
        ("4444444444444444", "admin", 'D', Some(5_i64)),
    ];
    let mut secrets = Vec::new();
    for (id, scope, fill, revoked_at) in tokens {
        let (secret, hash) = legacy_secret(id, fill);
        sqlx::query(
            "INSERT INTO tokens (id, name, scope, secret_hash, created, last_used, revoked_at) \
             VALUES (?, ?, ?, ?, ?, NULL, ?)",
        )
        .bind(id)
        .bind(format!("old {scope}"))
        .bind(scope)
        .bind(hash)
        .bind(1_700_000_000_000_000_000_i64)
        .bind(revoked_at)
        .execute(&mut conn)
        .await
        .unwrap();
        secrets.push(secret);
    }
    conn.close().await.unwrap();

    let state = State::open(&path).await.expect("the old store opens and migrates");
    let expected = [Some(Role::Ingest), Some(Role::Viewer), Some(Role::Admin), None];
    for (secret, role) in secrets.iter().zip(expected) {
        let verified = state.verify_token(secret).await.unwrap();
        assert_eq!(verified.as_ref().map(|k| k.role), role, "{secret}");
        if let Some(k) = verified {
            assert_eq!((k.tenant.as_str(), k.expires), ("default", None));
            let principal = k.principal();
            assert_eq!(principal.tenant, "default");
            assert_eq!(principal.roles, vec![k.role]);
        }
    }
    let ingest = state.verify_token(&secrets[0]).await.unwrap().unwrap().principal();
    assert!(ingest.can(Permission::EventIngest) && !ingest.can(Permission::AlertRead));
    let read = state.verify_token(&secrets[1]).await.unwrap().unwrap().principal();
    assert!(read.can(Permission::AlertRead) && !read.can(Permission::EventIngest));
    let listed = state.list_tokens().await.unwrap();
    let summary: Vec<_> = listed.iter().map(|k| (k.role, k.tenant.as_str(), k.revoked)).collect();
    assert_eq!(
        summary,
        [
            (Role::Ingest, "default", false),
            (Role::Viewer, "default", false),
            (Role::Admin, "default", false),
            (Role::Admin, "default", true),
        ]
    );
    // Old keys stay as they were stored: no role written for them, the legacy scope kept.
    let roles: Vec<(Option<String>, String)> = sqlx::query_as("SELECT role, scope FROM tokens ORDER BY id")
        .fetch_all(&open_raw(&path).await)
        .await
        .unwrap();
    assert!(roles.iter().all(|(role, _)| role.is_none()), "{roles:?}");

    // New keys next to them carry a role, and the closest legacy scope for the NOT NULL column.
    let (info, _) = state
        .create_api_key(&NewApiKey::new(Role::Analyst, "new"))
        .await
        .unwrap();
    let stored: (Option<String>, String) = sqlx::query_as("SELECT role, scope FROM tokens WHERE id = ?")
        .bind(&info.id)
        .fetch_one(&open_raw(&path).await)
        .await
        .unwrap();
    assert_eq!(stored, (Some("analyst".to_owned()), "read".to_owned()));
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&open_raw(&path).await)
        .await
        .unwrap();
    assert_eq!(
        versions,
        (1..=14).collect::<Vec<i64>>(),
        "every later migration applied once"
    );
    state.close().await;
    // Reopening applies nothing twice.
    let state = State::open(&path).await.expect("reopens");
    assert!(state.verify_token(&secrets[2]).await.unwrap().is_some());
}

/// A read-only pool on the file, for looking at what is stored.
async fn open_raw(path: &std::path::Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .expect("read-only pool")
}

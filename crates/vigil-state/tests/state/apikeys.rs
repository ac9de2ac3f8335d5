//! API keys: role, tenant and expiry; and stores made before keys had them.

use crate::{at, t0, temp_state};
use jiff::SignedDuration;
use sha2::Digest as _;
use sqlx::Connection as _;
use vigil_api_types::access::{Permission, PrincipalKind};
use vigil_state::{NewApiKey, Role, State, StateError};

#[tokio::test]
async fn role_tenant_and_expiry_round_trip() {
    let (state, _dir) = temp_state().await;
    let expires = jiff::Timestamp::now() + SignedDuration::from_hours(24 * 90);
    let new = NewApiKey::new(Role::DetectionEngineer, "ci deploy")
        .in_tenant("acme")
        .expiring(expires);
    let (info, secret) = state.create_api_key(&new).await.unwrap();
    assert_eq!(
        (info.role, info.tenant.as_str(), info.expires),
        (Role::DetectionEngineer, "acme", Some(expires))
    );
    let verified = state.verify_token(&secret).await.unwrap().expect("live key verifies");
    assert_eq!(
        (verified.role, verified.tenant.as_str()),
        (Role::DetectionEngineer, "acme")
    );
    assert_eq!(verified.expires, Some(expires));
    let principal = verified.principal();
    assert_eq!(principal.id, format!("apikey:{}", info.id));
    assert_eq!(principal.kind, PrincipalKind::ApiKey);
    assert_eq!(
        (principal.tenant.as_str(), principal.roles.as_slice()),
        ("acme", &[Role::DetectionEngineer][..])
    );
    assert!(principal.can(Permission::RuleDeploy) && !principal.can(Permission::EventIngest));

    let listed = state.list_tokens().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].role, listed[0].tenant.as_str(), listed[0].expires),
        (Role::DetectionEngineer, "acme", Some(expires))
    );
    assert_eq!(listed[0].last_used, verified.last_used);
    assert_eq!(state.get_token(&info.id).await.unwrap(), Some(listed[0].clone()));
    assert_eq!(state.get_token("0000000000000000").await.unwrap(), None);
    let json = serde_json::to_value(&listed[0]).unwrap();
    assert_eq!(
        (json["role"].as_str(), json["tenant"].as_str()),
        (Some("detection_engineer"), Some("acme"))
    );

    // Every role is stored and read back as itself, with the closest legacy scope beside it.
    for &role in Role::ALL {
        let (info, secret) = state
            .create_api_key(&NewApiKey::new(role, role.as_str()))
            .await
            .unwrap();
        assert_eq!(info.tenant, "default");
        assert_eq!(state.verify_token(&secret).await.unwrap().map(|k| k.role), Some(role));
    }
}

#[tokio::test]
async fn expired_keys_are_refused_from_their_expiry_on() {
    let (state, _dir) = temp_state().await;
    let new = NewApiKey::new(Role::Viewer, "short-lived").expiring(at(3600));
    let (info, secret) = state.create_api_key_at(&new, t0()).await.unwrap();
    assert_eq!(info.created, t0());
    assert!(state.verify_token_at(&secret, at(3599)).await.unwrap().is_some());
    assert_eq!(
        state.verify_token_at(&secret, at(3600)).await.unwrap(),
        None,
        "expires at its instant"
    );
    assert_eq!(state.verify_token_at(&secret, at(7200)).await.unwrap(), None);
    // By the wall clock: a key made in 2001 that expired an hour later.
    let made: jiff::Timestamp = "2001-01-01T00:00:00Z".parse().unwrap();
    let old = NewApiKey::new(Role::Admin, "2001").expiring(made + SignedDuration::from_hours(1));
    let (_, old_secret) = state.create_api_key_at(&old, made).await.unwrap();
    assert_eq!(state.verify_token(&old_secret).await.unwrap(), None);
    // Still listed (with its expiry), and it can still be revoked.
    let listed = state.get_token(&info.id).await.unwrap().expect("listed");
    assert!(listed.is_expired(at(3600)) && !listed.is_expired(at(3599)));
    assert!(state.revoke_token(&info.id).await.unwrap());
}

#[tokio::test]
async fn revoked_keys_are_refused() {
    let (state, _dir) = temp_state().await;
    let (info, secret) = state
        .create_api_key(&NewApiKey::new(Role::Lead, "lead").in_tenant("acme"))
        .await
        .unwrap();
    assert!(state.verify_token(&secret).await.unwrap().is_some());
    assert!(state.revoke_token(&info.id).await.unwrap());
    assert_eq!(state.verify_token(&secret).await.unwrap(), None);
    assert!(state.get_token(&info.id).await.unwrap().is_some_and(|k| k.revoked));
}

#[tokio::test]
async fn bad_names_tenants_and_expiries_are_refused() {
    let (state, _dir) = temp_state().await;
    let refused = |new: NewApiKey| {
        let state = state.clone();
        async move {
            match state.create_api_key_at(&new, t0()).await {
                Err(e @ StateError::InvalidInput(_)) => e.is_client_error(),
                other => panic!("{new:?} was not refused as invalid input: {other:?}"),
            }
        }
    };
    let key = || NewApiKey::new(Role::Viewer, "k");
    for tenant in [
        "",
        "Acme",
        "acme corp",
        "../acme",
        "acme\n",
        "ａｃｍｅ",
        &"t".repeat(65),
    ] {
        assert!(refused(key().in_tenant(tenant)).await, "{tenant:?}");
    }
    for name in ["", " ", "a\u{1b}[2Jb", &"n".repeat(129)] {
        assert!(refused(NewApiKey::new(Role::Viewer, name)).await, "{name:?}");
    }
    assert!(
        refused(key().expiring(t0())).await,
        "an expiry must follow the creation"
    );
    assert!(refused(key().expiring(at(-1))).await);
    assert!(
        state.list_tokens().await.unwrap().is_empty(),
        "nothing refused was stored"
    );
    // Role names outside the table do not parse, so no key can be made with one.
    for role in ["root", "Admin", "superuser", ""] {
        assert!(role.parse::<Role>().is_err(), "{role:?}");
    }
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
        (1..=6).collect::<Vec<i64>>(),
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

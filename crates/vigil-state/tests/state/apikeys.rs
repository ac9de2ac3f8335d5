//! API keys: role, tenant and expiry; and stores made before keys had them.

use crate::{at, t0, temp_state};
use jiff::SignedDuration;
use vigil_api_types::access::{Permission, PrincipalKind};
use vigil_state::{NewApiKey, Role, StateError};

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

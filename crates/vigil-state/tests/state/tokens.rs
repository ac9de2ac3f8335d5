use crate::temp_state;
use proptest::prelude::*;
use vigil_state::{Role, Scope, State};

#[tokio::test]
async fn create_verify_revoke() {
    let (state, _dir) = temp_state().await;
    let (info, secret) = state.create_token(Scope::Ingest, "edge collector").await.unwrap();
    assert!(secret.starts_with(&format!("vgl_{}_", info.id)));
    assert_eq!(
        (info.role, info.tenant.as_str(), info.expires),
        (Role::Ingest, "default", None)
    );
    assert!(!info.revoked && info.last_used.is_none());

    let v = state
        .verify_token(&secret)
        .await
        .unwrap()
        .expect("valid secret verifies");
    assert_eq!(v.id, info.id);
    assert_eq!(v.name, "edge collector");
    assert!(v.last_used.is_some(), "first use is recorded");
    let listed = state.list_tokens().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used, v.last_used);

    assert!(state.revoke_token(&info.id).await.unwrap());
    assert!(
        !state.revoke_token(&info.id).await.unwrap(),
        "second revoke reports nothing revoked"
    );
    assert!(!state.revoke_token("0000000000000000").await.unwrap());
    assert_eq!(
        state.verify_token(&secret).await.unwrap(),
        None,
        "revoked tokens never verify"
    );
    let listed = state.list_tokens().await.unwrap();
    assert!(listed[0].revoked);
}

/// The random part of a secret, split as `vigil-state` splits it: `vgl_`, the hex id (never `_`), then
/// everything after the first `_` that follows the id. The random part is base64url and may itself hold
/// `_`, so splitting at the last `_` would keep only a tail of it.
fn random_part(secret: &str) -> &str {
    let rest = secret.strip_prefix("vgl_").expect("secret starts with vgl_");
    rest.split_once('_').expect("secret has an id").1
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn only_the_hash_is_stored() {
    use sha2::Digest as _;
    let (state, db) = temp_state().await;
    let (_, secret) = state.create_token(Scope::Admin, "admin").await.unwrap();
    let random = random_part(&secret);
    assert_eq!(random.len(), 43, "{secret}: 32 random bytes in base64url");
    let hash = hex::encode(sha2::Sha256::digest(secret.as_bytes()));
    let check = |files: &[(String, Vec<u8>)], when: &str| {
        for (name, bytes) in files {
            assert!(!contains(bytes, secret.as_bytes()), "{when}: {name} holds the secret");
            assert!(
                !contains(bytes, random.as_bytes()),
                "{when}: {name} holds its random part"
            );
        }
        // The files read are the ones written: the hash is in one of them.
        assert!(
            files.iter().any(|(_, bytes)| contains(bytes, hash.as_bytes())),
            "{when}: no file holds the secret's hash ({:?})",
            files.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
    };
    // On SQLite the write sits in the WAL (and shm) while open, and is checkpointed into the
    // database at close.
    check(&db.at_rest().await, "open");
    state.close().await;
    check(&db.at_rest().await, "closed");
}

#[tokio::test]
async fn wrong_secret_with_right_id_fails() {
    let (state, _dir) = temp_state().await;
    let (info, secret) = state.create_token(Scope::Read, "r").await.unwrap();
    // Same id, different (well-formed) random part.
    let mut forged = secret.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(state.verify_token(&forged).await.unwrap(), None);
    // Another token's secret with this token's id.
    let (_, other) = state.create_token(Scope::Read, "other").await.unwrap();
    let swapped = format!("vgl_{}_{}", info.id, random_part(&other));
    assert_eq!(state.verify_token(&swapped).await.unwrap(), None);
    assert!(state.verify_token(&secret).await.unwrap().is_some());
}

#[tokio::test]
async fn malformed_secrets_are_none() {
    let (state, _dir) = temp_state().await;
    let (info, secret) = state.create_token(Scope::Read, "r").await.unwrap();
    for bad in [
        String::new(),
        "vgl_".into(),
        "Bearer x".into(),
        format!("{secret}x"),
        secret[..secret.len() - 1].to_owned(),
        secret.replace("vgl_", "VGL_"),
        format!("vgl_{}", info.id),
        "\0\u{fffd}".into(),
    ] {
        assert_eq!(state.verify_token(&bad).await.unwrap(), None, "{bad:?}");
    }
}

#[tokio::test]
async fn scopes_round_trip_and_tokens_are_distinct() {
    let (state, _dir) = temp_state().await;
    let mut ids = std::collections::HashSet::new();
    for scope in [Scope::Ingest, Scope::Read, Scope::Admin] {
        let (info, secret) = state.create_token(scope, &format!("{scope} token")).await.unwrap();
        assert!(ids.insert(info.id));
        assert_eq!(state.verify_token(&secret).await.unwrap().unwrap().role, scope.role());
    }
    let json = serde_json::to_value(state.list_tokens().await.unwrap()).unwrap();
    let roles: Vec<_> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["role"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(roles, ["ingest", "viewer", "admin"]);
    assert!(state.create_token(Scope::Read, "").await.is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn verify_token_never_errs_on_arbitrary_strings(s in prop_oneof![
        any::<String>(),
        "vgl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}",
        "vgl_[0-9a-f]{0,20}_.{0,50}",
    ]) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let state = State::open_in_memory().await.unwrap();
            let (_, secret) = state.create_token(Scope::Admin, "a").await.unwrap();
            prop_assert_eq!(state.verify_token(&s).await.unwrap(), None);
            // A forged secret reusing the real id must not verify either.
            let id = &secret[4..20];
            let forged = format!("vgl_{id}_{}", s.chars().take(43).collect::<String>());
            if forged != secret {
                prop_assert_eq!(state.verify_token(&forged).await.unwrap(), None);
            }
            Ok(())
        })?;
    }
}

//! Verification against a provider held in memory (an Ed25519 key made here): each claim check
//! on its own, including those a real provider cannot be made to get wrong (another issuer with
//! the same keys, an ID token for another client, a future `iat`).

use std::collections::BTreeMap;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use vigil_api_types::access::Role;

use super::{access_token, id_token};
use crate::{ClaimMap, Oidc, OidcConfig, Rejected, jwks::Discovery};

const ISSUER: &str = "https://idp.example";
const KID: &str = "ed-1";
const SEED: [u8; 32] = [7; 32];

fn provider() -> Oidc {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let claims = ClaimMap::new(BTreeMap::from([("soc".to_owned(), Role::Analyst)]));
    let oidc = Oidc::new(OidcConfig::new(ISSUER, "vigil-api", claims)).expect("config");
    let public = ed25519_dalek::SigningKey::from_bytes(&SEED).verifying_key().to_bytes();
    oidc.keys.load_for_test(
        Discovery {
            issuer: ISSUER.into(),
            jwks_uri: format!("{ISSUER}/jwks"),
            authorization_endpoint: None,
            token_endpoint: None,
        },
        vec![json!({"kty": "OKP", "crv": "Ed25519", "kid": KID, "use": "sig", "x": URL_SAFE_NO_PAD.encode(public)})],
    );
    oidc
}

/// PKCS#8 v1 of an Ed25519 seed.
fn signing_key() -> EncodingKey {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ];
    der.extend_from_slice(&SEED);
    EncodingKey::from_ed_der(&der)
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn sign(typ: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = typ.map(str::to_owned);
    header.kid = Some(KID.into());
    jsonwebtoken::encode(&header, claims, &signing_key()).expect("sign")
}

fn access(overrides: Value) -> String {
    let mut claims = json!({"iss": ISSUER, "aud": "vigil-api", "sub": "alice", "exp": now() + 300,
        "iat": now(), "groups": ["soc"], "client_id": "console"});
    for (k, v) in overrides.as_object().expect("object") {
        if v.is_null() {
            claims.as_object_mut().expect("object").remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    sign(Some("at+jwt"), &claims)
}

#[tokio::test]
async fn a_good_access_token_verifies_and_each_bad_claim_is_refused() {
    let oidc = provider();
    access_token(&oidc, &access(json!({}))).await.expect("good");
    let cases = [
        ("another issuer, same keys", json!({"iss": "https://other.example"})),
        ("another audience", json!({"aud": "another-api"})),
        ("expired", json!({"exp": now() - 120})),
        ("not yet valid", json!({"nbf": now() + 600})),
        ("issued in the future", json!({"iat": now() + 600})),
        ("no subject", json!({"sub": null})),
        ("no expiry", json!({"exp": null})),
        ("an ID token's nonce", json!({"nonce": "n"})),
    ];
    for (why, overrides) in cases {
        assert!(access_token(&oidc, &access(overrides)).await.is_err(), "{why}");
    }
    let id_shaped = sign(
        None,
        &json!({"iss": ISSUER, "aud": "vigil-api", "sub": "a", "exp": now() + 60}),
    );
    assert!(access_token(&oidc, &id_shaped).await.is_err(), "no at+jwt type");
}

#[tokio::test]
async fn id_tokens_need_this_login_s_nonce_this_client_and_iat() {
    let oidc = provider();
    let id = |overrides: Value| {
        let mut claims = json!({"iss": ISSUER, "aud": "console", "sub": "alice", "exp": now() + 300,
            "iat": now(), "nonce": "n-1"});
        for (k, v) in overrides.as_object().expect("object") {
            if v.is_null() {
                claims.as_object_mut().expect("object").remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        sign(None, &claims)
    };
    id_token(&oidc, &id(json!({})), "console", "n-1").await.expect("good");
    id_token(
        &oidc,
        &id(json!({"aud": ["console", "x"], "azp": "console"})),
        "console",
        "n-1",
    )
    .await
    .expect("several audiences with azp");
    let cases = [
        ("another login's nonce", json!({"nonce": "n-2"})),
        ("no nonce", json!({"nonce": null})),
        ("no iat", json!({"iat": null})),
        ("another client", json!({"aud": "someone-else"})),
        ("azp of another client", json!({"azp": "someone-else"})),
        ("several audiences, no azp", json!({"aud": ["console", "x"]})),
    ];
    for (why, overrides) in cases {
        assert!(
            id_token(&oidc, &id(overrides), "console", "n-1").await.is_err(),
            "{why}"
        );
    }
    let at = sign(
        Some("at+jwt"),
        &json!({"iss": ISSUER, "aud": "console", "sub": "a", "exp": now() + 60, "iat": now(), "nonce": "n-1"}),
    );
    assert!(
        id_token(&oidc, &at, "console", "n-1").await.is_err(),
        "an access token is no ID token"
    );
}

#[tokio::test]
async fn a_provider_not_loaded_yet_is_unavailable_not_a_bad_token() {
    let claims = ClaimMap::new(BTreeMap::from([("soc".to_owned(), Role::Analyst)]));
    let oidc = Oidc::new(OidcConfig::new(ISSUER, "vigil-api", claims)).expect("config");
    assert_eq!(
        access_token(&oidc, &access(json!({}))).await.err(),
        Some(Rejected::Unavailable)
    );
}

//! Access-token verification: the checks, in the order that refuses cheaply and never uses a key
//! for an algorithm it was not made for.

use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde_json::{Map, Value};

use crate::jwks::VerifyKey;
use crate::{Oidc, OidcError};

/// Longest token looked at.
const MAX_TOKEN: usize = 8 << 10;

/// Why a bearer token is not accepted. Answered 401, except [`Rejected::NoRole`] (403) and
/// [`Rejected::Unavailable`] (503). The reasons are for logs and the answer's message; none
/// repeats the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejected {
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the token was not accepted: {0}")]
    Token(String),
    #[error("the token carries no role Vigil maps")]
    NoRole,
    #[error("the identity provider is not reachable yet")]
    Unavailable,
}

fn invalid(reason: &'static str) -> Rejected {
    Rejected::Invalid(reason)
}

/// Whether `key` is one `alg` may verify with (its type and curve, and its own `alg` if it names one).
fn key_fits(alg: Algorithm, key: &VerifyKey) -> bool {
    let family = match alg {
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => key.kty == "RSA",
        Algorithm::ES256 => key.kty == "EC" && key.crv.as_deref() == Some("P-256"),
        Algorithm::ES384 => key.kty == "EC" && key.crv.as_deref() == Some("P-384"),
        Algorithm::EdDSA => key.kty == "OKP" && key.crv.as_deref() == Some("Ed25519"),
        _ => false,
    };
    let named = key
        .alg
        .as_deref()
        .is_none_or(|named| named.parse::<Algorithm>().ok() == Some(alg));
    family && named
}

/// What a token must be.
enum Expect<'a> {
    /// A bearer on the API: `aud` is Vigil's audience, `typ` is `at+jwt`, nothing only ID tokens carry.
    AccessToken,
    /// The login's ID token: `aud` is the console client, the nonce is the login's.
    IdToken { client_id: &'a str, nonce: &'a str },
}

/// The claims of a valid access token for Vigil.
pub(crate) async fn access_token(oidc: &Oidc, token: &str) -> Result<Map<String, Value>, Rejected> {
    verify(oidc, token, Expect::AccessToken).await
}

/// The claims of the login's valid ID token.
pub(crate) async fn id_token(
    oidc: &Oidc,
    token: &str,
    client_id: &str,
    nonce: &str,
) -> Result<Map<String, Value>, Rejected> {
    verify(oidc, token, Expect::IdToken { client_id, nonce }).await
}

async fn verify(oidc: &Oidc, token: &str, expect: Expect<'_>) -> Result<Map<String, Value>, Rejected> {
    let config = &oidc.config;
    if token.len() > MAX_TOKEN || token.bytes().filter(|&b| b == b'.').count() != 2 {
        return Err(invalid("not a JWT"));
    }
    // `alg: none` has no `Algorithm`: it fails here.
    let header = decode_header(token).map_err(|_| invalid("the token's header does not read"))?;
    if !config.algorithms.contains(&header.alg) {
        return Err(invalid("the token's signing algorithm is not allowed"));
    }
    let typ = header.typ.as_deref().map(str::to_ascii_lowercase);
    let access = matches!(typ.as_deref(), Some("at+jwt" | "application/at+jwt"));
    match (&expect, typ.as_deref()) {
        (Expect::AccessToken, _) if access => {}
        (Expect::AccessToken, None | Some("jwt")) if !config.require_at_jwt_typ => {}
        (Expect::AccessToken, _) => return Err(invalid("not an access token (its `typ` is not `at+jwt`)")),
        (Expect::IdToken { .. }, _) if access => return Err(invalid("an access token is not an ID token")),
        (Expect::IdToken { .. }, _) => {}
    }
    let kid = header.kid.as_deref().ok_or(invalid("the token names no signing key"))?;
    let key = match oidc.keys.key(&oidc.http, config, kid).await {
        Ok(key) => key,
        Err(OidcError::NotReady) => return Err(Rejected::Unavailable),
        Err(_) => return Err(invalid("the token is signed with a key the provider does not publish")),
    };
    if !key_fits(header.alg, &key) {
        return Err(invalid("the signing key does not fit the token's algorithm"));
    }
    let mut validation = Validation::new(header.alg);
    validation.leeway = config.leeway.as_secs();
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_issuer(&[config.issuer.as_str()]);
    match &expect {
        Expect::AccessToken => validation.set_audience(&[config.audience.as_str()]),
        Expect::IdToken { client_id, .. } => validation.set_audience(&[*client_id]),
    }
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = decode::<Map<String, Value>>(token, &key.key, &validation)
        .map_err(|e| Rejected::Token(e.kind_text()))?
        .claims;
    let now = jsonwebtoken::get_current_timestamp();
    if claims
        .get("iat")
        .and_then(Value::as_u64)
        .is_some_and(|iat| iat > now.saturating_add(validation.leeway))
    {
        return Err(invalid("the token was issued in the future"));
    }
    match expect {
        // An ID token presented as a bearer token (its audience check failed already unless the
        // provider gave the client and the API one name): refuse what only ID tokens carry.
        Expect::AccessToken => {
            if ["nonce", "at_hash", "c_hash"].iter().any(|c| claims.contains_key(*c)) {
                return Err(invalid("an ID token is not an access token"));
            }
        }
        Expect::IdToken { nonce, client_id } => {
            // OpenID Connect Core 3.1.3.7: `iat` is required; with several audiences `azp`
            // must be present, and when present it must be this client.
            if !claims.get("iat").is_some_and(Value::is_u64) {
                return Err(invalid("the ID token has no `iat`"));
            }
            let audiences = claims.get("aud").and_then(Value::as_array).map_or(1, Vec::len);
            match claims.get("azp").and_then(Value::as_str) {
                Some(azp) if azp != client_id => {
                    return Err(invalid("the ID token was issued to another client (azp)"));
                }
                None if audiences > 1 => return Err(invalid("the ID token has several audiences and no `azp`")),
                _ => {}
            }
            let got = claims.get("nonce").and_then(Value::as_str).unwrap_or_default();
            if got.len() != nonce.len() || got.bytes().zip(nonce.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) != 0 {
                return Err(invalid("the ID token's nonce is not this login's"));
            }
        }
    }
    Ok(claims)
}

/// A short text for a jsonwebtoken error (no token content in it).
trait KindText {
    fn kind_text(&self) -> String;
}

impl KindText for jsonwebtoken::errors::Error {
    fn kind_text(&self) -> String {
        use jsonwebtoken::errors::ErrorKind;
        match self.kind() {
            ErrorKind::ExpiredSignature => "it has expired".into(),
            ErrorKind::ImmatureSignature => "it is not valid yet (nbf)".into(),
            ErrorKind::InvalidIssuer => "wrong issuer".into(),
            ErrorKind::InvalidAudience => "wrong audience".into(),
            ErrorKind::InvalidSignature => "bad signature".into(),
            ErrorKind::MissingRequiredClaim(claim) => format!("no `{claim}` claim"),
            ErrorKind::InvalidAlgorithm => "algorithm mismatch".into(),
            _ => "it does not verify".into(),
        }
    }
}

#[cfg(test)]
mod tests;

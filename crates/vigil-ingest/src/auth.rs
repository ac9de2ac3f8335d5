//! Ingest tokens: the [`IngestAuth`] check and the header forms shippers send them in.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::sync::Arc;

use crate::BoxFuture;

/// Decides whether an ingest token may write, and into which tenant. Implemented by the server
/// (key store).
pub trait IngestAuth: Send + Sync + 'static {
    /// The tenant `token` writes into, or why it may not write.
    fn ingest_tenant<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Arc<str>, IngestRefusal>>;
}

/// Why an ingest token may not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestRefusal {
    /// Not a valid token for ingest (unknown, revoked, expired, no `event:ingest`).
    Invalid,
    /// It cannot be checked now (the identity provider's keys are not loaded): the sender
    /// should retry, not drop the batch.
    Unavailable,
}

/// The tenant a request's ingest credential is bound to: put into the request's extensions by
/// the inputs' authentication layer, read by their handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestTenant(pub Arc<str>);

/// A fixed set of tokens, compared in constant time. For tests and simple set-ups.
#[derive(Clone)]
pub struct StaticTokens {
    tokens: Vec<String>,
}

impl std::fmt::Debug for StaticTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticTokens")
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

impl StaticTokens {
    /// Accepts exactly these tokens (empty ones are ignored).
    pub fn new<I, T>(tokens: I) -> StaticTokens
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        StaticTokens {
            tokens: tokens.into_iter().map(Into::into).filter(|t| !t.is_empty()).collect(),
        }
    }
}

impl IngestAuth for StaticTokens {
    /// Every token writes into the default tenant.
    fn ingest_tenant<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Arc<str>, IngestRefusal>> {
        let allowed = self
            .tokens
            .iter()
            .fold(false, |acc, t| acc | constant_time_eq(t.as_bytes(), token.as_bytes()));
        Box::pin(async move {
            allowed
                .then(|| Arc::from(vigil_api_types::access::DEFAULT_TENANT))
                .ok_or(IngestRefusal::Invalid)
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The result of checking a request's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthOutcome {
    /// Allowed to write into this tenant.
    Allowed(IngestTenant),
    /// No `Authorization` header.
    Missing,
    /// A header in no form we know (unknown scheme, bad base64, empty token).
    Malformed,
    /// A well-formed token that the [`IngestAuth`] refused.
    Denied,
    /// A token that cannot be checked now: answer 503 so that the sender retries.
    Unavailable,
}

/// The tokens a request carries, in the order to try them.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Credentials {
    Missing,
    Malformed,
    Tokens(Vec<String>),
}

/// Reads `Authorization` in any of the forms shippers use:
/// `Bearer <t>`, `Splunk <t>`, `Basic base64(user:<t>)` (the password is the token) and
/// `ApiKey base64(id:<t>)` (Elasticsearch API key: the key part is the token; a raw `ApiKey <t>` works too).
pub(crate) fn credentials(headers: &HeaderMap) -> Credentials {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Credentials::Missing;
    };
    let Ok(value) = value.to_str() else {
        return Credentials::Malformed;
    };
    let value = value.trim();
    let Some((scheme, rest)) = value.split_once(|c: char| c.is_ascii_whitespace()) else {
        return Credentials::Malformed;
    };
    let rest = rest.trim();
    if rest.is_empty() {
        return Credentials::Malformed;
    }
    let decoded = || {
        STANDARD
            .decode(rest)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    };
    let tokens = if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("splunk") {
        vec![rest.to_owned()]
    } else if scheme.eq_ignore_ascii_case("basic") {
        match decoded().as_deref().and_then(|s| s.split_once(':')) {
            Some((_user, password)) if !password.is_empty() => vec![password.to_owned()],
            _ => return Credentials::Malformed,
        }
    } else if scheme.eq_ignore_ascii_case("apikey") {
        match decoded().as_deref().and_then(|s| s.split_once(':')) {
            Some((_id, key)) if !key.is_empty() => vec![key.to_owned(), rest.to_owned()],
            _ => vec![rest.to_owned()],
        }
    } else {
        return Credentials::Malformed;
    };
    Credentials::Tokens(tokens)
}

/// Checks the request's credentials against `auth`.
pub(crate) async fn authorize(auth: &dyn IngestAuth, headers: &HeaderMap) -> AuthOutcome {
    match credentials(headers) {
        Credentials::Missing => AuthOutcome::Missing,
        Credentials::Malformed => AuthOutcome::Malformed,
        Credentials::Tokens(tokens) => {
            let mut outcome = AuthOutcome::Denied;
            for token in &tokens {
                match auth.ingest_tenant(token).await {
                    Ok(tenant) => return AuthOutcome::Allowed(IngestTenant(tenant)),
                    Err(IngestRefusal::Unavailable) => outcome = AuthOutcome::Unavailable,
                    Err(IngestRefusal::Invalid) => {}
                }
            }
            outcome
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("ascii"));
        h
    }

    fn tokens(value: &str) -> Credentials {
        credentials(&headers(value))
    }

    #[test]
    fn every_header_form() {
        let t = |v: &[&str]| Credentials::Tokens(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(tokens("Bearer abc"), t(&["abc"]));
        assert_eq!(tokens("bearer   abc "), t(&["abc"]));
        assert_eq!(tokens("Splunk abc"), t(&["abc"]));
        let basic = STANDARD.encode("elastic:abc");
        assert_eq!(tokens(&format!("Basic {basic}")), t(&["abc"]));
        let key = STANDARD.encode("id1:abc");
        assert_eq!(tokens(&format!("ApiKey {key}")), t(&["abc", &key]));
        assert_eq!(tokens("ApiKey raw-token"), t(&["raw-token"]));
        assert_eq!(credentials(&HeaderMap::new()), Credentials::Missing);
        assert_eq!(tokens("Digest x"), Credentials::Malformed);
        assert_eq!(tokens("Bearer"), Credentials::Malformed);
        assert_eq!(tokens("Basic !!!"), Credentials::Malformed);
        let no_password = STANDARD.encode("user:");
        assert_eq!(tokens(&format!("Basic {no_password}")), Credentials::Malformed);
    }

    /// The elided signature (`&self, token: &str) -> BoxFuture<'_, Result<..>>`) also
    /// implements the trait, for implementations that do not borrow the token in the future.
    struct Elided;

    impl IngestAuth for Elided {
        fn ingest_tenant(&self, token: &str) -> BoxFuture<'_, Result<Arc<str>, IngestRefusal>> {
            let ok = token == "elided";
            Box::pin(async move { ok.then(|| Arc::from("acme")).ok_or(IngestRefusal::Invalid) })
        }
    }

    fn allowed(tenant: &str) -> AuthOutcome {
        AuthOutcome::Allowed(IngestTenant(Arc::from(tenant)))
    }

    #[tokio::test]
    async fn elided_implementations_work() {
        let auth: &dyn IngestAuth = &Elided;
        assert_eq!(authorize(auth, &headers("Bearer elided")).await, allowed("acme"));
    }

    #[tokio::test]
    async fn authorize_tries_key_then_raw() {
        let auth = StaticTokens::new(["secret"]);
        let key = STANDARD.encode("id:secret");
        assert_eq!(
            authorize(&auth, &headers(&format!("ApiKey {key}"))).await,
            allowed(vigil_api_types::access::DEFAULT_TENANT)
        );
        assert_eq!(authorize(&auth, &headers("Bearer nope")).await, AuthOutcome::Denied);
        assert_eq!(authorize(&auth, &HeaderMap::new()).await, AuthOutcome::Missing);
        assert!(StaticTokens::new([""]).ingest_tenant("").await.is_err());
    }
}

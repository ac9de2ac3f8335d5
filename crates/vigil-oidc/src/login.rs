//! The browser login: authorization code + PKCE (S256) as a public client, with the state, the
//! nonce and the PKCE verifier kept here (never in the browser), single use and short-lived. The
//! callback must come back to the browser that started the login (its state cookie), from this
//! issuer (RFC 9207 `iss`), and its ID token must carry the nonce.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, Client, ClientId, CsrfToken, EndpointNotSet, EndpointSet, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardRevocableToken, StandardTokenResponse, TokenUrl,
    basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType},
};
use serde::{Deserialize, Serialize};
use vigil_api_types::access::Principal;

use crate::{Oidc, Rejected, verify};

/// A login not finished within this is forgotten.
pub const LOGIN_TTL: Duration = Duration::from_secs(10 * 60);
/// Logins in progress at most (beyond this the oldest is forgotten).
const MAX_PENDING: usize = 10_000;

/// The token answer with the ID token oauth2's basic answer drops.
#[derive(Clone, Serialize, Deserialize)]
pub struct IdTokenField {
    pub id_token: String,
}

impl std::fmt::Debug for IdTokenField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdTokenField { id_token: <redacted> }")
    }
}
impl ExtraTokenFields for IdTokenField {}

type TokenAnswer = StandardTokenResponse<IdTokenField, BasicTokenType>;
type CodeClient = Client<
    BasicErrorResponse,
    TokenAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Why a login did not complete. None of the texts repeats a code or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    #[error("the OpenID login is not configured ([oidc.console])")]
    NotConfigured,
    #[error("the identity provider is not reachable yet")]
    NotReady,
    #[error("too many logins in progress; try again in a minute")]
    Busy,
    #[error("this login was not started by this browser, was used already or has expired: start again")]
    State,
    #[error("the answer names another issuer")]
    Issuer,
    #[error("the identity provider refused the login: {0}")]
    Denied(String),
    #[error("the code exchange failed: {0}")]
    Exchange(String),
    #[error("the ID token was not accepted: {0}")]
    IdToken(Rejected),
}

/// What `/api/v1/auth/oidc/callback` receives (its `Debug` shows no code or state).
#[derive(Clone, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("code", &self.code.as_ref().map(|_| "<redacted>"))
            .field("state", &self.state.as_ref().map(|_| "<redacted>"))
            .field("iss", &self.iss)
            .field("error", &self.error)
            .finish()
    }
}

/// A started login: send the browser to `url`, and keep `state` in its cookie.
#[derive(Clone)]
pub struct Started {
    pub url: String,
    pub state: String,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Started { url: <redacted>, state: <redacted> }")
    }
}

struct Pending {
    verifier: String,
    nonce: String,
    return_to: String,
    born: Instant,
}

/// Logins in progress, by state.
#[derive(Default)]
pub(crate) struct PendingLogins(Mutex<HashMap<String, Pending>>);

impl PendingLogins {
    fn insert(&self, state: String, pending: Pending) -> Result<(), LoginError> {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, p| p.born.elapsed() < LOGIN_TTL);
        // Full (a flood of started logins): the oldest gives way, so that starting a login
        // always works; the server also limits how often one address may start one.
        if map.len() >= MAX_PENDING
            && let Some(oldest) = map.iter().min_by_key(|(_, p)| p.born).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(state, pending);
        Ok(())
    }

    fn take(&self, state: &str) -> Option<Pending> {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(state).filter(|p| p.born.elapsed() < LOGIN_TTL)
    }
}

/// A same-origin path to return to after the login (anything else returns to `/`).
pub fn safe_return_path(path: Option<&str>) -> String {
    match path {
        // No control characters or spaces either: browsers drop tabs and newlines from a
        // Location before resolving it, so `/\t/evil.example` would become `//evil.example`.
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && p.len() <= 512
                && p.bytes().all(|b| b > b' ' && b != 0x7f) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn eq_constant_time(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Oidc {
    fn code_client(&self) -> Result<CodeClient, LoginError> {
        let console = self.config.console.as_ref().ok_or(LoginError::NotConfigured)?;
        let discovery = self.keys.discovery().ok_or(LoginError::NotReady)?;
        let (Some(auth), Some(token)) = (&discovery.authorization_endpoint, &discovery.token_endpoint) else {
            return Err(LoginError::Exchange(
                "the provider names no authorization or token endpoint".into(),
            ));
        };
        // The code and the PKCE verifier travel to the token endpoint: https (or loopback http
        // when allowed), as for the issuer.
        for endpoint in [auth, token] {
            crate::jwks::check_url(endpoint, self.config.allow_http)
                .map_err(|e| LoginError::Exchange(format!("the provider's endpoint is refused: {e}")))?;
        }
        let bad = |e: oauth2::url::ParseError| LoginError::Exchange(e.to_string());
        Ok(Client::new(ClientId::new(console.client_id.clone()))
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::new(auth.clone()).map_err(bad)?)
            .set_token_uri(TokenUrl::new(token.clone()).map_err(bad)?)
            .set_redirect_uri(RedirectUrl::new(console.redirect_uri.clone()).map_err(bad)?))
    }

    /// Starts a login that will return to `return_to` (a same-origin path).
    pub fn login_start(&self, return_to: Option<&str>) -> Result<Started, LoginError> {
        let client = self.code_client()?;
        let console = self.config.console.as_ref().ok_or(LoginError::NotConfigured)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(console.scopes.iter().cloned().map(Scope::new))
            .add_extra_param("nonce", nonce.secret().clone())
            .set_pkce_challenge(challenge)
            .url();
        self.pending.insert(
            state.secret().clone(),
            Pending {
                verifier: verifier.secret().clone(),
                nonce: nonce.secret().clone(),
                return_to: safe_return_path(return_to),
                born: Instant::now(),
            },
        )?;
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
        })
    }

    /// Finishes a login: the principal and the path to return to.
    pub async fn login_finish(
        &self,
        cookie_state: Option<&str>,
        answer: Callback,
    ) -> Result<(Principal, String), LoginError> {
        let state = answer.state.as_deref().ok_or(LoginError::State)?;
        if !cookie_state.is_some_and(|c| eq_constant_time(c.as_bytes(), state.as_bytes())) {
            return Err(LoginError::State);
        }
        let pending = self.pending.take(state).ok_or(LoginError::State)?;
        if answer.iss.as_deref().is_some_and(|iss| iss != self.config.issuer) {
            return Err(LoginError::Issuer);
        }
        if let Some(error) = answer.error {
            return Err(LoginError::Denied(error.chars().take(64).collect()));
        }
        let code = answer.code.ok_or(LoginError::State)?;
        let client = self.code_client()?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| LoginError::Exchange(exchange_error(&e)))?;
        let console = self.config.console.as_ref().ok_or(LoginError::NotConfigured)?;
        let claims = verify::id_token(
            self,
            &tokens.extra_fields().id_token,
            &console.client_id,
            &pending.nonce,
        )
        .await
        .map_err(LoginError::IdToken)?;
        let principal = self.config.claims.principal(&claims).map_err(LoginError::IdToken)?;
        Ok((principal, pending.return_to))
    }
}

/// The exchange error without the provider's free text beyond its error code.
fn exchange_error<RE: std::error::Error + 'static>(
    e: &oauth2::RequestTokenError<RE, oauth2::StandardErrorResponse<oauth2::basic::BasicErrorResponseType>>,
) -> String {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => r.error().to_string(),
        oauth2::RequestTokenError::Request(_) => "the provider could not be reached".into(),
        oauth2::RequestTokenError::Parse(..) => "the provider's answer does not read".into(),
        oauth2::RequestTokenError::Other(_) => "unexpected answer".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_origin_paths_are_returned_to() {
        assert_eq!(safe_return_path(Some("/alerts?x=1")), "/alerts?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example/",
            "/\\evil",
            "evil",
            "",
            "/\t/evil.example/x",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
            "/\u{7f}/evil.example",
        ] {
            assert_eq!(safe_return_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_path(None), "/");
    }
}

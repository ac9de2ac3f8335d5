//! OpenID Connect for Vigil, without HTTP serving in it:
//!
//! - [`Oidc`]: discovery of one issuer, its signing keys (a JWKS cache refreshed on a timer and
//!   re-fetched, at most once per `jwks_min_refetch`, when a token names a key it does not hold —
//!   that is how a rotation is picked up without a restart);
//! - [`Oidc::verify_access_token`]: a bearer JWT checked against an algorithm allow-list (only
//!   asymmetric algorithms: `none` and the HMAC family can never be configured), the issuer, the
//!   audience, `exp`/`nbf` with a leeway, the RFC 9068 `typ`, and refused when it is an ID token;
//!   then its claims mapped to a [`Principal`] ([`ClaimMap`]);
//! - [`login`]: the browser login by authorization code + PKCE (oauth2 5), with the state, the
//!   nonce and the PKCE verifier kept server-side, single use.
//!
//! Secrets (tokens, codes) are never logged.

mod claims;
mod config;
mod jwks;
pub mod login;
mod verify;

pub use claims::{ClaimMap, TenantFrom};
pub use config::{ASYMMETRIC, ConsoleConfig, OidcConfig};
pub use jwks::Discovery;
pub use verify::Rejected;

use std::sync::Arc;
use std::time::Duration;

use vigil_api_types::access::Principal;

/// Errors of talking to the identity provider or of its documents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    #[error("the OpenID configuration is invalid: {0}")]
    Config(String),
    #[error("{url}: {message}")]
    Fetch { url: String, message: String },
    #[error("the identity provider is not reachable yet (its keys are not loaded)")]
    NotReady,
}

/// One identity provider: its discovery document, its keys and the rules to map its tokens.
pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    keys: Arc<jwks::KeyCache>,
    pending: login::PendingLogins,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// An identity provider not contacted yet: call [`Oidc::refresh`] (or run
    /// [`Oidc::keep_fresh`]) before tokens can be verified.
    pub fn new(config: OidcConfig) -> Result<Oidc, OidcError> {
        config.check()?;
        let http = jwks::http_client()?;
        Ok(Oidc {
            keys: Arc::new(jwks::KeyCache::new(config.jwks_min_refetch)),
            pending: login::PendingLogins::default(),
            config,
            http,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// Reads the discovery document (once) and the signing keys; returns how many keys are held.
    /// A failed fetch keeps the keys held before.
    pub async fn refresh(&self) -> Result<usize, OidcError> {
        self.keys.refresh(&self.http, &self.config).await
    }

    /// Refreshes the keys every `jwks_refresh` (retrying every few seconds while the provider
    /// cannot be reached) until `stop` resolves.
    pub async fn keep_fresh(self: Arc<Self>, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        // Keys loaded at start-up (by `refresh`) are not fetched again at once.
        let mut wait = if self.keys.discovery().is_some() {
            self.config.jwks_refresh
        } else {
            Duration::ZERO
        };
        loop {
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(wait) => {}
            }
            wait = match self.refresh().await {
                Ok(n) => {
                    tracing::debug!(keys = n, issuer = %self.config.issuer, "OpenID keys refreshed");
                    self.config.jwks_refresh
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot refresh the OpenID provider's keys; keeping the previous ones");
                    self.config.jwks_min_refetch.min(Duration::from_secs(10))
                }
            };
        }
    }

    /// The principal of a bearer access token, or why it is refused.
    pub async fn verify_access_token(&self, token: &str) -> Result<Principal, Rejected> {
        let claims = verify::access_token(self, token).await?;
        self.config.claims.principal(&claims)
    }

    /// Times the JWKS was fetched (to see rotations and the re-fetch limit at work).
    pub fn jwks_fetches(&self) -> u64 {
        self.keys.fetches()
    }
}

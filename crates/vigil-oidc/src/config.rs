//! The settings of one identity provider, checked as a whole.

use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::{ClaimMap, OidcError};

/// Every algorithm a token may be signed with: asymmetric only. `none` has no variant, and the
/// HMAC family is absent, so a provider's public key can never be used as an HMAC secret.
pub const ASYMMETRIC: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The largest clock skew allowed.
const MAX_LEEWAY: Duration = Duration::from_secs(300);
/// The shortest timer refresh of the keys.
const MIN_REFRESH: Duration = Duration::from_secs(60);
/// The shortest interval between re-fetches on unknown key ids.
const MIN_REFETCH: Duration = Duration::from_secs(5);

/// `[oidc]`: one issuer whose access tokens Vigil accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct OidcConfig {
    /// The issuer, exactly as its discovery document and its tokens' `iss` name it.
    pub issuer: String,
    /// The `aud` every access token must name (Vigil's API); never a client id.
    pub audience: String,
    /// Algorithms accepted, a subset of [`ASYMMETRIC`].
    pub algorithms: Vec<Algorithm>,
    /// Clock skew allowed on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// The keys are fetched again this often.
    pub jwks_refresh: Duration,
    /// A token naming an unknown key fetches the keys again at most once per this.
    pub jwks_min_refetch: Duration,
    /// Access tokens must carry `typ: at+jwt` (RFC 9068); off only for providers that omit it.
    pub require_at_jwt_typ: bool,
    /// Accept an `http://` issuer, only on a loopback address (tests, a provider beside Vigil).
    pub allow_http: bool,
    /// How claims become a principal.
    pub claims: ClaimMap,
    /// The browser login, when configured.
    pub console: Option<ConsoleConfig>,
}

/// `[oidc.console]`: the browser login by authorization code + PKCE (a public client).
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleConfig {
    pub client_id: String,
    /// Vigil's `/api/v1/auth/oidc/callback` as the browser reaches it.
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    /// A session started by an OpenID login ends this long after the login at the latest; the
    /// roles and tenant it acts with are those of the login, so keep it short enough that a
    /// change at the provider (someone leaving a group, or the organisation) takes effect soon.
    pub session_lifetime: Duration,
}

impl ConsoleConfig {
    /// Defaults for the scopes (`openid profile email`) and the session lifetime (8 hours).
    pub fn new(client_id: impl Into<String>, redirect_uri: impl Into<String>) -> ConsoleConfig {
        ConsoleConfig {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scopes: ["openid", "profile", "email"].map(String::from).to_vec(),
            session_lifetime: Duration::from_secs(8 * 3600),
        }
    }
}

impl OidcConfig {
    /// Defaults for everything but the issuer, the audience and the claims.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, claims: ClaimMap) -> OidcConfig {
        OidcConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            algorithms: ASYMMETRIC.to_vec(),
            leeway: Duration::from_secs(30),
            jwks_refresh: Duration::from_secs(15 * 60),
            jwks_min_refetch: Duration::from_secs(30),
            require_at_jwt_typ: true,
            allow_http: false,
            claims,
            console: None,
        }
    }

    /// Every problem at once, each with the setting it is about (`console.scopes`, ...).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if let Err(e) = crate::jwks::check_url(&self.issuer, self.allow_http) {
            problems.push(("issuer", e.to_string()));
        }
        if self.audience.is_empty() {
            problems.push((
                "audience",
                "required (the `aud` Vigil's access tokens carry)".to_owned(),
            ));
        }
        if self.algorithms.is_empty() || self.algorithms.iter().any(|a| !ASYMMETRIC.contains(a)) {
            problems.push((
                "algorithms",
                "one or more of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA".to_owned(),
            ));
        }
        if self.leeway > MAX_LEEWAY {
            problems.push((
                "leeway",
                format!(
                    "at most {} s: a longer one in effect disables expiry",
                    MAX_LEEWAY.as_secs()
                ),
            ));
        }
        if self.jwks_refresh < MIN_REFRESH {
            problems.push(("jwks_refresh", format!("at least {} s", MIN_REFRESH.as_secs())));
        }
        if self.jwks_min_refetch < MIN_REFETCH {
            problems.push(("jwks_min_refetch", format!("at least {} s", MIN_REFETCH.as_secs())));
        }
        if let Some(console) = &self.console {
            if console.client_id.is_empty() {
                problems.push(("console.client_id", "required".to_owned()));
            }
            if console.client_id == self.audience {
                problems.push((
                    "console.client_id",
                    "must differ from audience (an ID token is not an access token)".to_owned(),
                ));
            }
            // RFC 9700 2.6: plain http only on loopback (the Secure cookies need https anyway).
            if url_parses(&console.redirect_uri).is_none()
                || crate::jwks::check_url(&console.redirect_uri, true).is_err()
            {
                problems.push((
                    "console.redirect_uri",
                    "Vigil's /api/v1/auth/oidc/callback as browsers reach it: an https URL (http only on a loopback address)"
                        .to_owned(),
                ));
            }
            if console.session_lifetime > Duration::from_secs(12 * 3600) {
                problems.push(("console.session_lifetime", "at most 12h".to_owned()));
            }
            if !console.scopes.iter().any(|s| s == "openid") {
                problems.push(("console.scopes", "must include `openid`".to_owned()));
            }
        }
        problems
    }

    pub(crate) fn check(&self) -> Result<(), OidcError> {
        let problems = self.problems();
        if problems.is_empty() {
            return Ok(());
        }
        let text: Vec<String> = problems.into_iter().map(|(k, m)| format!("{k}: {m}")).collect();
        Err(OidcError::Config(text.join("; ")))
    }
}

fn url_parses(text: &str) -> Option<reqwest::Url> {
    reqwest::Url::parse(text).ok()
}

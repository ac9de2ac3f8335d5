//! How requests prove who sends them: a bearer value resolves to a [`Principal`] — an API key
//! (`vgl_…`) through the key table, a JWT (when `[oidc]` is configured) as an access token of
//! the OpenID provider — for the API's routes (through the guard in `routes.rs`) and,
//! through [`IngestAuth`], the ingest inputs. Browsers send a session cookie instead.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, atomic::Ordering::Relaxed},
};

use axum::http::{HeaderMap, Method, header};
use vigil_api_types::access::{Permission, Principal};
use vigil_ingest::{IngestAuth, IngestRefusal};
use vigil_oidc::{Oidc, Rejected};
use vigil_state::{State, StateError};

use crate::{ApiContext, ApiError, ErrorCode};

/// Checks bearer values: API keys against the key table, JWTs with the OpenID provider.
#[derive(Debug, Clone)]
pub struct TokenAuth {
    pub state: State,
    /// `[oidc]`: the provider whose access tokens are accepted (`None`: API keys only).
    pub oidc: Option<Arc<Oidc>>,
}

/// Why a bearer value was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error("unknown, revoked or expired API key")]
    UnknownKey,
    #[error("bearer token refused: {0}")]
    Token(Rejected),
    #[error("key check: {0}")]
    State(#[from] StateError),
}

impl AuthFailure {
    /// The answer: 401 for bad credentials, 403 for a valid token without a Vigil role, 503 when
    /// the provider's keys are not loaded yet.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            AuthFailure::Token(Rejected::NoRole) => ApiError::new(
                ErrorCode::Forbidden,
                "the token is valid but none of its roles or groups maps to a Vigil role ([oidc.role_map])",
            ),
            AuthFailure::Token(Rejected::Unavailable) => ApiError::new(
                ErrorCode::Unavailable,
                "the identity provider's keys are not loaded yet; retry shortly",
            )
            .retry_after(std::time::Duration::from_secs(5)),
            AuthFailure::State(e) => ApiError::internal("token check", e),
            other => ApiError::new(ErrorCode::Unauthorized, other.to_string()),
        }
    }
}

impl TokenAuth {
    /// The principal a bearer value stands for.
    pub async fn resolve(&self, secret: &str) -> Result<Principal, AuthFailure> {
        match &self.oidc {
            Some(oidc) if looks_like_jwt(secret) => oidc.verify_access_token(secret).await.map_err(AuthFailure::Token),
            // `verify_token` already refuses revoked and expired keys.
            _ => match self.state.verify_token(secret).await? {
                Some(info) => Ok(info.principal()),
                None => Err(AuthFailure::UnknownKey),
            },
        }
    }

    /// The principal a secret stands for; `None` for anything not accepted.
    pub async fn principal(&self, secret: &str) -> Result<Option<Principal>, StateError> {
        match self.resolve(secret).await {
            Ok(principal) => Ok(Some(principal)),
            Err(AuthFailure::State(e)) => Err(e),
            Err(AuthFailure::Token(reason)) => {
                tracing::debug!(%reason, "bearer token refused");
                Ok(None)
            }
            Err(AuthFailure::UnknownKey) => Ok(None),
        }
    }
}

impl IngestAuth for TokenAuth {
    /// A key or token that may ingest writes into its own tenant; while the identity provider's
    /// keys are not loaded a JWT is `Unavailable` (503: senders retry instead of dropping).
    fn ingest_tenant(&self, token: &str) -> Pin<Box<dyn Future<Output = Result<Arc<str>, IngestRefusal>> + Send + '_>> {
        let token = token.to_string();
        Box::pin(async move {
            match self.resolve(&token).await {
                Ok(p) if p.can(Permission::EventIngest) => Ok(Arc::from(p.tenant)),
                Err(AuthFailure::Token(Rejected::Unavailable)) => Err(IngestRefusal::Unavailable),
                Err(AuthFailure::State(e)) => {
                    tracing::error!(error = %e, "token check failed");
                    Err(IngestRefusal::Unavailable)
                }
                _ => Err(IngestRefusal::Invalid),
            }
        })
    }
}

/// What a session whose password must change may reach.
pub const WHILE_PASSWORD_MUST_CHANGE: &[&str] = &["/api/v1/me", "/api/v1/auth/password", "/api/v1/auth/logout"];

/// A compact JWS (`header.payload.signature`); API keys never contain a dot.
fn looks_like_jwt(secret: &str) -> bool {
    secret.bytes().filter(|&b| b == b'.').count() == 2
}

/// The principal of `Authorization: Bearer <secret>`, or the 401 that says what is wrong.
/// A request without `Authorization` may instead carry a local user's session cookie; an unsafe
/// request authenticated that way must come from the server's own origin (`session.rs`).
///
/// A local user whose password was generated must choose their own first: their session reaches
/// only [`WHILE_PASSWORD_MUST_CHANGE`] until then (403 `password_change_required`).
pub async fn principal_of(
    ctx: &ApiContext,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    if headers.get(header::AUTHORIZATION).is_none()
        && let Some(secret) = crate::session::session_cookie(headers)
    {
        crate::session::same_origin(method, headers)?;
        return match ctx.state.session_principal(secret, jiff::Timestamp::now()).await {
            Ok(Some(session)) if session.must_change_password && !WHILE_PASSWORD_MUST_CHANGE.contains(&path) => {
                Err(ApiError::new(
                    ErrorCode::PasswordChangeRequired,
                    "choose your own password first: POST /api/v1/auth/password",
                ))
            }
            Ok(Some(session)) => Ok(session.principal),
            Ok(None) => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "the session has ended: log in again",
            )),
            Err(e) => Err(ApiError::internal("session check", &e)),
        };
    }
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "missing Authorization: Bearer <token> (create an API key with `vigil apikey create`)",
        ));
    };
    let Some(secret) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "the Authorization header must be `Bearer <token>`",
        ));
    };
    ctx.auth.resolve(secret.trim()).await.map_err(|e| e.to_api_error())
}

/// Takes one request from the principal's budget (`[http] api_rate_limit`), or answers 429.
pub fn rate_limit(ctx: &ApiContext, principal_id: &str) -> Result<(), ApiError> {
    let Some(limiter) = &ctx.limiter else {
        return Ok(());
    };
    limiter.check(principal_id, std::time::Instant::now()).map_err(|wait| {
        ctx.metrics.api_rate_limited.fetch_add(1, Relaxed);
        let message = format!(
            "{principal_id} is over its API rate limit ([http] api_rate_limit); retry after {} ms",
            wait.as_millis().max(1)
        );
        ApiError::new(ErrorCode::RateLimited, message).retry_after(wait)
    })
}

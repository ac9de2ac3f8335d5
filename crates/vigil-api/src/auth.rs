//! How requests prove who sends them: bearer secrets checked against the key table resolve to a
//! [`Principal`], for the API's routes (through the guard in `routes.rs`) and, through
//! [`IngestAuth`], the ingest inputs.

use std::{future::Future, pin::Pin, sync::atomic::Ordering::Relaxed};

use axum::http::{HeaderMap, Method, header};
use vigil_api_types::access::{Permission, Principal};
use vigil_ingest::IngestAuth;
use vigil_state::{State, StateError};

use crate::{ApiContext, ApiError, ErrorCode};

/// Checks bearer secrets against the key table.
#[derive(Debug, Clone)]
pub struct TokenAuth {
    pub state: State,
}

impl TokenAuth {
    /// The principal a secret stands for; `None` for unknown, revoked or expired secrets.
    pub async fn principal(&self, secret: &str) -> Result<Option<Principal>, StateError> {
        // `verify_token` already refuses revoked and expired keys.
        Ok(self.state.verify_token(secret).await?.map(|info| info.principal()))
    }
}

impl IngestAuth for TokenAuth {
    /// A key that may ingest writes into its own tenant.
    fn ingest_tenant(&self, token: &str) -> Pin<Box<dyn Future<Output = Option<std::sync::Arc<str>>> + Send + '_>> {
        let token = token.to_string();
        Box::pin(async move {
            match self.principal(&token).await {
                Ok(principal) => principal
                    .filter(|p| p.can(Permission::EventIngest))
                    .map(|p| std::sync::Arc::from(p.tenant)),
                Err(e) => {
                    tracing::error!(error = %e, "token check failed");
                    None
                }
            }
        })
    }
}

/// The principal of `Authorization: Bearer <secret>`, or the 401 that says what is wrong.
/// A request without `Authorization` may instead carry a local user's session cookie; an unsafe
/// request authenticated that way must come from the server's own origin (`session.rs`).
pub async fn principal_of(ctx: &ApiContext, method: &Method, headers: &HeaderMap) -> Result<Principal, ApiError> {
    if headers.get(header::AUTHORIZATION).is_none()
        && let Some(secret) = crate::session::session_cookie(headers)
    {
        crate::session::same_origin(method, headers)?;
        return match ctx.state.session_user(secret, jiff::Timestamp::now()).await {
            Ok(Some(user)) => Ok(user.principal()),
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
    match ctx.auth.principal(secret.trim()).await {
        Ok(Some(principal)) => Ok(principal),
        Ok(None) => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "unknown, revoked or expired API key",
        )),
        Err(e) => Err(ApiError::internal("token check", &e)),
    }
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

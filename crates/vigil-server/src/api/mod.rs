//! The REST API: search, alerts, dead letters, rules, native ingest, health and metrics.
//!
//! Every error is JSON `{"error": {"code": "...", "message": "..."}}` with a stable code (see
//! [`ApiError`]); internal details are logged, never sent.

mod ingest;
mod ops;
mod records;
mod search;

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64},
};

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use vigil_spool::Spool;
use vigil_state::{Scope, State};
use vigil_store::EventStore;

use crate::{
    engine::RuleHolder,
    metrics::Metrics,
    sink::{SpoolSink, TokenAuth},
};

/// What every handler can reach.
#[derive(Debug)]
pub struct ApiContext {
    pub store: Arc<EventStore>,
    pub state: State,
    pub rules: Arc<RuleHolder>,
    pub metrics: Arc<Metrics>,
    pub spool: Arc<Spool>,
    pub sink: SpoolSink,
    pub auth: TokenAuth,
    /// The pipeline's next spool sequence number.
    pub position: Arc<AtomicU64>,
    /// False once the pipeline has stopped (readiness fails).
    pub pipeline_alive: Arc<AtomicBool>,
    pub max_body_bytes: usize,
    /// Counters of the native ingest endpoint (input `api`).
    pub api_ingest: Arc<vigil_ingest::InputMetrics>,
    /// Per-token limits of the non-ingest routes (`None`: unlimited).
    pub limiter: Option<Arc<crate::rate_limit::RateLimiter>>,
    /// Keyed native ingest streams (idempotent resends).
    pub streams: Arc<crate::streams::Streams>,
}

pub type Ctx = Arc<ApiContext>;

/// The API routes (merged with the ingest routes by the server).
pub fn router(ctx: Ctx) -> Router {
    let max_body = ctx.max_body_bytes;
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/api/v1/status", get(ops::status))
        .route("/api/v1/search", post(search::search))
        .route("/api/v1/alerts", get(records::alerts))
        .route("/api/v1/dead-letters", get(records::dead_letters))
        .route("/api/v1/rules", get(records::rules))
        .route("/api/v1/rules/reload", post(records::reload_rules))
        .route("/api/v1/ingest", post(ingest::ingest))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(ctx)
}

/// An API error with a stable machine-readable code.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Sent as `Retry-After` (whole seconds, at least 1).
    pub retry_after: Option<std::time::Duration>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// Logs the real cause and answers with a generic message.
    pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{context}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("{context} failed; see the server log"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        response
    }
}

/// Requires `Authorization: Bearer <token>` with a scope allowing `needed`; gives the token's id.
pub async fn authorize(ctx: &ApiContext, headers: &HeaderMap, needed: Scope) -> Result<String, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing Authorization: Bearer <token> (create one with `vigil token create`)",
        ));
    };
    let Some(secret) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the Authorization header must be `Bearer <token>`",
        ));
    };
    match ctx.state.verify_token(secret.trim()).await {
        Ok(Some(info)) if !info.revoked && info.scope.allows(needed) => {
            // Ingest has the spool's backpressure; the other routes share the token's budget.
            if needed != Scope::Ingest
                && let Some(limiter) = &ctx.limiter
                && let Err(wait) = limiter.check(&info.id, std::time::Instant::now())
            {
                ctx.metrics
                    .api_rate_limited
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!(
                        "token {} is over its API rate limit ([http] api_rate_limit); retry after {} ms",
                        info.id,
                        wait.as_millis().max(1)
                    ),
                );
                e.retry_after = Some(wait);
                return Err(e);
            }
            Ok(info.id)
        }
        Ok(Some(info)) if !info.revoked => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this {} token cannot do what needs scope {needed}", info.scope),
        )),
        Ok(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "unknown or revoked token",
        )),
        Err(e) => Err(ApiError::internal("token check", &e)),
    }
}

//! The HTTP API of `vigil serve`: search, alerts, dead letters, rules, native ingest, health and
//! metrics; token authentication, per-token rate limits, and the human units its parameters use.
//!
//! Every error is JSON `{"error": {"code": "...", "message": "..."}}` with a code of the one table
//! ([`ErrorCode`], rendered in `docs/http-errors.md`), including 404, 405, 413, 414 and every
//! extractor's rejection (see `extract.rs`); internal details are logged, never sent.

mod alert_events;
pub mod auth;
mod error;
mod extract;
mod ingest;
mod ops;
pub mod rate_limit;
mod records;
mod search;
pub mod serde_text;

pub use error::{ApiError, ErrorCode};
pub use extract::{JsonBody, MAX_URI_BYTES, Params, RawBody, parse_json};

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64},
};

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderMap, header},
    routing::{get, post},
};
use vigil_spool::Spool;
use vigil_state::{Scope, State};
use vigil_store::EventStore;

use vigil_runtime::{engine::RuleHolder, metrics::Metrics, sink::SpoolSink, streams::Streams};

use crate::{auth::TokenAuth, rate_limit::RateLimiter};

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
    pub limiter: Option<Arc<RateLimiter>>,
    /// Whether `/metrics` needs a read (or admin) token (`[http] metrics_auth`).
    pub metrics_auth: bool,
    /// Keyed native ingest streams (idempotent resends).
    pub streams: Arc<Streams>,
}

pub type Ctx = Arc<ApiContext>;

/// The API routes. A wrong method gets the JSON 405 (the ingest routes answer theirs in their
/// protocol's shape); use [`app`] for the whole listener.
pub fn router(ctx: Ctx) -> Router {
    let max_body = ctx.max_body_bytes;
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/api/v1/status", get(ops::status))
        .route("/api/v1/search", post(search::search))
        .route("/api/v1/alerts", get(records::alerts))
        .route("/api/v1/alerts/{id}", get(alert_events::alert))
        .route("/api/v1/alerts/{id}/events", get(alert_events::alert_events))
        .route("/api/v1/dead-letters", get(records::dead_letters))
        .route("/api/v1/rules", get(records::rules))
        .route("/api/v1/rules/reload", post(records::reload_rules))
        .route("/api/v1/ingest", post(ingest::ingest))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(ctx)
        .method_not_allowed_fallback(vigil_ingest::http::method_not_allowed)
}

/// Everything the HTTP listener serves: the API and the `ingest` routes, a JSON 404 for every
/// other path, and a JSON 414 for request targets over [`MAX_URI_BYTES`].
pub fn app(ctx: Ctx, ingest: Router) -> Router {
    router(ctx)
        .merge(ingest)
        .fallback(extract::not_found)
        .layer(axum::middleware::from_fn(extract::limit_uri))
}

/// Requires `Authorization: Bearer <token>` with a scope allowing `needed`; gives the token's id.
pub async fn authorize(ctx: &ApiContext, headers: &HeaderMap, needed: Scope) -> Result<String, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "missing Authorization: Bearer <token> (create one with `vigil token create`)",
        ));
    };
    let Some(secret) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
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
                let message = format!(
                    "token {} is over its API rate limit ([http] api_rate_limit); retry after {} ms",
                    info.id,
                    wait.as_millis().max(1)
                );
                return Err(ApiError::new(ErrorCode::RateLimited, message).retry_after(wait));
            }
            Ok(info.id)
        }
        Ok(Some(info)) if !info.revoked => Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("this {} token cannot do what needs scope {needed}", info.scope),
        )),
        Ok(_) => Err(ApiError::new(ErrorCode::Unauthorized, "unknown or revoked token")),
        Err(e) => Err(ApiError::internal("token check", &e)),
    }
}

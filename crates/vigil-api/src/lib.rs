//! The HTTP API of `vigil serve`: search, alerts, incidents, suppression rules, dead letters,
//! rules, native ingest, health and metrics; principals from bearer keys, one permission per route
//! (`routes.rs`), per-principal rate limits, and the human units its parameters use. Its OpenAPI
//! 3.1 document is generated from the code (`openapi.rs`) and shown by a docs page served from the
//! binary (`docs.rs`).
//!
//! Every error is JSON `{"error": {"code": "...", "message": "..."}}` with a code of the one table
//! ([`ErrorCode`], rendered in `docs/http-errors.md`), including 404, 405, 413, 414 and every
//! extractor's rejection (see `extract.rs`); internal details are logged, never sent.

mod admin;
mod admin_view;
mod alert_events;
pub mod alert_stream;
mod attachments;
pub mod audit;
pub mod auth;
pub mod console;
pub mod coverage;
mod docs;
mod error;
mod extract;
mod handover;
mod headers;
mod incident_report;
mod incidents;
mod ingest;
pub mod kpi_gauges;
mod kpi_trends;
pub mod kpis;
mod objects;
pub mod observable_scan;
mod observables;
pub mod oidc_login;
mod oncall;
pub mod openapi;
mod ops;
pub mod rate_limit;
pub mod records;
mod report_sections;
pub mod reports;
pub mod routes;
mod rule_catalog;
mod search;
pub mod serde_text;
pub mod session;
mod sources;
mod suppressions;
mod tasks;
mod triage;
mod validation;
mod views;

pub use attachments::AttachmentLimit;
pub use error::{ApiError, ErrorCode};
pub use extract::{JsonBody, MAX_URI_BYTES, Params, RawBody, parse_json};

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64},
};

use axum::{Router, extract::DefaultBodyLimit};
use vigil_spool::Spool;
use vigil_state::State;
use vigil_store::EventStore;

use vigil_runtime::{
    engine::RuleHolder, metrics::Metrics, sink::SpoolSink, streams::Streams, suppression::SuppressionHolder,
};

use crate::{auth::TokenAuth, rate_limit::RateLimiter};

/// `[http] max_body` unless configured: the largest request body read, in bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 << 20;

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
    /// Per-principal limits of the non-ingest routes (`None`: unlimited).
    pub limiter: Option<Arc<RateLimiter>>,
    /// Whether `/metrics` needs `status:read` (`[http] metrics_auth`).
    pub metrics_auth: bool,
    /// Keyed native ingest streams (idempotent resends).
    pub streams: Arc<Streams>,
    /// Login attempts per client address ([`session::LOGIN_PER_MINUTE`]): each costs an Argon2
    /// hash, so guessing and floods are slowed far below the API's limit.
    pub login_limiter: Arc<RateLimiter>,
    /// Login attempts per user name, from all addresses ([`session::LOGIN_NAME_PER_MINUTE`]).
    pub login_name_limiter: Arc<RateLimiter>,
    /// Whether the listener serves HTTPS (answers then carry `Strict-Transport-Security`).
    pub tls: bool,
    /// The response workflow's priority matrix and SLA policies.
    pub respond: Arc<Respond>,
    /// The suppression rules the pipeline matches with: reloaded after every change made here.
    pub suppressions: Arc<SuppressionHolder>,
    /// The measure gauges of `/metrics`, refreshed by a server task ([`kpi_gauges`]).
    pub measure_gauges: Arc<kpi_gauges::MeasureGauges>,
    /// `[coverage]`: the ATT&CK bundle and scope (`None`: coverage answers `coverage_unconfigured`).
    pub coverage: Option<Arc<coverage::CoverageSetup>>,
}

/// The response workflow's settings (`[respond]`). SLA timers are computed at the server's
/// time when an incident is read; the functions behind them take the time as an argument
/// (`vigil_respond`), which is where tests drive it.
#[derive(Debug, Clone, Default)]
pub struct Respond {
    /// Priority from impact × urgency.
    pub matrix: vigil_respond::PriorityMatrix,
    /// SLA targets per priority, and their calendars.
    pub sla: vigil_respond::SlaPolicies,
    /// The largest evidence attachment stored (`[respond] attachment_max_bytes`).
    pub attachment_max_bytes: AttachmentLimit,
    /// The runbooks incidents take their first tasks from, and where they were read.
    pub runbooks: vigil_respond::Runbooks,
    pub runbooks_source: String,
    /// The on-call rotations of `[respond.oncall]`, by name (`GET /api/v1/oncall`).
    pub oncall: std::collections::BTreeMap<String, vigil_respond::Rotation>,
    /// What `GET /api/v1/policies` shows: `[respond]` and `[reports]` as configured, secrets left
    /// out (built by the server at start-up).
    pub policies: vigil_api_types::policies::Policies,
}

pub type Ctx = Arc<ApiContext>;

/// The API routes. A wrong method gets the JSON 405 (the ingest routes answer theirs in their
/// protocol's shape); use [`app`] for the whole listener.
pub fn router(ctx: Ctx) -> Router {
    let max_body = ctx.max_body_bytes;
    routes::build(&ctx)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(ctx)
        .method_not_allowed_fallback(vigil_ingest::http::method_not_allowed)
}

/// Everything the HTTP listener serves: the API and the `ingest` routes, a JSON 404 for every
/// other path, a JSON 414 for request targets over [`MAX_URI_BYTES`], and the security headers
/// on every answer (`headers.rs`).
pub fn app(ctx: Ctx, ingest: Router) -> Router {
    let tls = ctx.tls;
    router(ctx)
        .merge(ingest)
        .fallback(extract::not_found)
        .layer(axum::middleware::from_fn(console::page_for_browsers))
        .layer(axum::middleware::from_fn(extract::limit_uri))
        .layer(axum::middleware::from_fn_with_state(tls, headers::security_headers))
}

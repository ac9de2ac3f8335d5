//! Health, readiness, metrics and status.

use std::sync::atomic::Ordering::Relaxed;

use axum::{
    Extension, Json,
    extract::State as AxState,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{ApiError, Ctx, ErrorCode};
use vigil_api_types::access::{Me, Principal};
use vigil_api_types::status::{Health, NotReady, PipelineStatus, SpoolStatus, Status};
use vigil_runtime::metrics::Gauges;

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operations",
    summary = "Liveness",
    description = "The process answers: `{\"status\": \"ok\"}`.",
    responses((status = 200, description = "The server runs.", body = Health))
)]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

/// Readiness: the pipeline runs and the spool accepts records.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "operations",
    summary = "Readiness",
    description = "Whether the indexing pipeline runs and the spool accepts records.",
    responses(
        (status = 200, description = "Ready: `{\"status\": \"ready\"}`.", body = Health),
        (status = 503, description = "`not_ready`: the pipeline has stopped or the spool is full; `problems` says which.", body = NotReady),
    )
)]
pub async fn readyz(AxState(ctx): AxState<Ctx>) -> Response {
    let mut problems = Vec::new();
    if !ctx.pipeline_alive.load(Relaxed) {
        problems.push("the indexing pipeline has stopped");
    }
    // Within 1% of the limit counts as full.
    if ctx.spool.unprocessed_bytes() as f64 >= 0.99 * ctx.spool.max_bytes() as f64 {
        problems.push("the spool is full (inputs are being throttled)");
    }
    if problems.is_empty() {
        return (StatusCode::OK, Json(Health { status: "ready".into() })).into_response();
    }
    let error = ApiError::new(ErrorCode::NotReady, problems.join("; "));
    let body = NotReady {
        body: error.body(),
        status: "not_ready".into(),
        problems: problems.into_iter().map(str::to_string).collect(),
    };
    (error.status(), Json(body)).into_response()
}

impl super::ApiContext {
    pub fn gauges(&self) -> Gauges {
        let stats = self.store.stats();
        Gauges {
            spool_bytes: self.spool.unprocessed_bytes(),
            spool_disk_bytes: self.spool.held_bytes(),
            spool_committed: self.spool.committed(),
            spool_checkpoint: self.spool.checkpointed(),
            pipeline_position: self.position.load(Relaxed),
            store_events: stats.events,
            store_bytes: stats.bytes_on_disk,
            store_partitions: stats.partitions as u64,
            rules_compiled: self.rules.current().detector.compiled_rules() as u64,
        }
    }
}

/// Prometheus text exposition; with `[http] metrics_auth` it needs `status:read`.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    summary = "Prometheus metrics",
    description = "Counters and gauges of the inputs, the spool, the pipeline, the store and the API, in the Prometheus text format (0.0.4).",
    responses((status = 200, description = "The metrics.", body = String, content_type = "text/plain"))
)]
pub async fn metrics(AxState(ctx): AxState<Ctx>) -> Result<Response, ApiError> {
    let mut text = ctx.metrics.render(&ctx.gauges());
    text.push_str(&ctx.measure_gauges.render());
    text.push_str(&crate::alert_stream::render_metrics());
    if let Some(oidc) = &ctx.auth.oidc {
        text.push_str(&format!(
            "# HELP vigil_oidc_jwks_fetches_total Times the OpenID provider's signing keys were fetched (timer, rotation, unknown kid).\n\
             # TYPE vigil_oidc_jwks_fetches_total counter\nvigil_oidc_jwks_fetches_total {}\n",
            oidc.jwks_fetches()
        ));
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}

/// `GET /api/v1/me`: who the request's credentials stand for, and what they may do.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "me",
    tag = "identity",
    summary = "Who am I",
    description = "The principal the request's API key stands for (id, kind, name, tenant, roles) and its effective permissions.",
    responses((status = 200, description = "The principal and its permissions.", body = Me))
)]
pub async fn me(Extension(principal): Extension<Principal>) -> Json<Me> {
    let permissions = principal.permissions();
    Json(Me { principal, permissions })
}

/// Pipeline, spool, store and rule state at a glance.
#[utoipa::path(
    get,
    path = "/api/v1/status",
    operation_id = "status",
    tag = "operations",
    summary = "Server status",
    description = "The spool, the pipeline, the store and the running rules at a glance, and counters since start.",
    responses((status = 200, description = "The status.", body = Status))
)]
pub async fn status(AxState(ctx): AxState<Ctx>) -> Result<Json<Status>, ApiError> {
    let g = ctx.gauges();
    let rules = ctx.rules.current();
    Ok(Json(Status {
        spool: SpoolStatus {
            bytes: g.spool_bytes,
            disk_bytes: g.spool_disk_bytes,
            committed_seq: g.spool_committed,
            checkpoint_seq: g.spool_checkpoint,
        },
        pipeline: PipelineStatus {
            position: g.pipeline_position,
            lag: g.detect_lag(),
            store_lag: g.store_lag(),
            alive: ctx.pipeline_alive.load(Relaxed),
        },
        store: ctx.store.stats(),
        rules: rules.report.clone(),
        events_indexed: ctx.metrics.events_indexed.load(Relaxed),
        alerts: ctx.metrics.alerts.load(Relaxed),
        dead_letters: ctx.metrics.dead_letters.load(Relaxed),
        dropped: ctx.metrics.dropped.load(Relaxed),
    }))
}

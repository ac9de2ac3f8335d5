//! Detection validation over HTTP (issue 17 "Measure"): `POST /api/v1/validation/runs` replays a
//! plan's sample events through the rule set the pipeline runs right now and keeps the results;
//! `GET /api/v1/validation/runs` is the history of the detection rate, `GET …/{id}` one run.
//!
//! The evaluation ([`vigil_runtime::validation`]) reads the detector only: no alert, event,
//! correlation state or spool record is written. A run is audited as `validation.run`.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    extract::{ConnectInfo, Path, State as AxState, rejection::PathRejection},
    http::{StatusCode, Uri},
};
use jiff::Timestamp;
use vigil_api_types::access::Principal;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::validation::{NewValidationRun, ValidationRun, ValidationRunList, ValidationRunSummary};
use vigil_runtime::validation::{evaluate, fingerprint};
use vigil_state::validation::{MAX_LISTED, RUN_ACTION};

use super::objects::{actor, peer_of};
use super::{ApiError, Ctx, ErrorCode, JsonBody, Params, records};

/// `POST /api/v1/validation/runs`.
#[utoipa::path(
    post,
    path = "/api/v1/validation/runs",
    operation_id = "create_validation_run",
    tag = "validation",
    summary = "Run a detection validation",
    description = "Replays each test's events (JSON objects as ingest receives them; an EVTX record as its JSON rendering, which `vigil validate` sends) through the rule set the server runs now, without writing any alert, event or correlation state, and keeps the results in the principal's tenant. Per test: `detected` (an expected rule, or a rule mapped to an expected technique or a sub-technique of it, alerted), `other_rule` (only other rules alerted), `logged` (no alert, but an expected rule is enabled and the events' logsource reaches it), `missed` (nothing saw them); per technique the best outcome of its tests; the detection rate is detected ÷ tests. The body is at most `[http] max_body` bytes. Audited as `validation.run`.",
    request_body = NewValidationRun,
    responses(
        (status = 201, description = "The run with its results.", body = ValidationRun),
        (status = 400, description = "`bad_request`: no test, a test without expectations, an id given twice, an invalid technique id, an event that is not a JSON object, too many tests or events (the message names the test).", body = ErrorBody),
        (status = 413, description = "`body_too_large`: the body is larger than `[http] max_body`.", body = ErrorBody),
    )
)]
pub async fn create(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    body: Result<JsonBody<NewValidationRun>, ApiError>,
) -> Result<(StatusCode, Json<ValidationRun>), ApiError> {
    Params::of(&uri, &[])?;
    let JsonBody(new) = body?;
    new.check().map_err(ApiError::bad_request)?;
    // The set the pipeline evaluates with now (a reload swaps it whole; this run keeps its own).
    let rules = ctx.rules.current();
    let (generation, plan) = (rules.generation, new.plan.clone());
    let (results, print) = tokio::task::spawn_blocking(move || (evaluate(&rules, &new.tests), fingerprint(&rules)))
        .await
        .map_err(|e| ApiError::internal("validation task", &e))?;
    let summary = ValidationRunSummary {
        id: String::new(),
        at: Timestamp::now(),
        plan,
        author: principal.id.clone(),
        generation,
        fingerprint: print,
        tests: 0,
        detected: 0,
        other_rule: 0,
        logged: 0,
        missed: 0,
        detection_rate: 0.0,
    };
    let run = ValidationRun::from_results(summary, results);
    let who = actor(&principal, RUN_ACTION, peer_of(peer));
    let stored = ctx
        .state
        .create_validation_run(&principal.tenant, &run, &who)
        .await
        .map_err(|e| records::state_error("storing a validation run", e))?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `GET /api/v1/validation/runs`.
#[utoipa::path(
    get,
    path = "/api/v1/validation/runs",
    operation_id = "list_validation_runs",
    tag = "validation",
    summary = "Validation history",
    description = "The principal's tenant's validation runs, newest first, with their counts and detection rate (the trend): at most `limit` (1 to 1000, default 100).",
    params(("limit" = Option<u32>, Query, description = "Most runs returned (1 to 1000, default 100).")),
    responses(
        (status = 200, description = "The runs, newest first.", body = ValidationRunList),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice.", body = ErrorBody),
    )
)]
pub async fn list(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<ValidationRunList>, ApiError> {
    let p = Params::of(&uri, &["limit"])?;
    let limit = records::read_limit(&p)?.min(MAX_LISTED);
    let runs = ctx
        .state
        .validation_runs(&principal.tenant, limit)
        .await
        .map_err(|e| records::state_error("listing validation runs", e))?;
    Ok(Json(ValidationRunList { runs }))
}

/// `GET /api/v1/validation/runs/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/validation/runs/{id}",
    operation_id = "get_validation_run",
    tag = "validation",
    summary = "One validation run",
    description = "A run of the principal's tenant with its per-test results (outcome, the rules that fired, why) and per-technique roll-up.",
    params(("id" = String, Path, description = "The run's id (`val-…`).")),
    responses(
        (status = 200, description = "The run.", body = ValidationRun),
        (status = 404, description = "`not_found`: no run has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn get(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ValidationRun>, ApiError> {
    Params::of(&uri, &[])?;
    let Path(id) = id.map_err(|_| ApiError::bad_request("the run id in the path is not valid"))?;
    ctx.state
        .validation_run(&principal.tenant, &id)
        .await
        .map_err(|e| records::state_error("reading a validation run", e))?
        .map(Json)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no validation run `{id}` in this tenant")))
}

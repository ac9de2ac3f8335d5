//! Alerts, dead letters and rules.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Extension, Json,
    extract::{ConnectInfo, Request, State as AxState},
    http::{StatusCode, Uri},
    response::{IntoResponse, Response},
};
use jiff::Timestamp;
use serde_json::json;
use vigil_api_types::access::Principal;
use vigil_api_types::audit::AuditOutcome;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::rules::{ReloadAnswer, ReloadFailed, RulesAnswer, RulesReport};
use vigil_api_types::triage::AlertStatus;
use vigil_event::{DeadLetterCode, Level};
use vigil_runtime::{
    engine::{RuleHolder, RulesError},
    metrics::Metrics,
};
use vigil_state::{AlertPage, AlertQuery, DeadLetterPage, DeadLetterQuery, NewAuditEntry, State};

use super::{ApiError, Ctx, ErrorCode, Params, audit};
use vigil_api_types::units::parse_time;

/// `limit`: 1 to 1000 (default 100).
pub(crate) fn read_limit(p: &Params) -> Result<u32, ApiError> {
    let limit = p.read("limit", |v| match v.trim().parse::<u32>() {
        Ok(n @ 1..=1000) => Ok(n),
        _ => Err(format!("`{v}` is not a number between 1 and 1000")),
    })?;
    Ok(limit.unwrap_or(100))
}

/// `true` or `false`.
pub(crate) fn read_bool(v: &str) -> Result<bool, String> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("`{v}` is not true or false")),
    }
}

pub(crate) fn read_time(p: &Params, name: &str) -> Result<Option<Timestamp>, ApiError> {
    let now = Timestamp::now();
    p.read(name, |v| parse_time(v, now))
}

/// State errors: a bad cursor names the parameter; others are the server's.
pub(crate) fn state_error(context: &str, e: vigil_state::StateError) -> ApiError {
    match e {
        vigil_state::StateError::InvalidCursor => ApiError::param(
            "cursor",
            "not a cursor of this listing (pass the next_cursor of the previous page)",
        ),
        vigil_state::StateError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
        // Its message names the field already.
        vigil_state::StateError::InvalidInput(message) => ApiError::bad_request(message),
        e if e.is_client_error() => ApiError::bad_request(e.to_string()),
        e => ApiError::internal(context, &e),
    }
}

/// `GET /api/v1/alerts`: newest first, filtered, paginated by cursor.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    operation_id = "list_alerts",
    tag = "alerts",
    summary = "List alerts",
    description = "Alerts newest first, filtered by the time they were raised (`since`, `until`), rule and level; a page at a time.",
    params(
        crate::openapi::Listing,
        ("rule_id" = Option<String>, Query, description = "Only alerts of this rule (its id)."),
        ("min_level" = Option<String>, Query, description = "Only alerts of this level or higher."),
        ("status" = Option<String>, Query, description = "Only alerts in these statuses, comma-separated (`new,acknowledged` is the open queue)."),
        ("assignee" = Option<String>, Query, description = "Only alerts assigned to this user or team."),
        ("host" = Option<String>, Query, description = "Only alerts from this host."),
        ("event_id" = Option<String>, Query, description = "Only alerts raised on this event (its id, 32 hex digits, as search results give it): the pivot from an event to its alerts. A grouped alert keeps its first 100 event ids; add `host` and `since` to look at fewer alerts."),
    ),
    responses(
        (status = 200, description = "A page of alerts and the total matching the filters.", body = AlertPage),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice (the message names it).", body = ErrorBody),
    )
)]
pub async fn alerts(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<AlertPage>, ApiError> {
    let p = Params::of(
        &uri,
        &[
            "since",
            "until",
            "rule_id",
            "min_level",
            "status",
            "assignee",
            "host",
            "event_id",
            "limit",
            "cursor",
        ],
    )?;
    let q = AlertQuery {
        since: read_time(&p, "since")?,
        until: read_time(&p, "until")?,
        rule_id: p.text("rule_id"),
        min_level: p.read("min_level", Level::parse)?,
        status: p.read("status", read_statuses)?.unwrap_or_default(),
        assignee: p.text("assignee"),
        host: p.text("host"),
        event_id: p.read("event_id", read_event_id)?,
        limit: Some(read_limit(&p)?),
        cursor: p.text("cursor"),
    };
    ctx.state
        .list_alerts(&principal.tenant, &q)
        .await
        .map(Json)
        .map_err(|e| state_error("listing alerts", e))
}

/// An event id as search results give it: 32 hex digits.
fn read_event_id(text: &str) -> Result<String, String> {
    if text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(format!(
            "`{text}` is not an event id (32 hex digits, as search results give it)"
        ))
    }
}

/// `new,acknowledged`: alert statuses, comma-separated.
fn read_statuses(text: &str) -> Result<Vec<AlertStatus>, String> {
    text.split(',')
        .map(|s| {
            AlertStatus::parse(s.trim()).ok_or_else(|| {
                let all: Vec<&str> = AlertStatus::ALL.iter().map(|s| s.as_str()).collect();
                format!("`{s}` is not an alert status; the statuses are: {}", all.join(", "))
            })
        })
        .collect()
}

/// A dead-letter code of the table (or a former name of one).
fn read_code(text: &str) -> Result<String, String> {
    match DeadLetterCode::parse(text) {
        Some(code) => Ok(code.as_str().to_string()),
        None => {
            let all: Vec<&str> = DeadLetterCode::ALL.iter().map(|c| c.as_str()).collect();
            Err(format!(
                "`{text}` is not a dead-letter code; the codes are: {}",
                all.join(", ")
            ))
        }
    }
}

/// `GET /api/v1/dead-letters`: records that could not be accepted or parsed, with the reason.
#[utoipa::path(
    get,
    path = "/api/v1/dead-letters",
    operation_id = "list_dead_letters",
    tag = "dead-letters",
    summary = "List dead letters",
    description = "Records that could not be accepted or parsed, newest first, with the reason; filtered by the time they were received (`since`, `until`), input and code; a page at a time.",
    params(
        crate::openapi::Listing,
        ("input" = Option<String>, Query, description = "Only letters from this input (`syslog-tcp`, `api`, …)."),
        ("code" = Option<String>, Query, description = "Only letters with this dead-letter code (docs/http-errors.md)."),
    ),
    responses(
        (status = 200, description = "A page of dead letters and the total matching the filters.", body = vigil_api_types::dead_letters::DeadLetterPage),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice (the message names it).", body = ErrorBody),
    )
)]
pub async fn dead_letters(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<DeadLetterPage>, ApiError> {
    let p = Params::of(&uri, &["since", "until", "input", "code", "limit", "cursor"])?;
    let q = DeadLetterQuery {
        since: read_time(&p, "since")?,
        until: read_time(&p, "until")?,
        input: p.text("input"),
        code: p.read("code", read_code)?,
        limit: Some(read_limit(&p)?),
        cursor: p.text("cursor"),
    };
    ctx.state
        .list_dead_letters(&principal.tenant, &q)
        .await
        .map(Json)
        .map_err(|e| state_error("listing dead letters", e))
}

/// `GET /api/v1/rules`: the running rule set's load report.
#[utoipa::path(
    get,
    path = "/api/v1/rules",
    operation_id = "rules",
    tag = "rules",
    summary = "The running rules",
    description = "The running rule set's generation and load report: files read, rules compiled, problems.",
    responses((status = 200, description = "The rule set's report.", body = RulesAnswer))
)]
pub async fn rules(AxState(ctx): AxState<Ctx>) -> Result<Json<RulesAnswer>, ApiError> {
    let rules = ctx.rules.current();
    Ok(Json(RulesAnswer {
        generation: rules.generation,
        report: rules.report.clone(),
    }))
}

/// `POST /api/v1/rules/reload` (`rule:deploy`): reloads; a failed reload leaves the running set in
/// place. Audited as `rules.reload`.
#[utoipa::path(
    post,
    path = "/api/v1/rules/reload",
    operation_id = "reload_rules",
    tag = "rules",
    summary = "Reload the rules",
    description = "Reads the rule files again and swaps the running set for the new one. Rules that do not load are skipped and listed in `problems`; when the set cannot load at all, the running set stays. No body is read. Audited as `rules.reload`.",
    responses(
        (status = 200, description = "Reloaded: the new set's report.", body = ReloadAnswer),
        (status = 422, description = "`rules_invalid`: the reload failed; the running rules stay in place.", body = ReloadFailed),
    )
)]
pub async fn reload_rules(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    req: Request,
) -> Result<Response, ApiError> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let result = reload_audited(&ctx.rules, &ctx.metrics, &ctx.state, |outcome| {
        audit::entry(&principal, "rules.reload", outcome, peer)
    })
    .await
    .map_err(|e| ApiError::internal("rule reload task", &e))?;
    match result {
        Ok(report) => Ok((StatusCode::OK, Json(ReloadAnswer { reloaded: true, report })).into_response()),
        Err(e) => {
            let error = ApiError::new(ErrorCode::RulesInvalid, e.to_string());
            let body = ReloadFailed {
                body: error.body(),
                reloaded: false,
            };
            Ok((error.status(), Json(body)).into_response())
        }
    }
}

/// Reloads the rules off the async threads and records it in the audit trail with its outcome,
/// the new generation and the load report's totals (API and SIGHUP alike).
pub async fn reload_audited(
    rules: &Arc<RuleHolder>,
    metrics: &Arc<Metrics>,
    state: &State,
    entry: impl FnOnce(AuditOutcome) -> NewAuditEntry,
) -> Result<Result<RulesReport, RulesError>, tokio::task::JoinError> {
    let (holder, counters) = (rules.clone(), metrics.clone());
    let result = tokio::task::spawn_blocking(move || holder.reload(&counters)).await?;
    let generation = rules.current().generation;
    let e = match &result {
        Ok(report) => entry(AuditOutcome::Success).with_detail(json!({
            "generation": generation,
            "compiled": report.compiled,
            "problems": report.problems.len(),
        })),
        Err(err) => entry(AuditOutcome::Failure).with_detail(json!({"error": err.to_string()})),
    };
    audit::record(state, e).await;
    Ok(result)
}

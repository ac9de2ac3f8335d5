//! Alerts, dead letters and rules.

use axum::{
    Json,
    extract::{Query, State as AxState},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;
use vigil_state::{AlertPage, AlertQuery, DeadLetterPage, DeadLetterQuery, Scope};

use super::{ApiError, Ctx, authorize};
use crate::units::parse_time;

fn time_param(v: Option<&str>, name: &str) -> Result<Option<Timestamp>, ApiError> {
    v.map(|t| parse_time(t, Timestamp::now()).map_err(|e| ApiError::bad_request(format!("{name}: {e}"))))
        .transpose()
}

fn check_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit.unwrap_or(100) {
        n @ 1..=1000 => Ok(n),
        _ => Err(ApiError::bad_request("limit must be between 1 and 1000")),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertParams {
    since: Option<String>,
    until: Option<String>,
    rule_id: Option<String>,
    min_level: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `GET /api/v1/alerts`: newest first, filtered, paginated by cursor.
pub async fn alerts(
    AxState(ctx): AxState<Ctx>,
    headers: HeaderMap,
    params: Result<Query<AlertParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AlertPage>, ApiError> {
    authorize(&ctx, &headers, Scope::Read).await?;
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if let Some(level) = &p.min_level
        && vigil_detect::parse_level(level).is_none()
    {
        return Err(ApiError::bad_request(format!(
            "min_level `{level}`: use informational, low, medium, high or critical"
        )));
    }
    let q = AlertQuery {
        since: time_param(p.since.as_deref(), "since")?,
        until: time_param(p.until.as_deref(), "until")?,
        rule_id: p.rule_id,
        min_level: p.min_level,
        limit: Some(check_limit(p.limit)?),
        cursor: p.cursor,
    };
    ctx.state
        .list_alerts(&q)
        .await
        .map(Json)
        .map_err(|e| state_error("listing alerts", e))
}

fn state_error(context: &str, e: vigil_state::StateError) -> ApiError {
    if e.is_client_error() {
        ApiError::bad_request(e.to_string())
    } else {
        ApiError::internal(context, &e)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterParams {
    since: Option<String>,
    input: Option<String>,
    code: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `GET /api/v1/dead-letters`: records that could not be accepted or parsed, with the reason.
pub async fn dead_letters(
    AxState(ctx): AxState<Ctx>,
    headers: HeaderMap,
    params: Result<Query<DeadLetterParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DeadLetterPage>, ApiError> {
    authorize(&ctx, &headers, Scope::Read).await?;
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let q = DeadLetterQuery {
        since: time_param(p.since.as_deref(), "since")?,
        input: p.input,
        until: None,
        code: p.code,
        limit: Some(check_limit(p.limit)?),
        cursor: p.cursor,
    };
    ctx.state
        .list_dead_letters(&q)
        .await
        .map(Json)
        .map_err(|e| state_error("listing dead letters", e))
}

/// `GET /api/v1/rules`: the running rule set's load report.
pub async fn rules(AxState(ctx): AxState<Ctx>, headers: HeaderMap) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&ctx, &headers, Scope::Read).await?;
    let rules = ctx.rules.current();
    Ok(Json(json!({ "generation": rules.generation, "report": rules.report })))
}

/// `POST /api/v1/rules/reload` (admin): reloads; a failed reload leaves the running set in place.
pub async fn reload_rules(AxState(ctx): AxState<Ctx>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&ctx, &headers, Scope::Admin).await?;
    let holder = ctx.rules.clone();
    let metrics = ctx.metrics.clone();
    let result = tokio::task::spawn_blocking(move || holder.reload(&metrics))
        .await
        .map_err(|e| ApiError::internal("rule reload task", &e))?;
    match result {
        Ok(report) => Ok((StatusCode::OK, Json(json!({ "reloaded": true, "report": report }))).into_response()),
        Err(e) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": { "code": "rules_invalid", "message": e.to_string() }, "reloaded": false })),
        )
            .into_response()),
    }
}

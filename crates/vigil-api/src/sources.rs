//! Log-source health over HTTP (issue 17, part 3): `GET /api/v1/sources` (each source of the
//! principal's tenant with its status, last event, baseline, threshold, uptime, MTBF and
//! silences over a window) and `GET /api/v1/sources/expected` (the logsources the running,
//! enabled rules read that no source of the tenant sent in the window, with those rules).

use axum::{Extension, Json, extract::State as AxState, http::Uri};
use jiff::{SignedDuration, Timestamp};
use vigil_api_types::access::Principal;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::sources::{ExpectedSources, SourceStatus, SourcesReport};
use vigil_api_types::units::parse_time;
use vigil_runtime::sources::{enabled_rule_logsources, expected_absent};

use super::{ApiError, Ctx, Params, records};

/// The window when `from` is not given: the 7 days before `to`.
const DEFAULT_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);

fn window(p: &Params, now: Timestamp) -> Result<(Timestamp, Timestamp), ApiError> {
    let to = p.read("to", |v| parse_time(v, now))?.unwrap_or(now);
    let from = p
        .read("from", |v| parse_time(v, now))?
        .unwrap_or_else(|| to.checked_sub(DEFAULT_WINDOW).unwrap_or(Timestamp::MIN));
    if from >= to {
        return Err(ApiError::param("from", "must be before `to`"));
    }
    Ok((from, to))
}

/// `GET /api/v1/sources`.
#[utoipa::path(
    get,
    path = "/api/v1/sources",
    operation_id = "list_sources",
    tag = "sources",
    summary = "Log sources and their health",
    description = "Every log source of the tenant — (input, host, product, service, category) — most recently reporting first, with its first and last event (arrival times), event count, baseline (events per active hour over the last 7 days, and how many hours were active), silence threshold and status: `new` (too little history to know its normal), `healthy`, or `silent` (it normally reports and sent nothing for longer than its threshold; a `vigil:source-silent` alert was raised once). Over `[from, to)`: its silences, `uptime` = 1 − silent time ÷ window (a silence runs from the last event before it to the first after it) and `mtbf` = up time ÷ silences, each with its formula.",
    params(
        ("from" = Option<String>, Query, description = "Start of the window (inclusive): RFC 3339, a date, `now` or an age such as `7d`. Default: 7 days before `to`."),
        ("to" = Option<String>, Query, description = "End of the window (exclusive), same forms. Default: now."),
        ("status" = Option<SourceStatus>, Query, description = "Only sources in this status."),
    ),
    responses(
        (status = 200, description = "The sources.", body = SourcesReport),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice, or `from` is not before `to`.", body = ErrorBody),
    )
)]
pub async fn list(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<SourcesReport>, ApiError> {
    let p = Params::of(&uri, &["from", "to", "status"])?;
    let now = Timestamp::now();
    let (from, to) = window(&p, now)?;
    let status = p.read("status", |v| match v {
        "new" => Ok(SourceStatus::New),
        "healthy" => Ok(SourceStatus::Healthy),
        "silent" => Ok(SourceStatus::Silent),
        other => Err(format!("`{other}` is not a status: use new, healthy or silent")),
    })?;
    let mut report = ctx
        .state
        .sources_report(&principal.tenant, from, to, now)
        .await
        .map_err(|e| records::state_error("reading log sources", e))?;
    if let Some(status) = status {
        report.sources.retain(|s| s.status == status);
    }
    Ok(Json(report))
}

/// `GET /api/v1/sources/expected`.
#[utoipa::path(
    get,
    path = "/api/v1/sources/expected",
    operation_id = "expected_sources",
    tag = "sources",
    summary = "Logsources the rules expect but nobody sends",
    description = "The logsources (product, service, category) the running, enabled detection rules read, and among them those no source of the tenant sent an event of in `[from, to)` — each with the ids of the rules that need it. A rule sees an event when every logsource part it names is the event's, so a source of `windows/sysmon/process_creation` satisfies a rule on `windows/*/process_creation`. Rules that name no logsource are not counted.",
    params(
        ("from" = Option<String>, Query, description = "Start of the window (inclusive): RFC 3339, a date, `now` or an age such as `7d`. Default: 7 days before `to`."),
        ("to" = Option<String>, Query, description = "End of the window (exclusive), same forms. Default: now."),
    ),
    responses(
        (status = 200, description = "The expected logsources nobody sent.", body = ExpectedSources),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice, or `from` is not before `to`.", body = ErrorBody),
    )
)]
pub async fn expected(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<ExpectedSources>, ApiError> {
    let p = Params::of(&uri, &["from", "to"])?;
    let (from, to) = window(&p, Timestamp::now())?;
    // Sources' rows hold their last arrival: those that reported in the window are those whose
    // last event is at or after `from` (a window ending in the past counts later reports too).
    let reporting = ctx
        .state
        .reporting_logsources(&principal.tenant, from)
        .await
        .map_err(|e| records::state_error("reading reporting logsources", e))?;
    let rules = ctx.rules.current();
    let (expected, absent) = expected_absent(&enabled_rule_logsources(&rules), &reporting);
    Ok(Json(ExpectedSources {
        from,
        to,
        expected,
        absent,
    }))
}

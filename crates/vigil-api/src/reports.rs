//! SOC reports over HTTP (`GET /api/v1/reports`, issue 17 "Measure"): the tenant's KPIs with the
//! previous period's beside them, SLA compliance per priority, incidents by classification and
//! severity, the weekly or monthly trend, top rules with their false-positive rates, alert volume
//! per source, the backlog, log-source health and detection validation — gathered here into a
//! `vigil_report::Report` and rendered by that crate as JSON, CSV, HTML or PDF. The scheduled
//! reports of `vigil serve` build theirs with [`build`] too.

use axum::{
    Extension,
    extract::State as AxState,
    http::{HeaderValue, Uri, header},
    response::{IntoResponse, Response},
};
use jiff::{SignedDuration, Timestamp};
use vigil_api_types::access::Principal;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::kpis::{KpiGroupBy, KpiReport, KpiTrend};
use vigil_api_types::units::parse_time;
use vigil_report::{Format, Report, Section};

use super::kpis::{self, DEFAULT_MTTD_CUTOFF, KpiQuery};
use super::report_sections as sections;
use super::{ApiError, Ctx, ErrorCode, Params, records};

/// The period when `from` is not given: the last 30 days.
const DEFAULT_PERIOD: SignedDuration = SignedDuration::from_hours(30 * 24);
/// The longest period one report covers (a year and a day, for a leap year's annual report).
pub const MAX_PERIOD: SignedDuration = SignedDuration::from_hours(367 * 24);
/// A period longer than this is trended per month, else per week.
const WEEKLY_UP_TO: SignedDuration = SignedDuration::from_hours(93 * 24);
/// Validation runs in the detection rate's history.
const VALIDATION_HISTORY: u32 = 12;

async fn kpi_report(
    ctx: &Ctx,
    tenant: &str,
    from: Timestamp,
    to: Timestamp,
    trend: Option<KpiTrend>,
    now: Timestamp,
) -> Result<KpiReport, ApiError> {
    let q = KpiQuery {
        from,
        to,
        group_by: Some(KpiGroupBy::Priority),
        trend,
        mttd_cutoff: DEFAULT_MTTD_CUTOFF,
    };
    kpis::compute(ctx, tenant, &q, now).await
}

async fn source_sections(ctx: &Ctx, tenant: &str, from: Timestamp, to: Timestamp, now: Timestamp) -> Vec<Section> {
    match ctx.state.sources_report(tenant, from, to, now).await {
        Ok(report) => sections::source_health(&report.sources).into(),
        Err(e) => {
            tracing::error!(error = %e, "reading log-source health for a report");
            vec![Section::unavailable(
                "sources_health",
                "Log-source health",
                "Noisiest and silent sources.",
                "log-source health could not be read (see the server log)",
            )]
        }
    }
}

async fn validation_sections(ctx: &Ctx, tenant: &str) -> Vec<Section> {
    let read = async {
        let latest = ctx.state.latest_validation(tenant).await?;
        let history = ctx.state.validation_runs(tenant, VALIDATION_HISTORY).await?;
        Ok::<_, vigil_state::StateError>((latest, history))
    };
    match read.await {
        Ok((latest, history)) => sections::validation(latest.as_ref(), &history).into(),
        Err(e) => {
            tracing::error!(error = %e, "reading validation runs for a report");
            vec![Section::unavailable(
                "validation",
                "Detection validation",
                "The newest validation run.",
                "validation runs could not be read (see the server log)",
            )]
        }
    }
}

async fn coverage_sections(ctx: &Ctx, tenant: &str, now: Timestamp) -> Vec<Section> {
    let unavailable = |why: &str| {
        vec![Section::unavailable(
            "coverage",
            "ATT&CK coverage",
            "Techniques in scope with at least one enabled rule whose logsources report, per tactic, and their heatmap.",
            why,
        )]
    };
    let Some(setup) = ctx.coverage.as_deref() else {
        return unavailable("no ATT&CK bundle is configured ([coverage] attack_bundle in the server's configuration)");
    };
    match super::coverage::compute(ctx, setup, tenant, now, setup.window).await {
        Ok(answer) => sections::coverage(&answer).into(),
        Err(e) => {
            tracing::error!(error = %e.message, "computing ATT&CK coverage for a report");
            unavailable("the coverage could not be computed (see the server log)")
        }
    }
}

/// The report of `tenant` over `[from, to)`, as of `now` (SLA timers and the backlog), compared
/// with the period of the same length before `from`.
pub async fn build(
    ctx: &Ctx,
    tenant: &str,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Result<Report, ApiError> {
    let length = to.duration_since(from);
    let previous_from = from.checked_sub(length).unwrap_or(Timestamp::MIN);
    let trend = if length > WEEKLY_UP_TO {
        KpiTrend::Month
    } else {
        KpiTrend::Week
    };
    let current = kpi_report(ctx, tenant, from, to, Some(trend), now).await?;
    let before = kpi_report(ctx, tenant, previous_from, from, None, now).await?;
    let read = |from, to| async move {
        ctx.state
            .kpi_incidents(tenant, from, to)
            .await
            .map_err(|e| records::state_error("reading incidents for a report", e))
    };
    let incidents = read(from, to).await?;
    let incidents_before = read(previous_from, from).await?;
    let mut out = vec![
        sections::summary(
            &current,
            &before,
            incidents.incidents.len() as u64,
            incidents_before.incidents.len() as u64,
        ),
        sections::sla(&current, &before),
        sections::incidents(&incidents.incidents, &incidents_before.incidents),
        sections::trends(&current),
        sections::rules(&current, &before, |id| {
            let set = ctx.rules.current();
            set.detector
                .rules()
                .iter()
                .find(|r| r.id.as_deref() == Some(id))
                .map(|r| r.title.clone())
        }),
        sections::alert_sources(&current, &before),
        sections::backlog(&current),
    ];
    out.extend(source_sections(ctx, tenant, from, to, now).await);
    out.extend(coverage_sections(ctx, tenant, now).await);
    out.extend(validation_sections(ctx, tenant).await);
    if current.truncated {
        out[0]
            .description
            .push_str(" More incidents were created than one report reads (50,000): the oldest were left out.");
    }
    Ok(Report {
        title: format!("SOC report — {tenant}"),
        tenant: tenant.to_owned(),
        from,
        to,
        previous_from,
        generated: now,
        sections: out,
    })
}

/// The period of a report: `to` defaults to now, `from` to 30 days before `to`.
pub fn period(
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    now: Timestamp,
) -> Result<(Timestamp, Timestamp), ApiError> {
    let to = to.unwrap_or(now);
    let from = from.unwrap_or_else(|| to.checked_sub(DEFAULT_PERIOD).unwrap_or(Timestamp::MIN));
    if from >= to {
        return Err(ApiError::param("from", "must be before `to`"));
    }
    if to.duration_since(from) > MAX_PERIOD {
        return Err(ApiError::param("from", "a report covers at most 367 days"));
    }
    Ok((from, to))
}

/// `GET /api/v1/reports?from=…&to=…&format=json|csv|html|pdf`.
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    operation_id = "get_report",
    tag = "incidents",
    summary = "SOC report",
    description = "The tenant's SOC report over `[from, to)`, compared with the previous period of the same length: headline KPIs with formulas, n and trend arrows; SLA compliance per metric and priority; incidents by classification and severity; the weekly trend (monthly beyond 93 days); top rules with false-positive rate and precision; alert volume per source; the backlog by age; noisiest and silent log sources; ATT&CK coverage per tactic and its heatmap (with `[coverage]` configured); the newest detection validation run and the detection rate's history. Sections this build cannot fill say so (`unavailable`). As JSON (the default), CSV (one long-format file: `section,group,metric,value,unit,n,previous`; cells a spreadsheet would evaluate are prefixed with `'`), HTML (one self-contained page: inline CSS and SVG, no script, no external request) or PDF; each with a `Content-Disposition` file name (`inline` for HTML and JSON, `attachment` for PDF and CSV).",
    params(
        ("from" = Option<String>, Query, description = "Start of the period (inclusive): RFC 3339, a date, `now` or an age such as `30d`. Default: 30 days before `to`."),
        ("to" = Option<String>, Query, description = "End of the period (exclusive), same forms. Default: now. At most 367 days after `from`."),
        ("format" = Option<String>, Query, description = "`json` (default), `csv`, `html` or `pdf`."),
        ("tenant" = Option<String>, Query, description = "The tenant: only the principal's own (another answers 404)."),
    ),
    responses(
        (status = 200, description = "The report.", content(
            (Report = "application/json"),
            (String = "text/csv"),
            (String = "text/html"),
            (Vec<u8> = "application/pdf"),
        )),
        (status = 400, description = "`bad_request`: a bad time or format, an empty or too long period.", body = ErrorBody),
        (status = 404, description = "`not_found`: `tenant` names another tenant.", body = ErrorBody),
    )
)]
pub async fn report(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::of(&uri, &["from", "to", "format", "tenant"])?;
    let now = Timestamp::now();
    let format = p
        .read("format", |v| {
            Format::parse(v).ok_or_else(|| format!("`{v}` is not json, csv, html or pdf"))
        })?
        .unwrap_or(Format::Json);
    if let Some(t) = p.read("tenant", |v| Ok::<_, String>(v.to_owned()))?
        && t != principal.tenant
    {
        return Err(ApiError::new(ErrorCode::NotFound, "no such tenant"));
    }
    let from = p.read("from", |v| parse_time(v, now))?;
    let to = p.read("to", |v| parse_time(v, now))?;
    let (from, to) = period(from, to, now)?;
    let report = build(&ctx, &principal.tenant, from, to, now).await?;
    let body = vigil_report::render(&report, format).map_err(|e| ApiError::internal("rendering a report", &e))?;
    // HTML and JSON show in a browser (saved under the file name); PDF and CSV are downloads.
    let kind = match format {
        Format::Html | Format::Json => "inline",
        Format::Pdf | Format::Csv => "attachment",
    };
    let disposition = format!("{kind}; filename=\"{}\"", vigil_report::file_name(&report, format));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if format == Format::Html {
        // The page's own inline style may apply (by hash), nothing else may load.
        let csp = format!("{}; frame-ancestors 'none'", vigil_report::content_security_policy());
        if let Ok(v) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(response)
}

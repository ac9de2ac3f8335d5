//! ATT&CK coverage over HTTP (`GET /api/v1/coverage`, `GET /api/v1/coverage/navigator`; issue 17
//! "Measure"): the running rule set, the tenant's reporting logsources and its latest validation run
//! from state, and the arithmetic in `vigil_coverage`.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use axum::{Extension, Json, extract::State as AxState, http::Uri};
use jiff::{SignedDuration, Timestamp};
use vigil_api_types::access::Principal;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::units::{parse_duration, parse_time};
use vigil_coverage::{
    Attack, Coverage, CoverageAnswer, CoverageInputs, Layer, LayerContext, LayerKind, LogSource, Scope,
};

use super::{ApiError, Ctx, ErrorCode, Params, records};

/// The detections layer's period when `from` is not given: the last 30 days.
const DEFAULT_PERIOD: SignedDuration = SignedDuration::from_hours(30 * 24);

/// `[coverage]`: the ATT&CK bundle (loaded once at start), the scope and the health window.
#[derive(Debug)]
pub struct CoverageSetup {
    pub attack: std::sync::Arc<Attack>,
    /// Where the bundle was read.
    pub bundle: PathBuf,
    pub scope: Scope,
    /// A rule's logsource is reporting when it sent within this (default 24h).
    pub window: Duration,
}

fn setup(ctx: &Ctx) -> Result<&CoverageSetup, ApiError> {
    ctx.coverage.as_deref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::CoverageUnconfigured,
            "no ATT&CK bundle is configured: set [coverage] attack_bundle in the server's configuration",
        )
    })
}

fn window_text(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s % 86_400 == 0 && s > 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// `at` and `window` of a request.
fn when(p: &Params, setup: &CoverageSetup, now: Timestamp) -> Result<(Timestamp, Duration), ApiError> {
    let at = p.read("at", |v| parse_time(v, now))?.unwrap_or(now);
    let window = p.read("window", parse_duration)?.unwrap_or(setup.window);
    if window.is_zero() {
        return Err(ApiError::param("window", "must be more than zero"));
    }
    Ok((at, window))
}

/// The tenant's coverage as of `at` (the reports' heatmap too).
pub(crate) async fn compute(
    ctx: &Ctx,
    setup: &CoverageSetup,
    tenant: &str,
    at: Timestamp,
    window: Duration,
) -> Result<CoverageAnswer, ApiError> {
    let since = SignedDuration::try_from(window)
        .ok()
        .and_then(|w| at.checked_sub(w).ok())
        .ok_or_else(|| ApiError::param("window", "reaches before the earliest time"))?;
    let reporting: Vec<LogSource> = ctx
        .state
        .reporting_logsources(tenant, since)
        .await
        .map_err(|e| records::state_error("reading the reporting logsources", e))?
        .into_iter()
        .map(|s| LogSource {
            product: s.product,
            service: s.service,
            category: s.category,
        })
        .collect();
    let validated: Option<HashMap<String, bool>> = ctx
        .state
        .latest_validation(tenant)
        .await
        .map_err(|e| records::state_error("reading the latest validation run", e))?
        .map(|run| run.passed_techniques().into_iter().collect());
    let rules = vigil_coverage::rules_from_infos(ctx.rules.current().detector.rules());
    let coverage: Coverage = vigil_coverage::compute(
        &setup.attack,
        &CoverageInputs {
            scope: &setup.scope,
            rules: &rules,
            reporting: Some(&reporting),
            validated: validated.as_ref(),
        },
    );
    Ok(CoverageAnswer {
        at,
        since,
        window: window_text(window),
        coverage,
    })
}

/// `GET /api/v1/coverage`.
#[utoipa::path(
    get,
    path = "/api/v1/coverage",
    operation_id = "get_coverage",
    tag = "rules",
    summary = "ATT&CK coverage",
    description = "The tenant's ATT&CK coverage by the running rules, over the techniques and sub-techniques in the configured scope (`[coverage] tactics`, `platforms`): per technique its enabled rules (a rule on a sub-technique also counts for the parent, marked `via`), whether any of their logsources reported in the window, and whether its latest validation passed; per tactic and overall three ratios: `rules` (≥ 1 enabled rule), `healthy` (≥ 1 enabled rule whose logsource reported: the coverage) and `validated`. `validation_available` is false when no validation run exists.",
    params(
        ("window" = Option<String>, Query, description = "How recently a logsource must have sent to count as reporting (default `[coverage] window`, 24h)."),
        ("at" = Option<String>, Query, description = "Compute as of this time (RFC 3339, a date, `now` or an age such as `1d`). Default: now."),
    ),
    responses(
        (status = 200, description = "The coverage.", body = CoverageAnswer),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice (the message names it).", body = ErrorBody),
        (status = 409, description = "`coverage_unconfigured`: the server has no `[coverage] attack_bundle`.", body = ErrorBody),
    )
)]
pub async fn summary(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<CoverageAnswer>, ApiError> {
    let p = Params::of(&uri, &["window", "at"])?;
    let setup = setup(&ctx)?;
    let (at, window) = when(&p, setup, Timestamp::now())?;
    Ok(Json(compute(&ctx, setup, &principal.tenant, at, window).await?))
}

/// `GET /api/v1/coverage/navigator`.
#[utoipa::path(
    get,
    path = "/api/v1/coverage/navigator",
    operation_id = "get_coverage_layer",
    tag = "rules",
    summary = "ATT&CK Navigator layer",
    description = "An ATT&CK Navigator layer (layer format 4.5, domain `enterprise-attack`) of the tenant's coverage, to open in the Navigator: `rules` (score: enabled rules per technique), `healthy` (100: a rule's logsource reported in the window, 50: rules but no source reporting, 0: no rule), `validated` (100: latest validation passed, 50: rules but not validated, 0: no rule) or `detections` (score: alerts from the technique's rules in `[from, to)`). Every technique in scope is listed, with a comment naming its rules.",
    params(
        ("layer" = inline(LayerKind), Query, description = "Which layer."),
        ("window" = Option<String>, Query, description = "The health window (default `[coverage] window`)."),
        ("at" = Option<String>, Query, description = "Compute as of this time. Default: now."),
        ("from" = Option<String>, Query, description = "`detections`: start of the period (inclusive). Default: 30 days before `to`."),
        ("to" = Option<String>, Query, description = "`detections`: end of the period (exclusive). Default: `at`."),
    ),
    responses(
        (status = 200, description = "The layer.", body = Layer),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice (the message names it), or `from` is not before `to`.", body = ErrorBody),
        (status = 409, description = "`coverage_unconfigured`: the server has no `[coverage] attack_bundle`.", body = ErrorBody),
    )
)]
pub async fn navigator(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<Layer>, ApiError> {
    let p = Params::of(&uri, &["layer", "window", "at", "from", "to"])?;
    let kind = p
        .read("layer", |v| {
            LayerKind::parse(v)
                .ok_or_else(|| format!("`{v}` is not a layer: one of rules, healthy, validated, detections"))
        })?
        .ok_or_else(|| ApiError::param("layer", "missing: one of rules, healthy, validated, detections"))?;
    let setup = setup(&ctx)?;
    let now = Timestamp::now();
    let (at, window) = when(&p, setup, now)?;
    let answer = compute(&ctx, setup, &principal.tenant, at, window).await?;
    let mut lctx = LayerContext {
        title: principal.tenant.clone(),
        window: Some(answer.window.clone()),
        ..LayerContext::default()
    };
    if kind == LayerKind::Detections {
        let to = p.read("to", |v| parse_time(v, now))?.unwrap_or(at);
        let from = p
            .read("from", |v| parse_time(v, now))?
            .unwrap_or_else(|| to.checked_sub(DEFAULT_PERIOD).unwrap_or(Timestamp::MIN));
        if from >= to {
            return Err(ApiError::param("from", "must be before `to`"));
        }
        let counts = ctx
            .state
            .kpi_alerts_by_rule(&principal.tenant, from, to)
            .await
            .map_err(|e| records::state_error("counting alerts per rule", e))?;
        for c in counts {
            *lctx.alerts_by_rule.entry(c.key).or_default() += c.count;
        }
        lctx.period = Some(format!("{from} – {to}"));
    }
    Ok(Json(vigil_coverage::layer(
        kind,
        &setup.attack,
        &answer.coverage,
        &lctx,
    )))
}

/// The tenant's coverage as of `at` with the configured window, for other readers (reports);
/// `None` when no ATT&CK bundle is configured.
pub async fn tenant_coverage(ctx: &Ctx, tenant: &str, at: Timestamp) -> Result<Option<CoverageAnswer>, ApiError> {
    let Some(setup) = ctx.coverage.as_deref() else {
        return Ok(None);
    };
    compute(ctx, setup, tenant, at, setup.window).await.map(Some)
}

//! SOC KPIs over HTTP (`GET /api/v1/kpis`, issue 17 "Measure"): read the tenant's incidents and
//! alert counts of a period from state, evaluate each incident's SLA timers with the server's
//! policies, and hand the arithmetic to `vigil_respond::kpi`.

use std::collections::BTreeMap;

use axum::{Extension, Json, extract::State as AxState, http::Uri};
use jiff::{SignedDuration, Timestamp};
use vigil_api_types::access::Principal;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::kpis::{Kpi, KpiGroupBy, KpiReport};
use vigil_api_types::units::parse_time;
use vigil_respond::kpi::{self, DispositionCounts, IncidentSample, SlaOutcomes};
use vigil_respond::{Timer, TimerState};
use vigil_state::incidents::StoredIncident;

use super::{ApiError, Ctx, Params, records};

/// The period when `from` is not given: the last 30 days.
const DEFAULT_PERIOD: SignedDuration = SignedDuration::from_hours(30 * 24);
/// The classification of test incidents, which MTBF does not count.
const TEST_CLASSIFICATION: &str = "test:test";

fn outcome(timer: Option<&Timer>) -> Option<bool> {
    match timer?.state {
        TimerState::Met => Some(true),
        TimerState::Breached => Some(false),
        TimerState::Running | TimerState::Paused => None,
    }
}

fn sample(ctx: &Ctx, stored: &StoredIncident, now: Timestamp) -> IncidentSample {
    let i = &stored.incident;
    let m = &i.milestones;
    let timers = ctx.respond.sla.timers(i.priority, &m.sla_times(), &stored.pauses, now);
    IncidentSample {
        first_event: m.first_event,
        detected: m.detected,
        created: m.created,
        acknowledged: m.acknowledged,
        contained: m.contained,
        resolved: m.resolved,
        closed: m.closed,
        true_positive: i.merged_into.is_none() && i.classification != TEST_CLASSIFICATION,
        sla: SlaOutcomes {
            acknowledge: outcome(timers.acknowledge.as_ref()),
            contain: outcome(timers.contain.as_ref()),
            resolve: outcome(timers.resolve.as_ref()),
        },
    }
}

fn group_of(stored: &StoredIncident, by: KpiGroupBy) -> String {
    let i = &stored.incident;
    match by {
        KpiGroupBy::Severity => u8::from(i.severity).to_string(),
        KpiGroupBy::Priority => u8::from(i.priority).to_string(),
        KpiGroupBy::Classification => i.classification.clone(),
        KpiGroupBy::Team => i.team.clone().unwrap_or_default(),
        KpiGroupBy::Owner => i.owner.clone().unwrap_or_default(),
    }
}

/// `GET /api/v1/kpis`.
#[utoipa::path(
    get,
    path = "/api/v1/kpis",
    operation_id = "get_kpis",
    tag = "incidents",
    summary = "SOC KPIs",
    description = "The tenant's KPIs over `[from, to)`, each with its `formula` and `n` (the samples behind it); a time KPI gives `value_seconds` (the mean, wall-clock), `median_seconds` and `p90_seconds`, a ratio or count gives `value`; with `n` 0 there is no value. Incident KPIs (MTTD first event → first alert, MTTA created → acknowledged, MTTC created → contained, MTTR created → resolved, MTBF, and SLA compliance per metric) cover the incidents created in the period, for the whole tenant and then per `group_by` value. Per rule: alert volume, false-positive rate and precision from the dispositions of the alerts detected in the period; per source: alert volume.",
    params(
        ("from" = Option<String>, Query, description = "Start of the period (inclusive): RFC 3339, a date, `now` or an age such as `30d`. Default: 30 days before `to`."),
        ("to" = Option<String>, Query, description = "End of the period (exclusive), same forms. Default: now."),
        ("group_by" = Option<KpiGroupBy>, Query, description = "Also give the incident KPIs per severity, priority, classification, team or owner."),
    ),
    responses(
        (status = 200, description = "The KPIs.", body = KpiReport),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice (the message names it), or `from` is not before `to`.", body = ErrorBody),
    )
)]
pub async fn report(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<KpiReport>, ApiError> {
    let p = Params::of(&uri, &["from", "to", "group_by"])?;
    let now = Timestamp::now();
    let to = p.read("to", |v| parse_time(v, now))?.unwrap_or(now);
    let from = p
        .read("from", |v| parse_time(v, now))?
        .unwrap_or_else(|| to.checked_sub(DEFAULT_PERIOD).unwrap_or(Timestamp::MIN));
    if from >= to {
        return Err(ApiError::param("from", "must be before `to`"));
    }
    let group_by = p.read("group_by", |v| {
        KpiGroupBy::parse(v)
            .ok_or_else(|| format!("`{v}` is not a grouping: use severity, priority, classification, team or owner"))
    })?;
    let tenant = &principal.tenant;
    let read = ctx
        .state
        .kpi_incidents(tenant, from, to)
        .await
        .map_err(|e| records::state_error("reading incidents for KPIs", e))?;
    let samples: Vec<IncidentSample> = read.incidents.iter().map(|s| sample(&ctx, s, now)).collect();
    let mut incidents = kpi::incident_kpis(&samples, from, to);
    if let Some(by) = group_by {
        let mut groups: BTreeMap<String, Vec<IncidentSample>> = BTreeMap::new();
        for (stored, s) in read.incidents.iter().zip(samples) {
            groups.entry(group_of(stored, by)).or_default().push(s);
        }
        for (key, members) in groups {
            incidents.extend(kpi::incident_kpis(&members, from, to).into_iter().map(|mut k| {
                k.group = Some(key.clone());
                k
            }));
        }
    }
    let by_rule = ctx
        .state
        .kpi_alerts_by_rule(tenant, from, to)
        .await
        .map_err(|e| records::state_error("counting alerts for KPIs", e))?;
    let mut rule_counts: BTreeMap<String, DispositionCounts> = BTreeMap::new();
    for c in &by_rule {
        rule_counts
            .entry(c.key.clone())
            .or_default()
            .add(c.disposition.as_deref(), c.count);
    }
    let rules = rule_counts
        .iter()
        .flat_map(|(rule, c)| kpi::rule_kpis(rule, c))
        .collect();
    let by_source = ctx
        .state
        .kpi_alerts_by_source(tenant, from, to)
        .await
        .map_err(|e| records::state_error("counting alerts for KPIs", e))?;
    let mut source_counts: BTreeMap<String, u64> = BTreeMap::new();
    for c in &by_source {
        *source_counts.entry(c.key.clone()).or_default() += c.count;
    }
    let sources = source_counts
        .into_iter()
        .map(|(source, n)| Kpi {
            group: Some(source),
            value: Some(n as f64),
            ..kpi::ratio_kpi("alert_volume", kpi::ALERT_VOLUME, 0, n)
        })
        .collect();
    Ok(Json(KpiReport {
        from,
        to,
        group_by,
        incidents,
        rules,
        sources,
        truncated: read.truncated,
    }))
}

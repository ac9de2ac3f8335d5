//! SOC KPIs over HTTP (`GET /api/v1/kpis`, issue 17 "Measure"): read the tenant's incidents and
//! alert sums of a period from state, evaluate each incident's SLA timers with the server's
//! policies, and hand the arithmetic to `vigil_respond::kpi` and `vigil_respond::measure`. The
//! backlog and the weekly or monthly trends are in [`super::kpi_trends`].

use std::collections::{BTreeMap, HashMap};

use axum::{Extension, Json, extract::State as AxState, http::Uri};
use jiff::{SignedDuration, Timestamp};
use vigil_api_types::access::Principal;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::kpis::{Kpi, KpiGroupBy, KpiReport, KpiTrend};
use vigil_api_types::units::{parse_duration, parse_time};
use vigil_respond::kpi::{self, DispositionCounts, IncidentSample, SlaOutcomes};
use vigil_respond::measure;
use vigil_respond::{Timer, TimerState};
use vigil_state::incidents::StoredIncident;
use vigil_state::measure::AlertGroup;

use super::{ApiError, Ctx, Params, kpi_trends, records};

/// The period when `from` is not given: the last 30 days.
const DEFAULT_PERIOD: SignedDuration = SignedDuration::from_hours(30 * 24);
/// The classification of test incidents, which MTBF does not count.
const TEST_CLASSIFICATION: &str = "test:test";
/// MTTD's default cut-off: an event more than this before its detection was back-filled or
/// replayed, and would turn the mean into years (docs/measure.md).
pub const DEFAULT_MTTD_CUTOFF: SignedDuration = SignedDuration::from_hours(7 * 24);

/// What one KPI report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KpiQuery {
    pub from: Timestamp,
    pub to: Timestamp,
    pub group_by: Option<KpiGroupBy>,
    pub trend: Option<KpiTrend>,
    pub mttd_cutoff: SignedDuration,
}

fn outcome(timer: Option<&Timer>) -> Option<bool> {
    match timer?.state {
        TimerState::Met => Some(true),
        TimerState::Breached => Some(false),
        TimerState::Running | TimerState::Paused => None,
    }
}

pub(crate) fn sample(ctx: &Ctx, stored: &StoredIncident, now: Timestamp) -> IncidentSample {
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

/// The groups `stored` counts in (several for `rule`, when its alerts come from several rules).
fn groups_of(stored: &StoredIncident, by: KpiGroupBy, rules: &HashMap<String, Vec<String>>) -> Vec<String> {
    let i = &stored.incident;
    let one = match by {
        KpiGroupBy::Severity => u8::from(i.severity).to_string(),
        KpiGroupBy::Priority => u8::from(i.priority).to_string(),
        KpiGroupBy::Classification => i.classification.clone(),
        KpiGroupBy::Team => i.team.clone().unwrap_or_default(),
        KpiGroupBy::Owner => i.owner.clone().unwrap_or_default(),
        KpiGroupBy::Tenant => i.tenant.clone(),
        KpiGroupBy::Rule => return rules.get(&i.id).cloned().unwrap_or_else(|| vec![String::new()]),
    };
    vec![one]
}

/// The alert aggregates' grouping for `group_by` (`None`: the alerts have no such field).
fn alert_group(by: KpiGroupBy) -> Option<AlertGroup> {
    match by {
        KpiGroupBy::Severity => Some(AlertGroup::Level),
        KpiGroupBy::Rule => Some(AlertGroup::Rule),
        KpiGroupBy::Tenant => Some(AlertGroup::Tenant),
        KpiGroupBy::Priority | KpiGroupBy::Classification | KpiGroupBy::Team | KpiGroupBy::Owner => None,
    }
}

fn grouped(kpis: Vec<Kpi>, key: &str) -> impl Iterator<Item = Kpi> + '_ {
    kpis.into_iter().map(move |mut k| {
        k.group = Some(key.to_owned());
        k
    })
}

fn seconds(d: SignedDuration) -> f64 {
    d.as_secs_f64()
}

/// The incident KPIs of the period, whole and per group.
async fn incident_kpis(
    ctx: &Ctx,
    tenant: &str,
    q: &KpiQuery,
    incidents: &[StoredIncident],
    samples: &[IncidentSample],
) -> Result<Vec<Kpi>, ApiError> {
    let cutoff = Some(seconds(q.mttd_cutoff));
    let mut out = kpi::incident_kpis_with(samples, q.from, q.to, cutoff);
    let Some(by) = q.group_by else {
        return Ok(out);
    };
    let mut rules: HashMap<String, Vec<String>> = HashMap::new();
    if by == KpiGroupBy::Rule {
        for (incident, rule) in ctx
            .state
            .kpi_incident_rules(tenant, q.from, q.to)
            .await
            .map_err(|e| records::state_error("reading incidents' rules for KPIs", e))?
        {
            rules.entry(incident).or_default().push(rule);
        }
    }
    let mut groups: BTreeMap<String, Vec<IncidentSample>> = BTreeMap::new();
    for (stored, s) in incidents.iter().zip(samples) {
        for key in groups_of(stored, by, &rules) {
            groups.entry(key).or_default().push(s.clone());
        }
    }
    for (key, members) in groups {
        out.extend(grouped(kpi::incident_kpis_with(&members, q.from, q.to, cutoff), &key));
    }
    Ok(out)
}

/// The alert KPIs of the period, whole and per group.
async fn alert_kpis(ctx: &Ctx, tenant: &str, q: &KpiQuery) -> Result<Vec<Kpi>, ApiError> {
    let read = |group| async move {
        ctx.state
            .kpi_alert_aggregates(Some(tenant), q.from, q.to, q.mttd_cutoff, group)
            .await
            .map_err(|e| records::state_error("summing alerts for KPIs", e))
    };
    let whole = read(AlertGroup::All).await?;
    let mut out = measure::alert_kpis(&whole.first().map(|(_, a)| *a).unwrap_or_default());
    if let Some(group) = q.group_by.and_then(alert_group) {
        for (key, a) in read(group).await? {
            out.extend(grouped(measure::alert_kpis(&a), &key));
        }
    }
    Ok(out)
}

/// Per rule: volume, false-positive rate, precision; per source: volume.
async fn rule_and_source_kpis(ctx: &Ctx, tenant: &str, q: &KpiQuery) -> Result<(Vec<Kpi>, Vec<Kpi>), ApiError> {
    let by_rule = ctx
        .state
        .kpi_alerts_by_rule(tenant, q.from, q.to)
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
        .kpi_alerts_by_source(tenant, q.from, q.to)
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
    Ok((rules, sources))
}

/// The KPI report of `tenant` for `q`, as of `now` (timers, backlog): what `GET /api/v1/kpis`
/// answers, for other readers (reports) too.
pub async fn compute(ctx: &Ctx, tenant: &str, q: &KpiQuery, now: Timestamp) -> Result<KpiReport, ApiError> {
    let read = ctx
        .state
        .kpi_incidents(tenant, q.from, q.to)
        .await
        .map_err(|e| records::state_error("reading incidents for KPIs", e))?;
    let samples: Vec<IncidentSample> = read.incidents.iter().map(|s| sample(ctx, s, now)).collect();
    let incidents = incident_kpis(ctx, tenant, q, &read.incidents, &samples).await?;
    let alerts = alert_kpis(ctx, tenant, q).await?;
    let (rules, sources) = rule_and_source_kpis(ctx, tenant, q).await?;
    let rule_titles = ctx
        .state
        .kpi_rule_titles(tenant, q.from, q.to)
        .await
        .map_err(|e| records::state_error("reading rule titles for KPIs", e))?;
    let backlog = kpi_trends::backlog(ctx, tenant, now).await?;
    let trends = match q.trend {
        Some(t) => kpi_trends::trends(ctx, tenant, q, t, &samples).await?,
        None => Vec::new(),
    };
    Ok(KpiReport {
        from: q.from,
        to: q.to,
        group_by: q.group_by,
        incidents,
        rules,
        rule_titles,
        sources,
        truncated: read.truncated,
        alerts,
        mttd_cutoff_seconds: u64::try_from(q.mttd_cutoff.as_secs()).unwrap_or(0),
        backlog,
        backlog_at: Some(now),
        trend: q.trend,
        trends,
    })
}

fn query(p: &Params, now: Timestamp) -> Result<KpiQuery, ApiError> {
    let to = p.read("to", |v| parse_time(v, now))?.unwrap_or(now);
    let from = p
        .read("from", |v| parse_time(v, now))?
        .unwrap_or_else(|| to.checked_sub(DEFAULT_PERIOD).unwrap_or(Timestamp::MIN));
    if from >= to {
        return Err(ApiError::param("from", "must be before `to`"));
    }
    let group_by = p.read("group_by", |v| {
        KpiGroupBy::parse(v).ok_or_else(|| {
            format!("`{v}` is not a grouping: use severity, priority, classification, team, owner, rule or tenant")
        })
    })?;
    let trend = p.read("trend", |v| {
        KpiTrend::parse(v).ok_or_else(|| format!("`{v}` is not a trend period: use week or month"))
    })?;
    let mttd_cutoff = p
        .read("mttd_cutoff", |v| {
            let d = parse_duration(v)?;
            SignedDuration::try_from(d)
                .ok()
                .filter(|d| d.is_positive())
                .ok_or_else(|| format!("`{v}` must be a positive duration such as `7d` or `12h`"))
        })?
        .unwrap_or(DEFAULT_MTTD_CUTOFF);
    let q = KpiQuery {
        from,
        to,
        group_by,
        trend,
        mttd_cutoff,
    };
    if let Some(t) = trend {
        kpi_trends::buckets(&q, t)?;
    }
    Ok(q)
}

/// `GET /api/v1/kpis`.
#[utoipa::path(
    get,
    path = "/api/v1/kpis",
    operation_id = "get_kpis",
    tag = "incidents",
    summary = "SOC KPIs",
    description = "The tenant's KPIs over `[from, to)`, each with its `formula` and `n` (the samples behind it); a time KPI gives `value_seconds` (the mean, wall-clock), and for incidents `median_seconds` and `p90_seconds`, a ratio or count gives `value`; with `n` 0 there is no value. Incident KPIs (MTTD first event → first alert, MTTA created → acknowledged, MTTC created → contained, MTTR created → resolved, MTBF, and SLA compliance per metric) cover the incidents created in the period; alert KPIs (MTTD event time → detected, MTTA detected → acknowledged or closed, MTTR detected → closed, volume, false-positive rate, precision) the alerts detected in it; both for the whole tenant and then per `group_by` value. MTTD leaves out samples older than `mttd_cutoff` at detection (back-filled or replayed events) and counts them in `excluded`. Per rule: alert volume, false-positive rate and precision; per source: alert volume. `backlog`: open alerts by level and open incidents by priority, by age, as of now. With `trend`, the same figures per ISO week or calendar month (UTC).",
    params(
        ("from" = Option<String>, Query, description = "Start of the period (inclusive): RFC 3339, a date, `now` or an age such as `30d`. Default: 30 days before `to`."),
        ("to" = Option<String>, Query, description = "End of the period (exclusive), same forms. Default: now."),
        ("group_by" = Option<KpiGroupBy>, Query, description = "Also give the KPIs per severity, priority, classification, team, owner, rule or tenant (alert KPIs: per level for severity, per rule, per tenant)."),
        ("trend" = Option<KpiTrend>, Query, description = "Also give the figures per ISO week (Monday 00:00 UTC) or calendar month (UTC), each clipped to the period; at most 120."),
        ("mttd_cutoff" = Option<String>, Query, description = "MTTD leaves out samples whose first event is further back than this before detection (default `7d`)."),
    ),
    responses(
        (status = 200, description = "The KPIs.", body = KpiReport),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice (the message names it), `from` is not before `to`, or the trend would have more than 120 periods.", body = ErrorBody),
    )
)]
pub async fn report(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<KpiReport>, ApiError> {
    let p = Params::of(&uri, &["from", "to", "group_by", "trend", "mttd_cutoff"])?;
    let now = Timestamp::now();
    let q = query(&p, now)?;
    Ok(Json(compute(&ctx, &principal.tenant, &q, now).await?))
}

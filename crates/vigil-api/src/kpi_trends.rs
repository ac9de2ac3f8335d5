//! The KPI report's backlog by age (as of now) and its weekly or monthly trends (UTC calendar
//! periods clipped to the report's period): `GET /api/v1/kpis?trend=week|month`.

use jiff::Timestamp;
use vigil_api_types::kpis::{BacklogRow, KpiTrend, TrendBucket};
use vigil_respond::kpi::{self, IncidentSample};
use vigil_respond::measure::{self, MAX_TREND_BUCKETS, TrendPeriod};
use vigil_state::measure::{AlertGroup, BacklogCount};

use super::kpis::KpiQuery;
use super::{ApiError, Ctx, records};

/// The trend's periods, or a `bad_request` when there would be too many.
pub(crate) fn buckets(q: &KpiQuery, trend: KpiTrend) -> Result<Vec<(Timestamp, Timestamp)>, ApiError> {
    let period = match trend {
        KpiTrend::Week => TrendPeriod::Week,
        KpiTrend::Month => TrendPeriod::Month,
    };
    measure::trend_buckets(q.from, q.to, period).ok_or_else(|| {
        ApiError::param(
            "trend",
            format!("the period holds more than {MAX_TREND_BUCKETS} of them: shorten it or use a longer trend period"),
        )
    })
}

/// The figures of each week or month of the period.
pub(crate) async fn trends(
    ctx: &Ctx,
    tenant: &str,
    q: &KpiQuery,
    trend: KpiTrend,
    samples: &[IncidentSample],
) -> Result<Vec<TrendBucket>, ApiError> {
    let cutoff = Some(q.mttd_cutoff.as_secs_f64());
    let mut out = Vec::new();
    for (start, end) in buckets(q, trend)? {
        let members: Vec<IncidentSample> = samples
            .iter()
            .filter(|s| s.created >= start && s.created < end)
            .cloned()
            .collect();
        let aggregate = ctx
            .state
            .kpi_alert_aggregates(Some(tenant), start, end, q.mttd_cutoff, AlertGroup::All)
            .await
            .map_err(|e| records::state_error("summing alerts for a KPI trend", e))?
            .first()
            .map(|(_, a)| *a)
            .unwrap_or_default();
        out.push(TrendBucket {
            start,
            end,
            incident_count: members.len() as u64,
            alert_count: aggregate.alerts,
            incidents: kpi::incident_kpis_with(&members, start, end, cutoff),
            alerts: measure::alert_kpis(&aggregate),
        });
    }
    Ok(out)
}

fn row(kind: &str, c: BacklogCount) -> BacklogRow {
    let [under_1h, from_1h_to_4h, from_4h_to_24h, from_1d_to_7d, over_7d] = c.buckets;
    BacklogRow {
        kind: kind.to_owned(),
        group: c.key,
        under_1h,
        from_1h_to_4h,
        from_4h_to_24h,
        from_1d_to_7d,
        over_7d,
        total: c.buckets.iter().sum(),
        oldest: c.oldest,
    }
}

/// `tenant`'s open alerts by level and open incidents by priority, by age as of `now`.
pub(crate) async fn backlog(ctx: &Ctx, tenant: &str, now: Timestamp) -> Result<Vec<BacklogRow>, ApiError> {
    let alerts = ctx
        .state
        .alert_backlog(Some(tenant), now)
        .await
        .map_err(|e| records::state_error("counting open alerts", e))?;
    let incidents = ctx
        .state
        .incident_backlog(Some(tenant), now)
        .await
        .map_err(|e| records::state_error("counting open incidents", e))?;
    Ok(alerts
        .into_iter()
        .map(|c| row("alert", c))
        .chain(incidents.into_iter().map(|c| row("incident", c)))
        .collect())
}

//! The measure gauges on `/metrics` (issue 17): open alerts by level, open incidents by priority,
//! SLA timers breached, the oldest open alert's age, and MTTA / MTTR over a rolling window, per
//! tenant. A periodic server task computes them from state ([`MeasureGauges::refresh`]); a scrape
//! only reads the last text, so scrapes cost the database nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::RwLock;

use jiff::{SignedDuration, Timestamp};
use vigil_respond::kpi::{self, Kpi};
use vigil_respond::measure;
use vigil_respond::{SlaPolicies, TimerState};
use vigil_state::measure::AlertGroup;
use vigil_state::{State, StateError};

use super::kpis::DEFAULT_MTTD_CUTOFF;

/// The rolling window of the MTTA and MTTR gauges.
pub const GAUGE_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);

/// The last rendered gauges (empty until the first refresh).
#[derive(Debug, Default)]
pub struct MeasureGauges {
    text: RwLock<String>,
}

/// What one refresh read, per tenant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GaugeValues {
    /// (tenant, level) → open alerts.
    pub open_alerts: BTreeMap<(String, String), u64>,
    /// (tenant, priority) → open incidents.
    pub open_incidents: BTreeMap<(String, String), u64>,
    /// (tenant, metric) → SLA timers of open incidents past their target.
    pub sla_breached: BTreeMap<(String, String), u64>,
    /// tenant → seconds since the oldest open alert was detected.
    pub oldest_open_alert: BTreeMap<String, f64>,
    /// (tenant, kind, kpi) → mean seconds over the window (kind `alert` or `incident`, kpi
    /// `mtta` or `mttr`); absent without samples.
    pub means: BTreeMap<(String, &'static str, &'static str), f64>,
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
}

impl GaugeValues {
    /// The Prometheus text (0.0.4) of these values, `refreshed` being when they were read.
    pub fn render(&self, refreshed: Timestamp) -> String {
        let mut out = String::new();
        let window = GAUGE_WINDOW.as_hours() / 24;
        family(
            &mut out,
            "vigil_open_alerts",
            "Alerts new or acknowledged, per tenant and level.",
        );
        for ((tenant, level), n) in &self.open_alerts {
            let _ = writeln!(
                out,
                "vigil_open_alerts{{tenant=\"{}\",level=\"{}\"}} {n}",
                label(tenant),
                label(level)
            );
        }
        family(
            &mut out,
            "vigil_open_incidents",
            "Incidents not closed and not merged, per tenant and priority (1 most urgent).",
        );
        for ((tenant, priority), n) in &self.open_incidents {
            let _ = writeln!(
                out,
                "vigil_open_incidents{{tenant=\"{}\",priority=\"{}\"}} {n}",
                label(tenant),
                label(priority)
            );
        }
        family(
            &mut out,
            "vigil_sla_breached_timers",
            "SLA timers of open incidents past their target, per tenant and metric (acknowledge, contain, resolve).",
        );
        for ((tenant, metric), n) in &self.sla_breached {
            let _ = writeln!(
                out,
                "vigil_sla_breached_timers{{tenant=\"{}\",metric=\"{metric}\"}} {n}",
                label(tenant)
            );
        }
        family(
            &mut out,
            "vigil_oldest_open_alert_age_seconds",
            "Seconds since the oldest open alert of the tenant was detected.",
        );
        for (tenant, age) in &self.oldest_open_alert {
            let _ = writeln!(
                out,
                "vigil_oldest_open_alert_age_seconds{{tenant=\"{}\"}} {age}",
                label(tenant)
            );
        }
        for (kpi, what) in [
            ("mtta", "acknowledgement (alerts: acknowledged or closed)"),
            ("mttr", "resolution (alerts: closed)"),
        ] {
            let name = format!("vigil_{kpi}_seconds");
            family(
                &mut out,
                &name,
                &format!(
                    "Mean seconds from creation to {what} over the last {window} days, per tenant and kind (alert: detected in the window; incident: created in it)."
                ),
            );
            for ((tenant, kind, k), v) in &self.means {
                if *k == kpi {
                    let _ = writeln!(out, "{name}{{tenant=\"{}\",kind=\"{kind}\"}} {v}", label(tenant));
                }
            }
        }
        family(
            &mut out,
            "vigil_measure_gauges_refreshed_timestamp_seconds",
            "When the measure gauges above were last computed (unix seconds).",
        );
        let _ = writeln!(
            out,
            "vigil_measure_gauges_refreshed_timestamp_seconds {}",
            refreshed.as_second()
        );
        out
    }
}

fn mean(kpis: &[Kpi], name: &str) -> Option<f64> {
    kpis.iter().find(|k| k.name == name)?.value_seconds
}

/// Reads every tenant's gauge values from `state` as of `now`, SLA timers by `sla`.
pub async fn read_values(state: &State, sla: &SlaPolicies, now: Timestamp) -> Result<GaugeValues, StateError> {
    let mut v = GaugeValues::default();
    let mut tenants = BTreeSet::new();
    for c in state.alert_backlog(None, now).await? {
        let total = c.buckets.iter().sum();
        if let Some(oldest) = c.oldest {
            let age = now.duration_since(oldest).as_secs_f64();
            let e = v.oldest_open_alert.entry(c.tenant.clone()).or_insert(age);
            *e = e.max(age);
        }
        tenants.insert(c.tenant.clone());
        v.open_alerts.insert((c.tenant, c.key), total);
    }
    for c in state.incident_backlog(None, now).await? {
        tenants.insert(c.tenant.clone());
        v.open_incidents.insert((c.tenant, c.key), c.buckets.iter().sum());
    }
    for stored in state.open_incidents_all_tenants().await? {
        let i = &stored.incident;
        let t = sla.timers(i.priority, &i.milestones.sla_times(), &stored.pauses, now);
        for (metric, timer) in [
            ("acknowledge", t.acknowledge),
            ("contain", t.contain),
            ("resolve", t.resolve),
        ] {
            let breached = u64::from(timer.is_some_and(|t| t.state == TimerState::Breached));
            *v.sla_breached.entry((i.tenant.clone(), metric.to_owned())).or_default() += breached;
        }
    }
    let since = now.checked_sub(GAUGE_WINDOW).unwrap_or(Timestamp::MIN);
    for (tenant, a) in state
        .kpi_alert_aggregates(None, since, now, DEFAULT_MTTD_CUTOFF, AlertGroup::Tenant)
        .await?
    {
        let kpis = measure::alert_kpis(&a);
        for k in ["mtta", "mttr"] {
            if let Some(m) = mean(&kpis, k) {
                v.means.insert((tenant.clone(), "alert", k), m);
            }
        }
        tenants.insert(tenant);
    }
    for tenant in tenants {
        let read = state.kpi_incidents(&tenant, since, now).await?;
        let samples: Vec<_> = read
            .incidents
            .iter()
            .map(|s| {
                let m = &s.incident.milestones;
                kpi::IncidentSample {
                    first_event: m.first_event,
                    detected: m.detected,
                    created: m.created,
                    acknowledged: m.acknowledged,
                    contained: m.contained,
                    resolved: m.resolved,
                    closed: m.closed,
                    true_positive: true,
                    sla: kpi::SlaOutcomes::default(),
                }
            })
            .collect();
        let kpis = kpi::incident_kpis(&samples, since, now);
        for k in ["mtta", "mttr"] {
            if let Some(m) = mean(&kpis, k) {
                v.means.insert((tenant.clone(), "incident", k), m);
            }
        }
    }
    Ok(v)
}

impl MeasureGauges {
    /// Recomputes the gauges from `state` as of `now`.
    pub async fn refresh(&self, state: &State, sla: &SlaPolicies, now: Timestamp) -> Result<(), StateError> {
        let started = std::time::Instant::now();
        let mut text = read_values(state, sla, now).await?.render(now);
        family(
            &mut text,
            "vigil_measure_gauges_refresh_seconds",
            "How long the last refresh of the measure gauges took.",
        );
        let _ = writeln!(
            text,
            "vigil_measure_gauges_refresh_seconds {}",
            started.elapsed().as_secs_f64()
        );
        *self.text.write().unwrap_or_else(|e| e.into_inner()) = text;
        Ok(())
    }

    /// The last rendered text (empty before the first refresh).
    pub fn render(&self) -> String {
        self.text.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_help_type_and_escaped_labels() {
        let mut v = GaugeValues::default();
        v.open_alerts.insert(("acme".into(), "hi\"gh".into()), 3);
        v.open_incidents.insert(("acme".into(), "1".into()), 2);
        v.sla_breached.insert(("acme".into(), "acknowledge".into()), 1);
        v.oldest_open_alert.insert("acme".into(), 7200.0);
        v.means.insert(("acme".into(), "alert", "mtta"), 60.0);
        let text = v.render(Timestamp::from_second(1_800_000_000).unwrap());
        for line in [
            "# HELP vigil_open_alerts Alerts new or acknowledged, per tenant and level.",
            "# TYPE vigil_open_alerts gauge",
            "vigil_open_alerts{tenant=\"acme\",level=\"hi\\\"gh\"} 3",
            "vigil_open_incidents{tenant=\"acme\",priority=\"1\"} 2",
            "vigil_sla_breached_timers{tenant=\"acme\",metric=\"acknowledge\"} 1",
            "vigil_oldest_open_alert_age_seconds{tenant=\"acme\"} 7200",
            "vigil_mtta_seconds{tenant=\"acme\",kind=\"alert\"} 60",
            "vigil_measure_gauges_refreshed_timestamp_seconds 1800000000",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
        }
        assert!(!text.contains("vigil_mttr_seconds{"));
    }
}

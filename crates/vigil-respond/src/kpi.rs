//! SOC KPIs from stored timestamps, as pure arithmetic: each figure carries its formula so a reader
//! knows what it means, and `n`, the number of samples behind it.
//!
//! Durations are wall-clock seconds between two stored milestones (SLA timers, by contrast, count
//! working time on a calendar and leave pauses out). A sample missing either end, or whose end is
//! before its start (clock skew), is left out of that KPI and of its `n`. Callers choose the
//! samples (e.g. incidents created in `[from, to)`) and group them; the period is passed in.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One KPI figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Kpi {
    /// Its name: `mttd`, `mtta`, `mttc`, `mttr`, `mtbf`, `sla_acknowledge`, `sla_contain`,
    /// `sla_resolve`, `alert_volume`, `false_positive_rate`, `precision`.
    pub name: String,
    /// The group's value (e.g. `3` for `group_by=severity`), absent for the whole tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The rule, for the per-rule KPIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// A time KPI: the mean, in seconds (absent when `n` is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_seconds: Option<f64>,
    /// A time KPI: the median, in seconds (nearest rank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_seconds: Option<f64>,
    /// A time KPI: the 90th percentile, in seconds (nearest rank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90_seconds: Option<f64>,
    /// A ratio (0 to 1) or a count (absent when `n` is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// What the figure is, in words and arithmetic.
    pub formula: String,
    /// How many samples it comes from.
    pub n: u64,
    /// Samples left out on purpose (MTTD: back-filled events older than the cut-off), absent
    /// when none were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<u64>,
}

impl Kpi {
    fn new(name: &str, formula: &str, n: u64) -> Kpi {
        Kpi {
            name: name.to_owned(),
            group: None,
            rule: None,
            value_seconds: None,
            median_seconds: None,
            p90_seconds: None,
            value: None,
            formula: formula.to_owned(),
            n,
            excluded: None,
        }
    }
}

/// Whether one SLA timer was met: `Some(true)` met, `Some(false)` breached, `None` when the policy
/// sets no target or the timer is still running within it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlaOutcomes {
    pub acknowledge: Option<bool>,
    pub contain: Option<bool>,
    pub resolve: Option<bool>,
}

/// What the incident KPIs read of one incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentSample {
    pub first_event: Option<Timestamp>,
    pub detected: Option<Timestamp>,
    pub created: Timestamp,
    pub acknowledged: Option<Timestamp>,
    pub contained: Option<Timestamp>,
    pub resolved: Option<Timestamp>,
    pub closed: Option<Timestamp>,
    /// Counts as a true-positive incident for MTBF.
    pub true_positive: bool,
    pub sla: SlaOutcomes,
}

pub const MTTD: &str =
    "mean(detected - first_event) over incidents with both: time from the first event to the first alert";
pub const MTTA: &str = "mean(acknowledged - created) over acknowledged incidents";
pub const MTTC: &str = "mean(contained - created) over contained incidents";
pub const MTTR: &str = "mean(resolved - created) over resolved incidents";
pub const MTBF: &str = "(period - time with at least one true-positive incident open) / true-positive incidents; an incident is open from created to resolved (else closed, else the period's end), clipped to the period";
pub const SLA_ACKNOWLEDGE: &str =
    "met / (met + breached) acknowledge SLA timers; running timers within target are left out";
pub const SLA_CONTAIN: &str = "met / (met + breached) contain SLA timers; running timers within target are left out";
pub const SLA_RESOLVE: &str = "met / (met + breached) resolve SLA timers; running timers within target are left out";
pub const ALERT_VOLUME: &str = "count of alerts detected in the period";
pub const FALSE_POSITIVE_RATE: &str = "false_positive / alerts with a disposition";
pub const PRECISION: &str = "true_positive / (true_positive + false_positive)";

fn seconds(from: Timestamp, to: Timestamp) -> f64 {
    let d = to.as_duration().saturating_sub(from.as_duration());
    d.as_secs_f64()
}

/// Mean, median and 90th percentile (nearest rank) of `spans`, as a KPI.
pub fn duration_kpi(name: &str, formula: &str, mut spans: Vec<f64>) -> Kpi {
    let mut kpi = Kpi::new(name, formula, spans.len() as u64);
    if spans.is_empty() {
        return kpi;
    }
    spans.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let at = (p * spans.len() as f64).ceil() as usize;
        spans[at.clamp(1, spans.len()) - 1]
    };
    kpi.value_seconds = Some(spans.iter().sum::<f64>() / spans.len() as f64);
    kpi.median_seconds = Some(rank(0.5));
    kpi.p90_seconds = Some(rank(0.9));
    kpi
}

/// `part / whole` as a KPI with `n = whole` (no value when `whole` is 0).
pub fn ratio_kpi(name: &str, formula: &str, part: u64, whole: u64) -> Kpi {
    let mut kpi = Kpi::new(name, formula, whole);
    if whole > 0 {
        kpi.value = Some(part as f64 / whole as f64);
    }
    kpi
}

fn spans(samples: &[IncidentSample], pick: impl Fn(&IncidentSample) -> Option<(Timestamp, Timestamp)>) -> Vec<f64> {
    samples
        .iter()
        .filter_map(pick)
        .filter(|(start, end)| end >= start)
        .map(|(start, end)| seconds(start, end))
        .collect()
}

fn sla_kpi(name: &str, formula: &str, outcomes: impl Iterator<Item = Option<bool>>) -> Kpi {
    let (mut met, mut decided) = (0, 0);
    for outcome in outcomes.flatten() {
        decided += 1;
        met += u64::from(outcome);
    }
    ratio_kpi(name, formula, met, decided)
}

/// Mean time between failures over `[from, to)`; `n` is the true-positive incidents.
pub fn mtbf(samples: &[IncidentSample], from: Timestamp, to: Timestamp) -> Kpi {
    let mut open: Vec<(Timestamp, Timestamp)> = samples
        .iter()
        .filter(|s| s.true_positive)
        .filter_map(|s| {
            let end = s.resolved.or(s.closed).unwrap_or(to).min(to);
            let start = s.created.max(from);
            (end > start).then_some((start, end))
        })
        .collect();
    let n = samples.iter().filter(|s| s.true_positive).count() as u64;
    let mut kpi = Kpi::new("mtbf", MTBF, n);
    if n == 0 || to <= from {
        return kpi;
    }
    open.sort();
    let mut busy = 0.0;
    let mut current: Option<(Timestamp, Timestamp)> = None;
    for (start, end) in open {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                busy += seconds(s, e);
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        busy += seconds(s, e);
    }
    kpi.value_seconds = Some((seconds(from, to) - busy) / n as f64);
    kpi
}

/// The incident KPIs of `samples` over `[from, to)`: MTTD, MTTA, MTTC, MTTR, MTBF and SLA
/// compliance per metric.
pub fn incident_kpis(samples: &[IncidentSample], from: Timestamp, to: Timestamp) -> Vec<Kpi> {
    incident_kpis_with(samples, from, to, None)
}

/// [`incident_kpis`], leaving out of MTTD the incidents whose first event is more than
/// `mttd_cutoff` seconds before their detection (back-filled or replayed events); the MTTD
/// figure then says how many in `excluded`.
pub fn incident_kpis_with(
    samples: &[IncidentSample],
    from: Timestamp,
    to: Timestamp,
    mttd_cutoff: Option<f64>,
) -> Vec<Kpi> {
    let detect = spans(samples, |s| Some((s.first_event?, s.detected?)));
    let (kept, excluded) = split_at_cutoff(detect, mttd_cutoff);
    let mut mttd = duration_kpi("mttd", MTTD, kept);
    mttd.excluded = (excluded > 0).then_some(excluded);
    vec![
        mttd,
        duration_kpi("mtta", MTTA, spans(samples, |s| Some((s.created, s.acknowledged?)))),
        duration_kpi("mttc", MTTC, spans(samples, |s| Some((s.created, s.contained?)))),
        duration_kpi("mttr", MTTR, spans(samples, |s| Some((s.created, s.resolved?)))),
        mtbf(samples, from, to),
        sla_kpi(
            "sla_acknowledge",
            SLA_ACKNOWLEDGE,
            samples.iter().map(|s| s.sla.acknowledge),
        ),
        sla_kpi("sla_contain", SLA_CONTAIN, samples.iter().map(|s| s.sla.contain)),
        sla_kpi("sla_resolve", SLA_RESOLVE, samples.iter().map(|s| s.sla.resolve)),
    ]
}

/// `spans` within `cutoff` seconds (all when `None`), and how many were over it.
pub fn split_at_cutoff(spans: Vec<f64>, cutoff: Option<f64>) -> (Vec<f64>, u64) {
    let Some(cutoff) = cutoff else {
        return (spans, 0);
    };
    let (kept, over): (Vec<f64>, Vec<f64>) = spans.into_iter().partition(|s| *s <= cutoff);
    (kept, over.len() as u64)
}

/// A rule's alerts in the period, by disposition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispositionCounts {
    /// All alerts, with a disposition or not.
    pub alerts: u64,
    pub true_positive: u64,
    pub benign_positive: u64,
    pub false_positive: u64,
    /// Duplicate, indeterminate or other.
    pub other: u64,
}

impl DispositionCounts {
    /// Adds `count` alerts of `disposition` (its wire name, `None` when not set).
    pub fn add(&mut self, disposition: Option<&str>, count: u64) {
        self.alerts += count;
        match disposition {
            None => {}
            Some("true_positive") => self.true_positive += count,
            Some("benign_positive") => self.benign_positive += count,
            Some("false_positive") => self.false_positive += count,
            Some(_) => self.other += count,
        }
    }

    fn dispositioned(&self) -> u64 {
        self.true_positive + self.benign_positive + self.false_positive + self.other
    }
}

/// A rule's alert volume, false-positive rate and precision, each naming `rule`.
pub fn rule_kpis(rule: &str, c: &DispositionCounts) -> Vec<Kpi> {
    let mut volume = Kpi::new("alert_volume", ALERT_VOLUME, c.alerts);
    volume.value = Some(c.alerts as f64);
    let mut kpis = vec![
        volume,
        ratio_kpi(
            "false_positive_rate",
            FALSE_POSITIVE_RATE,
            c.false_positive,
            c.dispositioned(),
        ),
        ratio_kpi(
            "precision",
            PRECISION,
            c.true_positive,
            c.true_positive + c.false_positive,
        ),
    ];
    for k in &mut kpis {
        k.rule = Some(rule.to_owned());
    }
    kpis
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).unwrap()
    }

    fn sample(created: i64) -> IncidentSample {
        IncidentSample {
            first_event: None,
            detected: None,
            created: t(created),
            acknowledged: None,
            contained: None,
            resolved: None,
            closed: None,
            true_positive: true,
            sla: SlaOutcomes::default(),
        }
    }

    fn find<'a>(kpis: &'a [Kpi], name: &str) -> &'a Kpi {
        kpis.iter().find(|k| k.name == name).unwrap()
    }

    #[test]
    fn means_medians_and_p90_by_hand() {
        let mut a = sample(0);
        a.first_event = Some(t(-100));
        a.detected = Some(t(-40));
        a.acknowledged = Some(t(60));
        a.resolved = Some(t(1000));
        let mut b = sample(2000);
        b.acknowledged = Some(t(2180));
        b.contained = Some(t(2500));
        let mut c = sample(3000);
        c.acknowledged = Some(t(3600));
        c.resolved = Some(t(2000)); // before created: clock skew, left out
        let kpis = incident_kpis(&[a, b, c], t(0), t(10_000));
        let mttd = find(&kpis, "mttd");
        assert_eq!((mttd.n, mttd.value_seconds), (1, Some(60.0)));
        let mtta = find(&kpis, "mtta");
        // 60, 180, 600: mean 280, median 180, p90 600.
        assert_eq!(mtta.n, 3);
        assert_eq!(mtta.value_seconds, Some(280.0));
        assert_eq!(mtta.median_seconds, Some(180.0));
        assert_eq!(mtta.p90_seconds, Some(600.0));
        assert_eq!(mtta.formula, MTTA);
        let mttc = find(&kpis, "mttc");
        assert_eq!((mttc.n, mttc.value_seconds), (1, Some(500.0)));
        let mttr = find(&kpis, "mttr");
        assert_eq!((mttr.n, mttr.value_seconds), (1, Some(1000.0)));
    }

    #[test]
    fn mttd_leaves_out_back_filled_incidents_and_counts_them() {
        let mut a = sample(0);
        a.first_event = Some(t(-100));
        a.detected = Some(t(-40));
        let mut replayed = sample(10);
        replayed.first_event = Some(t(-200_000_000)); // six years before
        replayed.detected = Some(t(5));
        let kpis = incident_kpis_with(&[a.clone(), replayed.clone()], t(0), t(100), Some(86_400.0));
        let mttd = find(&kpis, "mttd");
        assert_eq!((mttd.n, mttd.value_seconds, mttd.excluded), (1, Some(60.0), Some(1)));
        let all = incident_kpis(&[a, replayed], t(0), t(100));
        let mttd = find(&all, "mttd");
        assert_eq!((mttd.n, mttd.excluded), (2, None));
    }

    #[test]
    fn empty_samples_give_n_zero_and_no_value() {
        let kpis = incident_kpis(&[], t(0), t(100));
        assert_eq!(kpis.len(), 8);
        assert!(
            kpis.iter()
                .all(|k| k.n == 0 && k.value.is_none() && k.value_seconds.is_none())
        );
    }

    #[test]
    fn mtbf_subtracts_the_union_of_open_spans() {
        // Period 0..10000. Open: 0..1000 and 500..1500 (overlap: 1500 busy), 8000..(open to end) = 2000.
        let mut a = sample(0);
        a.resolved = Some(t(1000));
        let mut b = sample(500);
        b.closed = Some(t(1500));
        let c = sample(8000);
        let mut not_tp = sample(3000);
        not_tp.true_positive = false;
        let k = mtbf(&[a, b, c, not_tp], t(0), t(10_000));
        assert_eq!(k.n, 3);
        // (10000 - 3500) / 3
        assert_eq!(k.value_seconds, Some(6500.0 / 3.0));
    }

    #[test]
    fn mtbf_clips_to_the_period() {
        let mut a = sample(-500);
        a.resolved = Some(t(500));
        let k = mtbf(&[a], t(0), t(1000));
        assert_eq!((k.n, k.value_seconds), (1, Some(500.0)));
    }

    #[test]
    fn sla_compliance_counts_decided_timers_only() {
        let mut a = sample(0);
        a.sla = SlaOutcomes {
            acknowledge: Some(true),
            contain: Some(false),
            resolve: None,
        };
        let mut b = sample(1);
        b.sla.acknowledge = Some(false);
        let mut c = sample(2);
        c.sla.acknowledge = Some(true);
        let kpis = incident_kpis(&[a, b, c], t(0), t(10));
        let ack = find(&kpis, "sla_acknowledge");
        assert_eq!((ack.n, ack.value), (3, Some(2.0 / 3.0)));
        let contain = find(&kpis, "sla_contain");
        assert_eq!((contain.n, contain.value), (1, Some(0.0)));
        assert_eq!(find(&kpis, "sla_resolve").n, 0);
    }

    #[test]
    fn rule_rates_from_dispositions() {
        let mut c = DispositionCounts::default();
        c.add(Some("true_positive"), 3);
        c.add(Some("false_positive"), 1);
        c.add(Some("benign_positive"), 2);
        c.add(Some("duplicate"), 2);
        c.add(None, 5);
        let kpis = rule_kpis("r1", &c);
        let volume = find(&kpis, "alert_volume");
        assert_eq!((volume.n, volume.value), (13, Some(13.0)));
        let fp = find(&kpis, "false_positive_rate");
        assert_eq!((fp.n, fp.value), (8, Some(1.0 / 8.0)));
        let precision = find(&kpis, "precision");
        assert_eq!((precision.n, precision.value), (4, Some(0.75)));
        assert!(kpis.iter().all(|k| k.rule.as_deref() == Some("r1")));
    }
}

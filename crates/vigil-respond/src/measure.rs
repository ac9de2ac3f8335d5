//! The alert-level KPIs, the backlog's age buckets and the trend periods (issue 17, "Measure"),
//! as pure arithmetic beside [`crate::kpi`].
//!
//! Alert figures come from sums and counts the database aggregates (a month can hold millions of
//! alerts), so they give the mean only, not the median or p90. Calendar periods are in UTC: ISO
//! weeks (Monday 00:00 to Monday 00:00) and calendar months.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

use crate::kpi::{self, Kpi};

/// The sums behind one group's alert KPIs, as the database aggregates them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AlertAggregate {
    /// Alerts detected in the period.
    pub alerts: u64,
    /// Alerts with an event time within the MTTD cut-off before detection, and the sum of their
    /// `detected - event_time`, in seconds.
    pub mttd_n: u64,
    pub mttd_sum: f64,
    /// Alerts whose event time is further back than the cut-off (back-filled or replayed).
    pub mttd_excluded: u64,
    /// Alerts acknowledged or closed by a person, and the sum of `first response - detected`.
    pub mtta_n: u64,
    pub mtta_sum: f64,
    /// Closed alerts, and the sum of `closed - detected`.
    pub mttr_n: u64,
    pub mttr_sum: f64,
    /// Alerts with a disposition, and of those false and true positives.
    pub dispositioned: u64,
    pub false_positive: u64,
    pub true_positive: u64,
}

impl AlertAggregate {
    /// Adds `other`'s counts and sums to these.
    pub fn merge(&mut self, other: &AlertAggregate) {
        self.alerts += other.alerts;
        self.mttd_n += other.mttd_n;
        self.mttd_sum += other.mttd_sum;
        self.mttd_excluded += other.mttd_excluded;
        self.mtta_n += other.mtta_n;
        self.mtta_sum += other.mtta_sum;
        self.mttr_n += other.mttr_n;
        self.mttr_sum += other.mttr_sum;
        self.dispositioned += other.dispositioned;
        self.false_positive += other.false_positive;
        self.true_positive += other.true_positive;
    }
}

pub const ALERT_MTTD: &str = "mean(detected - event_time) over alerts with an event time at most the cut-off (mttd_cutoff_seconds) before detection; older ones are back-filled or replayed and counted in `excluded`";
pub const ALERT_MTTA: &str = "mean(first response - detected) over alerts a person acknowledged or closed; first response = acknowledged, else closed";
pub const ALERT_MTTR: &str = "mean(closed - detected) over closed alerts";

fn mean_kpi(name: &str, formula: &str, n: u64, sum: f64) -> Kpi {
    let mut k = kpi::duration_kpi(name, formula, Vec::new());
    k.n = n;
    if n > 0 {
        k.value_seconds = Some(sum / n as f64);
    }
    k
}

/// The alert KPIs of one group: MTTD, MTTA, MTTR (means), alert volume, false-positive rate and
/// precision.
pub fn alert_kpis(a: &AlertAggregate) -> Vec<Kpi> {
    let mut mttd = mean_kpi("mttd", ALERT_MTTD, a.mttd_n, a.mttd_sum);
    mttd.excluded = (a.mttd_excluded > 0).then_some(a.mttd_excluded);
    let mut volume = kpi::ratio_kpi("alert_volume", kpi::ALERT_VOLUME, 0, a.alerts);
    volume.value = Some(a.alerts as f64);
    vec![
        mttd,
        mean_kpi("mtta", ALERT_MTTA, a.mtta_n, a.mtta_sum),
        mean_kpi("mttr", ALERT_MTTR, a.mttr_n, a.mttr_sum),
        volume,
        kpi::ratio_kpi(
            "false_positive_rate",
            kpi::FALSE_POSITIVE_RATE,
            a.false_positive,
            a.dispositioned,
        ),
        kpi::ratio_kpi(
            "precision",
            kpi::PRECISION,
            a.true_positive,
            a.true_positive + a.false_positive,
        ),
    ]
}

/// The backlog's age buckets, by their upper edge: `<1h`, `1–4h`, `4–24h`, `1–7d`, then `>7d`.
pub const BACKLOG_EDGES: [SignedDuration; 4] = [
    SignedDuration::from_hours(1),
    SignedDuration::from_hours(4),
    SignedDuration::from_hours(24),
    SignedDuration::from_hours(24 * 7),
];

/// The instants the backlog buckets start at, as of `now`: `now - 1h`, `now - 4h`, `now - 24h`,
/// `now - 7d`. An item created after `bounds[0]` is under an hour old, and so on.
pub fn backlog_bounds(now: Timestamp) -> [Timestamp; 4] {
    BACKLOG_EDGES.map(|d| now.checked_sub(d).unwrap_or(Timestamp::MIN))
}

/// The bucket (0 to 4) of an item created at `created`, as of `now`.
pub fn backlog_bucket(created: Timestamp, now: Timestamp) -> usize {
    backlog_bounds(now).iter().take_while(|b| created <= **b).count()
}

/// A trend's calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendPeriod {
    /// ISO weeks, Monday 00:00 UTC to the next Monday.
    Week,
    /// Calendar months in UTC.
    Month,
}

/// The most buckets one trend gives.
pub const MAX_TREND_BUCKETS: usize = 120;

fn period_start(t: Timestamp, period: TrendPeriod) -> Timestamp {
    let day = t.to_zoned(TimeZone::UTC).date();
    let first = match period {
        TrendPeriod::Week => day
            .checked_sub(i64::from(day.weekday().to_monday_zero_offset()).days())
            .unwrap_or(day),
        TrendPeriod::Month => day.first_of_month(),
    };
    first.to_zoned(TimeZone::UTC).map_or(Timestamp::MIN, |z| z.timestamp())
}

fn next_start(start: Timestamp, period: TrendPeriod) -> Option<Timestamp> {
    let z = start.to_zoned(TimeZone::UTC);
    let next = match period {
        TrendPeriod::Week => z.checked_add(7.days()),
        TrendPeriod::Month => z.checked_add(1.month()),
    };
    next.ok().map(|z| z.timestamp())
}

/// The calendar periods overlapping `[from, to)`, each clipped to it, oldest first, at most
/// [`MAX_TREND_BUCKETS`] (the newest are kept); `None` when there would be more.
pub fn trend_buckets(from: Timestamp, to: Timestamp, period: TrendPeriod) -> Option<Vec<(Timestamp, Timestamp)>> {
    let mut out = Vec::new();
    let mut start = period_start(from, period);
    while start < to {
        let end = next_start(start, period)?;
        out.push((start.max(from), end.min(to)));
        if out.len() > MAX_TREND_BUCKETS {
            return None;
        }
        start = end;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn alert_means_from_sums_and_the_excluded_count() {
        let a = AlertAggregate {
            alerts: 10,
            mttd_n: 4,
            mttd_sum: 400.0,
            mttd_excluded: 2,
            mtta_n: 2,
            mtta_sum: 90.0,
            mttr_n: 0,
            mttr_sum: 0.0,
            dispositioned: 5,
            false_positive: 1,
            true_positive: 3,
        };
        let k = alert_kpis(&a);
        let by = |n: &str| k.iter().find(|k| k.name == n).unwrap().clone();
        assert_eq!(
            (by("mttd").n, by("mttd").value_seconds, by("mttd").excluded),
            (4, Some(100.0), Some(2))
        );
        assert_eq!(by("mttd").median_seconds, None);
        assert_eq!((by("mtta").n, by("mtta").value_seconds), (2, Some(45.0)));
        assert_eq!((by("mttr").n, by("mttr").value_seconds), (0, None));
        assert_eq!(by("alert_volume").value, Some(10.0));
        assert_eq!(by("false_positive_rate").value, Some(0.2));
        assert_eq!(by("precision").value, Some(0.75));
    }

    #[test]
    fn backlog_buckets_by_age() {
        let now = ts("2026-03-10T12:00:00Z");
        let ages = [
            0,
            3599,
            3600,
            3601,
            4 * 3600 + 1,
            86_400 + 1,
            7 * 86_400,
            7 * 86_400 + 1,
        ];
        let buckets: Vec<usize> = ages
            .iter()
            .map(|a| backlog_bucket(now - SignedDuration::from_secs(*a), now))
            .collect();
        assert_eq!(buckets, vec![0, 0, 1, 1, 2, 3, 4, 4]);
    }

    #[test]
    fn iso_weeks_start_on_monday_utc_and_are_clipped_to_the_period() {
        // 2026-03-04 is a Wednesday.
        let b = trend_buckets(
            ts("2026-03-04T10:00:00Z"),
            ts("2026-03-17T00:00:00Z"),
            TrendPeriod::Week,
        )
        .unwrap();
        assert_eq!(
            b,
            vec![
                (ts("2026-03-04T10:00:00Z"), ts("2026-03-09T00:00:00Z")),
                (ts("2026-03-09T00:00:00Z"), ts("2026-03-16T00:00:00Z")),
                (ts("2026-03-16T00:00:00Z"), ts("2026-03-17T00:00:00Z")),
            ]
        );
    }

    #[test]
    fn months_are_calendar_months() {
        let b = trend_buckets(
            ts("2026-01-01T00:00:00Z"),
            ts("2026-03-01T00:00:00Z"),
            TrendPeriod::Month,
        )
        .unwrap();
        assert_eq!(
            b,
            vec![
                (ts("2026-01-01T00:00:00Z"), ts("2026-02-01T00:00:00Z")),
                (ts("2026-02-01T00:00:00Z"), ts("2026-03-01T00:00:00Z")),
            ]
        );
        assert!(
            trend_buckets(
                ts("2000-01-01T00:00:00Z"),
                ts("2026-01-01T00:00:00Z"),
                TrendPeriod::Week
            )
            .is_none()
        );
    }
}

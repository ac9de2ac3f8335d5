//! SOC KPIs (`GET /api/v1/kpis`, issue 17 "Measure"): each figure with its formula and `n`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
pub use vigil_respond::kpi::Kpi;

/// What the incident KPIs can be grouped by (`group_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiGroupBy {
    Severity,
    Priority,
    Classification,
    Team,
    Owner,
    /// The rules of the incident's alerts (an incident counts under each of its rules; one with
    /// no alert under `""`); the alert KPIs by the alert's rule.
    Rule,
    /// The tenant. A principal reads exactly one tenant (docs/access.md), so this gives one group.
    Tenant,
}

impl KpiGroupBy {
    /// Every value, in the order documented.
    pub const ALL: [KpiGroupBy; 7] = [
        KpiGroupBy::Severity,
        KpiGroupBy::Priority,
        KpiGroupBy::Classification,
        KpiGroupBy::Team,
        KpiGroupBy::Owner,
        KpiGroupBy::Rule,
        KpiGroupBy::Tenant,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KpiGroupBy::Severity => "severity",
            KpiGroupBy::Priority => "priority",
            KpiGroupBy::Classification => "classification",
            KpiGroupBy::Team => "team",
            KpiGroupBy::Owner => "owner",
            KpiGroupBy::Rule => "rule",
            KpiGroupBy::Tenant => "tenant",
        }
    }

    /// The value named `s`, if any.
    pub fn parse(s: &str) -> Option<KpiGroupBy> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// The KPIs of the principal's tenant over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KpiReport {
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    /// How the incident KPIs are grouped; `null` for the whole tenant.
    pub group_by: Option<KpiGroupBy>,
    /// Incident KPIs (MTTD, MTTA, MTTC, MTTR, MTBF, SLA compliance per metric) over the incidents
    /// created in the period, then per group when `group_by` is given (each naming its `group`).
    pub incidents: Vec<Kpi>,
    /// Per rule (each naming its `rule`): alert volume, false-positive rate and precision, over
    /// the alerts detected in the period.
    pub rules: Vec<Kpi>,
    /// The title of each rule of `rules`, by its id (as its alerts in the period name it).
    #[serde(default)]
    pub rule_titles: BTreeMap<String, String>,
    /// Alert volume per source (the input; `group` names it, empty for alerts of no input).
    pub sources: Vec<Kpi>,
    /// More incidents were created in the period than one report reads (50,000); the oldest
    /// were left out.
    pub truncated: bool,
    /// Alert KPIs over the alerts detected in the period: MTTD, MTTA, MTTR (means), alert volume,
    /// false-positive rate and precision, for the whole tenant, then per group for `group_by`
    /// severity (the alert's level), rule or tenant.
    #[serde(default)]
    pub alerts: Vec<Kpi>,
    /// MTTD leaves out samples whose first event is further back than this before detection
    /// (back-filled or replayed events), counting them in the figure's `excluded`.
    #[serde(default)]
    pub mttd_cutoff_seconds: u64,
    /// Open alerts by level and open incidents by priority, by age, as of `backlog_at`.
    #[serde(default)]
    pub backlog: Vec<BacklogRow>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default)]
    pub backlog_at: Option<Timestamp>,
    /// The trend's period when `trend` is given, else `null`.
    #[serde(default)]
    pub trend: Option<KpiTrend>,
    /// Per week or month (UTC; ISO weeks start on Monday), oldest first, each clipped to
    /// `[from, to)`; empty without `trend`.
    #[serde(default)]
    pub trends: Vec<TrendBucket>,
}

/// The calendar period of a trend (`trend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiTrend {
    /// ISO weeks in UTC, Monday 00:00 to Monday 00:00.
    Week,
    /// Calendar months in UTC.
    Month,
}

impl KpiTrend {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KpiTrend::Week => "week",
            KpiTrend::Month => "month",
        }
    }

    /// The value named `s`, if any.
    pub fn parse(s: &str) -> Option<KpiTrend> {
        [KpiTrend::Week, KpiTrend::Month].into_iter().find(|t| t.as_str() == s)
    }
}

/// Open items of one kind and key by age (time since the alert was detected or the incident
/// created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BacklogRow {
    /// `alert` (open: `new` or `acknowledged`) or `incident` (open: not closed, not merged).
    pub kind: String,
    /// The alert's level, or the incident's priority (`1` most urgent).
    pub group: String,
    pub under_1h: u64,
    pub from_1h_to_4h: u64,
    pub from_4h_to_24h: u64,
    pub from_1d_to_7d: u64,
    pub over_7d: u64,
    pub total: u64,
    /// When the oldest of them was detected or created.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub oldest: Option<Timestamp>,
}

/// One week or month of a trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TrendBucket {
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    /// Incidents created in it.
    pub incident_count: u64,
    /// Alerts detected in it.
    pub alert_count: u64,
    /// The incident KPIs of the incidents created in it (as `incidents` above).
    pub incidents: Vec<Kpi>,
    /// The alert KPIs of the alerts detected in it (as `alerts` above).
    pub alerts: Vec<Kpi>,
}

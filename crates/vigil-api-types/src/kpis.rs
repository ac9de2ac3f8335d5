//! SOC KPIs (`GET /api/v1/kpis`, issue 17 "Measure"): each figure with its formula and `n`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
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
}

impl KpiGroupBy {
    /// Every value, in the order documented.
    pub const ALL: [KpiGroupBy; 5] = [
        KpiGroupBy::Severity,
        KpiGroupBy::Priority,
        KpiGroupBy::Classification,
        KpiGroupBy::Team,
        KpiGroupBy::Owner,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KpiGroupBy::Severity => "severity",
            KpiGroupBy::Priority => "priority",
            KpiGroupBy::Classification => "classification",
            KpiGroupBy::Team => "team",
            KpiGroupBy::Owner => "owner",
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
    /// Alert volume per source (the input; `group` names it, empty for alerts of no input).
    pub sources: Vec<Kpi>,
    /// More incidents were created in the period than one report reads (50,000); the oldest
    /// were left out.
    pub truncated: bool,
}

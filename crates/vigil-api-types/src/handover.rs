//! The shift handover (`GET /api/v1/handover`): what a shift passes on — incidents opened and
//! changed in the period, those still open with their SLA timers, breaches and near-breaches, and
//! the alerts nobody has looked at yet.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::incidents::{IncidentStatus, Priority, Severity, SlaTimers, TimelineEntry};

/// The briefing of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Handover {
    pub tenant: String,
    /// The period: `[since, until)`.
    pub since: Timestamp,
    pub until: Timestamp,
    /// When it was put together: statuses, SLA timers and the alert queue are as of then.
    pub generated: Timestamp,
    /// A running timer counts as near a breach when in `warning` or due within this many seconds.
    pub near_breach_seconds: i64,
    /// Incidents created in the period, newest first.
    pub opened: Vec<HandoverIncident>,
    /// Incidents with timeline entries in the period, most recently changed first, with those entries.
    pub changed: Vec<IncidentActivity>,
    /// Incidents not closed, most urgent first (priority, then breached, then near a breach).
    pub open: Vec<HandoverIncident>,
    /// Timers of open incidents past their target.
    pub breached: Vec<SlaAlarm>,
    /// Running timers of open incidents in `warning` or due soon.
    pub near_breach: Vec<SlaAlarm>,
    /// The alerts still `new`.
    pub new_alerts: NewAlertSummary,
    /// Set when a listing was cut short (more than 10 000 timeline entries or open incidents).
    pub truncated: bool,
}

/// An incident as the handover shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HandoverIncident {
    pub id: String,
    pub title: String,
    pub status: IncidentStatus,
    pub priority: Priority,
    pub severity: Severity,
    pub classification: String,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub sla: SlaTimers,
    /// Mandatory tasks still `open` or `in_progress`.
    pub mandatory_tasks_pending: u64,
    /// Pending tasks past their due time.
    pub tasks_overdue: u64,
}

/// What happened to one incident in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentActivity {
    pub id: String,
    /// `null` when the incident has been deleted since.
    pub title: Option<String>,
    /// Its status now (`null` when deleted).
    pub status: Option<IncidentStatus>,
    pub priority: Option<Priority>,
    /// Entries by kind, e.g. `{"note": 2, "status_changed": 1}`.
    pub counts: std::collections::BTreeMap<String, u64>,
    /// The period's timeline entries, oldest first.
    pub entries: Vec<TimelineEntry>,
}

/// One SLA timer of an open incident that needs attention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlaAlarm {
    pub incident_id: String,
    pub title: String,
    pub priority: Priority,
    pub owner: Option<String>,
    /// `acknowledge`, `contain` or `resolve`.
    pub metric: String,
    /// When the target is (or was) reached.
    pub due: Option<Timestamp>,
    /// Seconds from `generated` to `due`: negative once breached.
    pub seconds_left: Option<i64>,
}

/// The alerts still `new` of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct NewAlertSummary {
    pub total: u64,
    /// When the oldest of them was raised, and how long ago (seconds).
    pub oldest: Option<Timestamp>,
    pub oldest_age_seconds: Option<i64>,
    /// The rules with the most of them, most first.
    pub top_rules: Vec<RuleCount>,
}

/// Alerts of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RuleCount {
    pub rule_id: String,
    pub rule_title: String,
    pub alerts: u64,
}

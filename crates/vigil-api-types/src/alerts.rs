//! Alerts as the API gives them: `GET /api/v1/alerts`, `GET /api/v1/alerts/{id}` and
//! `GET /api/v1/alerts/{id}/events`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::search::Hit;
use vigil_respond::{AlertStatus, Disposition};

/// Whether an alert came from a single-event rule or a correlation rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    /// A detection rule matched one event.
    Detection,
    /// A correlation rule fired over several events.
    Correlation,
}

impl AlertKind {
    /// The name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Detection => "detection",
            AlertKind::Correlation => "correlation",
        }
    }

    /// The kind of a stored name.
    pub fn parse(s: &str) -> Option<AlertKind> {
        match s {
            "detection" => Some(AlertKind::Detection),
            "correlation" => Some(AlertKind::Correlation),
            _ => None,
        }
    }
}

/// A stored alert: what a rule raised, plus its insertion sequence and status. This is the element of the
/// `GET /api/v1/alerts` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    /// Insertion order, strictly increasing and never reused.
    pub seq: i64,
    /// Deterministic alert id.
    pub id: String,
    /// The tenant the alert belongs to (its event's). A server from before tenants sends none:
    /// everything it holds is the default tenant's.
    #[serde(default = "crate::access::default_tenant")]
    pub tenant: String,
    /// Triage status: `new` when raised, then `acknowledged`, `closed` (with a disposition) or
    /// `merged` into an incident.
    pub status: AlertStatus,
    /// Why it was closed (with `closed`).
    #[serde(default)]
    pub disposition: Option<Disposition>,
    /// The user (or `team:<name>`) it is assigned to.
    #[serde(default)]
    pub assignee: Option<String>,
    /// The incident it was merged into.
    #[serde(default)]
    pub incident_id: Option<String>,
    /// Id of the rule that fired.
    pub rule_id: String,
    /// Title of the rule that fired.
    pub rule_title: String,
    /// Sigma level as given.
    pub level: String,
    /// Detection or correlation.
    pub kind: AlertKind,
    /// ATT&CK technique and tactic ids.
    pub attack: Vec<String>,
    /// Other rule tags.
    pub tags: Vec<String>,
    /// Ids of the events that produced the alert.
    pub event_ids: Vec<String>,
    /// Correlation group key, if any.
    pub group_key: Option<String>,
    /// Time of the (last) triggering event.
    pub event_time: Option<Timestamp>,
    /// When Vigil raised the alert.
    pub detected: Timestamp,
    /// Input the event arrived on.
    pub input: Option<String>,
    /// Host the event came from.
    pub host: Option<String>,
    /// What matched. A detection: `{"selections": ["sel", …], "fields": [{"field": "CommandLine",
    /// "value": "…"}, …]}` (field matches, at most 16, values cut at 256 characters; keyword matches
    /// are not listed; alerts raised before fields were kept have `selections` only). A correlation:
    /// `{"value": 3, "timespan_secs": 3600}`. A silent source: the source and its threshold.
    pub matched: serde_json::Value,
    /// Matches folded into this alert by in-stream grouping (1 for an ungrouped alert);
    /// `event_ids` keeps the first 100 of their events.
    #[serde(default = "one")]
    pub occurrences: u64,
    /// The first and the last match's detection (grouped alerts).
    #[serde(default)]
    pub first_seen: Option<Timestamp>,
    #[serde(default)]
    pub last_seen: Option<Timestamp>,
    /// The grouping fingerprint: rule and group-by values (`group_key` shows the values).
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// Who changed it last, and when (`None` until triaged).
    #[serde(default)]
    pub updated: Option<Timestamp>,
    #[serde(default)]
    pub updated_by: Option<String>,
    /// When it was first acknowledged, and by whom.
    #[serde(default)]
    pub acknowledged: Option<Timestamp>,
    #[serde(default)]
    pub acknowledged_by: Option<String>,
    /// When it was closed, and by whom (cleared when reopened).
    #[serde(default)]
    pub closed: Option<Timestamp>,
    #[serde(default)]
    pub closed_by: Option<String>,
}

fn one() -> u64 {
    1
}

/// One page of alerts, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertPage {
    /// The alerts, newest (highest `seq`) first.
    pub alerts: Vec<Alert>,
    /// Pass as the `cursor` parameter to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Number of alerts matching the filters (all pages).
    pub total: u64,
}

/// The answer of `GET /api/v1/alerts/{id}/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertEvents {
    /// The alert, as `GET /api/v1/alerts/{id}` gives it.
    pub alert: Alert,
    /// Its events found in the store, oldest first.
    pub events: Vec<Hit>,
    /// Ids of its events the store does not hold: not committed yet (searchable after
    /// `[pipeline] commit_interval`), or past the store's retention.
    pub missing: Vec<String>,
}

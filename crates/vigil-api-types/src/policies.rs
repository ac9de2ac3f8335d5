//! `GET /api/v1/policies`: a read-only view of the response configuration the server runs with
//! (`[respond]` and `[reports]` of its configuration file): the priority matrix, SLA targets per
//! priority, SLA notifications, escalation policies, on-call rotations, people and teams,
//! auto-incident policies, notification channels and scheduled reports.
//!
//! Channels are shown without their secrets: no SMTP password, no webhook signing secret, and of
//! a webhook URL only its scheme, host and port (chat webhooks carry their token in the path,
//! others in the query or the user part).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The priority (1 = P1 … 5 = P5) of each impact × urgency; each row is urgency high, medium, low.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MatrixView {
    pub high: [u8; 3],
    pub medium: [u8; 3],
    pub low: [u8; 3],
}

/// The SLA targets of one priority, in working time of its calendar.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlaPolicyView {
    /// `P1` … `P5`.
    pub priority: String,
    /// Durations such as `15m`, `4h`, `1d` (absent: no target).
    pub acknowledge: Option<String>,
    pub contain: Option<String>,
    pub resolve: Option<String>,
    /// The share of a target from which a running timer warns.
    pub warn_at: f64,
    /// `24x7` or a calendar of `[respond.calendars]`.
    pub calendar: String,
}

/// Who hears of SLA warnings and breaches: channel names, `oncall:`, `person:` and `team:`
/// entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaNotifyView {
    pub sla_warning: Vec<String>,
    pub sla_breach: Vec<String>,
}

/// One level of an escalation policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EscalationLevelView {
    /// Time since the incident was created (`30m`).
    pub after: String,
    pub notify: Vec<String>,
    /// Notify again every this long while the milestone is missing.
    pub repeat: Option<String>,
}

/// `[[respond.escalation]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EscalationView {
    pub name: String,
    /// Priorities it applies to (1 = P1); empty: all.
    pub priorities: Vec<u8>,
    /// `acknowledged` or `resolved`: the milestone that stops it.
    pub until: String,
    pub levels: Vec<EscalationLevelView>,
}

/// `[respond.oncall.NAME]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RotationView {
    pub name: String,
    /// The IANA time zone of its handover and overrides.
    pub zone: String,
    /// The members, in the order of their weeks.
    pub members: Vec<String>,
    /// The e-mail channel that reaches the person on call.
    pub channel: String,
}

/// `[respond.people.NAME]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PersonView {
    pub name: String,
    pub email: String,
}

/// `[respond.teams.NAME]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TeamView {
    pub name: String,
    pub members: Vec<String>,
}

/// `[[respond.auto_incident]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AutoIncidentView {
    pub name: String,
    /// Alerts at or above this level count.
    pub min_level: String,
    /// How many open alerts on one host open an incident (1: every alert).
    pub count: u32,
    /// Within how long (for `count` above 1).
    pub within: Option<String>,
    /// The RSIT classification the incident gets.
    pub classification: String,
}

/// A notification channel of `[respond.channels]`, without its secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelView {
    pub name: String,
    /// `webhook`, `slack`, `teams`, `mattermost` or `email`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where it delivers: a webhook's `scheme://host:port` (path, query and credentials left out),
    /// or an e-mail channel's recipients and relay (`to a@x, b@y via smtp.example.org:587`).
    pub target: String,
    /// Webhooks: whether deliveries are signed (`X-Vigil-Signature`); e-mail: whether the relay
    /// is logged in to. The secret itself is never shown.
    pub authenticated: bool,
}

/// `[[reports.schedule]]` of the caller's tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportScheduleView {
    pub name: String,
    /// `daily`, `weekly` or `monthly`.
    pub every: String,
    pub formats: Vec<String>,
    /// The folder the reports are written to, on the server.
    pub dir: String,
    pub tenant: String,
    /// Channel names told when a report is written.
    pub notify: Vec<String>,
}

/// `GET /api/v1/policies`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Policies {
    pub priority_matrix: MatrixView,
    /// P1 to P5.
    pub sla: Vec<SlaPolicyView>,
    pub sla_notify: SlaNotifyView,
    pub escalation: Vec<EscalationView>,
    pub oncall: Vec<RotationView>,
    pub people: Vec<PersonView>,
    pub teams: Vec<TeamView>,
    /// The e-mail channel of `person:` and `team:` entries.
    pub people_channel: Option<String>,
    /// In order: the first that matches an alert opens its incident.
    pub auto_incident: Vec<AutoIncidentView>,
    pub channels: Vec<ChannelView>,
    /// The schedules of the caller's tenant.
    pub reports: Vec<ReportScheduleView>,
}

//! Incidents: `/api/v1/incidents` and its sub-resources.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
pub use vigil_respond::{Impact, IncidentStatus, Pap, Priority, Severity, Timer, TimerState, Tlp, Urgency};

use crate::triage::{MAX_ASSIGNEE_CHARS, MAX_COMMENT_CHARS, check_text};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 256;
/// Longest description, resolution or lessons-learned text, in characters.
pub const MAX_LONG_TEXT_CHARS: usize = 65_536;
/// Most alerts linked in one request.
pub const MAX_LINK_IDS: usize = 1000;

/// `POST /api/v1/incidents`: a new incident, from alerts or by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub title: String,
    /// 1 low, 2 medium, 3 high, 4 critical.
    pub severity: Severity,
    /// RSIT v1.3 `category:type`, e.g. `intrusions:system-compromise` (`GET /api/v1/taxonomy`).
    pub classification: String,
    /// Alerts to merge into the incident (they become `merged`).
    #[serde(default)]
    pub alert_ids: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Impact and urgency give the priority (ITIL matrix); by default they follow the severity.
    #[serde(default)]
    pub impact: Option<Impact>,
    #[serde(default)]
    pub urgency: Option<Urgency>,
    /// Traffic Light Protocol (default `amber`).
    #[serde(default)]
    pub tlp: Option<Tlp>,
    /// Permissible Actions Protocol (default `amber`).
    #[serde(default)]
    pub pap: Option<Pap>,
    /// The user who owns it, and the team.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    /// ATT&CK technique ids added by hand (those of linked alerts are added by themselves).
    #[serde(default)]
    pub attack: Vec<String>,
}

/// `PATCH /api/v1/incidents/{id}`: fields left out stay as they are; `owner` and `team` take
/// `null` to clear. Closing (`"status": "closed"`) needs `resolution` and `lessons_learned`, given
/// here or earlier, and `case:close`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IncidentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Urgency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pap: Option<Pap>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub team: Option<Option<String>>,
    /// How it was resolved (required to close).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// What the SOC learned (required to close).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lessons_learned: Option<String>,
    /// Replaces the ATT&CK ids added by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack: Option<Vec<String>>,
    /// A note for the timeline, kept with the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Checks an ATT&CK id: `T1234`, `T1234.001` or a tactic `TA0001`.
pub fn check_attack_id(id: &str) -> Result<(), String> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match id.split_once('.') {
        Some((t, sub)) => t.strip_prefix('T').is_some_and(|d| digits(d, 4)) && digits(sub, 3),
        None => {
            id.strip_prefix("TA").is_some_and(|d| digits(d, 4)) || id.strip_prefix('T').is_some_and(|d| digits(d, 4))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "attack: `{id}` is not an ATT&CK id such as T1059, T1059.001 or TA0002"
        ))
    }
}

fn check_person(field: &str, value: &Option<String>) -> Result<(), String> {
    value
        .as_deref()
        .map_or(Ok(()), |v| check_text(field, v, MAX_ASSIGNEE_CHARS, false))
}

impl NewIncident {
    /// Checks sizes, the classification and the ATT&CK ids; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        check_text("title", &self.title, MAX_TITLE_CHARS, false)?;
        vigil_respond::rsit::parse(&self.classification).map_err(|e| format!("classification: {e}"))?;
        if let Some(d) = &self.description {
            check_text("description", d, MAX_LONG_TEXT_CHARS, true)?;
        }
        check_person("owner", &self.owner)?;
        check_person("team", &self.team)?;
        if self.alert_ids.len() > MAX_LINK_IDS {
            return Err(format!("alert_ids: at most {MAX_LINK_IDS}"));
        }
        self.attack.iter().try_for_each(|a| check_attack_id(a))
    }
}

impl IncidentPatch {
    /// Checks sizes, the classification and the ATT&CK ids; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        if *self == IncidentPatch::default() {
            return Err("nothing to change".into());
        }
        if let Some(t) = &self.title {
            check_text("title", t, MAX_TITLE_CHARS, false)?;
        }
        if let Some(c) = &self.classification {
            vigil_respond::rsit::parse(c).map_err(|e| format!("classification: {e}"))?;
        }
        for (field, text) in [
            ("description", &self.description),
            ("resolution", &self.resolution),
            ("lessons_learned", &self.lessons_learned),
        ] {
            if let Some(t) = text {
                check_text(field, t, MAX_LONG_TEXT_CHARS, true)?;
            }
        }
        if let Some(c) = &self.comment {
            check_text("comment", c, MAX_COMMENT_CHARS, true)?;
        }
        check_person("owner", &self.owner.clone().flatten())?;
        check_person("team", &self.team.clone().flatten())?;
        self.attack.iter().flatten().try_for_each(|a| check_attack_id(a))
    }
}

/// The first time of each milestone of an incident (the KPIs are computed from these).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Milestones {
    /// The earliest event of its alerts.
    pub first_event: Option<Timestamp>,
    /// The earliest detection among its alerts.
    pub detected: Option<Timestamp>,
    pub created: Timestamp,
    pub acknowledged: Option<Timestamp>,
    pub contained: Option<Timestamp>,
    pub resolved: Option<Timestamp>,
    pub closed: Option<Timestamp>,
}

impl Milestones {
    /// The milestones SLA timers start and stop at.
    pub fn sla_times(&self) -> vigil_respond::MilestoneTimes {
        vigil_respond::MilestoneTimes {
            created: self.created,
            acknowledged: self.acknowledged,
            contained: self.contained,
            resolved: self.resolved,
        }
    }
}

/// The incident's SLA timers, per metric (absent when the policy sets no target for it).
pub type SlaTimers = vigil_respond::IncidentTimers;

/// One entry of an incident's timeline; append-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    pub seq: i64,
    /// When it was recorded.
    pub at: Timestamp,
    /// When it happened in the attack's chronology (analyst entries); `None`: at `at`.
    pub occurred_at: Option<Timestamp>,
    /// Who: a principal id, or `system`.
    pub actor: String,
    /// `created`, `alert_linked`, `status_changed`, `updated`, `note`, `merged`, `sla_warning`,
    /// `sla_breached`, `notification`.
    pub kind: String,
    /// For people (markdown for notes).
    pub text: String,
    pub detail: Option<serde_json::Value>,
}

/// An incident as `GET /api/v1/incidents/{id}` gives it (the listing leaves `timeline` empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    pub id: String,
    pub tenant: String,
    pub title: String,
    pub description: String,
    /// RSIT `category:type`.
    pub classification: String,
    pub severity: Severity,
    pub impact: Impact,
    pub urgency: Urgency,
    /// From impact × urgency (ITIL matrix, `[respond] priority`).
    pub priority: Priority,
    pub tlp: Tlp,
    pub pap: Pap,
    /// NIST SP 800-61 phase, or `on_hold` (SLA clocks paused).
    pub status: IncidentStatus,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub resolution: Option<String>,
    pub lessons_learned: Option<String>,
    /// ATT&CK ids: those of its alerts and those added by hand.
    pub attack: Vec<String>,
    /// ATT&CK ids added by hand.
    pub attack_manual: Vec<String>,
    /// Its alerts' ids.
    pub alert_ids: Vec<String>,
    /// The incident it was merged into (then it is closed).
    pub merged_into: Option<String>,
    pub created_by: String,
    pub updated: Timestamp,
    pub milestones: Milestones,
    pub sla: SlaTimers,
    /// Its tasks, in order (`GET /api/v1/incidents/{id}`; the listing leaves them empty).
    #[serde(default)]
    pub tasks: Vec<crate::tasks::Task>,
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
}

/// One page of incidents, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentPage {
    pub incidents: Vec<Incident>,
    pub next_cursor: Option<String>,
    pub total: u64,
}

/// `POST /api/v1/incidents/{id}/notes`: an analyst's timeline entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// Markdown.
    pub text: String,
    /// When it happened, for the attack chronology (default: now).
    #[serde(default)]
    pub occurred_at: Option<Timestamp>,
}

/// `POST /api/v1/incidents/{id}/alerts`: alerts to merge into the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkAlerts {
    pub alert_ids: Vec<String>,
}

/// `POST /api/v1/incidents/{id}/merge`: incidents to merge into this one (they are closed, their
/// alerts and manual ATT&CK ids move over).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeIncidents {
    pub incident_ids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_taxonomy_lists_every_class_an_incident_accepts() {
        let t = Taxonomy::rsit();
        assert_eq!(
            (t.name.as_str(), t.version.as_str(), t.classes.len()),
            ("RSIT", "1.3", 39)
        );
        for c in &t.classes {
            let parsed = vigil_respond::rsit::parse(&c.name).expect("a class the server accepts");
            assert_eq!((parsed.category, parsed.kind), (c.category.as_str(), c.kind.as_str()));
        }
        let json = serde_json::to_value(&t.classes[0]).expect("json");
        assert_eq!(json["type"], "spam", "the wire name of the type is `type`");
    }

    #[test]
    fn attack_ids() {
        for good in ["T1059", "T1059.001", "TA0002"] {
            assert_eq!(check_attack_id(good), Ok(()), "{good}");
        }
        for bad in ["T105", "t1059", "T1059.1", "TA00021", "T1059.", "X1059", ""] {
            assert!(check_attack_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_issue_shape_creates() {
        let new: NewIncident = serde_json::from_str(
            r#"{"title": "Ransomware on web01", "severity": 4, "classification": "malicious-code:infected-system", "alert_ids": ["a"]}"#,
        )
        .expect("shape");
        assert_eq!(new.check(), Ok(()));
        let mut bad = new.clone();
        bad.classification = "intrusions:nope".into();
        assert!(bad.check().expect_err("rsit").starts_with("classification:"));
        assert!(
            serde_json::from_str::<NewIncident>(r#"{"title": "t", "severity": 5, "classification": "test:test"}"#)
                .is_err()
        );
    }
}

/// `GET /api/v1/taxonomy`: the incident classification the server accepts (RSIT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Taxonomy {
    /// `RSIT`: the Reference Security Incident Taxonomy of the TF-CSIRT working group with ENISA.
    pub name: String,
    /// The taxonomy's version, e.g. `1.3`.
    pub version: String,
    /// Every `category:type` the server accepts, grouped by category in the taxonomy's order.
    pub classes: Vec<TaxonomyClass>,
}

/// One class of the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaxonomyClass {
    /// `category:type`, as an incident's `classification` names it.
    pub name: String,
    pub category: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// What the class means, in one line.
    pub description: String,
}

impl Taxonomy {
    /// RSIT as `vigil-respond` implements it.
    pub fn rsit() -> Taxonomy {
        Taxonomy {
            name: "RSIT".to_owned(),
            version: vigil_respond::rsit::VERSION.to_owned(),
            classes: vigil_respond::rsit::all()
                .iter()
                .map(|c| TaxonomyClass {
                    name: c.name(),
                    category: c.category.to_owned(),
                    kind: c.kind.to_owned(),
                    description: c.description.to_owned(),
                })
                .collect(),
        }
    }
}

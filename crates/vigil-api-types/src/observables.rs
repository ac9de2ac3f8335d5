//! Observables: `/api/v1/incidents/{id}/observables` and `GET /api/v1/observables`.
//!
//! An incident's observables are the IPs, domains, URLs, hosts, users, file hashes, file paths and
//! e-mail addresses its alerts' events name (extracted by the server when alerts are linked) or an
//! analyst adds by hand. Each carries a TLP marking, an IOC flag and the other incidents of the
//! tenant where the same value was seen ("related incidents").

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
pub use vigil_respond::{IncidentStatus, ObservableKind, Tlp};

use crate::triage::check_text;

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4096;
/// Most related incidents listed per observable (`related_total` counts them all).
pub const MAX_RELATED: usize = 20;

/// Where an observable came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObservableSource {
    /// Found in the events of the incident's alerts.
    Extracted,
    /// Added by an analyst.
    Manual,
}

impl ObservableSource {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObservableSource::Extracted => "extracted",
            ObservableSource::Manual => "manual",
        }
    }
}

/// Another incident of the tenant where an observable was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RelatedIncident {
    pub id: String,
    pub title: String,
    pub status: IncidentStatus,
}

/// One observable of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Observable {
    pub id: String,
    pub incident_id: String,
    pub kind: ObservableKind,
    /// The normal form (lower-case domains, hosts, hashes and e-mail addresses; canonical IPs).
    pub value: String,
    /// Traffic Light Protocol (extracted ones take the incident's).
    pub tlp: Tlp,
    /// Marked as an indicator of compromise.
    pub ioc: bool,
    pub source: ObservableSource,
    /// The event field it was first found in, and the alert whose event had it (extracted ones).
    pub field: Option<String>,
    pub alert_id: Option<String>,
    /// Events of the incident it was seen in (1 for one added by hand).
    pub sightings: u64,
    /// Event times of its first and last sighting (when added, for one added by hand).
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub description: String,
    pub created: Timestamp,
    /// `system` for extracted ones.
    pub created_by: String,
    pub updated: Timestamp,
    /// Other incidents of the tenant with the same kind and value, newest first (at most
    /// [`MAX_RELATED`]; empty outside the incident's listing).
    #[serde(default)]
    pub related: Vec<RelatedIncident>,
    /// How many other incidents have it.
    #[serde(default)]
    pub related_total: u64,
}

/// `GET /api/v1/incidents/{id}/observables`: the incident's observables, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ObservableList {
    pub observables: Vec<Observable>,
    /// How many the incident has (more than listed when `limit` cut the list).
    pub total: u64,
}

/// `POST /api/v1/incidents/{id}/observables`: an observable added by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewObservable {
    pub kind: ObservableKind,
    /// Checked and normalised like extracted ones (an IP must parse, a hash is 32, 40 or 64
    /// hexadecimal digits, …).
    pub value: String,
    /// Default: the incident's.
    #[serde(default)]
    pub tlp: Option<Tlp>,
    #[serde(default)]
    pub ioc: Option<bool>,
    #[serde(default)]
    pub description: Option<String>,
}

impl NewObservable {
    /// The value's normal form, or what is wrong with the request (naming the field).
    pub fn check(&self) -> Result<String, String> {
        if let Some(d) = &self.description {
            check_description(d)?;
        }
        vigil_respond::observables::normalize(self.kind, &self.value).map_err(|e| format!("value: {e}"))
    }
}

/// `PATCH /api/v1/incidents/{id}/observables/{oid}`: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservablePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ioc: Option<bool>,
    /// Empty clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ObservablePatch {
    /// What is wrong with the request, naming the field.
    pub fn check(&self) -> Result<(), String> {
        if self.tlp.is_none() && self.ioc.is_none() && self.description.is_none() {
            return Err("give at least one of tlp, ioc, description".into());
        }
        match &self.description {
            Some(d) if !d.is_empty() => check_description(d),
            _ => Ok(()),
        }
    }
}

fn check_description(d: &str) -> Result<(), String> {
    check_text("description", d, MAX_DESCRIPTION_CHARS, true)
}

/// One incident where a value was seen (`GET /api/v1/observables`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Sighting {
    pub incident: RelatedIncident,
    /// The observable in that incident (its `related` left empty).
    pub observable: Observable,
}

/// `GET /api/v1/observables?value=…`: the tenant's incidents where a value was seen, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Sightings {
    pub sightings: Vec<Sighting>,
    /// How many incidents have it (more than listed when `limit` cut the list).
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_observable_is_checked_and_normalised() {
        let new = |kind, value: &str| NewObservable {
            kind,
            value: value.into(),
            tlp: None,
            ioc: Some(true),
            description: None,
        };
        assert_eq!(new(ObservableKind::Ip, " 10.1.2.3 ").check(), Ok("10.1.2.3".into()));
        let e = new(ObservableKind::Ip, "10.1.2").check().expect_err("not an IP");
        assert!(e.starts_with("value: ") && e.contains("IPv4"), "{e}");
        let mut long = new(ObservableKind::Host, "ws01");
        long.description = Some("x".repeat(MAX_DESCRIPTION_CHARS + 1));
        assert!(long.check().expect_err("too long").starts_with("description"));
    }

    #[test]
    fn a_patch_changes_something() {
        assert!(ObservablePatch::default().check().is_err());
        let clear = ObservablePatch {
            description: Some(String::new()),
            ..ObservablePatch::default()
        };
        assert_eq!(clear.check(), Ok(()));
        let json = r#"{"ioc": true, "colour": "red"}"#;
        assert!(
            serde_json::from_str::<ObservablePatch>(json).is_err(),
            "unknown fields refused"
        );
    }
}

//! On-call rotations (`/api/v1/oncall`): who is on call in each rotation now, until when, and who
//! takes over then.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One stretch of a rotation with the same person on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Shift {
    /// A name of `[respond.people]`.
    pub member: String,
    /// Whether an override put them there (else the weekly order did).
    pub by_override: bool,
    /// When it ends: the next weekly handover, or the start or end of an override, whichever
    /// comes first.
    pub until: Timestamp,
}

/// One rotation at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OnCallNow {
    /// The rotation's name (`oncall:<name>` in notify lists).
    pub rotation: String,
    /// The IANA time zone its handover and overrides are read in.
    pub zone: String,
    /// The members, in the order of their weeks.
    pub members: Vec<String>,
    /// Who is on call.
    pub on_call: Shift,
    /// Who takes over at `on_call.until`.
    pub next: Shift,
}

/// `GET /api/v1/oncall`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OnCallList {
    /// The instant the answer is for (the server's time).
    pub at: Timestamp,
    /// Every rotation of `[respond.oncall]`, by name.
    pub rotations: Vec<OnCallNow>,
}

impl OnCallNow {
    /// `rotation` (named `name`) at `at`.
    pub fn of(name: &str, rotation: &vigil_respond::Rotation, at: Timestamp) -> OnCallNow {
        let shift = |at| {
            let o = rotation.on_call(at);
            Shift {
                member: o.member,
                by_override: o.by_override,
                until: o.until,
            }
        };
        let on_call = shift(at);
        let next = shift(on_call.until);
        OnCallNow {
            rotation: name.to_owned(),
            zone: rotation.zone().iana_name().unwrap_or("UTC").to_owned(),
            members: rotation.members().to_vec(),
            on_call,
            next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_respond::{OverrideSpec, RotationSpec};

    #[test]
    fn a_rotation_reads_who_is_on_call_until_when_and_who_is_next() {
        let rotation = RotationSpec {
            zone: "Europe/Brussels".into(),
            handover: "monday 09:00".into(),
            members: vec!["alice".into(), "bob".into()],
            start: "2026-01-05".into(),
            overrides: vec![OverrideSpec {
                from: "2026-12-24T09:00".into(),
                to: "2026-12-28T09:00".into(),
                member: "dave".into(),
            }],
        }
        .build()
        .expect("rotation");
        let at = |t: &str| t.parse::<Timestamp>().expect("instant");
        let now = OnCallNow::of("soc", &rotation, at("2026-01-06T12:00:00Z"));
        assert_eq!((now.rotation.as_str(), now.zone.as_str()), ("soc", "Europe/Brussels"));
        assert_eq!(
            now.on_call,
            Shift {
                member: "alice".into(),
                by_override: false,
                until: at("2026-01-12T08:00:00Z"),
            }
        );
        assert_eq!(
            (now.next.member.as_str(), now.next.until),
            ("bob", at("2026-01-19T08:00:00Z"))
        );
        // In the override, then the weekly order again at its end (a Monday, the handover).
        let now = OnCallNow::of("soc", &rotation, at("2026-12-25T12:00:00Z"));
        assert_eq!((now.on_call.member.as_str(), now.on_call.by_override), ("dave", true));
        assert_eq!(now.on_call.until, at("2026-12-28T08:00:00Z"));
        assert!(!now.next.by_override);
    }
}

//! On-call rotations as notification targets.
//!
//! Beside channel names, `[respond.notify]` lists and escalation levels may name
//! `oncall:<rotation>`: the notification goes to the rotation's e-mail channel, addressed to the
//! person on call at the instant the event is raised (the channel's own `to` is replaced by their
//! address from `[respond.people]`). Who that was is written on the timeline entry and kept in
//! the queued notification, so a retry after a handover still reaches the same person.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use vigil_notify::{Channel, Notification};
use vigil_respond::Rotation;

/// How a notify entry names a rotation: `oncall:soc-primary`.
pub const ONCALL_PREFIX: &str = "oncall:";

/// `[respond.oncall.NAME]`: a rotation and the e-mail channel that reaches its members.
#[derive(Debug, Clone, PartialEq)]
pub struct OncallTarget {
    pub rotation: Rotation,
    /// An `email` channel of `[respond.channels]`.
    pub channel: String,
}

/// `[respond.people.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Where the person gets e-mail, e.g. `alice@example.org` or `Alice <alice@example.org>`.
    pub email: String,
}

/// Where one notify entry goes at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The channel to send through.
    pub channel: String,
    /// Recipients replacing the channel's `to` (empty: the channel's own).
    pub to: Vec<String>,
    /// How the entry reads on the timeline: `soc-mail`, `oncall:soc-primary (alice)`.
    pub label: String,
    /// The person on call, for `oncall:` entries.
    pub person: Option<String>,
}

/// Resolves `name` (a channel, or `oncall:<rotation>`) at `now`. An unknown rotation (the
/// configuration check refuses one) resolves to a channel of that name, whose delivery then fails
/// visibly on the timeline.
pub fn resolve(
    oncall: &BTreeMap<String, OncallTarget>,
    people: &BTreeMap<String, Person>,
    name: &str,
    now: Timestamp,
) -> Resolved {
    let target = name.strip_prefix(ONCALL_PREFIX).and_then(|r| oncall.get(r));
    let Some(target) = target else {
        return Resolved {
            channel: name.to_owned(),
            to: Vec::new(),
            label: name.to_owned(),
            person: None,
        };
    };
    let member = target.rotation.on_call(now).member;
    Resolved {
        channel: target.channel.clone(),
        to: people.get(&member).map(|p| vec![p.email.clone()]).unwrap_or_default(),
        label: format!("{name} ({member})"),
        person: Some(member),
    }
}

/// A queued notification as the outbox stores it: the notification, and the recipients that
/// replace the channel's `to` (an on-call person). Rows written before there were recipients read
/// as none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    #[serde(flatten)]
    pub notification: Notification,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
}

/// `channel` addressed to `to` instead of its own recipients (only e-mail has recipients).
pub fn addressed(channel: &Channel, to: &[String]) -> Channel {
    match channel {
        Channel::Email { smtp, from, .. } if !to.is_empty() => Channel::Email {
            smtp: smtp.clone(),
            from: from.clone(),
            to: to.to_vec(),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_respond::{OverrideSpec, RotationSpec};

    fn config() -> (BTreeMap<String, OncallTarget>, BTreeMap<String, Person>) {
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
        let oncall = BTreeMap::from([(
            "soc".to_owned(),
            OncallTarget {
                rotation,
                channel: "mail".into(),
            },
        )]);
        let people = ["alice", "bob", "dave"]
            .into_iter()
            .map(|p| {
                (
                    p.to_owned(),
                    Person {
                        email: format!("{p}@example.org"),
                    },
                )
            })
            .collect();
        (oncall, people)
    }

    #[test]
    fn oncall_entries_resolve_to_the_person_on_call_then() {
        let (oncall, people) = config();
        let at = |t: &str| t.parse::<Timestamp>().expect("instant");
        let r = resolve(&oncall, &people, "oncall:soc", at("2026-01-12T08:00:00Z"));
        assert_eq!(
            (r.channel.as_str(), r.to.as_slice(), r.label.as_str()),
            ("mail", &["bob@example.org".to_owned()][..], "oncall:soc (bob)")
        );
        let r = resolve(&oncall, &people, "oncall:soc", at("2026-12-25T12:00:00Z"));
        assert_eq!(r.person.as_deref(), Some("dave"), "the override");
        let r = resolve(&oncall, &people, "webhook", at("2026-12-25T12:00:00Z"));
        assert_eq!((r.channel.as_str(), r.to.len(), r.person), ("webhook", 0, None));
    }

    #[test]
    fn outgoing_reads_rows_without_recipients_and_addresses_email_only() {
        let n = Notification {
            id: "a".into(),
            tenant: "t".into(),
            kind: "escalation".into(),
            subject: "s".into(),
            text: String::new(),
            incident_id: Some("inc-1".into()),
            severity: Some(4),
            priority: Some("P1".into()),
            link: None,
            at: Timestamp::UNIX_EPOCH,
        };
        let old = serde_json::to_string(&n).expect("json");
        let read: Outgoing = serde_json::from_str(&old).expect("old row");
        assert_eq!((read.notification, read.to.len()), (n.clone(), 0));
        let new = Outgoing {
            notification: n,
            to: vec!["alice@example.org".into()],
        };
        let back: Outgoing = serde_json::from_str(&serde_json::to_string(&new).expect("json")).expect("read");
        assert_eq!(back, new);
        let hook = Channel::Slack {
            url: "https://hooks.slack.com/x".into(),
        };
        assert_eq!(addressed(&hook, &new.to), hook);
    }
}

//! Named recipients as notification targets: on-call rotations, people and teams.
//!
//! Beside channel names, `[respond.notify]` lists and escalation levels may name
//! - `oncall:<rotation>`: the notification goes to the rotation's e-mail channel, addressed to the
//!   person on call at the instant the event is raised (the channel's own `to` is replaced by their
//!   address from `[respond.people]`). Who that was is written on the timeline entry and kept in
//!   the queued notification, so a retry after a handover still reaches the same person;
//! - `person:<name>`: one e-mail to that person's address, through `[respond] people_channel`;
//! - `team:<name>`: one e-mail through `[respond] people_channel`, addressed to every member of
//!   `[respond.teams.NAME]` at once.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use vigil_notify::{Channel, Notification};
use vigil_respond::Rotation;

/// How a notify entry names a rotation: `oncall:soc-primary`.
pub const ONCALL_PREFIX: &str = "oncall:";
/// How a notify entry names a person: `person:alice`.
pub const PERSON_PREFIX: &str = "person:";
/// How a notify entry names a team: `team:tier2`.
pub const TEAM_PREFIX: &str = "team:";

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

/// `[respond.teams.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Names of `[respond.people]`, in the order the e-mail lists them.
    pub members: Vec<String>,
}

/// Who notify lists may name beside channels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recipients {
    /// On-call rotations by name (`oncall:<name>`).
    pub oncall: BTreeMap<String, OncallTarget>,
    /// People by name (`person:<name>`, and the members of rotations and teams), with addresses.
    pub people: BTreeMap<String, Person>,
    /// Teams by name (`team:<name>`).
    pub teams: BTreeMap<String, Team>,
    /// `[respond] people_channel`: the e-mail channel of `person:` and `team:` entries.
    pub people_channel: Option<String>,
}

/// Where one notify entry goes at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The channel to send through.
    pub channel: String,
    /// Recipients replacing the channel's `to` (empty: the channel's own).
    pub to: Vec<String>,
    /// How the entry reads on the timeline: `soc-mail`, `oncall:soc-primary (alice)`,
    /// `person:alice`, `team:tier2 (alice, bob)`.
    pub label: String,
    /// The person on call, for `oncall:` entries.
    pub person: Option<String>,
}

impl Recipients {
    /// Resolves `name` (a channel, `oncall:<rotation>`, `person:<name>` or `team:<name>`) at
    /// `now`. An unknown rotation, person or team, or a person or team without
    /// `people_channel` (the configuration check refuses them all), resolves to a channel of that
    /// name, whose delivery then fails visibly on the timeline.
    pub fn resolve(&self, name: &str, now: Timestamp) -> Resolved {
        let channel_named = || Resolved {
            channel: name.to_owned(),
            to: Vec::new(),
            label: name.to_owned(),
            person: None,
        };
        let email = |p: &str| self.people.get(p).map(|p| p.email.clone());
        if let Some(target) = name.strip_prefix(ONCALL_PREFIX).and_then(|r| self.oncall.get(r)) {
            let member = target.rotation.on_call(now).member;
            return Resolved {
                channel: target.channel.clone(),
                to: email(&member).into_iter().collect(),
                label: format!("{name} ({member})"),
                person: Some(member),
            };
        }
        let Some(channel) = self.people_channel.clone() else {
            return channel_named();
        };
        if let Some(address) = name.strip_prefix(PERSON_PREFIX).and_then(email) {
            return Resolved {
                channel,
                to: vec![address],
                label: name.to_owned(),
                person: None,
            };
        }
        match name.strip_prefix(TEAM_PREFIX).and_then(|t| self.teams.get(t)) {
            Some(team) => Resolved {
                channel,
                to: team.members.iter().filter_map(|m| email(m)).collect(),
                label: format!("{name} ({})", team.members.join(", ")),
                person: None,
            },
            None => channel_named(),
        }
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

    fn config() -> Recipients {
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
                let email = format!("{p}@example.org");
                (p.to_owned(), Person { email })
            })
            .collect();
        let members = vec!["bob".into(), "dave".into()];
        Recipients {
            oncall,
            people,
            teams: BTreeMap::from([("tier2".to_owned(), Team { members })]),
            people_channel: Some("people-mail".into()),
        }
    }

    fn at(t: &str) -> Timestamp {
        t.parse().expect("instant")
    }

    #[test]
    fn oncall_entries_resolve_to_the_person_on_call_then() {
        let r = config();
        let to = r.resolve("oncall:soc", at("2026-01-12T08:00:00Z"));
        assert_eq!(
            (to.channel.as_str(), to.to.as_slice(), to.label.as_str()),
            ("mail", &["bob@example.org".to_owned()][..], "oncall:soc (bob)")
        );
        let to = r.resolve("oncall:soc", at("2026-12-25T12:00:00Z"));
        assert_eq!(to.person.as_deref(), Some("dave"), "the override");
        let to = r.resolve("webhook", at("2026-12-25T12:00:00Z"));
        assert_eq!((to.channel.as_str(), to.to.len(), to.person), ("webhook", 0, None));
    }

    #[test]
    fn people_and_teams_resolve_to_their_addresses_through_the_people_channel() {
        let mut r = config();
        let now = at("2026-01-12T08:00:00Z");
        let to = r.resolve("person:alice", now);
        assert_eq!(
            (to.channel.as_str(), to.to.as_slice(), to.label.as_str()),
            ("people-mail", &["alice@example.org".to_owned()][..], "person:alice")
        );
        let to = r.resolve("team:tier2", now);
        assert_eq!(to.to, ["bob@example.org", "dave@example.org"]);
        assert_eq!(to.label, "team:tier2 (bob, dave)");
        // What the configuration check refuses fails visibly, as a channel of that name.
        assert_eq!(r.resolve("person:zoe", now).channel, "person:zoe");
        assert_eq!(r.resolve("team:tier3", now).channel, "team:tier3");
        r.people_channel = None;
        assert_eq!(r.resolve("person:alice", now).channel, "person:alice");
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

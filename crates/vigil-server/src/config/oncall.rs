//! `[respond.oncall.NAME]` rotations, `[respond.people.NAME]` and `[respond.teams.NAME]`, checked
//! against each other and the channels; every problem on its line.
//!
//! ```toml
//! [respond]
//! people_channel = "oncall-mail"  # the email channel of `person:` and `team:` entries
//!
//! [respond.oncall.soc-primary]
//! zone = "Europe/Brussels"
//! handover = "monday 09:00"     # weekly, local time in `zone`
//! members = ["alice", "bob", "carol"]
//! start = "2026-01-05"          # the first handover on or after it starts alice's week
//! channel = "oncall-mail"       # an email channel; the person's address replaces its `to`
//! [[respond.oncall.soc-primary.overrides]]
//! from = "2026-12-24T09:00"
//! to = "2026-12-28T09:00"
//! member = "dave"
//!
//! [respond.people.alice]
//! email = "alice@example.org"
//!
//! [respond.teams.tier2]
//! members = ["alice", "bob"]    # one e-mail, addressed to them all
//! ```
//!
//! Escalation levels and `[respond.notify]` name them as `oncall:soc-primary`, `person:alice` and
//! `team:tier2`.

use std::collections::BTreeMap;

use serde::Deserialize;
use vigil_notify::Channel;
use vigil_respond::{OverrideSpec, RotationSpec};

use super::reader::Reader;
use crate::oncall::{ONCALL_PREFIX, OncallTarget, PERSON_PREFIX, Person, Recipients, TEAM_PREFIX, Team};

/// One rotation as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OncallFile {
    zone: String,
    handover: String,
    members: Vec<String>,
    start: String,
    channel: String,
    #[serde(default)]
    overrides: Vec<OverrideSpec>,
}

/// The recipients of `[respond]` as written.
pub(super) struct Written<'a> {
    pub oncall: &'a BTreeMap<String, OncallFile>,
    pub people: &'a BTreeMap<String, Person>,
    pub teams: &'a BTreeMap<String, Team>,
    pub people_channel: Option<&'a str>,
    pub channels: &'a BTreeMap<String, Channel>,
}

/// The rotations, people and teams that check out; problems of the others are recorded.
pub(super) fn read(r: &mut Reader, w: &Written) -> Recipients {
    for (name, person) in w.people {
        let email = person.email.trim();
        if email.is_empty() || !email.contains('@') {
            let section = format!("respond.people.{name}");
            r.problem(Some(&section), "email", "an e-mail address, like alice@example.org");
        }
    }
    let people_channel = w
        .people_channel
        .filter(|c| email_channel(r, "respond", "people_channel", c, w.channels))
        .map(str::to_owned);
    let mut teams = BTreeMap::new();
    for (name, team) in w.teams {
        let section = format!("respond.teams.{name}");
        let mut ok = unknown_people(r, &section, team.members.iter(), w.people);
        if team.members.is_empty() {
            r.problem(Some(&section), "members", "at least one name of [respond.people]");
            ok = false;
        }
        if ok {
            teams.insert(name.clone(), team.clone());
        }
    }
    let mut oncall = BTreeMap::new();
    for (name, file) in w.oncall {
        let section = format!("respond.oncall.{name}");
        let mut ok = email_channel(r, &section, "channel", &file.channel, w.channels);
        let spec = RotationSpec {
            zone: file.zone.clone(),
            handover: file.handover.clone(),
            members: file.members.clone(),
            start: file.start.clone(),
            overrides: file.overrides.clone(),
        };
        let rotation = match spec.build() {
            Ok(rotation) => Some(rotation),
            Err(problems) => {
                for p in problems {
                    r.problem(Some(&section), key_of(&p), p);
                }
                None
            }
        };
        let named = file.members.iter().chain(file.overrides.iter().map(|o| &o.member));
        ok &= unknown_people(r, &section, named.filter(|m| !m.trim().is_empty()), w.people);
        if let (true, Some(rotation)) = (ok, rotation) {
            let channel = file.channel.clone();
            oncall.insert(name.clone(), OncallTarget { rotation, channel });
        }
    }
    Recipients {
        oncall,
        people: w.people.clone(),
        teams,
        people_channel,
    }
}

/// Records a problem on `section.members` for each name not in `[respond.people]`; `true` when
/// all are there.
fn unknown_people<'a>(
    r: &mut Reader,
    section: &str,
    names: impl Iterator<Item = &'a String>,
    people: &BTreeMap<String, Person>,
) -> bool {
    let mut ok = true;
    for person in names.filter(|m| !people.contains_key(*m)) {
        let message = format!("`{person}` is not in [respond.people] (it needs an email there)");
        r.problem(Some(section), "members", message);
        ok = false;
    }
    ok
}

/// Whether `name` is an `email` channel; records the problem on `section.key` when not.
fn email_channel(r: &mut Reader, section: &str, key: &str, name: &str, channels: &BTreeMap<String, Channel>) -> bool {
    let message = match channels.get(name) {
        Some(Channel::Email { .. }) => return true,
        Some(other) => format!(
            "channel `{name}` is a {} channel; e-mail to people needs an email one",
            other.kind()
        ),
        None => {
            let known: Vec<&str> = channels.keys().map(String::as_str).collect();
            format!("no channel is named `{name}` (known: {})", known.join(", "))
        }
    };
    r.problem(Some(section), key, message);
    false
}

/// The key a rotation problem is about, from the start of its message.
fn key_of(problem: &str) -> &'static str {
    [
        ("unknown time zone", "zone"),
        ("handover", "handover"),
        ("start", "start"),
        ("members", "members"),
        ("override", "overrides"),
    ]
    .into_iter()
    .find(|(prefix, _)| problem.starts_with(prefix))
    .map_or("", |(_, key)| key)
}

/// For a notify entry `oncall:<rotation>`, `person:<name>` or `team:<name>`, records a problem
/// when nothing has that name, or when a person or team has no `people_channel` to be sent
/// through; `false` when `name` is none of these (a channel name, checked by the caller).
pub(super) fn check_target(r: &mut Reader, section: &str, key: &str, name: &str, w: &Written) -> bool {
    let kinds: [(&str, &str, Vec<&str>); 3] = [
        (
            ONCALL_PREFIX,
            "on-call rotation",
            w.oncall.keys().map(String::as_str).collect(),
        ),
        (PERSON_PREFIX, "person", w.people.keys().map(String::as_str).collect()),
        (TEAM_PREFIX, "team", w.teams.keys().map(String::as_str).collect()),
    ];
    let found = kinds
        .into_iter()
        .find_map(|(prefix, kind, known)| Some((prefix, kind, name.strip_prefix(prefix)?, known)));
    let Some((prefix, kind, what, known)) = found else {
        return false;
    };
    if !known.contains(&what) {
        let message = format!("no {kind} is named `{what}` (known: {})", known.join(", "));
        r.problem(Some(section), key, message);
    }
    if prefix != ONCALL_PREFIX && w.people_channel.is_none() {
        let message = format!("`{name}` needs [respond] people_channel, the email channel to send it through");
        r.problem(Some(section), key, message);
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::config::parse;

    const CHANNELS: &str = "version = 1\n\
        [respond.channels.oncall-mail]\ntype = \"email\"\nfrom = \"vigil@soc.example\"\nto = [\"soc@soc.example\"]\n\
        smtp = { host = \"smtp.soc.example\", port = 587, security = \"starttls\" }\n\
        [respond.channels.hook]\ntype = \"webhook\"\nurl = \"https://hooks.example.org/vigil\"\n";

    #[test]
    fn a_rotation_is_read_and_named_by_escalation_levels() {
        let text = format!(
            "{CHANNELS}[respond.oncall.soc-primary]\nzone = \"Europe/Brussels\"\nhandover = \"monday 09:00\"\n\
             members = [\"alice\", \"bob\"]\nstart = \"2026-01-05\"\nchannel = \"oncall-mail\"\n\
             [[respond.oncall.soc-primary.overrides]]\nfrom = \"2026-12-24T09:00\"\nto = \"2026-12-28T09:00\"\nmember = \"dave\"\n\
             [respond.people.alice]\nemail = \"alice@example.org\"\n[respond.people.bob]\nemail = \"bob@example.org\"\n\
             [respond.people.dave]\nemail = \"dave@example.org\"\n\
             [respond.notify]\nsla_breach = [\"oncall:soc-primary\"]\n\
             [[respond.escalation]]\nname = \"p1\"\n[[respond.escalation.levels]]\nafter = \"15m\"\n\
             notify = [\"hook\", \"oncall:soc-primary\"]\n"
        );
        let c = parse(&text).expect("valid");
        let n = &c.respond.notify;
        let target = &n.recipients.oncall["soc-primary"];
        assert_eq!(target.channel, "oncall-mail");
        let at = "2026-12-25T12:00:00Z".parse().expect("instant");
        assert_eq!(target.rotation.on_call(at).member, "dave");
        assert_eq!(n.recipients.people["bob"].email, "bob@example.org");
        assert_eq!(n.escalation[0].levels[0].notify, ["hook", "oncall:soc-primary"]);
    }

    #[test]
    fn every_rotation_problem_is_reported_at_once_on_its_line() {
        let text = format!(
            "{CHANNELS}[respond.oncall.night]\nzone = \"Mars/Olympus\"\nhandover = \"monday 09:00\"\n\
             members = []\nstart = \"2026-01-05\"\nchannel = \"pager\"\n\
             [respond.oncall.day]\nzone = \"UTC\"\nhandover = \"someday\"\nmembers = [\"zoe\"]\n\
             start = \"2026-01-05\"\nchannel = \"hook\"\n\
             [respond.people.alice]\nemail = \"not an address\"\n\
             [[respond.escalation]]\nname = \"p1\"\n[[respond.escalation.levels]]\nafter = \"15m\"\n\
             notify = [\"oncall:weekend\"]\n"
        );
        let problems = parse(&text).expect_err("invalid");
        let found = |key: &str, needle: &str| {
            problems
                .iter()
                .find(|p| p.key == key && p.message.contains(needle))
                .unwrap_or_else(|| panic!("no {key} problem with {needle:?}: {problems:#?}"))
                .line
        };
        // Lines: CHANNELS takes 9; [respond.oncall.night] is line 10.
        assert_eq!(found("respond.oncall.night.zone", "unknown time zone"), Some(11));
        assert_eq!(found("respond.oncall.night.members", "at least one"), Some(13));
        assert_eq!(
            found("respond.oncall.night.channel", "no channel is named `pager`"),
            Some(15)
        );
        assert_eq!(found("respond.oncall.day.handover", "someday"), Some(18));
        assert_eq!(found("respond.oncall.day.members", "`zoe`"), Some(19));
        assert_eq!(found("respond.oncall.day.channel", "webhook channel"), Some(21));
        assert_eq!(found("respond.people.alice.email", "e-mail address"), Some(23));
        found("respond.escalation \"p1\"", "no on-call rotation is named `weekend`");
    }

    #[test]
    fn people_and_teams_are_read_with_the_people_channel_and_named_by_notify_lists() {
        let text = CHANNELS.replacen(
            "version = 1\n",
            "version = 1\n[respond]\npeople_channel = \"oncall-mail\"\n",
            1,
        ) + "[respond.people.alice]\nemail = \"alice@example.org\"\n\
             [respond.people.bob]\nemail = \"bob@example.org\"\n\
             [respond.teams.tier2]\nmembers = [\"alice\", \"bob\"]\n\
             [respond.notify]\nsla_breach = [\"team:tier2\"]\n\
             [[respond.escalation]]\nname = \"p1\"\n[[respond.escalation.levels]]\nafter = \"15m\"\n\
             notify = [\"person:alice\", \"team:tier2\"]\n";
        let c = parse(&text).unwrap_or_else(|p| panic!("{p:#?}"));
        let n = &c.respond.notify;
        assert_eq!(n.recipients.people_channel.as_deref(), Some("oncall-mail"));
        assert_eq!(n.recipients.teams["tier2"].members, ["alice", "bob"]);
        assert_eq!(n.on_sla_breach, ["team:tier2"]);
        assert_eq!(n.escalation[0].levels[0].notify, ["person:alice", "team:tier2"]);
    }

    #[test]
    fn every_person_and_team_problem_is_reported_on_its_line() {
        let text = "version = 1\n[respond]\npeople_channel = \"hook\"\n\
            [respond.channels.hook]\ntype = \"webhook\"\nurl = \"https://hooks.example.org/vigil\"\n\
            [respond.people.alice]\nemail = \"alice@example.org\"\n\
            [respond.teams.tier2]\nmembers = [\"alice\", \"zoe\"]\n\
            [respond.teams.empty]\nmembers = []\n\
            [respond.notify]\nsla_warning = [\"person:bob\"]\nsla_breach = [\"team:tier3\"]\n";
        let problems = parse(text).expect_err("invalid");
        let found = |key: &str, needle: &str| {
            problems
                .iter()
                .find(|p| p.key == key && p.message.contains(needle))
                .unwrap_or_else(|| panic!("no {key} problem with {needle:?}: {problems:#?}"))
                .line
        };
        assert_eq!(found("respond.people_channel", "webhook channel"), Some(3));
        assert_eq!(found("respond.teams.tier2.members", "`zoe`"), Some(10));
        assert_eq!(found("respond.teams.empty.members", "at least one"), Some(12));
        assert_eq!(
            found("respond.notify.sla_warning", "no person is named `bob`"),
            Some(14)
        );
        assert_eq!(found("respond.notify.sla_breach", "no team is named `tier3`"), Some(15));
        assert_eq!(problems.len(), 5, "{problems:#?}");
    }

    #[test]
    fn people_need_an_email_and_person_entries_need_the_people_channel() {
        let text = format!(
            "{CHANNELS}[respond.people.alice]\nname = \"Alice\"\n\
             [respond.notify]\nsla_breach = [\"person:alice\"]\n"
        );
        let problems = parse(&text).expect_err("invalid");
        let found = |key: &str, needle: &str| {
            problems
                .iter()
                .find(|p| p.key == key && p.message.contains(needle))
                .unwrap_or_else(|| panic!("no {key} problem with {needle:?}: {problems:#?}"))
                .line
        };
        // Lines: CHANNELS takes 9.
        assert_eq!(found("respond.people", "email"), Some(10));
        assert_eq!(
            found("respond.notify.sla_breach", "needs [respond] people_channel"),
            Some(13)
        );
    }
}

#[cfg(test)]
mod example {
    /// The commented notification settings of the shipped example, uncommented (the lines that
    /// are TOML, not prose), with `[respond] people_channel`, are valid.
    #[test]
    fn the_commented_notification_example_is_valid() {
        let example = crate::config::EXAMPLE;
        let start = example.find("# [respond.outbound]").expect("outbound example");
        let last = "# notify = [\"team:tier2\", \"person:alice\"]";
        let end = example.find(last).expect("escalation example") + last.len();
        let block: Vec<&str> = example[start..end]
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(toml) if toml.starts_with('[') || toml.contains('=') => toml,
                _ => l,
            })
            .collect();
        let head = example[..start].replacen("# people_channel = ", "people_channel = ", 1);
        let text = format!("{head}{}{}", block.join("\n"), &example[end..]);
        let c = crate::config::parse(&text).unwrap_or_else(|p| panic!("{p:#?}"));
        let n = &c.respond.notify;
        assert_eq!(n.recipients.oncall["soc-primary"].channel, "oncall-mail");
        assert_eq!(n.escalation[0].levels[1].notify, ["oncall:soc-primary"]);
        assert_eq!(n.escalation[0].levels[2].notify, ["team:tier2", "person:alice"]);
        assert_eq!(n.recipients.people_channel.as_deref(), Some("oncall-mail"));
        assert_eq!(n.recipients.teams["tier2"].members, ["carol", "dave"]);
    }
}

//! `[respond.oncall.NAME]` rotations and `[respond.people.NAME]`, checked against each other and
//! the channels; every problem on its line.
//!
//! ```toml
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
//! ```
//!
//! Escalation levels and `[respond.notify]` name a rotation as `oncall:soc-primary`.

use std::collections::BTreeMap;

use serde::Deserialize;
use vigil_notify::Channel;
use vigil_respond::{OverrideSpec, RotationSpec};

use super::reader::Reader;
use crate::oncall::{ONCALL_PREFIX, OncallTarget, Person};

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

/// The rotations that check out; problems of the others are recorded.
pub(super) fn read(
    r: &mut Reader,
    oncall: &BTreeMap<String, OncallFile>,
    people: &BTreeMap<String, Person>,
    channels: &BTreeMap<String, Channel>,
) -> BTreeMap<String, OncallTarget> {
    for (name, person) in people {
        let email = person.email.trim();
        if email.is_empty() || !email.contains('@') {
            let section = format!("respond.people.{name}");
            r.problem(Some(&section), "email", "an e-mail address, like alice@example.org");
        }
    }
    let mut out = BTreeMap::new();
    for (name, file) in oncall {
        let section = format!("respond.oncall.{name}");
        let mut ok = true;
        match channels.get(&file.channel) {
            Some(Channel::Email { .. }) => {}
            Some(other) => {
                let message = format!(
                    "channel `{}` is a {} channel; a rotation needs an email one",
                    file.channel,
                    other.kind()
                );
                r.problem(Some(&section), "channel", message);
                ok = false;
            }
            None => {
                let known: Vec<&str> = channels.keys().map(String::as_str).collect();
                let message = format!("no channel is named `{}` (known: {})", file.channel, known.join(", "));
                r.problem(Some(&section), "channel", message);
                ok = false;
            }
        }
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
        let unknown: Vec<&str> = file
            .members
            .iter()
            .chain(file.overrides.iter().map(|o| &o.member))
            .map(String::as_str)
            .filter(|m| !m.trim().is_empty() && !people.contains_key(*m))
            .collect();
        for person in unknown {
            let message = format!("`{person}` is not in [respond.people] (it needs an email there)");
            r.problem(Some(&section), "members", message);
            ok = false;
        }
        if let (true, Some(rotation)) = (ok, rotation) {
            let channel = file.channel.clone();
            out.insert(name.clone(), OncallTarget { rotation, channel });
        }
    }
    out
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

/// For a notify entry `oncall:<rotation>`, records a problem when no rotation has that name;
/// `false` when `name` is not an on-call entry (a channel name, checked by the caller).
pub(super) fn check_target(
    r: &mut Reader,
    section: &str,
    key: &str,
    name: &str,
    oncall: &BTreeMap<String, OncallFile>,
) -> bool {
    let Some(rotation) = name.strip_prefix(ONCALL_PREFIX) else {
        return false;
    };
    if !oncall.contains_key(rotation) {
        let known: Vec<&str> = oncall.keys().map(String::as_str).collect();
        let message = format!(
            "no on-call rotation is named `{rotation}` (known: {})",
            known.join(", ")
        );
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
        let target = &n.oncall["soc-primary"];
        assert_eq!(target.channel, "oncall-mail");
        let at = "2026-12-25T12:00:00Z".parse().expect("instant");
        assert_eq!(target.rotation.on_call(at).member, "dave");
        assert_eq!(n.people["bob"].email, "bob@example.org");
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
}

#[cfg(test)]
mod example {
    /// The commented notification settings of the shipped example, uncommented (the lines that
    /// are TOML, not prose), are valid.
    #[test]
    fn the_commented_notification_example_is_valid() {
        let example = crate::config::EXAMPLE;
        let start = example.find("# [respond.outbound]").expect("outbound example");
        let end = example.find("# repeat = \"30m\"").expect("escalation example") + "# repeat = \"30m\"".len();
        let block: Vec<&str> = example[start..end]
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(toml) if toml.starts_with('[') || toml.contains('=') => toml,
                _ => l,
            })
            .collect();
        let text = format!("{}{}{}", &example[..start], block.join("\n"), &example[end..]);
        let c = crate::config::parse(&text).unwrap_or_else(|p| panic!("{p:#?}"));
        let n = &c.respond.notify;
        assert_eq!(n.oncall["soc-primary"].channel, "oncall-mail");
        assert_eq!(n.escalation[0].levels[1].notify, ["oncall:soc-primary"]);
    }
}

//! On-call rotations: who is on call at an instant.
//!
//! A rotation hands over once a week, at a local civil time in its time zone (`monday 09:00` in
//! `Europe/Brussels`), to the next of its members, in order and round. The handover is read in the
//! zone on each date, so it stays at 09:00 local across daylight-saving changes: the shift that
//! spans a change lasts 167 or 169 real hours. A handover time that does not exist (in the spring
//! gap) is read as the instant after the gap; one that occurs twice (in the autumn fold), as its
//! first occurrence.
//!
//! `start` is a date: the first handover on or after it begins the first member's shift, and the
//! order runs on from there (and back before it). Overrides replace whoever is on call from one
//! local time to another (`2026-12-24T09:00` to `2026-12-28T09:00`); where overrides overlap, the
//! one listed last wins.

#[cfg(test)]
mod tests;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::Deserialize;

use crate::error::quoted;

/// A rotation as written in configuration, e.g. in TOML:
///
/// ```toml
/// zone = "Europe/Brussels"
/// handover = "monday 09:00"
/// members = ["alice", "bob", "carol"]
/// start = "2026-01-05"
/// [[overrides]]
/// from = "2026-12-24T09:00"
/// to = "2026-12-28T09:00"
/// member = "dave"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationSpec {
    /// The IANA time zone the handover and the overrides are read in.
    pub zone: String,
    /// The weekly handover: a weekday (`monday` … `sunday`, or `mon` … `sun`) and `HH:MM`.
    pub handover: String,
    /// Who takes the shifts, in order.
    pub members: Vec<String>,
    /// `YYYY-MM-DD`: the first handover on or after this date begins `members[0]`'s shift.
    pub start: String,
    /// Stand-ins for a span of local time.
    #[serde(default)]
    pub overrides: Vec<OverrideSpec>,
}

/// One override: `member` is on call from `from` to `to` (local `YYYY-MM-DDTHH:MM`, `to` excluded).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideSpec {
    /// Start, local civil time in the rotation's zone.
    pub from: String,
    /// End (excluded), local civil time in the rotation's zone.
    pub to: String,
    /// Who is on call meanwhile.
    pub member: String,
}

/// A checked rotation.
#[derive(Debug, Clone, PartialEq)]
pub struct Rotation {
    zone: TimeZone,
    weekday: Weekday,
    time: Time,
    members: Vec<String>,
    /// The local date of the handover that begins `members[0]`'s first shift.
    anchor: Date,
    overrides: Vec<Override>,
}

#[derive(Debug, Clone, PartialEq)]
struct Override {
    from: Timestamp,
    to: Timestamp,
    member: String,
}

/// Who is on call at an instant, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCall {
    /// The member on call.
    pub member: String,
    /// The next instant at which that may change: the next weekly handover, or the start or end
    /// of an override, whichever comes first.
    pub until: Timestamp,
    /// Whether an override put `member` there.
    pub by_override: bool,
}

impl RotationSpec {
    /// Checks the whole spec and builds the rotation, or returns every problem found: unknown
    /// time zone, malformed handover, start or override time, no members, an override that
    /// ends before it starts or names nobody.
    pub fn build(&self) -> Result<Rotation, Vec<String>> {
        let mut problems = Vec::new();
        let zone = TimeZone::get(&self.zone)
            .map_err(|_| problems.push(format!("unknown time zone {}", quoted(&self.zone))))
            .ok();
        let handover = parse_handover(&self.handover)
            .map_err(|()| {
                problems.push(format!(
                    "handover {} is not a weekday and a time, like \"monday 09:00\"",
                    quoted(&self.handover)
                ));
            })
            .ok();
        let start = self
            .start
            .parse::<Date>()
            .map_err(|_| {
                problems.push(format!(
                    "start {} is not a date written YYYY-MM-DD",
                    quoted(&self.start)
                ))
            })
            .ok();
        if self.members.is_empty() {
            problems.push("members: at least one".to_owned());
        }
        if self.members.iter().any(|m| m.trim().is_empty()) {
            problems.push("members: a name cannot be empty".to_owned());
        }
        let overrides = zone.as_ref().map(|z| self.overrides(z, &mut problems));
        match (zone, handover, start, overrides) {
            (Some(zone), Some((weekday, time)), Some(start), Some(overrides)) if problems.is_empty() => {
                let anchor = next_weekday(start, weekday);
                Ok(Rotation {
                    zone,
                    weekday,
                    time,
                    members: self.members.clone(),
                    anchor,
                    overrides,
                })
            }
            _ => Err(problems),
        }
    }

    fn overrides(&self, zone: &TimeZone, problems: &mut Vec<String>) -> Vec<Override> {
        let mut out = Vec::new();
        for (n, o) in self.overrides.iter().enumerate() {
            let n = n + 1;
            let mut instant = |key: &str, text: &str| match text.parse::<DateTime>() {
                Ok(local) => instant(zone, local),
                Err(_) => {
                    problems.push(format!(
                        "override {n}: {key} {} is not a local time written YYYY-MM-DDTHH:MM",
                        quoted(text)
                    ));
                    None
                }
            };
            let (from, to) = (instant("from", &o.from), instant("to", &o.to));
            if o.member.trim().is_empty() {
                problems.push(format!("override {n}: member cannot be empty"));
            }
            match (from, to) {
                (Some(from), Some(to)) if from < to => out.push(Override {
                    from,
                    to,
                    member: o.member.clone(),
                }),
                (Some(_), Some(_)) => problems.push(format!("override {n}: `to` must come after `from`")),
                _ => {}
            }
        }
        out
    }
}

impl Rotation {
    /// The members, in order.
    pub fn members(&self) -> &[String] {
        &self.members
    }

    /// Every name the rotation can put on call: its members and the override stand-ins.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.members
            .iter()
            .chain(self.overrides.iter().map(|o| &o.member))
            .map(String::as_str)
    }

    /// The time zone the rotation is read in.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Who is on call at `at`: the override covering it (the last listed), else the member whose
    /// weekly shift holds it.
    pub fn on_call(&self, at: Timestamp) -> OnCall {
        let (shift_date, next_handover) = self.shift(at);
        let next_boundary = self
            .overrides
            .iter()
            .flat_map(|o| [o.from, o.to])
            .filter(|b| *b > at)
            .min();
        let until = next_boundary.map_or(next_handover, |b| b.min(next_handover));
        if let Some(o) = self.overrides.iter().rev().find(|o| o.from <= at && at < o.to) {
            return OnCall {
                member: o.member.clone(),
                until,
                by_override: true,
            };
        }
        let weeks = (shift_date - self.anchor).get_days().div_euclid(7);
        let len = i64::try_from(self.members.len()).unwrap_or(1).max(1);
        let index = usize::try_from(i64::from(weeks).rem_euclid(len)).unwrap_or(0);
        OnCall {
            member: self.members.get(index).cloned().unwrap_or_default(),
            until,
            by_override: false,
        }
    }

    /// The local date of the handover that began the shift holding `at`, and the instant of the
    /// next handover.
    fn shift(&self, at: Timestamp) -> (Date, Timestamp) {
        let today = self.zone.to_datetime(at).date();
        // The last handover date on or before today, one week earlier if its instant is still ahead.
        let back = i64::from(today.weekday().since(self.weekday));
        let mut date = today.checked_sub(back.days()).unwrap_or(today);
        if self.handover_at(date).is_some_and(|h| h > at) {
            date = date.checked_sub(7.days()).unwrap_or(date);
        }
        let next = date.checked_add(7.days()).unwrap_or(date);
        let next_instant = self.handover_at(next).unwrap_or(Timestamp::MAX);
        (date, next_instant)
    }

    fn handover_at(&self, date: Date) -> Option<Timestamp> {
        instant(&self.zone, date.to_datetime(self.time))
    }
}

/// The instant of a local civil time (gap: after it; fold: first occurrence).
fn instant(zone: &TimeZone, local: DateTime) -> Option<Timestamp> {
    zone.to_ambiguous_timestamp(local).compatible().ok()
}

/// The first date on or after `date` that falls on `weekday`.
fn next_weekday(date: Date, weekday: Weekday) -> Date {
    let ahead = i64::from(weekday.since(date.weekday()));
    date.checked_add(ahead.days()).unwrap_or(date)
}

/// `monday 09:00` (full or three-letter weekday, any case).
fn parse_handover(text: &str) -> Result<(Weekday, Time), ()> {
    let mut words = text.split_whitespace();
    let (Some(day), Some(time), None) = (words.next(), words.next(), words.next()) else {
        return Err(());
    };
    let day = day.to_ascii_lowercase();
    let weekday = [
        ("mon", Weekday::Monday),
        ("tue", Weekday::Tuesday),
        ("wed", Weekday::Wednesday),
        ("thu", Weekday::Thursday),
        ("fri", Weekday::Friday),
        ("sat", Weekday::Saturday),
        ("sun", Weekday::Sunday),
    ]
    .into_iter()
    .find(|(short, w)| day == *short || day == format!("{w:?}").to_ascii_lowercase())
    .map(|(_, w)| w)
    .ok_or(())?;
    let time = time.parse::<Time>().map_err(|_| ())?;
    Ok((weekday, time))
}

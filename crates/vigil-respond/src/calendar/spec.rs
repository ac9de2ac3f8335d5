//! The configuration shape of a business-hours calendar, checked as a whole.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{BusinessHours, Calendar, WEEKDAYS, day_name, window_problems};
use crate::error::quoted;

/// A business-hours calendar as written in configuration, e.g. in TOML:
///
/// ```toml
/// time_zone = "Europe/Brussels"
/// holidays = ["2026-12-25", "2027-01-01"]
/// [hours]
/// monday = "08:00-12:00,13:00-17:00"
/// tue = "09:00-17:30"
/// saturday = "closed"
/// ```
///
/// - `time_zone`: an IANA name (`Europe/Brussels`, `America/New_York`, `UTC`).
/// - `hours`: keys are weekdays, `monday` … `sunday` or `mon` … `sun`; values are windows
///   `HH:MM-HH:MM` separated by commas, with `24:00` allowed as an end; `""` or `closed` means no
///   working time. A day left out has no working time.
/// - `holidays`: whole days off, `YYYY-MM-DD`, in the calendar's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// The IANA time zone the windows are read in.
    pub time_zone: String,
    /// Working windows by weekday name.
    pub hours: BTreeMap<String, String>,
    /// Whole days off, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
}

impl CalendarSpec {
    /// Checks the whole spec and builds the calendar, or returns every problem found (unknown
    /// time zone, unknown or repeated day name, malformed or reversed window, overlapping
    /// windows, malformed date, no working time at all).
    pub fn build(&self) -> Result<Calendar, Vec<String>> {
        let mut problems = Vec::new();
        let time_zone = match TimeZone::get(&self.time_zone) {
            Ok(zone) => Some(zone),
            Err(_) => {
                problems.push(format!("unknown time zone {}", quoted(&self.time_zone)));
                None
            }
        };
        let week = self.week(&mut problems);
        let holidays = self.holidays(&mut problems);
        if problems.is_empty() && week.iter().all(Vec::is_empty) {
            problems.push("no working hours on any day".to_owned());
        }
        match time_zone {
            Some(zone) if problems.is_empty() => BusinessHours::new(zone, week, holidays)
                .map(Calendar::BusinessHours)
                .map_err(|e| vec![e.to_string()]),
            _ => Err(problems),
        }
    }

    fn week(&self, problems: &mut Vec<String>) -> [Vec<(Time, Time)>; 7] {
        let mut week: [Vec<(Time, Time)>; 7] = Default::default();
        let mut given = [false; 7];
        for (key, value) in &self.hours {
            let Some(index) = day_index(key) else {
                problems.push(format!(
                    "unknown day {} in hours; use monday … sunday or mon … sun",
                    quoted(key)
                ));
                continue;
            };
            let day = WEEKDAYS[index];
            if given[index] {
                problems.push(format!("{} is given twice in hours", day_name(day)));
                continue;
            }
            given[index] = true;
            let mut windows = parse_windows(value, day_name(day), problems);
            windows.sort();
            problems.extend(window_problems(&windows, day));
            week[index] = windows;
        }
        week
    }

    fn holidays(&self, problems: &mut Vec<String>) -> BTreeSet<Date> {
        let mut days = BTreeSet::new();
        for text in &self.holidays {
            match parse_date(text) {
                Some(date) => {
                    days.insert(date);
                }
                None => problems.push(format!("holiday {} is not a date written YYYY-MM-DD", quoted(text))),
            }
        }
        days
    }
}

/// Monday = 0 … Sunday = 6, from a full or three-letter English name (any case).
fn day_index(name: &str) -> Option<usize> {
    const SHORT: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let name = name.trim().to_ascii_lowercase();
    SHORT
        .iter()
        .zip(WEEKDAYS)
        .position(|(short, day)| name == *short || name == day_name(day))
}

fn parse_windows(text: &str, day: &str, problems: &mut Vec<String>) -> Vec<(Time, Time)> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("closed") {
        return Vec::new();
    }
    let mut windows = Vec::new();
    for part in text.split(',') {
        match parse_window(part.trim()) {
            Some(window) => windows.push(window),
            None => problems.push(format!(
                "{day}: {} is not a window written HH:MM-HH:MM",
                quoted(part.trim())
            )),
        }
    }
    windows
}

/// `HH:MM-HH:MM`; an end of `24:00` becomes `00:00` (the next day's midnight).
fn parse_window(text: &str) -> Option<(Time, Time)> {
    let (start, end) = text.split_once('-')?;
    let start = parse_hh_mm(start.trim())?;
    let end = match end.trim() {
        "24:00" => Time::midnight(),
        other => parse_hh_mm(other)?,
    };
    Some((start, end))
}

fn parse_hh_mm(text: &str) -> Option<Time> {
    let (hours, minutes) = text.split_once(':')?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return None;
    }
    Time::new(hours.parse().ok()?, minutes.parse().ok()?, 0, 0).ok()
}

fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let year = text.get(0..4)?.parse().ok()?;
    let month = text.get(5..7)?.parse().ok()?;
    let day = text.get(8..10)?.parse().ok()?;
    Date::new(year, month, day).ok()
}

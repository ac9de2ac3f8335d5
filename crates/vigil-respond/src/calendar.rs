//! Working time for SLA clocks: around the clock, or business hours in a time zone.
//!
//! A business calendar lists, per weekday, windows of local civil time (`09:00-17:00`) and whole
//! days off (holidays). Windows are read in the calendar's time zone on each date, so a change of
//! UTC offset is handled as people expect: a `09:00-17:00` window always holds 8 hours, while a
//! `00:00-24:00` window holds 23 or 25 hours on the days the clocks change. A local time that
//! does not exist (in the spring gap) is read as the instant after the gap; a local time that
//! occurs twice (in the autumn fold) is read as its first occurrence.
//!
//! Computations walk the calendar day by day and give up after [`MAX_DAYS`] days (about eleven
//! years), so no input makes them run away.

mod spec;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

pub use spec::CalendarSpec;

use crate::error::RespondError;

/// How many days a calendar computation looks at before it gives up.
pub const MAX_DAYS: u32 = 4_000;

const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

/// When an SLA clock runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Calendar {
    /// Every instant is working time (24×7): working time is elapsed real time.
    AlwaysOn,
    /// Only the windows of a weekly schedule, in a time zone, minus holidays.
    BusinessHours(BusinessHours),
}

/// A weekly schedule of working windows in a time zone, with whole days off.
///
/// A window is `(start, end)` of local civil time on one day, `start < end`; an `end` of `00:00`
/// stands for `24:00`, the next day's midnight. The windows of a day are kept sorted and never
/// overlap (they may touch).
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    time_zone: TimeZone,
    /// Monday first.
    week: [Vec<(Time, Time)>; 7],
    holidays: BTreeSet<Date>,
}

impl BusinessHours {
    /// A schedule from its windows per weekday (Monday first) and its holidays.
    ///
    /// Refuses a window whose start is not before its end (with `00:00` as an end meaning `24:00`)
    /// and overlapping windows on the same day; the message names every problem.
    pub fn new(
        time_zone: TimeZone,
        week: [Vec<(Time, Time)>; 7],
        holidays: BTreeSet<Date>,
    ) -> Result<Self, RespondError> {
        let mut week = week;
        let mut problems = Vec::new();
        for (windows, day) in week.iter_mut().zip(WEEKDAYS) {
            windows.sort();
            problems.extend(window_problems(windows, day));
        }
        if !problems.is_empty() {
            return Err(RespondError::invalid(problems.join("; ")));
        }
        Ok(Self {
            time_zone,
            week,
            holidays,
        })
    }

    /// The time zone the windows are read in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// The windows of a weekday, sorted (an end of `00:00` means `24:00`).
    pub fn windows(&self, day: Weekday) -> &[(Time, Time)] {
        &self.week[weekday_index(day)]
    }

    /// The whole days off.
    pub fn holidays(&self) -> &BTreeSet<Date> {
        &self.holidays
    }

    fn has_working_time(&self) -> bool {
        self.week.iter().any(|windows| !windows.is_empty())
    }

    /// The instant of a local civil time on `date` (gap: after it; fold: first occurrence).
    fn instant(&self, date: Date, time: Time) -> Option<Timestamp> {
        let local = date.to_datetime(time);
        self.time_zone.to_ambiguous_timestamp(local).compatible().ok()
    }

    /// The real intervals of `date`'s windows, in order, none starting before `floor`; `floor`
    /// moves to the end of the last interval so that no instant is ever counted twice.
    fn day_intervals(&self, date: Date, floor: &mut Timestamp, out: &mut Vec<(Timestamp, Timestamp)>) {
        out.clear();
        if self.holidays.contains(&date) {
            return;
        }
        for &(start, end) in &self.week[weekday_index(date.weekday())] {
            let end = if end == Time::midnight() {
                date.tomorrow().ok().and_then(|next| self.instant(next, end))
            } else {
                self.instant(date, end)
            };
            let (Some(start), Some(end)) = (self.instant(date, start), end) else {
                continue;
            };
            let start = start.max(*floor);
            if end > start {
                out.push((start, end));
                *floor = end;
            }
        }
    }

    /// Visits the working intervals from `from` on (clipped to start at `from`), day by day up to
    /// `last` (a local date) or [`MAX_DAYS`] days, until `visit` breaks.
    fn walk<B>(
        &self,
        from: Timestamp,
        last: Date,
        mut visit: impl FnMut(Timestamp, Timestamp) -> ControlFlow<B>,
    ) -> Option<B> {
        let mut date = self.time_zone.to_datetime(from).date();
        let mut floor = from;
        let mut day = Vec::new();
        for _ in 0..MAX_DAYS {
            if date > last {
                return None;
            }
            self.day_intervals(date, &mut floor, &mut day);
            for &(start, end) in &day {
                if let ControlFlow::Break(found) = visit(start, end) {
                    return Some(found);
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    fn working_between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        let last = self.time_zone.to_datetime(to).date();
        let mut total = SignedDuration::ZERO;
        self.walk(from, last, |start, end| {
            if start >= to {
                return ControlFlow::Break(());
            }
            total += end.min(to).duration_since(start);
            ControlFlow::Continue(())
        });
        total
    }

    fn add_working(&self, from: Timestamp, d: SignedDuration) -> Option<Timestamp> {
        if !self.has_working_time() {
            return None;
        }
        let mut remaining = d;
        self.walk(from, Date::MAX, |start, end| {
            let length = end.duration_since(start);
            if remaining <= length {
                return ControlFlow::Break(start.checked_add(remaining).ok());
            }
            remaining -= length;
            ControlFlow::Continue(())
        })
        .flatten()
    }
}

impl Calendar {
    /// The working time inside `[from, to)`; zero when `to <= from`.
    ///
    /// For a business calendar only the first [`MAX_DAYS`] days from `from` are counted.
    pub fn working_between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        match self {
            Self::AlwaysOn => to.duration_since(from),
            Self::BusinessHours(hours) => hours.working_between(from, to),
        }
    }

    /// The earliest instant `t` with `working_between(from, t) == d`: `from` itself for a zero
    /// `d`, the end of the working time otherwise (so a due time falling on a window's end is that
    /// end, not the start of the next window).
    ///
    /// `None` for a negative `d`, for a calendar with no working time, and when the instant lies
    /// beyond jiff's range (year 9999) or more than [`MAX_DAYS`] days ahead.
    pub fn add_working(&self, from: Timestamp, d: SignedDuration) -> Option<Timestamp> {
        if d.is_negative() {
            return None;
        }
        if d.is_zero() {
            return Some(from);
        }
        match self {
            Self::AlwaysOn => from.checked_add(d).ok(),
            Self::BusinessHours(hours) => hours.add_working(from, d),
        }
    }
}

/// The weekdays, Monday first, as the schedule stores them.
const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

fn weekday_index(day: Weekday) -> usize {
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0).min(6)
}

fn day_name(day: Weekday) -> &'static str {
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ][weekday_index(day)]
}

/// Nanoseconds since midnight.
fn nanos_of_day(time: Time) -> i64 {
    let seconds = i64::from(time.hour()) * 3600 + i64::from(time.minute()) * 60 + i64::from(time.second());
    seconds * 1_000_000_000 + i64::from(time.subsec_nanosecond())
}

/// Nanoseconds since midnight of a window's end (`00:00` is `24:00`).
fn end_nanos(end: Time) -> i64 {
    if end == Time::midnight() {
        NANOS_PER_DAY
    } else {
        nanos_of_day(end)
    }
}

/// What is wrong with the sorted windows of one day.
fn window_problems(windows: &[(Time, Time)], day: Weekday) -> Vec<String> {
    let mut problems = Vec::new();
    for &(start, end) in windows {
        if nanos_of_day(start) >= end_nanos(end) {
            problems.push(format!(
                "{}: window {} ends before it starts",
                day_name(day),
                show_window(start, end)
            ));
        }
    }
    for pair in windows.windows(2) {
        if let [(a_start, a_end), (b_start, b_end)] = *pair
            && end_nanos(a_end) > nanos_of_day(b_start)
        {
            problems.push(format!(
                "{}: windows {} and {} overlap",
                day_name(day),
                show_window(a_start, a_end),
                show_window(b_start, b_end)
            ));
        }
    }
    problems
}

fn show_time(time: Time) -> String {
    if time.second() == 0 && time.subsec_nanosecond() == 0 {
        format!("{:02}:{:02}", time.hour(), time.minute())
    } else {
        time.to_string()
    }
}

fn show_window(start: Time, end: Time) -> String {
    let end = if end == Time::midnight() {
        "24:00".to_owned()
    } else {
        show_time(end)
    };
    format!("{}-{end}", show_time(start))
}

//! SLA timers: how much working time a target (acknowledge, contain, resolve…) has used.
//!
//! A timer starts at an instant, counts working time on a [`Calendar`], stops when its milestone
//! is reached and does not count while paused (e.g. an incident on hold, waiting for a customer).
//! [`evaluate`] derives everything from the stored facts and `now`, so a timer never needs a
//! background task to stay right: its state is recomputed whenever it is read.

#[cfg(test)]
mod tests;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::Calendar;
use crate::wire::wire_enum;

wire_enum! {
    /// Where a timer stands.
    pub enum TimerState {
        /// Counting.
        Running = "running",
        /// Not counting: a pause is open.
        Paused = "paused",
        /// Stopped within its target.
        Met = "met",
        /// Past its target (stopped late, or still open and overdue).
        Breached = "breached",
    }
}

/// A stretch of time during which the timer does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// When the pause began.
    pub from: Timestamp,
    /// When it ended; `None` while still paused.
    pub to: Option<Timestamp>,
}

/// The stored facts of one timer.
#[derive(Debug, Clone, Copy)]
pub struct TimerInput<'a> {
    /// When the timer started (e.g. the incident's creation).
    pub started: Timestamp,
    /// The working time allowed (negative targets count as zero).
    pub target: SignedDuration,
    /// When the timer's milestone was reached, if it was.
    pub stopped: Option<Timestamp>,
    /// The pauses, in any order; overlaps are merged.
    pub pauses: &'a [Pause],
    /// The share of the target (e.g. `0.8`) from which a running timer warns.
    pub warn_share: f64,
}

/// A timer evaluated at an instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Timer {
    /// Running, paused, met or breached.
    pub state: TimerState,
    /// The working time allowed, in seconds.
    pub target_seconds: i64,
    /// The working time used, in seconds (pauses excluded).
    pub elapsed_seconds: i64,
    /// When the target is (or was) reached, assuming no further pause; `None` when the calendar
    /// has no working time left to reach it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due: Option<Timestamp>,
    /// Still open and not breached, but past the warning share of the target.
    pub warning: bool,
    /// When the target was exceeded (the due instant), for a breached timer.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub breached_at: Option<Timestamp>,
}

/// Evaluates a timer at `now`.
///
/// - Elapsed: the working time from `started` to `stopped` (or `now`, whichever is earlier) minus
///   the working time inside the pauses (clipped to that span, overlapping pauses merged).
/// - Due: the instant the elapsed time reaches the target. If it already has, that instant; if
///   not, the target is counted on from `now` (or from `stopped`) as if no further pause came.
/// - State: a stopped timer is met when elapsed ≤ target, else breached. An open timer is breached
///   when elapsed > target (even while paused), else paused when a pause is open at `now`, else
///   running.
pub fn evaluate(calendar: &Calendar, input: &TimerInput<'_>, now: Timestamp) -> Timer {
    let target = input.target.max(SignedDuration::ZERO);
    let span_end = input.stopped.map_or(now, |stopped| stopped.min(now));
    let pauses = merge_pauses(input.pauses, input.started, span_end);
    let run = count(calendar, input.started, span_end, &pauses, target);
    let due = run.crossed.or_else(|| {
        let resume = input.started.max(span_end);
        calendar.add_working(resume, target - run.elapsed)
    });
    let state = state(input, now, run.elapsed, target);
    let open = input.stopped.is_none() && state != TimerState::Breached;
    Timer {
        state,
        target_seconds: target.as_secs(),
        elapsed_seconds: run.elapsed.as_secs(),
        due,
        warning: open && run.elapsed.as_secs_f64() >= input.warn_share * target.as_secs_f64(),
        breached_at: (state == TimerState::Breached).then_some(due).flatten(),
    }
}

fn state(input: &TimerInput<'_>, now: Timestamp, elapsed: SignedDuration, target: SignedDuration) -> TimerState {
    match input.stopped {
        Some(_) if elapsed <= target => TimerState::Met,
        Some(_) => TimerState::Breached,
        None if elapsed > target => TimerState::Breached,
        None if input.pauses.iter().any(|p| is_open_at(p, now)) => TimerState::Paused,
        None => TimerState::Running,
    }
}

fn is_open_at(pause: &Pause, now: Timestamp) -> bool {
    pause.from <= now && pause.to.is_none_or(|to| to > now)
}

/// The pauses clipped to `[start, end)`, sorted, with overlapping or touching ones merged.
fn merge_pauses(pauses: &[Pause], start: Timestamp, end: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let mut clipped: Vec<(Timestamp, Timestamp)> = pauses
        .iter()
        .map(|p| (p.from.max(start), p.to.unwrap_or(end).min(end)))
        .filter(|(from, to)| to > from)
        .collect();
    clipped.sort();
    let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(clipped.len());
    for (from, to) in clipped {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// The working time counted so far, and the instant it reached the target if it did.
struct Count {
    elapsed: SignedDuration,
    crossed: Option<Timestamp>,
}

/// Counts working time over the stretches of `[start, end)` outside the (merged) pauses.
fn count(
    calendar: &Calendar,
    start: Timestamp,
    end: Timestamp,
    pauses: &[(Timestamp, Timestamp)],
    target: SignedDuration,
) -> Count {
    let mut run = Count {
        elapsed: SignedDuration::ZERO,
        crossed: None,
    };
    let mut cursor = start;
    let gaps = pauses.iter().copied().chain([(end, end)]);
    for (pause_from, pause_to) in gaps {
        if pause_from > cursor {
            let worked = calendar.working_between(cursor, pause_from);
            if run.crossed.is_none() && run.elapsed + worked >= target {
                run.crossed = calendar.add_working(cursor, target - run.elapsed);
            }
            run.elapsed += worked;
        }
        cursor = cursor.max(pause_to);
    }
    run
}

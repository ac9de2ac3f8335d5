use std::collections::BTreeMap;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::*;
use crate::calendar::CalendarSpec;

const HOUR: SignedDuration = SignedDuration::from_hours(1);
const MINUTE: SignedDuration = SignedDuration::from_mins(1);

fn t0() -> Timestamp {
    "2026-05-04T08:00:00Z".parse().expect("timestamp")
}

fn brussels(local: &str) -> Timestamp {
    let tz = TimeZone::get("Europe/Brussels").expect("zone");
    let dt: DateTime = local.parse().expect("civil datetime");
    tz.to_ambiguous_timestamp(dt).compatible().expect("in range")
}

fn office() -> Calendar {
    let hours: BTreeMap<String, String> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| ((*d).to_owned(), "09:00-17:00".to_owned()))
        .collect();
    let spec = CalendarSpec {
        time_zone: "Europe/Brussels".to_owned(),
        hours,
        holidays: Vec::new(),
    };
    spec.build().expect("valid calendar")
}

fn input(target: SignedDuration, stopped: Option<Timestamp>, pauses: &[Pause]) -> TimerInput<'_> {
    TimerInput {
        started: t0(),
        target,
        stopped,
        pauses,
        warn_share: 0.8,
    }
}

fn pause(from: SignedDuration, to: Option<SignedDuration>) -> Pause {
    Pause {
        from: t0() + from,
        to: to.map(|to| t0() + to),
    }
}

#[test]
fn running_then_warning_then_breached() {
    let cal = Calendar::AlwaysOn;
    let timer = input(4 * HOUR, None, &[]);
    let early = evaluate(&cal, &timer, t0() + HOUR);
    let expected = Timer {
        state: TimerState::Running,
        target_seconds: 4 * 3600,
        elapsed_seconds: 3600,
        due: Some(t0() + 4 * HOUR),
        warning: false,
        breached_at: None,
    };
    assert_eq!(early, expected);
    let before_warning = evaluate(&cal, &timer, t0() + 3 * HOUR + 11 * MINUTE);
    assert!(!before_warning.warning);
    let warned = evaluate(&cal, &timer, t0() + 3 * HOUR + 12 * MINUTE);
    assert_eq!((warned.state, warned.warning), (TimerState::Running, true));
    let at_target = evaluate(&cal, &timer, t0() + 4 * HOUR);
    assert_eq!(at_target.state, TimerState::Running);
    let late = evaluate(&cal, &timer, t0() + 5 * HOUR);
    assert_eq!(late.state, TimerState::Breached);
    assert_eq!(late.breached_at, Some(t0() + 4 * HOUR));
    assert_eq!(late.due, Some(t0() + 4 * HOUR));
    assert!(!late.warning);
}

#[test]
fn a_pause_stops_the_clock_and_resume_continues() {
    let cal = Calendar::AlwaysOn;
    let open = [pause(HOUR, None)];
    let paused = evaluate(&cal, &input(4 * HOUR, None, &open), t0() + 3 * HOUR);
    assert_eq!(paused.state, TimerState::Paused);
    assert_eq!(paused.elapsed_seconds, 3600);
    // Counted on from now, as if the pause ended now.
    assert_eq!(paused.due, Some(t0() + 6 * HOUR));
    let closed = [pause(HOUR, Some(3 * HOUR))];
    let resumed = evaluate(&cal, &input(4 * HOUR, None, &closed), t0() + 4 * HOUR);
    assert_eq!(resumed.state, TimerState::Running);
    assert_eq!(resumed.elapsed_seconds, 2 * 3600);
    assert_eq!(resumed.due, Some(t0() + 6 * HOUR));
}

#[test]
fn due_moves_by_the_working_length_of_a_pause() {
    let cal = office();
    let started = brussels("2026-03-20T13:00"); // a Friday
    let plain = TimerInput {
        started,
        target: 8 * HOUR,
        stopped: None,
        pauses: &[],
        warn_share: 0.8,
    };
    let now = brussels("2026-03-20T14:00");
    assert_eq!(evaluate(&cal, &plain, now).due, Some(brussels("2026-03-23T13:00")));
    // Friday 16:00 to Monday 10:00 holds 2 working hours (the weekend holds none).
    let pauses = [Pause {
        from: brussels("2026-03-20T16:00"),
        to: Some(brussels("2026-03-23T10:00")),
    }];
    let paused = TimerInput {
        pauses: &pauses,
        ..plain
    };
    let later = evaluate(&cal, &paused, brussels("2026-03-23T11:00"));
    assert_eq!(later.due, Some(brussels("2026-03-23T15:00")));
    assert_eq!(later.elapsed_seconds, 4 * 3600);
    assert_eq!(later.state, TimerState::Running);
    // While that pause is open, the due time is counted from now.
    let open = [Pause {
        from: brussels("2026-03-20T16:00"),
        to: None,
    }];
    let on_hold = evaluate(
        &cal,
        &TimerInput { pauses: &open, ..plain },
        brussels("2026-03-23T10:00"),
    );
    assert_eq!(on_hold.state, TimerState::Paused);
    assert_eq!(on_hold.due, Some(brussels("2026-03-23T15:00")));
}

#[test]
fn stopped_timers_are_met_or_breached() {
    let cal = Calendar::AlwaysOn;
    let now = t0() + 10 * HOUR;
    let met = evaluate(&cal, &input(4 * HOUR, Some(t0() + 3 * HOUR), &[]), now);
    assert_eq!(
        (met.state, met.elapsed_seconds, met.warning),
        (TimerState::Met, 3 * 3600, false)
    );
    assert_eq!(met.due, Some(t0() + 4 * HOUR));
    assert_eq!(met.breached_at, None);
    let exact = evaluate(&cal, &input(4 * HOUR, Some(t0() + 4 * HOUR), &[]), now);
    assert_eq!(exact.state, TimerState::Met);
    let late = evaluate(&cal, &input(4 * HOUR, Some(t0() + 5 * HOUR), &[]), now);
    assert_eq!(late.state, TimerState::Breached);
    assert_eq!(late.breached_at, Some(t0() + 4 * HOUR));
    assert_eq!(late.elapsed_seconds, 5 * 3600);
    // A pause still open when the timer stopped ends there; a stop after `now` counts to `now`.
    let open = [pause(2 * HOUR, None)];
    let stopped_paused = evaluate(&cal, &input(4 * HOUR, Some(t0() + 6 * HOUR), &open), now);
    assert_eq!(
        (stopped_paused.state, stopped_paused.elapsed_seconds),
        (TimerState::Met, 2 * 3600)
    );
    assert_eq!(stopped_paused.due, Some(t0() + 8 * HOUR));
    let future_stop = evaluate(&cal, &input(4 * HOUR, Some(t0() + 20 * HOUR), &[]), now);
    assert_eq!(future_stop.elapsed_seconds, 10 * 3600);
}

#[test]
fn overlapping_pauses_count_once() {
    let cal = Calendar::AlwaysOn;
    let pauses = [
        pause(2 * HOUR, Some(4 * HOUR)),
        pause(HOUR, Some(3 * HOUR)),
        pause(2 * HOUR + 30 * MINUTE, Some(2 * HOUR + 45 * MINUTE)),
        pause(HOUR, Some(3 * HOUR)),
        pause(4 * HOUR, Some(4 * HOUR + 30 * MINUTE)), // touches the merged pause
    ];
    let timer = evaluate(&cal, &input(8 * HOUR, None, &pauses), t0() + 6 * HOUR);
    assert_eq!(timer.elapsed_seconds, 6 * 3600 - 3 * 3600 - 1800);
    assert_eq!(timer.due, Some(t0() + 8 * HOUR + 3 * HOUR + 30 * MINUTE));
    assert_eq!(timer.state, TimerState::Running);
}

#[test]
fn paused_but_already_breached_stays_breached() {
    let cal = Calendar::AlwaysOn;
    let open = [pause(2 * HOUR, None)];
    let timer = evaluate(&cal, &input(HOUR, None, &open), t0() + 5 * HOUR);
    assert_eq!(timer.state, TimerState::Breached);
    assert_eq!(timer.elapsed_seconds, 2 * 3600);
    assert_eq!(timer.breached_at, Some(t0() + HOUR));
    assert!(!timer.warning);
}

#[test]
fn a_breach_after_a_pause_is_dated_by_working_time() {
    let cal = office();
    let pauses = [Pause {
        from: brussels("2026-03-23T10:00"),
        to: Some(brussels("2026-03-23T14:00")),
    }];
    let timer = TimerInput {
        started: brussels("2026-03-23T09:00"),
        target: 2 * HOUR,
        stopped: None,
        pauses: &pauses,
        warn_share: 0.8,
    };
    let late = evaluate(&cal, &timer, brussels("2026-03-24T09:30"));
    assert_eq!(late.state, TimerState::Breached);
    assert_eq!(late.breached_at, Some(brussels("2026-03-23T15:00")));
    assert_eq!(late.elapsed_seconds, (4 * 3600) + 1800);
}

#[test]
fn odd_inputs_do_not_panic() {
    let cal = Calendar::AlwaysOn;
    let weird = [
        pause(3 * HOUR, Some(HOUR)),       // ends before it starts: ignored
        pause(-5 * HOUR, Some(-4 * HOUR)), // before the start: ignored
        pause(20 * HOUR, Some(30 * HOUR)), // after now: ignored
    ];
    let timer = evaluate(&cal, &input(-HOUR, None, &weird), t0() + 2 * HOUR);
    assert_eq!(timer.target_seconds, 0);
    assert_eq!(timer.state, TimerState::Breached);
    assert_eq!(timer.breached_at, Some(t0()));
    let not_started = evaluate(&cal, &input(HOUR, None, &[]), t0() - HOUR);
    assert_eq!(
        (not_started.state, not_started.elapsed_seconds),
        (TimerState::Running, 0)
    );
    assert_eq!(not_started.due, Some(t0() + HOUR));
    let nan = TimerInput {
        warn_share: f64::NAN,
        ..input(HOUR, None, &[])
    };
    assert!(!evaluate(&cal, &nan, t0() + 59 * MINUTE).warning);
    let huge = input(SignedDuration::MAX, None, &[]);
    let far = evaluate(&cal, &huge, Timestamp::MAX);
    assert_eq!((far.state, far.due), (TimerState::Running, None));
    let closed = evaluate(&office(), &input(40_000 * HOUR, None, &[]), t0());
    assert_eq!(closed.due, None);
}

#[test]
fn timer_json_and_schema() {
    let timer = evaluate(&Calendar::AlwaysOn, &input(HOUR, None, &[]), t0() + 2 * HOUR);
    let json = serde_json::to_value(&timer).unwrap_or_default();
    assert_eq!(
        json,
        serde_json::json!({
            "state": "breached",
            "target_seconds": 3600,
            "elapsed_seconds": 7200,
            "due": "2026-05-04T09:00:00Z",
            "warning": false,
            "breached_at": "2026-05-04T09:00:00Z",
        })
    );
    let schema = serde_json::to_value(<Timer as utoipa::PartialSchema>::schema()).unwrap_or_default();
    let due = &schema["properties"]["due"];
    assert_eq!(due["format"], "date-time", "{schema}");
    assert_eq!(TimerState::parse("paused"), Some(TimerState::Paused));
}

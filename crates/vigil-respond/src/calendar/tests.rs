use std::collections::BTreeMap;

use jiff::civil::{DateTime, Weekday};

use super::*;

fn at(zone: &str, local: &str) -> Timestamp {
    let tz = TimeZone::get(zone).expect("known zone");
    let dt: DateTime = local.parse().expect("civil datetime");
    tz.to_ambiguous_timestamp(dt).compatible().expect("in range")
}

fn brussels(local: &str) -> Timestamp {
    at("Europe/Brussels", local)
}

fn spec(zone: &str, hours: &[(&str, &str)], holidays: &[&str]) -> CalendarSpec {
    CalendarSpec {
        time_zone: zone.to_owned(),
        hours: hours
            .iter()
            .map(|(d, h)| ((*d).to_owned(), (*h).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        holidays: holidays.iter().map(|h| (*h).to_owned()).collect(),
    }
}

fn office(zone: &str, holidays: &[&str]) -> Calendar {
    let days = ["mon", "tue", "wed", "thu", "fri"].map(|d| (d, "09:00-17:00"));
    spec(zone, &days, holidays).build().expect("valid calendar")
}

fn every_day(window: &str) -> Calendar {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| (d, window));
    spec("Europe/Brussels", &days, &[]).build().expect("valid calendar")
}

const HOUR: SignedDuration = SignedDuration::from_hours(1);

#[test]
fn friday_afternoon_plus_two_hours_is_monday_ten() {
    let cal = office("Europe/Brussels", &[]);
    let due = cal.add_working(brussels("2026-03-20T16:00"), 2 * HOUR);
    assert_eq!(due, Some(brussels("2026-03-23T10:00")));
    // The weekend of the spring change: still Monday 10:00, now at +02:00.
    let due = cal.add_working(brussels("2026-03-27T16:00"), 2 * HOUR);
    assert_eq!(due, Some(brussels("2026-03-30T10:00")));
    assert_eq!(due.map(|t| t.to_string()), Some("2026-03-30T08:00:00Z".to_owned()));
}

#[test]
fn a_holiday_monday_pushes_the_due_time_to_tuesday() {
    let cal = office("Europe/Brussels", &["2026-04-06"]);
    let due = cal.add_working(brussels("2026-04-03T16:00"), 2 * HOUR);
    assert_eq!(due, Some(brussels("2026-04-07T10:00")));
    let span = cal.working_between(brussels("2026-04-03T16:00"), brussels("2026-04-07T10:00"));
    assert_eq!(span, 2 * HOUR);
}

#[test]
fn working_between_over_a_weekend() {
    let cal = office("Europe/Brussels", &[]);
    let from = brussels("2026-03-20T15:00");
    assert_eq!(cal.working_between(from, brussels("2026-03-23T11:00")), 4 * HOUR);
    assert_eq!(cal.working_between(from, brussels("2026-03-22T11:00")), 2 * HOUR);
    let saturday = brussels("2026-03-21T10:00");
    assert_eq!(
        cal.working_between(saturday, brussels("2026-03-22T23:00")),
        SignedDuration::ZERO
    );
    assert_eq!(cal.working_between(saturday, from), SignedDuration::ZERO);
}

#[test]
fn a_due_time_on_a_window_end_is_that_end() {
    let cal = office("Europe/Brussels", &[]);
    let due = cal.add_working(brussels("2026-03-20T15:00"), 2 * HOUR);
    assert_eq!(due, Some(brussels("2026-03-20T17:00")));
    let from_closed = cal.add_working(brussels("2026-03-20T18:00"), HOUR);
    assert_eq!(from_closed, Some(brussels("2026-03-23T10:00")));
}

#[test]
fn always_on_is_real_elapsed_time_across_dst_changes() {
    let cal = Calendar::AlwaysOn;
    let spring = cal.working_between(brussels("2026-03-29T00:00"), brussels("2026-03-30T00:00"));
    assert_eq!(spring, 23 * HOUR);
    let autumn = cal.working_between(brussels("2026-10-25T00:00"), brussels("2026-10-26T00:00"));
    assert_eq!(autumn, 25 * HOUR);
    let due = cal.add_working(brussels("2026-03-29T00:00"), 24 * HOUR);
    assert_eq!(due, Some(brussels("2026-03-30T01:00")));
}

#[test]
fn a_whole_day_window_follows_real_time_on_dst_days() {
    let cal = every_day("00:00-24:00");
    let day =
        |d: &str, next: &str| cal.working_between(brussels(&format!("{d}T00:00")), brussels(&format!("{next}T00:00")));
    assert_eq!(day("2026-03-29", "2026-03-30"), 23 * HOUR);
    assert_eq!(day("2026-10-25", "2026-10-26"), 25 * HOUR);
    assert_eq!(day("2026-10-24", "2026-10-25"), 24 * HOUR);
    let (from, to) = (brussels("2026-03-28T13:17"), brussels("2026-10-27T08:05"));
    assert_eq!(
        cal.working_between(from, to),
        Calendar::AlwaysOn.working_between(from, to)
    );
    assert_eq!(
        cal.add_working(from, 5000 * HOUR),
        Calendar::AlwaysOn.add_working(from, 5000 * HOUR)
    );
}

#[test]
fn an_office_day_is_eight_hours_on_dst_days() {
    let cal = every_day("09:00-17:00");
    for date in ["2026-03-29", "2026-10-25"] {
        let span = cal.working_between(brussels(&format!("{date}T00:00")), brussels(&format!("{date}T23:00")));
        assert_eq!(span, 8 * HOUR, "{date}");
    }
}

#[test]
fn windows_in_the_gap_and_the_fold() {
    let cal = every_day("02:00-03:00");
    let day = |d: &str| cal.working_between(brussels(&format!("{d}T00:00")), brussels(&format!("{d}T12:00")));
    assert_eq!(day("2026-03-29"), SignedDuration::ZERO); // 02:00-03:00 does not exist
    assert_eq!(day("2026-10-25"), 2 * HOUR); // it happens twice
    assert_eq!(day("2026-10-26"), HOUR);
}

#[test]
fn new_york_as_a_second_zone() {
    let cal = office("America/New_York", &[]);
    let ny = |local: &str| at("America/New_York", local);
    // DST starts on Sunday 2026-03-08: Friday 16:00 EST + 2 h = Monday 10:00 EDT.
    let due = cal.add_working(ny("2026-03-06T16:00"), 2 * HOUR);
    assert_eq!(due.map(|t| t.to_string()), Some("2026-03-09T14:00:00Z".to_owned()));
    // DST ends on Sunday 2026-11-01: Friday 16:00 EDT + 2 h = Monday 10:00 EST.
    let due = cal.add_working(ny("2026-10-30T16:00"), 2 * HOUR);
    assert_eq!(due.map(|t| t.to_string()), Some("2026-11-02T15:00:00Z".to_owned()));
    // New York 09:00 EDT is 14:00 in Brussels, still on winter time until 2026-03-29: the two
    // offices overlap three hours that week (two once both are on summer time).
    let brussels_office = office("Europe/Brussels", &[]);
    let morning = ny("2026-03-09T09:00");
    let overlap = |cal: &Calendar| cal.working_between(morning, morning + 8 * HOUR);
    assert_eq!(overlap(&cal), 8 * HOUR);
    assert_eq!(overlap(&brussels_office), 3 * HOUR);
    let later = ny("2026-03-30T09:00");
    assert_eq!(brussels_office.working_between(later, later + 8 * HOUR), 2 * HOUR);
}

#[test]
fn add_working_then_working_between_gives_back_the_duration() {
    let cal = spec(
        "Europe/Brussels",
        &[
            ("monday", "08:00-12:00,13:00-17:00"),
            ("tue", "09:00-17:30"),
            ("wednesday", "07:00-24:00"),
            ("thu", "00:00-02:00,22:00-24:00"),
            ("fri", "09:00-12:00"),
            ("sun", "02:30-03:30"),
        ],
        &["2026-03-31", "2026-10-28"],
    )
    .build()
    .expect("valid calendar");
    let mut checked = 0;
    for start in [brussels("2026-03-23T00:00"), brussels("2026-10-19T00:00")] {
        for step in 0..170 {
            let from = start + SignedDuration::from_mins(step * 101);
            for minutes in [0, 1, 29, 60, 240, 479, 600, 1441, 3000, 7777] {
                let d = SignedDuration::from_mins(minutes);
                let due = cal.add_working(from, d).expect("reachable");
                assert_eq!(cal.working_between(from, due), d, "from {from} d {d}");
                if minutes > 0 {
                    let just_before = due - SignedDuration::from_secs(1);
                    assert!(cal.working_between(from, just_before) < d, "not earliest: {from} {d}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2 * 170 * 10);
}

#[test]
fn add_working_edges() {
    let cal = office("Europe/Brussels", &[]);
    let from = brussels("2026-03-20T16:00");
    assert_eq!(cal.add_working(from, SignedDuration::ZERO), Some(from));
    assert_eq!(cal.add_working(from, -HOUR), None);
    assert_eq!(Calendar::AlwaysOn.add_working(from, -HOUR), None);
    let closed = BusinessHours::new(TimeZone::UTC, Default::default(), BTreeSet::new())
        .map(Calendar::BusinessHours)
        .expect("an empty week is a valid schedule");
    assert_eq!(closed.add_working(from, HOUR), None);
    assert_eq!(closed.working_between(from, from + 100 * HOUR), SignedDuration::ZERO);
    // More working time than MAX_DAYS days hold, and the end of time: no answer, no panic.
    assert_eq!(cal.add_working(from, 40_000 * HOUR), None);
    assert_eq!(Calendar::AlwaysOn.add_working(Timestamp::MAX, HOUR), None);
    assert_eq!(cal.add_working(brussels("9999-12-30T16:00"), 2 * HOUR), None);
    let all_time = cal.working_between(Timestamp::MIN, Timestamp::MAX);
    assert!(all_time > SignedDuration::ZERO);
}

#[test]
fn spec_reports_every_problem_at_once() {
    let bad = spec(
        "Europe/Bruxelles",
        &[
            ("funday", "09:00-17:00"),
            ("mon", "17:00-09:00"),
            ("tue", "9-17"),
            ("wed", "08:00-12:00,11:00-14:00"),
            ("thu", "09:00-25:00"),
        ],
        &["2026-02-30", "25/12/2026"],
    );
    let problems = bad.build().expect_err("invalid");
    let expected = [
        "unknown time zone \"Europe/Bruxelles\"",
        "unknown day \"funday\" in hours; use monday … sunday or mon … sun",
        "monday: window 17:00-09:00 ends before it starts",
        "thursday: \"09:00-25:00\" is not a window written HH:MM-HH:MM",
        "tuesday: \"9-17\" is not a window written HH:MM-HH:MM",
        "wednesday: windows 08:00-12:00 and 11:00-14:00 overlap",
        "holiday \"2026-02-30\" is not a date written YYYY-MM-DD",
        "holiday \"25/12/2026\" is not a date written YYYY-MM-DD",
    ];
    assert_eq!(problems, expected);
}

#[test]
fn spec_day_names_and_closed_days() {
    let twice = spec("UTC", &[("mon", "09:00-10:00"), ("Monday", "11:00-12:00")], &[]);
    assert_eq!(twice.build(), Err(vec!["monday is given twice in hours".to_owned()]));
    let none = spec("UTC", &[("sat", "closed"), ("sun", "")], &[]);
    assert_eq!(none.build(), Err(vec!["no working hours on any day".to_owned()]));
    let cal = spec(
        "UTC",
        &[("wed", "13:00-17:00, 08:00-12:00"), ("sun", "20:00-24:00")],
        &["2026-12-25"],
    )
    .build()
    .expect("valid");
    let Calendar::BusinessHours(hours) = &cal else {
        panic!("business hours expected");
    };
    let wed: Vec<String> = hours
        .windows(Weekday::Wednesday)
        .iter()
        .map(|(s, e)| format!("{s}-{e}"))
        .collect();
    assert_eq!(wed, ["08:00:00-12:00:00", "13:00:00-17:00:00"]);
    assert_eq!(
        hours.windows(Weekday::Sunday),
        &[(Time::constant(20, 0, 0, 0), Time::midnight())]
    );
    assert!(hours.windows(Weekday::Monday).is_empty());
    assert_eq!(hours.holidays().len(), 1);
    assert_eq!(hours.time_zone().iana_name(), Some("UTC"));
}

#[test]
fn spec_from_json_refuses_unknown_fields() {
    let json = r#"{ "time_zone": "Europe/Brussels", "hours": { "mon": "09:00-17:00" } }"#;
    let parsed: Result<CalendarSpec, _> = serde_json::from_str(json);
    assert!(parsed.map(|s| s.build().is_ok()).unwrap_or(false));
    let typo = r#"{ "timezone": "Europe/Brussels", "hours": {} }"#;
    assert!(serde_json::from_str::<CalendarSpec>(typo).is_err());
}

#[test]
fn business_hours_new_checks_windows() {
    let mut week: [Vec<(Time, Time)>; 7] = Default::default();
    week[4] = vec![(Time::constant(9, 0, 0, 0), Time::constant(9, 0, 0, 0))];
    let err = BusinessHours::new(TimeZone::UTC, week, BTreeSet::new()).map_err(|e| e.to_string());
    assert_eq!(err, Err("friday: window 09:00-09:00 ends before it starts".to_owned()));
}

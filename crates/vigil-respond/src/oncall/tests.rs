use super::*;

fn ts(text: &str) -> Timestamp {
    text.parse().expect("instant")
}

fn spec() -> RotationSpec {
    RotationSpec {
        zone: "Europe/Brussels".into(),
        handover: "monday 09:00".into(),
        members: vec!["alice".into(), "bob".into(), "carol".into()],
        start: "2026-01-05".into(),
        overrides: vec![OverrideSpec {
            from: "2026-12-24T09:00".into(),
            to: "2026-12-28T09:00".into(),
            member: "dave".into(),
        }],
    }
}

fn who(r: &Rotation, at: &str) -> String {
    r.on_call(ts(at)).member
}

#[test]
fn the_start_week_is_the_first_members_and_the_order_runs_round() {
    let r = spec().build().expect("rotation");
    // 2026-01-05 09:00 in Brussels (winter, UTC+1) is 08:00 UTC.
    assert_eq!(
        who(&r, "2026-01-05T07:59:59Z"),
        "carol",
        "the week before runs backwards"
    );
    assert_eq!(who(&r, "2026-01-05T08:00:00Z"), "alice");
    assert_eq!(who(&r, "2026-01-11T23:00:00Z"), "alice");
    assert_eq!(who(&r, "2026-01-12T08:00:00Z"), "bob");
    assert_eq!(who(&r, "2026-01-19T08:00:00Z"), "carol");
    assert_eq!(who(&r, "2026-01-26T08:00:00Z"), "alice");
    let now = r.on_call(ts("2026-01-07T12:00:00Z"));
    assert_eq!((now.until, now.by_override), (ts("2026-01-12T08:00:00Z"), false));
}

#[test]
fn a_start_that_is_not_the_handover_day_begins_at_the_next_handover() {
    let mut s = spec();
    s.start = "2026-01-01".into(); // a Thursday: alice from Monday 2026-01-05.
    let r = s.build().expect("rotation");
    assert_eq!(who(&r, "2026-01-05T08:00:00Z"), "alice");
    assert_eq!(who(&r, "2026-01-04T12:00:00Z"), "carol");
}

#[test]
fn handover_stays_at_nine_local_across_the_spring_change() {
    let r = spec().build().expect("rotation");
    // Clocks go forward on Sunday 2026-03-29. The shift from Monday 2026-03-23 09:00 CET (08:00Z)
    // to Monday 2026-03-30 09:00 CEST (07:00Z) lasts 167 hours.
    assert_eq!(who(&r, "2026-03-23T07:59:59Z"), "bob");
    assert_eq!(who(&r, "2026-03-23T08:00:00Z"), "carol");
    let shift = r.on_call(ts("2026-03-23T08:00:00Z"));
    assert_eq!(shift.until, ts("2026-03-30T07:00:00Z"));
    assert_eq!(who(&r, "2026-03-30T06:59:59Z"), "carol");
    assert_eq!(who(&r, "2026-03-30T07:00:00Z"), "alice");
}

#[test]
fn handover_stays_at_nine_local_across_the_autumn_change() {
    let r = spec().build().expect("rotation");
    // Clocks go back on Sunday 2026-10-25: the shift from 07:00Z to 08:00Z lasts 169 hours.
    assert_eq!(who(&r, "2026-10-19T07:00:00Z"), "carol");
    assert_eq!(r.on_call(ts("2026-10-19T07:00:00Z")).until, ts("2026-10-26T08:00:00Z"));
    assert_eq!(
        who(&r, "2026-10-26T07:30:00Z"),
        "carol",
        "08:30 local, still before 09:00"
    );
    assert_eq!(who(&r, "2026-10-26T08:00:00Z"), "alice");
}

#[test]
fn a_handover_in_the_spring_gap_happens_just_after_it() {
    let mut s = spec();
    s.handover = "sun 02:30".into(); // 2026-03-29 02:30 does not exist in Brussels.
    s.start = "2026-03-29".into();
    let r = s.build().expect("rotation");
    assert_eq!(who(&r, "2026-03-29T00:59:59Z"), "carol");
    // 02:30 read after the gap: 03:30 CEST, 01:30Z.
    assert_eq!(who(&r, "2026-03-29T01:29:59Z"), "carol");
    assert_eq!(who(&r, "2026-03-29T01:30:00Z"), "alice");
}

#[test]
fn an_override_wins_for_its_span_only() {
    let r = spec().build().expect("rotation");
    // Week of Monday 2026-12-21 is carol's; dave stands in from 24 Dec 09:00 to 28 Dec 09:00 CET.
    let before = r.on_call(ts("2026-12-23T12:00:00Z"));
    assert_eq!((before.member.as_str(), before.by_override), ("carol", false));
    assert_eq!(
        before.until,
        ts("2026-12-24T08:00:00Z"),
        "the override's start comes first"
    );
    let during = r.on_call(ts("2026-12-24T08:00:00Z"));
    assert_eq!((during.member.as_str(), during.by_override), ("dave", true));
    assert_eq!(during.until, ts("2026-12-28T08:00:00Z"));
    assert_eq!(who(&r, "2026-12-28T07:59:59Z"), "dave", "over the weekly handover too");
    assert_eq!(who(&r, "2026-12-28T08:00:00Z"), "alice", "51 weeks after the start");
}

#[test]
fn the_last_listed_of_overlapping_overrides_wins() {
    let mut s = spec();
    s.overrides.push(OverrideSpec {
        from: "2026-12-25T00:00".into(),
        to: "2026-12-26T00:00".into(),
        member: "erin".into(),
    });
    let r = s.build().expect("rotation");
    assert_eq!(who(&r, "2026-12-24T22:59:59Z"), "dave");
    assert_eq!(who(&r, "2026-12-24T23:00:00Z"), "erin");
    assert_eq!(who(&r, "2026-12-25T23:00:00Z"), "dave");
    let names: Vec<&str> = r.names().collect();
    assert_eq!(names, ["alice", "bob", "carol", "dave", "erin"]);
}

#[test]
fn every_problem_of_a_spec_is_reported_at_once() {
    let bad = RotationSpec {
        zone: "Europe/Atlantis".into(),
        handover: "someday 25:00".into(),
        members: vec![],
        start: "5 January".into(),
        overrides: vec![OverrideSpec {
            from: "2026-12-28T09:00".into(),
            to: "2026-12-24T09:00".into(),
            member: String::new(),
        }],
    };
    let problems = bad.build().expect_err("invalid");
    let all = problems.join("\n");
    for needle in ["unknown time zone", "handover", "start", "members: at least one"] {
        assert!(all.contains(needle), "{needle}: {all}");
    }
    // With a known zone, the override problems are found too.
    let bad = RotationSpec {
        zone: "UTC".into(),
        ..bad
    };
    let all = bad.build().expect_err("invalid").join("\n");
    for needle in [
        "override 1: member cannot be empty",
        "override 1: `to` must come after `from`",
    ] {
        assert!(all.contains(needle), "{needle}: {all}");
    }
}

#[test]
fn handover_accepts_full_and_short_day_names() {
    assert_eq!(
        parse_handover("Friday 17:30"),
        Ok((Weekday::Friday, Time::constant(17, 30, 0, 0)))
    );
    assert_eq!(
        parse_handover("wed 08:00"),
        Ok((Weekday::Wednesday, Time::constant(8, 0, 0, 0)))
    );
    for bad in ["", "monday", "09:00 monday", "monday 9h", "monday 09:00 extra"] {
        assert_eq!(parse_handover(bad), Err(()), "{bad}");
    }
}

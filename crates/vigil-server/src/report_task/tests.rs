//! Scheduled reports on a driven clock: the previous period written once, across a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use vigil_report::{Chart, Row, Section};

use super::*;

fn at(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

#[test]
fn the_previous_period_is_yesterday_last_week_or_last_month_in_utc() {
    let now = at("2026-12-09T10:00:00Z"); // a Wednesday
    assert_eq!(
        Every::Daily.previous_period(now),
        Some((at("2026-12-08T00:00:00Z"), at("2026-12-09T00:00:00Z")))
    );
    assert_eq!(
        Every::Weekly.previous_period(now),
        Some((at("2026-11-30T00:00:00Z"), at("2026-12-07T00:00:00Z")))
    );
    assert_eq!(
        Every::Weekly.previous_period(at("2026-12-07T00:00:00Z")),
        Some((at("2026-11-30T00:00:00Z"), at("2026-12-07T00:00:00Z"))),
        "on the boundary itself"
    );
    assert_eq!(
        Every::Monthly.previous_period(now),
        Some((at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z")))
    );
}

fn canned(from: Timestamp, to: Timestamp) -> Report {
    Report {
        title: "SOC report — default".into(),
        tenant: "default".into(),
        from,
        to,
        previous_from: from,
        generated: to,
        sections: vec![Section::new(
            "summary",
            "Summary",
            "Headline.",
            Chart::None,
            vec![Row::count("", "incidents_created", 3)],
        )],
    }
}

#[tokio::test]
async fn a_monthly_report_is_written_once_across_a_restart() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().join("reports");
    let schedules = vec![ReportSchedule {
        name: "monthly-default".into(),
        every: Every::Monthly,
        formats: vec![Format::Html, Format::Pdf],
        dir: dir.clone(),
        tenant: "default".into(),
        notify: vec!["soc-mail".into()],
    }];
    let builds = Arc::new(AtomicUsize::new(0));
    let build = |_: &ReportSchedule, from, to| {
        let builds = builds.clone();
        async move {
            builds.fetch_add(1, Ordering::SeqCst);
            Ok(canned(from, to))
        }
    };
    let db = data.path().join("state.db");
    let state = State::open(&db).await.expect("state");
    let first = run_due(&state, &schedules, at("2026-12-01T00:00:30Z"), build)
        .await
        .expect("run");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].from, at("2026-11-01T00:00:00Z"));
    assert_eq!(
        first[0].files,
        [
            "vigil-report-default-2026-11-01-2026-12-01.html",
            "vigil-report-default-2026-11-01-2026-12-01.pdf"
        ]
    );
    for f in &first[0].files {
        assert!(dir.join(f).metadata().expect("written").len() > 100, "{f}");
    }
    let again = run_due(&state, &schedules, at("2026-12-01T00:05:00Z"), build)
        .await
        .expect("run");
    assert!(again.is_empty(), "the same boundary twice");
    drop(state);

    // A restart mid-month: nothing is due; the next boundary writes December.
    let state = State::open(&db).await.expect("reopen");
    assert!(
        run_due(&state, &schedules, at("2026-12-15T12:00:00Z"), build)
            .await
            .expect("run")
            .is_empty()
    );
    assert_eq!(builds.load(Ordering::SeqCst), 1);
    let next = run_due(&state, &schedules, at("2027-01-01T00:01:00Z"), build)
        .await
        .expect("run");
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].from, at("2026-12-01T00:00:00Z"));
    assert_eq!(builds.load(Ordering::SeqCst), 2);

    let queued = state
        .due_notifications(at("2027-01-02T00:00:00Z"), 10)
        .await
        .expect("due");
    assert_eq!(queued.len(), 2, "one per report and channel");
    let out: Outgoing = serde_json::from_str(&queued[0].payload).expect("payload");
    assert_eq!(out.notification.kind, "report");
    assert!(
        out.notification.subject.contains("2026-11-01 → 2026-12-01"),
        "{}",
        out.notification.subject
    );
    assert!(
        out.notification
            .text
            .contains("vigil-report-default-2026-11-01-2026-12-01.pdf")
    );
    assert!(out.notification.text.contains("incidents_created: 3"));
    assert!(out.notification.validate().is_ok());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

//! Scheduled report runs: recorded once per (schedule, period) with their notifications in the
//! same transaction — a second server process (a restart) sees the run and queues nothing again.

use crate::{at, temp_state};
use vigil_state::notifications::NewNotification;
use vigil_state::reports::ReportRun;

fn run(schedule: &str, from: i64) -> ReportRun {
    ReportRun {
        schedule: schedule.into(),
        tenant: "default".into(),
        from: at(from),
        to: at(from + 86_400),
        files: vec![
            "vigil-report-default-a.html".into(),
            "vigil-report-default-a.pdf".into(),
        ],
        at: at(from + 86_400 + 60),
    }
}

fn note(id: &str) -> NewNotification {
    NewNotification {
        id: id.into(),
        channel: "soc-mail".into(),
        kind: "report".into(),
        payload: "{}".into(),
    }
}

#[tokio::test]
async fn a_report_run_is_recorded_once_across_processes() {
    let (state, db) = temp_state().await;
    assert!(!state.report_run_done("daily", at(0)).await.expect("read"));
    assert!(
        state
            .record_report_run(&run("daily", 0), &[note("r1.mail")])
            .await
            .expect("record")
    );
    let restarted = db.open().await;
    assert!(restarted.report_run_done("daily", at(0)).await.expect("read"));
    assert!(!restarted.report_run_done("weekly", at(0)).await.expect("read"));
    assert!(
        !restarted
            .record_report_run(&run("daily", 0), &[note("r1.again")])
            .await
            .expect("record")
    );
    assert!(
        restarted
            .record_report_run(&run("daily", 86_400), &[])
            .await
            .expect("record")
    );
    let runs = restarted.report_runs("daily", 10).await.expect("runs");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1], run("daily", 0), "newest period first, read back whole");
    let due = restarted.due_notifications(at(10 * 86_400), 10).await.expect("due");
    let ids: Vec<&str> = due.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["r1.mail"], "the repeat queued nothing");
    assert_eq!(due[0].incident_id, None);
    assert_eq!(due[0].tenant, "default");
}

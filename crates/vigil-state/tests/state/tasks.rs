//! Incident tasks: a runbook's tasks created with the incident, tasks added by hand, changes with
//! who and when, mandatory tasks blocking closure, the cross-incident queue and tenants.

use crate::{at, temp_state};
use vigil_api_types::incidents::{IncidentPatch, NewIncident};
use vigil_api_types::tasks::TaskPatch;
use vigil_respond::{IncidentStatus, Phase, PlannedTask, PriorityMatrix, Severity, TaskStatus};
use vigil_state::tasks::TaskQuery;
use vigil_state::{Actor, AuditOutcome, AuditQuery, NewAuditEntry, State, StateError};

fn by(actor: &str, action: &str, secs: i64) -> Actor {
    Actor {
        id: actor.into(),
        audit: NewAuditEntry::new(actor, action, AuditOutcome::Success),
        at: Some(at(secs)),
    }
}

fn incident(title: &str) -> NewIncident {
    NewIncident {
        title: title.into(),
        severity: Severity::try_from(3).expect("severity"),
        classification: "malicious-code:infected-system".into(),
        alert_ids: Vec::new(),
        description: None,
        impact: None,
        urgency: None,
        tlp: None,
        pap: None,
        owner: None,
        team: None,
        attack: Vec::new(),
    }
}

fn planned(title: &str, mandatory: bool, due_secs: Option<i64>) -> PlannedTask {
    PlannedTask {
        title: title.into(),
        description: String::new(),
        phase: Some(Phase::Containment),
        mandatory,
        assignee: None,
        due: due_secs.map(at),
        template: Some("malware@2".into()),
    }
}

fn patch_status(s: TaskStatus, comment: Option<&str>) -> TaskPatch {
    TaskPatch {
        status: Some(s),
        comment: comment.map(Into::into),
        ..TaskPatch::default()
    }
}

async fn with_runbook(state: &State, tenant: &str) -> String {
    let tasks = [
        planned("Isolate the host", true, Some(3600)),
        planned("Collect memory", false, Some(600)),
        planned("Write the report", true, None),
    ];
    let s = state
        .create_incident_with_tasks(
            tenant,
            &incident("Malware on pc-7"),
            &PriorityMatrix::default(),
            &tasks,
            &by("user:alice", "incident.create", 0),
        )
        .await
        .expect("create");
    assert_eq!(s.incident.tasks.len(), 3);
    s.incident.id
}

#[tokio::test]
async fn a_runbook_comes_with_the_incident_in_order_with_one_timeline_entry() {
    let (state, _db) = temp_state().await;
    let id = with_runbook(&state, "default").await;
    let got = state
        .get_incident("default", &id, true)
        .await
        .unwrap()
        .unwrap()
        .incident;
    let titles: Vec<_> = got.tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["Isolate the host", "Collect memory", "Write the report"]);
    assert!(
        got.tasks
            .iter()
            .all(|t| t.status == TaskStatus::Open && t.template.as_deref() == Some("malware@2"))
    );
    assert_eq!(got.tasks[0].due, Some(at(3600)));
    assert_eq!(got.tasks[0].created_by, "user:alice");
    let entries: Vec<_> = got.timeline.iter().filter(|e| e.kind == "task").collect();
    assert_eq!(entries.len(), 1, "{:#?}", got.timeline);
    assert_eq!(entries[0].text, "runbook malware@2 applied: 3 tasks");
    // An incident without a runbook has no tasks.
    let plain = state
        .create_incident(
            "default",
            &incident("plain"),
            &PriorityMatrix::default(),
            &by("user:a", "x", 1),
        )
        .await
        .unwrap();
    assert!(plain.incident.tasks.is_empty());
    assert_eq!(
        state.incident_tasks("default", &plain.incident.id).await.unwrap(),
        Some(vec![])
    );
}

#[tokio::test]
async fn mandatory_tasks_block_closing_until_done_or_skipped_with_a_reason() {
    let (state, _db) = temp_state().await;
    let id = with_runbook(&state, "default").await;
    let tasks = state.incident_tasks("default", &id).await.unwrap().unwrap();
    let close = IncidentPatch {
        status: Some(IncidentStatus::Closed),
        resolution: Some("reimaged".into()),
        lessons_learned: Some("EDR on all hosts".into()),
        ..IncidentPatch::default()
    };
    let m = PriorityMatrix::default();
    let err = state
        .update_incident("default", &id, &close, &m, &by("user:lead", "incident.update", 10))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StateError::Conflict(m) if m.contains("2 mandatory task(s)") && m.contains("Isolate the host")),
        "{err:?}"
    );
    // Skipping a mandatory task needs a reason.
    let skip = patch_status(TaskStatus::Skipped, None);
    let err = state
        .update_task(
            "default",
            &id,
            &tasks[2].id,
            &skip,
            &by("user:bob", "incident.task", 20),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StateError::InvalidInput(ref m) if m.contains("needs a reason")),
        "{err:?}"
    );
    let skip = patch_status(TaskStatus::Skipped, Some("report written in the parent incident"));
    let t = state
        .update_task(
            "default",
            &id,
            &tasks[2].id,
            &skip,
            &by("user:bob", "incident.task", 20),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (t.status, t.completed, t.completed_by.as_deref()),
        (TaskStatus::Skipped, Some(at(20)), Some("user:bob"))
    );
    let done = patch_status(TaskStatus::Done, None);
    let t = state
        .update_task(
            "default",
            &id,
            &tasks[0].id,
            &done,
            &by("user:bob", "incident.task", 30),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((t.status, t.updated_by.as_str()), (TaskStatus::Done, "user:bob"));
    // Reopening a task clears its completion.
    let reopened = state
        .update_task(
            "default",
            &id,
            &tasks[0].id,
            &patch_status(TaskStatus::Open, None),
            &by("user:bob", "x", 31),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((reopened.completed, reopened.completed_by), (None, None));
    state
        .update_task(
            "default",
            &id,
            &tasks[0].id,
            &done,
            &by("user:bob", "incident.task", 32),
        )
        .await
        .unwrap();
    let closed = state
        .update_incident("default", &id, &close, &m, &by("user:lead", "incident.update", 40))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.incident.status, IncidentStatus::Closed);
    // A closed incident's tasks no longer change.
    let err = state
        .update_task("default", &id, &tasks[1].id, &done, &by("user:bob", "x", 50))
        .await
        .unwrap_err();
    assert!(matches!(err, StateError::Conflict(_)), "{err:?}");
    let texts: Vec<_> = closed
        .incident
        .timeline
        .iter()
        .filter(|e| e.kind == "task")
        .map(|e| e.text.clone())
        .collect();
    assert!(
        texts.contains(&"task Write the report: skipped — report written in the parent incident".to_string()),
        "{texts:#?}"
    );
    let audit = state
        .list_audit(&AuditQuery {
            action: Some("incident.task".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.entries.len(), 3, "skip, done, done again");
}

#[tokio::test]
async fn tasks_added_by_hand_and_the_queue_across_incidents() {
    let (state, _db) = temp_state().await;
    let a = with_runbook(&state, "default").await;
    let b = with_runbook(&state, "default").await;
    let mut mine = planned("Call the ISP", false, Some(100));
    mine.template = None;
    mine.assignee = Some("user:carol".into());
    let added = state
        .add_tasks("default", &b, &[mine], &by("user:carol", "incident.task", 5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((added.len(), added[0].position), (1, 4));
    let got = state.get_incident("default", &b, true).await.unwrap().unwrap().incident;
    assert!(got.timeline.iter().any(|e| e.text == "task added: Call the ISP"));
    // Everything pending, due first, soonest first (all are overdue: due in 1970 + seconds).
    let all = state.list_tasks("default", &TaskQuery::default()).await.unwrap();
    assert_eq!(all.total, 7);
    let dues: Vec<_> = all.tasks.iter().map(|t| t.due).collect();
    assert_eq!(dues[0], Some(at(100)));
    assert!(dues[5].is_none() && dues[6].is_none(), "{dues:?}");
    assert!(all.tasks[0].overdue);
    let carol = TaskQuery {
        assignee: Some("user:carol".into()),
        ..TaskQuery::default()
    };
    let carol = state.list_tasks("default", &carol).await.unwrap();
    assert_eq!((carol.total, carol.tasks[0].title.as_str()), (1, "Call the ISP"));
    let mandatory = TaskQuery {
        mandatory: true,
        limit: Some(2),
        ..TaskQuery::default()
    };
    let mandatory = state.list_tasks("default", &mandatory).await.unwrap();
    assert_eq!((mandatory.total, mandatory.tasks.len()), (4, 2));
    let done = TaskQuery {
        status: vec![TaskStatus::Done],
        ..TaskQuery::default()
    };
    assert_eq!(state.list_tasks("default", &done).await.unwrap().total, 0);
    let _ = a;
}

#[tokio::test]
async fn another_tenant_sees_no_task_and_changes_none() {
    let (state, _db) = temp_state().await;
    let id = with_runbook(&state, "default").await;
    let tasks = state.incident_tasks("default", &id).await.unwrap().unwrap();
    assert_eq!(state.incident_tasks("acme", &id).await.unwrap(), None);
    let done = patch_status(TaskStatus::Done, None);
    let r = state
        .update_task("acme", &id, &tasks[0].id, &done, &by("user:x", "x", 1))
        .await
        .unwrap();
    assert_eq!(r, None);
    let r = state
        .add_tasks("acme", &id, &[planned("x", false, None)], &by("user:x", "x", 1))
        .await
        .unwrap();
    assert_eq!(r, None);
    assert_eq!(state.list_tasks("acme", &TaskQuery::default()).await.unwrap().total, 0);
    // A task id of another incident is not found through this one.
    let other = with_runbook(&state, "default").await;
    let r = state
        .update_task("default", &other, &tasks[0].id, &done, &by("user:x", "x", 1))
        .await
        .unwrap();
    assert_eq!(r, None);
}

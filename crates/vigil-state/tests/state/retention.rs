use std::time::Duration;

use crate::{alert, at, temp_state};
use vigil_state::{AlertQuery, DeadLetterQuery, NewDeadLetter, Retention};

fn letter(secs: i64) -> NewDeadLetter {
    NewDeadLetter {
        tenant: "default".into(),
        input: "syslog".into(),
        received: at(secs),
        peer: None,
        code: "parse_error".into(),
        message: format!("bad at {secs}"),
        data: b"<x>".to_vec(),
    }
}

fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86_400)
}

#[tokio::test]
async fn alerts_go_by_age_then_by_count_oldest_first() {
    let (state, _dir) = temp_state().await;
    // One alert per day over 10 days.
    let alerts: Vec<_> = (0..10)
        .map(|d| alert(&format!("a{d}"), "r1", "high", at(d * 86_400)))
        .collect();
    assert_eq!(state.insert_alerts(&alerts).await.unwrap(), 10);

    // Nothing to do: keep-all, and an age longer than the history.
    assert_eq!(
        state.prune_alerts(Retention::KEEP_ALL, at(10 * 86_400)).await.unwrap(),
        0
    );
    let long = Retention {
        max_age: Some(days(30)),
        max_rows: None,
        max_bytes: None,
    };
    assert_eq!(state.prune_alerts(long, at(10 * 86_400)).await.unwrap(), 0);

    // At day 10 with 7 days kept, days 0, 1 and 2 are older than the cutoff (day 3 is exactly on it and stays).
    let week = Retention {
        max_age: Some(days(7)),
        max_rows: None,
        max_bytes: None,
    };
    assert_eq!(state.prune_alerts(week, at(10 * 86_400)).await.unwrap(), 3);
    let left = state.list_alerts("default", &AlertQuery::default()).await.unwrap();
    assert_eq!(left.total, 7);
    assert_eq!(left.alerts.last().unwrap().id, "a3");
    // Running it again at the same time deletes nothing more.
    assert_eq!(state.prune_alerts(week, at(10 * 86_400)).await.unwrap(), 0);

    // A count limit keeps the newest.
    let five = Retention {
        max_age: None,
        max_rows: Some(5),
        max_bytes: None,
    };
    assert_eq!(state.prune_alerts(five, at(10 * 86_400)).await.unwrap(), 2);
    let ids: Vec<_> = state
        .list_alerts("default", &AlertQuery::default())
        .await
        .unwrap()
        .alerts
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, ["a9", "a8", "a7", "a6", "a5"]);
    // Zero rows kept empties the table.
    let none = Retention {
        max_age: None,
        max_rows: Some(0),
        max_bytes: None,
    };
    assert_eq!(state.prune_alerts(none, at(0)).await.unwrap(), 5);
    assert_eq!(state.count_alerts().await.unwrap(), 0);
}

#[tokio::test]
async fn dead_letters_prune_in_chunks_and_cursors_stay_valid() {
    let (state, _dir) = temp_state().await;
    // More rows than one delete chunk (5,000), one per second.
    let letters: Vec<_> = (0..12_000).map(letter).collect();
    state.insert_dead_letters(&letters).await.unwrap();

    // A client is paging from the newest.
    let first = state
        .list_dead_letters(
            "default",
            &DeadLetterQuery {
                limit: Some(100),
                ..DeadLetterQuery::default()
            },
        )
        .await
        .unwrap();
    let cursor = first.next_cursor.clone().expect("more pages");

    // Keep the last hour (3,600 s) at t = 12,000 s: 8,400 rows go, over two chunks.
    let hour = Retention {
        max_age: Some(Duration::from_secs(3_600)),
        max_rows: None,
        max_bytes: None,
    };
    assert_eq!(state.prune_dead_letters(hour, at(12_000)).await.unwrap(), 8_400);
    assert_eq!(state.count_dead_letters().await.unwrap(), 3_600);
    // The old cursor still works and continues below the first page.
    let next = state
        .list_dead_letters(
            "default",
            &DeadLetterQuery {
                limit: Some(100),
                cursor: Some(cursor),
                ..DeadLetterQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(next.dead_letters[0].message, "bad at 11899");

    // Both limits at once: age first, then count.
    let both = Retention {
        max_age: Some(Duration::from_secs(3_000)),
        max_rows: Some(1_000),
        max_bytes: None,
    };
    assert_eq!(state.prune_dead_letters(both, at(12_000)).await.unwrap(), 2_600);
    let page = state
        .list_dead_letters("default", &DeadLetterQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1_000);
    assert_eq!(page.dead_letters[0].message, "bad at 11999");

    // An age too large for the clock deletes nothing rather than failing.
    let huge = Retention {
        max_age: Some(Duration::from_secs(u64::MAX)),
        max_rows: None,
        max_bytes: None,
    };
    assert_eq!(state.prune_dead_letters(huge, at(12_000)).await.unwrap(), 0);
}

#[tokio::test]
async fn dead_letters_go_oldest_first_past_a_byte_budget_and_alerts_ignore_it() {
    let (state, _dir) = temp_state().await;
    // Ten dead letters of 1,000 data bytes and a 9-byte message each: 1,009 bytes apiece.
    let letters: Vec<_> = (0..10)
        .map(|i| NewDeadLetter {
            tenant: "default".into(),
            data: vec![b'x'; 1000],
            message: format!("message {i}"),
            ..letter(i)
        })
        .collect();
    state.insert_dead_letters(&letters).await.unwrap();
    let budget = |bytes| Retention {
        max_age: None,
        max_rows: None,
        max_bytes: Some(bytes),
    };
    // 10,090 bytes fit in 10,090: nothing goes; in 5,000 the newest four (4,036 bytes) stay.
    assert_eq!(state.prune_dead_letters(budget(10_090), at(100)).await.unwrap(), 0);
    assert_eq!(state.prune_dead_letters(budget(5_000), at(100)).await.unwrap(), 6);
    let left = state
        .list_dead_letters("default", &DeadLetterQuery::default())
        .await
        .unwrap();
    let messages: Vec<_> = left.dead_letters.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["message 9", "message 8", "message 7", "message 6"]);
    // A budget smaller than the newest row deletes every row.
    assert_eq!(state.prune_dead_letters(budget(10), at(100)).await.unwrap(), 4);
    // Alerts are kept by age and count only.
    let alerts: Vec<_> = (0..3).map(|d| alert(&format!("a{d}"), "r1", "high", at(d))).collect();
    state.insert_alerts(&alerts).await.unwrap();
    assert_eq!(state.prune_alerts(budget(1), at(100)).await.unwrap(), 0);
}

/// Regression: retention deleted the alerts an open incident was made from, leaving it without
/// its evidence while it was worked.
#[tokio::test]
async fn alerts_of_an_open_incident_stay_until_it_closes() {
    use vigil_api_types::incidents::{IncidentPatch, NewIncident};
    use vigil_respond::{IncidentStatus, PriorityMatrix, Severity};
    use vigil_state::{Actor, AuditOutcome, NewAuditEntry};

    let (state, _dir) = temp_state().await;
    let alerts: Vec<_> = (0..4)
        .map(|d| alert(&format!("a{d}"), "r1", "high", at(d * 86_400)))
        .collect();
    state.insert_alerts(&alerts).await.unwrap();
    let who = |action: &str| Actor {
        id: "user:ann".into(),
        audit: NewAuditEntry::new("user:ann", action, AuditOutcome::Success),
        at: Some(at(4 * 86_400)),
    };
    let new = NewIncident {
        title: "old evidence".into(),
        severity: Severity::try_from(3).unwrap(),
        classification: "test:test".into(),
        alert_ids: vec!["a0".into()],
        description: None,
        impact: None,
        urgency: None,
        tlp: None,
        pap: None,
        owner: None,
        team: None,
        attack: vec![],
    };
    let matrix = PriorityMatrix::default();
    let id = state
        .create_incident("default", &new, &matrix, &who("incident.create"))
        .await
        .unwrap()
        .incident
        .id;
    let day = Retention {
        max_age: Some(days(1)),
        max_rows: None,
        max_bytes: None,
    };
    assert_eq!(state.prune_alerts(day, at(4 * 86_400)).await.unwrap(), 2, "a1 and a2");
    let none = Retention {
        max_age: None,
        max_rows: Some(0),
        max_bytes: None,
    };
    assert_eq!(state.prune_alerts(none, at(4 * 86_400)).await.unwrap(), 1, "a3");
    assert!(
        state.get_alert("default", "a0").await.unwrap().is_some(),
        "the incident's alert stays"
    );
    let close = IncidentPatch {
        status: Some(IncidentStatus::Closed),
        resolution: Some("done".into()),
        lessons_learned: Some("none".into()),
        ..IncidentPatch::default()
    };
    state
        .update_incident("default", &id, &close, &matrix, &who("incident.update"))
        .await
        .unwrap();
    assert_eq!(
        state.prune_alerts(day, at(4 * 86_400)).await.unwrap(),
        1,
        "closed: it goes"
    );
}

use crate::{alert, at, temp_state};
use std::collections::HashSet;
use vigil_state::{AlertKind, AlertQuery, State, StateError};

#[tokio::test]
async fn same_id_twice_is_one_row() {
    let (state, _dir) = temp_state().await;
    let a = alert("dup", "r1", "high", at(0));
    assert_eq!(state.insert_alerts(&[a.clone(), a.clone()]).await.unwrap(), 1);
    assert_eq!(state.insert_alerts(&[a]).await.unwrap(), 0);
    assert_eq!(state.insert_alerts(&[]).await.unwrap(), 0);
    assert_eq!(state.count_alerts().await.unwrap(), 1);
}

#[tokio::test]
async fn stored_alert_round_trips_and_serializes() {
    let (state, _dir) = temp_state().await;
    let mut a = alert("c1", "corr-rule", "critical", at(5));
    a.kind = AlertKind::Correlation;
    a.group_key = Some("user=bob".into());
    a.event_time = None;
    a.host = None;
    state.insert_alerts(&[a.clone()]).await.unwrap();
    let page = state.list_alerts("default", &AlertQuery::default()).await.unwrap();
    let got = &page.alerts[0];
    assert_eq!(got.status, vigil_respond::AlertStatus::New);
    assert_eq!(
        (got.kind, got.group_key.as_deref(), got.event_time, got.host.as_deref()),
        (a.kind, Some("user=bob"), None, None)
    );
    assert_eq!(
        (&got.attack, &got.tags, &got.event_ids, &got.matched),
        (&a.attack, &a.tags, &a.event_ids, &a.matched)
    );
    let json = serde_json::to_value(&page).unwrap();
    assert_eq!(json["total"], 1);
    assert_eq!(json["next_cursor"], serde_json::Value::Null);
    assert_eq!(json["alerts"][0]["kind"], "correlation");
    assert_eq!(json["alerts"][0]["detected"], "2026-05-01T12:00:05Z");
    assert_eq!(json["alerts"][0]["attack"][0], "T1059.001");
}

#[tokio::test]
async fn cursor_pagination_returns_each_alert_once_newest_first() {
    let (state, _dir) = temp_state().await;
    let batch: Vec<_> = (0..57)
        .map(|i| alert(&format!("a{i:03}"), "r", "medium", at(i)))
        .collect();
    state.insert_alerts(&batch).await.unwrap();

    let mut q = AlertQuery {
        limit: Some(10),
        ..AlertQuery::default()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = state.list_alerts("default", &q).await.unwrap();
        pages += 1;
        // `total` is counted per request, so it includes the late insert from page 3 on.
        assert_eq!(page.total, if pages <= 2 { 57 } else { 58 });
        // Concurrent inserts between pages must not shift or repeat older rows.
        if pages == 2 {
            state
                .insert_alerts(&[alert("late", "r", "medium", at(1000))])
                .await
                .unwrap();
        }
        seen.extend(page.alerts.iter().map(|a| (a.seq, a.id.clone())));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
        assert!(pages < 20, "pagination does not terminate");
    }
    assert_eq!(pages, 6);
    let ids: Vec<_> = seen.iter().map(|(_, id)| id.clone()).collect();
    let expected: Vec<_> = (0..57).rev().map(|i| format!("a{i:03}")).collect();
    assert_eq!(ids, expected);
    assert!(seen.windows(2).all(|w| w[0].0 > w[1].0), "strictly newest first by seq");
}

#[tokio::test]
async fn exact_multiple_of_limit_has_no_empty_trailing_page() {
    let (state, _dir) = temp_state().await;
    let batch: Vec<_> = (0..4).map(|i| alert(&format!("x{i}"), "r", "low", at(i))).collect();
    state.insert_alerts(&batch).await.unwrap();
    let first = state
        .list_alerts(
            "default",
            &AlertQuery {
                limit: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let second = state
        .list_alerts(
            "default",
            &AlertQuery {
                limit: Some(2),
                cursor: first.next_cursor.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(second.alerts.len(), 2);
    assert_eq!(second.next_cursor, None);
}

#[tokio::test]
async fn filters_by_time_rule_and_level() {
    let (state, _dir) = temp_state().await;
    let levels = ["informational", "low", "medium", "high", "critical", "High", "weird"];
    let batch: Vec<_> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            alert(
                &format!("l{i}"),
                if i % 2 == 0 { "even" } else { "odd" },
                l,
                at(i as i64 * 10),
            )
        })
        .collect();
    state.insert_alerts(&batch).await.unwrap();

    let ids = |page: vigil_state::AlertPage| page.alerts.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let q = |f: fn(&mut AlertQuery)| {
        let mut q = AlertQuery::default();
        f(&mut q);
        q
    };

    let high = state
        .list_alerts("default", &q(|q| q.min_level = Some(vigil_state::Level::High)))
        .await
        .unwrap();
    assert_eq!(high.total, 3);
    assert_eq!(ids(high), ["l5", "l4", "l3"]);
    let all = state
        .list_alerts("default", &q(|q| q.min_level = Some(vigil_state::Level::Informational)))
        .await
        .unwrap();
    assert_eq!(all.total, 7, "unknown levels rank as informational");

    let window = state
        .list_alerts("default", &q(|q| (q.since, q.until) = (Some(at(20)), Some(at(50)))))
        .await
        .unwrap();
    assert_eq!(ids(window), ["l4", "l3", "l2"], "since inclusive, until exclusive");

    let odd = state
        .list_alerts("default", &q(|q| q.rule_id = Some("odd".into())))
        .await
        .unwrap();
    assert_eq!(ids(odd), ["l5", "l3", "l1"]);

    let combined = state
        .list_alerts(
            "default",
            &q(|q| {
                q.rule_id = Some("even".into());
                q.min_level = Some(vigil_state::Level::Medium);
                q.since = Some(at(30));
            }),
        )
        .await
        .unwrap();
    assert_eq!(combined.total, 1);
    assert_eq!(ids(combined), ["l4"]);
}

#[tokio::test]
async fn filtered_pagination_with_cursor() {
    let (state, _dir) = temp_state().await;
    let batch: Vec<_> = (0..30)
        .map(|i| {
            alert(
                &format!("f{i:02}"),
                if i % 3 == 0 { "hit" } else { "miss" },
                "low",
                at(i),
            )
        })
        .collect();
    state.insert_alerts(&batch).await.unwrap();
    let mut q = AlertQuery {
        rule_id: Some("hit".into()),
        limit: Some(4),
        ..Default::default()
    };
    let mut got = Vec::new();
    loop {
        let page = state.list_alerts("default", &q).await.unwrap();
        assert_eq!(page.total, 10);
        got.extend(page.alerts.into_iter().map(|a| a.id));
        let Some(c) = page.next_cursor else { break };
        q.cursor = Some(c);
    }
    let expected: Vec<_> = (0..30)
        .rev()
        .filter(|i| i % 3 == 0)
        .map(|i| format!("f{i:02}"))
        .collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn bad_cursors_are_client_errors() {
    let (state, _dir) = temp_state().await;
    for c in ["nonsense", "", "ZDox"] {
        // "ZDox" is a dead-letter cursor ("d:1").
        let err = state
            .list_alerts(
                "default",
                &AlertQuery {
                    cursor: Some(c.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StateError::InvalidCursor), "{c}: {err}");
        assert!(err.is_client_error());
    }
}

#[tokio::test]
async fn limit_is_clamped_to_max() {
    let state = State::open_in_memory().await.unwrap();
    let batch: Vec<_> = (0..1005).map(|i| alert(&format!("m{i}"), "r", "low", at(i))).collect();
    assert_eq!(state.insert_alerts(&batch).await.unwrap(), 1005);
    let page = state
        .list_alerts(
            "default",
            &AlertQuery {
                limit: Some(5000),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.alerts.len(), 1000);
    assert!(page.next_cursor.is_some());
    let default = state.list_alerts("default", &AlertQuery::default()).await.unwrap();
    assert_eq!(default.alerts.len(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_inserts_and_reads_do_not_fail() {
    let (state, _dir) = temp_state().await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..25 {
                let batch: Vec<_> = (0..4)
                    .map(|i| alert(&format!("t{t}-b{b}-{i}"), "r", "high", at(b)))
                    .collect();
                assert_eq!(state.insert_alerts(&batch).await.unwrap(), 4);
                // Overlapping re-delivery from another "task" is still idempotent.
                assert_eq!(state.insert_alerts(&batch[..1]).await.unwrap(), 0);
            }
        }));
    }
    for _ in 0..4 {
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                let page = state
                    .list_alerts(
                        "default",
                        &AlertQuery {
                            limit: Some(50),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                assert!(page.alerts.windows(2).all(|w| w[0].seq > w[1].seq));
                state.count_alerts().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(state.count_alerts().await.unwrap(), 8 * 25 * 4);
    let mut ids = HashSet::new();
    let mut q = AlertQuery {
        limit: Some(1000),
        ..Default::default()
    };
    loop {
        let page = state.list_alerts("default", &q).await.unwrap();
        for a in page.alerts {
            assert!(ids.insert(a.id));
        }
        let Some(c) = page.next_cursor else { break };
        q.cursor = Some(c);
    }
    assert_eq!(ids.len(), 800);
}

#[tokio::test]
async fn an_alert_is_fetched_by_its_id() {
    let (state, _dir) = temp_state().await;
    let a = alert("one", "r1", "high", at(0));
    state
        .insert_alerts(&[a.clone(), alert("two", "r2", "low", at(1))])
        .await
        .unwrap();
    let got = state.get_alert("default", "one").await.unwrap().expect("stored");
    assert_eq!((got.id.as_str(), got.rule_id.as_str()), ("one", "r1"));
    assert_eq!(got.event_ids, a.event_ids);
    assert!(state.get_alert("default", "three").await.unwrap().is_none());
    assert!(state.get_alert("default", "' OR 1=1 --").await.unwrap().is_none());
}

#[tokio::test]
async fn the_event_id_filter_finds_the_alerts_an_event_raised_in_the_tenant_only() {
    let (state, _dir) = temp_state().await;
    let ev = |n: u8| format!("{n:02x}").repeat(16);
    let with = |id: &str, events: &[String], tenant: &str, t: i64| {
        let mut a = alert(id, "r", "high", at(t));
        a.event_ids = events.to_vec();
        a.tenant = tenant.into();
        a
    };
    state
        .insert_alerts(&[
            with("a1", &[ev(1), ev(2)], "default", 1),
            with("a2", &[ev(2)], "default", 2),
            with("a3", &[ev(3)], "default", 3),
            with("other", &[ev(2)], "acme", 4),
        ])
        .await
        .unwrap();
    let ids = |page: vigil_state::AlertPage| page.alerts.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let q = |id: String| AlertQuery {
        event_id: Some(id),
        ..AlertQuery::default()
    };
    assert_eq!(
        ids(state.list_alerts("default", &q(ev(2))).await.unwrap()),
        ["a2", "a1"]
    );
    assert_eq!(
        ids(state.list_alerts("default", &q(ev(2).to_uppercase())).await.unwrap()),
        ["a2", "a1"],
        "hex in either case"
    );
    assert_eq!(
        ids(state.list_alerts("default", &q(ev(4))).await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(ids(state.list_alerts("acme", &q(ev(2))).await.unwrap()), ["other"]);
    // Not an event id: refused, never a LIKE pattern (`%`, `_`) or a part of one.
    for bad in [
        format!("{}%", &ev(2)[..31]),
        "_".repeat(32),
        ev(2)[..31].to_owned(),
        String::new(),
    ] {
        let refused = state.list_alerts("default", &q(bad.clone())).await;
        assert!(
            matches!(refused, Err(StateError::InvalidInput(_))),
            "{bad:?}: {refused:?}"
        );
    }
}

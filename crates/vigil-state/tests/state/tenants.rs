//! Alerts and dead letters belong to a tenant: listings and lookups answer one tenant's rows
//! only, and rows stored before tenants existed become the default tenant's.

use sqlx::Connection as _;
use vigil_state::{AlertQuery, DeadLetterQuery, NewDeadLetter, State};

use crate::{alert, at, temp_state};

fn letter(tenant: &str, secs: i64) -> NewDeadLetter {
    NewDeadLetter {
        tenant: tenant.into(),
        input: "api".into(),
        received: at(secs),
        peer: None,
        code: "invalid_json".into(),
        message: format!("bad line of {tenant}"),
        data: b"{oops".to_vec(),
    }
}

#[tokio::test]
async fn listings_and_lookups_answer_one_tenants_rows() {
    let (state, _dir) = temp_state().await;
    let mut alerts = Vec::new();
    for (i, tenant) in ["acme", "acme", "globex", "default"].into_iter().enumerate() {
        let mut a = alert(&format!("a{i}"), "r1", "high", at(i as i64));
        a.tenant = tenant.into();
        alerts.push(a);
    }
    assert_eq!(state.insert_alerts(&alerts).await.unwrap(), 4);
    let ids = |page: vigil_state::AlertPage| -> (u64, Vec<String>) {
        (page.total, page.alerts.into_iter().map(|a| a.id).collect())
    };
    let q = AlertQuery::default();
    assert_eq!(
        ids(state.list_alerts("acme", &q).await.unwrap()),
        (2, vec!["a1".into(), "a0".into()])
    );
    assert_eq!(
        ids(state.list_alerts("globex", &q).await.unwrap()),
        (1, vec!["a2".into()])
    );
    assert_eq!(ids(state.list_alerts("nobody", &q).await.unwrap()), (0, vec![]));
    // Paging within a tenant never reaches another tenant's rows.
    let first = state
        .list_alerts(
            "acme",
            &AlertQuery {
                limit: Some(1),
                ..AlertQuery::default()
            },
        )
        .await
        .unwrap();
    let next = AlertQuery {
        limit: Some(10),
        cursor: first.next_cursor.clone(),
        ..AlertQuery::default()
    };
    assert_eq!(
        ids(state.list_alerts("acme", &next).await.unwrap()).1,
        vec!["a0".to_owned()]
    );
    // Another tenant's alert is absent, not forbidden.
    assert!(state.get_alert("acme", "a0").await.unwrap().is_some());
    assert!(state.get_alert("globex", "a0").await.unwrap().is_none());
    assert_eq!(
        state.get_alert("globex", "a2").await.unwrap().map(|a| a.tenant),
        Some("globex".into())
    );

    state
        .insert_dead_letters(&[letter("acme", 1), letter("globex", 2), letter("acme", 3)])
        .await
        .unwrap();
    let dq = DeadLetterQuery::default();
    let acme = state.list_dead_letters("acme", &dq).await.unwrap();
    assert_eq!(acme.total, 2);
    assert!(
        acme.dead_letters
            .iter()
            .all(|l| l.tenant == "acme" && l.message.ends_with("acme"))
    );
    assert_eq!(state.list_dead_letters("globex", &dq).await.unwrap().total, 1);
    assert_eq!(state.list_dead_letters("default", &dq).await.unwrap().total, 0);
}

#[tokio::test]
async fn rows_from_before_tenants_are_the_default_tenants() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    // The schema of the release before tenants (migrations 1 to 4), with rows as it wrote them.
    vigil_state::migrator_up_to(4).run(&mut conn).await.unwrap();
    sqlx::query(
        "INSERT INTO alerts (id, status, rule_id, rule_title, level, level_rank, kind, attack, tags, event_ids, \
         detected, matched) VALUES ('old', 'new', 'r', 'R', 'high', 3, 'detection', '[]', '[]', '[]', 1, 'null')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO dead_letters (input, received, peer, code, message, data) VALUES ('api', 1, NULL, 'invalid_json', 'm', x'00')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let state = State::open(&path).await.expect("the old store opens and migrates");
    let old = state
        .get_alert("default", "old")
        .await
        .unwrap()
        .expect("the old alert is the default tenant's");
    assert_eq!(old.tenant, "default");
    assert!(state.get_alert("acme", "old").await.unwrap().is_none());
    let letters = state
        .list_dead_letters("default", &DeadLetterQuery::default())
        .await
        .unwrap();
    assert_eq!((letters.total, letters.dead_letters[0].tenant.as_str()), (1, "default"));
}

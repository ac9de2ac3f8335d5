//! Alerts and dead letters belong to a tenant: listings and lookups answer one tenant's rows
//! only, and rows stored before tenants existed become the default tenant's.

use vigil_state::{AlertQuery, DeadLetterQuery, NewDeadLetter};

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

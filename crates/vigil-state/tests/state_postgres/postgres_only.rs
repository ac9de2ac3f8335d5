//! What only the PostgreSQL backend has: processes migrating one database at once, and how it
//! fails when the server is not there.

use crate::{new_postgres_database, postgres_server_url};
use vigil_state::{BackendKind, NewAuditEntry, State};

#[tokio::test]
async fn processes_starting_together_migrate_a_fresh_database_once() {
    let url = new_postgres_database().await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = url.clone();
        set.spawn(async move { State::connect_postgres(&url, 2).await.expect("connect and migrate") });
    }
    let states = set.join_all().await;
    for s in &states {
        assert_eq!(s.backend_kind(), BackendKind::Postgres);
    }
    let entry = NewAuditEntry::new("system", "rules.reload", vigil_state::AuditOutcome::Success);
    states[0].append_audit(entry).await.unwrap();
    let v = states[3].verify_audit(&[], None).await.unwrap();
    assert!(v.intact && v.entries == 1, "{v:?}");
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(versions, (1..=9).collect::<Vec<i64>>(), "each migration applied once");
}

#[tokio::test]
async fn an_unreachable_server_is_an_error_not_a_hang() {
    // The test server's host with a port nothing listens on.
    let server = postgres_server_url();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    assert!(server.starts_with("postgres"), "{server}");
    let started = std::time::Instant::now();
    let err = State::connect_postgres(&url, 1).await.expect_err("nothing listens");
    assert!(!err.is_client_error(), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// The grants docs/state.md gives the application role, for role `role`.
fn documented_grants(role: &str) -> Vec<String> {
    let doc = include_str!("../../../../docs/state.md");
    let start = doc.find("```sql").expect("a sql block in docs/state.md") + "```sql".len();
    let block = &doc[start..start + doc[start..].find("```").expect("block end")];
    let sql: String = block
        .lines()
        .map(|l| l.split("--").next().unwrap_or("").trim())
        .filter(|l| !l.starts_with("CREATE ROLE"))
        .collect::<Vec<_>>()
        .join(" ");
    sql.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.replace(" TO vigil", &format!(" TO {role}")))
        .collect()
}

#[tokio::test]
async fn an_application_role_with_the_documented_grants_works_but_cannot_touch_the_audit_trail() {
    use sqlx::Connection as _;
    let url = new_postgres_database().await;
    // The owner (the test server's superuser here) creates the schema.
    State::connect_postgres(&url, 1)
        .await
        .expect("migrate as the owner")
        .close()
        .await;
    let role = format!("vigil_app_{}", &url[url.rfind('_').expect("name") + 1..]);
    let mut owner = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE ROLE {role} LOGIN")))
        .execute(&mut owner)
        .await
        .unwrap();
    let grants = documented_grants(&role);
    assert!(grants.len() >= 4, "{grants:?}");
    for grant in grants {
        sqlx::raw_sql(sqlx::AssertSqlSafe(grant.clone()))
            .execute(&mut owner)
            .await
            .unwrap_or_else(|e| panic!("{grant}: {e}"));
    }

    let app_url = url.replacen("postgres@", &format!("{role}@"), 1);
    assert_ne!(app_url, url, "the test URL names the postgres user");
    let state = State::connect_postgres(&app_url, 2)
        .await
        .expect("the app role needs no migration rights");
    for _ in 0..2 {
        let entry = NewAuditEntry::new("system", "rules.reload", vigil_state::AuditOutcome::Success);
        state.append_audit(entry).await.unwrap();
    }
    state
        .checkpoint_audit(&vigil_state::SigningKey::from_bytes(&[2; 32]))
        .await
        .unwrap()
        .expect("checkpoint");
    let (_, secret) = state
        .create_api_key(&vigil_state::NewApiKey::new(vigil_state::Role::Ingest, "k"))
        .await
        .unwrap();
    assert!(state.verify_token(&secret).await.unwrap().is_some());
    state
        .insert_alerts(&[crate::alert("a", "r", "low", crate::at(0))])
        .await
        .unwrap();
    let keep_none = vigil_state::Retention {
        max_rows: Some(0),
        ..vigil_state::Retention::KEEP_ALL
    };
    assert_eq!(state.prune_alerts(keep_none, crate::at(10)).await.unwrap(), 1);

    let mut app = sqlx::PgConnection::connect(&app_url).await.unwrap();
    for sql in [
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "DROP TRIGGER audit_log_no_change ON audit_log",
    ] {
        let err = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut app)
            .await
            .expect_err(sql);
        let text = err.to_string();
        assert!(
            text.contains("permission denied") || text.contains("must be owner"),
            "{sql}: {text}"
        );
    }
    assert!(state.verify_audit(&[], None).await.unwrap().intact);
}

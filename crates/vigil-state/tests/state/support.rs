//! What every state test shares: a fresh database on the backend of the test binary
//! ([`crate::BACKEND`]: `state` runs the suite on SQLite files, `state_postgres` on PostgreSQL),
//! raw SQL beside the running `State`, and fixtures.

use jiff::{SignedDuration, Timestamp};
use sqlx::Connection as _;
use vigil_state::{AlertKind, NewAlert, State};

/// The engine a test binary runs the suite on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The environment variable naming a PostgreSQL server the tests may create databases on
/// (`postgres://postgres@127.0.0.1:PORT/postgres`); `scripts/test` starts one and sets it.
pub const POSTGRES_URL_VAR: &str = "VIGIL_TEST_POSTGRES_URL";

#[derive(Debug)]
/// One test's database: a SQLite file in a temporary directory, or a PostgreSQL database of its own.
pub struct TestDb {
    dir: tempfile::TempDir,
    postgres_url: Option<String>,
}

/// A fresh database on this binary's backend, opened.
pub async fn temp_state() -> (State, TestDb) {
    let db = TestDb::new(crate::BACKEND).await;
    (db.open().await, db)
}

/// The server URL from [`POSTGRES_URL_VAR`]; fails the test with how to get one when it is unset.
pub fn postgres_server_url() -> String {
    std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_URL_VAR} is not set: the state suite runs on PostgreSQL too. scripts/test starts \
             PostgreSQL 15 on loopback and sets it; by hand: {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:PORT/postgres"
        )
    })
}

/// Creates an empty database on the PostgreSQL server and returns its URL.
pub async fn new_postgres_database() -> String {
    let server = postgres_server_url();
    let name = format!("vigil_test_{}", hex::encode(rand_bytes()));
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create the test database");
    admin.close().await.ok();
    let (base, _) = server.rsplit_once('/').expect("a URL with a database path");
    format!("{base}/{name}")
}

fn rand_bytes() -> [u8; 8] {
    use std::hash::{BuildHasher as _, RandomState};
    let n = RandomState::new().hash_one(std::time::SystemTime::now());
    n.to_le_bytes()
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let postgres_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(new_postgres_database().await),
        };
        TestDb { dir, postgres_url }
    }

    /// The SQLite file (on SQLite).
    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("state.db")
    }

    /// Another `State` on the same database (another process, as far as the database can tell).
    pub async fn open(&self) -> State {
        match &self.postgres_url {
            None => State::open(&self.path()).await.expect("open"),
            Some(url) => State::connect_postgres(url, 4).await.expect("connect"),
        }
    }

    /// Runs `sql` (one or more statements) on a separate connection, as someone with the database
    /// would; the error text when it fails.
    pub async fn exec(&self, sql: &str) -> Result<u64, String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let done = match &self.postgres_url {
            None => {
                let url = format!("sqlite://{}", self.path().display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&mut conn).await.map(|r| r.rows_affected())
            }
            Some(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&mut conn).await.map(|r| r.rows_affected())
            }
        };
        done.map_err(|e| e.to_string())
    }

    /// Runs `sql` with the audit trail's append-only triggers out of the way, as someone who owns
    /// the database could.
    pub async fn tamper(&self, sql: &str) {
        let sql = match self.postgres_url {
            None => format!(
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; \
                 DROP TRIGGER audit_log_append_next; {sql}"
            ),
            Some(_) => {
                format!("ALTER TABLE audit_log DISABLE TRIGGER USER; {sql}; ALTER TABLE audit_log ENABLE TRIGGER USER;")
            }
        };
        self.exec(&sql).await.expect("tamper");
    }

    /// Everything the database holds at rest, as (name, bytes) pairs: the SQLite files (database,
    /// WAL, shared memory), or every PostgreSQL table as text.
    pub async fn at_rest(&self) -> Vec<(String, Vec<u8>)> {
        let Some(url) = &self.postgres_url else {
            let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
                .expect("state dir")
                .map(|entry| {
                    let path = entry.expect("entry").path();
                    let name = path.file_name().expect("name").to_string_lossy().into_owned();
                    (name, std::fs::read(&path).expect("readable"))
                })
                .collect();
            files.sort();
            return files;
        };
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
                .fetch_all(&mut conn)
                .await
                .expect("tables");
        let mut out = Vec::new();
        for table in tables {
            let sql = format!("SELECT COALESCE(string_agg(t::text, E'\\n'), '') FROM \"{table}\" t");
            let text: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut conn)
                .await
                .expect("dump");
            out.push((table, text.into_bytes()));
        }
        out
    }
}

/// A fixed base instant, so tests do not depend on the clock.
pub fn t0() -> Timestamp {
    "2026-05-01T12:00:00Z".parse().expect("timestamp")
}

/// `t0` plus `secs` seconds.
pub fn at(secs: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(secs)
}

/// An alert with the given id, rule, level and detection time.
pub fn alert(id: &str, rule: &str, level: &str, detected: Timestamp) -> NewAlert {
    NewAlert {
        tenant: "default".into(),
        id: id.to_owned(),
        rule_id: rule.to_owned(),
        rule_title: format!("Rule {rule}"),
        level: level.to_owned(),
        kind: AlertKind::Detection,
        attack: vec!["T1059.001".into(), "TA0002".into()],
        tags: vec!["attack.execution".into()],
        event_ids: vec![format!("ev-{id}")],
        group_key: None,
        event_time: Some(detected - SignedDuration::from_secs(1)),
        detected,
        input: Some("syslog".into()),
        host: Some("web-1".into()),
        matched: serde_json::json!({"selection": ["CommandLine"]}),
        grouping: None,
    }
}

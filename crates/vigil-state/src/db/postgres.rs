//! PostgreSQL 15: the state store at scale, shared by every Vigil process that points at it.
//!
//! One pool serves reads and writes (the server, not a file lock, arbitrates writers). Pages and
//! their totals read in one `REPEATABLE READ READ ONLY` snapshot; appends to the audit chain queue
//! on a transaction-scoped advisory lock, so writers in any number of processes keep it gap-free.
//! The audit tables refuse `UPDATE`, `DELETE` and `TRUNCATE` in the database itself (triggers in
//! the migration set, `migrations/postgres/`).

use super::sqlite::migrator_of;
use super::{Backend, Pools, State};
use crate::StateError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgConnection, Postgres, Transaction};
use std::str::FromStr as _;
use std::time::Duration;

/// The PostgreSQL schema, versioned apart from SQLite's (each backend has its own set). Never edit a
/// shipped entry; append a new version.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/postgres/0001_init.sql")),
    (2, "respond", include_str!("../../migrations/postgres/0002_respond.sql")),
    (
        3,
        "suppressions",
        include_str!("../../migrations/postgres/0003_suppressions.sql"),
    ),
    (4, "cases", include_str!("../../migrations/postgres/0004_cases.sql")),
    (5, "sources", include_str!("../../migrations/postgres/0005_sources.sql")),
    (
        6,
        "validation",
        include_str!("../../migrations/postgres/0006_validation.sql"),
    ),
    (7, "reports", include_str!("../../migrations/postgres/0007_reports.sql")),
    (
        8,
        "measure indexes",
        include_str!("../../migrations/postgres/0008_measure_indexes.sql"),
    ),
    (9, "console", include_str!("../../migrations/postgres/0009_console.sql")),
];

/// The advisory lock the audit chain's writers queue on (`"VIGILAUD"` as an integer).
const AUDIT_LOCK: i64 = 0x5649_4749_4c41_5544;

/// How long a request waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Default number of pooled connections.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// The shipped PostgreSQL migrations.
fn migrator() -> Migrator {
    migrator_of(MIGRATIONS, i64::MAX)
}

/// Checks a PostgreSQL state URL without connecting (what [`State::connect_postgres`] refuses as
/// [`StateError::InvalidInput`]); the message never repeats the URL, which may hold a password.
pub fn check_postgres_url(url: &str) -> Result<(), StateError> {
    parse_url(url).map(drop)
}

fn parse_url(url: &str) -> Result<PgConnectOptions, StateError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StateError::InvalidInput(
            "a PostgreSQL state url starts with postgres:// or postgresql://".into(),
        ));
    }
    PgConnectOptions::from_str(url).map_err(|e| match e {
        sqlx::Error::Configuration(e) => StateError::InvalidInput(format!("not a usable PostgreSQL url: {e}")),
        e => StateError::Database(e),
    })
}

impl State {
    /// Connects to PostgreSQL at `url` (`postgres://user@host:port/database`, with the usual
    /// `sslmode`, `sslrootcert`… parameters; a password may come from `PGPASSWORD` or a
    /// `.pgpass` file instead of the URL) with at most `max_connections` pooled connections, and
    /// applies pending schema migrations (under PostgreSQL's migration lock, so processes starting
    /// together do not race).
    ///
    /// [`StateError::InvalidInput`] for a URL that is not a PostgreSQL one; connection failures
    /// are [`StateError::Database`].
    pub async fn connect_postgres(url: &str, max_connections: u32) -> Result<State, StateError> {
        let options = parse_url(url)?.application_name("vigil");
        // One connection first, so a refused connection or a wrong password is the error (a pool
        // only reports that it timed out waiting).
        PgConnection::connect_with(&options).await?.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        if !schema_is_current(&pool).await? {
            migrator().run(&pool).await?;
        }
        Ok(State {
            backend: Backend::Postgres(Pools {
                writer: pool.clone(),
                reader: pool,
            }),
        })
    }
}

/// Whether every shipped migration is recorded as applied. Then nothing is run: the role Vigil
/// connects as needs no right to create tables (docs/state.md: the schema's owner migrates, the
/// application role reads and writes).
async fn schema_is_current(pool: &sqlx::PgPool) -> Result<bool, StateError> {
    let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(pool)
        .await?;
    if exists.is_none() {
        return Ok(false);
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(pool)
        .await?;
    Ok(MIGRATIONS.iter().all(|(v, _, _)| applied.contains(v)))
}

impl Pools<Postgres> {
    /// Starts a write transaction.
    pub(crate) async fn write_tx(&self) -> Result<Transaction<'static, Postgres>, StateError> {
        Ok(self.writer.begin().await?)
    }

    /// Starts a read transaction: one snapshot for a page and its total.
    pub(crate) async fn read_tx(&self) -> Result<Transaction<'static, Postgres>, StateError> {
        Ok(self
            .reader
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?)
    }

    /// Makes the audit chain's writers queue until this transaction ends, in every process.
    pub(crate) async fn lock_audit(&self, tx: &mut Transaction<'static, Postgres>) -> Result<(), StateError> {
        lock_audit_tx(tx).await
    }
}

/// [`Pools::lock_audit`] without the pools: a transaction-scoped advisory lock.
pub(crate) async fn lock_audit_tx(tx: &mut Transaction<'static, Postgres>) -> Result<(), StateError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(AUDIT_LOCK)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_of_other_kinds_are_refused_before_connecting() {
        for url in ["sqlite://x.db", "mysql://h/db", "", "/var/lib/vigil/state.db"] {
            let err = State::connect_postgres(url, 1).await.expect_err(url);
            assert!(err.is_client_error(), "{url}: {err}");
        }
        let err = State::connect_postgres("postgres://u:secret@host:notaport/db", 1)
            .await
            .expect_err("bad port");
        assert!(err.is_client_error(), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}

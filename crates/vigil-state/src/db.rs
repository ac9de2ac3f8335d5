//! Opening the database: connection pools, pragmas and the embedded schema migrations.

use crate::StateError;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqlSafeStr as _, Sqlite, Transaction};
use std::path::Path;
use std::time::Duration;

/// How long a connection waits for a lock held by another process (e.g. a CLI tool or a backup) before
/// the statement fails with `SQLITE_BUSY`. Inside one [`State`] writes never contend: they share one
/// connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reader connections for a file database. WAL lets them read while the writer commits.
const READERS: u32 = 4;

/// The schema, embedded at build time (no `sqlx::migrate!`, which needs the `macros` feature). Each entry is
/// `(version, description, sql)`; applied versions are recorded with a checksum in `_sqlx_migrations`, so
/// editing an applied migration is reported instead of silently diverging. Never edit a shipped entry;
/// append a new version.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/sqlite/0001_init.sql")),
    (2, "audit", include_str!("../migrations/sqlite/0002_audit.sql")),
    (3, "api keys", include_str!("../migrations/sqlite/0003_api_keys.sql")),
    (4, "users", include_str!("../migrations/sqlite/0004_users.sql")),
    (5, "tenants", include_str!("../migrations/sqlite/0005_tenants.sql")),
    (
        6,
        "federated sessions",
        include_str!("../migrations/sqlite/0006_federated_sessions.sql"),
    ),
];

fn migrator() -> Migrator {
    migrator_up_to(i64::MAX)
}

/// The shipped migrations up to `version`: the schema an older release left behind (for upgrade
/// tests).
#[doc(hidden)]
pub fn migrator_up_to(version: i64) -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .filter(|&&(v, _, _)| v <= version)
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// Vigil's operational state: API keys, alerts, dead letters, small named blobs and the audit trail.
///
/// Cheap to clone (pools are reference counted); `Send + Sync`. All writes go through a single connection
/// (a single-writer design: SQLite allows one writer at a time anyway, and queueing in the pool is cheaper
/// and more predictable than retrying `SQLITE_BUSY`); reads use a separate pool of `query_only` connections
/// that, thanks to WAL, never block the writer.
#[derive(Debug, Clone)]
pub struct State {
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
}

impl State {
    /// Opens (creating if missing) the database file at `path`, and applies pending schema migrations.
    ///
    /// The parent directory is created if needed. Settings: `journal_mode=WAL` (readers and the writer do not
    /// block each other), `synchronous=FULL` (a committed alert, token or revocation survives power loss;
    /// commits are batched, so the extra fsync is paid once per batch, not per row), and a busy timeout of
    /// 10 s for locks held by other processes.
    pub async fn open(path: &Path) -> Result<State, StateError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|source| StateError::CreateDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
        }
        let base = SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Full);
        let writer_options = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        // The writer keeps its connection for the life of the pool: no reconnect latency, and the WAL files
        // are not deleted and recreated between bursts.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(writer_options)
            .await?;
        migrator().run(&writer).await?;
        // `query_only` makes any accidental write through a reader fail loudly (SQLite-specific pragma).
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(base.pragma("query_only", "ON"))
            .await?;
        Ok(State { writer, reader })
    }

    /// Opens a private in-memory database (for tests). It lives as long as this `State` and its clones.
    pub async fn open_in_memory() -> Result<State, StateError> {
        // Every SQLite connection to ":memory:" is a different database, so reads and writes share one
        // connection that is never closed.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(SqliteConnectOptions::new().in_memory(true))
            .await?;
        migrator().run(&pool).await?;
        Ok(State {
            writer: pool.clone(),
            reader: pool,
        })
    }

    /// Closes both pools, waiting for queries in flight. Further calls on any clone fail.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    /// Starts a write transaction on the writer connection.
    ///
    /// `BEGIN IMMEDIATE` (SQLite-specific; PostgreSQL: plain `BEGIN`) takes the write lock up front, so a
    /// transaction never fails half-way when another process holds the lock: it waits up to the busy
    /// timeout at the start instead.
    pub(crate) async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>, StateError> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Starts a read transaction (one consistent snapshot for a page and its total).
    pub(crate) async fn read_tx(&self) -> Result<Transaction<'static, Sqlite>, StateError> {
        Ok(self.reader.begin().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_ordered_and_unique() {
        let m = migrator();
        let versions: Vec<i64> = m.iter().map(|m| m.version).collect();
        let mut sorted = versions.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(versions, sorted);
        assert_eq!(versions.first(), Some(&1));
    }

    #[tokio::test]
    async fn in_memory_has_schema() {
        let state = State::open_in_memory().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&state.reader)
            .await
            .unwrap();
        assert_eq!(n, i64::try_from(MIGRATIONS.len()).unwrap());
    }
}

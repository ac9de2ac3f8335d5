//! SQLite: the state file in the data directory. One writer connection (SQLite allows one writer
//! at a time anyway, and queueing in the pool is cheaper and more predictable than retrying
//! `SQLITE_BUSY`) and a pool of `query_only` readers that, thanks to WAL, never block it.

use super::{Backend, Pools, State};
use crate::StateError;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
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
/// append a new version (and the same change to the PostgreSQL set).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, "audit", include_str!("../../migrations/sqlite/0002_audit.sql")),
    (3, "api keys", include_str!("../../migrations/sqlite/0003_api_keys.sql")),
    (4, "users", include_str!("../../migrations/sqlite/0004_users.sql")),
    (5, "tenants", include_str!("../../migrations/sqlite/0005_tenants.sql")),
    (
        6,
        "federated sessions",
        include_str!("../../migrations/sqlite/0006_federated_sessions.sql"),
    ),
    (7, "respond", include_str!("../../migrations/sqlite/0007_respond.sql")),
    (
        8,
        "suppressions",
        include_str!("../../migrations/sqlite/0008_suppressions.sql"),
    ),
    (9, "cases", include_str!("../../migrations/sqlite/0009_cases.sql")),
    (10, "sources", include_str!("../../migrations/sqlite/0010_sources.sql")),
    (
        11,
        "validation",
        include_str!("../../migrations/sqlite/0011_validation.sql"),
    ),
    (12, "reports", include_str!("../../migrations/sqlite/0012_reports.sql")),
    (
        13,
        "measure indexes",
        include_str!("../../migrations/sqlite/0013_measure_indexes.sql"),
    ),
    (14, "console", include_str!("../../migrations/sqlite/0014_console.sql")),
];

/// A migrator over `(version, description, sql)` entries up to `version`.
pub(super) fn migrator_of(migrations: &'static [(i64, &'static str, &'static str)], version: i64) -> Migrator {
    Migrator::with_migrations(
        migrations
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

/// The shipped SQLite migrations up to `version`: the schema an older release left behind (for
/// upgrade tests).
#[doc(hidden)]
pub fn migrator_up_to(version: i64) -> Migrator {
    migrator_of(MIGRATIONS, version)
}

impl State {
    /// Opens (creating if missing) the SQLite database file at `path`, and applies pending schema
    /// migrations.
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
        migrator_up_to(i64::MAX).run(&writer).await?;
        // `query_only` makes any accidental write through a reader fail loudly.
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(base.pragma("query_only", "ON"))
            .await?;
        Ok(State {
            backend: Backend::Sqlite(Pools { writer, reader }),
        })
    }

    /// Opens a private in-memory SQLite database (for tests). It lives as long as this `State` and
    /// its clones.
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
        migrator_up_to(i64::MAX).run(&pool).await?;
        Ok(State {
            backend: Backend::Sqlite(Pools {
                writer: pool.clone(),
                reader: pool,
            }),
        })
    }
}

impl Pools<Sqlite> {
    /// Starts a write transaction on the writer connection. `BEGIN IMMEDIATE` takes the write lock
    /// up front, so a transaction never fails half-way when another process holds the lock: it
    /// waits up to the busy timeout at the start instead.
    pub(crate) async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>, StateError> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Starts a read transaction (one consistent snapshot for a page and its total).
    pub(crate) async fn read_tx(&self) -> Result<Transaction<'static, Sqlite>, StateError> {
        Ok(self.reader.begin().await?)
    }

    /// Makes the audit chain's writers queue: a write transaction already holds SQLite's only
    /// write lock, so there is nothing more to take.
    pub(crate) async fn lock_audit(&self, tx: &mut Transaction<'static, Sqlite>) -> Result<(), StateError> {
        lock_audit_tx(tx).await
    }
}

/// [`Pools::lock_audit`] without the pools: nothing to take on SQLite.
pub(crate) async fn lock_audit_tx(_tx: &mut Transaction<'static, Sqlite>) -> Result<(), StateError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_ordered_and_unique() {
        let m = migrator_up_to(i64::MAX);
        let versions: Vec<i64> = m.iter().map(|m| m.version).collect();
        let mut sorted = versions.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(versions, sorted);
        assert_eq!(versions.first(), Some(&1));
    }
}

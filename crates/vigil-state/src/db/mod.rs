//! The two backends behind [`State`]: SQLite in the data directory (the embedded default) and
//! PostgreSQL 15 (the state store at scale).
//!
//! Every repository method is written once, in the SQL both engines accept: `$N` placeholders
//! (SQLite reads them as numbered parameters), `ON CONFLICT`, `BIGINT` instants, `COUNT(*)`,
//! `LIMIT`, window functions. [`on_db!`] runs that body against whichever backend the state was
//! opened on; what differs lives in the backend modules: the schema ([`sqlite`], [`postgres`] each
//! own a migration set), how a write transaction starts and how the audit chain's writers queue.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use crate::{StateError, time};
use jiff::Timestamp;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Database, Pool, Row as _};

pub use sqlite::migrator_up_to;

/// Runs `$body` with `$db` bound to the [`Pools`] of the backend `$state` was opened on. The body
/// is compiled once per backend, so everything in it (queries, binds, rows) is concretely typed.
macro_rules! on_db {
    ($state:expr, $db:ident => $body:expr) => {
        match &$state.backend {
            $crate::db::Backend::Sqlite($db) => $body,
            $crate::db::Backend::Postgres($db) => $body,
        }
    };
}
pub(crate) use on_db;

/// Which engine holds the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// A SQLite file (or an in-memory database in tests).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The connection pools of one backend: writes go through `writer`, reads through `reader`.
#[derive(Debug)]
pub(crate) struct Pools<DB: Database> {
    pub(crate) writer: Pool<DB>,
    pub(crate) reader: Pool<DB>,
}

impl<DB: Database> Clone for Pools<DB> {
    fn clone(&self) -> Self {
        Pools {
            writer: self.writer.clone(),
            reader: self.reader.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Backend {
    Sqlite(Pools<sqlx::Sqlite>),
    Postgres(Pools<sqlx::Postgres>),
}

/// Vigil's operational state: API keys, users and sessions, alerts, dead letters, small named blobs
/// and the audit trail.
///
/// Cheap to clone (pools are reference counted); `Send + Sync`. Opened on SQLite
/// ([`State::open`], [`State::open_in_memory`]) or PostgreSQL ([`State::connect_postgres`]);
/// every method behaves the same on both (the state test suite runs on both).
#[derive(Debug, Clone)]
pub struct State {
    pub(crate) backend: Backend,
}

impl State {
    /// Which engine this state lives in.
    pub fn backend_kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Closes the pools, waiting for queries in flight. Further calls on any clone fail.
    pub async fn close(&self) {
        on_db!(self, db => {
            db.writer.close().await;
            db.reader.close().await;
        });
    }
}

/// Reading a column of a result row, the same way on both backends (errors become
/// [`StateError`]).
pub(crate) trait DbRow {
    fn text(&self, col: &str) -> Result<String, StateError>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, StateError>;
    fn int(&self, col: &str) -> Result<i64, StateError>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StateError>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>, StateError>;

    /// A stored instant ([`time`]).
    fn instant(&self, col: &str) -> Result<Timestamp, StateError> {
        time::from_db(self.int(col)?)
    }

    /// An optional stored instant.
    fn opt_instant(&self, col: &str) -> Result<Option<Timestamp>, StateError> {
        time::opt_from_db(self.opt_int(col)?)
    }
}

macro_rules! impl_db_row {
    ($($row:ty),*) => {$(
        impl DbRow for $row {
            fn text(&self, col: &str) -> Result<String, StateError> {
                Ok(self.try_get(col)?)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>, StateError> {
                Ok(self.try_get(col)?)
            }
            fn int(&self, col: &str) -> Result<i64, StateError> {
                Ok(self.try_get(col)?)
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>, StateError> {
                Ok(self.try_get(col)?)
            }
            fn bytes(&self, col: &str) -> Result<Vec<u8>, StateError> {
                Ok(self.try_get(col)?)
            }
        }
    )*};
}
impl_db_row!(SqliteRow, PgRow);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_memory_is_sqlite_with_its_schema() {
        let state = State::open_in_memory().await.unwrap();
        assert_eq!(state.backend_kind(), BackendKind::Sqlite);
        let Backend::Sqlite(db) = &state.backend else {
            panic!("sqlite")
        };
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&db.reader)
            .await
            .unwrap();
        assert_eq!(n, migrator_up_to(i64::MAX).iter().count() as i64);
    }
}

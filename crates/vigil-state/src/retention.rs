//! Retention of alerts and dead letters: by age, by row count and (dead letters) by bytes, applied
//! at a time the caller gives (so tests drive the clock). The matches suppressions kept from
//! becoming alerts are kept [`SUPPRESSED_MATCHES`] (their counts on the suppression stay).
//! Alerts of an open incident stay whatever their age: they go by the same rules once it closes.
//!
//! Rows go oldest first, in chunks of [`CHUNK`] per write transaction, so inserts of new alerts
//! and dead letters wait at most one chunk's delete, never the whole prune. Sequence numbers are
//! never reused (`AUTOINCREMENT`), so cursors held by clients stay valid: a page that pointed at
//! pruned rows simply continues with older rows that remain.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
// The SQL is built from the constant table and column names of [`Table`] only.
use sqlx::AssertSqlSafe;

use crate::db::on_db;
use crate::{State, StateError, time};

/// Rows deleted per write transaction.
const CHUNK: i64 = 5_000;

/// How much of one table to keep. `None` keeps everything on that axis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Delete rows older than this (alerts by detection time, dead letters by receive time).
    pub max_age: Option<Duration>,
    /// Keep at most this many rows: the newest.
    pub max_rows: Option<u64>,
    /// Keep the newest rows whose stored bytes (a dead letter's data and message) add up to at
    /// most this. Alerts are small and kept by age and count only: this is ignored for them.
    pub max_bytes: Option<u64>,
}

impl Retention {
    /// Keeps everything.
    pub const KEEP_ALL: Retention = Retention {
        max_age: None,
        max_rows: None,
        max_bytes: None,
    };

    /// Whether this policy can delete anything.
    pub fn is_keep_all(&self) -> bool {
        self.max_age.is_none() && self.max_rows.is_none() && self.max_bytes.is_none()
    }
}

/// How long the listed matches of suppressions are kept: 30 days, at most 1,000,000 rows. A
/// suppression's `hits` and `last_hit` count every match, listed or pruned.
pub const SUPPRESSED_MATCHES: Retention = Retention {
    max_age: Some(Duration::from_secs(30 * 24 * 3600)),
    max_rows: Some(1_000_000),
    max_bytes: None,
};

/// A table retention applies to. The names are constants, never user input.
#[derive(Clone, Copy)]
enum Table {
    Alerts,
    DeadLetters,
    SuppressedMatches,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Alerts => "alerts",
            Table::DeadLetters => "dead_letters",
            Table::SuppressedMatches => "suppressed_matches",
        }
    }

    /// What one row weighs, for `max_bytes` (`None`: not limited by bytes).
    fn size_expr(self) -> Option<&'static str> {
        match self {
            Table::Alerts | Table::SuppressedMatches => None,
            Table::DeadLetters => Some("octet_length(data) + octet_length(message)"),
        }
    }

    /// Rows retention leaves whatever their age or rank: alerts of an open incident are its
    /// evidence while it is worked.
    fn kept(self) -> &'static str {
        match self {
            Table::Alerts => {
                " AND (incident_id IS NULL OR incident_id NOT IN (SELECT id FROM incidents WHERE status <> 'closed'))"
            }
            Table::DeadLetters | Table::SuppressedMatches => "",
        }
    }

    /// The instant column age is measured on (each has an index).
    fn time_column(self) -> &'static str {
        match self {
            Table::Alerts => "detected",
            Table::DeadLetters => "received",
            Table::SuppressedMatches => "at",
        }
    }
}

impl State {
    /// Deletes the alerts `policy` does not keep at time `now`; returns how many were deleted.
    pub async fn prune_alerts(&self, policy: Retention, now: Timestamp) -> Result<u64, StateError> {
        self.prune(Table::Alerts, policy, now).await
    }

    /// Deletes the dead letters `policy` does not keep at time `now`; returns how many were deleted.
    pub async fn prune_dead_letters(&self, policy: Retention, now: Timestamp) -> Result<u64, StateError> {
        self.prune(Table::DeadLetters, policy, now).await
    }

    /// Deletes the listed matches of suppressions past [`SUPPRESSED_MATCHES`] at time `now`;
    /// returns how many were deleted.
    pub async fn prune_suppressed_matches(&self, now: Timestamp) -> Result<u64, StateError> {
        self.prune(Table::SuppressedMatches, SUPPRESSED_MATCHES, now).await
    }

    async fn prune(&self, table: Table, policy: Retention, now: Timestamp) -> Result<u64, StateError> {
        let mut deleted = 0;
        if let Some(age) = policy.max_age {
            let age = SignedDuration::try_from(age).unwrap_or(SignedDuration::MAX);
            let cutoff = now.checked_sub(age).map_or(i64::MIN, time::to_db);
            let sql = format!(
                "DELETE FROM {t} WHERE seq IN (SELECT seq FROM {t} WHERE {c} < $1{k} ORDER BY seq LIMIT {CHUNK})",
                t = table.name(),
                c = table.time_column(),
                k = table.kept()
            );
            deleted += self.delete_chunks(&sql, cutoff).await?;
        }
        if let Some(max) = policy.max_rows {
            let offset = i64::try_from(max).unwrap_or(i64::MAX);
            // The newest row past the limit: it and everything older go.
            let sql = format!("SELECT seq FROM {} ORDER BY seq DESC LIMIT 1 OFFSET $1", table.name());
            let last: Option<i64> = on_db!(self, db => sqlx::query_scalar(AssertSqlSafe(sql))
                .bind(offset)
                .fetch_optional(&db.writer)
                .await?);
            if let Some(last) = last {
                deleted += self.delete_through(table, last).await?;
            }
        }
        if let (Some(max), Some(size)) = (policy.max_bytes, table.size_expr()) {
            // The newest row whose bytes, with those of every newer row, pass the limit: it and
            // everything older go. The scan runs on the read pool (WAL), so it never holds up the
            // writer; what it finds is only ever deleted.
            let sql = format!(
                "SELECT seq FROM (SELECT seq, SUM({size}) OVER (ORDER BY seq DESC) AS kept FROM {t}) AS sizes \
                 WHERE kept > $1 ORDER BY seq DESC LIMIT 1",
                t = table.name()
            );
            let max = i64::try_from(max).unwrap_or(i64::MAX);
            let last: Option<i64> = on_db!(self, db => sqlx::query_scalar(AssertSqlSafe(sql))
                .bind(max)
                .fetch_optional(&db.reader)
                .await?);
            if let Some(last) = last {
                deleted += self.delete_through(table, last).await?;
            }
        }
        Ok(deleted)
    }

    /// Deletes the rows at or below `seq`, oldest first.
    async fn delete_through(&self, table: Table, seq: i64) -> Result<u64, StateError> {
        let sql = format!(
            "DELETE FROM {t} WHERE seq IN (SELECT seq FROM {t} WHERE seq <= $1{k} ORDER BY seq LIMIT {CHUNK})",
            t = table.name(),
            k = table.kept()
        );
        self.delete_chunks(&sql, seq).await
    }

    /// Runs a chunked `DELETE … LIMIT CHUNK` with one bound value until it deletes less than a chunk.
    async fn delete_chunks(&self, sql: &str, bound: i64) -> Result<u64, StateError> {
        let mut total = 0;
        loop {
            let n = on_db!(self, db => {
                let mut tx = db.write_tx().await?;
                let n = sqlx::query(AssertSqlSafe(sql.to_owned()))
                    .bind(bound)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                n
            });
            total += n;
            if n < CHUNK as u64 {
                return Ok(total);
            }
        }
    }
}

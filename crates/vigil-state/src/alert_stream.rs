//! The alerts' change cursor: every insert and update of an alert row stamps it with the next
//! number of one clock (triggers of schema 14 / PostgreSQL 9, so no writer can forget it), and
//! numbers become visible in order. `changed > cursor` therefore reads every change after a
//! cursor, once, which is what the live alert stream (`GET /api/v1/alerts/stream`) follows.

use sqlx::AssertSqlSafe;

use crate::alerts::{ALERT_COLUMNS, alert_from_row};
use crate::db::{DbRow, on_db};
use crate::{Alert, State, StateError};

/// The alerts of one tenant changed after a cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertChanges {
    /// Oldest change first, at most the limit asked for.
    pub alerts: Vec<Alert>,
    /// The change number of the last alert returned (the cursor given when there is none).
    pub cursor: i64,
    /// More changed alerts follow the limit.
    pub more: bool,
}

impl State {
    /// The newest change number of any alert of any tenant (0 before the first alert).
    pub async fn alert_change_cursor(&self) -> Result<i64, StateError> {
        on_db!(self, db => {
            let n: Option<i64> = sqlx::query_scalar("SELECT changed FROM alert_change_clock WHERE id = 1")
                .fetch_optional(&db.reader)
                .await?;
            Ok(n.unwrap_or(0))
        })
    }

    /// `tenant`'s alerts created or changed after change number `after` and at or before `upto`
    /// (a value of [`State::alert_change_cursor`]), oldest change first, at most `limit` (each as
    /// it is now; an alert changed twice comes once, at its last change). When all came, the
    /// cursor is `upto`: a tenant with no changes moves on with the clock.
    pub async fn alerts_changed_after(
        &self,
        tenant: &str,
        after: i64,
        upto: i64,
        limit: u32,
    ) -> Result<AlertChanges, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS}, changed FROM alerts WHERE tenant = $1 AND changed > $2 AND changed <= $3 \
             ORDER BY changed LIMIT $4"
        ));
        let limit = limit.max(1) as usize;
        on_db!(self, db => {
            let rows = sqlx::query(sql)
                .bind(tenant)
                .bind(after)
                .bind(upto)
                .bind(i64::try_from(limit + 1).unwrap_or(i64::MAX))
                .fetch_all(&db.reader)
                .await?;
            let more = rows.len() > limit;
            let mut cursor = after.max(upto);
            let mut alerts = Vec::with_capacity(rows.len().min(limit));
            for row in rows.iter().take(limit) {
                alerts.push(alert_from_row(row)?);
                if more {
                    cursor = row.int("changed")?;
                }
            }
            Ok(AlertChanges { alerts, cursor, more })
        })
    }
}

//! Scheduled reports (issue 17, "Measure"): which schedule wrote which period. A run is recorded
//! with its notifications in one transaction, once per (schedule, period start), so a server
//! restart neither skips nor repeats a report.

use crate::db::on_db;
use crate::notifications::NewNotification;
use crate::{State, StateError, time};
use jiff::Timestamp;
use sqlx::QueryBuilder;

/// A scheduled report written to its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRun {
    /// The schedule's name.
    pub schedule: String,
    pub tenant: String,
    /// The period reported, `[from, to)`.
    pub from: Timestamp,
    pub to: Timestamp,
    /// The files written (names in the schedule's folder).
    pub files: Vec<String>,
    pub at: Timestamp,
}

impl State {
    /// Whether `schedule` has written the period starting at `from`.
    pub async fn report_run_done(&self, schedule: &str, from: Timestamp) -> Result<bool, StateError> {
        let n: i64 = on_db!(self, db => {
            sqlx::query_scalar("SELECT COUNT(*) FROM report_runs WHERE schedule = $1 AND period_from = $2")
                .bind(schedule)
                .bind(time::to_db(from))
                .fetch_one(&db.reader)
                .await?
        });
        Ok(n > 0)
    }

    /// Records `run` and queues `notifications` (tenant-wide: no incident), unless the period was
    /// recorded before; `false` then, and nothing is queued.
    pub async fn record_report_run(
        &self,
        run: &ReportRun,
        notifications: &[NewNotification],
    ) -> Result<bool, StateError> {
        let at = time::to_db(run.at);
        let files = serde_json::to_string(&run.files).unwrap_or_else(|_| "[]".into());
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let fresh = sqlx::query(
                "INSERT INTO report_runs (schedule, period_from, period_to, tenant, files, at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&run.schedule)
            .bind(time::to_db(run.from))
            .bind(time::to_db(run.to))
            .bind(&run.tenant)
            .bind(&files)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if fresh == 0 {
                return Ok(false);
            }
            if !notifications.is_empty() {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO notifications (id, tenant, incident_id, channel, kind, payload, next_attempt, created) ",
                );
                qb.push_values(notifications, |mut row, n| {
                    row.push_bind(n.id.clone())
                        .push_bind(run.tenant.clone())
                        .push_bind(None::<String>)
                        .push_bind(n.channel.clone())
                        .push_bind(n.kind.clone())
                        .push_bind(n.payload.clone())
                        .push_bind(at)
                        .push_bind(at);
                });
                qb.push(" ON CONFLICT (id) DO NOTHING");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The runs `schedule` recorded, newest period first, at most `limit`.
    pub async fn report_runs(&self, schedule: &str, limit: u32) -> Result<Vec<ReportRun>, StateError> {
        let rows: Vec<(String, i64, i64, String, String, i64)> = on_db!(self, db => {
            sqlx::query_as(
                "SELECT schedule, period_from, period_to, tenant, files, at FROM report_runs \
                 WHERE schedule = $1 ORDER BY period_from DESC LIMIT $2",
            )
            .bind(schedule)
            .bind(i64::from(limit))
            .fetch_all(&db.reader)
            .await?
        });
        rows.into_iter()
            .map(|(schedule, from, to, tenant, files, at)| {
                Ok(ReportRun {
                    schedule,
                    tenant,
                    from: time::from_db(from)?,
                    to: time::from_db(to)?,
                    files: serde_json::from_str(&files)
                        .map_err(|e| StateError::Corrupt(format!("report run files: {e}")))?,
                    at: time::from_db(at)?,
                })
            })
            .collect()
    }
}

//! What a shift handover reads beside the incident listing: a tenant's timeline entries of a
//! period (across incidents) and a summary of its alerts still `new`.

use jiff::Timestamp;
use vigil_api_types::incidents::TimelineEntry;

use crate::db::{DbRow, on_db};
use crate::{State, StateError, time};

/// The most timeline entries [`State::timeline_between`] returns.
pub const MAX_TIMELINE: u32 = 10_000;

/// A timeline entry with the incident it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentEntry {
    pub incident_id: String,
    pub entry: TimelineEntry,
}

/// `tenant`'s alerts in status `new`: how many, the oldest, and the rules raising most of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAlerts {
    pub total: u64,
    /// When the oldest of them was raised.
    pub oldest: Option<Timestamp>,
    /// (rule id, rule title, alerts), most alerts first, then by rule id.
    pub top_rules: Vec<(String, String, u64)>,
}

impl State {
    /// `tenant`'s timeline entries recorded in `[since, until)`, in the order they were written,
    /// the first `limit` (at most [`MAX_TIMELINE`]), and whether more were left off.
    pub async fn timeline_between(
        &self,
        tenant: &str,
        since: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> Result<(Vec<IncidentEntry>, bool), StateError> {
        let limit = limit.clamp(1, MAX_TIMELINE);
        let rows = on_db!(self, db => {
            sqlx::query(
                "SELECT incident_id, seq, at, occurred_at, actor, kind, text, detail FROM incident_timeline \
                 WHERE tenant = $1 AND at >= $2 AND at < $3 ORDER BY seq LIMIT $4",
            )
            .bind(tenant)
            .bind(time::to_db(since))
            .bind(time::to_db(until))
            .bind(i64::from(limit) + 1)
            .fetch_all(&db.reader)
            .await?
            .iter()
            .map(|row| {
                Ok(IncidentEntry {
                    incident_id: row.text("incident_id")?,
                    entry: super::incidents::timeline_from_row(row)?,
                })
            })
            .collect::<Result<Vec<_>, StateError>>()?
        });
        let mut rows = rows;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    /// `tenant`'s alerts still `new`: their count, the oldest's detection time and the `top`
    /// rules with the most of them.
    pub async fn new_alerts_summary(&self, tenant: &str, top: u32) -> Result<NewAlerts, StateError> {
        on_db!(self, db => {
            let mut tx = db.read_tx().await?;
            let (total, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(detected) FROM alerts WHERE tenant = $1 AND status = 'new'",
            )
            .bind(tenant)
            .fetch_one(&mut *tx)
            .await?;
            let rules: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT rule_id, MAX(rule_title), COUNT(*) AS n FROM alerts WHERE tenant = $1 AND status = 'new' \
                 GROUP BY rule_id ORDER BY n DESC, rule_id LIMIT $2",
            )
            .bind(tenant)
            .bind(i64::from(top))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(NewAlerts {
                total: u64::try_from(total).unwrap_or(0),
                oldest: oldest.map(time::from_db).transpose()?,
                top_rules: rules
                    .into_iter()
                    .map(|(id, title, n)| (id, title, u64::try_from(n).unwrap_or(0)))
                    .collect(),
            })
        })
    }
}

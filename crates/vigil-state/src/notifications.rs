//! What the escalation task needs: open incidents of every tenant, once-only incident events
//! (an SLA warning or breach, an escalation level) with their timeline entry and notifications,
//! and the notification outbox a delivery task drains.

use crate::db::{DbRow, on_db};
use crate::incidents::{INCIDENT_COLUMNS, StoredIncident, incident_from_row};
use crate::respond_tx::{NewTimeline, RespondTx};
use crate::{State, StateError, time};
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, QueryBuilder};
use std::collections::HashSet;

/// A notification to queue (its payload is the channel-independent message, as JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// Stable delivery id: queuing the same id twice queues it once.
    pub id: String,
    /// The configured channel's name.
    pub channel: String,
    /// `sla_warning`, `sla_breach`, `escalation`, …
    pub kind: String,
    pub payload: String,
}

/// A queued notification due for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingNotification {
    pub id: String,
    pub tenant: String,
    pub incident_id: Option<String>,
    pub channel: String,
    pub kind: String,
    pub payload: String,
    /// Attempts made so far.
    pub attempts: u32,
}

/// An incident event that happens once: its flag, its timeline entry, its notifications.
#[derive(Debug, Clone)]
pub struct IncidentEvent {
    /// Unique per incident, e.g. `sla_warning:acknowledge` or `escalation:P1:0:1`.
    pub flag: String,
    /// Timeline entry kind (`sla_warning`, `sla_breached`, `escalated`) and text.
    pub kind: &'static str,
    pub text: String,
    pub detail: Option<serde_json::Value>,
    pub notifications: Vec<NewNotification>,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        detail: String,
    },
    /// Try again at `next`.
    Retry {
        next: Timestamp,
        error: String,
    },
    Failed {
        error: String,
    },
}

impl State {
    /// Open incidents of every tenant after position `after_seq`, oldest first, at most `limit`.
    pub async fn open_incidents_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<(i64, StoredIncident)>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE status <> 'closed' AND seq > $1 ORDER BY seq LIMIT $2"
        ));
        on_db!(self, db => {
            let rows = sqlx::query(sql).bind(after_seq).bind(i64::from(limit)).fetch_all(&db.reader).await?;
            rows.iter()
                .map(|r| Ok((r.int("seq")?, incident_from_row(r)?)))
                .collect()
        })
    }

    /// The flags already set on these incidents, as `(incident id, flag)`: what
    /// [`State::raise_incident_event`] would skip, read once for a batch so that a check that
    /// finds nothing new writes nothing.
    pub async fn incident_flags(&self, incident_ids: &[String]) -> Result<HashSet<(String, String)>, StateError> {
        if incident_ids.is_empty() {
            return Ok(HashSet::new());
        }
        on_db!(self, db => {
            let mut qb = QueryBuilder::new("SELECT incident_id, flag FROM incident_flags WHERE incident_id IN (");
            let mut list = qb.separated(", ");
            for id in incident_ids {
                list.push_bind(id.clone());
            }
            qb.push(")");
            let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&db.reader).await?;
            Ok(rows.into_iter().collect())
        })
    }

    /// Records `event` for `tenant`'s incident `incident_id` unless its flag is already set:
    /// the flag, the timeline entry (by `system`) and the queued notifications, in one
    /// transaction. `false` when it had happened before.
    pub async fn raise_incident_event(
        &self,
        tenant: &str,
        incident_id: &str,
        event: &IncidentEvent,
        at: Timestamp,
    ) -> Result<bool, StateError> {
        let at_db = time::to_db(at);
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let fresh = sqlx::query(
                "INSERT INTO incident_flags (incident_id, flag, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(incident_id)
            .bind(&event.flag)
            .bind(at_db)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if fresh == 0 {
                return Ok(false);
            }
            let mut entry = NewTimeline::new(event.kind, event.text.clone());
            entry.detail = event.detail.clone();
            tx.add_timeline(tenant, incident_id, "system", at, &[entry]).await?;
            if !event.notifications.is_empty() {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO notifications (id, tenant, incident_id, channel, kind, payload, next_attempt, created) ",
                );
                qb.push_values(&event.notifications, |mut row, n| {
                    row.push_bind(n.id.clone())
                        .push_bind(tenant.to_owned())
                        .push_bind(incident_id.to_owned())
                        .push_bind(n.channel.clone())
                        .push_bind(n.kind.clone())
                        .push_bind(n.payload.clone())
                        .push_bind(at_db)
                        .push_bind(at_db);
                });
                qb.push(" ON CONFLICT (id) DO NOTHING");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Pending notifications due at `now`, oldest first, at most `limit`.
    pub async fn due_notifications(&self, now: Timestamp, limit: u32) -> Result<Vec<PendingNotification>, StateError> {
        on_db!(self, db => {
            let rows = sqlx::query(
                "SELECT id, tenant, incident_id, channel, kind, payload, attempts FROM notifications \
                 WHERE status = 'pending' AND next_attempt <= $1 ORDER BY seq LIMIT $2",
            )
            .bind(time::to_db(now))
            .bind(i64::from(limit))
            .fetch_all(&db.reader)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(PendingNotification {
                        id: r.text("id")?,
                        tenant: r.text("tenant")?,
                        incident_id: r.opt_text("incident_id")?,
                        channel: r.text("channel")?,
                        kind: r.text("kind")?,
                        payload: r.text("payload")?,
                        attempts: u32::try_from(r.int("attempts")?).unwrap_or(u32::MAX),
                    })
                })
                .collect()
        })
    }

    /// Records how delivering `n` ended: the row, and on the incident's timeline a
    /// `notification` entry for a delivery or a final failure (retries are not on it).
    pub async fn record_delivery(
        &self,
        n: &PendingNotification,
        outcome: &DeliveryOutcome,
        at: Timestamp,
    ) -> Result<(), StateError> {
        let at_db = time::to_db(at);
        let (status, error, next, timeline) = match outcome {
            DeliveryOutcome::Delivered { detail } => (
                "delivered",
                None,
                at_db,
                Some(format!("notification sent via {} ({}): {detail}", n.channel, n.kind)),
            ),
            DeliveryOutcome::Retry { next, error } => ("pending", Some(error.clone()), time::to_db(*next), None),
            DeliveryOutcome::Failed { error } => (
                "failed",
                Some(error.clone()),
                at_db,
                Some(format!("notification via {} ({}) failed: {error}", n.channel, n.kind)),
            ),
        };
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            sqlx::query(
                "UPDATE notifications SET status = $1, attempts = attempts + 1, last_error = $2, next_attempt = $3, \
                 delivered = CASE WHEN $1 = 'delivered' THEN $4 ELSE delivered END WHERE id = $5",
            )
            .bind(status)
            .bind(&error)
            .bind(next)
            .bind(at_db)
            .bind(&n.id)
            .execute(&mut *tx)
            .await?;
            if let (Some(text), Some(incident)) = (timeline, &n.incident_id) {
                let entry = NewTimeline::new("notification", text).with_detail(serde_json::json!({
                    "delivery": n.id,
                    "channel": n.channel,
                    "status": status,
                }));
                tx.add_timeline(&n.tenant, incident, "system", at, &[entry]).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

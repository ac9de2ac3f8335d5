//! Deleting an incident (`case:delete`): its alerts return to the queue, its timeline stays (it is
//! append-only) with a last entry saying who deleted it, its attachments are deleted with it, and the
//! audit trail keeps its title.

use crate::db::on_db;
use crate::respond_tx::{Actor, NewTimeline, RespondTx};
use crate::{State, StateError, time};
use serde_json::json;

impl State {
    /// Deletes `tenant`'s incident `id`; `false` when there is none. Its alerts become
    /// `acknowledged` again (with a history row each), in one transaction with the timeline entry
    /// and `who.audit`.
    pub async fn delete_incident(&self, tenant: &str, id: &str, who: &Actor) -> Result<bool, StateError> {
        let at = who.at();
        let at_db = time::to_db(at);
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(id).await?;
            let title: Option<String> = sqlx::query_scalar("SELECT title FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(title) = title else {
                return Ok(false);
            };
            let alerts: Vec<String> = sqlx::query_scalar(
                "UPDATE alerts SET status = 'acknowledged', incident_id = NULL, updated = $1, updated_by = $2 \
                 WHERE incident_id = $3 AND tenant = $4 RETURNING id",
            )
            .bind(at_db)
            .bind(&who.id)
            .bind(id)
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await?;
            let change = json!({"status": "acknowledged", "incident_id": null, "incident_deleted": id}).to_string();
            for alert in &alerts {
                sqlx::query("INSERT INTO alert_changes (alert_id, tenant, at, actor, change) VALUES ($1, $2, $3, $4, $5)")
                    .bind(alert)
                    .bind(tenant)
                    .bind(at_db)
                    .bind(&who.id)
                    .bind(&change)
                    .execute(&mut *tx)
                    .await?;
            }
            let tasks = sqlx::query("DELETE FROM incident_tasks WHERE incident_id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .execute(&mut *tx)
                .await?;
            // Its observables and the record of which alerts were scanned for them go too.
            let observables = sqlx::query("DELETE FROM observables WHERE incident_id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM observable_scans WHERE incident_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            // Its evidence goes with it; the audit entry keeps how much.
            let attachments = sqlx::query("DELETE FROM attachments WHERE incident_id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let entry = NewTimeline::new("deleted", "incident deleted")
                .with_detail(json!({"alerts": alerts.len(), "attachments": attachments}));
            tx.add_timeline(tenant, id, &who.id, at, &[entry]).await?;
            let audit = who.audit.clone().with_target(format!("incident:{id}")).with_at(at).with_detail(json!({
                "title": title,
                "alerts_returned": alerts.len(),
                "tasks_deleted": tasks,
                "attachments_deleted": attachments,
                "observables_deleted": observables,
            }));
            tx.audit(audit).await?;
            tx.commit().await?;
            Ok(true)
        })
    }
}

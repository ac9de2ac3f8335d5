//! Creating an incident, from alerts or by hand.

use super::StoredIncident;
use crate::db::on_db;
use crate::respond_tx::{Actor, NewTimeline, RespondTx};
use crate::tasks::{added_entry, insert_tasks, with_ids};
use crate::tokens::random;
use crate::{State, StateError, time};
use serde_json::json;
use vigil_api_types::incidents::NewIncident;
use vigil_api_types::tasks::MAX_TASKS_PER_INCIDENT;
use vigil_respond::{Pap, PlannedTask, PriorityMatrix, Tlp, default_impact_urgency};

/// A fresh incident id: `inc-` and 16 hexadecimal digits (random, so ids say nothing about how
/// many incidents other tenants have).
pub(crate) fn new_incident_id() -> Result<String, StateError> {
    Ok(format!("inc-{}", hex::encode(random::<8>()?)))
}

impl State {
    /// Creates an incident in `tenant` and merges `new.alert_ids` into it (each must exist and be in
    /// no incident: [`StateError::InvalidInput`] / [`StateError::Conflict`] otherwise). Priority
    /// comes from impact × urgency through `matrix`; both default from the severity. The timeline
    /// gets `created` and one `alert_linked` per alert; `who.audit` is recorded as the incident's
    /// creation, all in one transaction.
    pub async fn create_incident(
        &self,
        tenant: &str,
        new: &NewIncident,
        matrix: &PriorityMatrix,
        who: &Actor,
    ) -> Result<StoredIncident, StateError> {
        self.create_incident_with_tasks(tenant, new, matrix, &[], who).await
    }

    /// [`State::create_incident`] with its first tasks (its runbook's), in the same transaction
    /// and with one timeline entry for them.
    pub async fn create_incident_with_tasks(
        &self,
        tenant: &str,
        new: &NewIncident,
        matrix: &PriorityMatrix,
        tasks: &[PlannedTask],
        who: &Actor,
    ) -> Result<StoredIncident, StateError> {
        new.check().map_err(StateError::InvalidInput)?;
        let id = new_incident_id()?;
        let at = who.at();
        let (default_impact, default_urgency) = default_impact_urgency(new.severity);
        let impact = new.impact.unwrap_or(default_impact);
        let urgency = new.urgency.unwrap_or(default_urgency);
        let priority = matrix.priority(impact, urgency);
        let mut attack = new.attack.clone();
        attack.sort();
        attack.dedup();
        let attack = serde_json::to_string(&attack).unwrap_or_else(|_| "[]".into());
        let tasks = with_ids(tasks)?;
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            sqlx::query(
                "INSERT INTO incidents (id, tenant, title, description, classification, severity, impact, urgency, \
                 priority, tlp, pap, status, owner, team, attack, created, created_by, updated) VALUES ($1, $2, $3, \
                 $4, $5, $6, $7, $8, $9, $10, $11, 'new', $12, $13, $14, $15, $16, $15)",
            )
            .bind(&id)
            .bind(tenant)
            .bind(&new.title)
            .bind(new.description.as_deref().unwrap_or(""))
            .bind(&new.classification)
            .bind(i64::from(new.severity.get()))
            .bind(impact.as_str())
            .bind(urgency.as_str())
            .bind(i64::from(priority.get()))
            .bind(new.tlp.unwrap_or(Tlp::Amber).as_str())
            .bind(new.pap.unwrap_or(Pap::Amber).as_str())
            .bind(&new.owner)
            .bind(&new.team)
            .bind(&attack)
            .bind(time::to_db(at))
            .bind(&who.id)
            .execute(&mut *tx)
            .await?;
            let created = NewTimeline::new("created", format!("incident created: {}", new.title)).with_detail(json!({
                "severity": new.severity.get(),
                "priority": priority.get(),
                "classification": new.classification,
            }));
            tx.add_timeline(tenant, &id, &who.id, at, &[created]).await?;
            let linked = tx.link_alerts(tenant, &id, &new.alert_ids, &who.id, at).await?;
            insert_tasks!(tx, tenant, &id, &tasks, &who.id, at);
            tx.add_timeline(tenant, &id, &who.id, at, added_entry(&tasks).as_slice()).await?;
            sqlx::query("UPDATE incidents SET first_event = $1, detected = $2 WHERE id = $3")
                .bind(linked.first_event)
                .bind(linked.detected)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            let entry = who.audit.clone().with_target(format!("incident:{id}")).with_at(at).with_detail(json!({
                "title": new.title,
                "classification": new.classification,
                "severity": new.severity.get(),
                "priority": priority.get(),
                "alerts": linked.ids.len(),
                "tasks": tasks.len(),
                "runbook": tasks.first().and_then(|(_, t)| t.template.clone()),
            }));
            tx.audit(entry).await?;
            tx.commit().await?;
        });
        self.get_incident(tenant, &id, true)
            .await?
            .ok_or_else(|| StateError::Corrupt(format!("incident {id} vanished after its creation")))
    }
}

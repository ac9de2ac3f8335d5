//! Merging incidents: one keeps going, the others close into it.

use super::{INCIDENT_COLUMNS, StoredIncident, incident_from_row};
use crate::db::on_db;
use crate::respond_tx::{Actor, NewTimeline, RespondTx};
use crate::{State, StateError, time};
use serde_json::json;
use sqlx::QueryBuilder;

/// Most incidents folded into another in one merge.
pub const MAX_MERGE: usize = 100;

impl State {
    /// Merges `tenant`'s open incidents `others` into the open incident `into`: their alerts and
    /// manual ATT&CK ids move over, the earliest first-event and detection times are kept, and
    /// each of them is closed with `merged_into` set (the resolution says so). Timeline entries on
    /// both sides and `who.audit`, in one transaction. `None` when `into` does not exist.
    pub async fn merge_incidents(
        &self,
        tenant: &str,
        into: &str,
        others: &[String],
        who: &Actor,
    ) -> Result<Option<StoredIncident>, StateError> {
        let mut ids: Vec<String> = others.to_vec();
        ids.sort();
        ids.dedup();
        if ids.is_empty() || ids.len() > MAX_MERGE {
            return Err(StateError::InvalidInput(format!(
                "incident_ids: give 1 to {MAX_MERGE} incidents to merge"
            )));
        }
        if ids.iter().any(|id| id == into) {
            return Err(StateError::InvalidInput(
                "incident_ids: an incident cannot merge into itself".into(),
            ));
        }
        let at = who.at();
        let at_db = time::to_db(at);
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let mut all = vec![into.to_owned()];
            all.extend(ids.iter().cloned());
            all.sort();
            for id in &all {
                tx.lock_incident(id).await?;
            }
            let mut qb = QueryBuilder::new(format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE tenant = "));
            qb.push_bind(tenant.to_owned()).push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in &all {
                list.push_bind(id.clone());
            }
            qb.push(")");
            let rows = qb.build().fetch_all(&mut *tx).await?;
            let found = rows.iter().map(incident_from_row).collect::<Result<Vec<_>, _>>()?;
            let Some(target) = found.iter().find(|s| s.incident.id == into) else {
                return Ok(None);
            };
            let sources: Vec<&StoredIncident> = found.iter().filter(|s| s.incident.id != into).collect();
            check_mergeable(target, &ids, &sources)?;
            let mut attack = target.incident.attack_manual.clone();
            for s in &sources {
                attack.extend(s.incident.attack_manual.iter().cloned());
            }
            attack.sort();
            attack.dedup();
            let first_event = found.iter().filter_map(|s| s.incident.milestones.first_event).min();
            let detected = found.iter().filter_map(|s| s.incident.milestones.detected).min();
            sqlx::query("UPDATE incidents SET attack = $1, first_event = $2, detected = $3, updated = $4 WHERE id = $5")
                .bind(serde_json::to_string(&attack).unwrap_or_else(|_| "[]".into()))
                .bind(time::opt_to_db(first_event))
                .bind(time::opt_to_db(detected))
                .bind(at_db)
                .bind(into)
                .execute(&mut *tx)
                .await?;
            for s in &sources {
                let id = &s.incident.id;
                let moved = sqlx::query("UPDATE alerts SET incident_id = $1 WHERE incident_id = $2 AND tenant = $3")
                    .bind(into)
                    .bind(id)
                    .bind(tenant)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query(
                    "UPDATE incidents SET status = 'closed', merged_into = $1, updated = $2, \
                     closed = COALESCE(closed, $2), resolved = COALESCE(resolved, $2), \
                     resolution = COALESCE(resolution, $3), lessons_learned = COALESCE(lessons_learned, $4) WHERE id = $5",
                )
                .bind(into)
                .bind(at_db)
                .bind(format!("Merged into incident {into}."))
                .bind(format!("See incident {into}."))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                let closed = NewTimeline::new("merged", format!("merged into incident {into}"))
                    .with_detail(json!({"into": into, "alerts": moved}));
                tx.add_timeline(tenant, id, &who.id, at, &[closed]).await?;
                let took = NewTimeline::new("merged", format!("incident {id} merged in: {}", s.incident.title))
                    .with_detail(json!({"from": id, "alerts": moved}));
                tx.add_timeline(tenant, into, &who.id, at, &[took]).await?;
            }
            let audit = who.audit.clone().with_target(format!("incident:{into}")).with_at(at).with_detail(json!({
                "merged": ids,
            }));
            tx.audit(audit).await?;
            tx.commit().await?;
        });
        self.get_incident(tenant, into, true).await
    }
}

/// Every id was found in the tenant, and all involved incidents are open.
fn check_mergeable(target: &StoredIncident, ids: &[String], sources: &[&StoredIncident]) -> Result<(), StateError> {
    if let Some(missing) = ids.iter().find(|id| !sources.iter().any(|s| &s.incident.id == *id)) {
        return Err(StateError::InvalidInput(format!(
            "incident_ids: no incident has the id `{missing}`"
        )));
    }
    let closed = std::iter::once(target)
        .chain(sources.iter().copied())
        .find(|s| !s.incident.status.is_open());
    match closed {
        Some(s) => Err(StateError::Conflict(format!(
            "incident `{}` is closed; only open incidents merge",
            s.incident.id
        ))),
        None => Ok(()),
    }
}

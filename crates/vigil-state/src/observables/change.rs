//! Observables by hand: adding one, changing its TLP, IOC flag or description, removing one.

use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use vigil_api_types::observables::{NewObservable, Observable, ObservablePatch};

use super::{COLUMNS, TIMELINE_KIND, label, new_observable_id, observable_from_row};
use crate::db::on_db;
use crate::respond_tx::{Actor, NewTimeline, RespondTx};
use crate::{State, StateError, time};

/// What a patch changes on `cur`, and the audit detail; `None` when it would leave it as it is.
fn changes_of(cur: &Observable, patch: &ObservablePatch) -> Option<(Observable, Value)> {
    let mut next = cur.clone();
    let mut detail = serde_json::Map::new();
    if let Some(t) = patch.tlp.filter(|&t| t != cur.tlp) {
        next.tlp = t;
        detail.insert("tlp".into(), json!(t));
    }
    if let Some(i) = patch.ioc.filter(|&i| i != cur.ioc) {
        next.ioc = i;
        detail.insert("ioc".into(), json!(i));
    }
    if let Some(d) = patch.description.as_ref().filter(|&d| *d != cur.description) {
        next.description.clone_from(d);
        detail.insert("description".into(), json!(d));
    }
    (!detail.is_empty()).then_some((next, Value::Object(detail)))
}

impl State {
    /// Adds an observable to `tenant`'s incident `incident_id` by hand (its value checked and
    /// normalised; TLP by default the incident's), with a timeline entry and `who.audit`
    /// (`observable.create`) in one transaction. `None` when the tenant has no such incident;
    /// [`StateError::Conflict`] when the incident has that kind and value already.
    pub async fn add_observable(
        &self,
        tenant: &str,
        incident_id: &str,
        new: &NewObservable,
        who: &Actor,
    ) -> Result<Option<Observable>, StateError> {
        let value = new.check().map_err(StateError::InvalidInput)?;
        let at = who.at();
        let id = new_observable_id()?;
        let select = AssertSqlSafe(format!("SELECT {COLUMNS} FROM observables WHERE id = $1"));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(incident_id).await?;
            let tlp: Option<String> = sqlx::query_scalar("SELECT tlp FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(incident_id)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(incident_tlp) = tlp else {
                return Ok(None);
            };
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT id FROM observables WHERE tenant = $1 AND incident_id = $2 AND kind = $3 AND value = $4",
            )
            .bind(tenant)
            .bind(incident_id)
            .bind(new.kind.as_str())
            .bind(&value)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(other) = existing {
                return Err(StateError::Conflict(format!(
                    "incident {incident_id} has the {} already as observable {other}; change it there",
                    label(new.kind, &value)
                )));
            }
            let tlp = new.tlp.map_or(incident_tlp, |t| t.as_str().to_owned());
            let ioc = new.ioc.unwrap_or(false);
            sqlx::query(
                "INSERT INTO observables (id, tenant, incident_id, kind, value, tlp, ioc, source, sightings, first_seen, \
                 last_seen, description, created, created_by, updated) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'manual', 1, $8, $8, $9, $8, $10, $8)",
            )
            .bind(&id)
            .bind(tenant)
            .bind(incident_id)
            .bind(new.kind.as_str())
            .bind(&value)
            .bind(&tlp)
            .bind(i64::from(ioc))
            .bind(time::to_db(at))
            .bind(new.description.as_deref().unwrap_or(""))
            .bind(&who.id)
            .execute(&mut *tx)
            .await?;
            let detail = json!({"observable_id": id, "kind": new.kind, "value": value, "tlp": tlp, "ioc": ioc});
            let entry = NewTimeline::new(TIMELINE_KIND, format!("observable added: {}", label(new.kind, &value)))
                .with_detail(detail.clone());
            tx.add_timeline(tenant, incident_id, &who.id, at, &[entry]).await?;
            let mut audit_detail = detail;
            audit_detail["incident_id"] = json!(incident_id);
            let audit = who.audit.clone().with_target(format!("observable:{id}")).with_at(at).with_detail(audit_detail);
            tx.audit(audit).await?;
            let row = sqlx::query(select).bind(&id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            observable_from_row(&row).map(Some)
        })
    }

    /// Changes the TLP, IOC flag or description of observable `id` of `tenant`'s incident
    /// `incident_id`, with a timeline entry and `who.audit` (`observable.update`) in one
    /// transaction. `None` when there is no such observable; [`StateError::Conflict`] when the
    /// patch would leave it as it is.
    pub async fn update_observable(
        &self,
        tenant: &str,
        incident_id: &str,
        id: &str,
        patch: &ObservablePatch,
        who: &Actor,
    ) -> Result<Option<Observable>, StateError> {
        patch.check().map_err(StateError::InvalidInput)?;
        let at = who.at();
        let select = AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM observables WHERE id = $1 AND tenant = $2 AND incident_id = $3"
        ));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(incident_id).await?;
            let Some(row) = sqlx::query(select).bind(id).bind(tenant).bind(incident_id).fetch_optional(&mut *tx).await? else {
                return Ok(None);
            };
            let cur = observable_from_row(&row)?;
            let Some((mut next, change)) = changes_of(&cur, patch) else {
                return Err(StateError::Conflict(format!(
                    "the change leaves observable {id} as it is (tlp {}, ioc {})",
                    cur.tlp, cur.ioc
                )));
            };
            sqlx::query("UPDATE observables SET tlp = $1, ioc = $2, description = $3, updated = $4 WHERE id = $5")
                .bind(next.tlp.as_str())
                .bind(i64::from(next.ioc))
                .bind(&next.description)
                .bind(time::to_db(at))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let detail = json!({"observable_id": id, "kind": cur.kind, "value": cur.value, "change": change});
            let text = match (patch.ioc, cur.ioc != next.ioc) {
                (Some(true), true) => format!("observable marked as IOC: {}", label(cur.kind, &cur.value)),
                (Some(false), true) => format!("observable no longer an IOC: {}", label(cur.kind, &cur.value)),
                _ => format!("observable changed: {}", label(cur.kind, &cur.value)),
            };
            let entry = NewTimeline::new(TIMELINE_KIND, text).with_detail(detail.clone());
            tx.add_timeline(tenant, incident_id, &who.id, at, &[entry]).await?;
            let mut audit_detail = detail;
            audit_detail["incident_id"] = json!(incident_id);
            let audit = who.audit.clone().with_target(format!("observable:{id}")).with_at(at).with_detail(audit_detail);
            tx.audit(audit).await?;
            tx.commit().await?;
            next.updated = at;
            Ok(Some(next))
        })
    }

    /// Removes observable `id` from `tenant`'s incident `incident_id`, with a timeline entry and
    /// `who.audit` (`observable.delete`, with its kind and value) in one transaction. `false` when
    /// there is no such observable. An extracted one is not extracted again from alerts already
    /// scanned.
    pub async fn delete_observable(
        &self,
        tenant: &str,
        incident_id: &str,
        id: &str,
        who: &Actor,
    ) -> Result<bool, StateError> {
        let at = who.at();
        let select = AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM observables WHERE id = $1 AND tenant = $2 AND incident_id = $3"
        ));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(incident_id).await?;
            let Some(row) = sqlx::query(select).bind(id).bind(tenant).bind(incident_id).fetch_optional(&mut *tx).await? else {
                return Ok(false);
            };
            let cur = observable_from_row(&row)?;
            sqlx::query("DELETE FROM observables WHERE id = $1").bind(id).execute(&mut *tx).await?;
            let detail = json!({
                "observable_id": id, "kind": cur.kind, "value": cur.value, "ioc": cur.ioc, "source": cur.source,
            });
            let entry = NewTimeline::new(TIMELINE_KIND, format!("observable removed: {}", label(cur.kind, &cur.value)))
                .with_detail(detail.clone());
            tx.add_timeline(tenant, incident_id, &who.id, at, &[entry]).await?;
            let mut audit_detail = detail;
            audit_detail["incident_id"] = json!(incident_id);
            let audit = who.audit.clone().with_target(format!("observable:{id}")).with_at(at).with_detail(audit_detail);
            tx.audit(audit).await?;
            tx.commit().await?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use vigil_api_types::observables::ObservableSource;
    use vigil_respond::{ObservableKind, Tlp};

    fn stored() -> Observable {
        Observable {
            id: "obs-0".into(),
            incident_id: "inc-0".into(),
            kind: ObservableKind::Ip,
            value: "10.0.0.1".into(),
            tlp: Tlp::Amber,
            ioc: false,
            source: ObservableSource::Extracted,
            field: Some("IpAddress".into()),
            alert_id: Some("a1".into()),
            sightings: 1,
            first_seen: Timestamp::UNIX_EPOCH,
            last_seen: Timestamp::UNIX_EPOCH,
            description: String::new(),
            created: Timestamp::UNIX_EPOCH,
            created_by: "system".into(),
            updated: Timestamp::UNIX_EPOCH,
            related: vec![],
            related_total: 0,
        }
    }

    #[test]
    fn a_patch_changes_only_what_differs() {
        let same = ObservablePatch {
            tlp: Some(Tlp::Amber),
            ioc: Some(false),
            description: None,
        };
        assert!(changes_of(&stored(), &same).is_none());
        let patch = ObservablePatch {
            tlp: Some(Tlp::Amber),
            ioc: Some(true),
            description: Some("C2 server".into()),
        };
        let (next, detail) = changes_of(&stored(), &patch).expect("a change");
        assert!(next.ioc);
        assert_eq!(detail, json!({"ioc": true, "description": "C2 server"}));
    }
}

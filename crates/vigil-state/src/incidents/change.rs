//! Changing an incident: fields and status (with milestones and pauses), notes, linking alerts,
//! merging incidents.

use super::{INCIDENT_COLUMNS, StoredIncident, incident_from_row};
use crate::db::on_db;
use crate::respond_tx::{Actor, NewTimeline, RespondTx};
use crate::{State, StateError, time};
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use sqlx::{AssertSqlSafe, QueryBuilder};
use vigil_api_types::incidents::{IncidentPatch, Milestones, NewNote};
use vigil_api_types::triage::{MAX_COMMENT_CHARS, check_text};
use vigil_respond::{IncidentStatus, Milestone, Pause, PriorityMatrix, check_transition, milestones_reached};

/// What a patch changes, worked out against the incident as it is.
#[derive(Debug, Default)]
pub(crate) struct Derived {
    /// Column → new value (text, integer or NULL), in order.
    sets: Vec<(&'static str, Value)>,
    timeline: Vec<NewTimeline>,
    audit: Map<String, Value>,
}

/// A milestone's column, and its first time on `m` (if reached).
fn milestone_column(milestone: Milestone, m: &Milestones) -> (&'static str, Option<Timestamp>) {
    match milestone {
        Milestone::Acknowledged => ("acknowledged", m.acknowledged),
        Milestone::Contained => ("contained", m.contained),
        Milestone::Resolved => ("resolved", m.resolved),
        Milestone::Closed => ("closed", m.closed),
    }
}

/// Text for the audit trail: short values as they are, long ones as their length.
fn audit_value(v: &str) -> Value {
    if v.chars().count() <= 200 {
        json!(v)
    } else {
        json!(format!("{} characters", v.chars().count()))
    }
}

impl Derived {
    fn set(&mut self, col: &'static str, value: Value) {
        self.sets.push((col, value));
    }

    fn text_field(&mut self, col: &'static str, new: Option<&String>, old: Option<&str>) {
        if let Some(v) = new.filter(|v| Some(v.as_str()) != old) {
            self.set(col, json!(v));
            self.audit.insert(col.into(), audit_value(v));
        }
    }

    /// Works out the columns, timeline entries and audit detail of `patch` on `cur` at `at`.
    fn of(
        cur: &StoredIncident,
        patch: &IncidentPatch,
        matrix: &PriorityMatrix,
        at: Timestamp,
    ) -> Result<Derived, StateError> {
        let i = &cur.incident;
        let mut d = Derived::default();
        d.text_field("title", patch.title.as_ref(), Some(&i.title));
        d.text_field("description", patch.description.as_ref(), Some(&i.description));
        d.text_field("classification", patch.classification.as_ref(), Some(&i.classification));
        d.text_field("resolution", patch.resolution.as_ref(), i.resolution.as_deref());
        d.text_field(
            "lessons_learned",
            patch.lessons_learned.as_ref(),
            i.lessons_learned.as_deref(),
        );
        for (col, new, old) in [("owner", &patch.owner, &i.owner), ("team", &patch.team, &i.team)] {
            if let Some(v) = new.as_ref().filter(|v| *v != old) {
                d.set(col, json!(v));
                d.audit.insert(col.into(), json!(v));
            }
        }
        d.markings(cur, patch, matrix);
        if let Some(attack) = &patch.attack {
            let mut ids = attack.clone();
            ids.sort();
            ids.dedup();
            d.set(
                "attack",
                json!(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())),
            );
            d.audit.insert("attack".into(), json!(ids));
        }
        let changed: Vec<String> = d.audit.keys().cloned().collect();
        if !changed.is_empty() {
            d.timeline.push(
                NewTimeline::new("updated", format!("changed: {}", changed.join(", ")))
                    .with_detail(Value::Object(d.audit.clone())),
            );
        }
        if let Some(to) = patch.status.filter(|&s| s != i.status) {
            d.status(cur, patch, to, at)?;
        } else if let Some(s) = patch.status {
            return Err(StateError::Conflict(format!("the incident is already {}", s.as_str())));
        }
        if let Some(c) = &patch.comment {
            d.timeline.push(NewTimeline::new("note", c.clone()));
            d.audit.insert("comment".into(), audit_value(c));
        }
        Ok(d)
    }

    /// Severity, impact, urgency, TLP, PAP, and the priority they give.
    fn markings(&mut self, cur: &StoredIncident, patch: &IncidentPatch, matrix: &PriorityMatrix) {
        let i = &cur.incident;
        if let Some(s) = patch.severity.filter(|&s| s != i.severity) {
            self.set("severity", json!(s.get()));
            self.audit.insert("severity".into(), json!(s.get()));
        }
        let impact = patch.impact.unwrap_or(i.impact);
        let urgency = patch.urgency.unwrap_or(i.urgency);
        if impact != i.impact {
            self.set("impact", json!(impact.as_str()));
            self.audit.insert("impact".into(), json!(impact.as_str()));
        }
        if urgency != i.urgency {
            self.set("urgency", json!(urgency.as_str()));
            self.audit.insert("urgency".into(), json!(urgency.as_str()));
        }
        let priority = matrix.priority(impact, urgency);
        if priority != i.priority {
            self.set("priority", json!(priority.get()));
            self.audit.insert("priority".into(), json!(priority.get()));
        }
        if let Some(t) = patch.tlp.filter(|&t| t != i.tlp) {
            self.set("tlp", json!(t.as_str()));
            self.audit.insert("tlp".into(), json!(t.as_str()));
        }
        if let Some(p) = patch.pap.filter(|&p| p != i.pap) {
            self.set("pap", json!(p.as_str()));
            self.audit.insert("pap".into(), json!(p.as_str()));
        }
    }

    /// A status change: allowed transitions, what closing needs, milestones, pauses.
    fn status(
        &mut self,
        cur: &StoredIncident,
        patch: &IncidentPatch,
        to: IncidentStatus,
        at: Timestamp,
    ) -> Result<(), StateError> {
        let i = &cur.incident;
        check_transition(i.status, to).map_err(|e| StateError::Conflict(e.to_string()))?;
        if to == IncidentStatus::Closed {
            let has = |new: &Option<String>, old: &Option<String>| new.is_some() || old.is_some();
            if !has(&patch.resolution, &i.resolution) {
                return Err(StateError::InvalidInput(
                    "resolution: closing an incident needs one (how it was resolved)".into(),
                ));
            }
            if !has(&patch.lessons_learned, &i.lessons_learned) {
                return Err(StateError::InvalidInput(
                    "lessons_learned: closing an incident needs a lessons-learned summary".into(),
                ));
            }
        }
        self.set("status", json!(to.as_str()));
        self.audit.insert("status".into(), json!(to.as_str()));
        for &milestone in milestones_reached(to) {
            // Only the first time is kept.
            if let (col, None) = milestone_column(milestone, &i.milestones) {
                self.set(col, json!(time::to_db(at)));
            }
        }
        let mut pauses = cur.pauses.clone();
        if i.status == IncidentStatus::OnHold
            && let Some(open) = pauses.last_mut().filter(|p| p.to.is_none())
        {
            open.to = Some(at);
        }
        if to == IncidentStatus::OnHold {
            pauses.push(Pause { from: at, to: None });
        }
        if pauses.len() != cur.pauses.len() || i.status == IncidentStatus::OnHold {
            self.set(
                "pauses",
                json!(serde_json::to_string(&pauses).unwrap_or_else(|_| "[]".into())),
            );
        }
        self.timeline.push(
            NewTimeline::new(
                "status_changed",
                format!("status: {} → {}", i.status.as_str(), to.as_str()),
            )
            .with_detail(json!({"from": i.status.as_str(), "to": to.as_str()})),
        );
        Ok(())
    }
}

/// Binds a JSON scalar of [`Derived::sets`] as the column's SQL value.
macro_rules! push_value {
    ($qb:ident, $v:expr) => {
        match $v {
            Value::Number(n) => $qb.push_bind(n.as_i64()),
            Value::String(s) => $qb.push_bind(s.clone()),
            _ => $qb.push_bind(None::<String>),
        }
    };
}

impl State {
    /// Applies `patch` to `tenant`'s incident `id` (`None` when there is none): fields, status
    /// (allowed transitions; closing needs a resolution and lessons learned; the first time of
    /// each milestone is kept; `on_hold` opens a pause, leaving it closes it), its timeline
    /// entries and `who.audit`, in one transaction. The caller checks who may close or reopen.
    pub async fn update_incident(
        &self,
        tenant: &str,
        id: &str,
        patch: &IncidentPatch,
        matrix: &PriorityMatrix,
        who: &Actor,
    ) -> Result<Option<StoredIncident>, StateError> {
        patch.check().map_err(StateError::InvalidInput)?;
        let at = who.at();
        let sql = AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1 AND tenant = $2"
        ));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(id).await?;
            let row = sqlx::query(sql).bind(id).bind(tenant).fetch_optional(&mut *tx).await?;
            let Some(cur) = row.as_ref().map(incident_from_row).transpose()? else {
                return Ok(None);
            };
            let d = Derived::of(&cur, patch, matrix, at)?;
            if patch.status == Some(IncidentStatus::Closed) {
                let pending = crate::tasks::pending_mandatory!(tx, tenant, id);
                if !pending.is_empty() {
                    return Err(StateError::Conflict(format!(
                        "{} mandatory task(s) still pending: {}; finish or skip them first",
                        pending.len(),
                        pending.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
            if d.sets.is_empty() && d.timeline.is_empty() {
                return Err(StateError::Conflict("the change leaves the incident as it is".into()));
            }
            let mut qb = QueryBuilder::new("UPDATE incidents SET updated = ");
            qb.push_bind(time::to_db(at));
            for (col, value) in &d.sets {
                qb.push(format!(", {col} = "));
                push_value!(qb, value);
            }
            qb.push(" WHERE id = ").push_bind(id.to_owned());
            qb.build().execute(&mut *tx).await?;
            tx.add_timeline(tenant, id, &who.id, at, &d.timeline).await?;
            let entry = who.audit.clone().with_target(format!("incident:{id}")).with_at(at).with_detail(Value::Object(d.audit));
            tx.audit(entry).await?;
            tx.commit().await?;
        });
        self.get_incident(tenant, id, true).await
    }

    /// Adds an analyst's note to the timeline of `tenant`'s incident `id` (`None` when there is
    /// none); audited without its text.
    pub async fn add_incident_note(
        &self,
        tenant: &str,
        id: &str,
        note: &NewNote,
        who: &Actor,
    ) -> Result<Option<StoredIncident>, StateError> {
        check_text("text", &note.text, MAX_COMMENT_CHARS, true).map_err(StateError::InvalidInput)?;
        let at = who.at();
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT seq FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Ok(None);
            }
            let mut entry = NewTimeline::new("note", note.text.clone());
            entry.occurred_at = note.occurred_at;
            tx.add_timeline(tenant, id, &who.id, at, &[entry]).await?;
            let audit = who.audit.clone().with_target(format!("incident:{id}")).with_at(at).with_detail(json!({
                "characters": note.text.chars().count(),
                "occurred_at": note.occurred_at.map(|t| t.to_string()),
            }));
            tx.audit(audit).await?;
            tx.commit().await?;
        });
        self.get_incident(tenant, id, true).await
    }

    /// Merges `tenant`'s alerts `alert_ids` into the open incident `id` (`None` when there is no
    /// such incident); its first-event and detection times move earlier if theirs are.
    pub async fn link_incident_alerts(
        &self,
        tenant: &str,
        id: &str,
        alert_ids: &[String],
        who: &Actor,
    ) -> Result<Option<StoredIncident>, StateError> {
        if alert_ids.is_empty() || alert_ids.len() > vigil_api_types::incidents::MAX_LINK_IDS {
            return Err(StateError::InvalidInput("alert_ids: give 1 to 1000 alert ids".into()));
        }
        let at = who.at();
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(id).await?;
            let status: Option<String> = sqlx::query_scalar("SELECT status FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            match status.as_deref() {
                None => return Ok(None),
                Some("closed") => return Err(StateError::Conflict("the incident is closed; reopen it first".into())),
                Some(_) => {}
            }
            let linked = tx.link_alerts(tenant, id, alert_ids, &who.id, at).await?;
            sqlx::query(
                "UPDATE incidents SET updated = $1, \
                 first_event = CASE WHEN first_event IS NULL OR $2 < first_event THEN $2 ELSE first_event END, \
                 detected = CASE WHEN detected IS NULL OR $3 < detected THEN $3 ELSE detected END WHERE id = $4",
            )
            .bind(time::to_db(at))
            .bind(linked.first_event)
            .bind(linked.detected)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let audit = who.audit.clone().with_target(format!("incident:{id}")).with_at(at).with_detail(json!({
                "alerts": linked.ids.iter().take(100).collect::<Vec<_>>(),
                "count": linked.ids.len(),
            }));
            tx.audit(audit).await?;
            tx.commit().await?;
        });
        self.get_incident(tenant, id, true).await
    }
}

//! Alert triage: status, disposition, assignee and comments, one alert or many at once.
//!
//! A change is set-based: one `UPDATE … RETURNING id` over the selected alerts whose status allows
//! it, one history row per changed alert (`alert_changes`) and one audit entry ([`RespondTx`]),
//! all in one write transaction — the change, its history and its audit entry commit together or
//! not at all.

use crate::alerts::{push_filters, push_status_in};
use crate::audit::NewAuditEntry;
use crate::db::{DbRow, on_db};
use crate::respond_tx::{Actor, RespondTx};
use crate::{AlertQuery, State, StateError, time};
use serde_json::{Map, Value, json};
use sqlx::{Database, Encode, QueryBuilder, Type};
use vigil_api_types::triage::{AlertChange, AlertUpdate, MAX_BULK_IDS, MAX_BULK_MATCHES};
use vigil_respond::AlertStatus;

/// Which alerts a triage change applies to (always within one tenant).
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// These ids.
    Ids(&'a [String]),
    /// Every alert matching the query's filters (its cursor and limit are ignored).
    Filter(&'a AlertQuery),
}

/// Who makes a triage change, and what may they do.
#[derive(Debug, Clone)]
pub struct Triager {
    /// Who and when; the audit entry's detail is completed with the change and the counts.
    pub actor: Actor,
    /// Whether closed alerts may be reopened (`alert:reopen`).
    pub may_reopen: bool,
}

/// What a triage change selected and changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriageCount {
    /// Alerts the selection holds.
    pub matched: u64,
    /// Alerts the change applied (or would apply) to.
    pub updated: u64,
}

/// The statuses an alert may be in for `update` to apply to it.
pub fn eligible_statuses(update: &AlertUpdate, may_reopen: bool) -> Vec<AlertStatus> {
    use AlertStatus::{Acknowledged, Closed, Merged, New};
    match update.status {
        Some(Acknowledged) => vec![New],
        Some(Closed) => vec![New, Acknowledged],
        Some(New) if may_reopen => vec![Acknowledged, Closed],
        Some(New) => vec![Acknowledged],
        Some(Merged) => vec![],
        // Assigning concerns open alerts; a comment alone may go on any.
        None if update.assignee.is_some() => vec![New, Acknowledged],
        None => vec![New, Acknowledged, Closed, Merged],
    }
}

/// The history row's object: what the change set.
pub(crate) fn change_object(update: &AlertUpdate) -> Value {
    let mut m = Map::new();
    if let Some(s) = update.status {
        m.insert("status".into(), json!(s.as_str()));
    }
    if let Some(d) = update.disposition {
        m.insert("disposition".into(), json!(d.as_str()));
    }
    if let Some(a) = &update.assignee {
        m.insert("assignee".into(), json!(a));
    }
    if let Some(c) = &update.comment {
        m.insert("comment".into(), json!(c));
    }
    Value::Object(m)
}

/// ` WHERE tenant = … AND (id IN … | filters)`.
pub(crate) fn push_selection<DB>(qb: &mut QueryBuilder<DB>, tenant: &str, sel: Selection<'_>)
where
    DB: Database,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
{
    match sel {
        Selection::Filter(q) => push_filters(qb, tenant, q),
        Selection::Ids(ids) => {
            qb.push(" WHERE tenant = ").push_bind(tenant.to_owned());
            qb.push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in ids {
                list.push_bind(id.clone());
            }
            qb.push(")");
        }
    }
}

/// The `SET` list of `update` (after `UPDATE alerts SET `).
pub(crate) fn push_set<DB>(qb: &mut QueryBuilder<DB>, update: &AlertUpdate, actor: &str, at: i64)
where
    DB: Database,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
    for<'a> Option<String>: Encode<'a, DB> + Type<DB>,
{
    qb.push("updated = ").push_bind(at);
    qb.push(", updated_by = ").push_bind(actor.to_owned());
    match update.status {
        Some(AlertStatus::Acknowledged) => {
            qb.push(", status = 'acknowledged', acknowledged = COALESCE(acknowledged, ")
                .push_bind(at)
                .push("), acknowledged_by = COALESCE(acknowledged_by, ")
                .push_bind(actor.to_owned())
                .push(")");
        }
        Some(AlertStatus::Closed) => {
            qb.push(", status = 'closed', closed = ").push_bind(at);
            qb.push(", closed_by = ").push_bind(actor.to_owned());
            qb.push(", disposition = ")
                .push_bind(update.disposition.map(|d| d.as_str().to_owned()));
        }
        Some(AlertStatus::New) => {
            qb.push(", status = 'new', closed = NULL, closed_by = NULL, disposition = NULL");
        }
        Some(AlertStatus::Merged) | None => {}
    }
    if let Some(assignee) = &update.assignee {
        qb.push(", assignee = ").push_bind(assignee.clone());
    }
}

fn count_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl State {
    /// How many of `tenant`'s alerts `sel` holds, and to how many `update` would apply.
    pub async fn count_triage(
        &self,
        tenant: &str,
        sel: Selection<'_>,
        update: &AlertUpdate,
        may_reopen: bool,
    ) -> Result<TriageCount, StateError> {
        check_selection(sel)?;
        let eligible = eligible_statuses(update, may_reopen);
        on_db!(self, db => {
            let mut all = QueryBuilder::new("SELECT COUNT(*) FROM alerts");
            push_selection(&mut all, tenant, sel);
            let mut applicable = QueryBuilder::new("SELECT COUNT(*) FROM alerts");
            push_selection(&mut applicable, tenant, sel);
            applicable.push(" AND ");
            push_status_in(&mut applicable, &eligible);
            let mut tx = db.read_tx().await?;
            let matched: i64 = all.build_query_scalar().fetch_one(&mut *tx).await?;
            let updated: i64 = if eligible.is_empty() {
                0
            } else {
                applicable.build_query_scalar().fetch_one(&mut *tx).await?
            };
            tx.commit().await?;
            Ok(TriageCount { matched: count_of(matched), updated: count_of(updated) })
        })
    }

    /// Applies `update` to the alerts of `sel` whose status allows it, keeps one history row per
    /// changed alert and records `who.audit` (with the change and the counts in its detail) — all
    /// in one transaction. With `expect`, refuses ([`StateError::Conflict`]) unless the selection
    /// still holds that many alerts. Nothing changed, nothing audited.
    pub async fn triage_alerts(
        &self,
        tenant: &str,
        sel: Selection<'_>,
        update: &AlertUpdate,
        who: &Triager,
        expect: Option<u64>,
    ) -> Result<TriageCount, StateError> {
        check_selection(sel)?;
        update.check().map_err(StateError::InvalidInput)?;
        let eligible = eligible_statuses(update, who.may_reopen);
        let when = who.actor.at();
        let at = time::to_db(when);
        let change = change_object(update);
        let change_text = change.to_string();
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let mut all = QueryBuilder::new("SELECT COUNT(*) FROM alerts");
            push_selection(&mut all, tenant, sel);
            let matched = count_of(all.build_query_scalar().fetch_one(&mut *tx).await?);
            if let Some(expected) = expect.filter(|&e| e != matched) {
                return Err(StateError::Conflict(format!(
                    "the selection holds {matched} alerts now, not the {expected} expected; count again"
                )));
            }
            if matched > MAX_BULK_MATCHES {
                return Err(StateError::InvalidInput(format!(
                    "the selection holds {matched} alerts; one action changes at most {MAX_BULK_MATCHES}: narrow the filter"
                )));
            }
            if eligible.is_empty() {
                return Ok(TriageCount { matched, updated: 0 });
            }
            let ids = tx.apply_triage(tenant, sel, update, &eligible, &who.actor.id, at, &change_text).await?;
            let updated = ids.len() as u64;
            if updated > 0 {
                let entry = audit_entry(&who.actor, sel, &change, matched, &ids).with_at(when);
                tx.audit(entry).await?;
            }
            tx.commit().await?;
            Ok(TriageCount { matched, updated })
        })
    }

    /// The history of `tenant`'s alert `id`, oldest first (`None` when there is no such alert).
    pub async fn alert_history(&self, tenant: &str, id: &str) -> Result<Option<Vec<AlertChange>>, StateError> {
        let Some(_) = self.get_alert(tenant, id).await? else {
            return Ok(None);
        };
        on_db!(self, db => {
            let rows = sqlx::query(
                "SELECT at, actor, change FROM alert_changes WHERE alert_id = $1 AND tenant = $2 ORDER BY seq",
            )
            .bind(id)
            .bind(tenant)
            .fetch_all(&db.reader)
            .await?;
            rows.iter()
                .map(|row| {
                    let change = row.text("change")?;
                    Ok(AlertChange {
                        at: row.instant("at")?,
                        actor: row.text("actor")?,
                        change: serde_json::from_str(&change)
                            .map_err(|e| StateError::Corrupt(format!("alert change: {e}")))?,
                    })
                })
                .collect::<Result<Vec<_>, StateError>>()
                .map(Some)
        })
    }
}

fn check_selection(sel: Selection<'_>) -> Result<(), StateError> {
    match sel {
        Selection::Ids([]) => Err(StateError::InvalidInput("ids: name at least one alert".into())),
        Selection::Ids(ids) if ids.len() > MAX_BULK_IDS => Err(StateError::InvalidInput(format!(
            "ids: at most {MAX_BULK_IDS} in one action"
        ))),
        _ => Ok(()),
    }
}

/// The audit entry of a triage change: the change, the selection (a single id as the target; up
/// to 100 ids or the filter in the detail) and the counts.
pub(crate) fn audit_entry(
    who: &Actor,
    sel: Selection<'_>,
    change: &Value,
    matched: u64,
    ids: &[String],
) -> NewAuditEntry {
    let mut detail = json!({"change": change, "matched": matched, "updated": ids.len()});
    let mut entry = who.audit.clone();
    match sel {
        Selection::Ids([one]) => entry = entry.with_target(format!("alert:{one}")),
        Selection::Ids(_) => detail["ids"] = json!(ids.iter().take(100).collect::<Vec<_>>()),
        Selection::Filter(q) => detail["filter"] = serde_json::to_value(q).unwrap_or(Value::Null),
    }
    // The comment can be long; the audit trail keeps its length and the history keeps the text.
    if let Some(c) = change.get("comment").and_then(Value::as_str) {
        detail["change"]["comment"] = json!(format!("{} characters", c.chars().count()));
    }
    entry.with_detail(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_respond::Disposition;

    #[test]
    fn statuses_a_change_applies_to() {
        let set = |status| AlertUpdate {
            status: Some(status),
            disposition: (status == AlertStatus::Closed).then_some(Disposition::Duplicate),
            ..AlertUpdate::default()
        };
        assert_eq!(
            eligible_statuses(&set(AlertStatus::Acknowledged), false),
            [AlertStatus::New]
        );
        assert!(!eligible_statuses(&set(AlertStatus::New), false).contains(&AlertStatus::Closed));
        assert!(eligible_statuses(&set(AlertStatus::New), true).contains(&AlertStatus::Closed));
        assert!(!eligible_statuses(&set(AlertStatus::Closed), true).contains(&AlertStatus::Merged));
        let assign = AlertUpdate {
            assignee: Some(Some("bob".into())),
            ..AlertUpdate::default()
        };
        assert!(!eligible_statuses(&assign, true).contains(&AlertStatus::Closed));
    }

    #[test]
    fn long_comments_stay_out_of_the_audit_trail() {
        let who = Actor {
            id: "user:a".into(),
            audit: NewAuditEntry::new("user:a", "alert.update", crate::AuditOutcome::Success),
            at: None,
        };
        let change = json!({"comment": "x".repeat(5000)});
        let e = audit_entry(&who, Selection::Ids(&["a1".into()]), &change, 1, &["a1".into()]);
        assert_eq!(e.target.as_deref(), Some("alert:a1"));
        assert_eq!(e.detail.expect("detail")["change"]["comment"], "5000 characters");
    }
}

//! Suppression rules: a rule id (or `*`) and exact conditions on the event's fields; a detection
//! match they cover raises no alert, but is counted on the suppression (`hits`, `last_hit`) and
//! listed in `suppressed_matches` — never silent.
//!
//! Every change (create, update, delete) writes its audit entry (`suppression.create`,
//! `suppression.update`, `suppression.delete`) in the transaction that makes it; made from an
//! alert ([`State::suppress_alert`]), closing that alert is part of the same transaction and
//! audited as `alert.update`. The pipeline reads the active suppressions of every tenant
//! ([`State::active_suppressions`]) and records what they suppressed in batches
//! ([`State::record_suppressed`]): each match once (keyed by the id its alert would have had),
//! whatever the number of deliveries.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, QueryBuilder};
use vigil_api_types::suppressions::{
    Condition, NewSuppression, SuppressedMatch, SuppressedMatchPage, Suppression, SuppressionPage, SuppressionPatch,
};
use vigil_api_types::triage::AlertUpdate;
use vigil_respond::{AlertStatus, Disposition};

use crate::cursor::{self, Listing};
use crate::db::{DbRow, on_db};
use crate::respond_tx::{Actor, RespondTx};
use crate::triage::{Selection, audit_entry, change_object};
use crate::{State, StateError, time};

/// A suppressed match to record (the pipeline's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSuppressedMatch {
    /// The id the alert would have had (rule and event): a match delivered again is counted once.
    pub match_id: String,
    pub suppression_id: String,
    pub tenant: String,
    pub rule_id: String,
    pub event_id: String,
    /// When it was suppressed.
    pub at: Timestamp,
}

/// Filters and paging of [`State::list_suppressions`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuppressionQuery {
    /// Only suppressions of this rule id (`*` for those of every rule).
    pub rule_id: Option<String>,
    /// Only those that suppress now (`true`) or do not (`false`: disabled or expired).
    pub active: Option<bool>,
    /// Page size (clamped like the alert listing) and the previous page's cursor.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Paging of [`State::list_suppressed_matches`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

const SUPPRESSION_COLUMNS: &str = "seq, id, tenant, rule_id, conditions, reason, author, alert_id, created, expires, \
    disabled, updated, updated_by, hits, last_hit";

/// A fresh suppression id: `sup-` and 16 hexadecimal digits.
fn new_suppression_id() -> Result<String, StateError> {
    Ok(format!("sup-{}", hex::encode(crate::tokens::random::<8>()?)))
}

fn conditions_text(conditions: &[Condition]) -> String {
    serde_json::to_string(conditions).unwrap_or_else(|_| "[]".into())
}

fn suppression_from_row(row: &impl DbRow, now: Timestamp) -> Result<Suppression, StateError> {
    let conditions: Vec<Condition> = serde_json::from_str(&row.text("conditions")?)
        .map_err(|e| StateError::Corrupt(format!("suppression conditions: {e}")))?;
    let mut s = Suppression {
        id: row.text("id")?,
        tenant: row.text("tenant")?,
        rule_id: row.text("rule_id")?,
        conditions,
        reason: row.text("reason")?,
        author: row.text("author")?,
        created: row.instant("created")?,
        expires: row.opt_instant("expires")?,
        disabled: row.int("disabled")? != 0,
        active: false,
        updated: row.opt_instant("updated")?,
        updated_by: row.opt_text("updated_by")?,
        alert_id: row.opt_text("alert_id")?,
        hits: u64::try_from(row.int("hits")?).unwrap_or(0),
        last_hit: row.opt_instant("last_hit")?,
    };
    s.active = s.active_at(now);
    Ok(s)
}

fn match_from_row(row: &impl DbRow) -> Result<SuppressedMatch, StateError> {
    Ok(SuppressedMatch {
        seq: row.int("seq")?,
        suppression_id: row.text("suppression_id")?,
        rule_id: row.text("rule_id")?,
        event_id: row.text("event_id")?,
        at: row.instant("at")?,
    })
}

/// ` WHERE tenant = … AND …` of a suppression listing.
fn push_filters<DB>(qb: &mut QueryBuilder<DB>, tenant: &str, q: &SuppressionQuery, now: i64)
where
    DB: sqlx::Database,
    for<'a> String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE tenant = ").push_bind(tenant.to_owned());
    if let Some(rule) = &q.rule_id {
        qb.push(" AND rule_id = ").push_bind(rule.clone());
    }
    match q.active {
        Some(true) => {
            qb.push(" AND disabled = 0 AND (expires IS NULL OR expires > ")
                .push_bind(now)
                .push(")");
        }
        Some(false) => {
            qb.push(" AND (disabled <> 0 OR expires <= ").push_bind(now).push(")");
        }
        None => {}
    }
}

/// The audit detail of a new suppression.
fn created_detail(s: &Suppression) -> Value {
    let mut detail = json!({
        "rule_id": s.rule_id,
        "conditions": s.conditions,
        "reason": s.reason,
        "expires": s.expires,
    });
    if let Some(alert) = &s.alert_id {
        detail["alert_id"] = json!(alert);
    }
    detail
}

/// What a patch changes on `cur`: the new values (disabled, expires, reason) and the audit detail.
/// `None` when it would leave the suppression as it is.
fn changes_of(cur: &Suppression, patch: &SuppressionPatch) -> Option<(Suppression, Value)> {
    let mut next = cur.clone();
    let mut detail = serde_json::Map::new();
    if let Some(d) = patch.disabled.filter(|&d| d != cur.disabled) {
        next.disabled = d;
        detail.insert("disabled".into(), json!(d));
    }
    if let Some(e) = patch.expires.filter(|&e| e != cur.expires) {
        next.expires = e;
        detail.insert("expires".into(), json!(e));
    }
    if let Some(r) = patch.reason.as_ref().filter(|&r| *r != cur.reason) {
        next.reason.clone_from(r);
        detail.insert("reason".into(), json!(r));
    }
    (!detail.is_empty()).then(|| (next, json!({ "change": detail })))
}

/// The triage change that closes an alert a suppression was made from.
fn close_update(d: Disposition) -> AlertUpdate {
    AlertUpdate {
        status: Some(AlertStatus::Closed),
        disposition: Some(d),
        ..AlertUpdate::default()
    }
}

/// Its history row: the triage change and the suppression it came with.
fn close_change(update: &AlertUpdate, suppression: &str) -> Value {
    let mut change = change_object(update);
    change["suppression"] = json!(suppression);
    change
}

impl State {
    /// Creates a suppression in `tenant` by `who` (its author), audited as `who.audit`
    /// (`suppression.create`) in the same transaction.
    pub async fn create_suppression(
        &self,
        tenant: &str,
        new: &NewSuppression,
        who: &Actor,
    ) -> Result<Suppression, StateError> {
        let (suppression, _) = self.insert_suppression(tenant, new, None, who).await?;
        suppression.ok_or_else(|| StateError::Corrupt("a suppression without an alert was not made".into()))
    }

    /// Creates a suppression made from `tenant`'s alert `alert_id` ("suppress alerts like this")
    /// and, with `close_as`, closes that alert if it is still open (`new` or `acknowledged`), with
    /// a history row — all in one transaction, audited as `who.audit` (`suppression.create`) and
    /// `alert.update`. `None` when the tenant has no such alert; otherwise the suppression and
    /// whether the alert was closed.
    pub async fn suppress_alert(
        &self,
        tenant: &str,
        alert_id: &str,
        new: &NewSuppression,
        close_as: Option<Disposition>,
        who: &Actor,
    ) -> Result<Option<(Suppression, bool)>, StateError> {
        let (suppression, closed) = self
            .insert_suppression(tenant, new, Some((alert_id, close_as)), who)
            .await?;
        Ok(suppression.map(|s| (s, closed)))
    }

    async fn insert_suppression(
        &self,
        tenant: &str,
        new: &NewSuppression,
        alert: Option<(&str, Option<Disposition>)>,
        who: &Actor,
    ) -> Result<(Option<Suppression>, bool), StateError> {
        let at = who.at();
        new.check(at).map_err(StateError::InvalidInput)?;
        let suppression = Suppression {
            id: new_suppression_id()?,
            tenant: tenant.to_owned(),
            rule_id: new.rule_id.clone(),
            conditions: new.conditions.clone(),
            reason: new.reason.clone(),
            author: who.id.clone(),
            created: at,
            expires: new.expires,
            disabled: false,
            active: true,
            updated: None,
            updated_by: None,
            alert_id: alert.map(|(id, _)| id.to_owned()),
            hits: 0,
            last_hit: None,
        };
        let at_db = time::to_db(at);
        let create = who
            .audit
            .clone()
            .with_target(format!("suppression:{}", suppression.id))
            .with_at(at)
            .with_detail(created_detail(&suppression));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let mut closed = false;
            if let Some((alert_id, close_as)) = alert {
                let found: Option<String> = sqlx::query_scalar("SELECT status FROM alerts WHERE id = $1 AND tenant = $2")
                    .bind(alert_id)
                    .bind(tenant)
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Ok((None, false));
                }
                if let Some(d) = close_as {
                    let update = close_update(d);
                    let change = close_change(&update, &suppression.id).to_string();
                    let open = [AlertStatus::New, AlertStatus::Acknowledged];
                    let ids = [alert_id.to_owned()];
                    let changed = tx.apply_triage(tenant, Selection::Ids(&ids), &update, &open, &who.id, at_db, &change).await?;
                    closed = !changed.is_empty();
                }
            }
            sqlx::query(
                "INSERT INTO suppressions (id, tenant, rule_id, conditions, reason, author, alert_id, created, expires) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&suppression.id)
            .bind(tenant)
            .bind(&suppression.rule_id)
            .bind(conditions_text(&suppression.conditions))
            .bind(&suppression.reason)
            .bind(&suppression.author)
            .bind(&suppression.alert_id)
            .bind(at_db)
            .bind(time::opt_to_db(suppression.expires))
            .execute(&mut *tx)
            .await?;
            tx.audit(create).await?;
            if let (true, Some((alert_id, Some(d)))) = (closed, alert) {
                let mut entry = who.clone();
                entry.audit.action = "alert.update".into();
                let change = close_change(&close_update(d), &suppression.id);
                let ids = [alert_id.to_owned()];
                tx.audit(audit_entry(&entry, Selection::Ids(&ids), &change, 1, &ids).with_at(at)).await?;
            }
            tx.commit().await?;
            Ok((Some(suppression), closed))
        })
    }

    /// `tenant`'s suppression `id`, its `active` flag as of `now`.
    pub async fn get_suppression(
        &self,
        tenant: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<Suppression>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE id = $1 AND tenant = $2"
        ));
        on_db!(self, db => {
            let row = sqlx::query(sql).bind(id).bind(tenant).fetch_optional(&db.reader).await?;
            row.map(|r| suppression_from_row(&r, now)).transpose()
        })
    }

    /// One page of `tenant`'s suppressions matching `q`, newest first, with the total; `active`
    /// (the flag and the filter) as of `now`.
    pub async fn list_suppressions(
        &self,
        tenant: &str,
        q: &SuppressionQuery,
        now: Timestamp,
    ) -> Result<SuppressionPage, StateError> {
        let after = q
            .cursor
            .as_deref()
            .map(|c| cursor::decode(Listing::Suppressions, c))
            .transpose()?;
        let limit = crate::alerts::effective_limit(q.limit);
        let now_db = time::to_db(now);
        let (suppressions, more, total, last_seq) = on_db!(self, db => {
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM suppressions");
            push_filters(&mut count, tenant, q, now_db);
            let mut page = QueryBuilder::new(format!("SELECT {SUPPRESSION_COLUMNS} FROM suppressions"));
            push_filters(&mut page, tenant, q, now_db);
            if let Some(after) = after {
                page.push(" AND seq < ").push_bind(after);
            }
            page.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(limit) + 1);
            let mut tx = db.read_tx().await?;
            let rows = page.build().fetch_all(&mut *tx).await?;
            let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
            tx.commit().await?;
            let kept = &rows[..rows.len().min(limit as usize)];
            let list = kept.iter().map(|r| suppression_from_row(r, now)).collect::<Result<Vec<_>, _>>()?;
            let last_seq = kept.last().map(|r| r.int("seq")).transpose()?;
            (list, rows.len() > limit as usize, total, last_seq)
        });
        let next_cursor = match last_seq {
            Some(seq) if more => Some(cursor::encode(Listing::Suppressions, seq)),
            _ => None,
        };
        Ok(SuppressionPage {
            suppressions,
            next_cursor,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// Changes `tenant`'s suppression `id` (disabled, expiry, reason), audited as `who.audit`
    /// (`suppression.update`) in the same transaction. `None` when there is none;
    /// [`StateError::Conflict`] when the patch would leave it as it is.
    pub async fn update_suppression(
        &self,
        tenant: &str,
        id: &str,
        patch: &SuppressionPatch,
        who: &Actor,
    ) -> Result<Option<Suppression>, StateError> {
        let at = who.at();
        patch.check(at).map_err(StateError::InvalidInput)?;
        let at_db = time::to_db(at);
        let select = AssertSqlSafe(format!(
            "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE id = $1 AND tenant = $2"
        ));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let Some(row) = sqlx::query(select).bind(id).bind(tenant).fetch_optional(&mut *tx).await? else {
                return Ok(None);
            };
            let cur = suppression_from_row(&row, at)?;
            let Some((mut next, detail)) = changes_of(&cur, patch) else {
                return Err(StateError::Conflict(format!(
                    "the change leaves suppression {id} as it is ({})",
                    if cur.disabled { "disabled" } else { "enabled" }
                )));
            };
            sqlx::query(
                "UPDATE suppressions SET disabled = $1, expires = $2, reason = $3, updated = $4, updated_by = $5 \
                 WHERE id = $6 AND tenant = $7",
            )
            .bind(i64::from(next.disabled))
            .bind(time::opt_to_db(next.expires))
            .bind(&next.reason)
            .bind(at_db)
            .bind(&who.id)
            .bind(id)
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
            let entry = who.audit.clone().with_target(format!("suppression:{id}")).with_at(at).with_detail(detail);
            tx.audit(entry).await?;
            tx.commit().await?;
            next.updated = Some(at);
            next.updated_by = Some(who.id.clone());
            next.active = next.active_at(at);
            Ok(Some(next))
        })
    }

    /// Deletes `tenant`'s suppression `id` and its listed matches, audited as `who.audit`
    /// (`suppression.delete`, with its rule, conditions, reason and hits) in the same transaction.
    /// `false` when there is none.
    pub async fn delete_suppression(&self, tenant: &str, id: &str, who: &Actor) -> Result<bool, StateError> {
        let at = who.at();
        let select = AssertSqlSafe(format!(
            "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE id = $1 AND tenant = $2"
        ));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let Some(row) = sqlx::query(select).bind(id).bind(tenant).fetch_optional(&mut *tx).await? else {
                return Ok(false);
            };
            let cur = suppression_from_row(&row, at)?;
            sqlx::query("DELETE FROM suppressions WHERE id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM suppressed_matches WHERE suppression_id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .execute(&mut *tx)
                .await?;
            let entry = who.audit.clone().with_target(format!("suppression:{id}")).with_at(at).with_detail(json!({
                "rule_id": cur.rule_id,
                "conditions": cur.conditions,
                "reason": cur.reason,
                "hits": cur.hits,
                "last_hit": cur.last_hit,
            }));
            tx.audit(entry).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The suppressions of every tenant that suppress at `now` (not disabled, not expired), oldest
    /// first: what the pipeline's matcher is built from.
    pub async fn active_suppressions(&self, now: Timestamp) -> Result<Vec<Suppression>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE disabled = 0 AND (expires IS NULL OR expires > $1) \
             ORDER BY seq"
        ));
        on_db!(self, db => {
            let rows = sqlx::query(sql).bind(time::to_db(now)).fetch_all(&db.reader).await?;
            rows.iter().map(|r| suppression_from_row(r, now)).collect()
        })
    }

    /// Records suppressed matches in one transaction: a row each in `suppressed_matches` and, per
    /// suppression, `hits` + the number recorded and `last_hit`. A match recorded before (the same
    /// `match_id`: a batch delivered again) is skipped; returns how many were recorded.
    pub async fn record_suppressed(&self, matches: &[NewSuppressedMatch]) -> Result<u64, StateError> {
        if matches.is_empty() {
            return Ok(0);
        }
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            // Per suppression: (matches recorded, the latest of their times).
            let mut per: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for chunk in matches.chunks(500) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO suppressed_matches (match_id, suppression_id, tenant, rule_id, event_id, at) ",
                );
                qb.push_values(chunk, |mut row, m| {
                    row.push_bind(m.match_id.clone())
                        .push_bind(m.suppression_id.clone())
                        .push_bind(m.tenant.clone())
                        .push_bind(m.rule_id.clone())
                        .push_bind(m.event_id.clone())
                        .push_bind(time::to_db(m.at));
                });
                qb.push(" ON CONFLICT (match_id) DO NOTHING RETURNING suppression_id, at");
                let fresh: Vec<(String, i64)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                for (id, at) in fresh {
                    let e = per.entry(id).or_insert((0, at));
                    e.0 += 1;
                    e.1 = e.1.max(at);
                }
            }
            for (id, (n, last)) in &per {
                sqlx::query(
                    "UPDATE suppressions SET hits = hits + $1, \
                     last_hit = CASE WHEN last_hit IS NULL OR last_hit < $2 THEN $2 ELSE last_hit END WHERE id = $3",
                )
                .bind(n)
                .bind(last)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(per.values().map(|(n, _)| u64::try_from(*n).unwrap_or(0)).sum())
        })
    }

    /// One page of the matches `tenant`'s suppression `id` kept from becoming alerts, newest first,
    /// with the total listed (`None` when there is no such suppression).
    pub async fn list_suppressed_matches(
        &self,
        tenant: &str,
        id: &str,
        q: &MatchQuery,
    ) -> Result<Option<SuppressedMatchPage>, StateError> {
        let after = q
            .cursor
            .as_deref()
            .map(|c| cursor::decode(Listing::SuppressedMatches, c))
            .transpose()?;
        let limit = crate::alerts::effective_limit(q.limit);
        let found = on_db!(self, db => {
            let mut tx = db.read_tx().await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT seq FROM suppressions WHERE id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Ok(None);
            }
            let mut page = QueryBuilder::new(
                "SELECT seq, suppression_id, rule_id, event_id, at FROM suppressed_matches WHERE suppression_id = ",
            );
            page.push_bind(id.to_owned()).push(" AND tenant = ").push_bind(tenant.to_owned());
            if let Some(after) = after {
                page.push(" AND seq < ").push_bind(after);
            }
            page.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(limit) + 1);
            let rows = page.build().fetch_all(&mut *tx).await?;
            let total: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM suppressed_matches WHERE suppression_id = $1 AND tenant = $2")
                    .bind(id)
                    .bind(tenant)
                    .fetch_one(&mut *tx)
                    .await?;
            tx.commit().await?;
            let kept = &rows[..rows.len().min(limit as usize)];
            let list = kept.iter().map(match_from_row).collect::<Result<Vec<_>, _>>()?;
            (list, rows.len() > limit as usize, total)
        });
        let (matches, more, total) = found;
        let next_cursor = match matches.last() {
            Some(m) if more => Some(cursor::encode(Listing::SuppressedMatches, m.seq)),
            _ => None,
        };
        Ok(Some(SuppressedMatchPage {
            matches,
            next_cursor,
            total: u64::try_from(total).unwrap_or(0),
        }))
    }
}

/// The audit actions of suppression changes.
pub mod actions {
    /// A suppression made (by hand or from an alert).
    pub const CREATE: &str = "suppression.create";
    /// Disabled or enabled, its expiry or reason changed.
    pub const UPDATE: &str = "suppression.update";
    /// Deleted.
    pub const DELETE: &str = "suppression.delete";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Suppression {
        Suppression {
            id: "sup-0".into(),
            tenant: "default".into(),
            rule_id: "r1".into(),
            conditions: vec![],
            reason: "scanner".into(),
            author: "user:ann".into(),
            created: Timestamp::UNIX_EPOCH,
            expires: None,
            disabled: false,
            active: true,
            updated: None,
            updated_by: None,
            alert_id: None,
            hits: 0,
            last_hit: None,
        }
    }

    #[test]
    fn a_patch_changes_only_what_differs() {
        let cur = stored();
        let same = SuppressionPatch {
            disabled: Some(false),
            reason: Some("scanner".into()),
            ..SuppressionPatch::default()
        };
        assert!(changes_of(&cur, &same).is_none());
        let patch = SuppressionPatch {
            disabled: Some(true),
            reason: Some("scanner".into()),
            ..SuppressionPatch::default()
        };
        let (next, detail) = changes_of(&cur, &patch).expect("a change");
        assert!(next.disabled);
        assert_eq!(detail, json!({"change": {"disabled": true}}));
    }

    #[test]
    fn ids_are_prefixed_and_random() {
        let a = new_suppression_id().expect("id");
        assert!(a.starts_with("sup-") && a.len() == 20, "{a}");
        assert_ne!(a, new_suppression_id().expect("id"));
    }

    #[test]
    fn the_active_filter_is_one_where_clause() {
        let mut qb = QueryBuilder::<sqlx::Sqlite>::new("SELECT 1 FROM suppressions");
        let q = SuppressionQuery {
            active: Some(false),
            rule_id: Some("r".into()),
            ..SuppressionQuery::default()
        };
        push_filters(&mut qb, "acme", &q, 0);
        let sql = qb.sql();
        assert_eq!(sql.as_str().matches("WHERE").count(), 1, "{}", sql.as_str());
        assert!(sql.as_str().contains("disabled <> 0 OR expires <="), "{}", sql.as_str());
    }

    #[test]
    fn the_audit_detail_of_a_creation_names_its_alert() {
        let mut s = stored();
        s.alert_id = Some("a1".into());
        assert_eq!(created_detail(&s)["alert_id"], "a1");
        assert!(created_detail(&stored()).get("alert_id").is_none());
    }
}

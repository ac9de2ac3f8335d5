//! Alerts: idempotent batch insert, filtered newest-first listing with cursors, counts.

use crate::cursor::{self, Listing};
use crate::db::{DbRow, on_db};
use crate::{State, StateError, time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Database, Encode, QueryBuilder, Type};
pub use vigil_api_types::alerts::{Alert, AlertKind, AlertPage};
pub use vigil_event::Level;
use vigil_respond::{AlertStatus, Disposition};

/// Default page size of listings.
pub const DEFAULT_LIMIT: u32 = 100;
/// Largest page size of listings; larger requests are clamped.
pub const MAX_LIMIT: u32 = 1000;

/// Effective page size: `None` → [`DEFAULT_LIMIT`], otherwise clamped to `1..=MAX_LIMIT`.
pub(crate) fn effective_limit(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

/// Rank of a stored level name (0 = informational … 4 = critical); other names rank 0.
fn stored_rank(level: &str) -> u8 {
    Level::parse(level).map_or(0, Level::rank)
}

/// An alert to store. The caller derives `id` deterministically (e.g. from rule and event ids), which makes
/// re-delivery after a crash harmless: inserting the same id again is a no-op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAlert {
    /// Deterministic alert id, unique across all alerts.
    pub id: String,
    /// The tenant of the event that raised it.
    pub tenant: String,
    /// Id of the rule that fired.
    pub rule_id: String,
    /// Title of the rule that fired.
    pub rule_title: String,
    /// Sigma level (`informational`, `low`, `medium`, `high`, `critical`). Other values are stored as given
    /// and rank like `informational` for [`AlertQuery::min_level`].
    pub level: String,
    /// Detection or correlation.
    pub kind: AlertKind,
    /// ATT&CK technique and tactic ids, e.g. `T1059.001`, `TA0002`.
    pub attack: Vec<String>,
    /// Other rule tags.
    pub tags: Vec<String>,
    /// Ids of the events that produced the alert.
    pub event_ids: Vec<String>,
    /// Correlation group key, if any.
    pub group_key: Option<String>,
    /// Time of the (last) triggering event, if it had one.
    pub event_time: Option<Timestamp>,
    /// When Vigil raised the alert; the time filters of [`AlertQuery`] apply to this.
    pub detected: Timestamp,
    /// Name of the input the event arrived on.
    pub input: Option<String>,
    /// Host the event came from.
    pub host: Option<String>,
    /// Small detail: matched selections / fields.
    pub matched: serde_json::Value,
    /// In-stream grouping: fold this match into the open alert of the same fingerprint last seen
    /// within the window (`None`: an alert of its own).
    #[serde(default)]
    pub grouping: Option<AlertGrouping>,
}

/// How a match groups (see [`NewAlert::grouping`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertGrouping {
    /// Rule and group-by values, hashed.
    pub fingerprint: String,
    /// How long after an alert's last match another one still joins it.
    pub window: jiff::SignedDuration,
}

/// The most event ids a grouped alert keeps (`occurrences` counts them all).
pub const MAX_GROUPED_EVENT_IDS: usize = 100;

/// Filters and paging for [`State::list_alerts`]. Deserializable from query parameters (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertQuery {
    /// Only alerts detected at or after this instant.
    pub since: Option<Timestamp>,
    /// Only alerts detected before this instant (exclusive).
    pub until: Option<Timestamp>,
    /// Only alerts of this rule.
    pub rule_id: Option<String>,
    /// Only alerts at or above this level (`informational` < `low` < `medium` < `high` < `critical`).
    pub min_level: Option<Level>,
    /// Only alerts in one of these statuses (all when empty).
    pub status: Vec<AlertStatus>,
    /// Only alerts assigned to this user or team.
    pub assignee: Option<String>,
    /// Only alerts from this host.
    pub host: Option<String>,
    /// Only alerts raised on this event (its 32 hex digit id, among the alert's `event_ids`: a
    /// grouped alert keeps its first [`MAX_GROUPED_EVENT_IDS`]). Combine with `host` and a time
    /// range to look at fewer alerts.
    pub event_id: Option<String>,
    /// Page size: default [`DEFAULT_LIMIT`], clamped to `1..=`[`MAX_LIMIT`].
    pub limit: Option<u32>,
    /// Opaque `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn json_text<T: Serialize>(value: &T) -> Result<String, StateError> {
    serde_json::to_string(value).map_err(|e| StateError::InvalidInput(format!("alert is not serializable: {e}")))
}

fn json_value<T: serde::de::DeserializeOwned>(row: &impl DbRow, col: &str) -> Result<T, StateError> {
    let text = row.text(col)?;
    serde_json::from_str(&text).map_err(|e| StateError::Corrupt(format!("alert column {col}: {e}")))
}

pub(crate) fn alert_from_row(row: &impl DbRow) -> Result<Alert, StateError> {
    let kind = row.text("kind")?;
    let status = row.text("status")?;
    let disposition = row.opt_text("disposition")?;
    Ok(Alert {
        seq: row.int("seq")?,
        id: row.text("id")?,
        tenant: row.text("tenant")?,
        status: AlertStatus::parse(&status)
            .ok_or_else(|| StateError::Corrupt(format!("unknown alert status {status:?}")))?,
        disposition: disposition
            .map(|d| Disposition::parse(&d).ok_or_else(|| StateError::Corrupt(format!("unknown disposition {d:?}"))))
            .transpose()?,
        assignee: row.opt_text("assignee")?,
        incident_id: row.opt_text("incident_id")?,
        rule_id: row.text("rule_id")?,
        rule_title: row.text("rule_title")?,
        level: row.text("level")?,
        kind: AlertKind::parse(&kind).ok_or_else(|| StateError::Corrupt(format!("unknown alert kind {kind:?}")))?,
        attack: json_value(row, "attack")?,
        tags: json_value(row, "tags")?,
        event_ids: json_value(row, "event_ids")?,
        group_key: row.opt_text("group_key")?,
        event_time: row.opt_instant("event_time")?,
        detected: row.instant("detected")?,
        input: row.opt_text("input")?,
        host: row.opt_text("host")?,
        matched: json_value(row, "matched")?,
        occurrences: u64::try_from(row.int("occurrences")?).unwrap_or(1),
        first_seen: row.opt_instant("first_seen")?,
        last_seen: row.opt_instant("last_seen")?,
        fingerprint: row.opt_text("fingerprint")?,
        updated: row.opt_instant("updated")?,
        updated_by: row.opt_text("updated_by")?,
        acknowledged: row.opt_instant("acknowledged")?,
        acknowledged_by: row.opt_text("acknowledged_by")?,
        closed: row.opt_instant("closed")?,
        closed_by: row.opt_text("closed_by")?,
    })
}

/// Appends ` WHERE tenant = ...` and the filters of `q` (not the cursor) to `qb`.
pub(crate) fn push_filters<DB>(qb: &mut QueryBuilder<DB>, tenant: &str, q: &AlertQuery)
where
    DB: Database,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
{
    qb.push(" WHERE tenant = ").push_bind(tenant.to_owned());
    let and = |qb: &mut QueryBuilder<DB>| {
        qb.push(" AND ");
    };
    if let Some(since) = q.since {
        and(qb);
        qb.push("detected >= ").push_bind(time::to_db(since));
    }
    if let Some(until) = q.until {
        and(qb);
        qb.push("detected < ").push_bind(time::to_db(until));
    }
    if let Some(rule_id) = &q.rule_id {
        and(qb);
        qb.push("rule_id = ").push_bind(rule_id.clone());
    }
    if let Some(min) = q.min_level {
        and(qb);
        qb.push("level_rank >= ").push_bind(i64::from(min.rank()));
    }
    if !q.status.is_empty() {
        and(qb);
        push_status_in(qb, &q.status);
    }
    if let Some(assignee) = &q.assignee {
        and(qb);
        qb.push("assignee = ").push_bind(assignee.clone());
    }
    if let Some(host) = &q.host {
        and(qb);
        qb.push("host = ").push_bind(host.clone());
    }
    if let Some(id) = &q.event_id {
        // The ids are stored as a JSON array of hex strings: a hex id is matched whole and holds no
        // LIKE wildcard; anything else is no event's id and matches nothing.
        and(qb);
        if is_event_id(id) {
            qb.push("event_ids LIKE ")
                .push_bind(format!("%\"{}\"%", id.to_ascii_lowercase()));
        } else {
            qb.push("1 = 0");
        }
    }
}

fn is_event_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Refuses an `event_id` filter that is not an event id (32 hex digits).
fn check_event_id(q: &AlertQuery) -> Result<(), StateError> {
    match &q.event_id {
        Some(id) if !is_event_id(id) => Err(StateError::InvalidInput(format!(
            "event_id `{}` is not an event id (32 hex digits)",
            id.escape_default()
        ))),
        _ => Ok(()),
    }
}

/// `status IN (...)` over `statuses` (which must not be empty).
pub(crate) fn push_status_in<DB>(qb: &mut QueryBuilder<DB>, statuses: &[AlertStatus])
where
    DB: Database,
    for<'a> String: Encode<'a, DB> + Type<DB>,
{
    qb.push("status IN (");
    let mut list = qb.separated(", ");
    for s in statuses {
        list.push_bind(s.as_str().to_owned());
    }
    qb.push(")");
}

pub(crate) const ALERT_COLUMNS: &str = "seq, id, tenant, status, rule_id, rule_title, level, kind, attack, tags, \
    event_ids, group_key, event_time, detected, input, host, matched, disposition, assignee, incident_id, updated, \
    updated_by, acknowledged, acknowledged_by, closed, closed_by, occurrences, first_seen, last_seen, fingerprint";

impl State {
    /// Inserts alerts in one transaction. Alerts whose id is already stored are skipped (idempotent), so the
    /// result is the number of rows actually inserted. A match with [`NewAlert::grouping`] folds into
    /// the open (`new` or `acknowledged`) alert of its fingerprint last seen within the window —
    /// `occurrences` + 1, `last_seen`, its event id while fewer than [`MAX_GROUPED_EVENT_IDS`] — and
    /// is counted once however often it is delivered; otherwise it starts an alert.
    pub async fn insert_alerts(&self, alerts: &[NewAlert]) -> Result<u64, StateError> {
        if alerts.is_empty() {
            return Ok(0);
        }
        // Serialize before taking the write lock.
        let mut rows = Vec::with_capacity(alerts.len());
        for a in alerts {
            rows.push((
                a,
                json_text(&a.attack)?,
                json_text(&a.tags)?,
                json_text(&a.event_ids)?,
                json_text(&a.matched)?,
            ));
        }
        on_db!(self, db => {
        let mut tx = db.write_tx().await?;
        let mut inserted = 0;
        for (a, attack, tags, event_ids, matched) in &rows {
            let detected = time::to_db(a.detected);
            if let Some(g) = &a.grouping {
                let fresh = sqlx::query(
                    "INSERT INTO alert_matches (match_id, alert_id, at) VALUES ($1, '', $2) ON CONFLICT (match_id) DO NOTHING",
                )
                .bind(&a.id)
                .bind(detected)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if fresh == 0 {
                    continue; // delivered before: counted once
                }
                let since = time::to_db(a.detected - g.window);
                let open: Option<(String, String)> = sqlx::query_as(
                    "SELECT id, event_ids FROM alerts WHERE tenant = $1 AND fingerprint = $2 \
                     AND status IN ('new', 'acknowledged') AND last_seen >= $3 ORDER BY seq DESC LIMIT 1",
                )
                .bind(&a.tenant)
                .bind(&g.fingerprint)
                .bind(since)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((id, ids)) = open {
                    let mut ids: Vec<String> = serde_json::from_str(&ids).unwrap_or_default();
                    if ids.len() < MAX_GROUPED_EVENT_IDS {
                        ids.extend(a.event_ids.iter().take(MAX_GROUPED_EVENT_IDS - ids.len()).cloned());
                    }
                    sqlx::query(
                        "UPDATE alerts SET occurrences = occurrences + 1, event_ids = $1, \
                         last_seen = CASE WHEN last_seen < $2 THEN $2 ELSE last_seen END, \
                         event_time = COALESCE($3, event_time) WHERE id = $4",
                    )
                    .bind(json_text(&ids)?)
                    .bind(detected)
                    .bind(time::opt_to_db(a.event_time))
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE alert_matches SET alert_id = $1 WHERE match_id = $2")
                        .bind(&id)
                        .bind(&a.id)
                        .execute(&mut *tx)
                        .await?;
                    continue;
                }
                sqlx::query("UPDATE alert_matches SET alert_id = $1 WHERE match_id = $1")
                    .bind(&a.id)
                    .execute(&mut *tx)
                    .await?;
            }
            let done = sqlx::query(
                "INSERT INTO alerts (id, tenant, status, rule_id, rule_title, level, level_rank, kind, attack, \
                 tags, event_ids, group_key, event_time, detected, input, host, matched, fingerprint, first_seen, \
                 last_seen) VALUES ($1, $2, 'new', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $13, $13) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&a.id)
            .bind(&a.tenant)
            .bind(&a.rule_id)
            .bind(&a.rule_title)
            .bind(&a.level)
            .bind(i64::from(stored_rank(&a.level)))
            .bind(a.kind.as_str())
            .bind(attack)
            .bind(tags)
            .bind(event_ids)
            .bind(&a.group_key)
            .bind(time::opt_to_db(a.event_time))
            .bind(detected)
            .bind(&a.input)
            .bind(&a.host)
            .bind(matched)
            .bind(a.grouping.as_ref().map(|g| g.fingerprint.clone()))
            .execute(&mut *tx)
            .await?;
            inserted += done.rows_affected();
        }
        tx.commit().await?;
        Ok(inserted)
        })
    }

    /// One page of `tenant`'s alerts matching `q`, newest first, with the total number of matches.
    ///
    /// Errors with [`StateError::InvalidCursor`] for a cursor not produced by this listing and
    /// [`StateError::InvalidInput`] for an unknown `min_level` or an `event_id` that is not 32 hex
    /// digits.
    pub async fn list_alerts(&self, tenant: &str, q: &AlertQuery) -> Result<AlertPage, StateError> {
        check_event_id(q)?;
        let after = q
            .cursor
            .as_deref()
            .map(|c| cursor::decode(Listing::Alerts, c))
            .transpose()?;
        let limit = effective_limit(q.limit);

        let (alerts, more, total) = on_db!(self, db => {
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM alerts");
            push_filters(&mut count, tenant, q);

            let mut page = QueryBuilder::new(format!("SELECT {ALERT_COLUMNS} FROM alerts"));
            push_filters(&mut page, tenant, q);
            if let Some(after) = after {
                page.push(" AND seq < ").push_bind(after);
            }
            // One extra row tells whether another page exists without a trailing empty page.
            page.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(limit) + 1);

            let mut tx = db.read_tx().await?;
            let rows = page.build().fetch_all(&mut *tx).await?;
            let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
            tx.commit().await?;
            let alerts = rows
                .iter()
                .take(limit as usize)
                .map(alert_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            (alerts, rows.len() > limit as usize, total)
        });
        let next_cursor = match alerts.last() {
            Some(last) if more => Some(cursor::encode(Listing::Alerts, last.seq)),
            _ => None,
        };
        Ok(AlertPage {
            alerts,
            next_cursor,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// `tenant`'s alert with id `id`, if it is stored (another tenant's is `None`, as if absent).
    pub async fn get_alert(&self, tenant: &str, id: &str) -> Result<Option<Alert>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1 AND tenant = $2"
        ));
        on_db!(self, db => {
            let row = sqlx::query(sql).bind(id).bind(tenant).fetch_optional(&db.reader).await?;
            row.as_ref().map(alert_from_row).transpose()
        })
    }

    /// Alerts of every tenant inserted after position `after` (their `seq`), oldest first, at most
    /// `limit`: what work that follows new alerts (auto-incident policies) reads.
    pub async fn alerts_after(&self, after: i64, limit: u32) -> Result<Vec<Alert>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE seq > $1 ORDER BY seq LIMIT $2"
        ));
        on_db!(self, db => {
            let rows = sqlx::query(sql).bind(after).bind(i64::from(limit)).fetch_all(&db.reader).await?;
            rows.iter().map(alert_from_row).collect()
        })
    }

    /// The position of the newest alert (0 when there is none).
    pub async fn last_alert_seq(&self) -> Result<i64, StateError> {
        let seq: Option<i64> =
            on_db!(self, db => sqlx::query_scalar("SELECT MAX(seq) FROM alerts").fetch_one(&db.reader).await?);
        Ok(seq.unwrap_or(0))
    }

    /// Number of stored alerts.
    pub async fn count_alerts(&self) -> Result<u64, StateError> {
        let n: i64 = on_db!(self, db => sqlx::query_scalar("SELECT COUNT(*) FROM alerts").fetch_one(&db.reader).await?);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_levels_rank_in_order() {
        let ranks: Vec<_> = Level::ALL.iter().map(|l| stored_rank(l.name())).collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4]);
        assert_eq!(stored_rank("HIGH"), 3);
        assert_eq!(stored_rank("none"), 0);
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(effective_limit(None), DEFAULT_LIMIT);
        assert_eq!(effective_limit(Some(0)), 1);
        assert_eq!(effective_limit(Some(5)), 5);
        assert_eq!(effective_limit(Some(1_000_000)), MAX_LIMIT);
    }

    #[test]
    fn filters_build_one_where_clause() {
        let q = AlertQuery {
            since: Some(Timestamp::UNIX_EPOCH),
            rule_id: Some("r".into()),
            min_level: Some(Level::High),
            ..AlertQuery::default()
        };
        let mut qb = QueryBuilder::<sqlx::Sqlite>::new("SELECT 1 FROM alerts");
        push_filters(&mut qb, "acme", &q);
        let sql = qb.sql();
        assert_eq!(sql.as_str().matches("WHERE tenant = ").count(), 1);
        assert_eq!(sql.as_str().matches(" AND ").count(), 3);

        let mut qb = QueryBuilder::<sqlx::Sqlite>::new("SELECT 1 FROM alerts");
        push_filters(&mut qb, "acme", &AlertQuery::default());
        assert!(qb.sql().as_str().ends_with("WHERE tenant = ?"), "{}", qb.sql().as_str());
    }

    #[test]
    fn alert_query_deserializes_from_query_like_json() {
        let q: AlertQuery =
            serde_json::from_str(r#"{"since":"2026-01-01T00:00:00Z","min_level":"high","limit":10}"#).unwrap();
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.min_level, Some(Level::High));
        let typo = serde_json::from_str::<AlertQuery>(r#"{"min_level":"hihg"}"#).expect_err("typo");
        assert!(typo.to_string().contains("not a level"), "{typo}");
        assert!(q.since.is_some() && q.cursor.is_none());
    }
}

//! Reading the audit trail: filtered newest-first pages with cursors, and the export in seq order.

use crate::alerts::effective_limit;
use crate::cursor::{self, Listing};
use crate::db::on_db;
use crate::{State, StateError, time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Database, Encode, QueryBuilder, Type};

use super::{AUDIT_COLUMNS, AuditEntry, AuditOutcome, entry_from_row};

/// Filters and paging for [`State::list_audit`]. Deserializable from query parameters (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    /// Only entries of this actor (exact).
    pub actor: Option<String>,
    /// Only entries of this action: exact (`apikey.create`), or every action under a prefix when it ends
    /// with a dot (`apikey.`).
    pub action: Option<String>,
    /// Only entries of this tenant.
    pub tenant: Option<String>,
    /// Only entries with this outcome.
    pub outcome: Option<AuditOutcome>,
    /// Only entries at or after this instant.
    pub since: Option<Timestamp>,
    /// Only entries before this instant (exclusive).
    pub until: Option<Timestamp>,
    /// Page size: default 100, clamped to `1..=1000`.
    pub limit: Option<u32>,
    /// Opaque `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of audit entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditPage {
    /// The entries, newest (highest `seq`) first.
    pub entries: Vec<AuditEntry>,
    /// Pass as [`AuditQuery::cursor`] to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl AuditPage {
    /// The page as the API sends it.
    pub fn to_wire(&self) -> vigil_api_types::audit::AuditPage {
        vigil_api_types::audit::AuditPage {
            entries: self.entries.iter().map(AuditEntry::to_wire).collect(),
            next_cursor: self.next_cursor.clone(),
        }
    }
}

/// The upper bound (exclusive) of the actions under `prefix` (which ends with `.`): `.` + 1 is `/`.
fn prefix_end(prefix: &str) -> String {
    format!("{}/", &prefix[..prefix.len() - 1])
}

fn push_filters<DB>(qb: &mut QueryBuilder<DB>, q: &AuditQuery, before: Option<i64>)
where
    DB: Database,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
{
    let mut first = true;
    let mut and = |qb: &mut QueryBuilder<DB>| {
        qb.push(if first { " WHERE " } else { " AND " });
        first = false;
    };
    if let Some(actor) = &q.actor {
        and(qb);
        qb.push("actor = ").push_bind(actor.clone());
    }
    match q.action.as_deref() {
        Some(prefix) if prefix.ends_with('.') => {
            and(qb);
            qb.push("action >= ").push_bind(prefix.to_owned());
            qb.push(" AND action < ").push_bind(prefix_end(prefix));
        }
        Some(action) => {
            and(qb);
            qb.push("action = ").push_bind(action.to_owned());
        }
        None => {}
    }
    if let Some(tenant) = &q.tenant {
        and(qb);
        qb.push("tenant = ").push_bind(tenant.clone());
    }
    if let Some(outcome) = q.outcome {
        and(qb);
        qb.push("outcome = ").push_bind(outcome.as_str());
    }
    if let Some(since) = q.since {
        and(qb);
        qb.push("at >= ").push_bind(time::to_db(since));
    }
    if let Some(until) = q.until {
        and(qb);
        qb.push("at < ").push_bind(time::to_db(until));
    }
    if let Some(before) = before {
        and(qb);
        qb.push("seq < ").push_bind(before);
    }
}

impl State {
    /// One page of audit entries matching `q`, newest first.
    ///
    /// [`StateError::InvalidCursor`] for a cursor not produced by this listing.
    pub async fn list_audit(&self, q: &AuditQuery) -> Result<AuditPage, StateError> {
        let before = q
            .cursor
            .as_deref()
            .map(|c| cursor::decode(Listing::Audit, c))
            .transpose()?;
        let limit = effective_limit(q.limit);
        let (entries, more) = on_db!(self, db => {
            let mut page = QueryBuilder::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log"));
            push_filters(&mut page, q, before);
            // One extra row tells whether another page exists without a trailing empty page.
            page.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(limit) + 1);
            let rows = page.build().fetch_all(&db.reader).await?;
            let entries = rows
                .iter()
                .take(limit as usize)
                .map(entry_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            (entries, rows.len() > limit as usize)
        });
        let next_cursor = match entries.last() {
            Some(last) if more => Some(cursor::encode(Listing::Audit, last.seq)),
            _ => None,
        };
        Ok(AuditPage { entries, next_cursor })
    }

    /// Up to `limit` (clamped to `1..=1000`) entries after position `after`, oldest first: the export.
    /// Start with `after = 0` and pass the last `seq` seen until a batch comes back empty, so the whole
    /// chain streams in seq order without being held in memory.
    pub async fn audit_entries(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        ));
        let limit = i64::from(effective_limit(Some(limit)));
        on_db!(self, db => {
            let rows = sqlx::query(sql).bind(after).bind(limit).fetch_all(&db.reader).await?;
            rows.iter().map(entry_from_row).collect()
        })
    }
}

impl State {
    /// [`audit_entries`](State::audit_entries) of one tenant only: the API's export.
    pub async fn tenant_audit_entries(
        &self,
        tenant: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        ));
        let limit = i64::from(effective_limit(Some(limit)));
        on_db!(self, db => {
            let rows = sqlx::query(sql).bind(tenant).bind(after).bind(limit).fetch_all(&db.reader).await?;
            rows.iter().map(entry_from_row).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_prefix_ranges_cover_only_the_prefix() {
        let end = prefix_end("apikey.");
        assert_eq!(end, "apikey/");
        for inside in ["apikey.create", "apikey.revoke", "apikey.x.y"] {
            assert!(inside >= "apikey." && inside < end.as_str(), "{inside}");
        }
        for outside in ["apikey", "apikeys.create", "apikey-x.create", "apikez.a"] {
            assert!(!(outside >= "apikey." && outside < end.as_str()), "{outside}");
        }
    }
}

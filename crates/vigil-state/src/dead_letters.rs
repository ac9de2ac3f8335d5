//! Dead letters: input that could not be parsed or accepted, kept for operators to inspect.

use crate::alerts::effective_limit;
use crate::cursor::{self, Listing};
use crate::db::{DbRow, on_db};
use crate::{State, StateError, time};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::{Database, Encode, QueryBuilder, Type};
use vigil_event::DeadLetterCode;

/// A rejected input record to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeadLetter {
    /// The tenant of its sender.
    pub tenant: String,
    /// Name of the input it arrived on.
    pub input: String,
    /// When it was received.
    pub received: Timestamp,
    /// Remote address, if any.
    pub peer: Option<String>,
    /// Stable machine-readable reason, e.g. `parse_error`.
    pub code: String,
    /// Human-readable reason.
    pub message: String,
    /// The offending bytes; the caller truncates them to a sane size first.
    pub data: Vec<u8>,
}

/// A stored dead letter.
///
/// Serialized (the API body) with `data` as UTF-8 text, invalid sequences replaced by U+FFFD so the
/// common case — a text log line — reads directly; when the bytes are not valid UTF-8, `data_base64`
/// (standard alphabet, padded) is added with the exact bytes. `data_base64` is absent otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Insertion order, strictly increasing and never reused.
    pub seq: i64,
    /// The tenant of its sender.
    pub tenant: String,
    /// Name of the input it arrived on.
    pub input: String,
    /// When it was received.
    pub received: Timestamp,
    /// Remote address, if any.
    pub peer: Option<String>,
    /// Machine-readable reason; a former name of a [`DeadLetterCode`] reads as the code it became.
    pub code: String,
    /// Human-readable reason.
    pub message: String,
    /// The stored bytes.
    pub data: Vec<u8>,
}

impl DeadLetter {
    /// The letter as the API sends it ([`vigil_api_types::dead_letters::DeadLetter`]).
    pub fn to_wire(&self) -> vigil_api_types::dead_letters::DeadLetter {
        let text = String::from_utf8_lossy(&self.data);
        let data_base64 = match &text {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(_) => Some(STANDARD.encode(&self.data)),
        };
        vigil_api_types::dead_letters::DeadLetter {
            seq: self.seq,
            tenant: self.tenant.clone(),
            input: self.input.clone(),
            received: self.received,
            peer: self.peer.clone(),
            code: self.code.clone(),
            message: self.message.clone(),
            data: text.into_owned(),
            data_base64,
        }
    }
}

impl Serialize for DeadLetter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_wire().serialize(serializer)
    }
}

/// Filters and paging for [`State::list_dead_letters`]. Deserializable from query parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeadLetterQuery {
    /// Only letters received at or after this instant.
    pub since: Option<Timestamp>,
    /// Only letters received before this instant (exclusive).
    pub until: Option<Timestamp>,
    /// Only letters from this input.
    pub input: Option<String>,
    /// Only letters with this code (a code of [`DeadLetterCode`] also finds letters stored under
    /// its former names).
    pub code: Option<String>,
    /// Page size: default 100, clamped to `1..=1000`.
    pub limit: Option<u32>,
    /// Opaque `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of dead letters, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetterPage {
    /// The letters, newest (highest `seq`) first.
    pub dead_letters: Vec<DeadLetter>,
    /// Pass as [`DeadLetterQuery::cursor`] to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Number of letters matching the filters (all pages).
    pub total: u64,
}

fn letter_from_row(row: &impl DbRow) -> Result<DeadLetter, StateError> {
    Ok(DeadLetter {
        seq: row.int("seq")?,
        tenant: row.text("tenant")?,
        input: row.text("input")?,
        received: row.instant("received")?,
        peer: row.opt_text("peer")?,
        code: DeadLetterCode::canonical(&row.text("code")?).to_string(),
        message: row.text("message")?,
        data: row.bytes("data")?,
    })
}

fn push_filters<DB>(qb: &mut QueryBuilder<DB>, tenant: &str, q: &DeadLetterQuery, after: Option<i64>)
where
    DB: Database,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
{
    qb.push(" WHERE tenant = ").push_bind(tenant.to_owned());
    let and = |qb: &mut QueryBuilder<DB>| {
        qb.push(" AND ");
    };
    if let Some(since) = q.since {
        and(qb);
        qb.push("received >= ").push_bind(time::to_db(since));
    }
    if let Some(until) = q.until {
        and(qb);
        qb.push("received < ").push_bind(time::to_db(until));
    }
    if let Some(input) = &q.input {
        and(qb);
        qb.push("input = ").push_bind(input.clone());
    }
    if let Some(code) = &q.code {
        and(qb);
        match DeadLetterCode::parse(code) {
            // Letters stored under a former name of the code match it too.
            Some(known) => {
                qb.push("code IN (");
                let mut names = qb.separated(", ");
                for name in known.spellings() {
                    names.push_bind(name);
                }
                qb.push(")");
            }
            None => {
                qb.push("code = ").push_bind(code.clone());
            }
        }
    }
    if let Some(after) = after {
        and(qb);
        qb.push("seq < ").push_bind(after);
    }
}

impl State {
    /// Stores dead letters in one transaction.
    pub async fn insert_dead_letters(&self, letters: &[NewDeadLetter]) -> Result<(), StateError> {
        if letters.is_empty() {
            return Ok(());
        }
        on_db!(self, db => {
        let mut tx = db.write_tx().await?;
        for l in letters {
            sqlx::query(
                "INSERT INTO dead_letters (tenant, input, received, peer, code, message, data) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&l.tenant)
            .bind(&l.input)
            .bind(time::to_db(l.received))
            .bind(&l.peer)
            .bind(&l.code)
            .bind(&l.message)
            .bind(&l.data)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        });
        Ok(())
    }

    /// One page of `tenant`'s dead letters matching `q`, newest first, with the total number of matches.
    pub async fn list_dead_letters(&self, tenant: &str, q: &DeadLetterQuery) -> Result<DeadLetterPage, StateError> {
        let after = q
            .cursor
            .as_deref()
            .map(|c| cursor::decode(Listing::DeadLetters, c))
            .transpose()?;
        let limit = effective_limit(q.limit);

        let (dead_letters, more, total) = on_db!(self, db => {
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM dead_letters");
            push_filters(&mut count, tenant, q, None);
            let mut page =
                QueryBuilder::new("SELECT seq, tenant, input, received, peer, code, message, data FROM dead_letters");
            push_filters(&mut page, tenant, q, after);
            page.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(limit) + 1);

            let mut tx = db.read_tx().await?;
            let rows = page.build().fetch_all(&mut *tx).await?;
            let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
            tx.commit().await?;
            let letters = rows
                .iter()
                .take(limit as usize)
                .map(letter_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            (letters, rows.len() > limit as usize, total)
        });
        let next_cursor = match dead_letters.last() {
            Some(last) if more => Some(cursor::encode(Listing::DeadLetters, last.seq)),
            _ => None,
        };
        Ok(DeadLetterPage {
            dead_letters,
            next_cursor,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// Number of stored dead letters.
    pub async fn count_dead_letters(&self) -> Result<u64, StateError> {
        let n: i64 =
            on_db!(self, db => sqlx::query_scalar("SELECT COUNT(*) FROM dead_letters").fetch_one(&db.reader).await?);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(data: &[u8]) -> DeadLetter {
        DeadLetter {
            seq: 3,
            tenant: "default".into(),
            input: "syslog".into(),
            received: Timestamp::UNIX_EPOCH,
            peer: None,
            code: "parse_error".into(),
            message: "bad".into(),
            data: data.to_vec(),
        }
    }

    #[test]
    fn utf8_data_serializes_as_text_only() {
        let v = serde_json::to_value(letter(b"<13>hello")).unwrap();
        assert_eq!(v["data"], "<13>hello");
        assert!(v.get("data_base64").is_none());
        assert_eq!(v["received"], "1970-01-01T00:00:00Z");
        assert_eq!(v["peer"], serde_json::Value::Null);
    }

    #[test]
    fn binary_data_adds_exact_base64() {
        let v = serde_json::to_value(letter(&[0x66, 0xff, 0x00])).unwrap();
        assert_eq!(v["data"], "f\u{fffd}\u{0}");
        assert_eq!(v["data_base64"], "Zv8A");
    }
}

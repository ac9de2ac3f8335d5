//! Evidence attachments of an incident: the content stored in the database with the SHA-256 and
//! size Vigil computed when it was stored. A row is never changed (a trigger refuses UPDATE);
//! deleting one (`case:delete`) leaves a timeline entry naming its file and hash.
//!
//! Adding and deleting write their timeline entry (`attachment`, `attachment_deleted`) and their
//! audit entry (`attachment.create`, `attachment.delete`) in the transaction that makes the
//! change. Every read is scoped to the tenant and the incident. The size limit is the caller's
//! (`[respond] attachment_max_bytes`, enforced by the API before the body is read in full).

use jiff::Timestamp;
use serde_json::json;
use sha2::{Digest, Sha256};
use vigil_api_types::attachments::{Attachment, base_name, check_description, check_media_type};

use crate::db::{DbRow, on_db};
use crate::respond_tx::{Actor, NewTimeline, RespondTx};
use crate::{State, StateError, time};

/// An attachment to store.
#[derive(Debug, Clone, Copy)]
pub struct NewAttachment<'a> {
    /// The file's name; stored as its base name ([`base_name`]).
    pub name: &'a str,
    /// As given (`type/subtype`).
    pub media_type: &'a str,
    pub description: &'a str,
    /// Not empty.
    pub content: &'a [u8],
}

/// The audit actions of attachments.
pub mod actions {
    /// An attachment stored.
    pub const CREATE: &str = "attachment.create";
    /// An attachment deleted (its metadata stays in the audit trail and on the timeline).
    pub const DELETE: &str = "attachment.delete";
}

const COLUMNS: &str = "id, incident_id, name, media_type, size, sha256, description, created, created_by";

/// A fresh attachment id: `att-` and 16 hexadecimal digits.
fn new_attachment_id() -> Result<String, StateError> {
    Ok(format!("att-{}", hex::encode(crate::tokens::random::<8>()?)))
}

/// Lower-case hex SHA-256 of `content`.
pub fn sha256_hex(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

fn attachment_from_row(row: &impl DbRow) -> Result<Attachment, StateError> {
    let size = row.int("size")?;
    Ok(Attachment {
        id: row.text("id")?,
        incident_id: row.text("incident_id")?,
        name: row.text("name")?,
        media_type: row.text("media_type")?,
        size: u64::try_from(size).map_err(|_| StateError::Corrupt(format!("attachment size {size}")))?,
        sha256: row.text("sha256")?,
        description: row.text("description")?,
        created: row.instant("created")?,
        created_by: row.text("created_by")?,
    })
}

/// The checked attachment to store, by `who` at `at`.
fn checked(incident_id: &str, new: &NewAttachment<'_>, who: &str, at: Timestamp) -> Result<Attachment, StateError> {
    let name = base_name(new.name).map_err(StateError::InvalidInput)?;
    check_media_type(new.media_type).map_err(StateError::InvalidInput)?;
    check_description(new.description).map_err(StateError::InvalidInput)?;
    if new.content.is_empty() {
        return Err(StateError::InvalidInput(
            "the file is empty: there is nothing to keep".into(),
        ));
    }
    Ok(Attachment {
        id: new_attachment_id()?,
        incident_id: incident_id.to_owned(),
        name,
        media_type: new.media_type.to_owned(),
        size: new.content.len() as u64,
        sha256: sha256_hex(new.content),
        description: new.description.to_owned(),
        created: at,
        created_by: who.to_owned(),
    })
}

/// What the timeline and the audit trail keep of an attachment.
fn detail(a: &Attachment) -> serde_json::Value {
    json!({
        "attachment_id": a.id,
        "incident_id": a.incident_id,
        "name": a.name,
        "media_type": a.media_type,
        "size": a.size,
        "sha256": a.sha256,
    })
}

impl State {
    /// Stores an attachment of `tenant`'s incident `incident_id` by `who`, with its SHA-256 and
    /// size, a timeline entry (`attachment`) and `who.audit` (`attachment.create`) in one
    /// transaction. `None` when the tenant has no such incident.
    pub async fn add_attachment(
        &self,
        tenant: &str,
        incident_id: &str,
        new: &NewAttachment<'_>,
        who: &Actor,
    ) -> Result<Option<Attachment>, StateError> {
        let at = who.at();
        let a = checked(incident_id, new, &who.id, at)?;
        let entry = NewTimeline::new(
            "attachment",
            format!("attachment added: {} ({} bytes, sha256 {})", a.name, a.size, a.sha256),
        )
        .with_detail(detail(&a));
        let audit = who
            .audit
            .clone()
            .with_target(format!("attachment:{}", a.id))
            .with_at(at)
            .with_detail(detail(&a));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(incident_id).await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT seq FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(incident_id)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Ok(None);
            }
            sqlx::query(
                "INSERT INTO attachments (id, tenant, incident_id, name, media_type, size, sha256, description, \
                 content, created, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&a.id)
            .bind(tenant)
            .bind(incident_id)
            .bind(&a.name)
            .bind(&a.media_type)
            .bind(i64::try_from(a.size).unwrap_or(i64::MAX))
            .bind(&a.sha256)
            .bind(&a.description)
            .bind(new.content)
            .bind(time::to_db(at))
            .bind(&a.created_by)
            .execute(&mut *tx)
            .await?;
            tx.add_timeline(tenant, incident_id, &who.id, at, &[entry]).await?;
            tx.audit(audit).await?;
            tx.commit().await?;
            Ok(Some(a))
        })
    }

    /// The attachments of `tenant`'s incident `incident_id`, oldest first, without their
    /// content; `None` when the tenant has no such incident.
    pub async fn list_attachments(
        &self,
        tenant: &str,
        incident_id: &str,
    ) -> Result<Option<Vec<Attachment>>, StateError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM attachments WHERE tenant = $1 AND incident_id = $2 ORDER BY seq"
        ));
        on_db!(self, db => {
            let mut tx = db.read_tx().await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT seq FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(incident_id)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Ok(None);
            }
            let rows = sqlx::query(sql).bind(tenant).bind(incident_id).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            rows.iter().map(attachment_from_row).collect::<Result<Vec<_>, _>>().map(Some)
        })
    }

    /// Attachment `id` of `tenant`'s incident `incident_id` with its content; `None` when there
    /// is none.
    pub async fn get_attachment(
        &self,
        tenant: &str,
        incident_id: &str,
        id: &str,
    ) -> Result<Option<(Attachment, Vec<u8>)>, StateError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, content FROM attachments WHERE id = $1 AND tenant = $2 AND incident_id = $3"
        ));
        on_db!(self, db => {
            let row = sqlx::query(sql)
                .bind(id)
                .bind(tenant)
                .bind(incident_id)
                .fetch_optional(&db.reader)
                .await?;
            row.map(|r| Ok((attachment_from_row(&r)?, r.bytes("content")?))).transpose()
        })
    }

    /// Deletes attachment `id` of `tenant`'s incident `incident_id`, with a timeline entry
    /// (`attachment_deleted`, naming its file and SHA-256) and `who.audit` (`attachment.delete`)
    /// in one transaction. The attachment as it was; `None` when there is none.
    pub async fn delete_attachment(
        &self,
        tenant: &str,
        incident_id: &str,
        id: &str,
        who: &Actor,
    ) -> Result<Option<Attachment>, StateError> {
        let at = who.at();
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM attachments WHERE id = $1 AND tenant = $2 AND incident_id = $3"
        ));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(incident_id).await?;
            let Some(row) = sqlx::query(sql).bind(id).bind(tenant).bind(incident_id).fetch_optional(&mut *tx).await?
            else {
                return Ok(None);
            };
            let a = attachment_from_row(&row)?;
            sqlx::query("DELETE FROM attachments WHERE id = $1 AND tenant = $2")
                .bind(id)
                .bind(tenant)
                .execute(&mut *tx)
                .await?;
            let entry = NewTimeline::new(
                "attachment_deleted",
                format!("attachment {} (sha256 {}) deleted", a.name, a.sha256),
            )
            .with_detail(detail(&a));
            tx.add_timeline(tenant, incident_id, &who.id, at, &[entry]).await?;
            let audit = who.audit.clone().with_target(format!("attachment:{id}")).with_at(at).with_detail(detail(&a));
            tx.audit(audit).await?;
            tx.commit().await?;
            Ok(Some(a))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_lower_case_hex_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_path_is_kept_as_its_base_name_and_empty_files_are_refused() {
        let new = NewAttachment {
            name: "/tmp/../evil/dropper.exe",
            media_type: "application/x-msdownload",
            description: "",
            content: b"MZ",
        };
        let a = checked("inc-1", &new, "user:ann", Timestamp::UNIX_EPOCH).expect("checked");
        assert_eq!((a.name.as_str(), a.size), ("dropper.exe", 2));
        assert!(a.id.starts_with("att-") && a.id.len() == 20, "{}", a.id);
        let empty = NewAttachment { content: b"", ..new };
        assert!(matches!(
            checked("inc-1", &empty, "user:ann", Timestamp::UNIX_EPOCH),
            Err(StateError::InvalidInput(_))
        ));
    }
}

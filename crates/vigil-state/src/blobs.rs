//! Small named blobs (e.g. serialized correlation state), each replaced atomically.

use crate::db::on_db;
use crate::{State, StateError, time};
use jiff::Timestamp;

const MAX_NAME_LEN: usize = 255;

fn validate_name(name: &str) -> Result<(), StateError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(StateError::InvalidInput(format!(
            "blob name must be 1-{MAX_NAME_LEN} bytes"
        )));
    }
    Ok(())
}

impl State {
    /// Stores `bytes` under `name`, replacing any previous value. A reader sees the old or the new value,
    /// never a mix. Meant for small values (kilobytes to a few megabytes): the whole value is one row.
    pub async fn put_blob(&self, name: &str, bytes: &[u8]) -> Result<(), StateError> {
        validate_name(name)?;
        let updated = time::to_db(Timestamp::now());
        on_db!(self, db => {
            sqlx::query(
                "INSERT INTO blobs (name, data, updated) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated = excluded.updated",
            )
            .bind(name)
            .bind(bytes)
            .bind(updated)
            .execute(&db.writer)
            .await?;
        });
        Ok(())
    }

    /// The value stored under `name`, if any.
    pub async fn get_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StateError> {
        validate_name(name)?;
        Ok(
            on_db!(self, db => sqlx::query_scalar("SELECT data FROM blobs WHERE name = $1")
            .bind(name)
            .fetch_optional(&db.reader)
            .await?),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blobs_round_trip_and_overwrite() {
        let s = State::open_in_memory().await.unwrap();
        assert_eq!(s.get_blob("corr").await.unwrap(), None);
        s.put_blob("corr", b"one").await.unwrap();
        s.put_blob("corr", b"").await.unwrap();
        assert_eq!(s.get_blob("corr").await.unwrap(), Some(Vec::new()));
        assert!(matches!(s.put_blob("", b"x").await, Err(StateError::InvalidInput(_))));
    }
}

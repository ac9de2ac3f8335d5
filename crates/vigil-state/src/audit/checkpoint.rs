//! Signed checkpoints: an Ed25519 signature over a chain position and its hash.
//!
//! The signed message is `"vigil-audit-checkpoint-v1" || seq (u64 big-endian) || hash (32 raw bytes)`.
//! `at` (when the checkpoint was made) is informational and not signed. A checkpoint exported and kept
//! elsewhere (NDJSON, one [`Checkpoint`] a line) pins the chain: whoever rewrites the database can
//! recompute every hash, but cannot make the chain's hash at a checkpointed position match again, nor
//! sign a new checkpoint without the private key.

use crate::db::{DbRow, on_db};
use crate::{State, StateError, time};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::canonical;

/// Domain separation prefix of the signed message.
pub const CHECKPOINT_CONTEXT: &[u8] = b"vigil-audit-checkpoint-v1";

/// A signed statement that the audit chain's entry `seq` has hash `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The chain position signed.
    pub seq: i64,
    /// The entry's hash at that position (lowercase hex SHA-256).
    pub hash: String,
    /// When the checkpoint was made (not signed).
    pub at: Timestamp,
    /// Which key signed: the first 16 hex digits of the SHA-256 of the 32-byte public key ([`key_id`]).
    pub key_id: String,
    /// The Ed25519 signature, 128 lowercase hex digits.
    pub signature: String,
}

/// The id of a public key: the first 16 lowercase hex digits of the SHA-256 of its 32 bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    let mut id = hex::encode(Sha256::digest(key.as_bytes()));
    id.truncate(16);
    id
}

/// The signed message for position `seq` with hash `hash`; `None` when `hash` is not a hex SHA-256 or
/// `seq` is negative.
fn message(seq: i64, hash: &str) -> Option<Vec<u8>> {
    let seq = u64::try_from(seq).ok()?;
    let hash = canonical::hash_bytes(hash)?;
    let mut m = Vec::with_capacity(CHECKPOINT_CONTEXT.len() + 8 + 32);
    m.extend_from_slice(CHECKPOINT_CONTEXT);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&hash);
    Some(m)
}

impl Checkpoint {
    /// Signs position `seq` with hash `hash`, made at `at`.
    pub fn sign(key: &SigningKey, seq: i64, hash: &str, at: Timestamp) -> Result<Checkpoint, StateError> {
        let m =
            message(seq, hash).ok_or_else(|| StateError::Corrupt(format!("audit entry {seq} has a malformed hash")))?;
        Ok(Checkpoint {
            seq,
            hash: hash.to_owned(),
            at,
            key_id: key_id(&key.verifying_key()),
            signature: hex::encode(key.sign(&m).to_bytes()),
        })
    }

    /// Checks the signature with `key` (strict Ed25519 verification). The error is a reason for people.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), String> {
        let expected_id = key_id(key);
        if self.key_id != expected_id {
            return Err(format!(
                "checkpoint signed by key {} but the public key given is {expected_id}",
                self.key_id
            ));
        }
        let m = message(self.seq, &self.hash).ok_or("checkpoint has a malformed hash")?;
        let mut sig = [0u8; 64];
        hex::decode_to_slice(&self.signature, &mut sig).map_err(|_| "checkpoint signature is not 128 hex digits")?;
        key.verify_strict(&m, &Signature::from_bytes(&sig))
            .map_err(|_| "checkpoint signature does not verify".to_owned())
    }
}

fn checkpoint_from_row(row: &impl DbRow) -> Result<Checkpoint, StateError> {
    Ok(Checkpoint {
        seq: row.int("seq")?,
        hash: row.text("hash")?,
        at: row.instant("at")?,
        key_id: row.text("key_id")?,
        signature: row.text("signature")?,
    })
}

impl State {
    /// Signs the chain's newest entry with `key` and stores the checkpoint. `None` when the chain is empty
    /// or has not grown since the last stored checkpoint.
    ///
    /// It signs the head as it is: run [`State::verify_audit`] to check the chain itself. Export the
    /// checkpoints ([`State::audit_checkpoints`]) to a place the database's writers cannot change.
    pub async fn checkpoint_audit(&self, key: &SigningKey) -> Result<Option<Checkpoint>, StateError> {
        on_db!(self, db => {
        let mut tx = db.write_tx().await?;
        db.lock_audit(&mut tx).await?;
        let head: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        let Some((seq, hash)) = head else {
            return Ok(None);
        };
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM audit_checkpoints")
            .fetch_one(&mut *tx)
            .await?;
        if last.is_some_and(|last| last >= seq) {
            return Ok(None);
        }
        let at = time::from_db(time::to_db(Timestamp::now()))?;
        let cp = Checkpoint::sign(key, seq, &hash, at)?;
        sqlx::query("INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5)")
            .bind(cp.seq)
            .bind(&cp.hash)
            .bind(time::to_db(cp.at))
            .bind(&cp.key_id)
            .bind(&cp.signature)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(cp))
        })
    }

    /// Every stored checkpoint, oldest first (one row per checkpoint; there are few).
    pub async fn audit_checkpoints(&self) -> Result<Vec<Checkpoint>, StateError> {
        let sql = "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq";
        on_db!(self, db => {
            let rows = sqlx::query(sql).fetch_all(&db.reader).await?;
            rows.iter().map(checkpoint_from_row).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SigningKey {
        SigningKey::from_bytes(&[byte; 32])
    }

    #[test]
    fn signatures_verify_and_bind_seq_and_hash() {
        let k = key(7);
        let hash = "ab".repeat(32);
        let cp = Checkpoint::sign(&k, 42, &hash, Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(cp.key_id.len(), 16);
        assert_eq!(cp.signature.len(), 128);
        cp.verify(&k.verifying_key()).unwrap();

        let moved = Checkpoint { seq: 43, ..cp.clone() };
        assert!(moved.verify(&k.verifying_key()).is_err());
        let other_hash = Checkpoint {
            hash: "cd".repeat(32),
            ..cp.clone()
        };
        assert!(other_hash.verify(&k.verifying_key()).is_err());
        let err = cp.verify(&key(8).verifying_key()).unwrap_err();
        assert!(err.contains("signed by key"), "{err}");
        // Claiming the other key's id does not help either.
        let forged = Checkpoint {
            key_id: key_id(&key(8).verifying_key()),
            ..cp
        };
        assert_eq!(
            forged.verify(&key(8).verifying_key()).unwrap_err(),
            "checkpoint signature does not verify"
        );
    }

    #[test]
    fn message_layout() {
        let m = message(1, &"00".repeat(32)).unwrap();
        assert!(m.starts_with(CHECKPOINT_CONTEXT));
        assert_eq!(m.len(), CHECKPOINT_CONTEXT.len() + 40);
        assert_eq!(
            &m[CHECKPOINT_CONTEXT.len()..CHECKPOINT_CONTEXT.len() + 8],
            &1u64.to_be_bytes()
        );
        assert!(message(-1, &"00".repeat(32)).is_none());
        assert!(message(1, "00").is_none());
    }
}

//! The audit trail: an append-only, hash-chained log of who did what, with signed checkpoints.
//!
//! Every entry stores the hash of the entry before it and its own hash over that and its content
//! ([`canonical`] documents the encoding), so walking the chain ([`State::verify_audit`]) finds a
//! deleted entry (a gap in `seq`), reordered or inserted entries (a broken link) and a modified entry (a
//! hash that does not match). What the chain alone cannot show — entries cut off at the end, or the whole
//! chain recomputed after an edit — signed checkpoints show ([`State::checkpoint_audit`]): an Ed25519
//! signature over a position and its hash, exported and kept where whoever can write the database cannot.
//!
//! Appends take the write lock first (`BEGIN IMMEDIATE`), read the head and insert the next position in
//! the same transaction, so concurrent writers — other tasks, or another process such as the CLI while
//! the server runs — queue and the chain stays gap-free. Triggers refuse UPDATE and DELETE on both tables.

pub mod canonical;
mod checkpoint;
mod keys;
mod list;
mod verify;

use crate::db::{DbRow, on_db};
use crate::{State, StateError, time};
use canonical::Fields;
use jiff::Timestamp;
use serde::Serialize;

pub use canonical::GENESIS_HASH;
pub use checkpoint::{CHECKPOINT_CONTEXT, Checkpoint, key_id};
pub use keys::{load_or_create_signing_key, read_public_key, read_signing_key, write_public_key};
pub use list::{AuditPage, AuditQuery};
pub use vigil_api_types::audit::{AuditOutcome, AuditProblem, AuditProblemKind, AuditVerify};

/// The tenant of entries that name none.
pub use vigil_api_types::access::DEFAULT_TENANT;

/// Largest canonical `detail` text accepted, in bytes.
const MAX_DETAIL_BYTES: usize = 64 * 1024;

/// The columns of `audit_log`.
pub(super) const AUDIT_COLUMNS: &str =
    "seq, at, actor, actor_kind, tenant, action, target, outcome, source, detail, prev_hash, hash";

/// An audit entry to append. Build one with [`NewAuditEntry::new`] and the `with_` methods.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    /// Who did it: a principal id such as `apikey:0123abcd…`, `user:alice`, `cli:root` or `system`.
    pub actor: String,
    /// The kind of principal (`apikey`, `user`, `cli`, `system`).
    pub actor_kind: String,
    /// The tenant concerned ([`DEFAULT_TENANT`] unless set).
    pub tenant: String,
    /// A dotted name such as `apikey.create`, `rules.reload`, `auth.failure` (lowercase letters, digits,
    /// `_` and `-` between dots).
    pub action: String,
    /// What it was done to (an id; never a secret).
    pub target: Option<String>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Client address, if any.
    pub source: Option<String>,
    /// More detail: a JSON object (stored with its keys sorted).
    pub detail: Option<serde_json::Value>,
    /// When it happened; `None` (the default) means now. Set it in tests or when recording an action
    /// that happened earlier.
    pub at: Option<Timestamp>,
}

impl NewAuditEntry {
    /// An entry for `actor` doing `action` with `outcome`, in the default tenant. `actor_kind` is the part
    /// of `actor` before its first `:` (`apikey:0123…` → `apikey`), or the whole actor (`system`).
    pub fn new(actor: impl Into<String>, action: impl Into<String>, outcome: AuditOutcome) -> NewAuditEntry {
        let actor = actor.into();
        let actor_kind = actor
            .split_once(':')
            .map_or(actor.as_str(), |(kind, _)| kind)
            .to_owned();
        NewAuditEntry {
            actor,
            actor_kind,
            tenant: DEFAULT_TENANT.to_owned(),
            action: action.into(),
            target: None,
            outcome,
            source: None,
            detail: None,
            at: None,
        }
    }

    /// Sets the kind of actor.
    pub fn with_actor_kind(mut self, kind: impl Into<String>) -> Self {
        self.actor_kind = kind.into();
        self
    }

    /// Sets the tenant.
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = tenant.into();
        self
    }

    /// Sets the target.
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the client address.
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Sets the detail (must be a JSON object).
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }

    /// Sets when it happened.
    pub fn with_at(mut self, at: Timestamp) -> Self {
        self.at = Some(at);
        self
    }
}

/// A stored audit entry.
///
/// Serialized (the API body and the export) as [`vigil_api_types::audit::AuditEntry`], with `detail` as
/// a JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain: 1, 2, 3 … without gaps.
    pub seq: i64,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it.
    pub actor: String,
    /// The kind of principal.
    pub actor_kind: String,
    /// The tenant concerned.
    pub tenant: String,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub target: Option<String>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Client address, if any.
    pub source: Option<String>,
    /// The detail as canonical JSON text: exactly the bytes that were hashed.
    pub detail: Option<String>,
    /// Hash of the previous entry ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditEntry {
    /// The entry as the API sends it. A stored detail that is not JSON (only possible if the database was
    /// edited) is sent as a JSON string.
    pub fn to_wire(&self) -> vigil_api_types::audit::AuditEntry {
        vigil_api_types::audit::AuditEntry {
            seq: self.seq,
            at: self.at,
            actor: self.actor.clone(),
            actor_kind: self.actor_kind.clone(),
            tenant: self.tenant.clone(),
            action: self.action.clone(),
            target: self.target.clone(),
            outcome: self.outcome,
            source: self.source.clone(),
            detail: self
                .detail
                .as_deref()
                .map(|d| serde_json::from_str(d).unwrap_or_else(|_| serde_json::Value::String(d.to_owned()))),
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
        }
    }

    /// The hash this entry should have, recomputed from `prev_hash` and its content. Equal to `hash` for
    /// an intact entry. `None` when `prev_hash` is not a lowercase-hex SHA-256.
    pub fn compute_hash(&self) -> Option<String> {
        let at = time::to_db(self.at);
        canonical::chain_hash(
            &self.prev_hash,
            &Fields {
                seq: self.seq,
                at,
                actor: &self.actor,
                actor_kind: &self.actor_kind,
                tenant: &self.tenant,
                action: &self.action,
                target: self.target.as_deref(),
                outcome: self.outcome.as_str(),
                source: self.source.as_deref(),
                detail: self.detail.as_deref(),
            },
        )
    }
}

impl Serialize for AuditEntry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_wire().serialize(serializer)
    }
}

/// A validated entry, ready to hash and insert.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) entry: NewAuditEntry,
    pub(crate) at: i64,
    pub(crate) detail: Option<String>,
}

fn check_text(what: &str, value: &str, max_chars: usize) -> Result<(), StateError> {
    if value.is_empty() || value.chars().count() > max_chars {
        return Err(StateError::InvalidInput(format!(
            "audit {what} must be 1-{max_chars} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(StateError::InvalidInput(format!(
            "audit {what} contains control characters"
        )));
    }
    Ok(())
}

/// `a.b-c.d_e`: non-empty segments of lowercase ASCII letters, digits, `_` and `-`, joined by dots.
fn is_dotted_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        })
}

pub(crate) fn prepare(entry: NewAuditEntry) -> Result<Prepared, StateError> {
    check_text("actor", &entry.actor, 256)?;
    check_text("tenant", &entry.tenant, 128)?;
    if entry.actor_kind.len() > 64 || !is_dotted_name(&entry.actor_kind) || entry.actor_kind.contains('.') {
        return Err(StateError::InvalidInput(
            "audit actor kind must be 1-64 lowercase letters, digits, '_' or '-'".into(),
        ));
    }
    if entry.action.len() > 128 || !is_dotted_name(&entry.action) {
        return Err(StateError::InvalidInput(
            "audit action must be a dotted name such as apikey.create".into(),
        ));
    }
    if let Some(target) = &entry.target {
        check_text("target", target, 512)?;
    }
    if let Some(source) = &entry.source {
        check_text("source", source, 256)?;
    }
    let detail = match &entry.detail {
        None => None,
        Some(v @ serde_json::Value::Object(_)) => Some(canonical::canonical_json(v)),
        Some(_) => return Err(StateError::InvalidInput("audit detail must be a JSON object".into())),
    };
    if detail.as_ref().is_some_and(|d| d.len() > MAX_DETAIL_BYTES) {
        return Err(StateError::InvalidInput(format!(
            "audit detail larger than {MAX_DETAIL_BYTES} bytes"
        )));
    }
    let at = time::to_db(entry.at.unwrap_or_else(Timestamp::now));
    Ok(Prepared { entry, at, detail })
}

pub(super) fn entry_from_row(row: &impl DbRow) -> Result<AuditEntry, StateError> {
    let outcome = row.text("outcome")?;
    Ok(AuditEntry {
        seq: row.int("seq")?,
        at: row.instant("at")?,
        actor: row.text("actor")?,
        actor_kind: row.text("actor_kind")?,
        tenant: row.text("tenant")?,
        action: row.text("action")?,
        target: row.opt_text("target")?,
        outcome: AuditOutcome::parse(&outcome)
            .ok_or_else(|| StateError::Corrupt(format!("unknown audit outcome {outcome:?}")))?,
        source: row.opt_text("source")?,
        detail: row.opt_text("detail")?,
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
    })
}

/// Appends the [`Prepared`] entry `$p` in the open write transaction `$tx`, whose audit lock the
/// caller holds (`db.lock_audit`); evaluates to `Result<AuditEntry, StateError>`. Changes that are
/// audited write their entry this way, in their own transaction: the change and its entry commit
/// together or not at all.
macro_rules! append_in_tx {
    ($tx:ident, $p:expr) => {
        async {
            let p: $crate::audit::Prepared = $p;
            let head: Option<(i64, String)> =
                sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *$tx)
                    .await?;
            let (prev_seq, prev_hash) = head.unwrap_or_else(|| (0, $crate::audit::GENESIS_HASH.to_owned()));
            let e = &p.entry;
            let fields = $crate::audit::canonical::Fields {
                seq: prev_seq + 1,
                at: p.at,
                actor: &e.actor,
                actor_kind: &e.actor_kind,
                tenant: &e.tenant,
                action: &e.action,
                target: e.target.as_deref(),
                outcome: e.outcome.as_str(),
                source: e.source.as_deref(),
                detail: p.detail.as_deref(),
            };
            let hash = $crate::audit::canonical::chain_hash(&prev_hash, &fields)
                .ok_or_else(|| $crate::StateError::Corrupt(format!("audit entry {prev_seq} has a malformed hash")))?;
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, actor_kind, tenant, action, target, outcome, source, \
                 detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(fields.seq)
            .bind(fields.at)
            .bind(fields.actor)
            .bind(fields.actor_kind)
            .bind(fields.tenant)
            .bind(fields.action)
            .bind(fields.target)
            .bind(fields.outcome)
            .bind(fields.source)
            .bind(fields.detail)
            .bind(&prev_hash)
            .bind(&hash)
            .execute(&mut *$tx)
            .await?;
            let seq = fields.seq;
            Ok::<_, $crate::StateError>($crate::audit::AuditEntry {
                seq,
                at: $crate::time::from_db(p.at)?,
                actor: p.entry.actor,
                actor_kind: p.entry.actor_kind,
                tenant: p.entry.tenant,
                action: p.entry.action,
                target: p.entry.target,
                outcome: p.entry.outcome,
                source: p.entry.source,
                detail: p.detail,
                prev_hash,
                hash,
            })
        }
        .await
    };
}
pub(crate) use append_in_tx;

impl State {
    /// Appends an entry at the end of the chain and returns it as stored.
    ///
    /// One write transaction (`BEGIN IMMEDIATE`) reads the head and inserts the next position, so
    /// concurrent appends from any number of tasks or processes queue and the chain stays gap-free.
    /// [`StateError::InvalidInput`] for an empty actor, an action that is not a dotted name, a detail that
    /// is not a JSON object (or larger than 64 KiB), or control characters in text fields.
    pub async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StateError> {
        let p = prepare(entry)?;
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            db.lock_audit(&mut tx).await?;
            let stored = append_in_tx!(tx, p)?;
            tx.commit().await?;
            Ok(stored)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_kind_defaults_to_the_principal_prefix() {
        let e = NewAuditEntry::new("apikey:0123abcd", "apikey.create", AuditOutcome::Success);
        assert_eq!(e.actor_kind, "apikey");
        assert_eq!(e.tenant, DEFAULT_TENANT);
        assert_eq!(
            NewAuditEntry::new("system", "rules.reload", AuditOutcome::Success).actor_kind,
            "system"
        );
    }

    #[test]
    fn entries_are_validated() {
        let ok = || NewAuditEntry::new("user:alice", "alert.update", AuditOutcome::Success);
        assert!(prepare(ok()).is_ok());
        assert!(prepare(ok().with_detail(serde_json::json!({"b": 1, "a": 2}))).is_ok());
        for bad in [
            NewAuditEntry::new("", "alert.update", AuditOutcome::Success),
            NewAuditEntry::new("user:a\x1b", "alert.update", AuditOutcome::Success),
            NewAuditEntry::new("user:alice", "Alert.Update", AuditOutcome::Success),
            NewAuditEntry::new("user:alice", "alert..update", AuditOutcome::Success),
            NewAuditEntry::new("user:alice", "alert.", AuditOutcome::Success),
            ok().with_actor_kind("a.b"),
            ok().with_detail(serde_json::json!([1])),
            ok().with_target("x\ny"),
            ok().with_detail(serde_json::json!({"big": "x".repeat(MAX_DETAIL_BYTES)})),
        ] {
            assert!(
                matches!(prepare(bad.clone()), Err(StateError::InvalidInput(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn detail_is_stored_canonically() {
        let p = prepare(
            NewAuditEntry::new("system", "rules.reload", AuditOutcome::Success)
                .with_detail(serde_json::json!({"z": 1, "a": {"d": 2, "c": 3}})),
        )
        .unwrap();
        assert_eq!(p.detail.as_deref(), Some(r#"{"a":{"c":3,"d":2},"z":1}"#));
    }
}

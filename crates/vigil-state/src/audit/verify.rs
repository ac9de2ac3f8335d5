//! Walking the chain: every entry in seq order, in batches, against the hashes and the checkpoints.

use crate::db::{DbRow, on_db};
use crate::{State, StateError};
use ed25519_dalek::VerifyingKey;
use sqlx::AssertSqlSafe;

use super::canonical::{self, Fields, GENESIS_HASH};
use super::{AuditProblem, AuditProblemKind, AuditVerify, Checkpoint};

/// Entries read per query.
const BATCH: i64 = 1000;

/// The columns as the walk reads them. The casts make a value of the wrong type (SQLite stores whatever
/// it is given) read as text, so it shows up as a modified entry instead of failing the whole walk; they
/// do not change values of the declared type.
const RAW_COLUMNS: &str = "seq, CAST(at AS BIGINT) AS at, CAST(actor AS TEXT) AS actor, \
    CAST(actor_kind AS TEXT) AS actor_kind, CAST(tenant AS TEXT) AS tenant, CAST(action AS TEXT) AS action, \
    CAST(target AS TEXT) AS target, CAST(outcome AS TEXT) AS outcome, CAST(source AS TEXT) AS source, \
    CAST(detail AS TEXT) AS detail, CAST(prev_hash AS TEXT) AS prev_hash, CAST(hash AS TEXT) AS hash";

/// An entry exactly as stored: text fields are not interpreted, so a damaged value shows up as a hash
/// mismatch at its position rather than as an unreadable row.
#[derive(Debug)]
struct RawEntry {
    seq: i64,
    at: i64,
    actor: String,
    actor_kind: String,
    tenant: String,
    action: String,
    target: Option<String>,
    outcome: String,
    source: Option<String>,
    detail: Option<String>,
    prev_hash: String,
    hash: String,
}

impl RawEntry {
    fn from_row(row: &impl DbRow) -> Result<RawEntry, StateError> {
        Ok(RawEntry {
            seq: row.int("seq")?,
            at: row.int("at")?,
            actor: row.text("actor")?,
            actor_kind: row.text("actor_kind")?,
            tenant: row.text("tenant")?,
            action: row.text("action")?,
            target: row.opt_text("target")?,
            outcome: row.text("outcome")?,
            source: row.opt_text("source")?,
            detail: row.opt_text("detail")?,
            prev_hash: row.text("prev_hash")?,
            hash: row.text("hash")?,
        })
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            seq: self.seq,
            at: self.at,
            actor: &self.actor,
            actor_kind: &self.actor_kind,
            tenant: &self.tenant,
            action: &self.action,
            target: self.target.as_deref(),
            outcome: &self.outcome,
            source: self.source.as_deref(),
            detail: self.detail.as_deref(),
        }
    }
}

fn problem(seq: i64, kind: AuditProblemKind, reason: String) -> AuditProblem {
    AuditProblem { seq, kind, reason }
}

/// The state of a walk: where the chain stands and which checkpoints are still ahead.
struct Walk<'a> {
    /// Position of the last intact entry (0 before the first).
    seq: i64,
    /// Hash of the last intact entry.
    hash: String,
    entries: u64,
    /// Checkpoints sorted by seq, and how many have been compared.
    checkpoints: Vec<&'a Checkpoint>,
    next: usize,
    key: Option<&'a VerifyingKey>,
}

impl<'a> Walk<'a> {
    fn new(checkpoints: &'a [Checkpoint], key: Option<&'a VerifyingKey>) -> Walk<'a> {
        let mut sorted: Vec<&Checkpoint> = checkpoints.iter().collect();
        sorted.sort_by_key(|c| c.seq);
        Walk {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
            entries: 0,
            checkpoints: sorted,
            next: 0,
            key,
        }
    }

    /// Checks the next stored entry; on success it becomes the head of the intact chain.
    fn step(&mut self, e: &RawEntry) -> Result<(), AuditProblem> {
        let expected = self.seq + 1;
        if e.seq != expected {
            let reason = if e.seq == expected + 1 {
                format!(
                    "entry {expected} is missing (deleted): the chain goes from {} to {}",
                    self.seq, e.seq
                )
            } else {
                format!(
                    "entries {expected} to {} are missing (deleted): the chain goes from {} to {}",
                    e.seq - 1,
                    self.seq,
                    e.seq
                )
            };
            return Err(problem(expected, AuditProblemKind::Gap, reason));
        }
        if e.prev_hash != self.hash {
            let reason = if self.seq == 0 {
                "the first entry does not start from the genesis hash (entries before it were removed or it was \
                 moved)"
                    .to_owned()
            } else {
                format!(
                    "prev_hash is not the hash of entry {} (entries reordered, replaced or removed)",
                    self.seq
                )
            };
            return Err(problem(e.seq, AuditProblemKind::BrokenLink, reason));
        }
        if canonical::chain_hash(&e.prev_hash, &e.fields()).as_deref() != Some(e.hash.as_str()) {
            let reason = "content does not match its hash (entry modified)".to_owned();
            return Err(problem(e.seq, AuditProblemKind::Modified, reason));
        }
        self.check_checkpoints_up_to(e.seq, &e.hash)?;
        self.seq = e.seq;
        self.hash.clone_from(&e.hash);
        self.entries += 1;
        Ok(())
    }

    /// Compares the checkpoints at positions up to `seq` (whose intact hash is `hash`).
    fn check_checkpoints_up_to(&mut self, seq: i64, hash: &str) -> Result<(), AuditProblem> {
        while let Some(cp) = self.checkpoints.get(self.next).copied().filter(|c| c.seq <= seq) {
            self.check_signature(cp)?;
            if cp.seq < seq {
                // Only a checkpoint at position 0 or below gets here: positions start at 1.
                let reason = format!("checkpoint names position {}, which no chain has", cp.seq);
                return Err(problem(cp.seq, AuditProblemKind::CheckpointMismatch, reason));
            }
            if cp.hash != hash {
                let reason = format!(
                    "checkpoint signed hash {} at this position but the chain has {hash} (chain rewritten)",
                    cp.hash
                );
                return Err(problem(seq, AuditProblemKind::CheckpointMismatch, reason));
            }
            self.next += 1;
        }
        Ok(())
    }

    fn check_signature(&self, cp: &Checkpoint) -> Result<(), AuditProblem> {
        match self.key {
            Some(key) => cp
                .verify(key)
                .map_err(|reason| problem(cp.seq, AuditProblemKind::BadSignature, reason)),
            None => Ok(()),
        }
    }

    /// After the last entry: a checkpoint still ahead names a position the chain no longer reaches.
    fn finish(&mut self) -> Result<(), AuditProblem> {
        if let Some(cp) = self.checkpoints.get(self.next).copied() {
            self.check_signature(cp)?;
            let reason = format!(
                "a checkpoint signed entry {} but the chain ends at {} (entries cut off)",
                cp.seq, self.seq
            );
            return Err(problem(cp.seq, AuditProblemKind::Truncated, reason));
        }
        Ok(())
    }

    fn answer(self, outcome: Result<(), AuditProblem>) -> AuditVerify {
        let problem = outcome.err();
        AuditVerify {
            intact: problem.is_none(),
            entries: self.entries,
            head_hash: self.hash,
            checkpoints: self.next as u64,
            signatures_checked: self.key.is_some(),
            problem,
        }
    }
}

impl State {
    /// Verifies the whole audit chain, oldest entry first, reading it in batches (never all at once).
    ///
    /// Reports the number of intact entries and the first problem: a gap in `seq` (a deleted entry), a
    /// `prev_hash` that is not the previous entry's hash (reordered, replaced or deleted entries), a hash
    /// that does not match the content (a modified entry), a checkpoint whose hash differs from the
    /// chain's at its position (the chain was rewritten), a checkpoint past the end (entries cut off),
    /// or — when `key` is given — a checkpoint whose signature does not verify with it. Without `key`
    /// checkpoints are compared but their signatures not checked.
    ///
    /// Pass checkpoints kept outside the database (an exported NDJSON file) to detect a rewrite by whoever
    /// can write the database; [`State::audit_checkpoints`] gives the stored ones. Entries appended while
    /// the walk runs are checked too.
    pub async fn verify_audit(
        &self,
        checkpoints: &[Checkpoint],
        key: Option<&VerifyingKey>,
    ) -> Result<AuditVerify, StateError> {
        let mut walk = Walk::new(checkpoints, key);
        let mut after = 0i64;
        loop {
            let sql = AssertSqlSafe(format!(
                "SELECT {RAW_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
            ));
            let entries = on_db!(self, db => {
                let rows = sqlx::query(sql).bind(after).bind(BATCH).fetch_all(&db.reader).await?;
                rows.iter().map(RawEntry::from_row).collect::<Result<Vec<_>, _>>()?
            });
            let Some(last) = entries.last() else { break };
            after = last.seq;
            for entry in &entries {
                if let Err(p) = walk.step(entry) {
                    return Ok(walk.answer(Err(p)));
                }
            }
        }
        let outcome = walk.finish();
        Ok(walk.answer(outcome))
    }
}

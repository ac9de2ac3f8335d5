//! The audit trail: who did what, when, to what, with which outcome — as listed (`GET
//! /api/v1/audit`), exported (NDJSON, one [`AuditEntry`] a line, oldest first) and verified.
//!
//! Entries form a hash chain: each carries the hash of the one before it (`prev_hash`) and its own
//! (`hash`), so a deleted, reordered or modified entry is found by walking the chain; signed
//! checkpoints kept elsewhere also reveal a chain rewritten consistently or cut short.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuditOutcome {
    /// It was done.
    Success,
    /// It was attempted and failed (bad input, unknown target, an error).
    Failure,
    /// The actor was not allowed to do it (authentication or authorization refused).
    Denied,
}

impl AuditOutcome {
    /// The name stored and sent (`success`, `failure`, `denied`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Failure => "failure",
            AuditOutcome::Denied => "denied",
        }
    }

    /// The outcome of a stored name.
    pub fn parse(s: &str) -> Option<AuditOutcome> {
        match s {
            "success" => Some(AuditOutcome::Success),
            "failure" => Some(AuditOutcome::Failure),
            "denied" => Some(AuditOutcome::Denied),
            _ => None,
        }
    }
}

impl std::fmt::Display for AuditOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the chain: 1, 2, 3 … without gaps.
    pub seq: i64,
    /// When it happened (RFC 3339).
    pub at: Timestamp,
    /// Who did it: a principal id such as `apikey:0123abcd…`, `user:alice`, `cli:root` or `system`.
    pub actor: String,
    /// What kind of principal the actor is (`apikey`, `user`, `cli`, `system`).
    pub actor_kind: String,
    /// The tenant the action concerned (`default` unless multi-tenant).
    pub tenant: String,
    /// What was done, a dotted name such as `apikey.create`, `rules.reload`, `auth.failure`.
    pub action: String,
    /// What it was done to (an id), if anything.
    pub target: Option<String>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Where the request came from (client address), if known.
    pub source: Option<String>,
    /// More detail (a JSON object), if any.
    pub detail: Option<serde_json::Value>,
    /// Hash of the previous entry (64 zeros for the first), lowercase hex SHA-256.
    pub prev_hash: String,
    /// This entry's hash over `prev_hash` and its content, lowercase hex SHA-256.
    pub hash: String,
}

/// One page of audit entries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// The entries, newest (highest `seq`) first.
    pub entries: Vec<AuditEntry>,
    /// Pass as the `cursor` parameter to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// What is wrong at one place of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditProblemKind {
    /// An entry is missing: the chain jumps over `seq` (deleted entries).
    Gap,
    /// The entry's `prev_hash` is not the hash of the entry before it (reordered, deleted or
    /// inserted entries).
    BrokenLink,
    /// The entry's content does not match its hash (modified).
    Modified,
    /// A checkpoint signed a different hash at this position (the chain was rewritten).
    CheckpointMismatch,
    /// A checkpoint names a position past the end of the chain (entries were cut off).
    Truncated,
    /// A checkpoint's signature does not verify with the given public key.
    BadSignature,
}

/// The first problem found in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditProblem {
    /// The chain position concerned.
    pub seq: i64,
    /// What kind of problem it is.
    pub kind: AuditProblemKind,
    /// A sentence for people, e.g. `content does not match its hash (entry modified)`.
    pub reason: String,
}

/// The result of verifying the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditVerify {
    /// True when no problem was found.
    pub intact: bool,
    /// Entries checked and found intact (all of them when `intact`; those before the problem
    /// otherwise).
    pub entries: u64,
    /// Hash of the last intact entry checked (64 zeros for an empty chain): what a later
    /// verification or checkpoint should find at that position.
    pub head_hash: String,
    /// Checkpoints compared with the chain.
    pub checkpoints: u64,
    /// Whether checkpoint signatures were verified (a public key was given).
    pub signatures_checked: bool,
    /// The first problem, when not `intact`.
    pub problem: Option<AuditProblem>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_read_back_as_sent() {
        let sent = json!({
            "seq": 7, "at": "2026-12-05T10:00:00Z", "actor": "user:alice", "actor_kind": "user",
            "tenant": "default", "action": "apikey.revoke", "target": "29d62df0adf75764",
            "outcome": "denied", "source": "10.0.0.7", "detail": {"reason": "scope"},
            "prev_hash": "0".repeat(64), "hash": "a".repeat(64)
        });
        let entry: AuditEntry = serde_json::from_value(sent.clone()).unwrap();
        assert_eq!(entry.outcome, AuditOutcome::Denied);
        assert_eq!(serde_json::to_value(&entry).unwrap(), sent);
    }

    #[test]
    fn outcome_names_agree() {
        for o in [AuditOutcome::Success, AuditOutcome::Failure, AuditOutcome::Denied] {
            assert_eq!(AuditOutcome::parse(o.as_str()), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), json!(o.to_string()));
        }
        assert_eq!(AuditOutcome::parse("Success"), None);
    }

    #[test]
    fn a_verify_answer_names_the_problem() {
        let v = AuditVerify {
            intact: false,
            entries: 4,
            head_hash: "b".repeat(64),
            checkpoints: 0,
            signatures_checked: false,
            problem: Some(AuditProblem {
                seq: 5,
                kind: AuditProblemKind::BrokenLink,
                reason: "x".into(),
            }),
        };
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["problem"]["kind"], "broken_link");
        assert_eq!(serde_json::from_value::<AuditVerify>(j).unwrap(), v);
    }
}

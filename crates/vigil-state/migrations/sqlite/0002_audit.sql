-- Vigil operational state, schema version 2 (SQLite): the tamper-evident audit trail.
--
-- `audit_log` is a hash chain: entry `seq` stores the hash of entry `seq - 1` (`prev_hash`) and its own
-- `hash` over that and its content (crates/vigil-state/src/audit/canonical.rs documents the encoding).
-- `audit_checkpoints` holds Ed25519 signatures over (seq, hash) of chain heads.
--
-- Both tables are append-only: the triggers below refuse UPDATE and DELETE, and an INSERT that is not the
-- next position (which also stops `INSERT OR REPLACE`, whose implicit delete fires no DELETE trigger).
-- The triggers stop mistakes and casual edits; someone who can drop them can still rewrite the file, which
-- is what the chain and the signed checkpoints (kept elsewhere) reveal.
-- SQLite-specific: `RAISE(ABORT, ...)` in triggers (PostgreSQL: a trigger function that raises, or
-- REVOKE UPDATE, DELETE from the application role).

CREATE TABLE audit_log (
    -- The chain position: 1, 2, 3 … without gaps (assigned by the writer, not AUTOINCREMENT).
    seq         INTEGER PRIMARY KEY,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    actor_kind  TEXT    NOT NULL,
    tenant      TEXT    NOT NULL DEFAULT 'default',
    action      TEXT    NOT NULL,
    target      TEXT,
    outcome     TEXT    NOT NULL,
    source      TEXT,
    -- Canonical JSON object text (keys sorted), exactly the bytes that were hashed.
    detail      TEXT,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor_seq ON audit_log (actor, seq);
CREATE INDEX audit_log_action_seq ON audit_log (action, seq);
CREATE INDEX audit_log_tenant_seq ON audit_log (tenant, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_append_next BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE audit_checkpoints (
    -- The chain position signed; at most one checkpoint per position, increasing.
    seq         INTEGER PRIMARY KEY,
    hash        TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    key_id      TEXT    NOT NULL,
    signature   TEXT    NOT NULL
);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;

CREATE TRIGGER audit_checkpoints_append_next BEFORE INSERT ON audit_checkpoints
WHEN NEW.seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints)
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;

-- Vigil operational state on PostgreSQL 15, schema version 1: the same tables as SQLite's
-- migrations 1-6 (migrations/sqlite/), in PostgreSQL's types.
--
-- Conventions, as on SQLite: instants are BIGINT unix nanoseconds (UTC); JSON values are TEXT holding
-- the exact bytes written (the audit chain hashes them); flags are BIGINT 0/1 or nullable instants;
-- every integer is BIGINT (the code reads i64). Text that is ordered or range-compared (names, ids,
-- audit actions) is `COLLATE "C"`: byte order, as on SQLite, whatever the database's locale.
-- Listing sequences are identity columns: a value is never reused, so cursors stay valid.

CREATE TABLE tokens (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    scope       TEXT    NOT NULL,
    secret_hash TEXT    NOT NULL,
    created     BIGINT  NOT NULL,
    last_used   BIGINT,
    revoked_at  BIGINT,
    role        TEXT,
    tenant      TEXT    NOT NULL DEFAULT 'default',
    expires_at  BIGINT
);

CREATE TABLE alerts (
    seq         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    tenant      TEXT    NOT NULL DEFAULT 'default',
    status      TEXT    NOT NULL DEFAULT 'new',
    rule_id     TEXT    NOT NULL,
    rule_title  TEXT    NOT NULL,
    level       TEXT    NOT NULL,
    level_rank  BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    attack      TEXT    NOT NULL,
    tags        TEXT    NOT NULL,
    event_ids   TEXT    NOT NULL,
    group_key   TEXT,
    event_time  BIGINT,
    detected    BIGINT  NOT NULL,
    input       TEXT,
    host        TEXT,
    matched     TEXT    NOT NULL
);

CREATE INDEX alerts_detected ON alerts (detected);
CREATE INDEX alerts_rule_seq ON alerts (rule_id, seq);
CREATE INDEX alerts_level_seq ON alerts (level_rank, seq);
CREATE INDEX alerts_tenant_seq ON alerts (tenant, seq);

CREATE TABLE dead_letters (
    seq         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant      TEXT    NOT NULL DEFAULT 'default',
    input       TEXT    NOT NULL,
    received    BIGINT  NOT NULL,
    peer        TEXT,
    code        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    data        BYTEA   NOT NULL
);

CREATE INDEX dead_letters_received ON dead_letters (received);
CREATE INDEX dead_letters_input_seq ON dead_letters (input, seq);
CREATE INDEX dead_letters_code_seq ON dead_letters (code, seq);
CREATE INDEX dead_letters_tenant_seq ON dead_letters (tenant, seq);

CREATE TABLE blobs (
    name        TEXT    NOT NULL PRIMARY KEY,
    data        BYTEA   NOT NULL,
    updated     BIGINT  NOT NULL
);

CREATE TABLE users (
    name            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    role            TEXT    NOT NULL,
    tenant          TEXT    NOT NULL DEFAULT 'default',
    password_hash   TEXT    NOT NULL,
    created         BIGINT  NOT NULL,
    password_set    BIGINT  NOT NULL,
    must_change     BIGINT  NOT NULL DEFAULT 0,
    last_login      BIGINT,
    disabled_at     BIGINT
);

CREATE TABLE sessions (
    id_hash     TEXT    NOT NULL PRIMARY KEY,
    user_name   TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    created     BIGINT  NOT NULL,
    expires     BIGINT  NOT NULL,
    last_seen   BIGINT  NOT NULL,
    ended_at    BIGINT
);

CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_last_seen ON sessions (last_seen);

CREATE TABLE federated_sessions (
    id_hash     TEXT    NOT NULL PRIMARY KEY,
    principal   TEXT    NOT NULL,
    created     BIGINT  NOT NULL,
    expires     BIGINT  NOT NULL,
    last_seen   BIGINT  NOT NULL,
    ended_at    BIGINT
);

CREATE INDEX federated_sessions_last_seen ON federated_sessions (last_seen);

-- The tamper-evident audit trail: a hash chain (crates/vigil-state/src/audit/canonical.rs documents
-- the encoding) and Ed25519-signed checkpoints of its head.
CREATE TABLE audit_log (
    seq         BIGINT  PRIMARY KEY,
    at          BIGINT  NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL,
    actor_kind  TEXT    NOT NULL,
    tenant      TEXT COLLATE "C" NOT NULL DEFAULT 'default',
    action      TEXT COLLATE "C" NOT NULL,
    target      TEXT,
    outcome     TEXT    NOT NULL,
    source      TEXT,
    detail      TEXT,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor_seq ON audit_log (actor, seq);
CREATE INDEX audit_log_action_seq ON audit_log (action, seq);
CREATE INDEX audit_log_tenant_seq ON audit_log (tenant, seq);

CREATE TABLE audit_checkpoints (
    seq         BIGINT  PRIMARY KEY,
    hash        TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    key_id      TEXT    NOT NULL,
    signature   TEXT    NOT NULL
);

-- Append-only in the database itself: UPDATE, DELETE and TRUNCATE raise, and an INSERT must be the
-- next position of the chain (audit_log) or past the last checkpoint (audit_checkpoints). These stop
-- the application and casual edits; a role that owns the tables can still drop the triggers, which
-- is what the chain and the checkpoints kept elsewhere reveal. Grant the application role only
-- SELECT and INSERT on these tables where the deployment allows (docs/state.md).
CREATE FUNCTION vigil_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION vigil_audit_append_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq IS DISTINCT FROM (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log) THEN
        RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION vigil_checkpoint_append_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints) THEN
        RAISE EXCEPTION 'audit_checkpoints is append-only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION vigil_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_refuse_change();
CREATE TRIGGER audit_log_append_next BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION vigil_audit_append_next();

CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION vigil_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_refuse_change();
CREATE TRIGGER audit_checkpoints_append_next BEFORE INSERT ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION vigil_checkpoint_append_next();

-- Vigil operational state, schema version 1 (SQLite).
--
-- Conventions (chosen to port to PostgreSQL with few edits):
--   * every instant is BIGINT unix nanoseconds (UTC), so ordering and range filters are integer compares;
--   * JSON values are stored as TEXT (PostgreSQL: JSONB);
--   * booleans are modelled as nullable instants (`revoked_at`), which both engines store the same way.
-- SQLite-specific: `INTEGER PRIMARY KEY AUTOINCREMENT` (PostgreSQL: `BIGINT GENERATED ALWAYS AS IDENTITY`)
-- and `BLOB` (PostgreSQL: `BYTEA`).

CREATE TABLE tokens (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    scope       TEXT    NOT NULL,
    secret_hash TEXT    NOT NULL,
    created     BIGINT  NOT NULL,
    last_used   BIGINT,
    revoked_at  BIGINT
);

CREATE TABLE alerts (
    -- AUTOINCREMENT: a seq is never reused, even after the newest rows are deleted, so cursors stay valid.
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    status      TEXT    NOT NULL DEFAULT 'new',
    rule_id     TEXT    NOT NULL,
    rule_title  TEXT    NOT NULL,
    level       TEXT    NOT NULL,
    level_rank  INTEGER NOT NULL,
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

CREATE TABLE dead_letters (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    input       TEXT    NOT NULL,
    received    BIGINT  NOT NULL,
    peer        TEXT,
    code        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    data        BLOB    NOT NULL
);

CREATE INDEX dead_letters_received ON dead_letters (received);
CREATE INDEX dead_letters_input_seq ON dead_letters (input, seq);
CREATE INDEX dead_letters_code_seq ON dead_letters (code, seq);

CREATE TABLE blobs (
    name        TEXT    NOT NULL PRIMARY KEY,
    data        BLOB    NOT NULL,
    updated     BIGINT  NOT NULL
);

-- Schema version 3: suppression rules (issue 16), as SQLite's version 8: suppressions with their
-- counts, and the matches they kept from becoming alerts.

CREATE TABLE suppressions (
    seq         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT    COLLATE "C" NOT NULL UNIQUE,
    tenant      TEXT    COLLATE "C" NOT NULL,
    rule_id     TEXT    COLLATE "C" NOT NULL,
    conditions  TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    alert_id    TEXT,
    created     BIGINT  NOT NULL,
    expires     BIGINT,
    disabled    BIGINT  NOT NULL DEFAULT 0,
    updated     BIGINT,
    updated_by  TEXT,
    hits        BIGINT  NOT NULL DEFAULT 0,
    last_hit    BIGINT
);
CREATE INDEX suppressions_tenant_seq ON suppressions (tenant, seq);

CREATE TABLE suppressed_matches (
    seq             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    match_id        TEXT    COLLATE "C" NOT NULL UNIQUE,
    suppression_id  TEXT    COLLATE "C" NOT NULL,
    tenant          TEXT    COLLATE "C" NOT NULL,
    rule_id         TEXT    NOT NULL,
    event_id        TEXT    NOT NULL,
    at              BIGINT  NOT NULL
);
CREATE INDEX suppressed_matches_suppression ON suppressed_matches (suppression_id, seq);
CREATE INDEX suppressed_matches_at ON suppressed_matches (at);

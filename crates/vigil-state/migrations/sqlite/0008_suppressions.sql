-- Schema version 8: suppression rules (issue 16). A suppression names a rule (or `*`) and exact
-- conditions on the event's fields; a detection match it covers raises no alert but is counted
-- on it (`hits`, `last_hit`) and listed in `suppressed_matches` — never silent.

CREATE TABLE suppressions (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    tenant      TEXT    NOT NULL,
    -- A rule id, or '*' for every rule.
    rule_id     TEXT    NOT NULL,
    -- JSON array of {"field": …, "value": …}: every one must hold.
    conditions  TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    -- The alert it was made from ("suppress alerts like this"), if any.
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

-- Each suppressed match once: `match_id` is the id the alert would have had (rule and event), so
-- a batch delivered again after a crash is not counted twice. Kept 30 days, at most 1,000,000 rows.
CREATE TABLE suppressed_matches (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    match_id        TEXT    NOT NULL UNIQUE,
    suppression_id  TEXT    NOT NULL,
    tenant          TEXT    NOT NULL,
    rule_id         TEXT    NOT NULL,
    event_id        TEXT    NOT NULL,
    at              BIGINT  NOT NULL
);
CREATE INDEX suppressed_matches_suppression ON suppressed_matches (suppression_id, seq);
CREATE INDEX suppressed_matches_at ON suppressed_matches (at);

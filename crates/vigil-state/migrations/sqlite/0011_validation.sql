-- Schema version 11: detection validation runs (issue 17). A run replays a plan's labelled attack
-- samples through the rule set the server was serving and keeps, per test, whether an expected
-- rule alerted (`detected`), only another rule (`other_rule`), an expected rule saw the events but
-- did not alert (`logged`), or nothing did (`missed`); per ATT&CK technique the best of its tests.
-- Only the counts are columns (the history and its trend); the per-test and per-technique results
-- are one JSON document.

CREATE TABLE validation_runs (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    tenant       TEXT    NOT NULL,
    at           BIGINT  NOT NULL,
    plan         TEXT    NOT NULL,
    author       TEXT    NOT NULL,
    -- The rule set evaluated: the server's generation (reload count) and a fingerprint of its rules.
    generation   BIGINT  NOT NULL,
    fingerprint  TEXT    NOT NULL,
    tests        BIGINT  NOT NULL,
    detected     BIGINT  NOT NULL,
    other_rule   BIGINT  NOT NULL,
    logged       BIGINT  NOT NULL,
    missed       BIGINT  NOT NULL,
    -- JSON: {"tests": [...], "techniques": [...]}.
    results      TEXT    NOT NULL
);
CREATE INDEX validation_runs_tenant_seq ON validation_runs (tenant, seq);

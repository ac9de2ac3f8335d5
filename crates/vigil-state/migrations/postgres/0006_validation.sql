-- Schema version 6: detection validation runs (issue 17), as SQLite's version 11.

CREATE TABLE validation_runs (
    seq          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT    COLLATE "C" NOT NULL UNIQUE,
    tenant       TEXT    COLLATE "C" NOT NULL,
    at           BIGINT  NOT NULL,
    plan         TEXT    NOT NULL,
    author       TEXT    NOT NULL,
    generation   BIGINT  NOT NULL,
    fingerprint  TEXT    NOT NULL,
    tests        BIGINT  NOT NULL,
    detected     BIGINT  NOT NULL,
    other_rule   BIGINT  NOT NULL,
    logged       BIGINT  NOT NULL,
    missed       BIGINT  NOT NULL,
    results      TEXT    NOT NULL
);
CREATE INDEX validation_runs_tenant_seq ON validation_runs (tenant, seq);

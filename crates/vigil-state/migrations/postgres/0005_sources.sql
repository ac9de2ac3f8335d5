-- Schema version 5: log-source health (issue 17, part 3), as SQLite's version 10: sources with
-- their counts and last arrival, hourly counts for the baseline, and the silences.

CREATE TABLE sources (
    id              TEXT    COLLATE "C" PRIMARY KEY,
    tenant          TEXT    COLLATE "C" NOT NULL,
    input           TEXT    COLLATE "C" NOT NULL,
    host            TEXT    COLLATE "C" NOT NULL,
    product         TEXT    COLLATE "C" NOT NULL,
    service         TEXT    COLLATE "C" NOT NULL,
    category        TEXT    COLLATE "C" NOT NULL,
    first_seen      BIGINT  NOT NULL,
    last_event      BIGINT  NOT NULL,
    events          BIGINT  NOT NULL DEFAULT 0,
    threshold_secs  BIGINT,
    silent_since    BIGINT
);
CREATE INDEX sources_tenant ON sources (tenant, last_event);

CREATE TABLE source_hours (
    source_id   TEXT    COLLATE "C" NOT NULL,
    hour        BIGINT  NOT NULL,
    events      BIGINT  NOT NULL,
    PRIMARY KEY (source_id, hour)
);
CREATE INDEX source_hours_hour ON source_hours (hour);

CREATE TABLE source_silences (
    seq         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id   TEXT    COLLATE "C" NOT NULL,
    tenant      TEXT    COLLATE "C" NOT NULL,
    started     BIGINT  NOT NULL,
    declared    BIGINT  NOT NULL,
    ended       BIGINT,
    alert_id    TEXT    NOT NULL,
    UNIQUE (source_id, started)
);
CREATE INDEX source_silences_tenant ON source_silences (tenant, started);

-- Schema version 10: log-source health (issue 17, part 3). A source is (tenant, input, host,
-- product, service, category) — host and logsource as the pipeline saw them; an event's several
-- services or categories are kept joined by ',' in one row, so each event counts once. Counts and
-- the last *arrival* (not event time: replays carry old timestamps) are flushed by the pipeline
-- every few seconds; `source_hours` holds hourly counts for the baseline; `source_silences` each
-- period a source that normally reports stayed silent past its threshold.

CREATE TABLE sources (
    id              TEXT    PRIMARY KEY,
    tenant          TEXT    NOT NULL,
    input           TEXT    NOT NULL,
    -- '' when unknown (empty text keys the row; the API shows it as absent).
    host            TEXT    NOT NULL,
    product         TEXT    NOT NULL,
    service         TEXT    NOT NULL,
    category        TEXT    NOT NULL,
    first_seen      BIGINT  NOT NULL,
    last_event      BIGINT  NOT NULL,
    events          BIGINT  NOT NULL DEFAULT 0,
    -- Set by the health task once the source has a baseline (NULL: still new).
    threshold_secs  BIGINT,
    -- The start of the silence in progress (NULL: not silent).
    silent_since    BIGINT
);
CREATE INDEX sources_tenant ON sources (tenant, last_event);

CREATE TABLE source_hours (
    source_id   TEXT    NOT NULL,
    hour        BIGINT  NOT NULL,
    events      BIGINT  NOT NULL,
    PRIMARY KEY (source_id, hour)
);
CREATE INDEX source_hours_hour ON source_hours (hour);

CREATE TABLE source_silences (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id   TEXT    NOT NULL,
    tenant      TEXT    NOT NULL,
    -- The source's last event before it went silent.
    started     BIGINT  NOT NULL,
    -- When the health task declared it silent (started + threshold, or later).
    declared    BIGINT  NOT NULL,
    -- The first arrival after it (NULL: still silent).
    ended       BIGINT,
    alert_id    TEXT    NOT NULL,
    UNIQUE (source_id, started)
);
CREATE INDEX source_silences_tenant ON source_silences (tenant, started);

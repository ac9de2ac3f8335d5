-- Schema version 2: the response workflow (issue 16), as SQLite's version 7: triage state on
-- alerts, their change history, incidents and the append-only incident timeline.

ALTER TABLE alerts ADD COLUMN disposition     TEXT;
ALTER TABLE alerts ADD COLUMN assignee        TEXT COLLATE "C";
ALTER TABLE alerts ADD COLUMN incident_id     TEXT COLLATE "C";
ALTER TABLE alerts ADD COLUMN updated         BIGINT;
ALTER TABLE alerts ADD COLUMN updated_by      TEXT;
ALTER TABLE alerts ADD COLUMN acknowledged    BIGINT;
ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
ALTER TABLE alerts ADD COLUMN closed          BIGINT;
ALTER TABLE alerts ADD COLUMN closed_by       TEXT;
ALTER TABLE alerts ADD COLUMN fingerprint     TEXT COLLATE "C";
ALTER TABLE alerts ADD COLUMN occurrences     BIGINT NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN first_seen      BIGINT;
ALTER TABLE alerts ADD COLUMN last_seen       BIGINT;

CREATE INDEX alerts_tenant_status_seq ON alerts (tenant, status, seq);
-- The queue's totals and filters (docs/PERFORMANCE.md, "Alert queue over 1M alerts"): counts by
-- status and level, a host's alerts, a rule's alerts in a time range. `seq` is left out of the
-- first so PostgreSQL can deduplicate it (a fraction of the size, and a fast count).
CREATE INDEX alerts_tenant_status_level ON alerts (tenant, status, level_rank);
CREATE INDEX alerts_tenant_host_seq ON alerts (tenant, host, seq);
CREATE INDEX alerts_tenant_rule_seq ON alerts (tenant, rule_id, seq, detected);
CREATE INDEX alerts_incident ON alerts (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX alerts_fingerprint ON alerts (tenant, fingerprint, seq) WHERE fingerprint IS NOT NULL;

CREATE TABLE alert_matches (
    match_id    TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    alert_id    TEXT    NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX alert_matches_at ON alert_matches (at);

CREATE TABLE alert_changes (
    seq         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id    TEXT    COLLATE "C" NOT NULL,
    tenant      TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    change      TEXT    NOT NULL
);
CREATE INDEX alert_changes_alert ON alert_changes (alert_id, seq);

CREATE TABLE incidents (
    seq             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT    COLLATE "C" NOT NULL UNIQUE,
    tenant          TEXT    COLLATE "C" NOT NULL,
    title           TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    classification  TEXT    NOT NULL,
    severity        BIGINT  NOT NULL,
    impact          TEXT    NOT NULL,
    urgency         TEXT    NOT NULL,
    priority        BIGINT  NOT NULL,
    tlp             TEXT    NOT NULL,
    pap             TEXT    NOT NULL,
    status          TEXT    COLLATE "C" NOT NULL,
    owner           TEXT,
    team            TEXT,
    resolution      TEXT,
    lessons_learned TEXT,
    attack          TEXT    NOT NULL DEFAULT '[]',
    pauses          TEXT    NOT NULL DEFAULT '[]',
    merged_into     TEXT,
    created         BIGINT  NOT NULL,
    created_by      TEXT    NOT NULL,
    updated         BIGINT  NOT NULL,
    first_event     BIGINT,
    detected        BIGINT,
    acknowledged    BIGINT,
    contained       BIGINT,
    resolved        BIGINT,
    closed          BIGINT
);
CREATE INDEX incidents_tenant_seq ON incidents (tenant, seq);
CREATE INDEX incidents_tenant_status_seq ON incidents (tenant, status, seq);

CREATE TABLE incident_timeline (
    seq         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id TEXT    COLLATE "C" NOT NULL,
    tenant      TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    occurred_at BIGINT,
    actor       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    detail      TEXT
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, seq);

CREATE TRIGGER incident_timeline_no_change BEFORE UPDATE OR DELETE ON incident_timeline
    FOR EACH ROW EXECUTE FUNCTION vigil_refuse_change();
CREATE TRIGGER incident_timeline_no_truncate BEFORE TRUNCATE ON incident_timeline
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_refuse_change();

CREATE TABLE incident_flags (
    incident_id TEXT    COLLATE "C" NOT NULL,
    flag        TEXT    COLLATE "C" NOT NULL,
    at          BIGINT  NOT NULL,
    PRIMARY KEY (incident_id, flag)
);

CREATE TABLE notifications (
    seq          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT    COLLATE "C" NOT NULL UNIQUE,
    tenant       TEXT    NOT NULL,
    incident_id  TEXT    COLLATE "C",
    channel      TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    status       TEXT    COLLATE "C" NOT NULL DEFAULT 'pending',
    attempts     BIGINT  NOT NULL DEFAULT 0,
    next_attempt BIGINT  NOT NULL,
    last_error   TEXT,
    created      BIGINT  NOT NULL,
    delivered    BIGINT
);
CREATE INDEX notifications_due ON notifications (status, next_attempt);
CREATE INDEX notifications_incident ON notifications (incident_id, seq);

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

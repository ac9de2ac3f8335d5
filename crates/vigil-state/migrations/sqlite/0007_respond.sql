-- Schema version 7: the response workflow (issue 16). Alerts get their triage state (who and when
-- for each milestone) and the incident they were merged into; every triage change is kept in
-- `alert_changes`; incidents with their NIST SP 800-61 status, RSIT classification and the first
-- time of each milestone; the incident timeline is append-only, like the audit trail.

ALTER TABLE alerts ADD COLUMN disposition     TEXT;
ALTER TABLE alerts ADD COLUMN assignee        TEXT;
ALTER TABLE alerts ADD COLUMN incident_id     TEXT;
ALTER TABLE alerts ADD COLUMN updated         BIGINT;
ALTER TABLE alerts ADD COLUMN updated_by      TEXT;
ALTER TABLE alerts ADD COLUMN acknowledged    BIGINT;
ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
ALTER TABLE alerts ADD COLUMN closed          BIGINT;
ALTER TABLE alerts ADD COLUMN closed_by       TEXT;
-- In-stream grouping: matches with the same fingerprint (rule + group-by values) within a window
-- fold into one open alert; `occurrences` counts them, `event_ids` keeps the first 100.
ALTER TABLE alerts ADD COLUMN fingerprint     TEXT;
ALTER TABLE alerts ADD COLUMN occurrences     BIGINT NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN first_seen      BIGINT;
ALTER TABLE alerts ADD COLUMN last_seen       BIGINT;

-- The analyst queue: a tenant's alerts of one status, newest first.
CREATE INDEX alerts_tenant_status_seq ON alerts (tenant, status, seq);
-- The queue's totals and filters (docs/PERFORMANCE.md, "Alert queue over 1M alerts"): counts by
-- status and level, a host's alerts, a rule's alerts in a time range. `seq` is left out of the
-- first so PostgreSQL can deduplicate it (a fraction of the size, and a fast count).
CREATE INDEX alerts_tenant_status_level ON alerts (tenant, status, level_rank);
CREATE INDEX alerts_tenant_host_seq ON alerts (tenant, host, seq);
CREATE INDEX alerts_tenant_rule_seq ON alerts (tenant, rule_id, seq, detected);
CREATE INDEX alerts_incident ON alerts (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX alerts_fingerprint ON alerts (tenant, fingerprint, seq) WHERE fingerprint IS NOT NULL;

-- Every grouped match once (a batch delivered again after a crash is not counted twice).
CREATE TABLE alert_matches (
    match_id    TEXT    NOT NULL PRIMARY KEY,
    alert_id    TEXT    NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX alert_matches_at ON alert_matches (at);

CREATE TABLE alert_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id    TEXT    NOT NULL,
    tenant      TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    -- JSON object: the fields set by this change (status, disposition, assignee, comment, incident_id).
    change      TEXT    NOT NULL
);
CREATE INDEX alert_changes_alert ON alert_changes (alert_id, seq);

CREATE TABLE incidents (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    tenant          TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    classification  TEXT    NOT NULL,
    severity        INTEGER NOT NULL,
    impact          TEXT    NOT NULL,
    urgency         TEXT    NOT NULL,
    priority        INTEGER NOT NULL,
    tlp             TEXT    NOT NULL,
    pap             TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    owner           TEXT,
    team            TEXT,
    resolution      TEXT,
    lessons_learned TEXT,
    -- JSON arrays: ATT&CK ids added by hand; pauses [{"from": ns, "to": ns|null}] while on hold.
    attack          TEXT    NOT NULL DEFAULT '[]',
    pauses          TEXT    NOT NULL DEFAULT '[]',
    merged_into     TEXT,
    created         BIGINT  NOT NULL,
    created_by      TEXT    NOT NULL,
    updated         BIGINT  NOT NULL,
    -- The first time of each milestone (the measure issue's KPIs come from these).
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
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT    NOT NULL,
    tenant      TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    -- When it happened in the attack's chronology (analyst entries); NULL: at `at`.
    occurred_at BIGINT,
    actor       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    detail      TEXT
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, seq);

CREATE TRIGGER incident_timeline_no_update BEFORE UPDATE ON incident_timeline
BEGIN
    SELECT RAISE(ABORT, 'incident_timeline is append-only');
END;

CREATE TRIGGER incident_timeline_no_delete BEFORE DELETE ON incident_timeline
BEGIN
    SELECT RAISE(ABORT, 'incident_timeline is append-only');
END;

-- What has happened to an incident once and only once: an SLA warning or breach per metric, an
-- escalation level (and each of its repeats). The flag is set in the transaction that writes the
-- timeline entry and queues the notifications, so a restart never repeats them.
CREATE TABLE incident_flags (
    incident_id TEXT    NOT NULL,
    flag        TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    PRIMARY KEY (incident_id, flag)
);

-- The notification outbox: queued in the transaction that decides to notify, delivered by a
-- task; the id is stable (sent as X-Vigil-Delivery / Message-ID) so a receiver can drop a
-- delivery repeated after a crash between sending and recording it.
CREATE TABLE notifications (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    tenant       TEXT    NOT NULL,
    incident_id  TEXT,
    channel      TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending',
    attempts     BIGINT  NOT NULL DEFAULT 0,
    next_attempt BIGINT  NOT NULL,
    last_error   TEXT,
    created      BIGINT  NOT NULL,
    delivered    BIGINT
);
CREATE INDEX notifications_due ON notifications (status, next_attempt);
CREATE INDEX notifications_incident ON notifications (incident_id, seq);

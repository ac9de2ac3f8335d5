-- Schema version 9: the working parts of an incident (issue 16) — tasks (from the runbook of its
-- classification or added by hand), observables (extracted from its alerts' events or added by
-- hand, indexed by value for "related incidents") and evidence attachments (content stored with
-- its SHA-256; the content is never changed in place).

CREATE TABLE incident_tasks (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    tenant       TEXT    NOT NULL,
    incident_id  TEXT    NOT NULL,
    -- Order within the incident (a template's order, then tasks added by hand).
    position     BIGINT  NOT NULL,
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    -- NIST SP 800-61 phase the task belongs to (e.g. `containment`), when the runbook says.
    phase        TEXT,
    -- open | in_progress | done | skipped
    status       TEXT    NOT NULL,
    mandatory    BIGINT  NOT NULL DEFAULT 0,
    assignee     TEXT,
    due          BIGINT,
    -- `name@version` of the task template the task came from; NULL for tasks added by hand.
    template     TEXT,
    created      BIGINT  NOT NULL,
    created_by   TEXT    NOT NULL,
    updated      BIGINT  NOT NULL,
    updated_by   TEXT    NOT NULL,
    completed    BIGINT,
    completed_by TEXT
);
CREATE INDEX incident_tasks_incident ON incident_tasks (tenant, incident_id, position);
CREATE INDEX incident_tasks_assignee ON incident_tasks (tenant, assignee, status);

CREATE TABLE observables (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    tenant       TEXT    NOT NULL,
    incident_id  TEXT    NOT NULL,
    -- ip | domain | url | host | user | hash | file | email
    kind         TEXT    NOT NULL,
    -- Normalised value (lower-case where the kind is case-insensitive).
    value        TEXT    NOT NULL,
    tlp          TEXT    NOT NULL,
    ioc          BIGINT  NOT NULL DEFAULT 0,
    -- extracted | manual
    source       TEXT    NOT NULL,
    -- The event field it was found in and the alert whose event carried it (extracted ones).
    field        TEXT,
    alert_id     TEXT,
    -- Times seen in the incident's events, and when first and last.
    sightings    BIGINT  NOT NULL DEFAULT 1,
    first_seen   BIGINT  NOT NULL,
    last_seen    BIGINT  NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    created      BIGINT  NOT NULL,
    created_by   TEXT    NOT NULL,
    updated      BIGINT  NOT NULL,
    UNIQUE (tenant, incident_id, kind, value)
);
-- "Related incidents": the other incidents of the tenant with the same observable.
CREATE INDEX observables_value ON observables (tenant, kind, value);
CREATE INDEX observables_incident ON observables (tenant, incident_id, seq);

-- Which alerts' events have been scanned for an incident's observables (each once).
CREATE TABLE observable_scans (
    incident_id  TEXT    NOT NULL,
    alert_id     TEXT    NOT NULL,
    at           BIGINT  NOT NULL,
    events       BIGINT  NOT NULL,
    PRIMARY KEY (incident_id, alert_id)
);

CREATE TABLE attachments (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    tenant       TEXT    NOT NULL,
    incident_id  TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    media_type   TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    -- Lower-case hex SHA-256 of `content`, computed by Vigil when it was stored.
    sha256       TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    content      BLOB    NOT NULL,
    created      BIGINT  NOT NULL,
    created_by   TEXT    NOT NULL
);
CREATE INDEX attachments_incident ON attachments (tenant, incident_id, seq);
CREATE INDEX attachments_sha256 ON attachments (tenant, sha256);

CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
BEGIN
    SELECT RAISE(ABORT, 'attachments are immutable');
END;

-- Schema version 4: the working parts of an incident (issue 16), as SQLite's version 9: tasks,
-- observables (indexed by value for "related incidents") and immutable evidence attachments.

CREATE TABLE incident_tasks (
    seq          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT    COLLATE "C" NOT NULL UNIQUE,
    tenant       TEXT    COLLATE "C" NOT NULL,
    incident_id  TEXT    COLLATE "C" NOT NULL,
    position     BIGINT  NOT NULL,
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    phase        TEXT,
    status       TEXT    COLLATE "C" NOT NULL,
    mandatory    BIGINT  NOT NULL DEFAULT 0,
    assignee     TEXT    COLLATE "C",
    due          BIGINT,
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
    seq          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT    COLLATE "C" NOT NULL UNIQUE,
    tenant       TEXT    COLLATE "C" NOT NULL,
    incident_id  TEXT    COLLATE "C" NOT NULL,
    kind         TEXT    COLLATE "C" NOT NULL,
    value        TEXT    COLLATE "C" NOT NULL,
    tlp          TEXT    NOT NULL,
    ioc          BIGINT  NOT NULL DEFAULT 0,
    source       TEXT    NOT NULL,
    field        TEXT,
    alert_id     TEXT,
    sightings    BIGINT  NOT NULL DEFAULT 1,
    first_seen   BIGINT  NOT NULL,
    last_seen    BIGINT  NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    created      BIGINT  NOT NULL,
    created_by   TEXT    NOT NULL,
    updated      BIGINT  NOT NULL,
    UNIQUE (tenant, incident_id, kind, value)
);
CREATE INDEX observables_value ON observables (tenant, kind, value);
CREATE INDEX observables_incident ON observables (tenant, incident_id, seq);

CREATE TABLE observable_scans (
    incident_id  TEXT    COLLATE "C" NOT NULL,
    alert_id     TEXT    COLLATE "C" NOT NULL,
    at           BIGINT  NOT NULL,
    events       BIGINT  NOT NULL,
    PRIMARY KEY (incident_id, alert_id)
);

CREATE TABLE attachments (
    seq          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT    COLLATE "C" NOT NULL UNIQUE,
    tenant       TEXT    COLLATE "C" NOT NULL,
    incident_id  TEXT    COLLATE "C" NOT NULL,
    name         TEXT    NOT NULL,
    media_type   TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    sha256       TEXT    COLLATE "C" NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    content      BYTEA   NOT NULL,
    created      BIGINT  NOT NULL,
    created_by   TEXT    NOT NULL
);
CREATE INDEX attachments_incident ON attachments (tenant, incident_id, seq);
CREATE INDEX attachments_sha256 ON attachments (tenant, sha256);

CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
    FOR EACH ROW EXECUTE FUNCTION vigil_refuse_change();

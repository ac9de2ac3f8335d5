-- Schema version 9 (SQLite: 14): what the console (issue 18) reads.
--
-- 1. A change cursor on alerts. `changed` is a number from one clock (`alert_change_clock`) that
--    grows with every insert and every update of an alert row (triage, grouping, suppression,
--    incidents), kept by a trigger so no writer can forget it. The live alert stream
--    (`GET /api/v1/alerts/stream`) reads `changed > cursor` and must never see a smaller number
--    commit after a larger one: the numbers are therefore drawn at commit time (a deferred
--    constraint trigger) under the clock row's lock, which the drawing transaction holds until
--    it has committed. A transaction in its commit only ever waits for that lock, and the
--    holder waits for nothing (the alert rows it stamps are its own already), so no deadlock.
-- 2. Saved views of the console's pages: a name, the page and its query parameters, private to
--    their owner or shared with the tenant.

ALTER TABLE alerts ADD COLUMN changed BIGINT NOT NULL DEFAULT 0;
UPDATE alerts SET changed = seq;
CREATE INDEX alerts_tenant_changed ON alerts (tenant, changed);

CREATE TABLE alert_change_clock (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    changed     BIGINT  NOT NULL
);
INSERT INTO alert_change_clock (id, changed) SELECT 1, COALESCE(MAX(seq), 0) FROM alerts;

CREATE FUNCTION alerts_stamp_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n BIGINT;
BEGIN
    UPDATE alert_change_clock SET changed = changed + 1 WHERE id = 1 RETURNING changed INTO n;
    UPDATE alerts SET changed = n WHERE seq = NEW.seq;
    RETURN NULL;
END
$$;

-- `pg_trigger_depth() = 0`: the function's own UPDATE does not queue another stamp.
CREATE CONSTRAINT TRIGGER alerts_changed AFTER INSERT OR UPDATE ON alerts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (pg_trigger_depth() = 0)
    EXECUTE FUNCTION alerts_stamp_changed();

CREATE TABLE saved_views (
    seq         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT    COLLATE "C" NOT NULL UNIQUE,
    tenant      TEXT    COLLATE "C" NOT NULL,
    owner       TEXT    COLLATE "C" NOT NULL,
    name        TEXT    NOT NULL,
    page        TEXT    COLLATE "C" NOT NULL,
    query       TEXT    NOT NULL,
    shared      BIGINT  NOT NULL,
    created     BIGINT  NOT NULL,
    updated     BIGINT  NOT NULL,
    UNIQUE (tenant, owner, page, name)
);
CREATE INDEX saved_views_tenant_page ON saved_views (tenant, page, seq);

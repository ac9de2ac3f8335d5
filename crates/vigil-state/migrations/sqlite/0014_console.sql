-- Schema version 14: what the console (issue 18) reads.
--
-- 1. A change cursor on alerts. `changed` is a number from one clock (`alert_change_clock`) that
--    grows with every insert and every update of an alert row (triage, grouping, suppression,
--    incidents), kept by triggers so no writer can forget it. SQLite has one writer at a time,
--    so the numbers commit in order and `changed > cursor` after a committed cursor loses
--    nothing. The live alert stream (`GET /api/v1/alerts/stream`) reads `(tenant, changed)`.
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

-- The trigger's own UPDATE changes `changed`, so the WHEN keeps it from firing again.
CREATE TRIGGER alerts_changed_on_insert AFTER INSERT ON alerts
BEGIN
    UPDATE alert_change_clock SET changed = changed + 1 WHERE id = 1;
    UPDATE alerts SET changed = (SELECT changed FROM alert_change_clock WHERE id = 1) WHERE seq = NEW.seq;
END;

CREATE TRIGGER alerts_changed_on_update AFTER UPDATE ON alerts WHEN NEW.changed = OLD.changed
BEGIN
    UPDATE alert_change_clock SET changed = changed + 1 WHERE id = 1;
    UPDATE alerts SET changed = (SELECT changed FROM alert_change_clock WHERE id = 1) WHERE seq = NEW.seq;
END;

CREATE TABLE saved_views (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    tenant      TEXT    NOT NULL,
    owner       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    page        TEXT    NOT NULL,
    query       TEXT    NOT NULL,
    shared      BIGINT  NOT NULL,
    created     BIGINT  NOT NULL,
    updated     BIGINT  NOT NULL,
    UNIQUE (tenant, owner, page, name)
);
CREATE INDEX saved_views_tenant_page ON saved_views (tenant, page, seq);

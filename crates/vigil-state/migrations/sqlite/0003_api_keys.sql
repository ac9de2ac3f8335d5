-- Vigil operational state, schema version 3 (SQLite): API keys with a role, a tenant and an expiry.
--
-- The `tokens` table keeps its name and its rows: every secret issued before this version verifies as
-- before. New columns:
--   * `role`: the key's role (`viewer`, `analyst`, `lead`, `detection_engineer`, `admin`, `ingest`).
--     NULL for keys made before roles existed; their role comes from `scope` (`ingest` -> ingest,
--     `read` -> viewer, `admin` -> admin). `scope` stays NOT NULL and new keys write the closest legacy
--     scope into it (ingest -> ingest, admin -> admin, any other role -> read);
--   * `tenant`: the tenant the key acts in; existing keys belong to `default`;
--   * `expires_at`: unix nanoseconds after which the key no longer verifies; NULL never expires.
-- Plain `ALTER TABLE ... ADD COLUMN` (portable to PostgreSQL as written).

ALTER TABLE tokens ADD COLUMN role TEXT;
ALTER TABLE tokens ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;

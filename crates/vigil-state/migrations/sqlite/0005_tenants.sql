-- Schema version 5: every alert and dead letter belongs to a tenant. Rows stored before tenants
-- existed belong to the default tenant; every listing filters on the tenant first.

ALTER TABLE alerts ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
ALTER TABLE dead_letters ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';

CREATE INDEX alerts_tenant_seq ON alerts (tenant, seq);
CREATE INDEX dead_letters_tenant_seq ON dead_letters (tenant, seq);

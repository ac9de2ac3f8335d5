-- Schema version 8 (SQLite: 13): indexes for the measure issue's (17) reads. The KPIs read a tenant's alerts
-- detected and incidents created in a period (and each week or month of a trend); the shift
-- handover reads a tenant's timeline entries of a period. Without these, each is a scan of the
-- whole table (docs/PERFORMANCE.md, "KPIs over 1M alerts and 100k incidents").
CREATE INDEX alerts_tenant_detected ON alerts (tenant, detected);
CREATE INDEX incidents_tenant_created ON incidents (tenant, created);
CREATE INDEX incident_timeline_tenant_at ON incident_timeline (tenant, at);

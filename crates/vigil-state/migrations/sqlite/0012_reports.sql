-- Scheduled reports (issue 17, "Measure"): one row per schedule and period written, so that a
-- restart neither skips nor repeats a report. Times are unix nanoseconds (UTC), as everywhere.
CREATE TABLE report_runs (
    schedule    TEXT   NOT NULL,
    period_from BIGINT NOT NULL,
    period_to   BIGINT NOT NULL,
    tenant      TEXT   NOT NULL,
    files       TEXT   NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (schedule, period_from)
);

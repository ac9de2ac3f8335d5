//! `vigil serve` end to end: the real binary with real clients — rsyslog (TCP octet counting and
//! TLS), elasticsearch-py, Splunk HEC over `requests`, the OpenTelemetry Python SDK — plus a
//! `kill -9` durability test, backpressure with a tiny spool, and malformed input on every
//! listener; and schemathesis over the API's OpenAPI document.
//!
//! Python clients run with `$VIGIL_PYTHON` (scripts/test creates target/pyvenv and sets it);
//! without it they use `python3` when it has the modules, else the test prints SKIP. The rsyslog
//! tests skip only when `rsyslogd` is not installed.

mod alert_pivot;
mod api_contract;
mod attach_cli;
mod audit_trail;
mod backpressure;
mod cli_run;
mod clients;
mod coverage_cli;
mod crash;
mod harness;
mod hostile_cli;
mod http;
mod https;
mod ingest_cli;
mod log_file;
mod logsource;
mod malformed;
mod measure_cli;
mod observable_cli;
mod outbox_crash;
mod postgres_state;
mod report_cli;
mod respond_cli;
mod retro_hunt;
mod rsyslog;
mod sources_cli;
mod suppress_cli;
mod validate_cli;

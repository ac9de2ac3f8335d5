//! The state suite on PostgreSQL: the same test files as `state` (tests/state/), each test on a
//! database of its own on the server named by `VIGIL_TEST_POSTGRES_URL` (scripts/test starts
//! PostgreSQL 15 on loopback), plus what only PostgreSQL has (`postgres_only.rs`).

#[path = "../state/alerts.rs"]
mod alerts;
#[path = "../state/apikeys.rs"]
mod apikeys;
#[path = "../state/attachments.rs"]
mod attachments;
#[path = "../state/audit.rs"]
mod audit;
#[path = "../state/audit_tamper.rs"]
mod audit_tamper;
#[path = "../state/console.rs"]
mod console;
#[path = "../state/dead_letters.rs"]
mod dead_letters;
#[path = "../state/grouping.rs"]
mod grouping;
#[path = "../state/handover.rs"]
mod handover;
#[path = "../state/incidents.rs"]
mod incidents;
#[path = "../state/kpis.rs"]
mod kpis;
#[path = "../state/measure.rs"]
mod measure;
#[path = "../state/notifications.rs"]
mod notifications;
#[path = "../state/observables.rs"]
mod observables;
mod postgres_only;
#[path = "../state/reopen.rs"]
mod reopen;
#[path = "../state/reports.rs"]
mod reports;
#[path = "../state/retention.rs"]
mod retention;
#[path = "../state/sources.rs"]
mod sources;
#[path = "../state/support.rs"]
mod support;
#[path = "../state/suppressions.rs"]
mod suppressions;
#[path = "../state/tasks.rs"]
mod tasks;
#[path = "../state/tenants.rs"]
mod tenants;
#[path = "../state/tokens.rs"]
mod tokens;
#[path = "../state/triage.rs"]
mod triage;
#[path = "../state/users.rs"]
mod users;
#[path = "../state/validation.rs"]
mod validation;

pub use support::*;

/// The engine this binary runs the suite on.
pub const BACKEND: Backend = Backend::Postgres;

//! The state suite on SQLite files. `state_postgres` runs the same files (all but the SQLite-only
//! ones) on PostgreSQL.

mod alerts;
mod apikeys;
mod attachments;
mod audit;
mod audit_tamper;
mod bench_fixture;
mod console;
mod dead_letters;
mod grouping;
mod handover;
mod incidents;
mod kpis;
mod measure;
mod notifications;
mod observables;
mod reopen;
mod reports;
mod retention;
mod sources;
mod sqlite_only;
mod support;
mod suppressions;
mod tasks;
mod tenants;
mod tokens;
mod triage;
mod users;
mod validation;

pub use support::*;

/// The engine this binary runs the suite on.
pub const BACKEND: Backend = Backend::Sqlite;

//! Vigil's operational state in SQL: API keys, alerts, dead letters (both with retention by age
//! and count), small named blobs and the tamper-evident audit trail ([`audit`]).
//!
//! Backed by SQLite in the data directory (the embedded default) or PostgreSQL 15 (at scale), through
//! sqlx (runtime queries only, no compile-time-checked macros). Each repository method is written once
//! in SQL both engines accept (`$N` placeholders, `ON CONFLICT`, integer instants, `COUNT(*)`,
//! `LIMIT`); each backend has its own migration set and its own way of starting transactions and
//! queueing audit writers ([`db`](crate::State) modules `sqlite` and `postgres`).
//!
//! Conventions:
//! - instants are stored as `BIGINT` unix nanoseconds (sortable integers; instants outside 1677–2262 are
//!   clamped to that range) and exposed as [`jiff::Timestamp`] (RFC 3339 in JSON);
//! - listings are newest first by an insertion sequence, paged with opaque cursors that stay stable while
//!   rows are inserted;
//! - errors never show SQL in `Display` ([`StateError`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), vigil_state::StateError> {
//! use vigil_state::{NewApiKey, Role, State};
//! let state = State::open(std::path::Path::new("/var/lib/vigil/state.db")).await?;
//! let key = NewApiKey::new(Role::Ingest, "edge collector").expiring("2030-01-01T00:00:00Z".parse().unwrap());
//! let (info, secret) = state.create_api_key(&key).await?;
//! assert_eq!(state.verify_token(&secret).await?.map(|t| t.id), Some(info.id));
//! # Ok(()) }
//! ```

pub mod alert_stream;
mod alerts;
pub mod attachments;
pub mod audit;
mod blobs;
mod catalog;
mod cursor;
mod db;
mod dead_letters;
mod error;
pub mod handover;
pub mod incidents;
pub mod kpis;
pub mod measure;
pub mod notifications;
pub mod observables;
pub mod reports;
mod respond_tx;
mod retention;
pub mod sessions;
pub mod sources;
pub mod suppressions;
pub mod tasks;
mod time;
mod tokens;
pub mod triage;
pub mod user_admin;
pub mod users;
pub mod validation;
pub mod views;

pub use alerts::{
    Alert, AlertGrouping, AlertKind, AlertPage, AlertQuery, DEFAULT_LIMIT, Level, MAX_GROUPED_EVENT_IDS, MAX_LIMIT,
    NewAlert,
};
pub use audit::{
    AuditEntry, AuditOutcome, AuditPage, AuditProblem, AuditProblemKind, AuditQuery, AuditVerify, Checkpoint,
    NewAuditEntry,
};
pub use db::postgres::{DEFAULT_MAX_CONNECTIONS as DEFAULT_POSTGRES_CONNECTIONS, check_postgres_url};
pub use db::{BackendKind, State, migrator_up_to};
pub use dead_letters::{DeadLetter, DeadLetterPage, DeadLetterQuery, NewDeadLetter};
/// Ed25519 keys of audit checkpoints ([`audit::load_or_create_signing_key`], [`audit::read_public_key`]).
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use error::StateError;
pub use jiff::Timestamp;
pub use respond_tx::Actor;
pub use retention::{Retention, SUPPRESSED_MATCHES};
pub use tokens::{LAST_USED_RESOLUTION, NewApiKey, ParseScopeError, Scope, TokenInfo};
pub use users::{NewUser, UserInfo};
/// The roles keys hold (from `vigil-api-types`).
pub use vigil_api_types::access::Role;

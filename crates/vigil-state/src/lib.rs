//! Vigil's operational state in SQL: API keys, alerts, dead letters (both with retention by age
//! and count), small named blobs and the tamper-evident audit trail ([`audit`]).
//!
//! Backed by SQLite through sqlx (runtime queries only, no compile-time-checked macros). The SQL is kept
//! portable where that costs nothing (`ON CONFLICT ... DO NOTHING/UPDATE`, integer instants, `COUNT(*)`,
//! `LIMIT`); the SQLite-specific parts are named where they occur: `INTEGER PRIMARY KEY AUTOINCREMENT` and
//! `BLOB` in the schema, `BEGIN IMMEDIATE` for writes, and the `journal_mode`/`synchronous`/`query_only`
//! pragmas at open.
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

mod alerts;
pub mod audit;
mod blobs;
mod cursor;
mod db;
mod dead_letters;
mod error;
mod retention;
pub mod sessions;
mod time;
mod tokens;
pub mod users;

pub use alerts::{Alert, AlertKind, AlertPage, AlertQuery, DEFAULT_LIMIT, Level, MAX_LIMIT, NewAlert};
pub use audit::{
    AuditEntry, AuditOutcome, AuditPage, AuditProblem, AuditProblemKind, AuditQuery, AuditVerify, Checkpoint,
    NewAuditEntry,
};
pub use db::{State, migrator_up_to};
pub use dead_letters::{DeadLetter, DeadLetterPage, DeadLetterQuery, NewDeadLetter};
/// Ed25519 keys of audit checkpoints ([`audit::load_or_create_signing_key`], [`audit::read_public_key`]).
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use error::StateError;
pub use jiff::Timestamp;
pub use retention::Retention;
pub use tokens::{LAST_USED_RESOLUTION, NewApiKey, ParseScopeError, Scope, TokenInfo};
pub use users::{NewUser, UserInfo};
/// The roles keys hold (from `vigil-api-types`).
pub use vigil_api_types::access::Role;

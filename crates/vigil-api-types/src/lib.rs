//! The request and response types of Vigil's HTTP API, shared by the server (`vigil-api`), the
//! store and state layers that produce them, the `vigil` CLI client and later the console. Each
//! module is one domain of routes; the grammars their text values use (durations, points in time,
//! sizes) are here too, so a client and the server read `30d` the same way.
//!
//! Only serde, serde_json, jiff, utoipa (each type derives its OpenAPI schema, from which
//! `vigil-api` builds the API's document) and `vigil-respond`'s vocabulary (statuses, taxonomy):
//! a client needs nothing of the server to use these.

pub mod access;
pub mod admin;
pub mod alerts;
pub mod attachments;
pub mod audit;
pub mod console;
pub mod dead_letters;
pub mod duration;
pub mod error;
pub mod handover;
pub mod incidents;
pub mod ingest;
pub mod kpis;
pub mod observables;
pub mod oncall;
pub mod policies;
pub mod rules;
pub mod search;
pub mod session;
pub mod sources;
pub mod status;
pub mod suppressions;
pub mod tasks;
pub mod triage;
pub mod units;
pub mod validation;

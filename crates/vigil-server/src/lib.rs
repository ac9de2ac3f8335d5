//! The Vigil server (`vigil serve`): configuration, the spool → detect → store pipeline, the REST
//! API and metrics, wired around the inputs of `vigil-ingest`.
//!
//! Data path: inputs → [`sink::SpoolSink`] (durable, acknowledged after fsync) →
//! [`pipeline::Pipeline`] (parse, Sigma detection and correlation, index) → `vigil-store` and
//! alerts in `vigil-state`. The HTTP API ([`api`]) searches the store and lists alerts.

pub mod api;
pub mod config;
mod conn_limit;
pub mod engine;
pub mod logsource;
pub mod metrics;
pub mod pipeline;
pub mod rate_limit;
pub mod serde_text;
pub mod server;
pub mod sink;
mod store_stage;
pub mod streams;
mod tls;
pub mod units;

pub use config::{Overrides, ServerConfig};
pub use server::{RunningServer, ServerError, start};

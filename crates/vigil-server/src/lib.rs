//! The Vigil server (`vigil serve`): configuration and start-up. It wires the inputs of
//! `vigil-ingest`, the data path of `vigil-runtime` and the HTTP API of `vigil-api` together and
//! owns the listeners (connection limits, TLS).
//!
//! Data path: inputs → `vigil_runtime::sink::SpoolSink` (durable, acknowledged after fsync) →
//! `vigil_runtime::pipeline::Pipeline` (parse, Sigma detection and correlation, index) →
//! `vigil-store` and alerts in `vigil-state`. The HTTP API (`vigil-api`) searches the store and
//! lists alerts.

mod audit_task;
pub mod auto_incident;
pub mod config;
mod conn_limit;
pub mod escalation;
pub mod measure_task;
pub mod observable_task;
pub mod oncall;
pub mod policy_view;
pub mod report_task;
pub mod runbooks;
pub mod server;
pub mod source_health;
mod startup;
mod tls;

pub use config::{Overrides, ServerConfig};
pub use server::{RunningServer, ServerError, start};

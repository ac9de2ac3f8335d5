//! The data path of `vigil serve`, below the HTTP surface: where inputs deliver
//! ([`sink::SpoolSink`], durable before acknowledging), the spool → detect → store
//! [`pipeline::Pipeline`], the in-stream rules ([`engine`]), keyed ingest streams ([`streams`]),
//! logsource assignment ([`logsource`]), suppression rules ([`suppression`]) and the counters
//! behind `/metrics` ([`metrics`]).

mod correlation;
pub mod engine;
pub mod grouping;
pub mod logsource;
pub mod metrics;
pub mod pipeline;
pub mod sink;
pub mod sources;
mod store_stage;
pub mod streams;
pub mod suppression;
pub mod validation;

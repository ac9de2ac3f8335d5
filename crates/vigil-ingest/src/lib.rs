//! Vigil's network inputs: they frame and decode wire protocols into [`Record`]s and hand them to a
//! [`RecordSink`] that makes them durable. Parsing records into Vigil's event model happens later.
//!
//! - Syslog over UDP ([`SyslogUdpInput`]), TCP and TLS ([`SyslogTcpInput`], RFC 6587 / RFC 5425 framing).
//! - HTTP routes for the server's router ([`http_router`]): Elasticsearch `_bulk` with the probes
//!   shippers send first, Splunk HEC, and OTLP/HTTP logs.
//!
//! Every input acknowledges only what the sink reported durable; records that cannot be accepted
//! are handed to [`RecordSink::dead_letter`] with a stable [`codes`] entry, never silently dropped.

pub mod admit;
mod auth;
pub mod codes;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
mod input;
mod memory;
mod metrics;
mod per_ip;
mod record;
mod sink;
pub mod syslog;

pub use admit::{MAX_RECORD_BYTES, Refusal};
pub use auth::{IngestAuth, IngestRefusal, IngestTenant, StaticTokens};
pub use codes::{DeadLetterCode, ErrorCode};
pub use error::IngestError;
pub use http::{HttpIngest, HttpIngestConfig, error_response, http_router, retry_after_secs};
pub use input::{Input, InputConfig, InputContext};
pub use memory::MemorySink;
pub use metrics::{ConnectionGuard, InputMetrics, MetricsSnapshot};
pub use per_ip::{IpSlot, PerIpLimit};
pub use record::{Record, RecordFormat, default_tenant};
pub use sink::{BoxFuture, DeadLetter, MAX_DEAD_LETTER_BYTES, RecordSink, SinkError};
pub use syslog::{SyslogTcpConfig, SyslogTcpInput, SyslogUdpConfig, SyslogUdpInput, tls_server_config};

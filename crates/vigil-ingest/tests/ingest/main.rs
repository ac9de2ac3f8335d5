//! Integration tests of vigil-ingest: real listeners on 127.0.0.1:0 and the HTTP router.

mod es;
mod fuzz_entry;
mod hec;
mod otlp;
mod served;
mod support;
mod syslog;
mod tls;
mod truth;

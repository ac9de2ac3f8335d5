//! Parsers: raw records in, [`vigil_event::Event`]s out.
//!
//! Each input format has its own module. Line formats share one entry point, [`parse_line`]; EVTX
//! files are read by [`evtx::EvtxReader`]. A malformed record yields a [`ParseError`] carrying the
//! source and offset — a parser never panics and never drops a record silently: the caller counts
//! and reports every error.

pub mod auditd;
pub mod cef;
pub mod dataset;
mod error;
pub mod eve;
pub mod evtx;
mod format;
pub mod json;
pub mod normalize;
pub mod syslog;
mod time;
pub mod windows;
pub mod zeek;

pub use error::{ErrorKind, ParseError};
pub use format::{Format, parse_line, parse_line_with};

use std::sync::Arc;

use vigil_event::Source;

/// Where the records being parsed come from; every event and error carries it.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The kind of input (`file`, `syslog-udp`, `http-bulk`, …).
    pub input: Arc<str>,
    /// The file being read, as given on the command line or walked.
    pub path: Option<Arc<str>>,
    /// The host that sent the records, when the transport knows it (e.g. a syslog peer).
    pub host: Option<Arc<str>>,
}

impl Origin {
    /// An origin for a file read by `input`.
    pub fn file(input: &str, path: &str) -> Self {
        Origin {
            input: input.into(),
            path: Some(path.into()),
            host: None,
        }
    }

    /// The event [`Source`] of the record at `offset`.
    pub fn source(&self, offset: u64) -> Source {
        Source {
            input: self.input.clone(),
            host: self.host.clone(),
            path: self.path.clone(),
            offset,
        }
    }

    /// A parse error for the record at `offset`.
    pub fn error(&self, offset: u64, kind: ErrorKind) -> ParseError {
        ParseError {
            input: self.input.clone(),
            path: self.path.clone(),
            offset,
            kind,
        }
    }
}

//! Parse errors: what went wrong, and exactly where.

use std::{fmt, sync::Arc};

use vigil_event::DeadLetterCode;

/// One record that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The kind of input (`file`, `syslog-tcp`, …).
    pub input: Arc<str>,
    /// The file, when the record came from one.
    pub path: Option<Arc<str>>,
    /// Byte offset of the record (line formats) or EVTX record id / chunk offset.
    pub offset: u64,
    pub kind: ErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{p}@{}: {}", self.offset, self.kind),
            None => write!(f, "{}@{}: {}", self.input, self.offset, self.kind),
        }
    }
}

/// Why a record could not be parsed. Stable, machine-readable through [`ErrorKind::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("expected a JSON object, found {0}")]
    NotAnObject(&'static str),
    #[error("invalid syslog message: {0}")]
    Syslog(String),
    #[error("invalid CEF record: {0}")]
    Cef(String),
    #[error("invalid auditd record: {0}")]
    Auditd(String),
    #[error("invalid EVTX record: {0}")]
    Evtx(String),
    #[error("record is not valid UTF-8")]
    NotUtf8,
    #[error("empty record")]
    Empty,
    #[error("record of {0} bytes exceeds the {1}-byte limit")]
    TooLarge(usize, usize),
    #[error("cannot read the input: {0}")]
    Io(String),
}

impl ErrorKind {
    /// A stable code for counting and reporting errors by kind: the dead-letter code of the cause.
    pub fn code(&self) -> &'static str {
        self.dead_letter_code().as_str()
    }

    /// The cause in Vigil's one table of dead-letter codes.
    pub fn dead_letter_code(&self) -> DeadLetterCode {
        match self {
            ErrorKind::Json(_) => DeadLetterCode::InvalidJson,
            ErrorKind::NotAnObject(_) => DeadLetterCode::NotAnObject,
            ErrorKind::Syslog(_) => DeadLetterCode::InvalidSyslog,
            ErrorKind::Cef(_) => DeadLetterCode::InvalidCef,
            ErrorKind::Auditd(_) => DeadLetterCode::InvalidAuditd,
            ErrorKind::Evtx(_) => DeadLetterCode::InvalidEvtx,
            ErrorKind::NotUtf8 => DeadLetterCode::NotUtf8,
            ErrorKind::Empty => DeadLetterCode::Empty,
            ErrorKind::TooLarge(..) => DeadLetterCode::TooLarge,
            ErrorKind::Io(_) => DeadLetterCode::IoError,
        }
    }
}

//! Vigil's normalized event.
//!
//! Every record that enters Vigil — an EVTX record, an NDJSON line, a syslog message — becomes one
//! [`Event`]: the original record ([`Raw`]), the event time, where it came from ([`Source`]), the
//! Sigma logsource it belongs to ([`LogSourceTags`]) and its fields ([`Fields`]), flattened to the
//! names Sigma rules use.
//!
//! [`Event`] implements rsigma-eval's [`rsigma_eval::Event`] trait directly over its field map, so
//! detection reads fields in place: nothing is re-serialized per rule.

mod dead_letter;
mod event;
mod fields;
mod id;
mod level;
mod logsource;
mod sigma;

pub use dead_letter::DeadLetterCode;
pub use event::{Event, Raw, Source};
pub use fields::{Fields, HOST_FIELDS, MAX_NESTING, host_of_json};
pub use id::EventId;
pub use level::{Level, UnknownLevel};
pub use logsource::LogSourceTags;

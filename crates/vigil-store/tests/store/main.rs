//! Integration tests of the event store: one binary, modules by topic.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions unwrap too")]

mod aggs;
mod basics;
mod common;
mod disk;
mod paging;
mod queries;
mod retention;

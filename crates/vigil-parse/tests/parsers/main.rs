//! Integration and property tests of every parser: one test binary (see STYLE.md).

mod sensors;
mod text_formats;
mod windows_json;

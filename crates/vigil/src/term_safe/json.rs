//! JSON that is safe on a terminal and means the same.
//!
//! serde_json escapes the C0 controls in strings (ESC becomes `\u001b`) but writes DEL, the C1
//! controls (U+0080–U+009F) and bidi overrides or zero-width characters as they are, so
//! `vigil hunt -o jsonl` or `vigil search --json` on a terminal would hand them to it. These
//! writers escape every character [`is_unsafe`] names as `\uXXXX` too: the bytes are safe to show,
//! and every JSON parser reads the same strings back.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter, Serializer};

use super::is_unsafe;

/// A serde_json formatter that escapes what [`is_unsafe`] names in strings and object keys.
#[derive(Debug)]
struct Safe<F>(F);

/// Writes `text` with every character `escape_it` names as a JSON `\uXXXX` escape (UTF-16 units).
fn write_escaped<W: ?Sized + Write>(writer: &mut W, text: &str, escape_it: impl Fn(char) -> bool) -> io::Result<()> {
    if text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        return writer.write_all(text.as_bytes());
    }
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if escape_it(c) {
            writer.write_all(&text.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
    }
    writer.write_all(&text.as_bytes()[start..])
}

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $name<W: ?Sized + Write>(&mut self, writer: &mut W $(, $arg: $ty)*) -> io::Result<()> {
                self.0.$name(writer $(, $arg)*)
            }
        )*
    };
}

impl<F: Formatter> Formatter for Safe<F> {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        write_escaped(writer, fragment, is_unsafe)
    }

    /// Raw JSON (never written today) may hold such characters only inside strings, where an
    /// escape means the same; JSON whitespace between tokens is kept.
    fn write_raw_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        write_escaped(writer, fragment, |c| !matches!(c, '\t' | '\n' | '\r') && is_unsafe(c))
    }

    delegate!(
        begin_array(),
        end_array(),
        begin_array_value(first: bool),
        end_array_value(),
        begin_object(),
        end_object(),
        begin_object_key(first: bool),
        end_object_key(),
        begin_object_value(),
        end_object_value(),
    );
}

/// `serde_json::to_writer`, escaping as described above.
pub fn to_writer<W: Write, T: ?Sized + Serialize>(writer: W, value: &T) -> serde_json::Result<()> {
    value.serialize(&mut Serializer::with_formatter(writer, Safe(CompactFormatter)))
}

/// `serde_json::to_string`, escaping as described above.
pub fn to_string<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    to_writer(&mut out, value)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `serde_json::to_string_pretty`, escaping as described above.
pub fn to_string_pretty<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    value.serialize(&mut Serializer::with_formatter(&mut out, Safe(PrettyFormatter::new())))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

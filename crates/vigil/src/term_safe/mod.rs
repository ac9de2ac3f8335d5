//! Hostile text never controls the analyst's terminal.
//!
//! Everything Vigil prints may carry what an attacker wrote into a log: host names, input labels,
//! rule titles, field values, dead-letter text. A terminal acts on control characters (ESC starts
//! sequences that move the cursor, clear the screen, set the window title or write the clipboard),
//! and invisible formatting characters (bidi overrides, zero-width characters) make text read as
//! something else. This module renders text so that none of them reaches the terminal as is; each
//! is shown as a visible escape (`\x1b`, `\u{202e}`), so the analyst sees that something was there.
//!
//! Every output path goes through it: table cells ([`SafeTable`]), CSV cells ([`SafeCsv`], which
//! also neutralises spreadsheet formulas), plain lines ([`outln!`], [`errln!`]: the binary
//! denies `println!` and `eprintln!`) and JSON ([`json`]).

pub mod json;
mod table;

use std::{borrow::Cow, fmt::Write as _, io::Write};

pub use table::{SafeCsv, SafeTable};

/// Invisible characters shown as escapes besides the controls (C0, DEL, C1): Unicode format
/// characters (general category Cf: bidi embeddings, overrides, isolates and marks, zero-width
/// characters, the byte-order mark, interlinear annotations, tag characters, …), the line and
/// paragraph separators, and the other default-ignorable code points (fillers, variation
/// selectors), with which two different strings look the same. Sorted, inclusive ranges.
const INVISIBLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

/// Must `c` not reach a terminal as is? C0 controls (ESC, BEL, CR, LF, TAB …), DEL, C1 controls
/// (U+0080–U+009F, which some terminals take as CSI, OSC …) and the invisible characters above.
pub fn is_unsafe(c: char) -> bool {
    let c = c as u32;
    if c < 0x20 || (0x7F..=0x9F).contains(&c) {
        return true;
    }
    if c < 0xAD {
        return false;
    }
    let i = INVISIBLE.partition_point(|&(_, end)| end < c);
    INVISIBLE.get(i).is_some_and(|&(start, _)| start <= c)
}

/// The visible form of an unsafe character: `\x1b` for C0 and DEL, `\u{9b}` otherwise.
fn push_escape(out: &mut String, c: char) {
    let n = c as u32;
    // Writing to a String cannot fail.
    let _ = if n < 0x80 {
        write!(out, "\\x{n:02x}")
    } else {
        write!(out, "\\u{{{n:x}}}")
    };
}

fn escape_where(s: &str, unsafe_here: impl Fn(char) -> bool) -> Cow<'_, str> {
    if s.bytes().all(|b| (0x20..0x7F).contains(&b)) || !s.chars().any(&unsafe_here) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if unsafe_here(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One value (a table or CSV cell, a field of a line): every unsafe character, line breaks and
/// tabs included, as a visible escape. Backslashes are left as they are (Windows paths stay
/// readable), so a literal `\x1b` in the input reads the same as an escaped ESC.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
}

/// Text of one or more lines Vigil composed: line feeds and tabs (layout) are kept, every other
/// unsafe character (CR included) is escaped. Values interpolated into such text whose own line
/// breaks or tabs must not count as layout go through [`escape`] (or [`Esc`]) first.
pub fn text(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

/// A value escaped with [`escape`] when displayed: `outln!("{}", Esc(&name))`.
#[derive(Debug, Clone, Copy)]
pub struct Esc<'a>(pub &'a str);

impl std::fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&escape(self.0))
    }
}

/// A CSV cell: [`escape`]d, then neutralised for spreadsheets the OWASP way (CSV Injection): a
/// cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so Excel,
/// LibreOffice and Google Sheets take it as text, not as a formula.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let escaped = escape(s);
    if escaped.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{escaped}"))
    } else {
        escaped
    }
}

/// Writes `line` and a line feed to stdout, escaped with [`text`]. Use [`outln!`].
pub fn write_out(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text(line).as_bytes())?;
    out.write_all(b"\n")
}

/// Writes `line` and a line feed to stderr, escaped with [`text`]; a failure to write to stderr
/// is ignored (there is nowhere left to report it). Use [`errln!`].
pub fn write_err(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text(line).as_bytes()).and_then(|()| err.write_all(b"\n"));
}

/// `println!` through [`text`]; returns `std::io::Result<()>` (a closed pipe is an error to pass
/// up, not a panic).
macro_rules! outln {
    () => {
        $crate::term_safe::write_out("")
    };
    ($($arg:tt)*) => {
        $crate::term_safe::write_out(&format!($($arg)*))
    };
}

/// `eprintln!` through [`text`].
macro_rules! errln {
    () => {
        $crate::term_safe::write_err("")
    };
    ($($arg:tt)*) => {
        $crate::term_safe::write_err(&format!($($arg)*))
    };
}

pub(crate) use {errln, outln};

#[cfg(test)]
mod tests;

//! The plain-text e-mail: subject line and body.

use super::{clean, facts};
use crate::Notification;

const SUBJECT_MAX: usize = 200;
/// Characters of text kept in the body.
const TEXT_MAX: usize = 64 * 1024;

/// The subject on one line, without control characters, at most 200 characters (then `…`).
/// lettre encodes it (RFC 2047) when it is not ASCII.
pub fn email_subject(n: &Notification) -> String {
    let line: String = clean(&n.subject, true).collect();
    let line = line.trim();
    match line.char_indices().nth(SUBJECT_MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// The body: the text (control characters other than line breaks removed), then one line per
/// fact, the time and the link.
pub fn email_body(n: &Notification) -> String {
    let text: String = clean(&n.text, false).take(TEXT_MAX).collect();
    let mut out = text.trim_end().to_owned();
    out.push_str("\n\n");
    for (label, value) in facts(n) {
        let value: String = clean(&value, true).collect();
        out.push_str(&format!("{label}: {value}\n"));
    }
    out.push_str(&format!("At: {}\n", n.at));
    if let Some(link) = n.safe_link() {
        out.push_str(&format!("Link: {link}\n"));
    }
    out
}

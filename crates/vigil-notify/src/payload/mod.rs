//! Request bodies for each channel, built from a [`Notification`].
//!
//! Subject, text, incident id and priority are untrusted (they can come from logs), so every
//! builder neutralises what its format treats as markup, drops control characters and Unicode
//! bidirectional overrides, and cuts each field to the receiver's size limits with `…`. The
//! builders never fail and never panic, whatever the text.

mod email;
mod mattermost;
mod slack;
mod teams;

pub use email::{email_body, email_subject};
pub use mattermost::mattermost;
pub use slack::slack;
pub use teams::teams;

use crate::Notification;

/// The generic webhook body: the notification itself as JSON.
pub fn webhook(n: &Notification) -> Vec<u8> {
    // Serialising plain strings, numbers and a timestamp cannot fail; an empty object is the
    // fallback all the same.
    serde_json::to_vec(n).unwrap_or_else(|_| b"{}".to_vec())
}

/// Label of the console link in every chat format.
pub(crate) const LINK_LABEL: &str = "Open in Vigil";

/// The facts every format shows under the text, in order: (label, value).
pub(crate) fn facts(n: &Notification) -> Vec<(&'static str, String)> {
    let mut facts = vec![("Kind", n.kind.clone()), ("Tenant", n.tenant.clone())];
    if let Some(id) = &n.incident_id {
        facts.push(("Incident", id.clone()));
    }
    if let Some(severity) = n.severity {
        facts.push(("Severity", severity.to_string()));
    }
    if let Some(priority) = &n.priority {
        facts.push(("Priority", priority.clone()));
    }
    facts
}

/// Bidirectional formatting characters, which can make text read differently from what it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// `s` with control characters handled: on one line, line breaks and tabs become spaces; on
/// several, `\n` stays and tabs become spaces. Other control and bidi characters are dropped.
pub(crate) fn clean(s: &str, one_line: bool) -> impl Iterator<Item = char> + '_ {
    s.chars().filter_map(move |c| match c {
        '\n' if !one_line => Some('\n'),
        '\n' | '\r' | '\t' if one_line => Some(' '),
        '\t' => Some(' '),
        c if c.is_control() || is_bidi_control(c) => None,
        c => Some(c),
    })
}

/// Cleans `s`, escapes each character with `escape`, and stops before the output would pass
/// `max` characters, ending it with `…` (never inside one character's escape sequence).
pub(crate) fn render(s: &str, max: usize, one_line: bool, escape: fn(char, &mut String)) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut piece = String::new();
    let mut chars = clean(s, one_line).peekable();
    while let Some(c) = chars.next() {
        piece.clear();
        escape(c, &mut piece);
        let len = piece.chars().count();
        let room = if chars.peek().is_some() {
            max.saturating_sub(1)
        } else {
            max
        };
        if count + len > room {
            out.push('…');
            break;
        }
        out.push_str(&piece);
        count += len;
    }
    out
}

/// The identity escape, for formats without markup.
pub(crate) fn verbatim(c: char, out: &mut String) {
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amp(c: char, out: &mut String) {
        match c {
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }

    #[test]
    fn render_cuts_between_escapes_and_marks_the_cut() {
        assert_eq!(render("abc", 3, true, verbatim), "abc");
        assert_eq!(render("abcd", 3, true, verbatim), "ab…");
        assert_eq!(render("a&b", 5, true, amp), "a…");
        assert_eq!(render("a&", 6, true, amp), "a&amp;");
        assert_eq!(render("", 0, true, verbatim), "");
        assert_eq!(render("ab", 0, true, verbatim), "…");
    }

    #[test]
    fn clean_drops_controls_and_bidi_overrides() {
        let s: String = clean("a\r\nb\tc\u{7}\u{202e}d", true).collect();
        assert_eq!(s, "a  b cd");
        let s: String = clean("a\r\nb\u{0}", false).collect();
        assert_eq!(s, "a\nb");
    }
}

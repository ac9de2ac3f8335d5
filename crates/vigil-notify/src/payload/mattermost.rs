//! Mattermost incoming-webhook messages (Markdown).
//!
//! Every ASCII punctuation character Markdown gives a meaning to is backslash-escaped, so text
//! cannot open a link (`[x](http://evil)`), an image, emphasis, a heading, a list, a table or raw
//! HTML; escaping `:` also stops bare `http://` text from becoming a link, and `$` inline LaTeX. `@` is followed by a
//! zero-width space, so `@all`, `@channel`, `@here` and `@user` in text notify nobody.

use serde_json::{Value, json};

use super::{LINK_LABEL, facts, render};
use crate::Notification;

/// Mattermost's default post size limit is 16383 characters.
const TEXT_MAX: usize = 12_000;
const SUBJECT_MAX: usize = 300;
const FACT_MAX: usize = 500;

/// The name the post appears under (webhooks may override it unless the server forbids it).
pub const USERNAME: &str = "Vigil";

/// Escapes Markdown punctuation with a backslash and breaks `@` mentions.
pub(crate) fn escape(c: char, out: &mut String) {
    match c {
        '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.' | '!' | '|' | '<' | '>'
        | '~' | '&' | ':' | '$' => {
            out.push('\\');
            out.push(c);
        }
        '@' => out.push_str("@\u{200b}"),
        c => out.push(c),
    }
}

/// The Mattermost message: `**subject**`, the text, a line of facts, and a link to the console
/// when the link is an http(s) URL; posted as user `Vigil`.
pub fn mattermost(n: &Notification) -> Value {
    let mut lines = vec![format!("**{}**", render(&n.subject, SUBJECT_MAX, true, escape))];
    let text = render(&n.text, TEXT_MAX, false, escape);
    if !text.is_empty() {
        lines.push(text);
    }
    let facts: Vec<String> = facts(n)
        .into_iter()
        .map(|(label, value)| format!("**{label}:** {}", render(&value, FACT_MAX, true, escape)))
        .collect();
    lines.push(String::new());
    lines.push(facts.join(" · "));
    if let Some(link) = n.safe_link() {
        // The serialised URL percent-encodes spaces, `<` and `>`, so it cannot leave `<...>`.
        lines.push(format!("[{LINK_LABEL}](<{link}>)"));
    }
    json!({"text": lines.join("\n"), "username": USERNAME})
}

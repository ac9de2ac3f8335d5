//! Slack incoming-webhook messages (Block Kit).
//!
//! Slack's `mrkdwn` treats `&`, `<` and `>` as markup: `<!channel>`, `<@U123>` and
//! `<https://evil|text>` are mentions and disguised links. They are sent as the entities `&amp;`,
//! `&lt;` and `&gt;`, which Slack shows as the plain characters. Plain `@all` or `@channel` text is
//! no mention in a webhook message (that needs `link_names`), and bare URLs stay visible as what
//! they are. The console link is a button, so its URL is never parsed as text.

use serde_json::{Value, json};

use super::{LINK_LABEL, facts, render};
use crate::Notification;

/// Slack's limit for a section's text (characters).
const SECTION_MAX: usize = 3000;
/// Our limit for the subject, within the section.
const SUBJECT_MAX: usize = 300;
/// Slack's limit for one field is 2000; facts are short.
const FIELD_MAX: usize = 500;
/// Slack's limit for a button URL.
const URL_MAX: usize = 3000;

/// Escapes what Slack's `mrkdwn` parses: `&`, `<`, `>`.
pub(crate) fn escape(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c => out.push(c),
    }
}

/// The Slack message: `text` (the notification fallback), a section with the subject in bold and
/// the text, a section of fields, and a button to the console when the link is an http(s) URL.
pub fn slack(n: &Notification) -> Value {
    let subject = render(&n.subject, SUBJECT_MAX, true, escape);
    let head = format!("*{subject}*");
    let room = SECTION_MAX.saturating_sub(head.chars().count() + 1);
    let text = render(&n.text, room, false, escape);
    let section = if text.is_empty() {
        head
    } else {
        format!("{head}\n{text}")
    };
    let fields: Vec<Value> = facts(n)
        .into_iter()
        .map(|(label, value)| {
            let value = render(&value, FIELD_MAX, true, escape);
            json!({"type": "mrkdwn", "text": format!("*{label}*\n{value}")})
        })
        .collect();
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": section}}),
        json!({"type": "section", "fields": fields}),
    ];
    if let Some(link) = n.safe_link().filter(|u| u.as_str().len() <= URL_MAX) {
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": {"type": "plain_text", "text": LINK_LABEL},
                "url": link.as_str(),
            }],
        }));
    }
    json!({"text": subject, "blocks": blocks})
}

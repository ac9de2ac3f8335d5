//! Microsoft Teams messages: one Adaptive Card (schema 1.4), as Teams incoming webhooks and
//! Workflows webhooks accept them.
//!
//! Untrusted text goes into `TextRun`s of `RichTextBlock`s, which Adaptive Cards render without
//! Markdown (unlike `TextBlock` and `FactSet`, whose Markdown subset has no escape that every Teams
//! client honours). So `[x](http://evil)` shows as those characters, and `@all` is no mention
//! (Teams mentions need an explicit `msteams.entities` entry). Each line of text is its own block,
//! because a `TextRun` does not break lines.

use serde_json::{Value, json};

use super::{LINK_LABEL, facts, render, verbatim};
use crate::Notification;

/// Content type of an Adaptive Card attachment.
pub const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";
/// Teams refuses messages over about 28 KB; text is cut well below.
const TEXT_MAX: usize = 8000;
const SUBJECT_MAX: usize = 300;
const FACT_MAX: usize = 500;
/// Lines of text shown; the rest is cut with `…`.
const LINES_MAX: usize = 40;

fn run(text: String) -> Value {
    json!({"type": "TextRun", "text": text})
}

fn block(inlines: Vec<Value>) -> Value {
    json!({"type": "RichTextBlock", "inlines": inlines})
}

/// The text as one block per non-empty line, at most [`LINES_MAX`] of them.
fn text_blocks(text: &str) -> Vec<Value> {
    let text = render(text, TEXT_MAX, false, verbatim);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut blocks: Vec<Value> = lines
        .iter()
        .take(LINES_MAX)
        .map(|line| block(vec![run((*line).to_owned())]))
        .collect();
    if lines.len() > LINES_MAX {
        blocks.push(block(vec![run("…".to_owned())]));
    }
    blocks
}

/// The Teams message: the subject in bold, the text, one block per fact, and an "Open in Vigil"
/// action when the link is an http(s) URL.
pub fn teams(n: &Notification) -> Value {
    let subject = render(&n.subject, SUBJECT_MAX, true, verbatim);
    let mut body = vec![block(vec![json!({
        "type": "TextRun", "text": subject, "weight": "bolder", "size": "medium",
    })])];
    body.extend(text_blocks(&n.text));
    for (label, value) in facts(n) {
        body.push(block(vec![
            json!({"type": "TextRun", "text": format!("{label}: "), "weight": "bolder"}),
            run(render(&value, FACT_MAX, true, verbatim)),
        ]));
    }
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if let (Some(link), Some(card)) = (n.safe_link(), card.as_object_mut()) {
        let action = json!({"type": "Action.OpenUrl", "title": LINK_LABEL, "url": link.as_str()});
        card.insert("actions".to_owned(), json!([action]));
    }
    json!({
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": null, "content": card}],
    })
}

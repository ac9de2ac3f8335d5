//! Chat payloads: exact JSON, escaping of markup from logs, and never a panic.

use proptest::prelude::*;
use serde_json::{Value, json};
use vigil_notify::Notification;
use vigil_notify::payload::{email_body, email_subject, mattermost, slack, teams, webhook};

use crate::support::notification;

const ZWSP: &str = "\u{200b}";

/// A notification whose subject and text try to inject mentions, links and formatting.
fn hostile() -> Notification {
    Notification {
        kind: "escalation".into(),
        subject: "<!channel> @all [x](http://evil) & *now*".into(),
        text: "Line 1 <@U123>\nLine 2: `rm -rf`".into(),
        ..notification()
    }
}

#[test]
fn slack_escapes_entities_and_links_the_console_with_a_button() {
    let fields: Vec<Value> = [
        ("Kind", "escalation"),
        ("Tenant", "acme"),
        ("Incident", "42"),
        ("Severity", "8"),
        ("Priority", "P1"),
    ]
    .iter()
    .map(|(k, v)| json!({"type": "mrkdwn", "text": format!("*{k}*\n{v}")}))
    .collect();
    let expected = json!({
        "text": "&lt;!channel&gt; @all [x](http://evil) &amp; *now*",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn",
                "text": "*&lt;!channel&gt; @all [x](http://evil) &amp; *now**\nLine 1 &lt;@U123&gt;\nLine 2: `rm -rf`"}},
            {"type": "section", "fields": fields},
            {"type": "actions", "elements": [{"type": "button",
                "text": {"type": "plain_text", "text": "Open in Vigil"},
                "url": "https://vigil.example/incidents/42"}]},
        ],
    });
    assert_eq!(slack(&hostile()), expected);
}

#[test]
fn mattermost_escapes_markdown_and_breaks_mentions() {
    let text = [
        format!(r"**\<\!channel\> @{ZWSP}all \[x\]\(http\://evil\) \& \*now\***"),
        format!(r"Line 1 \<@{ZWSP}U123\>"),
        r"Line 2\: \`rm \-rf\`".to_owned(),
        String::new(),
        "**Kind:** escalation · **Tenant:** acme · **Incident:** 42 · **Severity:** 8 · **Priority:** P1".to_owned(),
        "[Open in Vigil](<https://vigil.example/incidents/42>)".to_owned(),
    ]
    .join("\n");
    assert_eq!(mattermost(&hostile()), json!({"text": text, "username": "Vigil"}));
}

fn rich(runs: Value) -> Value {
    json!({"type": "RichTextBlock", "inlines": runs})
}

fn fact(label: &str, value: &str) -> Value {
    rich(json!([
        {"type": "TextRun", "text": format!("{label}: "), "weight": "bolder"},
        {"type": "TextRun", "text": value},
    ]))
}

#[test]
fn teams_puts_text_in_text_runs_without_markdown() {
    let body = json!([
        rich(
            json!([{"type": "TextRun", "text": "<!channel> @all [x](http://evil) & *now*", "weight": "bolder", "size": "medium"}])
        ),
        rich(json!([{"type": "TextRun", "text": "Line 1 <@U123>"}])),
        rich(json!([{"type": "TextRun", "text": "Line 2: `rm -rf`"}])),
        fact("Kind", "escalation"),
        fact("Tenant", "acme"),
        fact("Incident", "42"),
        fact("Severity", "8"),
        fact("Priority", "P1"),
    ]);
    let expected = json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": [{"type": "Action.OpenUrl", "title": "Open in Vigil", "url": "https://vigil.example/incidents/42"}],
            },
        }],
    });
    assert_eq!(teams(&hostile()), expected);
}

#[test]
fn minimal_notifications_and_unsafe_links() {
    let n = Notification {
        text: String::new(),
        incident_id: None,
        severity: None,
        priority: None,
        link: Some("javascript:alert(1)".into()),
        subject: "Line\r\nBcc: x@evil.example".into(),
        ..notification()
    };
    assert_eq!(
        slack(&n)["blocks"],
        json!([
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Line  Bcc: x@evil.example*"}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": "*Kind*\nsla_warning"},
                {"type": "mrkdwn", "text": "*Tenant*\nacme"},
            ]},
        ])
    );
    let mm = mattermost(&n)["text"].as_str().expect("text").to_owned();
    assert_eq!(
        mm,
        format!("**Line  Bcc\\: x@{ZWSP}evil\\.example**\n\n**Kind:** sla\\_warning · **Tenant:** acme")
    );
    assert!(teams(&n)["attachments"][0]["content"].get("actions").is_none());
    assert_eq!(email_subject(&n), "Line  Bcc: x@evil.example");
    assert!(!email_body(&n).contains("javascript"));
}

#[test]
fn email_body_lists_the_facts() {
    let body = email_body(&notification());
    assert_eq!(
        body,
        "Incident 42 (P1) has not been acknowledged for 25 minutes.\nRespond within 5 minutes.\n\n\
         Kind: sla_warning\nTenant: acme\nIncident: 42\nSeverity: 8\nPriority: P1\n\
         At: 2026-12-06T10:00:00Z\nLink: https://vigil.example/incidents/42\n"
    );
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[<>&@!*_`~\\[\\]()#:|\\\\.\n\r\t a-z0-9\u{202e}\u{0}é]{0,400}",
        ".{2990,3100}",
    ]
}

prop_compose! {
    fn hostile_notification()(
        subject in text(), body in text(), incident in proptest::option::of(text()),
        priority in proptest::option::of(text()), severity in proptest::option::of(any::<u8>()),
        link in proptest::option::of(text()),
    ) -> Notification {
        Notification { subject, text: body, incident_id: incident, priority, severity, link, ..notification() }
    }
}

/// Every string in a JSON value except under the keys in `skip`.
fn strings<'a>(v: &'a Value, skip: &[&str], out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| strings(i, skip, out)),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .for_each(|(_, v)| strings(v, skip, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn builders_never_panic_and_keep_markup_out(n in hostile_notification()) {
        let s = slack(&n);
        let mut found = Vec::new();
        strings(&s, &["url"], &mut found);
        for text in found {
            prop_assert!(!text.contains(['<', '>']), "{text:?}");
            prop_assert!(text.chars().count() <= 3000);
        }

        let mm = mattermost(&Notification { link: None, ..n.clone() });
        let mm = mm["text"].as_str().unwrap_or_default();
        let mut chars = mm.chars().peekable();
        let mut escaped = false;
        while let Some(c) = chars.next() {
            if c == '@' {
                prop_assert_eq!(chars.peek(), Some(&'\u{200b}'), "{:?}", mm);
            }
            if matches!(c, '[' | '<' | '(' | '`') {
                prop_assert!(escaped, "unescaped {c:?} in {mm:?}");
            }
            escaped = c == '\\' && !escaped;
        }

        let t = teams(&n);
        prop_assert!(serde_json::to_vec(&t).is_ok());
        prop_assert!(t["attachments"][0]["content"]["body"].as_array().is_some_and(|b| b.len() <= 47));

        let subject = email_subject(&n);
        prop_assert!(!subject.chars().any(char::is_control));
        prop_assert!(subject.chars().count() <= 201);
        let body = email_body(&n);
        prop_assert!(!body.chars().any(|c| c.is_control() && c != '\n'));

        let back: Notification = serde_json::from_slice(&webhook(&n)).expect("webhook JSON parses");
        prop_assert_eq!(back, n);
    }
}

//! `vigil alerts suppress` and `vigil suppressions create|list|show|disable|enable|delete|matches`:
//! suppression rules on a running server. Every text from the server goes into a [`SafeTable`]
//! cell or through [`Esc`]; times are UTC.

use std::process::ExitCode;

use jiff::Timestamp;
use vigil_api_types::suppressions::{
    AlertSuppress, AlertSuppressed, Condition, NewSuppression, SuppressedMatchPage, Suppression, SuppressionPage,
    SuppressionPatch,
};

use crate::{
    arg_values::parse_expiry,
    cli_suppress::{
        AlertSuppressArgs, SuppressionCreateArgs, SuppressionEnableArgs, SuppressionIdArgs, SuppressionListArgs,
        SuppressionMatchesArgs, SuppressionsCommand,
    },
    client::encode,
    remote_cmd::{print_json, runtime, short, time},
    term_safe::{Esc, SafeTable, errln, outln},
};

pub fn run(command: SuppressionsCommand) -> anyhow::Result<ExitCode> {
    match command {
        SuppressionsCommand::Create(args) => create(args),
        SuppressionsCommand::List(args) => list(&args),
        SuppressionsCommand::Show(args) => show(&args),
        SuppressionsCommand::Disable(args) => change(&args, disabled(true, None), "disabled"),
        SuppressionsCommand::Enable(SuppressionEnableArgs { target, expires }) => {
            let expires = expiry(expires.as_deref())?;
            change(&target, disabled(false, expires), "enabled")
        }
        SuppressionsCommand::Delete(args) => delete(&args),
        SuppressionsCommand::Matches(args) => matches(&args),
    }
}

fn path(id: &str) -> String {
    format!("/api/v1/suppressions/{}", encode(id))
}

/// `--expires`, read now.
fn expiry(text: Option<&str>) -> anyhow::Result<Option<Timestamp>> {
    text.map(|t| parse_expiry(t, Timestamp::now()).map_err(|e| e.context(format!("--expires {t}"))))
        .transpose()
}

fn disabled(disabled: bool, expires: Option<Timestamp>) -> SuppressionPatch {
    SuppressionPatch {
        disabled: Some(disabled),
        expires: expires.map(Some),
        reason: None,
    }
}

/// `host=web01, user=bob` (`every match` without conditions), for a table cell or a line.
fn conditions_text(conditions: &[Condition]) -> String {
    if conditions.is_empty() {
        return "every match".to_owned();
    }
    let parts: Vec<String> = conditions.iter().map(|c| format!("{}={}", c.field, c.value)).collect();
    parts.join(", ")
}

/// `active`, `disabled`, `expired`.
fn state(s: &Suppression) -> &'static str {
    if s.disabled {
        "disabled"
    } else if s.active {
        "active"
    } else {
        "expired"
    }
}

/// An instant to the second, UTC: `2024-05-02 10:15:07`.
fn seconds(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// `vigil alerts suppress ID --fields host,user --reason TEXT [--expires 30d] [--close-as D]`.
pub fn from_alert(args: AlertSuppressArgs) -> anyhow::Result<ExitCode> {
    let body = AlertSuppress {
        fields: args.fields,
        reason: args.reason,
        expires: expiry(args.expires.as_deref())?,
        close_as: args.close_as,
    };
    let answer: AlertSuppressed = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client
            .post(&format!("/api/v1/alerts/{}/suppress", encode(&args.id)), &body)
            .await
    })?;
    if args.json {
        return print_json(&answer);
    }
    let s = &answer.suppression;
    errln!(
        "suppression {} made: alerts of rule {} where {} are no longer raised{}",
        Esc(&s.id),
        Esc(&s.rule_id),
        Esc(&conditions_text(&s.conditions)),
        s.expires.map(|e| format!(" until {}", seconds(e))).unwrap_or_default()
    );
    if let Some(d) = answer.alert.disposition.filter(|_| body.close_as.is_some()) {
        errln!("alert {}: {} as {d}", Esc(&answer.alert.id), answer.alert.status);
    }
    outln!("{}", Esc(&s.id))?;
    Ok(ExitCode::SUCCESS)
}

fn create(args: SuppressionCreateArgs) -> anyhow::Result<ExitCode> {
    let body = NewSuppression {
        rule_id: args.rule_id,
        conditions: args.conditions,
        reason: args.reason,
        expires: expiry(args.expires.as_deref())?,
    };
    let s: Suppression = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.post("/api/v1/suppressions", &body).await
    })?;
    if args.json {
        return print_json(&s);
    }
    errln!(
        "suppression {} made: alerts of rule {} where {} are no longer raised",
        Esc(&s.id),
        Esc(&s.rule_id),
        Esc(&conditions_text(&s.conditions))
    );
    outln!("{}", Esc(&s.id))?;
    Ok(ExitCode::SUCCESS)
}

/// The query string of `vigil suppressions list`.
fn list_path(args: &SuppressionListArgs) -> String {
    let mut path = format!("/api/v1/suppressions?limit={}", args.limit);
    if let Some(rule) = &args.rule_id {
        path.push_str(&format!("&rule_id={}", encode(rule)));
    }
    if args.active {
        path.push_str("&active=true");
    }
    if args.inactive {
        path.push_str("&active=false");
    }
    if let Some(c) = &args.cursor {
        path.push_str(&format!("&cursor={}", encode(c)));
    }
    path
}

fn list(args: &SuppressionListArgs) -> anyhow::Result<ExitCode> {
    let path = list_path(args);
    let page: SuppressionPage = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.json {
        return print_json(&page);
    }
    let mut t = SafeTable::new(&[
        "id",
        "rule",
        "conditions",
        "state",
        "hits",
        "last hit",
        "expires",
        "author",
        "reason",
    ]);
    for s in &page.suppressions {
        t.add_row(vec![
            s.id.clone(),
            short(&s.rule_id, 36),
            short(&conditions_text(&s.conditions), 48),
            state(s).to_owned(),
            s.hits.to_string(),
            s.last_hit.map(seconds).unwrap_or_default(),
            s.expires.map_or_else(|| "never".to_owned(), seconds),
            short(&s.author, 24),
            short(&s.reason, 40),
        ]);
    }
    if !page.suppressions.is_empty() {
        outln!("{t}")?;
    }
    errln!("{} suppressions match, {} shown", page.total, page.suppressions.len());
    if let Some(c) = &page.next_cursor {
        errln!("next page: --cursor {}", Esc(c));
    }
    Ok(ExitCode::SUCCESS)
}

fn show(args: &SuppressionIdArgs) -> anyhow::Result<ExitCode> {
    let s: Suppression = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path(&args.id)).await
    })?;
    if args.json {
        return print_json(&s);
    }
    outln!("{}", details(&s))?;
    Ok(ExitCode::SUCCESS)
}

/// `vigil suppressions show`: one field a line, escaped.
fn details(s: &Suppression) -> String {
    let mut t = SafeTable::new(&["field", "value"]);
    let mut row = |k: &str, v: String| {
        t.add_row(vec![k.to_owned(), v]);
    };
    row("id", s.id.clone());
    row("rule", s.rule_id.clone());
    for c in &s.conditions {
        row("condition", format!("{} = {}", c.field, c.value));
    }
    if s.conditions.is_empty() {
        row("condition", "(none: every match of the rule)".to_owned());
    }
    row("state", state(s).to_owned());
    row("reason", s.reason.clone());
    row("author", s.author.clone());
    row("created", seconds(s.created));
    row("expires", s.expires.map_or_else(|| "never".to_owned(), seconds));
    if let (Some(at), Some(by)) = (s.updated, &s.updated_by) {
        row("changed", format!("{} by {by}", seconds(at)));
    }
    if let Some(alert) = &s.alert_id {
        row("from alert", alert.clone());
    }
    row("hits", s.hits.to_string());
    row(
        "last hit",
        s.last_hit.map(seconds).unwrap_or_else(|| "never".to_owned()),
    );
    t.to_string()
}

fn change(args: &SuppressionIdArgs, patch: SuppressionPatch, done: &str) -> anyhow::Result<ExitCode> {
    let s: Suppression = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.patch(&path(&args.id), &patch).await
    })?;
    if args.json {
        return print_json(&s);
    }
    outln!("suppression {}: {done}", Esc(&s.id))?;
    if !s.disabled && !s.active {
        errln!(
            "it has expired ({}): give it a new expiry with --expires",
            s.expires.map(seconds).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn delete(args: &SuppressionIdArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.delete(&path(&args.id)).await
    })?;
    outln!("suppression {}: deleted", Esc(&args.id))?;
    Ok(ExitCode::SUCCESS)
}

fn matches(args: &SuppressionMatchesArgs) -> anyhow::Result<ExitCode> {
    let mut query = format!("{}/matches?limit={}", path(&args.id), args.limit);
    if let Some(c) = &args.cursor {
        query.push_str(&format!("&cursor={}", encode(c)));
    }
    let page: SuppressedMatchPage = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&query).await
    })?;
    if args.json {
        return print_json(&page);
    }
    let mut t = SafeTable::new(&["time", "rule", "event"]);
    for m in &page.matches {
        t.add_row(vec![time(m.at), short(&m.rule_id, 40), m.event_id.clone()]);
    }
    if !page.matches.is_empty() {
        outln!("{t}")?;
    }
    errln!(
        "{} matches listed, {} shown; `vigil search '_id:EVENT'` shows one",
        page.total,
        page.matches.len()
    );
    if let Some(c) = &page.next_cursor {
        errln!("next page: --cursor {}", Esc(c));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suppression() -> Suppression {
        serde_json::from_value(serde_json::json!({
            "id": "sup-1", "tenant": "default", "rule_id": "r1",
            "conditions": [{"field": "host", "value": "web01"}, {"field": "user", "value": "bob"}],
            "reason": "scanner", "author": "user:ann", "created": "2026-05-01T12:00:00Z", "expires": null,
            "disabled": false, "active": true, "hits": 3, "last_hit": "2026-05-01T13:00:00Z",
        }))
        .expect("suppression")
    }

    #[test]
    fn conditions_and_state_read_on_one_line() {
        let mut s = suppression();
        assert_eq!(conditions_text(&s.conditions), "host=web01, user=bob");
        assert_eq!(conditions_text(&[]), "every match");
        assert_eq!(state(&s), "active");
        s.active = false;
        assert_eq!(state(&s), "expired");
        s.disabled = true;
        assert_eq!(state(&s), "disabled");
    }

    #[test]
    fn show_escapes_what_the_server_sent() {
        let mut s = suppression();
        s.reason = "evil \u{1b}[31mreason\u{202e}".into();
        let text = details(&s);
        assert!(text.contains("\\x1b[31mreason\\u{202e}"), "{text}");
        assert!(
            text.contains("host = web01") && text.contains("2026-05-01 13:00:00"),
            "{text}"
        );
    }

    #[test]
    fn the_list_query_names_what_was_asked() {
        let args = SuppressionListArgs {
            server: crate::cli::ServerArgs {
                server: "http://127.0.0.1:9200".into(),
                token: None,
                ca_cert: None,
                client_cert: None,
                client_key: None,
            },
            rule_id: Some("*".into()),
            active: true,
            inactive: false,
            limit: 10,
            cursor: None,
            json: false,
        };
        assert_eq!(
            list_path(&args),
            "/api/v1/suppressions?limit=10&rule_id=%2A&active=true"
        );
    }
}

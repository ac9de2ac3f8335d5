//! `vigil apikey create|list|revoke`: API keys in a data directory, each with one role, a tenant and
//! perhaps an expiry. Every creation and revocation is recorded in the audit trail (`apikey.create`,
//! `apikey.revoke`; never the secret). `vigil token` (`serve_cmd.rs`) is the older form over the same
//! keys.

use std::{path::Path, process::ExitCode};

use jiff::Timestamp;
use serde::Serialize;
use vigil_state::{AuditOutcome, NewApiKey, Role, TokenInfo};

use crate::{
    arg_values::parse_expiry,
    audit_cmd,
    cli::{ApikeyCommand, ApikeyCreateArgs},
    serve_cmd::{open_state, runtime},
    term_safe::{self, Esc, SafeTable, errln, outln},
};

pub fn run(command: ApikeyCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async move {
        match command {
            ApikeyCommand::Create(args) => create(args).await,
            ApikeyCommand::List { data_dir, json } => list(&data_dir, json).await,
            ApikeyCommand::Revoke { data_dir, id } => revoke(&data_dir, &id).await,
        }
    })
}

/// A key's state at `now`: `revoked`, `expired` or `active`.
pub(crate) fn key_state(key: &TokenInfo, now: Timestamp) -> &'static str {
    if key.revoked {
        "revoked"
    } else if key.is_expired(now) {
        "expired"
    } else {
        "active"
    }
}

/// The second column of `vigil token list`: the scope a role stands for where there is one (as the
/// list showed before roles existed), the role's own name otherwise.
pub(crate) fn token_list_role(role: Role) -> &'static str {
    match role {
        Role::Ingest => "ingest",
        Role::Viewer => "read",
        Role::Admin => "admin",
        other => other.as_str(),
    }
}

async fn create(args: ApikeyCreateArgs) -> anyhow::Result<ExitCode> {
    // Everything that can be checked without the data directory is, before it is created.
    let expires = args
        .expires
        .as_deref()
        .map(|text| parse_expiry(text, Timestamp::now()))
        .transpose()?;
    let key = NewApiKey {
        name: args.name,
        role: args.role,
        tenant: args.tenant,
        expires,
    };
    let state = open_state(&args.data_dir).await?;
    let (info, secret) = state.create_api_key(&key).await?;
    let mut detail = serde_json::json!({"role": info.role, "tenant": info.tenant, "name": info.name});
    if let Some(at) = info.expires {
        detail["expires"] = at.to_string().into();
    }
    // A key whose audit entry cannot be written is revoked again: the CLI leaves no unaudited live key.
    if let Err(e) = audit_cmd::record_in(
        &state,
        &info.tenant,
        "apikey.create",
        &info.id,
        AuditOutcome::Success,
        detail,
    )
    .await
    {
        return Err(match state.revoke_token(&info.id).await {
            Ok(_) => e.context(format!("API key {} was revoked again", info.id)),
            Err(r) => e.context(format!("API key {} could not be revoked either: {r}", info.id)),
        });
    }
    errln!(
        "created API key {} (role {}, tenant {}, {}); its secret is printed this once: store it safely",
        info.id,
        info.role,
        info.tenant,
        match info.expires {
            Some(at) => format!("expires {}", cell_time(at)),
            None => "never expires".to_owned(),
        }
    );
    outln!("{secret}")?;
    Ok(ExitCode::SUCCESS)
}

/// A key as `vigil apikey list --json` shows it.
#[derive(Debug, Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    key: &'a TokenInfo,
    state: &'static str,
}

/// An instant as a table cell, to the second.
fn cell_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn list(data_dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let state = open_state(data_dir).await?;
    let keys = state.list_tokens().await?;
    let now = Timestamp::now();
    if json {
        let listed: Vec<Listed<'_>> = keys
            .iter()
            .map(|key| Listed {
                key,
                state: key_state(key, now),
            })
            .collect();
        outln!("{}", term_safe::json::to_string_pretty(&listed)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if keys.is_empty() {
        errln!("no API keys in {}", Esc(&crate::serve_cmd::state_place(data_dir)));
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = SafeTable::new(&[
        "id",
        "name",
        "role",
        "tenant",
        "created",
        "expires",
        "last used",
        "state",
    ]);
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        // No terminal to measure: a width that keeps each key on one line in a pager or file.
        table.set_width(200);
    }
    for key in &keys {
        // Every cell is escaped by the table: a name may hold anything but control characters.
        table.add_row([
            key.id.clone(),
            key.name.clone(),
            key.role.to_string(),
            key.tenant.clone(),
            cell_time(key.created),
            key.expires.map_or_else(|| "never".to_owned(), cell_time),
            key.last_used.map_or_else(|| "never".to_owned(), cell_time),
            key_state(key, now).to_owned(),
        ]);
    }
    outln!("{table}")?;
    Ok(ExitCode::SUCCESS)
}

async fn revoke(data_dir: &Path, id: &str) -> anyhow::Result<ExitCode> {
    let state = open_state(data_dir).await?;
    let tenant = state.get_token(id).await?.map(|key| key.tenant);
    let tenant = tenant.as_deref().unwrap_or(vigil_api_types::access::DEFAULT_TENANT);
    if !state.revoke_token(id).await? {
        // A failed attempt is recorded too; an id that cannot even be an audit target (empty, control
        // characters) is only logged, so the real error is what shows.
        let detail = serde_json::json!({"reason": "no live API key with this id"});
        if let Err(e) = audit_cmd::record_in(&state, tenant, "apikey.revoke", id, AuditOutcome::Failure, detail).await {
            tracing::warn!("{e:#}");
        }
        anyhow::bail!("no live API key with id {}", Esc(id));
    }
    audit_cmd::record_in(
        &state,
        tenant,
        "apikey.revoke",
        id,
        AuditOutcome::Success,
        serde_json::json!({}),
    )
    .await?;
    errln!("revoked API key {}", Esc(id));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(expires: Option<&str>, revoked: bool) -> TokenInfo {
        TokenInfo {
            id: "0123456789abcdef".into(),
            name: "k".into(),
            role: Role::Analyst,
            tenant: "default".into(),
            created: Timestamp::UNIX_EPOCH,
            expires: expires.map(|e| e.parse().expect("instant")),
            last_used: None,
            revoked,
        }
    }

    #[test]
    fn states_put_revoked_before_expired() {
        let now: Timestamp = "2026-05-01T12:00:00Z".parse().expect("instant");
        assert_eq!(key_state(&key(None, false), now), "active");
        assert_eq!(key_state(&key(Some("2026-05-01T12:00:01Z"), false), now), "active");
        assert_eq!(key_state(&key(Some("2026-05-01T12:00:00Z"), false), now), "expired");
        assert_eq!(key_state(&key(Some("2026-05-01T12:00:00Z"), true), now), "revoked");
    }

    #[test]
    fn token_list_shows_legacy_scopes_where_a_role_has_one() {
        let shown: Vec<_> = Role::ALL.iter().map(|&r| token_list_role(r)).collect();
        assert_eq!(
            shown,
            ["read", "analyst", "lead", "detection_engineer", "admin", "ingest"]
        );
    }
}

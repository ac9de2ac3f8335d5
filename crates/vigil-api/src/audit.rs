//! The audit trail over HTTP: `GET /api/v1/audit` lists the principal's tenant's entries, and
//! the API records what it changes and whom it refused (see `vigil_state::audit`).
//!
//! A change is audited before it is answered. Refusals (failed authentication, a missing
//! permission) are recorded off the request path, so a flood of them costs the flooder time,
//! not the server; past the address's rate limit they are answered 429 and only counted.

use std::net::IpAddr;

use axum::{
    Extension, Json,
    body::Body,
    extract::State as AxState,
    http::{Method, Uri, header},
    response::{IntoResponse as _, Response},
};
use serde_json::json;
use vigil_api_types::{
    access::{Permission, Principal},
    audit::{AuditOutcome, AuditPage},
};
use vigil_state::{AuditQuery, NewAuditEntry, State};

use crate::{
    ApiError, Ctx, Params,
    records::{read_limit, read_time, state_error},
};

/// `GET /api/v1/audit`: newest first, filtered by `actor`, `action` (exact, or a prefix ending in
/// `.`), `outcome`, `since`, `until`; paged by `limit` and `cursor`. Only the principal's tenant.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "list_audit",
    tag = "audit",
    summary = "List the audit trail",
    description = "Entries of the key's tenant, newest first, filtered by actor, action, outcome and time (`since`, `until`); a page at a time. Each entry carries its hash and the previous entry's, so the chain can be verified.",
    params(
        crate::openapi::Listing,
        ("actor" = Option<String>, Query, description = "Only entries of this actor (`apikey:<id>`, `user:<name>`, …)."),
        ("action" = Option<String>, Query, description = "Only entries of this action (`rules.reload`), or of actions under a prefix ending in `.` (`auth.`)."),
        ("outcome" = Option<AuditOutcome>, Query, description = "Only entries with this outcome."),
    ),
    responses(
        (status = 200, description = "A page of entries.", body = AuditPage),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice (the message names it).", body = vigil_api_types::error::ErrorBody),
    )
)]
pub async fn list(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<AuditPage>, ApiError> {
    let p = Params::of(
        &uri,
        &["actor", "action", "outcome", "since", "until", "limit", "cursor"],
    )?;
    let q = AuditQuery {
        actor: p.text("actor"),
        action: p.text("action"),
        tenant: Some(principal.tenant.clone()),
        outcome: p.read("outcome", |v| {
            AuditOutcome::parse(v).ok_or_else(|| format!("`{v}` is not an outcome: use success, failure or denied"))
        })?,
        since: read_time(&p, "since")?,
        until: read_time(&p, "until")?,
        limit: Some(read_limit(&p)?),
        cursor: p.text("cursor"),
    };
    let page = ctx
        .state
        .list_audit(&q)
        .await
        .map_err(|e| state_error("listing the audit trail", e))?;
    Ok(Json(page.to_wire()))
}

/// Entries per database read of the export.
const EXPORT_BATCH: u32 = 1000;

/// `GET /api/v1/audit/export`: every entry of the principal's tenant after position `after`
/// (default 0: all), oldest first, one JSON object a line, the same lines as `vigil audit export`.
/// Streamed in batches, so a long trail is never held in memory; a cut stream ends at a whole line,
/// and `after=<last seq>` goes on from there.
#[utoipa::path(
    get,
    path = "/api/v1/audit/export",
    operation_id = "export_audit",
    tag = "audit",
    summary = "Export the audit trail as NDJSON",
    description = "Every entry of the key's tenant after position `after` (default: from the start), oldest first, one JSON object a line (`application/x-ndjson`), streamed. The lines are those of `vigil audit export`: each carries its hash and the previous entry's.",
    params(
        ("after" = Option<i64>, Query, description = "Only entries after this position (`seq`); 0 or more.", minimum = 0),
    ),
    responses(
        (status = 200, description = "The entries, one JSON object a line.", content_type = "application/x-ndjson", body = String),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice (the message names it).", body = vigil_api_types::error::ErrorBody),
    )
)]
pub async fn export(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::of(&uri, &["after"])?;
    let after = p
        .read("after", |v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| format!("`{v}` is not a position: use a seq, 0 or more"))
        })?
        .unwrap_or(0);
    let tenant = principal.tenant.clone();
    // The first batch before answering: a failing database is a JSON error, not a cut stream.
    let first = ctx
        .state
        .tenant_audit_entries(&tenant, after, EXPORT_BATCH)
        .await
        .map_err(|e| state_error("exporting the audit trail", e))?;
    let state = ctx.state.clone();
    let batches = futures_util::stream::unfold(Some(Next::Batch(first)), move |next| {
        let (state, tenant) = (state.clone(), tenant.clone());
        async move {
            let batch = match next? {
                Next::Batch(batch) => batch,
                // The lines read so far went out; the error cuts the stream.
                Next::Fail => return Some((Err(std::io::Error::other("audit export failed")), None)),
            };
            let last = batch.last()?.seq;
            let lines = ndjson(&batch);
            let next = if batch.len() < EXPORT_BATCH as usize {
                None
            } else {
                match state.tenant_audit_entries(&tenant, last, EXPORT_BATCH).await {
                    Ok(more) => Some(Next::Batch(more)),
                    Err(e) => {
                        tracing::error!(error = %e, "exporting the audit trail");
                        Some(Next::Fail)
                    }
                }
            };
            Some((Ok(lines), next))
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(batches),
    )
        .into_response())
}

/// What the export stream does next.
enum Next {
    Batch(Vec<vigil_state::AuditEntry>),
    Fail,
}

/// One batch as NDJSON lines.
fn ndjson(batch: &[vigil_state::AuditEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(batch.len() * 400);
    for entry in batch {
        if serde_json::to_writer(&mut out, entry).is_ok() {
            out.push(b'\n');
        }
    }
    out
}

/// An entry for what `principal` did, from `peer`.
pub fn entry(principal: &Principal, action: &str, outcome: AuditOutcome, peer: Option<IpAddr>) -> NewAuditEntry {
    let e = NewAuditEntry::new(principal.id.clone(), action, outcome).with_tenant(principal.tenant.clone());
    match peer {
        Some(ip) => e.with_source(ip.to_string()),
        None => e,
    }
}

/// Appends `entry`; a failure is logged loudly (the change it records has happened).
pub async fn record(state: &State, entry: NewAuditEntry) {
    let action = entry.action.clone();
    if let Err(e) = state.append_audit(entry).await {
        tracing::error!(error = %e, action, "could not write the audit trail");
    }
}

/// Records a failed authentication off the request path: the key id the secret claims (never the
/// secret), the route and why.
pub fn failed_authentication(
    ctx: &Ctx,
    peer: Option<IpAddr>,
    authorization: Option<&str>,
    method: &Method,
    path: &str,
    why: &str,
) {
    let claimed = authorization.and_then(claimed_key_id);
    let mut e = NewAuditEntry::new("anonymous", "auth.failure", AuditOutcome::Denied)
        .with_detail(json!({"route": format!("{method} {path}"), "reason": why}));
    if let Some(id) = claimed {
        e = e.with_target(format!("apikey:{id}"));
    }
    if let Some(ip) = peer {
        e = e.with_source(ip.to_string());
    }
    let state = ctx.state.clone();
    tokio::spawn(async move { record(&state, e).await });
}

/// Records a principal refused for lacking `permission`, off the request path.
pub fn denied(
    ctx: &Ctx,
    principal: &Principal,
    peer: Option<IpAddr>,
    method: &Method,
    path: &str,
    permission: Permission,
) {
    let e = entry(principal, "access.denied", AuditOutcome::Denied, peer)
        .with_target(format!("{method} {path}"))
        .with_detail(json!({"permission": permission.as_str()}));
    let state = ctx.state.clone();
    tokio::spawn(async move { record(&state, e).await });
}

/// The public id in `Bearer vgl_<16 hex>_…`, if the header has that shape.
fn claimed_key_id(authorization: &str) -> Option<&str> {
    let secret = authorization.split_once(' ')?.1.trim();
    let id = secret.strip_prefix("vgl_")?.get(..16)?;
    id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_key_id_is_recorded() {
        assert_eq!(
            claimed_key_id("Bearer vgl_0123456789abcdef_xyz"),
            Some("0123456789abcdef")
        );
        assert_eq!(claimed_key_id("Bearer vgl_0123456789ABCDEF_xyz"), None);
        assert_eq!(claimed_key_id("Bearer hunter2"), None);
        assert_eq!(claimed_key_id("Bearer vgl_01é"), None);
        assert_eq!(claimed_key_id("garbage"), None);
    }
}

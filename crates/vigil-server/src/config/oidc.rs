//! `[oidc]`: the OpenID provider whose access tokens the API accepts, and the console login.
//!
//! ```toml
//! [oidc]
//! issuer = "https://login.example.org/realms/soc"
//! audience = "vigil-api"
//! role_claims = ["groups"]
//! tenant_claim = "tenant"          # or: tenant = "acme" (every principal of this provider)
//!
//! [oidc.role_map]
//! soc-analysts = "analyst"
//! soc-leads = "lead"
//!
//! [oidc.console]
//! client_id = "vigil-console"
//! redirect_uri = "https://vigil.example.org:9200/api/v1/auth/oidc/callback"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use vigil_api_types::access::Role;
use vigil_oidc::{ClaimMap, ConsoleConfig, OidcConfig, TenantFrom};

use super::reader::Reader;

const SECTION: &str = "oidc";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OidcFile {
    issuer: Option<String>,
    audience: Option<String>,
    algorithms: Option<Vec<String>>,
    leeway: Option<String>,
    jwks_refresh: Option<String>,
    jwks_min_refetch: Option<String>,
    require_at_jwt_typ: Option<bool>,
    allow_http: Option<bool>,
    role_claims: Option<Vec<String>>,
    role_map: Option<BTreeMap<String, String>>,
    tenant_claim: Option<String>,
    tenant: Option<String>,
    name_claim: Option<String>,
    console: Option<ConsoleFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsoleFile {
    client_id: String,
    redirect_uri: String,
    scopes: Option<Vec<String>>,
    session_lifetime: Option<String>,
}

/// Reads `[oidc]`; `None` when the section is absent (bearer JWTs and the OpenID login are off).
pub(super) fn read(r: &mut Reader, table: &toml::Table) -> Option<OidcConfig> {
    table.get(SECTION)?;
    let file: OidcFile = r.section(table, SECTION);
    let mut missing = |key: &str, what: &str| {
        r.problem(Some(SECTION), key, format!("required: {what}"));
    };
    let issuer = file.issuer.clone().unwrap_or_default();
    if issuer.is_empty() {
        missing("issuer", "the provider's issuer URL, as its tokens' `iss` names it");
    }
    let audience = file.audience.clone().unwrap_or_default();
    if audience.is_empty() {
        missing("audience", "the `aud` the provider puts in access tokens for Vigil");
    }
    let claims = claim_map(r, &file);
    let mut config = OidcConfig::new(issuer, audience, claims);
    if let Some(names) = &file.algorithms {
        let (good, bad): (Vec<_>, Vec<_>) = names.iter().partition(|name| {
            name.parse()
                .is_ok_and(|alg: jsonwebtoken::Algorithm| vigil_oidc::ASYMMETRIC.contains(&alg))
        });
        config.algorithms = good.iter().filter_map(|name| name.parse().ok()).collect();
        if !bad.is_empty() {
            let bad: Vec<&str> = bad.iter().map(|s| s.as_str()).collect();
            r.problem(
                Some(SECTION),
                "algorithms",
                format!(
                    "not allowed: {}; use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or EdDSA (never none or HS*)",
                    bad.join(", ")
                ),
            );
        }
    }
    if let Some(d) = r.duration(SECTION, "leeway", file.leeway.as_deref()) {
        config.leeway = d;
    }
    if let Some(d) = r.duration(SECTION, "jwks_refresh", file.jwks_refresh.as_deref()) {
        config.jwks_refresh = d;
    }
    if let Some(d) = r.duration(SECTION, "jwks_min_refetch", file.jwks_min_refetch.as_deref()) {
        config.jwks_min_refetch = d;
    }
    config.require_at_jwt_typ = file.require_at_jwt_typ.unwrap_or(true);
    config.allow_http = file.allow_http.unwrap_or(false);
    config.console = file.console.map(|c| {
        let mut console = ConsoleConfig::new(c.client_id, c.redirect_uri);
        if let Some(scopes) = c.scopes {
            console.scopes = scopes;
        }
        if let Some(d) = r.duration("oidc.console", "session_lifetime", c.session_lifetime.as_deref()) {
            console.session_lifetime = d;
        }
        console
    });
    for (key, message) in config.problems() {
        let dotted = format!("{SECTION}.{key}");
        // Reported above already (missing, or a bad value).
        if r.problems.iter().any(|p| p.key == dotted) {
            continue;
        }
        match key.split_once('.') {
            Some((table, key)) => r.problem(Some(&format!("{SECTION}.{table}")), key, message),
            None => r.problem(Some(SECTION), key, message),
        }
    }
    Some(config)
}

fn claim_map(r: &mut Reader, file: &OidcFile) -> ClaimMap {
    let mut role_map = BTreeMap::new();
    for (value, role) in file.role_map.iter().flatten() {
        match role.parse::<Role>() {
            Ok(role) => {
                role_map.insert(value.clone(), role);
            }
            Err(e) => r.problem(Some("oidc.role_map"), value, e.to_string()),
        }
    }
    if file.role_map.as_ref().is_none_or(BTreeMap::is_empty) {
        r.problem(
            Some(SECTION),
            "role_map",
            "required: [oidc.role_map] maps claim values (groups, roles) to Vigil roles; without it every token is refused",
        );
    }
    let mut claims = ClaimMap::new(role_map);
    if let Some(role_claims) = &file.role_claims {
        if role_claims.is_empty() {
            r.problem(Some(SECTION), "role_claims", "name at least one claim");
        }
        claims.role_claims.clone_from(role_claims);
    }
    match (&file.tenant_claim, &file.tenant) {
        (Some(_), Some(_)) => r.problem(
            Some(SECTION),
            "tenant",
            "set tenant_claim (a claim names the tenant) or tenant (one tenant for all), not both",
        ),
        (Some(claim), None) => claims.tenant = TenantFrom::Claim(claim.clone()),
        (None, Some(tenant)) => match vigil_api_types::access::check_tenant(tenant) {
            Ok(()) => claims.tenant = TenantFrom::Fixed(tenant.clone()),
            Err(e) => r.problem(Some(SECTION), "tenant", e),
        },
        (None, None) => {}
    }
    if let Some(name) = &file.name_claim {
        claims.name_claim.clone_from(name);
    }
    claims
}

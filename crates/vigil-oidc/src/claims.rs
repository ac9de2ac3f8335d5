//! Claims → [`Principal`]: roles from a claim (a list, or space-separated text) through a table,
//! the tenant from a claim or fixed, a display name.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use vigil_api_types::access::{Principal, PrincipalKind, Role, check_tenant};

use crate::Rejected;

/// Where a principal's tenant comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantFrom {
    /// This claim (a dotted path); a token without it is refused.
    Claim(String),
    /// Every principal of this provider is in this tenant.
    Fixed(String),
}

/// How a provider's claims become a principal.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimMap {
    /// Claims holding role or group names (dotted paths such as `realm_access.roles`); their values
    /// are looked up in `role_map` and unioned.
    pub role_claims: Vec<String>,
    /// Claim value → Vigil role; values not in it are ignored.
    pub role_map: BTreeMap<String, Role>,
    pub tenant: TenantFrom,
    /// The display name's claim (default `preferred_username`, falling back to `sub`).
    pub name_claim: String,
}

impl ClaimMap {
    /// Roles from `groups` and `roles`, tenant `default`, name `preferred_username`.
    pub fn new(role_map: BTreeMap<String, Role>) -> ClaimMap {
        ClaimMap {
            role_claims: vec!["groups".into(), "roles".into()],
            role_map,
            tenant: TenantFrom::Fixed(vigil_api_types::access::DEFAULT_TENANT.into()),
            name_claim: "preferred_username".into(),
        }
    }

    /// The principal the claims stand for. A token with no role Vigil knows is
    /// [`Rejected::NoRole`] (403: authenticated, not allowed); one without its tenant is refused.
    pub fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, Rejected> {
        let mut roles: Vec<Role> = Vec::new();
        for path in &self.role_claims {
            let values: Vec<&str> = match at_path(claims, path) {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                Some(Value::String(text)) => text.split_whitespace().collect(),
                _ => Vec::new(),
            };
            roles.extend(values.into_iter().filter_map(|v| self.role_map.get(v).copied()));
        }
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(Rejected::NoRole);
        }
        let tenant = match &self.tenant {
            TenantFrom::Fixed(tenant) => tenant.clone(),
            TenantFrom::Claim(path) => at_path(claims, path)
                .and_then(Value::as_str)
                .ok_or(Rejected::Invalid("the token names no tenant"))?
                .to_owned(),
        };
        check_tenant(&tenant).map_err(|_| Rejected::Invalid("the token's tenant is not a valid tenant name"))?;
        let sub = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
        // RFC 9068 §2.2: a client-credentials token's subject is the client itself.
        let machine = claims.get("client_id").and_then(Value::as_str) == Some(sub);
        let name = at_path(claims, &self.name_claim).and_then(Value::as_str).unwrap_or(sub);
        Ok(Principal {
            id: if machine {
                format!("oidc-client:{sub}")
            } else {
                format!("oidc:{sub}")
            },
            kind: if machine {
                PrincipalKind::Service
            } else {
                PrincipalKind::User
            },
            name: name.chars().take(128).collect(),
            tenant,
            roles,
        })
    }
}

fn at_path<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map() -> ClaimMap {
        let mut m = ClaimMap::new(BTreeMap::from([
            ("soc-leads".to_owned(), Role::Lead),
            ("analyst".to_owned(), Role::Analyst),
        ]));
        m.tenant = TenantFrom::Claim("tenant".into());
        m.role_claims.push("realm_access.roles".into());
        m
    }

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn roles_and_tenant_come_from_the_mapped_claims() {
        let p = map()
            .principal(&claims(
                json!({"sub": "lead", "groups": ["soc-leads", "x"], "tenant": "acme",
                "realm_access": {"roles": ["analyst"]}, "preferred_username": "Lead One"}),
            ))
            .expect("principal");
        assert_eq!(
            (p.id.as_str(), p.kind, p.name.as_str()),
            ("oidc:lead", PrincipalKind::User, "Lead One")
        );
        assert_eq!((p.tenant.as_str(), p.roles), ("acme", vec![Role::Analyst, Role::Lead]));
        let ci = map()
            .principal(&claims(
                json!({"sub": "vigil-ci", "client_id": "vigil-ci", "roles": "analyst other", "tenant": "t1"}),
            ))
            .expect("principal");
        assert_eq!(
            (ci.id.as_str(), ci.kind, ci.roles),
            ("oidc-client:vigil-ci", PrincipalKind::Service, vec![Role::Analyst])
        );
    }

    #[test]
    fn no_known_role_or_no_valid_tenant_is_refused() {
        let m = map();
        assert_eq!(
            m.principal(&claims(json!({"sub": "x", "groups": ["nope"], "tenant": "a"}))),
            Err(Rejected::NoRole)
        );
        assert!(matches!(
            m.principal(&claims(json!({"sub": "x", "groups": ["analyst"]}))),
            Err(Rejected::Invalid(_))
        ));
        assert!(matches!(
            m.principal(&claims(
                json!({"sub": "x", "groups": ["analyst"], "tenant": "Not Valid"})
            )),
            Err(Rejected::Invalid(_))
        ));
    }
}

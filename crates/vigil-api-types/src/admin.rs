//! Administration over HTTP (`/api/v1/users`, `/api/v1/apikeys`, `/api/v1/roles`,
//! `/api/v1/tenants`): local users and API keys of the caller's tenant, the role table and the
//! tenants known. No answer ever carries a password hash or a key's hash; a generated password
//! and a new key's secret are answered once, when made.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{Permission, Role};

/// A local user as listed (never a password or its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// 1–64 characters of `a-z`, `0-9`, `.`, `_`, `-` and `@`; unique across tenants.
    pub name: String,
    /// A user holds one role.
    pub role: Role,
    pub tenant: String,
    pub created: Timestamp,
    /// When the password was last set.
    pub password_set: Timestamp,
    /// The user must choose their own password at the next login.
    pub must_change: bool,
    pub last_login: Option<Timestamp>,
    pub disabled: bool,
}

/// `GET /api/v1/users`: the tenant's users, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
}

/// `POST /api/v1/users`: a user in the caller's tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// 1–64 characters of `a-z`, `0-9`, `.`, `_`, `-` and `@`.
    pub name: String,
    pub role: Role,
    /// The initial password (12 to 1024 characters). Absent: one is generated and answered once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Whether the user must choose their own password at the first login (default true; always
    /// true for a generated password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_change: Option<bool>,
}

/// `PATCH /api/v1/users/{name}`: the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// `true` disables the user (their sessions end); `false` enables them again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// `POST /api/v1/users/{name}/password`: a reset. The user must choose their own password at
/// the next login, and their sessions end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The new password (12 to 1024 characters). Absent: one is generated and answered once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// A user as made or reset, with the generated one-time password, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserWithPassword {
    pub user: User,
    /// The generated password (absent when the request gave one). Not stored: only its hash is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// An API key's state at the time of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyState {
    Active,
    Expired,
    Revoked,
}

/// An API key as listed (never its secret or hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    /// The public id (16 hexadecimal digits), also in the secret: `vgl_<id>_…`.
    pub id: String,
    pub name: String,
    pub role: Role,
    pub tenant: String,
    pub created: Timestamp,
    pub expires: Option<Timestamp>,
    pub last_used: Option<Timestamp>,
    pub state: ApiKeyState,
}

/// `GET /api/v1/apikeys`: the tenant's keys, revoked and expired ones included, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyList {
    pub keys: Vec<ApiKey>,
}

/// `POST /api/v1/apikeys`: a key in the caller's tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyBody {
    /// What the key is for (1–128 characters, no control characters).
    pub name: String,
    pub role: Role,
    /// When it stops working: a duration from now (`90d`, `12h`) or an RFC 3339 instant, in the
    /// future. Absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// A new key with its secret, shown this once (only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    /// `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// A permission and what it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PermissionInfo {
    pub permission: Permission,
    pub meaning: String,
}

/// A role and its permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleInfo {
    pub role: Role,
    pub description: String,
    /// In the order of the permission table.
    pub permissions: Vec<Permission>,
}

/// `GET /api/v1/roles`: every role with its permissions, and the permission table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleList {
    pub roles: Vec<RoleInfo>,
    pub permissions: Vec<PermissionInfo>,
}

impl RoleList {
    /// The tables of `access.rs`, as they are.
    pub fn current() -> RoleList {
        RoleList {
            roles: Role::ALL
                .iter()
                .map(|&role| RoleInfo {
                    role,
                    description: role.description().to_owned(),
                    permissions: role.permissions(),
                })
                .collect(),
            permissions: Permission::TABLE
                .iter()
                .map(|&(permission, meaning)| PermissionInfo {
                    permission,
                    meaning: meaning.to_owned(),
                })
                .collect(),
        }
    }
}

/// A tenant known to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TenantInfo {
    pub name: String,
    /// The caller's own tenant (the only one it manages and reads).
    pub current: bool,
}

/// `GET /api/v1/tenants`: the caller's tenant first, then the others by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TenantList {
    pub tenants: Vec<TenantInfo>,
}

impl TenantList {
    /// `current` first, then `known` without it, by name.
    pub fn of(current: &str, known: impl IntoIterator<Item = String>) -> TenantList {
        let mut others: Vec<String> = known.into_iter().filter(|t| t != current).collect();
        others.sort();
        others.dedup();
        let first = TenantInfo {
            name: current.to_owned(),
            current: true,
        };
        let rest = others.into_iter().map(|name| TenantInfo { name, current: false });
        TenantList {
            tenants: std::iter::once(first).chain(rest).collect(),
        }
    }
}

/// Reads an expiry at `now`: a duration from now (`90d`, `12h`; Vigil's one duration grammar) or
/// an RFC 3339 instant; either must lie in the future. The error is for people.
pub fn parse_expiry(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let t = text.trim();
    let at = match t.parse::<Timestamp>() {
        Ok(at) => at,
        Err(_) => {
            let d = crate::duration::parse_duration(t)
                .map_err(|e| format!("{e}; an expiry is a duration from now (90d, 12h) or an RFC 3339 instant"))?;
            if !d.is_positive() {
                return Err(format!("an expiry duration must be positive, not `{t}`"));
            }
            now.checked_add(d)
                .map_err(|_| format!("expiry `{t}` is out of range"))?
        }
    };
    if at <= now {
        return Err(format!("expiry {at} is not in the future"));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callers_tenant_comes_first_once() {
        let list = TenantList::of("b", ["c".into(), "b".into(), "a".into(), "c".into()]);
        let names: Vec<(&str, bool)> = list.tenants.iter().map(|t| (t.name.as_str(), t.current)).collect();
        assert_eq!(names, [("b", true), ("a", false), ("c", false)]);
    }

    #[test]
    fn expiries_are_durations_or_instants_in_the_future() {
        let now: Timestamp = "2026-12-01T00:00:00Z".parse().expect("instant");
        assert_eq!(
            parse_expiry("1d", now),
            Ok("2026-12-02T00:00:00Z".parse().expect("instant"))
        );
        assert_eq!(
            parse_expiry("2027-01-01T00:00:00Z", now),
            Ok("2027-01-01T00:00:00Z".parse().expect("instant"))
        );
        for bad in ["-1d", "0s", "2026-11-30T00:00:00Z", "soon", "1 month"] {
            assert!(parse_expiry(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies_refuse_unknown_fields_such_as_a_tenant() {
        let e = serde_json::from_str::<NewUserBody>(r#"{"name":"a","role":"viewer","tenant":"other"}"#);
        assert!(e.is_err());
        let e = serde_json::from_str::<NewApiKeyBody>(r#"{"name":"a","role":"viewer","tenant":"other"}"#);
        assert!(e.is_err());
    }

    #[test]
    fn the_role_list_is_the_table() {
        let list = RoleList::current();
        assert_eq!(list.roles.len(), Role::ALL.len());
        assert_eq!(list.permissions.len(), Permission::TABLE.len());
        let admin = list.roles.iter().find(|r| r.role == Role::Admin).expect("admin");
        assert_eq!(admin.permissions.len(), Permission::TABLE.len());
    }
}

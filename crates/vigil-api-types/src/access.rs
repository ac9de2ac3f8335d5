//! Who may do what: the one table of permissions, the roles that group them, and the principal
//! every request resolves to (`GET /api/v1/me`).
//!
//! A permission is `domain:action` (`alert:read`, `rule:deploy`). A role is a named set of
//! permissions; a principal holds roles in exactly one tenant, and its effective permissions are
//! the union of its roles' sets. No role reaches across tenants: `admin` administers its own.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares the permission table once: variant, wire name, meaning.
macro_rules! permissions {
    ($($variant:ident => $name:literal, $meaning:literal;)+) => {
        /// One right on one kind of object (see [`Permission::TABLE`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Permission {
            $(#[doc = $meaning] #[serde(rename = $name)] $variant,)+
        }

        impl Permission {
            /// Every permission with its meaning, in table order.
            pub const TABLE: &'static [(Permission, &'static str)] =
                &[$((Permission::$variant, $meaning),)+];

            /// The wire name, such as `alert:read`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Permission::$variant => $name,)+
                }
            }
        }

        impl FromStr for Permission {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Permission::$variant),)+
                    _ => Err(UnknownName { kind: "permission", name: s.to_string() }),
                }
            }
        }
    };
}

permissions! {
    AlertRead => "alert:read", "List and read alerts and the events behind them.";
    AlertTriage => "alert:triage", "Change an alert's status, assignee or disposition, and comment on it.";
    AlertReopen => "alert:reopen", "Reopen closed alerts.";
    CaseRead => "case:read", "Read incidents, their tasks, observables and timelines.";
    CaseWrite => "case:write", "Create and update incidents, tasks, observables and notes.";
    CaseClose => "case:close", "Close and reopen incidents.";
    CaseDelete => "case:delete", "Delete incidents (their timeline and the audit trail stay).";
    SearchQuery => "search:query", "Search and aggregate stored events.";
    DeadLetterRead => "deadletter:read", "Read the records ingest could not accept.";
    StatusRead => "status:read", "Read the server's status and metrics.";
    SourceRead => "source:read", "Read log-source health: last events, silences, expected sources.";
    RuleRead => "rule:read", "Read the loaded rules and their load report.";
    CoverageRead => "coverage:read", "Read ATT&CK coverage and its Navigator layers.";
    RuleWrite => "rule:write", "Change rule files and suppressions.";
    RuleDeploy => "rule:deploy", "Reload the running rule set.";
    PlaybookRun => "playbook:run", "Run response playbooks.";
    EventIngest => "event:ingest", "Send events through any ingest endpoint.";
    AuditRead => "audit:read", "Read and export the audit trail.";
    ReportRead => "report:read", "Generate SOC reports (KPIs, SLA, incidents, rules, sources, coverage, validation) for the tenant.";
    ApikeyManage => "apikey:manage", "Create, list and revoke API keys.";
    UserManage => "user:manage", "Create, change and disable users and their roles.";
    TenantManage => "tenant:manage", "Create and change tenants.";
    ValidationRead => "validation:read", "Read detection validation runs and the detection rate.";
    ValidationRun => "validation:run", "Replay attack samples through the running rules (detection validation).";
}

/// The schema is written from the table: utoipa's derive does not see the `serde(rename)` that
/// the macro above writes, and would list the Rust names.
impl utoipa::PartialSchema for Permission {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let names: Vec<String> = Permission::TABLE
            .iter()
            .map(|(p, meaning)| format!("`{p}`: {meaning}"))
            .collect();
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Permission::TABLE.iter().map(|(p, _)| p.as_str())))
            .description(Some(format!(
                "A permission, `domain:action` (docs/access.md):\n\n{}",
                names.join("\n\n")
            )))
            .into()
    }
}

impl ToSchema for Permission {}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not in its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    pub kind: &'static str,
    pub name: String,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.kind, self.name)
    }
}

impl std::error::Error for UnknownName {}

/// A named set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads alerts, incidents, events, rules and status.
    Viewer,
    /// A viewer who triages alerts and works incidents.
    Analyst,
    /// An analyst who closes incidents and reads the audit trail.
    Lead,
    /// A viewer who changes and deploys rules.
    DetectionEngineer,
    /// Everything within its tenant.
    Admin,
    /// Sends events and nothing else (shippers, collectors).
    Ingest,
}

use Permission as P;

const VIEWER: &[Permission] = &[
    P::AlertRead,
    P::CaseRead,
    P::SearchQuery,
    P::DeadLetterRead,
    P::StatusRead,
    P::RuleRead,
    P::SourceRead,
    P::ValidationRead,
    P::CoverageRead,
];
const ANALYST: &[Permission] = &[P::AlertTriage, P::CaseWrite];
const LEAD: &[Permission] = &[P::AlertReopen, P::CaseClose, P::AuditRead, P::ReportRead];
const ENGINEER: &[Permission] = &[P::RuleWrite, P::RuleDeploy, P::ValidationRun];

impl Role {
    /// Every role, in table order.
    pub const ALL: &'static [Role] = &[
        Role::Viewer,
        Role::Analyst,
        Role::Lead,
        Role::DetectionEngineer,
        Role::Admin,
        Role::Ingest,
    ];

    /// The wire name, such as `detection_engineer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Lead => "lead",
            Role::DetectionEngineer => "detection_engineer",
            Role::Admin => "admin",
            Role::Ingest => "ingest",
        }
    }

    /// What the role is for, for people (`GET /api/v1/roles`).
    pub fn description(self) -> &'static str {
        match self {
            Role::Viewer => "Reads alerts, incidents, events, rules and status.",
            Role::Analyst => "A viewer who triages alerts and works incidents.",
            Role::Lead => "An analyst who closes incidents, reads the audit trail and makes reports.",
            Role::DetectionEngineer => "A viewer who changes, deploys and validates rules.",
            Role::Admin => "Everything within its tenant, users and API keys included.",
            Role::Ingest => "Sends events and nothing else (shippers, collectors).",
        }
    }

    /// Whether the role grants `permission`.
    pub fn grants(self, permission: Permission) -> bool {
        let sets: &[&[Permission]] = match self {
            Role::Viewer => &[VIEWER],
            Role::Analyst => &[VIEWER, ANALYST],
            Role::Lead => &[VIEWER, ANALYST, LEAD],
            Role::DetectionEngineer => &[VIEWER, ENGINEER],
            Role::Admin => return true,
            Role::Ingest => &[&[P::EventIngest]],
        };
        sets.iter().any(|set| set.contains(&permission))
    }

    /// The role's permissions, in table order.
    pub fn permissions(self) -> Vec<Permission> {
        Permission::TABLE
            .iter()
            .map(|&(p, _)| p)
            .filter(|&p| self.grants(p))
            .collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "role",
                name: s.to_string(),
            })
    }
}

/// The permission table as Markdown: each permission, its meaning and the roles that grant it
/// (what `docs/access.md` shows; a test keeps them equal).
pub fn markdown_table() -> String {
    let mut out = String::from("| permission | meaning | roles |\n|---|---|---|\n");
    for &(p, meaning) in Permission::TABLE {
        let roles: Vec<&str> = Role::ALL.iter().filter(|r| r.grants(p)).map(|r| r.as_str()).collect();
        out.push_str(&format!("| `{p}` | {meaning} | {} |\n", roles.join(", ")));
    }
    out
}

/// The tenant of a single-tenant install.
pub const DEFAULT_TENANT: &str = "default";

/// [`DEFAULT_TENANT`], owned (a serde default).
pub fn default_tenant() -> String {
    DEFAULT_TENANT.to_owned()
}

/// The longest tenant name.
pub const MAX_TENANT_LEN: usize = 64;

/// Checks a tenant name: 1–[`MAX_TENANT_LEN`] characters of `a-z`, `0-9`, `_` and `-` (it appears
/// in ids, paths and log lines, so nothing that needs quoting). The error is for people.
pub fn check_tenant(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_TENANT_LEN
        && name
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a tenant name is 1 to {MAX_TENANT_LEN} characters of a-z, 0-9, _ and -"
        ))
    }
}

/// What kind of party a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person (local account or OpenID Connect).
    User,
    /// An API key.
    ApiKey,
    /// Vigil itself (scheduled work, start-up).
    Service,
}

/// Who sends a request: `GET /api/v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Principal {
    /// Stable and unique: `apikey:<id>`, `user:<name>`, `service:<name>`.
    pub id: String,
    pub kind: PrincipalKind,
    /// For people: the display name; for keys: the name given at creation.
    pub name: String,
    pub tenant: String,
    pub roles: Vec<Role>,
}

impl Principal {
    /// Whether one of the roles grants `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.roles.iter().any(|r| r.grants(permission))
    }

    /// The union of the roles' permissions, in table order.
    pub fn permissions(&self) -> Vec<Permission> {
        Permission::TABLE
            .iter()
            .map(|&(p, _)| p)
            .filter(|&p| self.can(p))
            .collect()
    }
}

/// The answer of `GET /api/v1/me`: the principal and what it may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub principal: Principal,
    pub permissions: Vec<Permission>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for &(p, _) in Permission::TABLE {
            assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
            assert_eq!(serde_json::to_value(p).ok(), Some(p.as_str().into()));
        }
        for &r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
            assert_eq!(serde_json::to_value(r).ok(), Some(r.as_str().into()));
        }
        assert!("alert:write".parse::<Permission>().is_err());
    }

    #[test]
    fn the_schemas_list_the_wire_names() {
        let schema = |s: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>| {
            serde_json::to_value(s).expect("schema")["enum"].clone()
        };
        let permissions: Vec<&str> = Permission::TABLE.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            schema(<Permission as utoipa::PartialSchema>::schema()),
            serde_json::json!(permissions)
        );
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            schema(<Role as utoipa::PartialSchema>::schema()),
            serde_json::json!(roles)
        );
    }

    #[test]
    fn the_documentation_shows_the_permission_table_as_it_is() {
        let doc = include_str!("../../../docs/access.md");
        let table = markdown_table();
        assert!(
            doc.contains(&table),
            "docs/access.md is out of date; the table is now:\n{table}"
        );
    }

    #[test]
    fn tenant_names() {
        for good in [DEFAULT_TENANT, "acme", "a", "eu-west_2", &"x".repeat(MAX_TENANT_LEN)] {
            assert_eq!(check_tenant(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "Acme",
            "a b",
            "a/b",
            "a.b",
            "é",
            "a\n",
            &"x".repeat(MAX_TENANT_LEN + 1),
        ] {
            assert!(check_tenant(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn roles_grow_along_the_soc_ladder() {
        let has = |r: Role, p| r.grants(p);
        assert!(has(Role::Viewer, P::AlertRead) && !has(Role::Viewer, P::AlertTriage));
        assert!(has(Role::Analyst, P::AlertTriage) && !has(Role::Analyst, P::CaseClose));
        assert!(has(Role::Lead, P::CaseClose) && !has(Role::Lead, P::RuleDeploy));
        assert!(has(Role::DetectionEngineer, P::RuleDeploy) && !has(Role::DetectionEngineer, P::AlertTriage));
        assert_eq!(Role::Ingest.permissions(), vec![P::EventIngest]);
        assert!(!has(Role::Viewer, P::EventIngest));
        assert_eq!(Role::Admin.permissions().len(), Permission::TABLE.len());
    }
}

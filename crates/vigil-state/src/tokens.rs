//! API keys (called tokens before roles existed): creation, verification, listing and revocation.
//!
//! A secret looks like `vgl_<id>_<43 chars>`: a public id (16 hex digits, shown in listings and logs) and
//! 32 random bytes in base64url without padding. Only the SHA-256 of the whole secret is stored. A slow
//! password KDF (argon2, bcrypt) is unnecessary here: it exists to slow down guessing of low-entropy human
//! passwords, while these secrets carry 256 bits from the OS random generator, so a fast hash already makes
//! recovering a secret from a stolen database infeasible — and verification stays cheap on every request.
//!
//! A key holds one [`Role`] in one tenant and may expire. Keys made before roles existed (schema
//! version 3, `0003_api_keys.sql`) have no stored role: theirs comes from their [`Scope`], so their
//! secrets keep verifying with exactly the rights they had.

use crate::audit::{NewAuditEntry, append_in_tx, prepare};
use crate::db::{DbRow, on_db};
use crate::{State, StateError, time};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::fmt;
use std::str::FromStr;
use vigil_api_types::access::{DEFAULT_TENANT, Principal, PrincipalKind, Role, check_tenant};

/// What a token could do before roles existed: the `--scope` of `vigil token create` and the `scope`
/// column. Each scope stands for one role ([`Scope::role`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Send events (ingest endpoints) only.
    Ingest,
    /// Read alerts, events and state.
    Read,
    /// Everything, including token management.
    Admin,
}

impl Scope {
    /// The lowercase name (`"ingest"`, `"read"`, `"admin"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    /// The role a token of this scope holds: `ingest` → `ingest`, `read` → `viewer`, `admin` →
    /// `admin` (what each scope allowed before roles existed).
    pub fn role(self) -> Role {
        match self {
            Scope::Ingest => Role::Ingest,
            Scope::Read => Role::Viewer,
            Scope::Admin => Role::Admin,
        }
    }

    /// [`Scope::role`] as a list, as a [`Principal`] holds roles.
    pub fn roles(self) -> Vec<Role> {
        vec![self.role()]
    }

    /// The legacy scope closest to `role`, written to the `scope` column of a key with a role:
    /// `ingest` → `ingest`, `admin` → `admin`, every other role → `read`. Only informative: a key's
    /// rights come from its stored role.
    pub fn closest(role: Role) -> Scope {
        match role {
            Role::Ingest => Scope::Ingest,
            Role::Admin => Scope::Admin,
            Role::Viewer | Role::Analyst | Role::Lead | Role::DetectionEngineer => Scope::Read,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a string that is not a scope name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope (expected ingest, read or admin)")]
pub struct ParseScopeError;

impl FromStr for Scope {
    type Err = ParseScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ingest" => Ok(Scope::Ingest),
            "read" => Ok(Scope::Read),
            "admin" => Ok(Scope::Admin),
            _ => Err(ParseScopeError),
        }
    }
}

/// An API key as listed: everything except the secret (which is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Short public id (16 lowercase hex digits), embedded in the secret.
    pub id: String,
    /// Human label given at creation.
    pub name: String,
    /// What the key may do. For a key made before roles existed, the role of its scope.
    pub role: Role,
    /// The tenant the key acts in.
    pub tenant: String,
    /// When the key was created.
    pub created: Timestamp,
    /// From this instant on the key no longer verifies; `None`: never.
    pub expires: Option<Timestamp>,
    /// Last successful verification, recorded with [`LAST_USED_RESOLUTION`] granularity.
    pub last_used: Option<Timestamp>,
    /// Revoked keys never verify again.
    pub revoked: bool,
}

impl TokenInfo {
    /// The principal requests signed with this key act as: `apikey:<id>`, its role, its tenant.
    pub fn principal(&self) -> Principal {
        Principal {
            id: format!("apikey:{}", self.id),
            kind: PrincipalKind::ApiKey,
            name: self.name.clone(),
            tenant: self.tenant.clone(),
            roles: vec![self.role],
        }
    }

    /// Whether the key has expired at `now` (it expires at its `expires` instant).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }
}

/// What [`State::create_api_key`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// A label to recognise the key by: 1–128 characters without control characters, not unique.
    pub name: String,
    /// The one role the key holds.
    pub role: Role,
    /// The tenant it acts in: 1–64 characters of `a-z`, `0-9`, `_`, `-`.
    pub tenant: String,
    /// When it stops verifying (after its creation); `None`: never.
    pub expires: Option<Timestamp>,
}

impl NewApiKey {
    /// A key named `name` with `role` in the default tenant that never expires.
    pub fn new(role: Role, name: impl Into<String>) -> NewApiKey {
        NewApiKey {
            name: name.into(),
            role,
            tenant: DEFAULT_TENANT.to_owned(),
            expires: None,
        }
    }

    /// The same key in `tenant`.
    pub fn in_tenant(mut self, tenant: impl Into<String>) -> NewApiKey {
        self.tenant = tenant.into();
        self
    }

    /// The same key, expiring at `at`.
    pub fn expiring(mut self, at: Timestamp) -> NewApiKey {
        self.expires = Some(at);
        self
    }
}

/// `last_used` is rewritten only when the stored value is older than this, so a busy client costs one write
/// per minute instead of one per request.
pub const LAST_USED_RESOLUTION: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

const PREFIX: &str = "vgl_";
const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;
/// Length of the base64url (no padding) text of [`SECRET_BYTES`].
const SECRET_B64_LEN: usize = 43;
const MAX_NAME_LEN: usize = 128;

/// Fills a fresh array from the OS random generator.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], StateError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(StateError::Random)?;
    Ok(buf)
}

/// Hex SHA-256 of the whole secret text.
pub(crate) fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two byte strings in time that depends only on their lengths (which are public: both are hex
/// SHA-256 digests).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Extracts the public id from a well-formed secret; `None` for anything else.
fn parse_secret(secret: &str) -> Option<&str> {
    let rest = secret.strip_prefix(PREFIX)?;
    // The id is hex (never '_'); the random part may contain '_' (base64url), so split at the first '_'.
    let (id, random) = rest.split_once('_')?;
    let id_ok = id.len() == ID_BYTES * 2 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let random_ok = random.len() == SECRET_B64_LEN
        && random
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && random_ok).then_some(id)
}

/// Whether `last_used` is stale enough to rewrite at `now`.
fn needs_touch(last_used: Option<Timestamp>, now: Timestamp) -> bool {
    match last_used {
        None => true,
        Some(t) => now.duration_since(t) >= LAST_USED_RESOLUTION,
    }
}

fn validate_name(name: &str) -> Result<(), StateError> {
    if name.trim().is_empty() {
        return Err(StateError::InvalidInput("key name must not be empty".into()));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(StateError::InvalidInput(format!(
            "key name longer than {MAX_NAME_LEN} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(StateError::InvalidInput("key name contains control characters".into()));
    }
    Ok(())
}

fn validate_tenant(tenant: &str) -> Result<(), StateError> {
    check_tenant(tenant).map_err(StateError::InvalidInput)
}

/// The columns [`token_from_row`] reads.
pub(crate) const COLUMNS: &str = "id, name, scope, role, tenant, created, expires_at, last_used, revoked_at";

pub(crate) fn token_from_row(row: &impl DbRow) -> Result<TokenInfo, StateError> {
    // A key made before roles existed has no role: its scope stands for one.
    let role = match row.opt_text("role")? {
        Some(role) => role
            .parse::<Role>()
            .map_err(|_| StateError::Corrupt(format!("unknown key role {role:?}")))?,
        None => {
            let scope = row.text("scope")?;
            scope
                .parse::<Scope>()
                .map_err(|_| StateError::Corrupt(format!("unknown token scope {scope:?}")))?
                .role()
        }
    };
    Ok(TokenInfo {
        id: row.text("id")?,
        name: row.text("name")?,
        role,
        tenant: row.text("tenant")?,
        created: row.instant("created")?,
        expires: row.opt_instant("expires_at")?,
        last_used: row.opt_instant("last_used")?,
        revoked: row.opt_int("revoked_at")?.is_some(),
    })
}

impl State {
    /// Creates an API key and returns it with its secret. The secret is shown once: only its hash is
    /// stored.
    ///
    /// Refused ([`StateError::InvalidInput`]): a name that is empty, longer than 128 characters or holds
    /// control characters; a tenant that is not 1–64 characters of `a-z`, `0-9`, `_`, `-`; an expiry
    /// that is not in the future.
    pub async fn create_api_key(&self, key: &NewApiKey) -> Result<(TokenInfo, String), StateError> {
        self.create_api_key_at(key, Timestamp::now()).await
    }

    /// [`create_api_key`](Self::create_api_key) at `now` (its creation time, and what the expiry must
    /// follow): a clock tests can drive.
    pub async fn create_api_key_at(&self, key: &NewApiKey, now: Timestamp) -> Result<(TokenInfo, String), StateError> {
        let (id, secret) = self.insert_api_key(key, now, None).await?;
        // As stored (instants round-trip through their stored form).
        let info = TokenInfo {
            id,
            name: key.name.clone(),
            role: key.role,
            tenant: key.tenant.clone(),
            created: time::from_db(time::to_db(now))?,
            expires: time::opt_from_db(time::opt_to_db(key.expires))?,
            last_used: None,
            revoked: false,
        };
        Ok((info, secret))
    }

    /// The one insert of an API key (the CLI's [`create_api_key`](Self::create_api_key) and the
    /// API's `add_tenant_key`): checks it, stores its secret's hash and, when given, appends `audit`
    /// (its target set to `apikey:<id>`) in the same transaction. The new id and secret.
    pub(crate) async fn insert_api_key(
        &self,
        key: &NewApiKey,
        now: Timestamp,
        audit: Option<NewAuditEntry>,
    ) -> Result<(String, String), StateError> {
        validate_name(&key.name)?;
        validate_tenant(&key.tenant)?;
        if key.expires.is_some_and(|e| e <= now) {
            return Err(StateError::InvalidInput("a key's expiry must be in the future".into()));
        }
        // A 64-bit id collides with negligible probability; retry a few times rather than assume.
        for _ in 0..4 {
            let id = hex::encode(random::<ID_BYTES>()?);
            let secret = format!("{PREFIX}{id}_{}", URL_SAFE_NO_PAD.encode(random::<SECRET_BYTES>()?));
            let entry = audit.clone().map(|a| prepare(a.with_target(format!("apikey:{id}"))));
            let entry = entry.transpose()?;
            let done = on_db!(self, db => {
                let mut tx = db.write_tx().await?;
                if entry.is_some() {
                    db.lock_audit(&mut tx).await?;
                }
                let done = sqlx::query(
                    "INSERT INTO tokens (id, name, scope, role, tenant, secret_hash, created, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
                )
                .bind(&id)
                .bind(&key.name)
                .bind(Scope::closest(key.role).as_str())
                .bind(key.role.as_str())
                .bind(&key.tenant)
                .bind(hash_secret(&secret))
                .bind(time::to_db(now))
                .bind(time::opt_to_db(key.expires))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if done == 1 {
                    if let Some(p) = entry {
                        append_in_tx!(tx, p)?;
                    }
                    tx.commit().await?;
                }
                done
            });
            if done == 1 {
                return Ok((id, secret));
            }
        }
        Err(StateError::Corrupt("could not allocate a unique key id".into()))
    }

    /// Creates a key of the role `scope` stands for ([`Scope::role`]) in the default tenant, without
    /// expiry: what `vigil token create --scope` makes.
    pub async fn create_token(&self, scope: Scope, name: &str) -> Result<(TokenInfo, String), StateError> {
        self.create_api_key(&NewApiKey::new(scope.role(), name)).await
    }

    /// Checks a presented secret. `Ok(None)` for malformed, unknown, wrong, revoked or expired secrets —
    /// never an error for bad input, so callers answer 401 without distinguishing why.
    ///
    /// The lookup is by the public id embedded in the secret; the hash comparison is constant-time. A
    /// successful verification records `last_used` at most once per [`LAST_USED_RESOLUTION`].
    pub async fn verify_token(&self, secret: &str) -> Result<Option<TokenInfo>, StateError> {
        self.verify_token_at(secret, Timestamp::now()).await
    }

    /// [`verify_token`](Self::verify_token) at `now` (what expiry is judged against and `last_used`
    /// records): a clock tests can drive.
    pub async fn verify_token_at(&self, secret: &str, now: Timestamp) -> Result<Option<TokenInfo>, StateError> {
        let Some(id) = parse_secret(secret) else {
            return Ok(None);
        };
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}, secret_hash FROM tokens WHERE id = $1"));
        let found = on_db!(self, db => {
            let row = sqlx::query(sql).bind(id).fetch_optional(&db.reader).await?;
            row.map(|row| Ok::<_, StateError>((row.text("secret_hash")?, token_from_row(&row)?)))
                .transpose()?
        });
        let Some((stored, mut info)) = found else {
            return Ok(None);
        };
        if !ct_eq(hash_secret(secret).as_bytes(), stored.as_bytes()) {
            return Ok(None);
        }
        if info.revoked || info.is_expired(now) {
            return Ok(None);
        }
        if needs_touch(info.last_used, now) {
            // Conditional on the row still being live, so a revocation racing this verification wins.
            let done = on_db!(self, db => sqlx::query("UPDATE tokens SET last_used = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(time::to_db(now))
                .bind(id)
                .execute(&db.writer)
                .await?
                .rows_affected());
            if done == 0 {
                return Ok(None);
            }
            info.last_used = Some(time::from_db(time::to_db(now))?);
        }
        Ok(Some(info))
    }

    /// All keys, revoked and expired ones included, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<TokenInfo>, StateError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM tokens ORDER BY created, id"));
        on_db!(self, db => {
            let rows = sqlx::query(sql).fetch_all(&db.reader).await?;
            rows.iter().map(token_from_row).collect()
        })
    }

    /// One key by its id (revoked and expired ones included); `None` if there is none.
    pub async fn get_token(&self, id: &str) -> Result<Option<TokenInfo>, StateError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM tokens WHERE id = $1"));
        on_db!(self, db => {
            let row = sqlx::query(sql).bind(id).fetch_optional(&db.reader).await?;
            row.as_ref().map(token_from_row).transpose()
        })
    }

    /// Revokes a key. `true` if it existed and was not revoked yet (an expired key can still be
    /// revoked); `false` if unknown or already revoked.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, StateError> {
        let now = time::to_db(Timestamp::now());
        let done = on_db!(self, db => sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&db.writer)
            .await?
            .rows_affected());
        Ok(done > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_stand_for_roles_and_roles_have_a_closest_scope() {
        use Scope::*;
        assert_eq!(
            [Ingest.role(), Read.role(), Admin.role()],
            [Role::Ingest, Role::Viewer, Role::Admin]
        );
        for s in [Ingest, Read, Admin] {
            assert_eq!(
                Scope::closest(s.role()),
                s,
                "a legacy key's scope survives the round trip"
            );
            assert_eq!(s.roles(), vec![s.role()]);
        }
        for &r in Role::ALL {
            let expected = match r {
                Role::Ingest => Ingest,
                Role::Admin => Admin,
                _ => Read,
            };
            assert_eq!(Scope::closest(r), expected, "{r}");
        }
    }

    #[test]
    fn scope_text_forms_agree() {
        for s in [Scope::Ingest, Scope::Read, Scope::Admin] {
            assert_eq!(s.to_string().parse::<Scope>(), Ok(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<Scope>(&format!("\"{s}\"")).unwrap(), s);
        }
        assert_eq!("Admin".parse::<Scope>(), Err(ParseScopeError));
        assert!(serde_json::from_str::<Scope>("\"root\"").is_err());
    }

    #[test]
    fn ct_eq_compares() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
        assert!(ct_eq(b"", b""));
    }

    #[test]
    fn parses_only_well_formed_secrets() {
        let good = format!("vgl_0123456789abcdef_{}", "A_-".repeat(14) + "z");
        assert_eq!(parse_secret(&good), Some("0123456789abcdef"));
        for bad in [
            "",
            "vgl_",
            "vgl__",
            "xyz_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "vgl_0123456789ABCDEF_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "vgl_0123456789abcde_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "vgl_0123456789abcdef_AAAA",
            "vgl_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "vgl_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAé",
        ] {
            assert_eq!(parse_secret(bad), None, "{bad}");
        }
    }

    #[test]
    fn last_used_is_rate_limited() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert!(needs_touch(None, t0));
        assert!(!needs_touch(Some(t0), t0 + jiff::SignedDuration::from_secs(59)));
        assert!(needs_touch(Some(t0), t0 + jiff::SignedDuration::from_secs(60)));
        // A clock that went backwards does not cause writes.
        assert!(!needs_touch(Some(t0), t0 - jiff::SignedDuration::from_secs(3600)));
    }

    #[test]
    fn tenants_are_validated() {
        assert!(validate_tenant("default").is_ok());
        assert!(validate_tenant("acme-eu_1").is_ok());
        for bad in ["", "Acme", "a b", "../x", &"t".repeat(65)] {
            assert!(
                matches!(validate_tenant(bad), Err(StateError::InvalidInput(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn names_are_validated() {
        assert!(validate_name("ci ingest").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("  ").is_err());
        assert!(validate_name("a\nb").is_err());
        assert!(validate_name(&"x".repeat(129)).is_err());
        assert!(validate_name(&"é".repeat(128)).is_ok());
    }

    #[test]
    fn generated_secret_shape_parses() {
        let id = hex::encode(random::<ID_BYTES>().unwrap());
        let secret = format!(
            "{PREFIX}{id}_{}",
            URL_SAFE_NO_PAD.encode(random::<SECRET_BYTES>().unwrap())
        );
        assert_eq!(parse_secret(&secret), Some(id.as_str()));
    }
}

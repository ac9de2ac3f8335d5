//! API tokens: creation, verification, listing and revocation.
//!
//! A secret looks like `vgl_<id>_<43 chars>`: a public id (16 hex digits, shown in listings and logs) and
//! 32 random bytes in base64url without padding. Only the SHA-256 of the whole secret is stored. A slow
//! password KDF (argon2, bcrypt) is unnecessary here: it exists to slow down guessing of low-entropy human
//! passwords, while these secrets carry 256 bits from the OS random generator, so a fast hash already makes
//! recovering a secret from a stolen database infeasible — and verification stays cheap on every request.

use crate::{State, StateError, time};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;
use std::fmt;
use std::str::FromStr;
use vigil_api_types::access::{DEFAULT_TENANT, Principal, PrincipalKind, Role};

/// What a token may do.
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
    /// Whether a token with this scope may perform an action that needs `needed`: `Admin` allows everything,
    /// `Read` allows `Read`, `Ingest` allows `Ingest` only.
    pub fn allows(self, needed: Scope) -> bool {
        match self {
            Scope::Admin => true,
            Scope::Read => needed == Scope::Read,
            Scope::Ingest => needed == Scope::Ingest,
        }
    }

    /// The lowercase name (`"ingest"`, `"read"`, `"admin"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }
}

impl Scope {
    /// The roles a token of this scope holds: `ingest` → `ingest`, `read` → `viewer`, `admin` →
    /// `admin` (what each scope allowed before roles existed).
    pub fn roles(self) -> Vec<Role> {
        match self {
            Scope::Ingest => vec![Role::Ingest],
            Scope::Read => vec![Role::Viewer],
            Scope::Admin => vec![Role::Admin],
        }
    }
}

impl TokenInfo {
    /// The principal requests signed with this token act as (tenant `default`).
    pub fn principal(&self) -> Principal {
        Principal {
            id: format!("apikey:{}", self.id),
            kind: PrincipalKind::ApiKey,
            name: self.name.clone(),
            tenant: DEFAULT_TENANT.to_string(),
            roles: self.scope.roles(),
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

/// A token as listed: everything except the secret (which is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Short public id (16 lowercase hex digits), embedded in the secret.
    pub id: String,
    /// Human label given at creation.
    pub name: String,
    /// What the token may do.
    pub scope: Scope,
    /// When the token was created.
    pub created: Timestamp,
    /// Last successful verification, recorded with [`LAST_USED_RESOLUTION`] granularity.
    pub last_used: Option<Timestamp>,
    /// Revoked tokens never verify again.
    pub revoked: bool,
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
fn random<const N: usize>() -> Result<[u8; N], StateError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(StateError::Random)?;
    Ok(buf)
}

/// Hex SHA-256 of the whole secret text.
fn hash_secret(secret: &str) -> String {
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
        return Err(StateError::InvalidInput("token name must not be empty".into()));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(StateError::InvalidInput(format!(
            "token name longer than {MAX_NAME_LEN} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(StateError::InvalidInput(
            "token name contains control characters".into(),
        ));
    }
    Ok(())
}

fn token_from_row(row: &SqliteRow) -> Result<TokenInfo, StateError> {
    let scope: String = row.try_get("scope")?;
    Ok(TokenInfo {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scope: scope
            .parse()
            .map_err(|_| StateError::Corrupt(format!("unknown token scope {scope:?}")))?,
        created: time::from_db(row.try_get("created")?)?,
        last_used: time::opt_from_db(row.try_get("last_used")?)?,
        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
    })
}

impl State {
    /// Creates a token and returns it with its secret. The secret is shown once: only its hash is stored.
    ///
    /// Names must be 1–128 characters without control characters (not unique: ids are).
    pub async fn create_token(&self, scope: Scope, name: &str) -> Result<(TokenInfo, String), StateError> {
        validate_name(name)?;
        let created = Timestamp::now();
        // A 64-bit id collides with negligible probability; retry a few times rather than assume.
        for _ in 0..4 {
            let id = hex::encode(random::<ID_BYTES>()?);
            let secret = format!("{PREFIX}{id}_{}", URL_SAFE_NO_PAD.encode(random::<SECRET_BYTES>()?));
            let done = sqlx::query(
                "INSERT INTO tokens (id, name, scope, secret_hash, created) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&id)
            .bind(name)
            .bind(scope.as_str())
            .bind(hash_secret(&secret))
            .bind(time::to_db(created))
            .execute(&self.writer)
            .await?;
            if done.rows_affected() == 1 {
                let info = TokenInfo {
                    id,
                    name: name.to_owned(),
                    scope,
                    created: time::from_db(time::to_db(created))?,
                    last_used: None,
                    revoked: false,
                };
                return Ok((info, secret));
            }
        }
        Err(StateError::Corrupt("could not allocate a unique token id".into()))
    }

    /// Checks a presented secret. `Ok(None)` for malformed, unknown, wrong or revoked secrets — never an
    /// error for bad input, so callers answer 401 without distinguishing why.
    ///
    /// The lookup is by the public id embedded in the secret; the hash comparison is constant-time. A
    /// successful verification records `last_used` at most once per [`LAST_USED_RESOLUTION`].
    pub async fn verify_token(&self, secret: &str) -> Result<Option<TokenInfo>, StateError> {
        let Some(id) = parse_secret(secret) else {
            return Ok(None);
        };
        let Some(row) =
            sqlx::query("SELECT id, name, scope, secret_hash, created, last_used, revoked_at FROM tokens WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?
        else {
            return Ok(None);
        };
        let stored: String = row.try_get("secret_hash")?;
        if !ct_eq(hash_secret(secret).as_bytes(), stored.as_bytes()) {
            return Ok(None);
        }
        let mut info = token_from_row(&row)?;
        if info.revoked {
            return Ok(None);
        }
        let now = Timestamp::now();
        if needs_touch(info.last_used, now) {
            // Conditional on the row still being live, so a revocation racing this verification wins.
            let done = sqlx::query("UPDATE tokens SET last_used = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(time::to_db(now))
                .bind(id)
                .execute(&self.writer)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            info.last_used = Some(time::from_db(time::to_db(now))?);
        }
        Ok(Some(info))
    }

    /// All tokens, revoked ones included, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<TokenInfo>, StateError> {
        let rows =
            sqlx::query("SELECT id, name, scope, created, last_used, revoked_at FROM tokens ORDER BY created, id")
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a token. `true` if it existed and was live; `false` if unknown or already revoked.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, StateError> {
        let done = sqlx::query("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(time::to_db(Timestamp::now()))
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_rules() {
        use Scope::*;
        for needed in [Ingest, Read, Admin] {
            assert!(Admin.allows(needed));
        }
        assert!(Read.allows(Read));
        assert!(!Read.allows(Ingest));
        assert!(!Read.allows(Admin));
        assert!(Ingest.allows(Ingest));
        assert!(!Ingest.allows(Read));
        assert!(!Ingest.allows(Admin));
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

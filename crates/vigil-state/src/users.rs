//! Local users: a name, one role in one tenant, and an Argon2id password hash.
//!
//! Passwords are hashed with Argon2id at the parameters OWASP recommends (19 MiB, 2 passes, 1
//! lane: the `argon2` crate's defaults) and stored as PHC strings, salt and parameters inside, so
//! stronger parameters later still verify old hashes. A check against an unknown or disabled user
//! spends the same hashing work as a real one, so timing does not tell which names exist. There
//! are no default credentials: the first admin comes from `vigil admin bootstrap`.

use crate::db::{DbRow, on_db};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use vigil_api_types::access::{Principal, PrincipalKind, Role, check_tenant};

use crate::audit::{NewAuditEntry, append_in_tx, prepare};
use crate::tokens::random;
use crate::{State, StateError, time};

/// The shortest password accepted (NIST SP 800-63B asks for at least 8; a SOC asks for more).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest (hashing cost grows with it; nobody types more).
pub const MAX_PASSWORD_CHARS: usize = 1024;
const MAX_NAME_LEN: usize = 64;

/// A user as listed: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    pub tenant: String,
    pub created: Timestamp,
    /// When the password was last set.
    pub password_set: Timestamp,
    /// The password was generated (bootstrap, reset): the user should choose their own.
    pub must_change: bool,
    pub last_login: Option<Timestamp>,
    pub disabled: bool,
}

impl UserInfo {
    /// The principal the user acts as: `user:<name>`, its role, its tenant.
    pub fn principal(&self) -> Principal {
        Principal {
            id: format!("user:{}", self.name),
            kind: PrincipalKind::User,
            name: self.name.clone(),
            tenant: self.tenant.clone(),
            roles: vec![self.role],
        }
    }
}

/// What [`State::create_user`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// 1–64 characters of `a-z`, `0-9`, `.`, `_`, `-` and `@`.
    pub name: String,
    pub role: Role,
    pub tenant: String,
    pub password: String,
    /// Whether the user should replace this password (it was generated).
    pub must_change: bool,
}

/// A random password of 24 characters (18 bytes from the OS generator, base64url): 144 bits.
pub fn generate_password() -> Result<String, StateError> {
    Ok(URL_SAFE_NO_PAD.encode(random::<18>()?))
}

/// Checks a user name: 1–64 characters of `a-z`, `0-9`, `.`, `_`, `-` and `@`.
pub fn check_user_name(name: &str) -> Result<(), StateError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(StateError::InvalidInput(format!(
            "a user name is 1 to {MAX_NAME_LEN} characters of a-z, 0-9, '.', '_', '-' and '@'"
        )))
    }
}

/// Checks a password's length (in characters).
pub fn check_password(password: &str) -> Result<(), StateError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(StateError::InvalidInput(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(StateError::InvalidInput(format!(
            "a password has at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// Argon2id PHC string of `password`, off the async threads (it takes tens of milliseconds).
pub(crate) async fn hash_password(password: String) -> Result<String, StateError> {
    let salt =
        SaltString::encode_b64(&random::<16>()?).map_err(|e| StateError::Corrupt(format!("salt encoding: {e}")))?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StateError::Corrupt(format!("password hashing: {e}")))
    })
    .await
    .map_err(|e| StateError::Corrupt(format!("password hashing task: {e}")))?
}

/// Whether `password` matches the PHC string `stored` (false for malformed hashes).
async fn verify_password(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash of a password nobody knows, checked when the name is unknown or disabled (same cost).
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$0vQtP9WlbKw+6WJ0ZGvNxJnyaO0sFWuIsWxCmmyXVZk";

pub(crate) const SELECT_USER: &str =
    "SELECT name, role, tenant, created, password_set, must_change, last_login, disabled_at FROM users";

pub(crate) fn user_from_row(row: &impl DbRow) -> Result<UserInfo, StateError> {
    let role = row.text("role")?;
    Ok(UserInfo {
        name: row.text("name")?,
        role: role
            .parse()
            .map_err(|_| StateError::Corrupt(format!("unknown user role {role:?}")))?,
        tenant: row.text("tenant")?,
        created: row.instant("created")?,
        password_set: row.instant("password_set")?,
        must_change: row.int("must_change")? != 0,
        last_login: row.opt_instant("last_login")?,
        disabled: row.opt_int("disabled_at")?.is_some(),
    })
}

impl State {
    /// Creates a user. Fails with `InvalidInput` for a bad name, tenant or password, or a name in use.
    pub async fn create_user(&self, user: &NewUser) -> Result<UserInfo, StateError> {
        self.create_user_with(user, None).await
    }

    /// [`create_user`](Self::create_user) that appends `audit` in the user's own transaction.
    pub async fn create_user_audited(&self, user: &NewUser, audit: NewAuditEntry) -> Result<UserInfo, StateError> {
        self.create_user_with(user, Some(audit)).await
    }

    async fn create_user_with(&self, user: &NewUser, audit: Option<NewAuditEntry>) -> Result<UserInfo, StateError> {
        if !self.insert_user(user, audit).await? {
            return Err(StateError::InvalidInput(format!("user {} exists already", user.name)));
        }
        self.get_user(&user.name)
            .await?
            .ok_or_else(|| StateError::Corrupt("a created user is missing".into()))
    }

    /// The one insert of a user (the CLI's [`create_user`](Self::create_user) and the API's
    /// `add_tenant_user`): checks the name, tenant and password, stores the password's hash and,
    /// when given, appends `audit` in the same transaction. `false`: the name is taken.
    pub(crate) async fn insert_user(&self, user: &NewUser, audit: Option<NewAuditEntry>) -> Result<bool, StateError> {
        check_user_name(&user.name)?;
        check_tenant(&user.tenant).map_err(StateError::InvalidInput)?;
        check_password(&user.password)?;
        let audit = audit.map(prepare).transpose()?;
        let hash = hash_password(user.password.clone()).await?;
        let now = time::to_db(Timestamp::now());
        let done = on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            if audit.is_some() {
                db.lock_audit(&mut tx).await?;
            }
            let done = sqlx::query(
                "INSERT INTO users (name, role, tenant, password_hash, created, password_set, must_change) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING",
            )
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(&user.tenant)
            .bind(&hash)
            .bind(now)
            .bind(now)
            .bind(i64::from(user.must_change))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 1 {
                if let Some(p) = audit {
                    append_in_tx!(tx, p)?;
                }
                tx.commit().await?;
            }
            done
        });
        Ok(done == 1)
    }

    /// The user called `name`, disabled or not.
    pub async fn get_user(&self, name: &str) -> Result<Option<UserInfo>, StateError> {
        let sql = AssertSqlSafe(format!("{SELECT_USER} WHERE name = $1"));
        on_db!(self, db => {
            let row = sqlx::query(sql).bind(name).fetch_optional(&db.reader).await?;
            row.as_ref().map(user_from_row).transpose()
        })
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<UserInfo>, StateError> {
        let sql = AssertSqlSafe(format!("{SELECT_USER} ORDER BY name"));
        on_db!(self, db => {
            let rows = sqlx::query(sql).fetch_all(&db.reader).await?;
            rows.iter().map(user_from_row).collect()
        })
    }

    /// Sets a user's password (and whether they must change it); ends their sessions. `false` for
    /// an unknown user.
    pub async fn set_password(&self, name: &str, password: &str, must_change: bool) -> Result<bool, StateError> {
        check_password(password)?;
        let hash = hash_password(password.to_owned()).await?;
        let now = time::to_db(Timestamp::now());
        let done = on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let done = sqlx::query(
                "UPDATE users SET password_hash = $1, password_set = $2, must_change = $3 WHERE name = $4",
            )
            .bind(&hash)
            .bind(now)
            .bind(i64::from(must_change))
            .bind(name)
            .execute(&mut *tx)
            .await?;
            sqlx::query(END_SESSIONS_OF).bind(now).bind(name).execute(&mut *tx).await?;
            tx.commit().await?;
            done.rows_affected()
        });
        Ok(done > 0)
    }

    /// Disables a user and ends their sessions. `false` if unknown or already disabled.
    pub async fn disable_user(&self, name: &str) -> Result<bool, StateError> {
        let now = time::to_db(Timestamp::now());
        let done = on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE name = $2 AND disabled_at IS NULL")
                .bind(now)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            sqlx::query(END_SESSIONS_OF).bind(now).bind(name).execute(&mut *tx).await?;
            tx.commit().await?;
            done.rows_affected()
        });
        Ok(done > 0)
    }

    /// The user, if `password` is theirs and they are enabled; records the login time. Unknown
    /// names and disabled users cost the same hashing work as a wrong password.
    pub async fn check_login(&self, name: &str, password: &str) -> Result<Option<UserInfo>, StateError> {
        // No password is longer: do not spend hashing on a request-sized one.
        if password.len() > 4 * MAX_PASSWORD_CHARS {
            return Ok(None);
        }
        let row = on_db!(self, db => {
            let row = sqlx::query("SELECT password_hash, disabled_at FROM users WHERE name = $1")
                .bind(name)
                .fetch_optional(&db.reader)
                .await?;
            row.map(|r| Ok::<_, StateError>((r.text("password_hash")?, r.opt_int("disabled_at")?.is_none())))
                .transpose()?
        });
        let (stored, enabled) = row.unwrap_or_else(|| (DECOY_HASH.to_owned(), false));
        let matches = verify_password(password.to_owned(), stored).await;
        if !(matches && enabled) {
            return Ok(None);
        }
        let now = time::to_db(Timestamp::now());
        on_db!(self, db => sqlx::query("UPDATE users SET last_login = $1 WHERE name = $2")
            .bind(now)
            .bind(name)
            .execute(&db.writer)
            .await
            .map(drop)?);
        self.get_user(name).await
    }

    /// Whether an enabled user holds the admin role (in any tenant).
    pub async fn has_enabled_admin(&self) -> Result<bool, StateError> {
        let sql = "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL";
        let n: i64 = on_db!(self, db => sqlx::query_scalar(sql).fetch_one(&db.reader).await?);
        Ok(n > 0)
    }
}

/// Ends every open session of a user (`$1` now, `$2` the name), inside the caller's transaction.
pub(crate) const END_SESSIONS_OF: &str = "UPDATE sessions SET ended_at = $1 WHERE user_name = $2 AND ended_at IS NULL";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passwords_are_checked() {
        for good in ["alice", "a.b-c_d@example.org", "x"] {
            assert!(check_user_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Alice", "a b", "ä", &"a".repeat(65)] {
            assert!(check_user_name(bad).is_err(), "{bad}");
        }
        assert!(check_password("short").is_err());
        assert!(check_password("twelve chars").is_ok());
        assert!(check_password(&"é".repeat(12)).is_ok());
        assert!(check_password(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn the_decoy_hash_parses_as_argon2id_with_the_default_cost() {
        let h = PasswordHash::new(DECOY_HASH).expect("PHC string");
        assert_eq!(h.algorithm.as_str(), "argon2id");
        let params = argon2::Params::try_from(&h).expect("params");
        let default = argon2::Params::default();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
    }

    #[test]
    fn generated_passwords_are_long_enough_and_differ() {
        let (a, b) = (generate_password().expect("a"), generate_password().expect("b"));
        assert_eq!(a.len(), 24);
        assert!(check_password(&a).is_ok());
        assert_ne!(a, b);
    }
}

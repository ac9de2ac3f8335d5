//! Browser sessions: an opaque random id in a cookie, only its SHA-256 stored. Local users'
//! sessions (`vgs_…`) act as the user's current row; sessions started by an OpenID login (`vgf_…`)
//! act as the principal the provider's ID token mapped to at login (there is no user row).
//!
//! A session ends at its absolute expiry, after [`IDLE_TIMEOUT`] without a request, at logout, or
//! when its user is disabled or gets a new password. A login always makes a new id (no fixation).

use crate::db::{DbRow, on_db};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};

use crate::tokens::{hash_secret, random};
use crate::users::UserInfo;
use crate::{State, StateError, time};
use vigil_api_types::access::Principal;

/// A session without a request for this long has ended.
pub const IDLE_TIMEOUT: SignedDuration = SignedDuration::from_secs(30 * 60);
/// Session rows not used for this long are deleted by [`State::prune_sessions`] (they ended
/// long before: the idle timeout is far shorter), kept until then for investigations.
pub const KEEP_DEAD_SESSIONS: SignedDuration = SignedDuration::from_hours(7 * 24);
/// `last_seen` is rewritten at most this often per session.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);
const PREFIX: &str = "vgs_";
const FEDERATED_PREFIX: &str = "vgf_";
/// The longest cookie value either kind of session has.
const MAX_SECRET: usize = 64;

/// Who a session acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPrincipal {
    pub principal: Principal,
    /// A local user whose password was generated (bootstrap, `vigil user add` or `passwd`
    /// without a password): until they choose their own, the session may do nothing else.
    pub must_change_password: bool,
}

impl State {
    /// Starts a session for the enabled user `name`, valid for at most `lifetime`; returns the
    /// secret to put in the cookie (shown once, stored hashed).
    pub async fn create_session(&self, name: &str, lifetime: SignedDuration) -> Result<String, StateError> {
        let secret = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(random::<32>()?));
        let now = Timestamp::now();
        let expires = now.saturating_add(lifetime).unwrap_or(Timestamp::MAX);
        let inserted = on_db!(self, db => sqlx::query(
            "INSERT INTO sessions (id_hash, user_name, created, expires, last_seen) \
             SELECT $1, name, $2, $3, $4 FROM users WHERE name = $5 AND disabled_at IS NULL",
        )
        .bind(hash_secret(&secret))
        .bind(time::to_db(now))
        .bind(time::to_db(expires))
        .bind(time::to_db(now))
        .bind(name)
        .execute(&db.writer)
        .await
        .map(|done| done.rows_affected()));
        inserted
            .and_then(|n| if n == 1 { Ok(()) } else { Err(sqlx::Error::RowNotFound) })
            .map_err(|e| match e {
                sqlx::Error::RowNotFound => StateError::InvalidInput(format!("no enabled user {name}")),
                e => e.into(),
            })?;
        Ok(secret)
    }

    /// The user of a live session at `now`; `None` for anything else (never an error for bad
    /// input). Records the request time at most once a minute.
    pub async fn session_user(&self, secret: &str, now: Timestamp) -> Result<Option<UserInfo>, StateError> {
        if !secret.starts_with(PREFIX) || secret.len() > MAX_SECRET {
            return Ok(None);
        }
        let id_hash = hash_secret(secret);
        let row = on_db!(self, db => {
            let row = sqlx::query(
                "SELECT s.user_name, s.expires, s.last_seen FROM sessions s JOIN users u ON u.name = s.user_name \
                 WHERE s.id_hash = $1 AND s.ended_at IS NULL AND u.disabled_at IS NULL",
            )
            .bind(&id_hash)
            .fetch_optional(&db.reader)
            .await?;
            row.map(|row| Ok::<_, StateError>((row.text("user_name")?, row.instant("expires")?, row.instant("last_seen")?)))
                .transpose()?
        });
        let Some((name, expires, last_seen)) = row else {
            return Ok(None);
        };
        if now >= expires || now.duration_since(last_seen) >= IDLE_TIMEOUT {
            return Ok(None);
        }
        if now.duration_since(last_seen) >= TOUCH_EVERY {
            self.touch_session(false, &id_hash, now).await?;
        }
        self.get_user(&name).await
    }

    /// Ends a session of either kind (logout). `false` if it was unknown or had ended.
    pub async fn end_session(&self, secret: &str) -> Result<bool, StateError> {
        let sql = if secret.starts_with(FEDERATED_PREFIX) {
            "UPDATE federated_sessions SET ended_at = $1 WHERE id_hash = $2 AND ended_at IS NULL"
        } else {
            "UPDATE sessions SET ended_at = $1 WHERE id_hash = $2 AND ended_at IS NULL"
        };
        let (now, id_hash) = (time::to_db(Timestamp::now()), hash_secret(secret));
        let done =
            on_db!(self, db => sqlx::query(sql).bind(now).bind(&id_hash).execute(&db.writer).await?.rows_affected());
        Ok(done > 0)
    }

    /// Starts a session for a person the OpenID provider vouched for, acting as `principal` for
    /// at most `lifetime`; returns the secret to put in the cookie (shown once, stored hashed).
    pub async fn create_federated_session(
        &self,
        principal: &Principal,
        lifetime: SignedDuration,
    ) -> Result<String, StateError> {
        let secret = format!("{FEDERATED_PREFIX}{}", URL_SAFE_NO_PAD.encode(random::<32>()?));
        let now = Timestamp::now();
        let expires = now.saturating_add(lifetime).unwrap_or(Timestamp::MAX);
        let principal =
            serde_json::to_string(principal).map_err(|e| StateError::InvalidInput(format!("principal: {e}")))?;
        on_db!(self, db => sqlx::query(
            "INSERT INTO federated_sessions (id_hash, principal, created, expires, last_seen) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hash_secret(&secret))
        .bind(&principal)
        .bind(time::to_db(now))
        .bind(time::to_db(expires))
        .bind(time::to_db(now))
        .execute(&db.writer)
        .await
        .map(drop)?);
        Ok(secret)
    }

    /// Who a live session of either kind acts as at `now`; `None` for anything else (never an
    /// error for bad input). Records the request time at most once a minute.
    pub async fn session_principal(
        &self,
        secret: &str,
        now: Timestamp,
    ) -> Result<Option<SessionPrincipal>, StateError> {
        if !secret.starts_with(FEDERATED_PREFIX) {
            return Ok(self.session_user(secret, now).await?.map(|user| SessionPrincipal {
                principal: user.principal(),
                must_change_password: user.must_change,
            }));
        }
        if secret.len() > MAX_SECRET {
            return Ok(None);
        }
        let id_hash = hash_secret(secret);
        let row = on_db!(self, db => {
            let row = sqlx::query(
                "SELECT principal, expires, last_seen FROM federated_sessions WHERE id_hash = $1 AND ended_at IS NULL",
            )
            .bind(&id_hash)
            .fetch_optional(&db.reader)
            .await?;
            row.map(|row| Ok::<_, StateError>((row.text("principal")?, row.instant("expires")?, row.instant("last_seen")?)))
                .transpose()?
        });
        let Some((text, expires, last_seen)) = row else {
            return Ok(None);
        };
        if now >= expires || now.duration_since(last_seen) >= IDLE_TIMEOUT {
            return Ok(None);
        }
        if now.duration_since(last_seen) >= TOUCH_EVERY {
            self.touch_session(true, &id_hash, now).await?;
        }
        let principal = serde_json::from_str(&text)
            .map_err(|e| StateError::Corrupt(format!("federated session principal: {e}")))?;
        Ok(Some(SessionPrincipal {
            principal,
            must_change_password: false,
        }))
    }

    /// Deletes sessions of both kinds not used for [`KEEP_DEAD_SESSIONS`]; returns how many.
    pub async fn prune_sessions(&self, now: Timestamp) -> Result<u64, StateError> {
        let cutoff = time::to_db(now.saturating_sub(KEEP_DEAD_SESSIONS).unwrap_or(now));
        let mut deleted = 0;
        for sql in [
            "DELETE FROM sessions WHERE last_seen < $1",
            "DELETE FROM federated_sessions WHERE last_seen < $1",
        ] {
            deleted += on_db!(self, db => sqlx::query(sql).bind(cutoff).execute(&db.writer).await?.rows_affected());
        }
        Ok(deleted)
    }

    /// Records a request at `now` on the live session `id_hash` (a local or a federated one).
    async fn touch_session(&self, federated: bool, id_hash: &str, now: Timestamp) -> Result<(), StateError> {
        let sql = if federated {
            "UPDATE federated_sessions SET last_seen = $1 WHERE id_hash = $2 AND ended_at IS NULL"
        } else {
            "UPDATE sessions SET last_seen = $1 WHERE id_hash = $2 AND ended_at IS NULL"
        };
        let now = time::to_db(now);
        on_db!(self, db => sqlx::query(sql).bind(now).bind(id_hash).execute(&db.writer).await.map(drop)?);
        Ok(())
    }
}

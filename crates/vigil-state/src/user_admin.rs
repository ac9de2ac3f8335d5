//! Tenant-scoped administration of users and API keys (the admin API, `vigil-api`'s `admin.rs`):
//! every method takes the tenant, so a user or key of another tenant reads as absent, and every
//! change writes its audit entry in the transaction that makes it (the change and its entry
//! commit together or not at all).
//!
//! A tenant keeps an enabled admin: disabling or demoting its last one is refused
//! ([`StateError::Conflict`]). The check runs inside the write transaction after the audit lock is
//! taken (SQLite's write lock; PostgreSQL's advisory lock of the audit chain), so two admins
//! disabling each other at once cannot both succeed.

use jiff::Timestamp;
use serde_json::json;
use sqlx::AssertSqlSafe;
use vigil_api_types::access::Role;

use crate::audit::{NewAuditEntry, append_in_tx, prepare};
use crate::db::on_db;
use crate::tokens::{COLUMNS, token_from_row};
use crate::users::{END_SESSIONS_OF, SELECT_USER, check_password, hash_password, user_from_row};
use crate::{NewApiKey, NewUser, State, StateError, TokenInfo, UserInfo, time};

/// What `PATCH /api/v1/users/{name}` changes: the fields given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserChange {
    pub role: Option<Role>,
    /// `true`: disable (and end the user's sessions); `false`: enable again.
    pub disabled: Option<bool>,
}

/// The audit actions of user and key administration, the same the CLI writes.
pub mod actions {
    /// A user was made.
    pub const USER_CREATE: &str = "user.create";
    /// A user's password was set (reset).
    pub const USER_PASSWD: &str = "user.passwd";
    /// A user was disabled.
    pub const USER_DISABLE: &str = "user.disable";
    /// A disabled user was enabled again.
    pub const USER_ENABLE: &str = "user.enable";
    /// A user's role changed.
    pub const USER_ROLE: &str = "user.role";
    /// An API key was made.
    pub const APIKEY_CREATE: &str = "apikey.create";
    /// An API key was revoked.
    pub const APIKEY_REVOKE: &str = "apikey.revoke";
}

/// `template` (actor, tenant, source) as an entry of `action` on `target` with `detail`.
fn entry(template: &NewAuditEntry, action: &str, target: &str, detail: serde_json::Value) -> NewAuditEntry {
    let mut e = template.clone();
    e.action = action.to_owned();
    e.target = Some(target.to_owned());
    e.detail = Some(detail);
    e
}

/// The refusal of taking a tenant's last enabled admin away.
fn last_admin(name: &str, tenant: &str) -> StateError {
    StateError::Conflict(format!(
        "{name} is the last enabled admin of tenant {tenant}: make another user admin first"
    ))
}

impl State {
    /// The users of `tenant`, by name.
    pub async fn tenant_users(&self, tenant: &str) -> Result<Vec<UserInfo>, StateError> {
        let sql = AssertSqlSafe(format!("{SELECT_USER} WHERE tenant = $1 ORDER BY name"));
        on_db!(self, db => {
            let rows = sqlx::query(sql).bind(tenant).fetch_all(&db.reader).await?;
            rows.iter().map(user_from_row).collect()
        })
    }

    /// The user `name` of `tenant` (`None` if absent or another tenant's).
    pub async fn tenant_user(&self, tenant: &str, name: &str) -> Result<Option<UserInfo>, StateError> {
        let sql = AssertSqlSafe(format!("{SELECT_USER} WHERE tenant = $1 AND name = $2"));
        on_db!(self, db => {
            let row = sqlx::query(sql).bind(tenant).bind(name).fetch_optional(&db.reader).await?;
            row.as_ref().map(user_from_row).transpose()
        })
    }

    /// Makes a user in `user.tenant` and appends `audit` in the same transaction.
    /// [`StateError::InvalidInput`] for a bad name, tenant or password; [`StateError::Conflict`]
    /// for a name in use (in any tenant: names are unique).
    pub async fn add_tenant_user(&self, user: &NewUser, audit: NewAuditEntry) -> Result<UserInfo, StateError> {
        let done = self.insert_user(user, Some(audit)).await?;
        if !done {
            return Err(StateError::Conflict(format!("the user name {} is taken", user.name)));
        }
        self.tenant_user(&user.tenant, &user.name)
            .await?
            .ok_or_else(|| StateError::Corrupt("a created user is missing".into()))
    }

    /// Changes the role and the enabled state of `tenant`'s user `name`, writing one audit entry
    /// per change made (`user.role`, `user.disable`, `user.enable`; `by` gives actor, tenant and
    /// source). `None`: no such user in `tenant`. Refused with [`StateError::Conflict`] when it
    /// would leave the tenant without an enabled admin.
    pub async fn change_tenant_user(
        &self,
        tenant: &str,
        name: &str,
        change: UserChange,
        by: &NewAuditEntry,
    ) -> Result<Option<UserInfo>, StateError> {
        let now = time::to_db(Timestamp::now());
        let target = format!("user:{name}");
        let sql = AssertSqlSafe(format!("{SELECT_USER} WHERE tenant = $1 AND name = $2"));
        let found = on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            db.lock_audit(&mut tx).await?;
            let row = sqlx::query(sql).bind(tenant).bind(name).fetch_optional(&mut *tx).await?;
            let Some(user) = row.as_ref().map(user_from_row).transpose()? else {
                return Ok(None);
            };
            let demoted = change.role.is_some_and(|r| r != Role::Admin);
            if user.role == Role::Admin && !user.disabled && (demoted || change.disabled == Some(true)) {
                let others: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM users WHERE tenant = $1 AND role = 'admin' AND disabled_at IS NULL AND name <> $2",
                )
                .bind(tenant)
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
                if others == 0 {
                    return Err(last_admin(name, tenant));
                }
            }
            let mut entries = Vec::new();
            if let Some(role) = change.role.filter(|r| *r != user.role) {
                sqlx::query("UPDATE users SET role = $1 WHERE name = $2")
                    .bind(role.as_str())
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
                entries.push(entry(by, actions::USER_ROLE, &target, json!({"from": user.role, "to": role})));
            }
            match change.disabled {
                Some(true) if !user.disabled => {
                    sqlx::query("UPDATE users SET disabled_at = $1 WHERE name = $2")
                        .bind(now)
                        .bind(name)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(END_SESSIONS_OF).bind(now).bind(name).execute(&mut *tx).await?;
                    entries.push(entry(by, actions::USER_DISABLE, &target, json!({})));
                }
                Some(false) if user.disabled => {
                    sqlx::query("UPDATE users SET disabled_at = NULL WHERE name = $1")
                        .bind(name)
                        .execute(&mut *tx)
                        .await?;
                    entries.push(entry(by, actions::USER_ENABLE, &target, json!({})));
                }
                _ => {}
            }
            for e in entries {
                let p = prepare(e)?;
                append_in_tx!(tx, p)?;
            }
            tx.commit().await?;
            true
        });
        if !found {
            return Ok(None);
        }
        self.tenant_user(tenant, name).await
    }

    /// Sets the password of `tenant`'s user `name` (and whether they must change it), ends their
    /// sessions and appends `audit`, in one transaction. `None`: no such user in `tenant`.
    pub async fn reset_tenant_password(
        &self,
        tenant: &str,
        name: &str,
        password: &str,
        must_change: bool,
        audit: NewAuditEntry,
    ) -> Result<Option<UserInfo>, StateError> {
        check_password(password)?;
        let p = prepare(audit)?;
        let hash = hash_password(password.to_owned()).await?;
        let now = time::to_db(Timestamp::now());
        let done = on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            db.lock_audit(&mut tx).await?;
            let done = sqlx::query(
                "UPDATE users SET password_hash = $1, password_set = $2, must_change = $3 WHERE tenant = $4 AND name = $5",
            )
            .bind(&hash)
            .bind(now)
            .bind(i64::from(must_change))
            .bind(tenant)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 1 {
                sqlx::query(END_SESSIONS_OF).bind(now).bind(name).execute(&mut *tx).await?;
                append_in_tx!(tx, p)?;
                tx.commit().await?;
            }
            done
        });
        if done == 0 {
            return Ok(None);
        }
        self.tenant_user(tenant, name).await
    }

    /// The keys of `tenant`, revoked and expired ones included, oldest first.
    pub async fn tenant_keys(&self, tenant: &str) -> Result<Vec<TokenInfo>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tokens WHERE tenant = $1 ORDER BY created, id"
        ));
        on_db!(self, db => {
            let rows = sqlx::query(sql).bind(tenant).fetch_all(&db.reader).await?;
            rows.iter().map(token_from_row).collect()
        })
    }

    /// Makes a key (refused as [`State::create_api_key`] refuses) and appends `audit` completed
    /// with the key's id as target, in one transaction. The secret is returned this once.
    pub async fn add_tenant_key(
        &self,
        key: &NewApiKey,
        audit: NewAuditEntry,
    ) -> Result<(TokenInfo, String), StateError> {
        let (id, secret) = self.insert_api_key(key, Timestamp::now(), Some(audit)).await?;
        let info = self
            .get_token(&id)
            .await?
            .ok_or_else(|| StateError::Corrupt("a created key is missing".into()))?;
        Ok((info, secret))
    }

    /// Revokes `tenant`'s key `id` and appends `audit` (completed with the target) in one
    /// transaction. `None`: no such key in `tenant`; [`StateError::Conflict`]: revoked already.
    pub async fn revoke_tenant_key(
        &self,
        tenant: &str,
        id: &str,
        audit: NewAuditEntry,
    ) -> Result<Option<TokenInfo>, StateError> {
        let Some(key) = self.get_token(id).await?.filter(|k| k.tenant == tenant) else {
            return Ok(None);
        };
        let p = prepare(audit.with_target(format!("apikey:{id}")))?;
        let now = time::to_db(Timestamp::now());
        let done = on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            db.lock_audit(&mut tx).await?;
            let done = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND tenant = $3 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .bind(tenant)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done == 1 {
                append_in_tx!(tx, p)?;
                tx.commit().await?;
            }
            done
        });
        if done == 0 {
            return Err(StateError::Conflict(format!("API key {} is revoked already", key.id)));
        }
        self.get_token(id).await
    }

    /// The tenants named by users, API keys, alerts or incidents, by name. Each table is read
    /// by skipping along its tenant index, so a million alerts cost one probe per tenant.
    pub async fn known_tenants(&self) -> Result<Vec<String>, StateError> {
        let mut all = Vec::new();
        for table in ["users", "tokens", "alerts", "incidents"] {
            let sql = AssertSqlSafe(format!(
                "WITH RECURSIVE t(tenant) AS (\
                   SELECT MIN(tenant) FROM {table} \
                   UNION ALL \
                   SELECT (SELECT MIN(tenant) FROM {table} WHERE tenant > t.tenant) FROM t WHERE t.tenant IS NOT NULL\
                 ) SELECT tenant FROM t WHERE tenant IS NOT NULL"
            ));
            let names: Vec<String> = on_db!(self, db => sqlx::query_scalar(sql).fetch_all(&db.reader).await?);
            all.extend(names);
        }
        all.sort();
        all.dedup();
        Ok(all)
    }
}

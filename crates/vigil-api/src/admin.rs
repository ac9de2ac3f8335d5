//! Users and API keys over HTTP, for the console's admin pages: `/api/v1/users` and
//! `/api/v1/apikeys`. Everything is in the caller's tenant: another tenant's user or key answers
//! 404 as if absent, and what is made lands in the caller's tenant (a body cannot name one).
//!
//! Changes are audited with the CLI's action names (`user.create`, `user.passwd`,
//! `user.disable`, `apikey.create`, `apikey.revoke`, and `user.enable`, `user.role`, which the CLI
//! has no command for) in the transaction that makes them; a change refused for the object's
//! state (a name in use, the last admin, a key revoked already) or naming an absent object is
//! recorded as a failure. No answer and no audit entry carries a password, a hash or a key's
//! secret: a generated password and a new key's secret are answered once. A caller may only
//! grant a role whose permissions it holds itself.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    extract::{ConnectInfo, Path, State as AxState, rejection::PathRejection},
    http::{Method, StatusCode, Uri},
};
use jiff::Timestamp;
use serde_json::json;
use vigil_api_types::access::{Principal, Role};
use vigil_api_types::admin::{
    ApiKey, ApiKeyList, ApiKeyState, CreatedApiKey, NewApiKeyBody, NewUserBody, PasswordReset, User, UserList,
    UserPatch, UserWithPassword, parse_expiry,
};
use vigil_api_types::audit::AuditOutcome;
use vigil_api_types::error::ErrorBody;
use vigil_state::user_admin::{UserChange, actions};
use vigil_state::users::generate_password;
use vigil_state::{NewApiKey, NewUser, TokenInfo, UserInfo};

use crate::objects::peer_of;
use crate::records::state_error;
use crate::{ApiError, Ctx, ErrorCode, JsonBody, Params, audit};

type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

fn user_of(u: UserInfo) -> User {
    User {
        name: u.name,
        role: u.role,
        tenant: u.tenant,
        created: u.created,
        password_set: u.password_set,
        must_change: u.must_change,
        last_login: u.last_login,
        disabled: u.disabled,
    }
}

fn key_of(k: TokenInfo, now: Timestamp) -> ApiKey {
    let state = if k.revoked {
        ApiKeyState::Revoked
    } else if k.is_expired(now) {
        ApiKeyState::Expired
    } else {
        ApiKeyState::Active
    };
    ApiKey {
        id: k.id,
        name: k.name,
        role: k.role,
        tenant: k.tenant,
        created: k.created,
        expires: k.expires,
        last_used: k.last_used,
        state,
    }
}

/// The `{name}` of the path.
fn path_name(name: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    name.map(|Path(n)| n)
        .map_err(|_| ApiError::param("name", "not a valid user name"))
}

fn no_user(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no user is called `{name}` in this tenant (GET /api/v1/users lists them)"),
    )
}

fn no_key(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no API key has the id `{id}` in this tenant (GET /api/v1/apikeys lists them)"),
    )
}

/// Refuses to grant `role` when it allows something the caller may not do (audited as denied).
fn may_grant(
    ctx: &Ctx,
    principal: &Principal,
    peer: Option<SocketAddr>,
    role: Role,
    (method, route): (Method, &str),
) -> Result<(), ApiError> {
    let Some(&missing) = role.permissions().iter().find(|p| !principal.can(**p)) else {
        return Ok(());
    };
    audit::denied(ctx, principal, peer.map(|p| p.ip()), &method, route, missing);
    Err(ApiError::new(
        ErrorCode::Forbidden,
        format!(
            "granting the role {role} needs the permission `{missing}`, which {} lacks",
            principal.id
        ),
    ))
}

/// Records a refused change as a failure and hands the error back.
async fn failed(
    ctx: &Ctx,
    principal: &Principal,
    peer: Option<SocketAddr>,
    action: &str,
    target: String,
    e: ApiError,
) -> ApiError {
    let entry = audit::entry(principal, action, AuditOutcome::Failure, peer.map(|p| p.ip()))
        .with_target(target)
        .with_detail(json!({"reason": e.message}));
    audit::record(&ctx.state, entry).await;
    e
}

/// `GET /api/v1/users`.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    operation_id = "list_users",
    tag = "admin",
    summary = "List users",
    description = "The local users of the caller's tenant, by name: role, when made, when the password was set, whether it must change, last login, disabled. Never a password or its hash.",
    responses((status = 200, description = "The users.", body = UserList))
)]
pub async fn list_users(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<UserList>, ApiError> {
    Params::of(&uri, &[])?;
    let users = (ctx.state.tenant_users(&principal.tenant).await).map_err(|e| state_error("listing users", e))?;
    Ok(Json(UserList {
        users: users.into_iter().map(user_of).collect(),
    }))
}

/// `POST /api/v1/users`.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    operation_id = "create_user",
    tag = "admin",
    summary = "Create a user",
    description = "A local user in the caller's tenant with one role. Without `password` one is generated (24 characters) and answered this once; a generated password must be changed at the first login, a given one too unless `must_change` is false. The caller may only grant a role whose permissions it holds. Audited as `user.create` (never the password).",
    request_body = NewUserBody,
    responses(
        (status = 201, description = "The user, with the generated password if one was generated.", body = UserWithPassword),
        (status = 400, description = "`bad_request`: a bad name (1 to 64 of a-z, 0-9, `.`, `_`, `-`, `@`), an unknown role, a password of fewer than 12 or more than 1024 characters, an unknown field (such as `tenant`).", body = ErrorBody),
        (status = 403, description = "`forbidden`: the role grants a permission the caller lacks.", body = ErrorBody),
        (status = 409, description = "`conflict`: the name is taken (user names are unique across tenants).", body = ErrorBody),
    )
)]
pub async fn create_user(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Peer,
    uri: Uri,
    body: Result<JsonBody<NewUserBody>, ApiError>,
) -> Result<(StatusCode, Json<UserWithPassword>), ApiError> {
    Params::of(&uri, &[])?;
    let JsonBody(new) = body?;
    let peer = peer_of(peer);
    may_grant(&ctx, &principal, peer, new.role, (Method::POST, "/api/v1/users"))?;
    let (password, generated) = match new.password {
        Some(p) => (p, false),
        None => (
            generate_password().map_err(|e| ApiError::internal("generating a password", &e))?,
            true,
        ),
    };
    let must_change = generated || new.must_change.unwrap_or(true);
    let target = format!("user:{}", new.name);
    let entry = audit::entry(
        &principal,
        actions::USER_CREATE,
        AuditOutcome::Success,
        peer.map(|p| p.ip()),
    )
    .with_target(target.clone())
    .with_detail(
        json!({"role": new.role, "tenant": principal.tenant, "must_change": must_change, "generated": generated}),
    );
    let user = NewUser {
        name: new.name,
        role: new.role,
        tenant: principal.tenant.clone(),
        password,
        must_change,
    };
    match ctx.state.add_tenant_user(&user, entry).await {
        Ok(made) => Ok((
            StatusCode::CREATED,
            Json(UserWithPassword {
                user: user_of(made),
                password: generated.then_some(user.password),
            }),
        )),
        Err(e @ vigil_state::StateError::Conflict(_)) => {
            let e = state_error("creating a user", e);
            Err(failed(&ctx, &principal, peer, actions::USER_CREATE, target, e).await)
        }
        Err(e) => Err(state_error("creating a user", e)),
    }
}

/// `PATCH /api/v1/users/{name}`.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{name}",
    operation_id = "update_user",
    tag = "admin",
    summary = "Change a user's role or disable them",
    description = "Changes the role and/or disables (`disabled: true`: they cannot log in and their sessions end) or enables a user of the caller's tenant. A new role applies to the user's next request. The tenant's last enabled admin cannot be disabled or demoted. Audited as `user.role`, `user.disable`, `user.enable` (one entry per change made).",
    params(("name" = String, Path, description = "The user's name.")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The user as it is now.", body = User),
        (status = 400, description = "`bad_request`: an unknown role or field.", body = ErrorBody),
        (status = 403, description = "`forbidden`: the role grants a permission the caller lacks.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such user in the caller's tenant.", body = ErrorBody),
        (status = 409, description = "`conflict`: the user is the tenant's last enabled admin.", body = ErrorBody),
    )
)]
pub async fn update_user(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Peer,
    uri: Uri,
    name: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<UserPatch>, ApiError>,
) -> Result<Json<User>, ApiError> {
    Params::of(&uri, &[])?;
    let name = path_name(name)?;
    let JsonBody(patch) = body?;
    let peer = peer_of(peer);
    if let Some(role) = patch.role {
        may_grant(
            &ctx,
            &principal,
            peer,
            role,
            (Method::PATCH, &format!("/api/v1/users/{name}")),
        )?;
    }
    let action = match patch.disabled {
        Some(true) => actions::USER_DISABLE,
        Some(false) => actions::USER_ENABLE,
        None => actions::USER_ROLE,
    };
    let by = audit::entry(&principal, action, AuditOutcome::Success, peer.map(|p| p.ip()));
    let change = UserChange {
        role: patch.role,
        disabled: patch.disabled,
    };
    let target = format!("user:{name}");
    match ctx
        .state
        .change_tenant_user(&principal.tenant, &name, change, &by)
        .await
    {
        Ok(Some(user)) => Ok(Json(user_of(user))),
        Ok(None) => Err(failed(&ctx, &principal, peer, action, target, no_user(&name)).await),
        Err(e @ vigil_state::StateError::Conflict(_)) => {
            let e = state_error("changing a user", e);
            Err(failed(&ctx, &principal, peer, action, target, e).await)
        }
        Err(e) => Err(state_error("changing a user", e)),
    }
}

/// `POST /api/v1/users/{name}/password`.
#[utoipa::path(
    post,
    path = "/api/v1/users/{name}/password",
    operation_id = "reset_user_password",
    tag = "admin",
    summary = "Reset a user's password",
    description = "Sets a new password for a user of the caller's tenant — the one given, or a generated one answered this once — which the user must change at the next login; their sessions end. Audited as `user.passwd` (never the password).",
    params(("name" = String, Path, description = "The user's name.")),
    request_body = PasswordReset,
    responses(
        (status = 200, description = "The user, with the generated password if one was generated.", body = UserWithPassword),
        (status = 400, description = "`bad_request`: a password of fewer than 12 or more than 1024 characters, an unknown field.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such user in the caller's tenant.", body = ErrorBody),
    )
)]
pub async fn reset_password(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Peer,
    uri: Uri,
    name: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<PasswordReset>, ApiError>,
) -> Result<Json<UserWithPassword>, ApiError> {
    Params::of(&uri, &[])?;
    let name = path_name(name)?;
    let JsonBody(reset) = body?;
    let peer = peer_of(peer);
    let (password, generated) = match reset.password {
        Some(p) => (p, false),
        None => (
            generate_password().map_err(|e| ApiError::internal("generating a password", &e))?,
            true,
        ),
    };
    let target = format!("user:{name}");
    let entry = audit::entry(
        &principal,
        actions::USER_PASSWD,
        AuditOutcome::Success,
        peer.map(|p| p.ip()),
    )
    .with_target(target.clone())
    .with_detail(json!({"generated": generated}));
    let done = ctx
        .state
        .reset_tenant_password(&principal.tenant, &name, &password, true, entry)
        .await
        .map_err(|e| state_error("resetting a password", e))?;
    match done {
        Some(user) => Ok(Json(UserWithPassword {
            user: user_of(user),
            password: generated.then_some(password),
        })),
        None => Err(failed(&ctx, &principal, peer, actions::USER_PASSWD, target, no_user(&name)).await),
    }
}

/// `GET /api/v1/apikeys`.
#[utoipa::path(
    get,
    path = "/api/v1/apikeys",
    operation_id = "list_apikeys",
    tag = "admin",
    summary = "List API keys",
    description = "The API keys of the caller's tenant, oldest first, revoked and expired ones included, with their state now. Never a secret or its hash.",
    responses((status = 200, description = "The keys.", body = ApiKeyList))
)]
pub async fn list_keys(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<ApiKeyList>, ApiError> {
    Params::of(&uri, &[])?;
    let keys = (ctx.state.tenant_keys(&principal.tenant).await).map_err(|e| state_error("listing API keys", e))?;
    let now = Timestamp::now();
    Ok(Json(ApiKeyList {
        keys: keys.into_iter().map(|k| key_of(k, now)).collect(),
    }))
}

/// `POST /api/v1/apikeys`.
#[utoipa::path(
    post,
    path = "/api/v1/apikeys",
    operation_id = "create_apikey",
    tag = "admin",
    summary = "Create an API key",
    description = "A key in the caller's tenant with one role and perhaps an expiry. Its secret is answered this once (only its hash is stored). The caller may only grant a role whose permissions it holds. Audited as `apikey.create` (never the secret).",
    request_body = NewApiKeyBody,
    responses(
        (status = 201, description = "The key and its secret.", body = CreatedApiKey),
        (status = 400, description = "`bad_request`: an empty or over-long name, an unknown role, an expiry that is not a duration or RFC 3339 instant in the future, an unknown field.", body = ErrorBody),
        (status = 403, description = "`forbidden`: the role grants a permission the caller lacks.", body = ErrorBody),
    )
)]
pub async fn create_key(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Peer,
    uri: Uri,
    body: Result<JsonBody<NewApiKeyBody>, ApiError>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    Params::of(&uri, &[])?;
    let JsonBody(new) = body?;
    let peer = peer_of(peer);
    may_grant(&ctx, &principal, peer, new.role, (Method::POST, "/api/v1/apikeys"))?;
    let now = Timestamp::now();
    let expires = (new.expires.as_deref())
        .map(|t| parse_expiry(t, now).map_err(|e| ApiError::param("expires", e)))
        .transpose()?;
    let key = NewApiKey {
        name: new.name,
        role: new.role,
        tenant: principal.tenant.clone(),
        expires,
    };
    let mut detail = json!({"role": key.role, "tenant": key.tenant, "name": key.name});
    if let Some(at) = expires {
        detail["expires"] = at.to_string().into();
    }
    let entry = audit::entry(
        &principal,
        actions::APIKEY_CREATE,
        AuditOutcome::Success,
        peer.map(|p| p.ip()),
    )
    .with_detail(detail);
    let (info, secret) =
        (ctx.state.add_tenant_key(&key, entry).await).map_err(|e| state_error("creating an API key", e))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key: key_of(info, now),
            secret,
        }),
    ))
}

/// `DELETE /api/v1/apikeys/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/apikeys/{id}",
    operation_id = "revoke_apikey",
    tag = "admin",
    summary = "Revoke an API key",
    description = "Revokes a key of the caller's tenant: from now on it is refused (401). It stays listed as `revoked`. Audited as `apikey.revoke`.",
    params(("id" = String, Path, description = "The key's id (16 hexadecimal digits).")),
    responses(
        (status = 200, description = "The key as it is now.", body = ApiKey),
        (status = 404, description = "`not_found`: no such key in the caller's tenant.", body = ErrorBody),
        (status = 409, description = "`conflict`: the key is revoked already.", body = ErrorBody),
    )
)]
pub async fn revoke_key(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Peer,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ApiKey>, ApiError> {
    Params::of(&uri, &[])?;
    let id = id
        .map(|Path(id)| id)
        .map_err(|_| ApiError::param("id", "not a valid API key id"))?;
    let peer = peer_of(peer);
    let target = format!("apikey:{id}");
    let entry = audit::entry(
        &principal,
        actions::APIKEY_REVOKE,
        AuditOutcome::Success,
        peer.map(|p| p.ip()),
    );
    match ctx.state.revoke_tenant_key(&principal.tenant, &id, entry).await {
        Ok(Some(key)) => Ok(Json(key_of(key, Timestamp::now()))),
        Ok(None) => Err(failed(&ctx, &principal, peer, actions::APIKEY_REVOKE, target, no_key(&id)).await),
        Err(e @ vigil_state::StateError::Conflict(_)) => {
            let e = state_error("revoking an API key", e);
            Err(failed(&ctx, &principal, peer, actions::APIKEY_REVOKE, target, e).await)
        }
        Err(e) => Err(state_error("revoking an API key", e)),
    }
}

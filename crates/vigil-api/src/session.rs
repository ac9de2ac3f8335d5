//! Browser sessions of local users: `POST /api/v1/auth/login` and `/logout`, the session cookie
//! and the CSRF defence of cookie-authenticated requests.
//!
//! The cookie is `__Host-vigil_session` — `HttpOnly` (no script reads it), `Secure` (browsers
//! also accept it on `http://localhost`), `SameSite=Lax`, `Path=/`, no `Domain` — and holds an
//! opaque random id whose SHA-256 alone is stored. Every login makes a new id, so an id planted
//! before login is worthless. An unsafe request (anything but GET, HEAD, OPTIONS) authenticated
//! by the cookie must come from the server's own origin: `Sec-Fetch-Site` (when sent) is
//! `same-origin` or `none`, and `Origin` (when sent) names the `Host` it was sent to; with
//! neither header it is refused. Requests with a bearer key carry no ambient authority and are
//! not checked.

use std::net::{IpAddr, SocketAddr};

use axum::{
    Extension, Json,
    extract::{ConnectInfo, State as AxState},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use jiff::SignedDuration;
use serde_json::json;
use vigil_api_types::{
    access::{Me, Principal},
    audit::AuditOutcome,
    error::ErrorBody,
    session::{LoginAnswer, LoginBody, PasswordBody},
};
use vigil_state::NewAuditEntry;

use crate::{ApiError, Ctx, ErrorCode, JsonBody, audit};

/// The session cookie's name (`__Host-`: Secure, Path=/, no Domain, or browsers drop it).
pub const COOKIE: &str = "__Host-vigil_session";
/// A session ends this long after login at the latest (a shift and a half).
pub const LIFETIME: SignedDuration = SignedDuration::from_hours(12);

/// Login attempts a client address may make per minute, after a burst of [`LOGIN_BURST`].
pub const LOGIN_PER_MINUTE: u32 = 10;
/// Login attempts a client address may make at once.
pub const LOGIN_BURST: u32 = 10;
/// Login attempts for one user name per minute, from every address together, after a burst of
/// [`LOGIN_NAME_BURST`]: guessing one person's password from many addresses is slowed too.
pub const LOGIN_NAME_PER_MINUTE: u32 = 5;
/// Login attempts for one user name at once.
pub const LOGIN_NAME_BURST: u32 = 10;

/// `POST /api/v1/auth/login`: checks the password and starts a session (new id every time).
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    operation_id = "login",
    tag = "session",
    summary = "Log in",
    description = "Checks a local user's password and starts a session: the answer sets the `__Host-vigil_session` cookie (HttpOnly, Secure, SameSite=Lax, Path=/) with a new id at every login. The request must come from the server's own origin (`Origin` naming this host, or `Sec-Fetch-Site: same-origin`). Every attempt is in the audit trail.",
    request_body(content = LoginBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in: who, with what permissions, and when the session ends at the latest.", body = LoginAnswer,
            headers(("Set-Cookie" = String, description = "The session cookie."))),
        (status = 400, description = "`bad_request`: a field is missing, of the wrong type or unknown.\n\n`invalid_json`: the body is not JSON.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: wrong user name or password (the same answer for both).", body = ErrorBody),
        (status = 403, description = "`forbidden`: a cross-site request.", body = ErrorBody),
        (status = 413, description = "`body_too_large`: the body is larger than `[http] max_body`.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `Content-Type: application/json`.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: more than 10 logins a minute from this address (after a burst of 10), more than 5 a minute for this user name from all addresses together (after a burst of 10), or the address's API budget is spent; see Retry-After.", body = ErrorBody),
    )
)]
pub async fn login(
    AxState(ctx): AxState<Ctx>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
    let peer = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
    same_origin(&Method::POST, &headers)?;
    if let Some(ip) = peer
        && let Err(wait) = ctx.login_limiter.check(&ip.to_string(), std::time::Instant::now())
    {
        let message = format!(
            "too many logins from {ip}: {LOGIN_PER_MINUTE} a minute; retry after {} s",
            wait.as_secs().max(1)
        );
        return Err(ApiError::new(ErrorCode::RateLimited, message).retry_after(wait));
    }
    limit_name(&ctx, &body.username)?;
    let user = ctx
        .state
        .check_login(&body.username, &body.password)
        .await
        .map_err(|e| ApiError::internal("checking a login", &e))?;
    let Some(user) = user else {
        record_login_failure(&ctx, &body.username, peer).await;
        return Err(ApiError::new(ErrorCode::Unauthorized, "wrong user name or password"));
    };
    let secret = ctx
        .state
        .create_session(&user.name, LIFETIME)
        .await
        .map_err(|e| ApiError::internal("starting a session", &e))?;
    let principal = user.principal();
    audit::record(
        &ctx.state,
        audit::entry(&principal, "auth.login", AuditOutcome::Success, peer),
    )
    .await;
    let expires_in = LIFETIME.as_secs().unsigned_abs();
    let answer = LoginAnswer {
        must_change_password: user.must_change,
        expires_in,
        me: Me {
            permissions: principal.permissions(),
            principal,
        },
    };
    let cookie = format!("{COOKIE}={secret}; Path=/; Max-Age={expires_in}; HttpOnly; Secure; SameSite=Lax");
    Ok((StatusCode::OK, set_cookie(&cookie), Json(answer)).into_response())
}

/// `POST /api/v1/auth/logout`: ends the session of the cookie (if any) and clears the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    operation_id = "logout",
    tag = "session",
    summary = "Log out",
    description = "Ends the session of the request's cookie and clears the cookie. With an API key instead of a session it only answers 204.",
    responses(
        (status = 204, description = "Logged out.", headers(("Set-Cookie" = String, description = "The cleared cookie."))),
    )
)]
pub async fn logout(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let peer = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
    if let Some(secret) = session_cookie(&headers) {
        let ended = ctx
            .state
            .end_session(secret)
            .await
            .map_err(|e| ApiError::internal("ending a session", &e))?;
        if ended {
            audit::record(
                &ctx.state,
                audit::entry(&principal, "auth.logout", AuditOutcome::Success, peer),
            )
            .await;
        }
    }
    let cookie = format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
    Ok((StatusCode::NO_CONTENT, set_cookie(&cookie)).into_response())
}

/// `POST /api/v1/auth/password`: a local user sets their own password (the session's user).
#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    operation_id = "changePassword",
    tag = "session",
    summary = "Change my password",
    description = "A local user, logged in with the session cookie, replaces their password: the current one must be given. Every session of the user ends and the answer starts a new one (a new `__Host-vigil_session` cookie). A user whose password was generated (bootstrap, `vigil user add`, `vigil user passwd`) must do this first: until then their session reaches only this route, `/api/v1/me` and logout (403 `password_change_required`). Attempts count against the client address's login limit; every change and failed attempt is in the audit trail.",
    request_body(content = PasswordBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed: the new session's principal and permissions.", body = LoginAnswer,
            headers(("Set-Cookie" = String, description = "The new session cookie."))),
        (status = 400, description = "`bad_request`: the new password is too short, too long or the current one; or the request is not from a local user's session.\n\n`invalid_json`: the body is not JSON.", body = ErrorBody),
        (status = 403, description = "`forbidden`: the current password is wrong, or a cross-site request.", body = ErrorBody),
        (status = 413, description = "`body_too_large`: the body is larger than `[http] max_body`.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `Content-Type: application/json`.", body = ErrorBody),
    )
)]
pub async fn change_password(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<Response, ApiError> {
    let peer = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
    let name = match (session_cookie(&headers), principal.id.strip_prefix("user:")) {
        (Some(_), Some(name)) if headers.get(header::AUTHORIZATION).is_none() => name.to_owned(),
        _ => {
            return Err(ApiError::bad_request(
                "only a local user's session changes its password (API keys have none; OpenID users change theirs at the provider)",
            ));
        }
    };
    if let Some(ip) = peer
        && let Err(wait) = ctx.login_limiter.check(&ip.to_string(), std::time::Instant::now())
    {
        let message = format!(
            "too many password attempts from {ip}; retry after {} s",
            wait.as_secs().max(1)
        );
        return Err(ApiError::new(ErrorCode::RateLimited, message).retry_after(wait));
    }
    limit_name(&ctx, &name)?;
    vigil_state::users::check_password(&body.new_password).map_err(|e| ApiError::param("new_password", e))?;
    if body.new_password == body.current_password {
        return Err(ApiError::param("new_password", "must differ from the current password"));
    }
    let checked = ctx
        .state
        .check_login(&name, &body.current_password)
        .await
        .map_err(|e| ApiError::internal("checking a password", &e))?;
    if checked.is_none() {
        let e = audit::entry(&principal, "user.passwd", AuditOutcome::Denied, peer)
            .with_target(format!("user:{name}"))
            .with_detail(json!({"reason": "wrong current password"}));
        audit::record(&ctx.state, e).await;
        return Err(ApiError::new(ErrorCode::Forbidden, "the current password is wrong"));
    }
    // Ends every session of the user, this one included.
    ctx.state
        .set_password(&name, &body.new_password, false)
        .await
        .map_err(|e| ApiError::internal("setting a password", &e))?;
    let e = audit::entry(&principal, "user.passwd", AuditOutcome::Success, peer)
        .with_target(format!("user:{name}"))
        .with_detail(json!({"by": "self"}));
    audit::record(&ctx.state, e).await;
    let secret = ctx
        .state
        .create_session(&name, LIFETIME)
        .await
        .map_err(|e| ApiError::internal("starting a session", &e))?;
    let expires_in = LIFETIME.as_secs().unsigned_abs();
    let answer = LoginAnswer {
        must_change_password: false,
        expires_in,
        me: Me {
            permissions: principal.permissions(),
            principal,
        },
    };
    let cookie = format!("{COOKIE}={secret}; Path=/; Max-Age={expires_in}; HttpOnly; Secure; SameSite=Lax");
    Ok((StatusCode::OK, set_cookie(&cookie), Json(answer)).into_response())
}

/// Takes one attempt from the user name's budget ([`LOGIN_NAME_PER_MINUTE`]), or answers 429.
fn limit_name(ctx: &Ctx, name: &str) -> Result<(), ApiError> {
    let key: String = name.chars().take(64).flat_map(char::to_lowercase).collect();
    ctx.login_name_limiter
        .check(&key, std::time::Instant::now())
        .map_err(|wait| {
            let message = format!(
                "too many login attempts for this user name: {LOGIN_NAME_PER_MINUTE} a minute; retry after {} s",
                wait.as_secs().max(1)
            );
            ApiError::new(ErrorCode::RateLimited, message).retry_after(wait)
        })
}

fn set_cookie(value: &str) -> [(header::HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    [(header::SET_COOKIE, value)]
}

async fn record_login_failure(ctx: &Ctx, username: &str, peer: Option<IpAddr>) {
    let mut e = NewAuditEntry::new("anonymous", "auth.login", AuditOutcome::Denied)
        .with_detail(json!({"reason": "wrong user name or password"}));
    // Only a well-formed name is recorded: a mistyped password pasted as the name must not be.
    if vigil_state::users::check_user_name(username).is_ok() {
        e = e.with_target(format!("user:{username}"));
    }
    if let Some(ip) = peer {
        e = e.with_source(ip.to_string());
    }
    audit::record(&ctx.state, e).await;
}

/// The session secret of the request's cookie, if it has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// Refuses an unsafe cross-site request (see the module documentation).
pub fn same_origin(method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let refuse = |why: &str| {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("cross-site request refused: {why}"),
        ))
    };
    let site = text("sec-fetch-site");
    if let Some(site) = site
        && site != "same-origin"
        && site != "none"
    {
        return refuse(&format!("Sec-Fetch-Site is {site}"));
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => {
            let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
            if authority.eq_ignore_ascii_case(host) {
                Ok(())
            } else {
                refuse("Origin does not name this server")
            }
        }
        (Some(_), None) => refuse("no Host"),
        (None, _) if site.is_some() => Ok(()),
        (None, _) => refuse("a cookie-authenticated change needs Origin or Sec-Fetch-Site"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).expect("value"));
        }
        h
    }

    #[test]
    fn unsafe_requests_must_come_from_the_same_origin() {
        let host = ("host", "vigil.example:9200");
        let ok = [
            headers(&[host, ("origin", "https://vigil.example:9200")]),
            headers(&[host, ("sec-fetch-site", "same-origin")]),
            headers(&[
                host,
                ("sec-fetch-site", "same-origin"),
                ("origin", "https://vigil.example:9200"),
            ]),
        ];
        for h in &ok {
            assert!(same_origin(&Method::POST, h).is_ok(), "{h:?}");
        }
        let refused = [
            headers(&[host]),
            headers(&[host, ("origin", "https://evil.example")]),
            headers(&[host, ("origin", "null")]),
            headers(&[
                host,
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://vigil.example:9200"),
            ]),
            headers(&[host, ("sec-fetch-site", "same-site")]),
        ];
        for h in &refused {
            assert!(same_origin(&Method::PATCH, h).is_err(), "{h:?}");
        }
        assert!(same_origin(&Method::GET, &headers(&[host, ("origin", "https://evil.example")])).is_ok());
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; __Host-vigil_session=vgs_abc; b=2")]);
        assert_eq!(session_cookie(&h), Some("vgs_abc"));
        let h = headers(&[("cookie", "x=y"), ("cookie", "__Host-vigil_session=vgs_z")]);
        assert_eq!(session_cookie(&h), Some("vgs_z"));
        assert_eq!(session_cookie(&headers(&[("cookie", "__Host-vigil_sessionx=1")])), None);
    }
}

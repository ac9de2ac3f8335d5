//! The browser login through the OpenID provider (`[oidc.console]`): authorization code + PKCE.
//!
//! `GET /api/v1/auth/oidc/login` sends the browser to the provider with a fresh state, nonce and
//! PKCE challenge (the verifier stays on the server) and binds the login to this browser with the
//! `__Host-vigil_oidc` cookie. The provider sends the browser back to
//! `GET /api/v1/auth/oidc/callback`, where the state must match the cookie, the code is exchanged,
//! the ID token is verified (signature, issuer, audience = the console client, nonce) and its
//! claims mapped to a principal; a new session cookie is set (a new id at every login) and the
//! browser is sent to the same-origin path it started from. Both outcomes are in the audit trail.

use std::net::{IpAddr, SocketAddr};

use axum::{
    Extension,
    extract::{ConnectInfo, State as AxState},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde_json::json;
use vigil_api_types::audit::AuditOutcome;
use vigil_oidc::{
    Oidc, Rejected,
    login::{Callback, LOGIN_TTL, LoginError},
};
use vigil_state::NewAuditEntry;

use crate::{ApiError, Ctx, ErrorCode, Params, audit, session};

/// The cookie that ties a callback to the browser that started the login.
pub const STATE_COOKIE: &str = "__Host-vigil_oidc";

/// `GET /api/v1/auth/oidc/login`: starts a login at the OpenID provider.
#[utoipa::path(
    get,
    path = "/api/v1/auth/oidc/login",
    operation_id = "oidcLogin",
    tag = "session",
    summary = "Log in with the OpenID provider",
    description = "Starts the authorization-code + PKCE login of `[oidc.console]`: answers 303 to the provider's authorization endpoint with a fresh `state`, `nonce` and S256 `code_challenge`, and sets the `__Host-vigil_oidc` cookie (HttpOnly, Secure, SameSite=Lax, 10 minutes) that the callback must bring back. `return_to` is a path on this server to come back to after the login (anything else returns to `/`).",
    params(("return_to" = Option<String>, Query, description = "A same-origin path, e.g. `/alerts`.")),
    responses(
        (status = 303, description = "To the provider.", headers(
            ("Location" = String, description = "The provider's authorization URL."),
            ("Set-Cookie" = String, description = "The login's state cookie."))),
        (status = 400, description = "`bad_request`: an unknown parameter.", body = vigil_api_types::error::ErrorBody),
        (status = 404, description = "`not_found`: `[oidc.console]` is not configured.", body = vigil_api_types::error::ErrorBody),
        (status = 503, description = "`unavailable`: the provider's discovery document is not loaded yet; retry shortly.", body = vigil_api_types::error::ErrorBody),
    )
)]
pub async fn login(
    AxState(ctx): AxState<Ctx>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::of(&uri, &["return_to"])?;
    let oidc = console(&ctx)?;
    // Each started login is remembered for 10 minutes: one address may start as many as it may
    // try passwords.
    if let Some(Extension(ConnectInfo(addr))) = peer
        && let Err(wait) = ctx
            .login_limiter
            .check(&addr.ip().to_string(), std::time::Instant::now())
    {
        let message = format!(
            "too many logins from {}; retry after {} s",
            addr.ip(),
            wait.as_secs().max(1)
        );
        return Err(ApiError::new(ErrorCode::RateLimited, message).retry_after(wait));
    }
    let started = oidc
        .login_start(params.text("return_to").as_deref())
        .map_err(login_error)?;
    let cookie = format!(
        "{STATE_COOKIE}={}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
        started.state,
        LOGIN_TTL.as_secs()
    );
    Ok(redirect(&started.url, &[cookie]))
}

/// `GET /api/v1/auth/oidc/callback`: finishes a login and starts a session.
#[utoipa::path(
    get,
    path = "/api/v1/auth/oidc/callback",
    operation_id = "oidcCallback",
    tag = "session",
    summary = "Finish the OpenID login",
    description = "Where the provider sends the browser back. The `state` must be the one of this browser's `__Host-vigil_oidc` cookie and is used once; the `iss` (RFC 9207), when sent, must be the configured issuer; the code is exchanged with the PKCE verifier; the ID token must be signed by the provider with an allowed algorithm, name the console client as audience and carry the login's nonce. Its claims map to a principal as bearer tokens' do ([oidc.role_map]). The answer sets a new `__Host-vigil_session` cookie and sends the browser back to where the login started. Every success and failure is in the audit trail.",
    params(
        ("code" = Option<String>, Query, description = "The authorization code."),
        ("state" = Option<String>, Query, description = "The login's state."),
        ("iss" = Option<String>, Query, description = "The issuer (RFC 9207)."),
        ("error" = Option<String>, Query, description = "The provider's refusal, e.g. `access_denied`."),
    ),
    responses(
        (status = 303, description = "Logged in: to the path the login started from.", headers(
            ("Location" = String, description = "A path on this server."),
            ("Set-Cookie" = String, description = "The session cookie (and the state cookie cleared)."))),
        (status = 401, description = "`unauthorized`: not started by this browser, used already or expired; another issuer; the ID token was not accepted; the provider refused the login.", body = vigil_api_types::error::ErrorBody),
        (status = 403, description = "`forbidden`: the person's claims map to no Vigil role.", body = vigil_api_types::error::ErrorBody),
        (status = 404, description = "`not_found`: `[oidc.console]` is not configured.", body = vigil_api_types::error::ErrorBody),
        (status = 502, description = "`identity_provider`: the code exchange failed.", body = vigil_api_types::error::ErrorBody),
        (status = 503, description = "`unavailable`: the provider's keys are not loaded yet.", body = vigil_api_types::error::ErrorBody),
    )
)]
pub async fn callback(
    AxState(ctx): AxState<Ctx>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let peer = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
    let oidc = console(&ctx)?;
    let answer = callback_params(&uri);
    let cookie_state = cookie(&headers, STATE_COOKIE);
    let (principal, return_to) = match oidc.login_finish(cookie_state, answer).await {
        Ok(done) => done,
        Err(e) => {
            record_failure(&ctx, &e, peer).await;
            return Err(login_error(e));
        }
    };
    let lifetime = oidc
        .config()
        .console
        .as_ref()
        .and_then(|c| jiff::SignedDuration::try_from(c.session_lifetime).ok())
        .unwrap_or(session::LIFETIME)
        .min(session::LIFETIME);
    let secret = ctx
        .state
        .create_federated_session(&principal, lifetime)
        .await
        .map_err(|e| ApiError::internal("starting a session", &e))?;
    audit::record(
        &ctx.state,
        audit::entry(&principal, "auth.login", AuditOutcome::Success, peer).with_detail(json!({"method": "oidc"})),
    )
    .await;
    let session_cookie = format!(
        "{}={secret}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
        session::COOKIE,
        lifetime.as_secs()
    );
    let clear = format!("{STATE_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
    Ok(redirect(&return_to, &[session_cookie, clear]))
}

fn console(ctx: &Ctx) -> Result<&Oidc, ApiError> {
    ctx.auth
        .oidc
        .as_deref()
        .filter(|o| o.config().console.is_some())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                "the OpenID login is not configured ([oidc.console])",
            )
        })
}

/// The callback's parameters; others a provider adds (`session_state`, `error_description`) are
/// ignored, and a parameter given twice counts as absent.
fn callback_params(uri: &Uri) -> Callback {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    let one = |name: &str| {
        let mut values = pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.clone());
        match (values.next(), values.next()) {
            (Some(v), None) => Some(v),
            _ => None,
        }
    };
    Callback {
        code: one("code"),
        state: one("state"),
        iss: one("iss"),
        error: one("error"),
    }
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

fn redirect(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    for c in cookies {
        if let Ok(value) = HeaderValue::from_str(c) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

fn login_error(e: LoginError) -> ApiError {
    let code = match &e {
        LoginError::NotConfigured => ErrorCode::NotFound,
        LoginError::NotReady | LoginError::Busy | LoginError::IdToken(Rejected::Unavailable) => ErrorCode::Unavailable,
        LoginError::IdToken(Rejected::NoRole) => ErrorCode::Forbidden,
        LoginError::Exchange(_) => ErrorCode::IdentityProvider,
        _ => ErrorCode::Unauthorized,
    };
    ApiError::new(code, e.to_string())
}

async fn record_failure(ctx: &Ctx, e: &LoginError, peer: Option<IpAddr>) {
    let mut entry = NewAuditEntry::new("anonymous", "auth.login", AuditOutcome::Denied)
        .with_detail(json!({"method": "oidc", "reason": e.to_string()}));
    if let Some(ip) = peer {
        entry = entry.with_source(ip.to_string());
    }
    audit::record(&ctx.state, entry).await;
}

//! OpenID Connect against a real provider (npm `oidc-provider`, `tests/oidc/`) on loopback:
//! bearer access tokens as principals on the API and on ingest, every kind of token that must be
//! refused (ID token, `alg: none`, HS256 keyed with the public key, a changed payload, another
//! issuer, another audience, expired, no mapped role), a key rotation picked up without a restart
//! with the unknown-`kid` re-fetch rate-limited, and the browser login by code + PKCE.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use vigil_api_types::access::Role;
use vigil_oidc::{ClaimMap, ConsoleConfig, OidcConfig, TenantFrom};

use crate::harness::{TestServer, http, http_raw_with, http_text};

/// The redirect URI registered for `vigil-console` (the provider's default; the test sends the
/// callback to the server's real address itself).
const REDIRECT_URI: &str = "https://127.0.0.1:8443/api/v1/auth/oidc/callback";

fn oidc_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc");
    assert!(
        dir.join("node_modules/oidc-provider").is_dir(),
        "the OpenID provider is not installed: run `cd tests/oidc && npm ci` (scripts/test does)"
    );
    dir
}

/// A running `provider.mjs`, killed on drop.
struct Provider {
    child: Child,
    issuer: String,
    addr: SocketAddr,
}

impl Provider {
    fn start(env: &[(&str, &str)]) -> Provider {
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(oidc_dir())
            .env("PORT", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs provider.mjs");
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut line).expect("provider output");
        // Keep reading what it prints later (rotations): a closed pipe would kill it.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let issuer = line.trim().strip_prefix("READY ").expect("READY <issuer>").to_owned();
        let addr = issuer.trim_start_matches("http://").parse().expect("issuer address");
        Provider { child, issuer, addr }
    }

    /// `node token.mjs <args> --issuer <issuer>`: its JSON answer.
    fn token(&self, args: &[&str]) -> Value {
        let out = Command::new("node")
            .arg("token.mjs")
            .args(args)
            .args(["--issuer", &self.issuer])
            .current_dir(oidc_dir())
            .output()
            .expect("node runs token.mjs");
        assert!(
            out.status.success(),
            "token.mjs {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("token.mjs answers JSON")
    }

    fn client_token(&self) -> String {
        self.token(&["cc"])["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    async fn rotate(&self, query: &str) {
        let text = http_raw_with(self.addr, "POST", &format!("/__rotate{query}"), &[], None).await;
        assert!(text.starts_with("HTTP/1.1 200"), "rotate: {text}");
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `[oidc]` for `provider`: groups and roles mapped, tenant from the `tenant` claim.
fn config(provider: &Provider) -> OidcConfig {
    let role_map = [
        ("soc-analysts", Role::Analyst),
        ("soc-leads", Role::Lead),
        ("analyst", Role::Analyst),
        ("shipper", Role::Ingest),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut claims = ClaimMap::new(role_map);
    claims.tenant = TenantFrom::Claim("tenant".into());
    let mut c = OidcConfig::new(provider.issuer.clone(), "vigil-api", claims);
    c.allow_http = true;
    let mut console = ConsoleConfig::new("vigil-console", REDIRECT_URI);
    // The provider releases `groups` and `tenant` under scopes of those names.
    console.scopes = ["openid", "profile", "email", "groups", "tenant"]
        .map(String::from)
        .to_vec();
    c.console = Some(console);
    c
}

async fn server_for(provider: &Provider, tweak: impl FnOnce(&mut OidcConfig)) -> TestServer {
    let mut c = config(provider);
    tweak(&mut c);
    TestServer::start_with(None, |s| s.oidc = Some(c)).await
}

async fn jwks_fetches(s: &TestServer) -> u64 {
    let (status, text) = http_text(s.http, "GET", "/metrics", None, None).await;
    assert_eq!(status, 200);
    text.lines()
        .find_map(|l| l.strip_prefix("vigil_oidc_jwks_fetches_total "))
        .and_then(|n| n.parse().ok())
        .expect("the JWKS fetch counter")
}

fn segments(token: &str) -> (Value, Value) {
    let mut parts = token.split('.').map(|p| URL_SAFE_NO_PAD.decode(p).expect("base64url"));
    let header = serde_json::from_slice(&parts.next().expect("header")).expect("header JSON");
    let payload = serde_json::from_slice(&parts.next().expect("payload")).expect("payload JSON");
    (header, payload)
}

fn encode_part(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_access_tokens_are_principals_on_the_api_and_on_ingest() {
    let provider = Provider::start(&[("CI_ROLES", "analyst,shipper")]);
    let s = server_for(&provider, |_| {}).await;
    let token = provider.client_token();

    let (status, me) = http(s.http, "GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], "oidc-client:vigil-ci");
    assert_eq!(me["kind"], "service");
    assert_eq!(me["tenant"], "acme");
    assert_eq!(me["roles"], json!(["analyst", "ingest"]));

    let (status, answer) = http(
        s.http,
        "POST",
        "/api/v1/ingest",
        Some(&token),
        Some(json!({"message": "oidc shipped line", "host": "web-1"})),
    )
    .await;
    assert!(status == 200 || status == 202, "{status} {answer}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, found) = http(
            s.http,
            "POST",
            "/api/v1/search",
            Some(&token),
            Some(json!({"query": "\"oidc shipped line\""})),
        )
        .await;
        if found["total"] == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never found: {found}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // In the token's tenant: the default tenant's analyst does not see it.
    let (_, other) = http(
        s.http,
        "POST",
        "/api/v1/search",
        Some(s.key(Role::Analyst)),
        Some(json!({"query": "\"oidc shipped line\""})),
    )
    .await;
    assert_eq!(other["total"], 0, "{other}");

    // A person's access token from the code flow: a user principal with the mapped group.
    let login = provider.token(&["login", "--user", "lead"]);
    let access = login["access_token"].as_str().expect("access token");
    let (status, me) = http(s.http, "GET", "/api/v1/me", Some(access), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (me["id"].as_str(), me["kind"].as_str()),
        (Some("oidc:lead"), Some("user"))
    );
    assert_eq!(me["roles"], json!(["lead"]));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_that_must_be_refused_are_refused() {
    let provider = Provider::start(&[]);
    let s = server_for(&provider, |_| {}).await;
    let good = provider.client_token();
    let (header, payload) = segments(&good);
    let refused = |why: &'static str, token: String| (why, token);
    let signature = good.rsplit('.').next().expect("signature");

    // HS256 keyed with the provider's public key (the classic algorithm confusion).
    let jwks: Value = {
        let text = http_raw_with(provider.addr, "GET", "/jwks", &[], None).await;
        serde_json::from_str(text.split_once("\r\n\r\n").expect("body").1).expect("jwks")
    };
    let public = jwks["keys"]
        .as_array()
        .and_then(|k| k.iter().find(|k| k["kid"] == header["kid"]))
        .expect("the signing key is published");
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.typ = Some("at+jwt".into());
    hs.kid = header["kid"].as_str().map(str::to_owned);
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let confused = jsonwebtoken::encode(
        &hs,
        &payload,
        &jsonwebtoken::EncodingKey::from_secret(public["n"].as_str().expect("n").as_bytes()).expect("key"),
    )
    .expect("HS256");

    let mut none = header.clone();
    none["alg"] = json!("none");
    let mut forged = payload.clone();
    forged["tenant"] = json!("globex");
    let login = provider.token(&["login", "--user", "alice"]);
    let other = Provider::start(&[]);
    let cases = [
        refused("an ID token", login["id_token"].as_str().expect("id").to_owned()),
        refused("alg none", format!("{}.{}.", encode_part(&none), encode_part(&payload))),
        refused("HS256 with the public key", confused),
        refused(
            "a changed payload",
            format!("{}.{}.{signature}", encode_part(&header), encode_part(&forged)),
        ),
        refused("another issuer's token", other.client_token()),
        refused("not a JWT", "a.b".into()),
        refused("garbage", "x.y.z".into()),
    ];
    for (why, token) in cases {
        let (status, body) = http(s.http, "GET", "/api/v1/me", Some(&token), None).await;
        assert_eq!(status, 401, "{why}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{why}");
    }
    let (status, _) = http(s.http, "GET", "/api/v1/me", Some(&good), None).await;
    assert_eq!(status, 200, "the good token still works");

    // Authenticated, but no group Vigil maps: 403, not 401.
    let nobody = provider.token(&["login", "--user", "nobody"]);
    let (status, body) = http(s.http, "GET", "/api/v1/me", nobody["access_token"].as_str(), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );

    // Failures are in the audit trail, never with the token.
    // (Failures are written off the request path: give them a moment.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    let trail = s.state().await.list_audit(&Default::default()).await.expect("audit");
    let failures: Vec<_> = trail.entries.iter().filter(|e| e.action == "auth.failure").collect();
    assert!(failures.len() >= 8, "{} failures audited", failures.len());
    assert!(
        trail
            .entries
            .iter()
            .all(|e| !e.detail.as_deref().unwrap_or("").contains(signature)),
        "a token leaked into the audit trail"
    );
    s.stop().await;

    // Another audience: the same provider's valid token is not for this server.
    let s = server_for(&provider, |c| c.audience = "another-api".into()).await;
    let (status, body) = http(s.http, "GET", "/api/v1/me", Some(&good), None).await;
    assert_eq!(status, 401, "{body}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_refused() {
    let provider = Provider::start(&[("ACCESS_TOKEN_TTL", "1")]);
    let s = server_for(&provider, |c| c.leeway = Duration::ZERO).await;
    let token = provider.client_token();
    let (status, _) = http(s.http, "GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(status, 200, "fresh");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = http(s.http, "GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(status, 401, "expired: {body}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotation_is_picked_up_and_unknown_keys_cannot_flood_the_provider() {
    let provider = Provider::start(&[]);
    let s = server_for(&provider, |c| c.jwks_min_refetch = Duration::from_secs(60)).await;
    let before = provider.client_token();
    let (status, _) = http(s.http, "GET", "/api/v1/me", Some(&before), None).await;
    assert_eq!(status, 200);
    let fetched = jwks_fetches(&s).await;

    // New keys sign, the old ones are withdrawn: the first token with the new kid fetches the
    // keys once, without a restart; the old token's key is gone.
    provider.rotate("?retire=1&at_alg=ES256").await;
    let after = provider.client_token();
    assert_eq!(segments(&after).0["alg"], "ES256");
    let (status, body) = http(s.http, "GET", "/api/v1/me", Some(&after), None).await;
    assert_eq!(status, 200, "the rotated key: {body}");
    assert_eq!(jwks_fetches(&s).await, fetched + 1);
    let (status, _) = http(s.http, "GET", "/api/v1/me", Some(&before), None).await;
    assert_eq!(status, 401, "a withdrawn key");

    // A flood of tokens naming keys nobody publishes fetches nothing more within the limit.
    let (header, payload) = segments(&after);
    for i in 0..20 {
        let mut h = header.clone();
        h["kid"] = json!(format!("unknown-{i}"));
        let token = format!("{}.{}.c2ln", encode_part(&h), encode_part(&payload));
        let (status, _) = http(s.http, "GET", "/api/v1/me", Some(&token), None).await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        jwks_fetches(&s).await,
        fetched + 1,
        "unknown kids are re-fetched at most once a minute"
    );
    s.stop().await;
}

/// The cookie `name` set in a response head.
fn set_cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|l| l.split_once(": ").filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")))
        .find_map(|(_, c)| c.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

fn header_value<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines()
        .filter_map(|l| l.split_once(": "))
        .find_map(|(k, v)| k.eq_ignore_ascii_case(name).then_some(v.trim()))
}

fn status_of(text: &str) -> u16 {
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status")
}

/// Starts a login at the server and has the provider log `user` in; the callback's path and
/// query, and the state cookie.
async fn login_at_provider(s: &TestServer, provider: &Provider, user: &str, abort: bool) -> (String, String) {
    login_returning_to(s, provider, user, abort, "/alerts").await
}

async fn login_returning_to(
    s: &TestServer,
    provider: &Provider,
    user: &str,
    abort: bool,
    return_to: &str,
) -> (String, String) {
    let text = http_raw_with(
        s.http,
        "GET",
        &format!("/api/v1/auth/oidc/login?return_to={return_to}"),
        &[],
        None,
    )
    .await;
    assert_eq!(status_of(&text), 303, "{text}");
    let location = header_value(&text, "location").expect("Location").to_owned();
    assert!(
        location.starts_with(&format!("{}/auth?", provider.issuer)),
        "{location}"
    );
    for part in [
        "code_challenge_method=S256",
        "code_challenge=",
        "nonce=",
        "state=",
        "client_id=vigil-console",
    ] {
        assert!(location.contains(part), "{part} in {location}");
    }
    let cookie = set_cookie(&text, "__Host-vigil_oidc").expect("state cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let state_cookie = cookie.split(';').next().expect("value").to_owned();
    let mut args = vec!["authorize", location.as_str(), "--user", user];
    if abort {
        args.push("--abort");
    }
    let back = provider.token(&args)["location"].as_str().expect("location").to_owned();
    let path = back
        .strip_prefix("https://127.0.0.1:8443")
        .expect("to the redirect URI")
        .to_owned();
    (path, format!("__Host-vigil_oidc={state_cookie}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_logs_in_through_the_provider_with_code_and_pkce() {
    let provider = Provider::start(&[]);
    let s = server_for(&provider, |_| {}).await;

    let (callback, state_cookie) = login_at_provider(&s, &provider, "lead", false).await;
    // Without this browser's state cookie the callback is refused (login CSRF); that attempt
    // does not spend the state.
    let text = http_raw_with(s.http, "GET", &callback, &[], None).await;
    assert_eq!(status_of(&text), 401, "no state cookie: {text}");
    let text = http_raw_with(
        s.http,
        "GET",
        &callback,
        &[("Cookie", "__Host-vigil_oidc=forged")],
        None,
    )
    .await;
    assert_eq!(status_of(&text), 401, "another browser's state: {text}");
    let text = http_raw_with(s.http, "GET", &callback, &[("Cookie", &state_cookie)], None).await;
    assert_eq!(status_of(&text), 303, "{text}");
    assert_eq!(header_value(&text, "location"), Some("/alerts"));
    let session = set_cookie(&text, "__Host-vigil_session").expect("session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    let session = format!("__Host-vigil_session={}", session.split(';').next().expect("id"));
    let me = |cookie: String| async move {
        let text = http_raw_with(s.http, "GET", "/api/v1/me", &[("Cookie", &cookie)], None).await;
        let body: Value = serde_json::from_str(text.split_once("\r\n\r\n").map_or("", |p| p.1)).unwrap_or(Value::Null);
        (status_of(&text), body)
    };
    let (status, body) = me(session.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], "oidc:lead");
    assert_eq!(body["tenant"], "acme");
    assert_eq!(body["roles"], json!(["lead"]));

    // The same callback again: the state was used.
    let text = http_raw_with(s.http, "GET", &callback, &[("Cookie", &state_cookie)], None).await;
    assert_eq!(status_of(&text), 401, "replayed: {text}");

    // A person who denies consent, and one without a mapped group.
    let (callback, state_cookie) = login_at_provider(&s, &provider, "alice", true).await;
    let text = http_raw_with(s.http, "GET", &callback, &[("Cookie", &state_cookie)], None).await;
    assert_eq!(status_of(&text), 401, "denied: {text}");
    let (callback, state_cookie) = login_at_provider(&s, &provider, "nobody", false).await;
    let text = http_raw_with(s.http, "GET", &callback, &[("Cookie", &state_cookie)], None).await;
    assert_eq!(status_of(&text), 403, "no role: {text}");

    // A return path a browser would read as another site (a tab is dropped before resolving
    // `/\t/evil.example`) goes back to `/` instead.
    for sneaky in [
        "/%09/evil.example/x",
        "//evil.example",
        "https://evil.example/",
        "/%5Cevil.example",
    ] {
        let (callback, state_cookie) = login_returning_to(&s, &provider, "lead", false, sneaky).await;
        let text = http_raw_with(s.http, "GET", &callback, &[("Cookie", &state_cookie)], None).await;
        assert_eq!(status_of(&text), 303, "{text}");
        assert_eq!(header_value(&text, "location"), Some("/"), "{sneaky}");
    }

    // Logout ends the session.
    let origin = format!("http://{}", s.http);
    let text = http_raw_with(
        s.http,
        "POST",
        "/api/v1/auth/logout",
        &[("Cookie", &session), ("Origin", &origin)],
        None,
    )
    .await;
    assert_eq!(status_of(&text), 204, "{text}");
    assert_eq!(me(session).await.0, 401, "logged out");

    let trail = s.state().await.list_audit(&Default::default()).await.expect("audit");
    let logins: Vec<(String, String)> = trail
        .entries
        .iter()
        .filter(|e| e.action == "auth.login")
        .map(|e| (e.actor.clone(), format!("{:?}", e.outcome)))
        .collect();
    assert!(logins.contains(&("oidc:lead".into(), "Success".into())), "{logins:?}");
    assert!(logins.iter().filter(|(_, o)| o == "Denied").count() >= 4, "{logins:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_provider_is_unreachable_jwt_senders_are_told_to_retry() {
    // A provider that is not there: Vigil starts anyway; tokens cannot be checked yet.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let issuer = format!("http://{}", gone.local_addr().expect("addr"));
    drop(gone);
    let claims = ClaimMap::new([("soc".to_owned(), Role::Ingest)].into_iter().collect());
    let mut c = OidcConfig::new(issuer, "vigil-api", claims);
    c.allow_http = true;
    let s = TestServer::start_with(None, |cfg| cfg.oidc = Some(c)).await;
    let header = encode_part(&json!({"alg": "RS256", "typ": "at+jwt", "kid": "k1"}));
    let token = format!("{header}.{}.c2ln", encode_part(&json!({"sub": "shipper"})));
    let line = json!({"message": "kept for the retry"});
    let (status, body) = http(s.http, "POST", "/api/v1/ingest", Some(&token), Some(line.clone())).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    let (status, body) = http(s.http, "POST", "/_bulk", Some(&token), None).await;
    assert_eq!(status, 503, "_bulk: {body}");
    let hec = http_raw_with(
        s.http,
        "POST",
        "/services/collector/event",
        &[("Authorization", &format!("Splunk {token}"))],
        Some(json!({"event": "x"})),
    )
    .await;
    assert_eq!(status_of(&hec), 503, "HEC: {hec}");
    // API keys do not depend on the provider.
    let (status, _) = http(s.http, "POST", "/api/v1/ingest", Some(s.key(Role::Ingest)), Some(line)).await;
    assert!(status == 200 || status == 202, "{status}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_oidc_the_login_is_not_found_and_jwts_are_unknown_keys() {
    let s = TestServer::start(None).await;
    let (status, body) = http(s.http, "GET", "/api/v1/auth/oidc/login", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, _) = http(s.http, "GET", "/api/v1/me", Some("eyJ.eyJ.sig"), None).await;
    assert_eq!(status, 401);
    s.stop().await;
}

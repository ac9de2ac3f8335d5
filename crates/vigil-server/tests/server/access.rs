//! Every route × every role, generated from the route table (OWASP API1/API5): no credentials
//! answer 401 on every non-public route, a role without the route's permission answers 403, a
//! role with it gets past the guard; and no route is added outside the table. Keys carry their
//! tenant to the principal, and expired keys are refused.

use serde_json::{Value, json};
use vigil_api::routes::{Access, RouteSpec, routes};
use vigil_api_types::access::Role;
use vigil_state::NewApiKey;

use crate::harness::{TestServer, http};

/// [`http`], except that an answer that streams (`text/event-stream`, the alert stream) is not
/// read to its end, which never comes: its status alone is returned.
async fn answer_of(addr: std::net::SocketAddr, spec: &RouteSpec, path: &str, token: Option<&str>) -> (u16, Value) {
    if !spec.path.ends_with("/stream") {
        return http(addr, spec.method.as_str(), path, token, body(spec)).await;
    }
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}\r\n");
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(req.as_bytes()).await.expect("send");
    let mut text = Vec::new();
    let mut chunk = [0u8; 4096];
    while !text.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut chunk).await.expect("read");
        assert!(n > 0, "{path}: the connection closed before the headers");
        text.extend_from_slice(&chunk[..n]);
    }
    let status: u16 = String::from_utf8_lossy(&text)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    if status == 200 {
        return (status, Value::Null);
    }
    // A refusal is a JSON body and the end of the connection (HTTP/1.0).
    #[expect(clippy::disallowed_methods, reason = "bounded by take(1 MiB)")]
    conn.take(1 << 20).read_to_end(&mut text).await.expect("read");
    let text = String::from_utf8_lossy(&text);
    let json = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(json).unwrap_or(Value::Null))
}

/// A request path for the route (`{id}` filled with an id that does not exist, `{file}` with a
/// file of the docs page).
fn concrete(spec: &RouteSpec) -> String {
    spec.path
        .replace("{id}", "0000000000000000")
        .replace("{file}", "index.html")
}

/// A body that gets past the guard and parses (the guard answers before the body is read).
fn body(spec: &RouteSpec) -> Option<Value> {
    (spec.method == "POST").then(|| json!({"query": "", "size": 0}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_each_role_as_its_permission_says() {
    let s = TestServer::start_with(None, |c| {
        c.http.metrics_auth = Some(true);
        c.http.api_rate_limit = 0;
    })
    .await;
    // A key of every role, and the tokens made with a legacy scope (which hold that scope's role).
    let mut holders = s.keys.clone();
    holders.extend([
        (Role::Ingest, s.ingest_token.clone()),
        (Role::Viewer, s.read_token.clone()),
        (Role::Admin, s.admin_token.clone()),
    ]);
    let roles: std::collections::BTreeSet<Role> = holders.iter().map(|(r, _)| *r).collect();
    assert_eq!(roles.len(), Role::ALL.len(), "every role is walked: {roles:?}");
    let table = routes();
    assert!(table.len() >= 13, "the route table lost routes: {table:?}");
    for spec in &table {
        let path = concrete(spec);
        let method = spec.method.as_str();
        let (status, answer) = answer_of(s.http, spec, &path, None).await;
        let public = spec.access == Access::Public;
        if public {
            assert!(
                status != 401 && status != 403,
                "{method} {path} is public: {status} {answer}"
            );
        } else {
            assert_eq!(status, 401, "{method} {path} without credentials: {answer}");
            assert_eq!(answer["error"]["code"], "unauthorized", "{method} {path}");
        }
        for (role, token) in &holders {
            let (status, answer) = answer_of(s.http, spec, &path, Some(token)).await;
            let allowed = match spec.access {
                Access::Public | Access::Authenticated => true,
                Access::Needs(p) | Access::NeedsIfMetricsAuth(p) => role.grants(p),
            };
            if allowed {
                assert!(
                    status != 401 && status != 403,
                    "{method} {path} as {role}: {status} {answer}"
                );
            } else {
                assert_eq!(status, 403, "{method} {path} as {role} must be refused: {answer}");
                assert_eq!(answer["error"]["code"], "forbidden", "{method} {path} as {role}");
            }
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_names_the_principal_and_its_effective_permissions() {
    let s = TestServer::start(None).await;
    let (status, me) = http(s.http, "GET", "/api/v1/me", Some(&s.read_token), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["kind"], "api_key");
    assert_eq!(me["tenant"], "default");
    assert_eq!(me["roles"], json!(["viewer"]));
    assert!(me["id"].as_str().is_some_and(|id| id.starts_with("apikey:")), "{me}");
    let permissions: Vec<&str> = me["permissions"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        permissions.contains(&"alert:read") && permissions.contains(&"search:query"),
        "{me}"
    );
    assert!(
        !permissions.contains(&"rule:deploy") && !permissions.contains(&"event:ingest"),
        "{me}"
    );
    let (status, me) = http(s.http, "GET", "/api/v1/me", Some(&s.ingest_token), None).await;
    assert_eq!((status, me["permissions"].clone()), (200, json!(["event:ingest"])));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_role_and_tenant_show_in_me() {
    let s = TestServer::start(None).await;
    for &role in Role::ALL {
        let (status, me) = http(s.http, "GET", "/api/v1/me", Some(s.key(role)), None).await;
        assert_eq!(status, 200, "{role}: {me}");
        assert_eq!(
            (me["roles"].clone(), me["tenant"].clone()),
            (json!([role]), json!("default"))
        );
        assert_eq!(me["name"], format!("test {role}"));
        let expected: Vec<Value> = role.permissions().iter().map(|p| json!(p)).collect();
        assert_eq!(me["permissions"], Value::Array(expected), "{role}");
    }
    let state = s.state().await;
    let (info, secret) = state
        .create_api_key(&NewApiKey::new(Role::Analyst, "acme analyst").in_tenant("acme"))
        .await
        .expect("key");
    let (status, me) = http(s.http, "GET", "/api/v1/me", Some(&secret), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["tenant"], "acme");
    assert_eq!(me["id"], format!("apikey:{}", info.id));
    assert_eq!(me["roles"], json!(["analyst"]));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_revoked_keys_are_refused_with_401() {
    let s = TestServer::start(None).await;
    let state = s.state().await;
    // Made in 2001 and expired an hour later: expired for every real request.
    let expired_at: jiff::Timestamp = "2001-01-01T01:00:00Z".parse().expect("instant");
    let new = NewApiKey::new(Role::Admin, "expired admin").expiring(expired_at);
    let (_, expired) = state
        .create_api_key_at(&new, expired_at - jiff::SignedDuration::from_hours(1))
        .await
        .expect("key");
    let (live, live_secret) = state
        .create_api_key(&NewApiKey::new(Role::Ingest, "soon revoked"))
        .await
        .expect("key");
    let (status, _) = http(
        s.http,
        "POST",
        "/api/v1/ingest",
        Some(&live_secret),
        Some(json!([{"message": "x"}])),
    )
    .await;
    assert!(status != 401 && status != 403, "a live key is served: {status}");
    assert!(state.revoke_token(&live.id).await.expect("revoke"));
    for (what, secret) in [("expired", &expired), ("revoked", &live_secret)] {
        for (method, path) in [
            ("GET", "/api/v1/me"),
            ("GET", "/api/v1/alerts"),
            ("POST", "/api/v1/search"),
        ] {
            let body = (method == "POST").then(|| json!({"query": "", "size": 0}));
            let (status, answer) = http(s.http, method, path, Some(secret), body).await;
            assert_eq!(status, 401, "{what} key, {method} {path}: {answer}");
            assert_eq!(answer["error"]["code"], "unauthorized", "{what} key, {method} {path}");
        }
        // Ingest, the shippers' way in, refuses them as well.
        let (status, _) = http(
            s.http,
            "POST",
            "/api/v1/ingest",
            Some(secret),
            Some(json!([{"message": "x"}])),
        )
        .await;
        assert_eq!(status, 401, "{what} key on ingest");
    }
    s.stop().await;
}

/// The router is built from the route table alone: a `.route(` anywhere else in the API crate
/// would add a route that declares no permission.
#[test]
fn no_route_is_added_outside_the_route_table() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vigil-api/src");
    let mut offenders = Vec::new();
    for entry in std::fs::read_dir(&src).expect("vigil-api/src") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("routes.rs") {
            let text = std::fs::read_to_string(&path).expect("read");
            if text.contains(".route(") || text.contains(".nest(") {
                offenders.push(path.display().to_string());
            }
        }
    }
    assert!(offenders.is_empty(), "routes outside routes.rs: {offenders:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let s = TestServer::start(None).await;
    let token = s.read_token.clone();
    for (method, path, token) in [
        ("GET", "/api/v1/alerts", Some(token.as_str())),
        ("GET", "/api/v1/alerts", None),
        ("GET", "/no/such/path", None),
        ("GET", "/healthz", None),
        ("POST", "/_bulk", None),
    ] {
        let raw = crate::harness::http_raw(s.http, method, path, token, None).await;
        let head = raw.split("\r\n\r\n").next().unwrap_or_default().to_ascii_lowercase();
        for wanted in [
            "content-security-policy: default-src 'none'; frame-ancestors 'none'",
            "x-content-type-options: nosniff",
            "x-frame-options: deny",
            "referrer-policy: no-referrer",
            "cache-control: no-store",
        ] {
            assert!(head.contains(wanted), "{method} {path} lacks {wanted:?}:\n{head}");
        }
        assert!(
            !head.contains("strict-transport-security"),
            "HSTS over plain HTTP: {head}"
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentication_is_rate_limited_per_address_not_per_key() {
    let s = TestServer::start_with(None, |c| {
        c.http.api_rate_limit = 1;
        c.http.api_burst = 3;
    })
    .await;
    let wrong = "vgl_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (status, _) = http(s.http, "GET", "/api/v1/alerts", Some(wrong), None).await;
        statuses.push(status);
    }
    // 3 at once plus at most a few refilled while the requests ran; then 429 instead of 401.
    assert_eq!(statuses.first(), Some(&401), "{statuses:?}");
    assert_eq!(
        statuses.last(),
        Some(&429),
        "guessing keys is not rate limited: {statuses:?}"
    );
    // A valid key has its own budget and is still served from the same address.
    let (status, body) = http(s.http, "GET", "/api/v1/alerts", Some(&s.read_token), None).await;
    assert_eq!(status, 200, "{body}");
    s.stop().await;
}

//! Browser login of a local user on a real server: the `__Host-` cookie and its attributes, a new
//! session id at every login, the session as principal, CSRF refusal of cookie-authenticated
//! cross-site changes, logout, and every login in the audit trail.

use std::net::SocketAddr;

use serde_json::{Value, json};
use vigil_state::{NewUser, Role, State};

use crate::harness::TestServer;

/// One request with extra headers; returns (status, head, JSON body).
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, String, Value) {
    let text = crate::harness::http_raw_with(addr, method, path, headers, body).await;
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    (
        status,
        head.to_owned(),
        serde_json::from_str(rest).unwrap_or(Value::Null),
    )
}

/// The session id of a `Set-Cookie` in `head`.
fn session_of(head: &str) -> Option<String> {
    head.lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .find_map(|c| c.strip_prefix("__Host-vigil_session="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_logs_in_works_by_cookie_and_logs_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = TestServer::start(Some(dir.path())).await;
    let state = State::open(&dir.path().join("data/state.db")).await.expect("state");
    let user = NewUser {
        name: "alice".into(),
        role: Role::Analyst,
        tenant: "default".into(),
        password: "alice's long password".into(),
        must_change: false,
    };
    state.create_user(&user).await.expect("user");
    let origin = format!("http://{}", s.http);
    let same = [("Origin", origin.as_str())];
    let login = |password: &str| json!({"username": "alice", "password": password});

    let (status, _, body) = send(
        s.http,
        "POST",
        "/api/v1/auth/login",
        &same,
        Some(login("wrong password!")),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    let (status, _, body) = send(
        s.http,
        "POST",
        "/api/v1/auth/login",
        &[("Origin", "https://evil.example")],
        Some(login("alice's long password")),
    )
    .await;
    assert_eq!(status, 403, "login CSRF: {body}");

    let (status, head, body) = send(
        s.http,
        "POST",
        "/api/v1/auth/login",
        &same,
        Some(login("alice's long password")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["id"].as_str(), body["roles"].clone()),
        (Some("user:alice"), json!(["analyst"])),
        "{body}"
    );
    let cookie_line = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_default();
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie_line.contains(attr), "{attr} missing: {cookie_line}");
    }
    let first = session_of(&head).expect("a session cookie");
    let (_, head, _) = send(
        s.http,
        "POST",
        "/api/v1/auth/login",
        &same,
        Some(login("alice's long password")),
    )
    .await;
    let session = session_of(&head).expect("a session cookie");
    assert_ne!(first, session, "every login gets a new session id");

    let cookie = format!("__Host-vigil_session={session}");
    let (status, _, me) = send(s.http, "GET", "/api/v1/me", &[("Cookie", &cookie)], None).await;
    assert_eq!((status, me["kind"].as_str()), (200, Some("user")), "{me}");
    let search = Some(json!({"query": "", "size": 0}));
    let (status, _, body) = send(
        s.http,
        "POST",
        "/api/v1/search",
        &[("Cookie", &cookie), ("Origin", "https://evil.example")],
        search.clone(),
    )
    .await;
    assert_eq!(status, 403, "a cross-site change with the cookie: {body}");
    let (status, _, body) = send(s.http, "POST", "/api/v1/search", &[("Cookie", &cookie)], search.clone()).await;
    assert_eq!(
        status, 403,
        "a cookie change with neither Origin nor Sec-Fetch-Site: {body}"
    );
    let (status, _, body) = send(
        s.http,
        "POST",
        "/api/v1/search",
        &[("Cookie", &cookie), ("Sec-Fetch-Site", "same-origin")],
        search,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = send(
        s.http,
        "POST",
        "/api/v1/rules/reload",
        &[("Cookie", &cookie), ("Origin", &origin)],
        None,
    )
    .await;
    assert_eq!(status, 403, "an analyst may not deploy rules");

    let (status, head, _) = send(
        s.http,
        "POST",
        "/api/v1/auth/logout",
        &[("Cookie", &cookie), ("Origin", &origin)],
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(head.contains("Max-Age=0"), "{head}");
    let (status, _, _) = send(s.http, "GET", "/api/v1/me", &[("Cookie", &cookie)], None).await;
    assert_eq!(status, 401, "the session ended at logout");
    let (status, _, _) = send(
        s.http,
        "GET",
        "/api/v1/me",
        &[("Cookie", &format!("__Host-vigil_session={first}"))],
        None,
    )
    .await;
    assert_eq!(status, 200, "another session of the same user lives on");

    let logins = state
        .list_audit(&vigil_state::AuditQuery {
            action: Some("auth.".into()),
            ..Default::default()
        })
        .await
        .expect("audit");
    let seen: Vec<(String, String)> = logins
        .entries
        .iter()
        .map(|e| (e.action.clone(), e.outcome.to_string()))
        .collect();
    for wanted in [
        ("auth.login", "denied"),
        ("auth.login", "success"),
        ("auth.logout", "success"),
    ] {
        assert!(
            seen.iter().any(|(a, o)| (a.as_str(), o.as_str()) == wanted),
            "{wanted:?} not in {seen:?}"
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_from_one_address_are_limited_far_below_the_api_rate() {
    let s = TestServer::start(None).await;
    let origin = format!("http://{}", s.http);
    let body = json!({"username": "nobody", "password": "not a password"});
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let (status, head, _) = send(
            s.http,
            "POST",
            "/api/v1/auth/login",
            &[("Origin", &origin)],
            Some(body.clone()),
        )
        .await;
        if status == 429 {
            assert!(head.to_ascii_lowercase().contains("retry-after: "), "{head}");
        }
        statuses.push(status);
    }
    // A burst of 10 wrong passwords is answered 401; the 11th within the minute waits.
    assert_eq!(statuses[..10], [401; 10], "{statuses:?}");
    assert_eq!(statuses[10..], [429, 429], "{statuses:?}");
    // API keys from the same address are not slowed.
    let (status, body) = crate::harness::http(s.http, "GET", "/api/v1/me", Some(&s.read_token), None).await;
    assert_eq!(status, 200, "{body}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_address_login_limit_follows_the_configuration() {
    // A SOC behind one NAT address logs in together at shift change: `[http] login_burst`.
    let s = TestServer::start_with(None, |c| {
        c.http.login_per_minute = 60;
        c.http.login_burst = 15;
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..16u8 {
        // A name each: only the address's budget is spent.
        statuses.push(login_from(s.http, [127, 0, 2, 1].into(), &format!("analyst{i}")).await);
    }
    assert_eq!(statuses[..15], [401; 15], "{statuses:?}");
    assert_eq!(statuses[15], 429, "{statuses:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_password_must_be_replaced_before_anything_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = TestServer::start(Some(dir.path())).await;
    let state = State::open(&dir.path().join("data/state.db")).await.expect("state");
    let generated = "generated one-time password";
    let user = NewUser {
        name: "dora".into(),
        role: Role::Analyst,
        tenant: "default".into(),
        password: generated.into(),
        must_change: true,
    };
    state.create_user(&user).await.expect("user");
    let origin = format!("http://{}", s.http);
    let (status, head, body) = send(
        s.http,
        "POST",
        "/api/v1/auth/login",
        &[("Origin", &origin)],
        Some(json!({"username": "dora", "password": generated})),
    )
    .await;
    assert_eq!(
        (status, body["must_change_password"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    let cookie = format!("__Host-vigil_session={}", session_of(&head).expect("session"));
    let with_cookie = [("Cookie", cookie.as_str()), ("Origin", origin.as_str())];

    let (status, _, body) = send(s.http, "GET", "/api/v1/alerts", &with_cookie, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("password_change_required")),
        "{body}"
    );
    let (status, _, _) = send(s.http, "GET", "/api/v1/me", &with_cookie, None).await;
    assert_eq!(status, 200, "who am I stays reachable");

    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let (status, _, body) = send(
        s.http,
        "POST",
        "/api/v1/auth/password",
        &with_cookie,
        Some(change("not the password", "dora's own long password")),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let (status, _, body) = send(
        s.http,
        "POST",
        "/api/v1/auth/password",
        &with_cookie,
        Some(change(generated, "short")),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let (status, _, body) = send(
        s.http,
        "POST",
        "/api/v1/auth/password",
        &with_cookie,
        Some(change(generated, generated)),
    )
    .await;
    assert_eq!(status, 400, "the same password again: {body}");
    let (status, _, body) = send(
        s.http,
        "POST",
        "/api/v1/auth/password",
        &[("Authorization", &format!("Bearer {}", s.key(Role::Admin)))],
        Some(change(generated, "dora's own long password")),
    )
    .await;
    assert_eq!(status, 400, "an API key has no password: {body}");

    let (status, head, body) = send(
        s.http,
        "POST",
        "/api/v1/auth/password",
        &with_cookie,
        Some(change(generated, "dora's own long password")),
    )
    .await;
    assert_eq!(
        (status, body["must_change_password"].as_bool()),
        (200, Some(false)),
        "{body}"
    );
    let fresh = format!("__Host-vigil_session={}", session_of(&head).expect("a new session"));
    assert_ne!(fresh, cookie, "a new session id");
    let (status, _, _) = send(s.http, "GET", "/api/v1/me", &with_cookie, None).await;
    assert_eq!(status, 401, "the old session ended with the password");
    let (status, _, body) = send(s.http, "GET", "/api/v1/alerts", &[("Cookie", &fresh)], None).await;
    assert_eq!(status, 200, "everything the role allows: {body}");
    let (status, _, _) = send(
        s.http,
        "POST",
        "/api/v1/auth/login",
        &[("Origin", &origin)],
        Some(json!({"username": "dora", "password": generated})),
    )
    .await;
    assert_eq!(status, 401, "the generated password is gone");

    let trail = state.list_audit(&Default::default()).await.expect("audit");
    let changes: Vec<String> = trail
        .entries
        .iter()
        .filter(|e| e.action == "user.passwd")
        .map(|e| format!("{:?}", e.outcome))
        .collect();
    assert_eq!(changes, ["Success", "Denied"], "newest first");
    s.stop().await;
}

/// A login sent from `from` (a loopback address of its own): the status.
async fn login_from(server: SocketAddr, from: std::net::Ipv4Addr, username: &str) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let body = json!({"username": username, "password": "a wrong guess here"}).to_string();
    let request = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {server}\r\nOrigin: http://{server}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((from, 0)))
        .expect("bind a loopback address");
    let mut conn = socket.connect(server).await.expect("connect");
    conn.write_all(request.as_bytes()).await.expect("send");
    let mut head = [0u8; 12];
    conn.read_exact(&mut head).await.expect("status line");
    String::from_utf8_lossy(&head[9..12]).parse().expect("status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_at_one_name_from_many_addresses_are_limited_too() {
    let s = TestServer::start(None).await;
    let mut statuses = Vec::new();
    for i in 0..12u8 {
        statuses.push(login_from(s.http, [127, 0, 1, 10 + i].into(), "erin").await);
    }
    // Each address is well within its own budget; the name's burst of 10 is what runs out.
    assert_eq!(statuses[..10], [401; 10], "{statuses:?}");
    assert_eq!(statuses[10..], [429, 429], "{statuses:?}");
    // Another name is not slowed (nor is the same name in other letter case spared).
    assert_eq!(login_from(s.http, [127, 0, 1, 99].into(), "frank").await, 401);
    assert_eq!(login_from(s.http, [127, 0, 1, 98].into(), "ERIN").await, 429);
    s.stop().await;
}

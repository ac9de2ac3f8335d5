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

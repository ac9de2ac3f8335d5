//! The admin API on a real server, on SQLite and PostgreSQL: users (create with a given or a
//! generated password, list, disable so that login fails, enable, change role, reset the
//! password), API keys (a created key works until revoked), the tenant's last admin kept, an
//! analyst refused on every admin route (and each refusal audited), another tenant's users and
//! keys answering 404, and no password, hash or secret in any list or in the audit trail.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigil_server::report_task::{Every, ReportSchedule};
use vigil_state::{NewApiKey, NewUser, Role};

use crate::harness::{TestServer, http, http_raw_with, http_text};

/// Every admin route, with a concrete path.
const ADMIN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("PATCH", "/api/v1/users/someone"),
    ("POST", "/api/v1/users/someone/password"),
    ("GET", "/api/v1/apikeys"),
    ("POST", "/api/v1/apikeys"),
    ("DELETE", "/api/v1/apikeys/0123456789abcdef"),
    ("GET", "/api/v1/roles"),
    ("GET", "/api/v1/tenants"),
    ("GET", "/api/v1/policies"),
];

async fn call(s: &TestServer, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    http(s.http, method, path, Some(token), body).await
}

/// A local login from the server's own origin: the status and the answer.
async fn login(s: &TestServer, user: &str, password: &str) -> (u16, Value) {
    let origin = format!("http://{}", s.http);
    let body = json!({"username": user, "password": password});
    let text = http_raw_with(s.http, "POST", "/api/v1/auth/login", &[("Origin", &origin)], Some(body)).await;
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    (status, serde_json::from_str(rest).unwrap_or(Value::Null))
}

/// The whole audit trail of the admin key's tenant, as exported.
async fn audit_text(s: &TestServer) -> String {
    let (status, text) = http_text(s.http, "GET", "/api/v1/audit/export", Some(s.key(Role::Admin)), None).await;
    assert_eq!(status, 200, "{text}");
    text
}

/// The (action, outcome, target) of the audit entries under `prefix`, oldest first.
async fn audited(s: &TestServer, prefix: &str) -> Vec<(String, String, String)> {
    let path = format!("/api/v1/audit?action={prefix}&limit=1000");
    let (status, page) = call(s, s.key(Role::Admin), "GET", &path, None).await;
    assert_eq!(status, 200, "{page}");
    let mut out: Vec<_> = (page["entries"].as_array().expect("entries").iter())
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (text("action"), text("outcome"), text("target"))
        })
        .collect();
    out.reverse();
    out
}

fn no_secret_fields(what: &Value) {
    let text = what.to_string();
    for word in ["hash", "argon2", "secret", "\"password\""] {
        assert!(!text.contains(word), "`{word}` in {text}");
    }
}

async fn users_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |_| {}).await;
    let admin = s.key(Role::Admin);
    let given = "carol's long password";
    let (status, made) = call(
        &s,
        admin,
        "POST",
        "/api/v1/users",
        Some(json!({"name": "carol", "role": "analyst", "password": given, "must_change": false})),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        (
            &made["user"]["role"],
            &made["user"]["tenant"],
            &made["user"]["must_change"]
        ),
        (&json!("analyst"), &json!("default"), &json!(false)),
        "{made}"
    );
    assert!(
        made.get("password").is_none(),
        "a given password is not answered: {made}"
    );
    assert_eq!(login(&s, "carol", given).await.0, 200);

    // A generated password is answered once and must be changed.
    let (status, dave) = call(
        &s,
        admin,
        "POST",
        "/api/v1/users",
        Some(json!({"name": "dave", "role": "viewer"})),
    )
    .await;
    assert_eq!(status, 201, "{dave}");
    let generated = dave["password"].as_str().expect("generated password").to_owned();
    assert_eq!((generated.len(), &dave["user"]["must_change"]), (24, &json!(true)));
    let (status, answer) = login(&s, "dave", &generated).await;
    assert_eq!(
        (status, &answer["must_change_password"]),
        (200, &json!(true)),
        "{answer}"
    );

    // Refusals: a name in use, a tenant in the body, a bad role.
    let again = json!({"name": "carol", "role": "viewer", "password": given});
    let (status, e) = call(&s, admin, "POST", "/api/v1/users", Some(again)).await;
    assert_eq!((status, &e["error"]["code"]), (409, &json!("conflict")), "{e}");
    let other = json!({"name": "eve", "role": "viewer", "tenant": "other"});
    let (status, e) = call(&s, admin, "POST", "/api/v1/users", Some(other)).await;
    assert_eq!((status, &e["error"]["code"]), (400, &json!("bad_request")), "{e}");
    let (status, e) = call(&s, admin, "PATCH", "/api/v1/users/carol", Some(json!({"role": "root"}))).await;
    assert_eq!(status, 400, "{e}");

    // The list: the tenant's users, never a hash.
    let (status, list) = call(&s, admin, "GET", "/api/v1/users", None).await;
    assert_eq!(status, 200, "{list}");
    let names: Vec<&str> = list["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names, ["carol", "dave"], "{list}");
    no_secret_fields(&list);

    // Disabled: login fails; enabled again: it works; a new role applies.
    let (status, carol) = call(
        &s,
        admin,
        "PATCH",
        "/api/v1/users/carol",
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!((status, &carol["disabled"]), (200, &json!(true)), "{carol}");
    assert_eq!(login(&s, "carol", given).await.0, 401);
    let patch = json!({"disabled": false, "role": "lead"});
    let (status, carol) = call(&s, admin, "PATCH", "/api/v1/users/carol", Some(patch)).await;
    assert_eq!(
        (status, &carol["disabled"], &carol["role"]),
        (200, &json!(false), &json!("lead")),
        "{carol}"
    );
    let (status, answer) = login(&s, "carol", given).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["roles"], json!(["lead"]), "{answer}");

    // A reset: the old password stops working, the new one must be changed.
    let (status, reset) = call(&s, admin, "POST", "/api/v1/users/carol/password", Some(json!({}))).await;
    assert_eq!(status, 200, "{reset}");
    let new_password = reset["password"].as_str().expect("generated").to_owned();
    assert_eq!(login(&s, "carol", given).await.0, 401);
    let (status, answer) = login(&s, "carol", &new_password).await;
    assert_eq!(
        (status, &answer["must_change_password"]),
        (200, &json!(true)),
        "{answer}"
    );

    let seen = audited(&s, "user.").await;
    let actions: Vec<(&str, &str)> = seen.iter().map(|(a, o, _)| (a.as_str(), o.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("user.create", "success"),
            ("user.create", "success"),
            ("user.create", "failure"),
            ("user.disable", "success"),
            ("user.role", "success"),
            ("user.enable", "success"),
            ("user.passwd", "success"),
        ],
        "{seen:?}"
    );
    let trail = audit_text(&s).await;
    for secret in [given, generated.as_str(), new_password.as_str(), "argon2"] {
        assert!(!trail.contains(secret), "the audit trail holds `{secret}`");
    }
    s.stop().await;
}

async fn last_admin_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |_| {}).await;
    // Tenant `solo`: one admin user, and an admin key to administer it with.
    let state = s.state().await;
    let user = |name: &str| NewUser {
        name: name.into(),
        role: Role::Admin,
        tenant: "solo".into(),
        password: "solo admin's password".into(),
        must_change: false,
    };
    state.create_user(&user("sam")).await.expect("user");
    let key = NewApiKey::new(Role::Admin, "solo admin").in_tenant("solo");
    let solo = state.create_api_key(&key).await.expect("key").1;

    for patch in [json!({"disabled": true}), json!({"role": "analyst"})] {
        let (status, e) = call(&s, &solo, "PATCH", "/api/v1/users/sam", Some(patch)).await;
        assert_eq!((status, &e["error"]["code"]), (409, &json!("conflict")), "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("last enabled admin")),
            "{e}"
        );
    }
    assert_eq!(
        login(&s, "sam", "solo admin's password").await.0,
        200,
        "sam is still enabled"
    );
    // With a second admin, the first can go; the second is then the last.
    let second = json!({"name": "tess", "role": "admin", "password": "tess's long password"});
    let (status, made) = call(&s, &solo, "POST", "/api/v1/users", Some(second)).await;
    assert_eq!(status, 201, "{made}");
    let (status, sam) = call(&s, &solo, "PATCH", "/api/v1/users/sam", Some(json!({"disabled": true}))).await;
    assert_eq!((status, &sam["disabled"]), (200, &json!(true)), "{sam}");
    let (status, e) = call(
        &s,
        &solo,
        "PATCH",
        "/api/v1/users/tess",
        Some(json!({"role": "viewer"})),
    )
    .await;
    assert_eq!(status, 409, "{e}");
    let (status, e) = call(
        &s,
        &solo,
        "PATCH",
        "/api/v1/users/tess",
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(status, 409, "{e}");
    // Demoting a disabled admin is no loss.
    let (status, sam) = call(&s, &solo, "PATCH", "/api/v1/users/sam", Some(json!({"role": "viewer"}))).await;
    assert_eq!((status, &sam["role"]), (200, &json!("viewer")), "{sam}");
    s.stop().await;
}

async fn keys_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |_| {}).await;
    let admin = s.key(Role::Admin);
    let new = json!({"name": "ci reader", "role": "viewer", "expires": "1d"});
    let (status, made) = call(&s, admin, "POST", "/api/v1/apikeys", Some(new)).await;
    assert_eq!(status, 201, "{made}");
    let secret = made["secret"].as_str().expect("secret").to_owned();
    let id = made["key"]["id"].as_str().expect("id").to_owned();
    assert!(secret.starts_with(&format!("vgl_{id}_")), "{made}");
    assert_eq!(
        (&made["key"]["state"], &made["key"]["tenant"]),
        (&json!("active"), &json!("default"))
    );
    let (status, _) = call(&s, &secret, "GET", "/api/v1/alerts", None).await;
    assert_eq!(status, 200, "the new key works");
    // The viewer key cannot manage keys.
    let (status, _) = call(&s, &secret, "GET", "/api/v1/apikeys", None).await;
    assert_eq!(status, 403);

    let (status, list) = call(&s, admin, "GET", "/api/v1/apikeys", None).await;
    assert_eq!(status, 200, "{list}");
    let listed = (list["keys"].as_array().expect("keys").iter())
        .find(|k| k["id"] == id.as_str())
        .expect("the key is listed");
    assert_eq!(listed["name"], "ci reader");
    no_secret_fields(&list);
    assert!(!list.to_string().contains(&secret[id.len() + 5..]), "{list}");

    let (status, revoked) = call(&s, admin, "DELETE", &format!("/api/v1/apikeys/{id}"), None).await;
    assert_eq!((status, &revoked["state"]), (200, &json!("revoked")), "{revoked}");
    let (status, e) = call(&s, &secret, "GET", "/api/v1/alerts", None).await;
    assert_eq!((status, &e["error"]["code"]), (401, &json!("unauthorized")), "{e}");
    let (status, e) = call(&s, admin, "DELETE", &format!("/api/v1/apikeys/{id}"), None).await;
    assert_eq!((status, &e["error"]["code"]), (409, &json!("conflict")), "{e}");

    // Refusals: an expiry in the past, a tenant in the body.
    let past = json!({"name": "x", "role": "viewer", "expires": "2001-01-01T00:00:00Z"});
    let (status, e) = call(&s, admin, "POST", "/api/v1/apikeys", Some(past)).await;
    assert_eq!(status, 400, "{e}");
    let other = json!({"name": "x", "role": "viewer", "tenant": "other"});
    let (status, e) = call(&s, admin, "POST", "/api/v1/apikeys", Some(other)).await;
    assert_eq!(status, 400, "{e}");

    let seen = audited(&s, "apikey.").await;
    let target = format!("apikey:{id}");
    assert!(
        seen.contains(&("apikey.create".into(), "success".into(), target.clone())),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("apikey.revoke".into(), "success".into(), target.clone())),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("apikey.revoke".into(), "failure".into(), target)),
        "{seen:?}"
    );
    let trail = audit_text(&s).await;
    assert!(
        !trail.contains(&secret[id.len() + 5..]),
        "the audit trail holds the secret"
    );
    s.stop().await;
}

/// Waits until the audit trail has an `access.denied` entry for each of `routes`.
async fn denials_recorded(s: &TestServer, routes: &[(&str, &str)]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = audited(s, "access.denied").await;
        let missing: Vec<_> = (routes.iter())
            .filter(|(m, p)| !seen.iter().any(|(_, o, t)| o == "denied" && *t == format!("{m} {p}")))
            .collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "denials not audited: {missing:?}; seen {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn access_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |c| {
        let hook = vigil_notify::Channel::Webhook {
            url: "https://bot:hunter2@hooks.example.org/services/T01/B02/TOKENXYZ?sig=QUERYSECRET".into(),
            secret: Some("signing-key-123".into()),
        };
        c.respond.notify.channels.insert("soc-hook".into(), hook);
        for tenant in ["default", "other"] {
            c.reports.schedules.push(ReportSchedule {
                name: format!("weekly-{tenant}"),
                every: Every::Weekly,
                formats: vec![vigil_report::Format::Html],
                dir: std::env::temp_dir(),
                tenant: tenant.into(),
                notify: vec![],
            });
        }
    })
    .await;
    let analyst = s.key(Role::Analyst);
    for (method, path) in ADMIN_ROUTES {
        let body = (*method == "POST" || *method == "PATCH").then(|| json!({}));
        let (status, e) = call(&s, analyst, method, path, body).await;
        assert_eq!(
            (status, &e["error"]["code"]),
            (403, &json!("forbidden")),
            "{method} {path}: {e}"
        );
    }
    denials_recorded(&s, ADMIN_ROUTES).await;

    // Another tenant's user and key: absent to this tenant's admin.
    let state = s.state().await;
    let olga = NewUser {
        name: "olga".into(),
        role: Role::Analyst,
        tenant: "other".into(),
        password: "olga's long password".into(),
        must_change: false,
    };
    state.create_user(&olga).await.expect("user");
    let (other_key, other_secret) = (state
        .create_api_key(&NewApiKey::new(Role::Viewer, "other's").in_tenant("other"))
        .await)
        .expect("key");
    let admin = s.key(Role::Admin);
    let tries = [
        (
            "PATCH",
            "/api/v1/users/olga".to_owned(),
            Some(json!({"disabled": true})),
        ),
        ("POST", "/api/v1/users/olga/password".to_owned(), Some(json!({}))),
        ("DELETE", format!("/api/v1/apikeys/{}", other_key.id), None),
    ];
    for (method, path, body) in tries {
        let (status, e) = call(&s, admin, method, &path, body).await;
        assert_eq!(
            (status, &e["error"]["code"]),
            (404, &json!("not_found")),
            "{method} {path}: {e}"
        );
    }
    let (_, users) = call(&s, admin, "GET", "/api/v1/users", None).await;
    assert!(!users.to_string().contains("olga"), "{users}");
    let (_, keys) = call(&s, admin, "GET", "/api/v1/apikeys", None).await;
    assert!(!keys.to_string().contains(&other_key.id), "{keys}");
    assert_eq!(login(&s, "olga", "olga's long password").await.0, 200, "olga untouched");
    assert_eq!(
        call(&s, &other_secret, "GET", "/api/v1/alerts", None).await.0,
        200,
        "key untouched"
    );

    // Roles, tenants (the caller's first) and policies (no secret, this tenant's reports).
    let (status, roles) = call(&s, admin, "GET", "/api/v1/roles", None).await;
    assert_eq!(status, 200, "{roles}");
    assert_eq!(
        roles["roles"].as_array().map(Vec::len),
        Some(Role::ALL.len()),
        "{roles}"
    );
    let (status, tenants) = call(&s, admin, "GET", "/api/v1/tenants", None).await;
    assert_eq!(status, 200, "{tenants}");
    assert_eq!(
        tenants["tenants"],
        json!([{"name": "default", "current": true}, {"name": "other", "current": false}])
    );
    let (status, policies) = call(&s, admin, "GET", "/api/v1/policies", None).await;
    assert_eq!(status, 200, "{policies}");
    assert_eq!(policies["sla"].as_array().map(Vec::len), Some(5), "{policies}");
    let hook = &policies["channels"][0];
    assert_eq!(
        (&hook["name"], &hook["type"], &hook["authenticated"]),
        (&json!("soc-hook"), &json!("webhook"), &json!(true))
    );
    let text = policies.to_string();
    for secret in [
        "hunter2",
        "bot:",
        "TOKENXYZ",
        "QUERYSECRET",
        "signing-key-123",
        "/services/",
    ] {
        assert!(!text.contains(secret), "`{secret}` in {text}");
    }
    let reports: Vec<&str> = (policies["reports"].as_array().expect("reports").iter())
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(reports, ["weekly-default"], "{policies}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_users_on_sqlite() {
    users_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_users_on_postgres() {
    users_scenario(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_last_admin_on_sqlite() {
    last_admin_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_last_admin_on_postgres() {
    last_admin_scenario(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_apikeys_on_sqlite() {
    keys_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_apikeys_on_postgres() {
    keys_scenario(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_access_and_tenants_on_sqlite() {
    access_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_access_and_tenants_on_postgres() {
    access_scenario(true).await;
}

//! Evidence attachments end to end against a running server, on SQLite and on PostgreSQL: upload
//! (above `[http] max_body`, which does not bound them) → list → download byte for byte, with its
//! SHA-256 and never inline → too large (declared or streamed) is 413 and stores nothing → a
//! viewer cannot upload, an analyst cannot delete → another tenant gets 404 → the export lists
//! it → an admin deletes it, and the timeline and the audit trail keep both events.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_state::attachments::sha256_hex;
use vigil_state::{NewApiKey, Role};

use crate::harness::{TestServer, http, http_text};

/// `[respond] attachment_max_bytes` of these servers (their `[http] max_body` is smaller).
const LIMIT: u64 = 4096;

/// An answer as it came: status, headers (names in lower case) and body bytes.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// One request with a binary body (sent chunked, without a length, when `chunked`).
async fn raw(
    s: &TestServer,
    method: &str,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: &[u8],
    chunked: bool,
) -> Raw {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n",
        s.http
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    let mut req = Vec::new();
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
        req.extend_from_slice(head.as_bytes());
        for chunk in body.chunks(1000) {
            req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            req.extend_from_slice(chunk);
            req.extend_from_slice(b"\r\n");
        }
        req.extend_from_slice(b"0\r\n\r\n");
    } else {
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        req.extend_from_slice(head.as_bytes());
        req.extend_from_slice(body);
    }
    let mut conn = tokio::net::TcpStream::connect(s.http).await.expect("connect");
    conn.write_all(&req).await.expect("send");
    let mut answer = Vec::new();
    #[expect(clippy::disallowed_methods, reason = "bounded by take(16 MiB)")]
    conn.take(16 << 20).read_to_end(&mut answer).await.expect("read");
    parse(&answer)
}

fn parse(answer: &[u8]) -> Raw {
    let end = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = answer[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Raw { status, headers, body }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
        rest = &rest[(eol + 4 + size).min(rest.len())..];
    }
    out
}

/// Every byte value, over and over: evidence that is not text.
fn evidence(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

async fn listed(s: &TestServer, token: &str, incident: &str) -> Value {
    let (status, body) = http(
        s.http,
        "GET",
        &format!("/api/v1/incidents/{incident}/attachments"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn attachment_scenario(postgres: bool) {
    let s = TestServer::start_on(postgres, |c| {
        c.http.max_body_bytes = 1024;
        c.respond.attachment_max_bytes = vigil_api::AttachmentLimit(LIMIT);
    })
    .await;
    let (analyst, viewer, admin) = (s.key(Role::Analyst), s.key(Role::Viewer), s.key(Role::Admin));
    let new = json!({"title": "Beacon on web01", "severity": 3, "classification": "malicious-code:infected-system"});
    let (status, incident) = http(s.http, "POST", "/api/v1/incidents", Some(analyst), Some(new)).await;
    assert_eq!(status, 201, "{incident}");
    let id = incident["id"].as_str().expect("id").to_owned();
    let base = format!("/api/v1/incidents/{id}/attachments");
    let upload = format!("{base}?name=..%2F..%2Ftmp%2Fbeacon.pcap&description=first%20capture");
    let content = evidence(3000);
    let media = "application/vnd.tcpdump.pcap";

    // Stored (3000 bytes: above [http] max_body, within the attachment limit), hashed by Vigil.
    let made = raw(&s, "POST", &upload, analyst, Some(media), &content, false).await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let meta = made.json();
    let aid = meta["id"].as_str().expect("id").to_owned();
    assert_eq!(meta["name"], "beacon.pcap", "its base name: {meta}");
    assert_eq!(
        (meta["size"].as_u64(), meta["media_type"].as_str()),
        (Some(3000), Some(media))
    );
    assert_eq!(meta["sha256"], sha256_hex(&content).as_str());
    assert_eq!(meta["description"], "first capture");
    assert!(
        meta["created_by"].as_str().is_some_and(|by| by.starts_with("apikey:")),
        "{meta}"
    );

    // Listed (metadata only) to readers; downloaded as it was, never inline.
    let list = listed(&s, viewer, &id).await;
    assert_eq!(list["attachments"], json!([meta.clone()]), "{list}");
    let got = raw(&s, "GET", &format!("{base}/{aid}"), viewer, None, b"", false).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, content, "byte for byte");
    assert_eq!(sha256_hex(&got.body), sha256_hex(&content));
    assert_eq!(got.header("x-vigil-sha256"), meta["sha256"].as_str());
    assert_eq!(got.header("x-vigil-media-type"), Some(media));
    assert_eq!(got.header("content-type"), Some("application/octet-stream"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        got.header("content-disposition"),
        Some("attachment; filename=\"beacon.pcap\"; filename*=UTF-8''beacon.pcap")
    );

    // Too large, declared or streamed without a length: 413 in the error shape, nothing stored.
    for chunked in [false, true] {
        let big = evidence(LIMIT as usize + 1);
        let refused = raw(&s, "POST", &upload, analyst, Some(media), &big, chunked).await;
        assert_eq!(refused.status, 413, "chunked {chunked}");
        assert_eq!(refused.json()["error"]["code"], "body_too_large", "chunked {chunked}");
    }
    let at_limit = raw(&s, "POST", &upload, analyst, None, &evidence(LIMIT as usize), true).await;
    assert_eq!(at_limit.status, 201, "exactly the limit is stored");
    assert_eq!(at_limit.json()["media_type"], "application/octet-stream");
    for (path, body, why) in [
        (upload.as_str(), &b""[..], "empty"),
        (base.as_str(), &b"x"[..], "no name"),
        (&*format!("{base}?name=a%0Ab.txt"), &b"x"[..], "a control character"),
    ] {
        let refused = raw(&s, "POST", path, analyst, Some(media), body, false).await;
        assert_eq!(
            (refused.status, refused.json()["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{why}"
        );
    }
    assert_eq!(
        listed(&s, viewer, &id).await["attachments"].as_array().map(Vec::len),
        Some(2)
    );

    // Who may: a viewer reads but does not upload; deleting needs case:delete (admins).
    let denied = raw(&s, "POST", &upload, viewer, Some(media), b"x", false).await;
    assert_eq!(denied.status, 403);
    let (status, _) = http(s.http, "DELETE", &format!("{base}/{aid}"), Some(analyst), None).await;
    assert_eq!(status, 403, "an analyst cannot delete evidence");

    // Another tenant: as if absent.
    let state = s.state().await;
    let other = NewApiKey::new(Role::Admin, "globex admin").in_tenant("globex");
    let (_, globex) = state.create_api_key(&other).await.expect("key");
    for (method, path) in [
        ("GET", base.clone()),
        ("GET", format!("{base}/{aid}")),
        ("DELETE", format!("{base}/{aid}")),
    ] {
        let (status, body) = http(s.http, method, &path, Some(&globex), None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{method} {path}"
        );
    }
    let theirs = raw(&s, "POST", &upload, &globex, Some(media), b"x", false).await;
    assert_eq!(theirs.status, 404);

    // The export lists the attachments' metadata.
    let (status, export) = http(
        s.http,
        "GET",
        &format!("/api/v1/incidents/{id}/export"),
        Some(viewer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["attachments"][0], meta, "{export}");
    assert_eq!(export["id"], id.as_str(), "the incident's fields stay where they were");
    let (_, md) = http_text(
        s.http,
        "GET",
        &format!("/api/v1/incidents/{id}/export?format=markdown"),
        Some(viewer),
        None,
    )
    .await;
    assert!(
        md.contains("## Attachments") && md.contains(meta["sha256"].as_str().expect("hash")),
        "{md}"
    );

    // Deleted by an admin: gone, and the timeline and the audit trail keep both events.
    let (status, _) = http(s.http, "DELETE", &format!("{base}/{aid}"), Some(admin), None).await;
    assert_eq!(status, 204);
    let gone = raw(&s, "GET", &format!("{base}/{aid}"), viewer, None, b"", false).await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        listed(&s, viewer, &id).await["attachments"].as_array().map(Vec::len),
        Some(1)
    );
    let (_, incident) = http(s.http, "GET", &format!("/api/v1/incidents/{id}"), Some(viewer), None).await;
    let kinds: Vec<(&str, &str)> = incident["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|t| (t["kind"].as_str().unwrap_or(""), t["text"].as_str().unwrap_or("")))
        .collect();
    let hash = meta["sha256"].as_str().expect("hash");
    assert!(
        kinds.contains(&(
            "attachment",
            &*format!("attachment added: beacon.pcap (3000 bytes, sha256 {hash})")
        )),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(
            "attachment_deleted",
            &*format!("attachment beacon.pcap (sha256 {hash}) deleted")
        )),
        "{kinds:?}"
    );
    let (_, audit) = http(s.http, "GET", "/api/v1/audit?limit=1000", Some(admin), None).await;
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| (e["action"].as_str().unwrap_or(""), e["target"].as_str().unwrap_or("")))
        .collect();
    let target = format!("attachment:{aid}");
    assert!(actions.contains(&("attachment.create", target.as_str())), "{actions:?}");
    assert!(actions.contains(&("attachment.delete", target.as_str())), "{actions:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_round_trip_with_limits_roles_and_tenants_on_sqlite() {
    attachment_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_round_trip_with_limits_roles_and_tenants_on_postgres() {
    attachment_scenario(true).await;
}

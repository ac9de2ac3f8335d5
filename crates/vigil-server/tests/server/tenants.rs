//! Tenants on data (OWASP API1, BOLA): an ingest credential binds its tenant to every record and
//! dead letter it sends, whatever the records say; every read — search, aggregations, alerts, one
//! alert, its events, dead letters — answers only the reader's tenant, and another tenant's
//! object answers 404 as if absent; correlations count each tenant's events apart.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_state::{NewApiKey, Role};

use crate::harness::{TestServer, http};

/// Keys of one tenant: one that ingests, one that reads.
struct Tenant {
    ingest: String,
    analyst: String,
}

async fn tenant(s: &TestServer, name: &str) -> Tenant {
    let state = s.state().await;
    let key = |role| NewApiKey::new(role, format!("{name} {role}")).in_tenant(name);
    Tenant {
        ingest: state.create_api_key(&key(Role::Ingest)).await.expect("key").1,
        analyst: state.create_api_key(&key(Role::Analyst)).await.expect("key").1,
    }
}

/// POSTs a text body; returns the status and the body.
async fn post_text(s: &TestServer, path: &str, token: &str, content_type: &str, body: &str) -> (u16, String) {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        s.http,
        body.len()
    );
    let mut conn = tokio::net::TcpStream::connect(s.http).await.expect("connect");
    conn.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    #[expect(clippy::disallowed_methods, reason = "bounded by take(1 MiB)")]
    conn.take(1 << 20).read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    (status, text)
}

/// Sends NDJSON lines through the native ingest API.
async fn ingest(s: &TestServer, token: &str, lines: &[Value]) {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let (status, answer) = post_text(s, "/api/v1/ingest", token, "application/x-ndjson", &body).await;
    assert_eq!(status, 200, "{answer}");
}

fn event(message: &str, host: &str) -> Value {
    json!({"message": message, "host": host, "product": "linux", "service": "syslog"})
}

async fn get(s: &TestServer, path: &str, token: &str) -> (u16, Value) {
    http(s.http, "GET", path, Some(token), None).await
}

async fn search(s: &TestServer, token: &str, body: Value) -> Value {
    let (status, answer) = http(s.http, "POST", "/api/v1/search", Some(token), Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Polls until the reader's search for `query` finds `n` events (fails after 30 s).
async fn search_until(s: &TestServer, token: &str, query: &str, n: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let answer = search(s, token, json!({"query": query, "size": 0})).await;
        if answer["total"].as_u64() == Some(n) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "expected {n} events for {query}, have {answer}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Polls until the reader sees `n` alerts of `rule` (fails after 30 s).
async fn alerts_of(s: &TestServer, token: &str, rule: &str, n: u64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, page) = get(s, &format!("/api/v1/alerts?rule_id={rule}"), token).await;
        assert_eq!(status, 200, "{page}");
        if page["total"].as_u64() == Some(n) {
            return page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "expected {n} alerts of {rule}, have {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

const KEYWORD_RULE: &str = "6f1c1f7e-6c7e-4c9a-9d7e-111111111111";
const CORRELATION_RULE: &str = "6f1c1f7e-6c7e-4c9a-9d7e-333333333333";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tenant_reads_only_its_own_events_alerts_and_dead_letters() {
    let s = TestServer::start(None).await;
    let acme = tenant(&s, "acme").await;
    let globex = tenant(&s, "globex").await;
    // acme's event claims to be globex's: the credential decides, not the record.
    let mut forged = event("vigil-test-evil from acme", "h-acme");
    forged["vigil_tenant"] = json!("globex");
    ingest(&s, &acme.ingest, &[forged]).await;
    let (status, answer) = post_text(&s, "/api/v1/ingest", &acme.ingest, "application/x-ndjson", "not json\n").await;
    assert_eq!(status, 200, "{answer}");
    // globex sends through the Elasticsearch `_bulk` input.
    let bulk = format!(
        "{}\n{}\n",
        json!({"index": {"_index": "logs"}}),
        event("vigil-test-evil from globex", "h-globex")
    );
    let (status, answer) = post_text(&s, "/_bulk", &globex.ingest, "application/x-ndjson", &bulk).await;
    assert_eq!(status, 200, "{answer}");

    let acme_alerts = alerts_of(&s, &acme.analyst, KEYWORD_RULE, 1).await;
    let globex_alerts = alerts_of(&s, &globex.analyst, KEYWORD_RULE, 1).await;
    assert_eq!(acme_alerts["alerts"][0]["tenant"], "acme", "{acme_alerts}");
    assert_eq!(globex_alerts["alerts"][0]["tenant"], "globex", "{globex_alerts}");
    // The default tenant's reader sees neither.
    let (_, mine) = get(&s, "/api/v1/alerts", &s.read_token).await;
    assert_eq!(mine["total"], 0, "{mine}");

    search_until(&s, &acme.analyst, "vigil-test-evil", 1).await;
    search_until(&s, &globex.analyst, "vigil-test-evil", 1).await;
    // One alert and its events: the owner's, and 404 for anyone else.
    let acme_alert = acme_alerts["alerts"][0]["id"].as_str().expect("id").to_owned();
    let (status, events) = get(&s, &format!("/api/v1/alerts/{acme_alert}/events"), &acme.analyst).await;
    assert_eq!(status, 200, "{events}");
    assert_eq!(events["events"][0]["fields"]["vigil_tenant"], "acme", "{events}");
    for path in [
        format!("/api/v1/alerts/{acme_alert}"),
        format!("/api/v1/alerts/{acme_alert}/events"),
    ] {
        let (status, answer) = get(&s, &path, &globex.analyst).await;
        assert_eq!(status, 404, "{path} as globex: {answer}");
        assert_eq!(answer["error"]["code"], "not_found");
        let (status, _) = get(&s, &path, &s.read_token).await;
        assert_eq!(status, 404, "{path} as the default tenant");
    }

    // Search and aggregations: each tenant counts only its own events.
    let query = json!({"query": "vigil-test-evil", "size": 10, "aggs": {"hosts": {"terms": {"field": "host"}}}});
    for (who, token, host) in [
        ("acme", &acme.analyst, "h-acme"),
        ("globex", &globex.analyst, "h-globex"),
    ] {
        let answer = search(&s, token, query.clone()).await;
        assert_eq!(answer["total"], 1, "{who}: {answer}");
        assert_eq!(answer["hits"][0]["host"], host, "{who}: {answer}");
        let buckets = &answer["aggs"]["hosts"]["buckets"];
        assert_eq!(buckets.as_array().map(Vec::len), Some(1), "{who}: {answer}");
        assert_eq!(buckets[0]["key"], host, "{who}: {answer}");
        // Naming another tenant in the query finds nothing.
        let other = search(
            &s,
            token,
            json!({"query": "vigil_tenant:*", "size": 0, "aggs": {"t": {"terms": {"field": "vigil_tenant"}}}}),
        )
        .await;
        assert_eq!(
            other["aggs"]["t"]["buckets"].as_array().map(Vec::len),
            Some(1),
            "{who}: {other}"
        );
        assert_eq!(other["aggs"]["t"]["buckets"][0]["key"], who, "{who}: {other}");
    }
    let answer = search(&s, &s.read_token, json!({"query": "vigil-test-evil", "size": 0})).await;
    assert_eq!(answer["total"], 0, "the default tenant: {answer}");

    // Dead letters: acme's bad line is acme's alone.
    let (_, letters) = get(&s, "/api/v1/dead-letters", &acme.analyst).await;
    assert_eq!(letters["total"], 1, "{letters}");
    assert_eq!(letters["dead_letters"][0]["tenant"], "acme", "{letters}");
    for token in [&globex.analyst, &s.read_token] {
        let (_, letters) = get(&s, "/api/v1/dead-letters", token).await;
        assert_eq!(letters["total"], 0, "{letters}");
    }
    s.stop().await;
}

/// Regression: correlation state was shared by every tenant, so two tenants' events on a host of
/// the same name added up to one tenant's alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlations_count_each_tenants_events_apart() {
    let s = TestServer::start(None).await;
    let acme = tenant(&s, "acme").await;
    let globex = tenant(&s, "globex").await;
    let probe = || event("vigil-corr-probe", "shared-host");
    // Two failed logins each: four on "shared-host", but neither tenant has three.
    ingest(&s, &acme.ingest, &[probe(), probe(), event("vigil-test-evil 1", "x")]).await;
    ingest(&s, &globex.ingest, &[probe(), probe(), event("vigil-test-evil 1", "x")]).await;
    alerts_of(&s, &acme.analyst, KEYWORD_RULE, 1).await;
    alerts_of(&s, &globex.analyst, KEYWORD_RULE, 1).await;
    for token in [&acme.analyst, &globex.analyst] {
        let (_, page) = get(&s, &format!("/api/v1/alerts?rule_id={CORRELATION_RULE}"), token).await;
        assert_eq!(page["total"], 0, "no tenant has three failed logins: {page}");
    }
    // acme's third one fires acme's correlation, and only acme's.
    // (Another host: on "x" the keyword match would fold into the first alert.)
    ingest(&s, &acme.ingest, &[probe(), event("vigil-test-evil 2", "y")]).await;
    alerts_of(&s, &acme.analyst, KEYWORD_RULE, 2).await;
    let page = alerts_of(&s, &acme.analyst, CORRELATION_RULE, 1).await;
    assert_eq!(page["alerts"][0]["tenant"], "acme", "{page}");
    assert_eq!(
        page["alerts"][0]["event_ids"].as_array().map(Vec::len),
        Some(3),
        "{page}"
    );
    let (_, page) = get(
        &s,
        &format!("/api/v1/alerts?rule_id={CORRELATION_RULE}"),
        &globex.analyst,
    )
    .await;
    assert_eq!(page["total"], 0, "{page}");
    s.stop().await;
}

/// Syslog carries no credential: a listener's records are `[syslog] tenant`'s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syslog_records_belong_to_the_listeners_tenant() {
    let s = TestServer::start_with(None, |c| {
        c.syslog.tenant = "acme".into();
        c.syslog.logsource = Some("product=linux,service=syslog".into());
    })
    .await;
    let acme = tenant(&s, "acme").await;
    s.syslog_tcp(&["<13>Dec  6 07:00:00 web-1 app: vigil-test-evil over syslog".to_owned()])
        .await;
    let page = alerts_of(&s, &acme.analyst, KEYWORD_RULE, 1).await;
    assert_eq!(page["alerts"][0]["tenant"], "acme", "{page}");
    search_until(&s, &acme.analyst, "vigil-test-evil", 1).await;
    let (_, mine) = get(&s, "/api/v1/alerts", &s.read_token).await;
    assert_eq!(mine["total"], 0, "the default tenant sees none: {mine}");
    s.stop().await;
}

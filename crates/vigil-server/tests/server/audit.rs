//! The server's audit trail: rule reloads (API and signal), failed authentication and missing
//! permissions are recorded with who, from where and how it ended; `GET /api/v1/audit` lists them
//! for `audit:read` only; the chain verifies and its head is signed at shutdown.

use std::time::Duration;

use serde_json::Value;
use vigil_state::State;

use crate::harness::{TestServer, http, http_text};

/// Polls the audit listing until `action` shows up `n` times.
async fn entries_until(s: &TestServer, query: &str, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, page) = http(
            s.http,
            "GET",
            &format!("/api/v1/audit?{query}"),
            Some(&s.admin_token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let entries = page["entries"].as_array().cloned().unwrap_or_default();
        if entries.len() >= n {
            return entries;
        }
        assert!(std::time::Instant::now() < deadline, "{query}: {page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_and_refusals_are_in_the_audit_trail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = TestServer::start(Some(dir.path())).await;
    let (status, body) = http(s.http, "POST", "/api/v1/rules/reload", Some(&s.admin_token), None).await;
    assert_eq!(status, 200, "{body}");
    let reload = &entries_until(&s, "action=rules.reload", 1).await[0];
    assert_eq!(reload["outcome"], "success", "{reload}");
    assert!(
        reload["actor"].as_str().is_some_and(|a| a.starts_with("apikey:")),
        "{reload}"
    );
    assert_eq!(reload["source"], "127.0.0.1", "{reload}");
    assert_eq!(reload["detail"]["compiled"], 2, "{reload}");

    let forged = "vgl_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let (status, _) = http(s.http, "GET", "/api/v1/alerts", Some(forged), None).await;
    assert_eq!(status, 401);
    let failure = &entries_until(&s, "action=auth.failure", 1).await[0];
    assert_eq!(failure["outcome"], "denied", "{failure}");
    assert_eq!(failure["target"], "apikey:0123456789abcdef", "{failure}");
    assert!(
        !failure.to_string().contains(forged),
        "the secret reached the audit trail: {failure}"
    );

    let (status, _) = http(s.http, "POST", "/api/v1/rules/reload", Some(&s.read_token), None).await;
    assert_eq!(status, 403);
    let denied = &entries_until(&s, "action=access.denied", 1).await[0];
    assert_eq!(denied["target"], "POST /api/v1/rules/reload", "{denied}");
    assert_eq!(denied["detail"]["permission"], "rule:deploy", "{denied}");

    // Filters: by outcome, by action prefix; and a viewer may not read the trail.
    let refused = entries_until(&s, "outcome=denied", 2).await;
    assert!(refused.iter().all(|e| e["outcome"] == "denied"), "{refused:?}");
    let (status, _) = http(s.http, "GET", "/api/v1/audit", Some(&s.read_token), None).await;
    assert_eq!(status, 403);
    let (status, body) = http(s.http, "GET", "/api/v1/audit?outcome=maybe", Some(&s.admin_token), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    s.stop().await;

    // The chain verifies, and shutdown signed its head with the key whose public half is beside it.
    let data = dir.path().join("data");
    let state = State::open(&data.join("state.db")).await.expect("state");
    let key = vigil_state::audit::read_public_key(&data.join("audit-signing.key.pub")).expect("public key");
    let checkpoints = state.audit_checkpoints().await.expect("checkpoints");
    assert!(!checkpoints.is_empty(), "no checkpoint at shutdown");
    let verdict = state.verify_audit(&checkpoints, Some(&key)).await.expect("verify");
    assert!(verdict.intact, "{verdict:?}");
    assert!(verdict.entries >= 4, "{verdict:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trail_exports_as_ndjson_for_the_keys_tenant_only() {
    let s = TestServer::start(None).await;
    // Another tenant's entries are in the same chain; an export never shows them.
    let state = State::open(&vigil_server::server::state_db_path(&s.data_dir))
        .await
        .expect("state");
    for i in 0..1205 {
        let tenant = if i % 2 == 0 { "default" } else { "acme" };
        let e = vigil_state::NewAuditEntry::new("system", "test.export", vigil_state::AuditOutcome::Success)
            .with_tenant(tenant)
            .with_target(format!("t{i}"));
        state.append_audit(e).await.expect("append");
    }
    let (status, text) = http_text(s.http, "GET", "/api/v1/audit/export", Some(&s.admin_token), None).await;
    assert_eq!(status, 200, "{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    // More than one batch of 1000, in chain order, one tenant.
    assert!(lines.len() >= 603, "{}", lines.len());
    assert!(lines.iter().all(|e| e["tenant"] == "default"), "another tenant's entry");
    let seqs: Vec<i64> = lines.iter().map(|e| e["seq"].as_i64().expect("seq")).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "oldest first");
    assert!(lines.iter().all(|e| e["hash"].as_str().is_some_and(|h| h.len() == 64)));
    // The CLI's lines are the same objects.
    let cli = state.audit_entries(seqs[0] - 1, 1).await.expect("entries");
    assert_eq!(serde_json::to_value(&cli[0]).expect("json"), lines[0]);

    // `after` goes on from a position; bad values and other parameters are 400.
    let middle = seqs[seqs.len() / 2];
    let (status, rest) = http_text(
        s.http,
        "GET",
        &format!("/api/v1/audit/export?after={middle}"),
        Some(&s.admin_token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let first: Value = serde_json::from_str(rest.lines().next().expect("a line")).expect("json");
    assert!(first["seq"].as_i64().expect("seq") > middle);
    assert_eq!(rest.lines().count(), seqs.iter().filter(|&&q| q > middle).count());
    for bad in ["after=-1", "after=x", "tenant=acme"] {
        let (status, body) = http(
            s.http,
            "GET",
            &format!("/api/v1/audit/export?{bad}"),
            Some(&s.admin_token),
            None,
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{bad}: {body}"
        );
    }
    // audit:read only.
    let (status, _) = http(s.http, "GET", "/api/v1/audit/export", Some(&s.read_token), None).await;
    assert_eq!(status, 403);
    s.stop().await;
}

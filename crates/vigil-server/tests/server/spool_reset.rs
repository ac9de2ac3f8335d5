//! A spool directory made anew under an existing store: nothing acknowledged may be skipped.

use crate::harness::TestServer;

/// The store skips records at or below the sequence numbers it holds (replays after a crash). A
/// new spool numbering from 1 again made every record it fed to today's partition a "replay",
/// silently dropped although acknowledged. Its numbering must continue after the store's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spool_deleted_by_hand_does_not_make_new_events_look_like_replays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = jiff::Timestamp::now();
    let lines = |tag: &str, n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("<13>1 {now} web01 app 42 - - {tag} {i} vigil-reset-probe"))
            .collect()
    };
    let s = TestServer::start(Some(dir.path())).await;
    s.syslog_tcp(&lines("before", 20)).await;
    s.search_until("vigil-reset-probe", 20).await;
    let first = s.search(serde_json::json!({"query": "before", "size": 1})).await;
    s.stop().await;
    std::fs::remove_dir_all(dir.path().join("data").join("spool")).expect("delete the spool");
    let s = TestServer::start(Some(dir.path())).await;
    s.syslog_tcp(&lines("after", 5)).await;
    s.search_until("vigil-reset-probe", 25).await;
    // New ids too: the new spool has a new epoch.
    let new = s.search(serde_json::json!({"query": "after", "size": 1})).await;
    assert_ne!(new["hits"][0]["id"], first["hits"][0]["id"]);
    s.stop().await;
}

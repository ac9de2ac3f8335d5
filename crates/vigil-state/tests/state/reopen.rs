//! A database reopened, or opened twice at once, and blobs.

use crate::{alert, at, temp_state};
use vigil_state::Scope;

#[tokio::test]
async fn data_survives_reopen() {
    let (state, db) = temp_state().await;
    let (info, secret) = state.create_token(Scope::Read, "reader").await.unwrap();
    assert_eq!(
        state.insert_alerts(&[alert("a1", "r1", "high", at(0))]).await.unwrap(),
        1
    );
    state.put_blob("corr", b"state-v1").await.unwrap();
    state.close().await;
    drop(state);

    let state = db.open().await;
    assert_eq!(state.count_alerts().await.unwrap(), 1);
    assert_eq!(state.get_blob("corr").await.unwrap().as_deref(), Some(&b"state-v1"[..]));
    let verified = state
        .verify_token(&secret)
        .await
        .unwrap()
        .expect("token survives reopen");
    assert_eq!(verified.id, info.id);
    let page = state.list_alerts("default", &Default::default()).await.unwrap();
    assert_eq!(page.alerts[0].id, "a1");
    assert_eq!(page.alerts[0].detected, at(0));
}

#[tokio::test]
async fn reopening_twice_concurrently_is_harmless() {
    let (state, db) = temp_state().await;
    let other = db.open().await;
    state.insert_alerts(&[alert("a", "r", "low", at(0))]).await.unwrap();
    assert_eq!(other.count_alerts().await.unwrap(), 1);
}

#[tokio::test]
async fn blobs_overwrite_and_survive_binary_content() {
    let (state, _dir) = temp_state().await;
    let big: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    state.put_blob("corr", &big).await.unwrap();
    assert_eq!(state.get_blob("corr").await.unwrap(), Some(big));
    state.put_blob("corr", b"small").await.unwrap();
    assert_eq!(state.get_blob("corr").await.unwrap().as_deref(), Some(&b"small"[..]));
    assert_eq!(state.get_blob("other").await.unwrap(), None);
}

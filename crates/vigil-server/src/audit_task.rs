//! The audit trail's signed checkpoints: at start the signing key is read or created (and its
//! public key written beside it as `<key>.pub`), then the chain's head is signed every
//! `[audit] checkpoint_interval` and once more at shutdown.

use std::path::{Path, PathBuf};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_state::{SigningKey, State, audit};

use crate::{config::ServerConfig, server::ServerError};

/// Reads or creates the signing key; writes the public key file when it is missing.
pub fn signing_key(config: &ServerConfig) -> Result<SigningKey, ServerError> {
    let path = config.audit.signing_key_path(&config.data_dir);
    let (key, created) = audit::load_or_create_signing_key(&path)?;
    let public = key.verifying_key();
    let public_path = public_key_path(&path);
    if !public_path.exists() {
        audit::write_public_key(&public_path, &public)?;
    }
    let id = audit::key_id(&public);
    if created {
        tracing::info!(key = %path.display(), public = %public_path.display(), key_id = id,
            "created the audit signing key: keep a copy of its public key and of `vigil audit checkpoints` elsewhere");
    }
    Ok(key)
}

/// `<key>.pub` beside the key file.
pub fn public_key_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_os_string();
    name.push(".pub");
    PathBuf::from(name)
}

/// Signs the head every interval (if it is not zero) and at `stop`.
pub fn spawn_checkpoints(
    config: &ServerConfig,
    state: State,
    key: SigningKey,
    stop: CancellationToken,
) -> JoinHandle<()> {
    let every = config.audit.checkpoint_interval;
    tokio::spawn(async move {
        if !every.is_zero() {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => checkpoint(&state, &key).await,
                }
            }
        } else {
            stop.cancelled().await;
        }
        checkpoint(&state, &key).await;
    })
}

async fn checkpoint(state: &State, key: &SigningKey) {
    match state.checkpoint_audit(key).await {
        Ok(Some(cp)) => tracing::info!(seq = cp.seq, key_id = cp.key_id, "signed the audit trail's head"),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "could not sign the audit trail's head"),
    }
}

//! Certificates for syslog over TLS: the configured ones, or a self-signed pair generated once in
//! the data directory so that `--syslog-tls ADDR` works without preparation.

use std::{path::PathBuf, sync::Arc};

use crate::{config::ServerConfig, server::ServerError};

/// The rustls server configuration for the syslog TLS listener.
pub fn syslog_server_config(config: &ServerConfig) -> Result<Arc<rustls::ServerConfig>, ServerError> {
    let (cert, key) = match (&config.syslog.tls_cert, &config.syslog.tls_key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => self_signed(&config.data_dir)?,
    };
    vigil_ingest::tls_server_config(&cert, &key, config.syslog.tls_client_ca.as_deref())
        .map_err(|e| ServerError::Tls(e.to_string()))
}

/// Creates (once) `tls/syslog.crt` and `tls/syslog.key` for `localhost` and the loopback addresses.
fn self_signed(data_dir: &std::path::Path) -> Result<(PathBuf, PathBuf), ServerError> {
    let dir = data_dir.join("tls");
    let cert = dir.join("syslog.crt");
    let key = dir.join("syslog.key");
    if cert.is_file() && key.is_file() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(&dir).map_err(|e| ServerError::Tls(format!("{}: {e}", dir.display())))?;
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let generated = rcgen::generate_simple_self_signed(names)
        .map_err(|e| ServerError::Tls(format!("generating a certificate: {e}")))?;
    let write = |path: &PathBuf, text: String| {
        std::fs::write(path, text).map_err(|e| ServerError::Tls(format!("{}: {e}", path.display())))
    };
    write(&key, generated.signing_key.serialize_pem())?;
    write(&cert, generated.cert.pem())?;
    tracing::warn!(cert = %cert.display(), "syslog TLS uses a generated self-signed certificate; configure syslog.tls_cert/tls_key for production");
    Ok((cert, key))
}

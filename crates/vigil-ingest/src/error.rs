//! The crate's error type.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Errors of the ingest library: binding listeners, TLS set-up and record decoding.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// A listener could not bind its address (in use, permission, bad address).
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another I/O error of a listener.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A PEM file could not be read or holds nothing usable.
    #[error("cannot load {path}: {message}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The TLS configuration was rejected (e.g. key does not match the certificate).
    #[error("tls configuration: {0}")]
    Tls(String),
    /// An encoded [`crate::Record`] is malformed.
    #[error("cannot decode record: {0}")]
    Decode(&'static str),
    /// A configuration value is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
}

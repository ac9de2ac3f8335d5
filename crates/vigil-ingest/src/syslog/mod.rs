//! Syslog listeners: UDP (one datagram, one message), TCP (RFC 6587 framing) and TLS (RFC 5425).

mod conn;
pub(crate) mod framing;
mod tcp;
mod tls;
mod udp;
mod x509;

use std::net::SocketAddr;
use std::time::Duration;

pub use tcp::SyslogTcpInput;
pub use tls::tls_server_config;
pub use udp::SyslogUdpInput;

/// Default cap of connections from one client address.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 128;

/// Default largest syslog message (bytes).
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// A message longer than the record limit would be read and then refused by the parser.
fn check_max_message(max: usize) -> Result<(), crate::IngestError> {
    if max == 0 || max > crate::MAX_RECORD_BYTES {
        return Err(crate::IngestError::Config(format!(
            "max_message_size must be 1 to {} bytes (the record limit)",
            crate::MAX_RECORD_BYTES
        )));
    }
    Ok(())
}

/// Settings of a syslog TCP or TLS listener.
#[derive(Debug, Clone)]
pub struct SyslogTcpConfig {
    /// Input name, put into every record (e.g. `syslog-tcp`).
    pub name: String,
    /// The tenant every record of this listener belongs to (syslog carries no credential).
    pub tenant: String,
    /// Address to bind (port 0 picks a free port).
    pub addr: SocketAddr,
    /// Largest message (at most [`crate::MAX_RECORD_BYTES`]); longer lines are dead-lettered
    /// (truncated) and skipped, a longer octet count closes the connection.
    pub max_message_size: usize,
    /// Connections beyond this are accepted and closed at once.
    pub max_connections: usize,
    /// Connections from one client address beyond this are accepted and closed at once (TLS
    /// handshakes in progress count), so one address cannot take every slot.
    pub max_connections_per_ip: usize,
    /// Submit a batch once it holds this many records...
    pub batch_max: usize,
    /// ...or this many bytes...
    pub batch_max_bytes: usize,
    /// ...or when its first record has waited this long.
    pub flush_delay: Duration,
    /// Close a connection that sent nothing for this long (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// Time allowed for a TLS handshake.
    pub tls_handshake_timeout: Duration,
    /// On shutdown, keep retrying a refused batch this long before giving up.
    pub shutdown_grace: Duration,
}

impl SyslogTcpConfig {
    /// Defaults: 64 KiB messages, 1024 connections (128 per address), batches of 512 records / 4 MiB / 5 ms.
    pub fn new(name: impl Into<String>, addr: SocketAddr) -> SyslogTcpConfig {
        SyslogTcpConfig {
            name: name.into(),
            tenant: vigil_api_types::access::DEFAULT_TENANT.to_owned(),
            addr,
            max_message_size: DEFAULT_MAX_MESSAGE,
            max_connections: 1024,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            batch_max: 512,
            batch_max_bytes: 4 * 1024 * 1024,
            flush_delay: Duration::from_millis(5),
            idle_timeout: None,
            tls_handshake_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Settings of a syslog UDP listener.
#[derive(Debug, Clone)]
pub struct SyslogUdpConfig {
    /// Input name, put into every record (e.g. `syslog-udp`).
    pub name: String,
    /// The tenant every record of this listener belongs to (syslog carries no credential).
    pub tenant: String,
    /// Address to bind (port 0 picks a free port).
    pub addr: SocketAddr,
    /// Largest message (at most [`crate::MAX_RECORD_BYTES`]); longer datagrams are dead-lettered
    /// (truncated).
    pub max_message_size: usize,
    /// Submit a batch once it holds this many records...
    pub batch_max: usize,
    /// ...or when its first record has waited this long.
    pub batch_delay: Duration,
    /// Bytes of datagrams held in memory (waiting for, or refused by, the sink). When reached,
    /// the socket is not read (the kernel drops what overflows its buffer).
    pub max_pending_bytes: usize,
    /// On shutdown, keep retrying held datagrams this long before giving up.
    pub shutdown_grace: Duration,
}

impl SyslogUdpConfig {
    /// Defaults: 64 KiB messages, batches of 512 records / 5 ms, 64 MiB held at most.
    pub fn new(name: impl Into<String>, addr: SocketAddr) -> SyslogUdpConfig {
        SyslogUdpConfig {
            name: name.into(),
            tenant: vigil_api_types::access::DEFAULT_TENANT.to_owned(),
            addr,
            max_message_size: DEFAULT_MAX_MESSAGE,
            batch_max: 512,
            batch_delay: Duration::from_millis(5),
            max_pending_bytes: 64 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

//! Per-input counters; the server renders them (e.g. as Prometheus text).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one input (or one HTTP endpoint family). Cheap to update from many tasks.
#[derive(Debug, Default)]
pub struct InputMetrics {
    records: AtomicU64,
    bytes: AtomicU64,
    rejected: AtomicU64,
    backpressured: AtomicU64,
    connections: AtomicU64,
    connections_total: AtomicU64,
    connections_refused: AtomicU64,
    requests: AtomicU64,
}

/// A copy of all counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Records durably accepted by the sink.
    pub records: u64,
    /// Bytes of `data` of those records.
    pub bytes: u64,
    /// Dead letters (records rejected with a code).
    pub rejected: u64,
    /// Times the sink answered Full (UDP/TCP retries, HTTP 429/503 answers).
    pub backpressured: u64,
    /// Connections open now (TCP/TLS).
    pub connections: u64,
    /// Connections accepted since start.
    pub connections_total: u64,
    /// Connections closed at once because the connection limit was reached (or TLS handshake failed).
    pub connections_refused: u64,
    /// HTTP requests handled.
    pub requests: u64,
}

impl InputMetrics {
    /// Records durably accepted by the sink.
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }
    /// Bytes of `data` of accepted records.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// Dead letters.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
    /// Times the sink answered Full.
    pub fn backpressured(&self) -> u64 {
        self.backpressured.load(Ordering::Relaxed)
    }
    /// Connections open now.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
    /// Connections accepted since start.
    pub fn connections_total(&self) -> u64 {
        self.connections_total.load(Ordering::Relaxed)
    }
    /// Connections refused (limit reached, failed TLS handshake).
    pub fn connections_refused(&self) -> u64 {
        self.connections_refused.load(Ordering::Relaxed)
    }
    /// HTTP requests handled.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// All counters at once.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            records: self.records(),
            bytes: self.bytes(),
            rejected: self.rejected(),
            backpressured: self.backpressured(),
            connections: self.connections(),
            connections_total: self.connections_total(),
            connections_refused: self.connections_refused(),
            requests: self.requests(),
        }
    }

    /// Counts records accepted (durably handed over) and their bytes.
    pub fn add_accepted(&self, records: u64, bytes: u64) {
        self.records.fetch_add(records, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
    /// Counts records rejected (dead-lettered).
    pub fn add_rejected(&self, n: u64) {
        self.rejected.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn add_backpressured(&self) {
        self.backpressured.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a connection closed at once (a connection limit, a failed TLS handshake).
    pub fn add_refused(&self) {
        self.connections_refused.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection as open until the guard is dropped.
    pub fn open_connection(self: &Arc<Self>) -> ConnectionGuard {
        self.connections.fetch_add(1, Ordering::Relaxed);
        self.connections_total.fetch_add(1, Ordering::Relaxed);
        ConnectionGuard(Arc::clone(self))
    }
}

/// Decrements the open-connection gauge on drop.
#[derive(Debug)]
pub struct ConnectionGuard(Arc<InputMetrics>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_gauge_follows_guards() {
        let metrics = Arc::new(InputMetrics::default());
        let a = metrics.open_connection();
        let b = metrics.open_connection();
        assert_eq!(metrics.connections(), 2);
        drop(a);
        assert_eq!(metrics.connections(), 1);
        drop(b);
        let snap = metrics.snapshot();
        assert_eq!((snap.connections, snap.connections_total), (0, 2));
    }
}

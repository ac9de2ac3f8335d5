//! [`PerIpLimit`]: open connections per client address, capped, so that a few hundred sockets
//! from one address cannot take every connection slot of a listener.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Counts open connections per client address (IPv4-mapped IPv6 counts as IPv4).
#[derive(Debug, Clone)]
pub struct PerIpLimit {
    max: usize,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerIpLimit {
    /// At most `max` connections per address (at least 1).
    pub fn new(max: usize) -> PerIpLimit {
        PerIpLimit {
            max: max.max(1),
            counts: Arc::default(),
        }
    }

    /// The cap.
    pub fn max(&self) -> usize {
        self.max
    }

    /// A slot for one more connection from `ip`, or `None` when it has `max` open already. The
    /// slot is given back when dropped.
    pub fn try_acquire(&self, ip: IpAddr) -> Option<IpSlot> {
        let ip = ip.to_canonical();
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(ip).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(IpSlot {
            counts: Arc::clone(&self.counts),
            ip,
        })
    }

    /// Connections open now from `ip`.
    pub fn open(&self, ip: IpAddr) -> usize {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.get(&ip.to_canonical()).copied().unwrap_or(0)
    }
}

/// One connection's place in a [`PerIpLimit`].
#[derive(Debug)]
pub struct IpSlot {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_each_address_and_gives_slots_back() {
        let limit = PerIpLimit::new(2);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let first = limit.try_acquire(a).expect("first");
        let _second = limit.try_acquire(mapped).expect("second, the same address");
        assert!(limit.try_acquire(a).is_none());
        assert!(limit.try_acquire(b).is_some(), "another address has its own slots");
        drop(first);
        assert!(limit.try_acquire(a).is_some());
        assert_eq!(limit.open(a), 1, "the slot taken just above was dropped again");
    }
}

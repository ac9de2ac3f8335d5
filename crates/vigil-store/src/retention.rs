//! Retention: dropping whole partitions by age and by total size.

use std::fs;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{EventStore, StoreError, lock, nanos};

/// What [`EventStore::retain`] removed.
///
/// Rules, in order:
/// 1. **Age** — every partition whose end is at or before `now - max_age` is dropped (even one with
///    an open writer: its uncommitted events are past retention too).
/// 2. **Size** — while the store is larger than `max_bytes`, the oldest partition is dropped, except
///    the newest partition and any partition that has not ended at `now` (where live events go):
///    those are never dropped for size, so the store may stay above `max_bytes` when they alone
///    exceed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionReport {
    pub partitions_dropped: u64,
    /// Committed events in the dropped partitions.
    pub events_dropped: u64,
    pub bytes_freed: u64,
}

pub(crate) fn retain(store: &EventStore, now: Timestamp) -> Result<RetentionReport, StoreError> {
    let now_ns = nanos(now).unwrap_or(i64::MAX);
    let mut pool = lock(&store.writers);
    let parts = store.snapshot(None, None);
    let mut victims = Vec::new();
    if let Some(max_age) = store.cfg.max_age.and_then(|a| i64::try_from(a.as_nanos()).ok()) {
        let cutoff = now_ns.saturating_sub(max_age);
        victims.extend(parts.iter().filter(|p| p.end <= cutoff).map(|p| p.start));
    }
    if let Some(max_bytes) = store.cfg.max_bytes {
        let newest = parts.last().map(|p| p.start);
        let kept: Vec<_> = parts.iter().filter(|p| !victims.contains(&p.start)).collect();
        let mut total: u64 = kept.iter().map(|p| p.bytes_on_disk()).sum();
        for p in kept {
            if total <= max_bytes {
                break;
            }
            if Some(p.start) == newest || p.end > now_ns {
                continue;
            }
            total = total.saturating_sub(p.bytes_on_disk());
            victims.push(p.start);
        }
    }

    let mut report = RetentionReport::default();
    for start in victims {
        let Some(p) = store.drop_partition(&mut pool, start) else {
            continue;
        };
        report.partitions_dropped += 1;
        report.events_dropped += p.num_docs();
        report.bytes_freed += p.bytes_on_disk();
        tracing::info!(partition = %p.dir.display(), "retention: dropping partition");
        fs::remove_dir_all(&p.dir).map_err(StoreError::io("cannot remove partition", &p.dir))?;
    }
    Ok(report)
}

//! Retro-hunting: `vigil hunt --stored` runs rules over the events `vigil serve` stored.

use std::path::Path;

use anyhow::Context;
use jiff::Timestamp;
use rayon::prelude::*;
use vigil_event::Event;

use super::{Ctx, WorkResult};

/// Events handed to the detector at a time (detected on all cores).
const BATCH: usize = 4096;

/// Scans the store in `data_dir` (one tenant's events, or all) over [since, until), calling `visit` with batches of events in
/// time order, each with the time it is stored under; `visit` returns false to stop. Returns the
/// number of events scanned.
pub fn scan(
    data_dir: &Path,
    tenant: Option<&str>,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    visit: &mut dyn FnMut(Vec<(Event, Timestamp)>) -> bool,
) -> anyhow::Result<u64> {
    let dir = data_dir.join("events");
    if !dir.is_dir() {
        anyhow::bail!(
            "{} has no event store (is it the data directory of `vigil serve`? see --data-dir)",
            data_dir.display()
        );
    }
    let store = vigil_store::EventStore::open_read_only(&dir)
        .with_context(|| format!("opening the event store in {}", dir.display()))?;
    let scope = tenant.map_or(vigil_store::Scope::All, vigil_store::Scope::Tenant);
    let mut batch = Vec::with_capacity(BATCH);
    let mut go_on = true;
    let n = store
        .scan(scope, since, until, &mut |event, stored_at| {
            batch.push((event, stored_at));
            if batch.len() >= BATCH {
                go_on = visit(std::mem::take(&mut batch));
            }
            go_on
        })
        .context("reading stored events")?;
    if go_on && !batch.is_empty() {
        visit(batch);
    }
    Ok(n)
}

/// Detects over one batch of stored events. An event the server stored at its ingest time (it had
/// no time, or one too far in the future) is correlated at that time, as the server correlated it.
pub fn hunt_batch(events: Vec<(Event, Timestamp)>, ctx: &Ctx<'_>) -> WorkResult {
    let per_event: Vec<(Event, Timestamp, Vec<vigil_detect::Hit>)> = events
        .into_par_iter()
        .map(|(mut event, stored_at)| {
            if event.logsource.product.is_none()
                && let Some(tags) = &ctx.default_logsource
            {
                event.logsource = tags.clone();
            }
            let hits = ctx.detector.detect(&event);
            (event, stored_at, hits)
        })
        .collect();
    let mut r = WorkResult::default();
    for (event, stored_at, hits) in per_event {
        r.events += 1;
        // The stored time is the event's own when it kept one, else its ingest time.
        super::record_hits(event, hits, Some(stored_at), ctx, &mut r);
    }
    r
}

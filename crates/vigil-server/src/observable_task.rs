//! The periodic observable scan: every few seconds, the open incidents with alerts whose events
//! have not been scanned for observables yet are scanned ([`vigil_api::observable_scan`]). The
//! API scans right after it links alerts; this task covers incidents opened by auto-incident
//! policies, alerts whose events reached the store late, and whatever a crash or a failed scan
//! left undone. Each (incident, alert) is recorded once, however many scanners run.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_api::observable_scan::{ScanError, scan_incident};
use vigil_state::State;
use vigil_store::EventStore;

/// How often it looks.
pub const EVERY: Duration = Duration::from_secs(5);
/// Incidents scanned per pass.
const INCIDENTS_PER_PASS: u32 = 100;

/// Starts the task.
pub fn spawn(state: State, store: Arc<EventStore>, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = pass(&state, &store, Timestamp::now()).await {
                tracing::error!(error = %e, "observable scan");
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(EVERY) => {}
            }
        }
    })
}

/// One pass: scans the incidents waiting, at `now`; how many alerts were recorded as scanned.
pub async fn pass(state: &State, store: &Arc<EventStore>, now: Timestamp) -> Result<u64, ScanError> {
    let mut scanned = 0;
    for (tenant, id) in state.incidents_to_scan(INCIDENTS_PER_PASS).await? {
        let summary = scan_incident(state, store, &tenant, &id, now).await?;
        if summary.new > 0 {
            tracing::info!(incident = %id, alerts = summary.alerts, new = summary.new, "observables extracted");
        }
        scanned += summary.alerts;
    }
    Ok(scanned)
}

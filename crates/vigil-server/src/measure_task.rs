//! The measure gauges' refresh (issue 17): every `[respond] check_interval` (the SLA checks'
//! cadence, 15 s by default), every tenant's open alerts and incidents, breached SLA timers,
//! oldest open alert and rolling MTTA / MTTR are read from state and rendered for `/metrics`
//! ([`vigil_api::kpi_gauges`]). Scrapes read the last rendering.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_api::kpi_gauges::MeasureGauges;
use vigil_respond::SlaPolicies;
use vigil_state::State;

/// Starts the task; it refreshes once at once, then every `every` (at least 100 ms).
pub fn spawn(
    state: State,
    sla: SlaPolicies,
    gauges: Arc<MeasureGauges>,
    every: Duration,
    stop: CancellationToken,
) -> JoinHandle<()> {
    let every = every.max(Duration::from_millis(100));
    tokio::spawn(async move {
        loop {
            if let Err(e) = gauges.refresh(&state, &sla, Timestamp::now()).await {
                tracing::error!(error = %e, "measure gauges: refresh failed; /metrics keeps the last values");
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    })
}

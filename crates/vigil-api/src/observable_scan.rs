//! Extracting an incident's observables from its alerts' events: [`scan_incident`] reads the
//! stored events of every linked alert not scanned for the incident yet (at most
//! [`EVENTS_PER_ALERT`] each), finds their observables ([`vigil_respond::observables::extract`])
//! and records them, one transaction per alert ([`vigil_state::State::record_observable_scan`]).
//!
//! It runs after the API links alerts (creating an incident from alerts, linking, merging) and
//! from the server's periodic task, which also catches incidents opened by auto-incident
//! policies and anything a crash interrupted. Running it twice, or from both at once, records
//! each (incident, alert) once. An alert whose events are not in the store yet (the store
//! commits in batches) is left for a later pass, until [`EVENT_GRACE`] after its detection: then
//! it is recorded as scanned with what was found (its events may be past retention).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use vigil_event::EventId;
use vigil_respond::ObservableKind;
use vigil_respond::observables::extract;
use vigil_state::observables::{ObservableScan, ScanTarget, Sighted, actions};
use vigil_state::{Actor, AuditOutcome, NewAuditEntry, State, StateError};
use vigil_store::{EventStore, Hit, StoreError};

/// Events read per alert (an alert keeps up to 100 event ids).
pub const EVENTS_PER_ALERT: usize = 100;
/// Alerts scanned per incident in one call; the next call takes the rest.
pub const ALERTS_PER_SCAN: u32 = 200;
/// Distinct observables kept from one alert's events.
pub const OBSERVABLES_PER_ALERT: usize = 1000;
/// How long after an alert's detection a scan that finds none of its events waits for them.
pub const EVENT_GRACE: Duration = Duration::from_secs(600);

/// Why a scan stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    #[error("observable scan: {0}")]
    State(#[from] StateError),
    #[error("observable scan: reading events: {0}")]
    Store(#[from] StoreError),
    #[error("observable scan: the event reader stopped")]
    Task(#[from] tokio::task::JoinError),
}

/// What one call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Alerts recorded as scanned.
    pub alerts: u64,
    /// Observables new to the incident, and known ones seen again.
    pub new: u64,
    pub seen_again: u64,
    /// Alerts left for a later pass (their events not stored yet).
    pub waiting: u64,
}

/// Scans the alerts of `tenant`'s incident `incident_id` not scanned for it yet, at `now`.
pub async fn scan_incident(
    state: &State,
    store: &Arc<EventStore>,
    tenant: &str,
    incident_id: &str,
    now: Timestamp,
) -> Result<ScanSummary, ScanError> {
    let mut summary = ScanSummary::default();
    for target in state.unscanned_alerts(tenant, incident_id, ALERTS_PER_SCAN).await? {
        let hits = events_of(store, tenant, &target).await?;
        let grace = SignedDuration::try_from(EVENT_GRACE).unwrap_or(SignedDuration::MAX);
        if hits.is_empty() && now < target.detected.saturating_add(grace).unwrap_or(Timestamp::MAX) {
            summary.waiting += 1;
            continue;
        }
        let scan = ObservableScan {
            alert_id: target.alert_id.clone(),
            events: hits.len() as u64,
            found: sightings(&hits),
        };
        let who = Actor {
            id: "system".into(),
            audit: NewAuditEntry::new("system", actions::EXTRACT, AuditOutcome::Success).with_tenant(tenant),
            at: Some(now),
        };
        let outcome = state.record_observable_scan(tenant, incident_id, &scan, &who).await?;
        if outcome.recorded {
            summary.alerts += 1;
            summary.new += outcome.new;
            summary.seen_again += outcome.seen_again;
        }
    }
    Ok(summary)
}

/// Starts [`scan_incident`] in the background (after a change that linked alerts); a failure is
/// logged, and the server's periodic task tries again.
pub(crate) fn spawn_scan(state: &State, store: &Arc<EventStore>, tenant: &str, incident_id: &str) {
    let (state, store, tenant, id) = (state.clone(), store.clone(), tenant.to_owned(), incident_id.to_owned());
    tokio::spawn(async move {
        match scan_incident(&state, &store, &tenant, &id, Timestamp::now()).await {
            Ok(s) if s.alerts > 0 => {
                tracing::debug!(incident = %id, alerts = s.alerts, new = s.new, "observables extracted")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(incident = %id, error = %e, "observable scan failed; the periodic scan retries"),
        }
    });
}

/// The stored events of one alert (ids that cannot be stored are skipped).
async fn events_of(store: &Arc<EventStore>, tenant: &str, target: &ScanTarget) -> Result<Vec<Hit>, ScanError> {
    let ids: Vec<String> = target
        .event_ids
        .iter()
        .map(|e| e.to_ascii_lowercase())
        .filter(|e| EventId::parse(e).is_some())
        .take(EVENTS_PER_ALERT)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (store, tenant) = (store.clone(), tenant.to_owned());
    let hits = tokio::task::spawn_blocking(move || crate::alert_events::fetch(&store, &tenant, &ids)).await??;
    Ok(hits)
}

/// The observables of `hits`, each with the number of events it was in and their first and
/// last times, in the order first found; at most [`OBSERVABLES_PER_ALERT`].
pub fn sightings(hits: &[Hit]) -> Vec<Sighted> {
    let mut found: Vec<Sighted> = Vec::new();
    let mut index: HashMap<(ObservableKind, String), usize> = HashMap::new();
    for hit in hits {
        for o in extract(hit.host.as_deref(), &hit.fields) {
            match index.get(&(o.kind, o.value.clone())) {
                Some(&i) => {
                    let s = &mut found[i];
                    s.count += 1;
                    s.first = s.first.min(hit.time);
                    s.last = s.last.max(hit.time);
                }
                None if found.len() < OBSERVABLES_PER_ALERT => {
                    index.insert((o.kind, o.value.clone()), found.len());
                    found.push(Sighted {
                        kind: o.kind,
                        value: o.value,
                        field: o.field,
                        count: 1,
                        first: hit.time,
                        last: hit.time,
                    });
                }
                None => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hit(secs: i64, host: Option<&str>, fields: serde_json::Value) -> Hit {
        Hit {
            id: format!("{secs:032x}"),
            time: Timestamp::from_second(secs).expect("time"),
            ingest_time: false,
            input: "evtx".into(),
            host: host.map(Into::into),
            fields,
        }
    }

    #[test]
    fn sightings_count_events_and_span_their_times() {
        let hits = [
            hit(
                20,
                Some("DC01"),
                json!({"IpAddress": "10.1.2.3", "TargetUserName": "alice"}),
            ),
            hit(
                10,
                Some("dc01"),
                json!({"IpAddress": "10.1.2.3", "SourceIp": "10.1.2.3"}),
            ),
        ];
        let found = sightings(&hits);
        let ip = found.iter().find(|s| s.kind == ObservableKind::Ip).expect("ip");
        assert_eq!(ip.count, 2, "one per event, whatever the fields");
        assert_eq!((ip.first.as_second(), ip.last.as_second()), (10, 20));
        let host = found.iter().find(|s| s.kind == ObservableKind::Host).expect("host");
        assert_eq!(
            (host.value.as_str(), host.count, host.field.as_str()),
            ("dc01", 2, "host")
        );
        assert_eq!(found.len(), 3);
    }
}

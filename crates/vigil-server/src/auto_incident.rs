//! Auto-incident policies (`[[respond.auto_incident]]`): a task follows new alerts and opens an
//! incident when a policy matches — every alert at or above a level, or `count` open alerts at or
//! above a level on one host within a window. Incidents are opened as `system`, audited, and
//! carry the policy's name in their description. The position read so far is kept in the state
//! (blob `auto-incident-cursor`), so a restart neither skips nor repeats alerts.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_api_types::incidents::NewIncident;
use vigil_event::Level;
use vigil_respond::{AlertStatus, PriorityMatrix, Severity};
use vigil_state::{Actor, Alert, AlertQuery, AuditOutcome, NewAuditEntry, State, StateError};

const CURSOR_BLOB: &str = "auto-incident-cursor";
const EVERY: Duration = Duration::from_secs(2);
const BATCH: u32 = 500;

/// One policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoIncidentPolicy {
    pub name: String,
    /// Alerts at or above this level count.
    pub min_level: Level,
    /// How many open alerts on one host open an incident (1: every alert).
    pub count: u32,
    /// Within how long (for `count` > 1).
    pub within: Duration,
    /// The RSIT classification given to the incident.
    pub classification: String,
}

/// Starts the task (nothing to do without policies).
pub fn spawn(
    state: State,
    policies: Vec<AutoIncidentPolicy>,
    matrix: PriorityMatrix,
    stop: CancellationToken,
) -> Option<JoinHandle<()>> {
    if policies.is_empty() {
        return None;
    }
    let policies = Arc::new(policies);
    Some(tokio::spawn(async move {
        loop {
            if let Err(e) = pass(&state, &policies, &matrix).await {
                tracing::error!(error = %e, "auto-incident policies");
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(EVERY) => {}
            }
        }
    }))
}

async fn cursor(state: &State) -> Result<i64, StateError> {
    let bytes = state.get_blob(CURSOR_BLOB).await?.unwrap_or_default();
    Ok(std::str::from_utf8(&bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

/// Reads the alerts after the cursor and applies the policies to each; moves the cursor.
pub async fn pass(state: &State, policies: &[AutoIncidentPolicy], matrix: &PriorityMatrix) -> Result<(), StateError> {
    let mut after = cursor(state).await?;
    loop {
        let alerts = state.alerts_after(after, BATCH).await?;
        let Some(last) = alerts.last().map(|a| a.seq) else {
            return Ok(());
        };
        for alert in &alerts {
            apply(state, policies, matrix, alert).await?;
        }
        after = last;
        state.put_blob(CURSOR_BLOB, after.to_string().as_bytes()).await?;
    }
}

fn rank(level: &str) -> u8 {
    Level::parse(level).map_or(0, Level::rank)
}

/// The first policy that matches `alert` opens its incident.
async fn apply(
    state: &State,
    policies: &[AutoIncidentPolicy],
    matrix: &PriorityMatrix,
    alert: &Alert,
) -> Result<(), StateError> {
    for p in policies.iter().filter(|p| rank(&alert.level) >= p.min_level.rank()) {
        // The alert may have been taken since (triaged, merged into an incident by hand).
        let Some(current) = state.get_alert(&alert.tenant, &alert.id).await? else {
            return Ok(());
        };
        if !current.status.is_open() {
            return Ok(());
        }
        let ids = if p.count <= 1 {
            vec![alert.id.clone()]
        } else {
            let Some(host) = &alert.host else { continue };
            let q = AlertQuery {
                host: Some(host.clone()),
                min_level: Some(p.min_level),
                status: vec![AlertStatus::New, AlertStatus::Acknowledged],
                since: Some(alert.detected - SignedDuration::try_from(p.within).unwrap_or(SignedDuration::MAX)),
                limit: Some(1000),
                ..AlertQuery::default()
            };
            let page = state.list_alerts(&alert.tenant, &q).await?;
            if page.total < u64::from(p.count) {
                continue;
            }
            page.alerts.iter().map(|a| a.id.clone()).collect()
        };
        open(state, p, matrix, alert, ids).await?;
        return Ok(());
    }
    Ok(())
}

async fn open(
    state: &State,
    p: &AutoIncidentPolicy,
    matrix: &PriorityMatrix,
    alert: &Alert,
    ids: Vec<String>,
) -> Result<(), StateError> {
    let host = alert.host.as_deref().unwrap_or("an unknown host");
    let title = if ids.len() > 1 {
        format!("{} alerts on {host}", ids.len())
    } else {
        format!("{} on {host}", alert.rule_title)
    };
    let new = NewIncident {
        title: title.chars().take(256).collect(),
        severity: Severity::from_sigma_level(&alert.level),
        classification: p.classification.clone(),
        alert_ids: ids,
        description: Some(format!("Opened by the auto-incident policy `{}`.", p.name)),
        impact: None,
        urgency: None,
        tlp: None,
        pap: None,
        owner: None,
        team: None,
        attack: Vec::new(),
    };
    let who = Actor {
        id: "system".into(),
        audit: NewAuditEntry::new("system", "incident.create", AuditOutcome::Success).with_tenant(alert.tenant.clone()),
        at: Some(Timestamp::now()),
    };
    match state.create_incident(&alert.tenant, &new, matrix, &who).await {
        Ok(s) => {
            tracing::info!(incident = %s.incident.id, policy = %p.name, "auto-incident opened");
            Ok(())
        }
        // Taken by someone else meanwhile: nothing to open.
        Err(StateError::Conflict(e)) => {
            tracing::info!(policy = %p.name, "auto-incident skipped: {e}");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

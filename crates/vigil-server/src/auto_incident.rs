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
use vigil_respond::{AlertStatus, PriorityMatrix, Runbooks, Severity};
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

/// How an auto-incident is opened: its priority matrix and the runbooks its tasks come from.
#[derive(Debug, Clone, Default)]
pub struct Opening {
    pub matrix: PriorityMatrix,
    pub runbooks: Runbooks,
}

/// Starts the task (nothing to do without policies).
pub fn spawn(
    state: State,
    policies: Vec<AutoIncidentPolicy>,
    matrix: PriorityMatrix,
    runbooks: Runbooks,
    stop: CancellationToken,
) -> Option<JoinHandle<()>> {
    if policies.is_empty() {
        return None;
    }
    let policies = Arc::new(policies);
    let setup = Opening { matrix, runbooks };
    Some(tokio::spawn(async move {
        loop {
            if let Err(e) = pass(&state, &policies, &setup).await {
                tracing::error!(error = %e, "auto-incident policies");
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(EVERY) => {}
            }
        }
    }))
}

/// Where the policies left off. The first time (no cursor yet: policies just configured, or a
/// store from before them) it is the newest alert: a policy applies to alerts raised after it
/// was switched on, never to the whole history at once.
async fn cursor(state: &State) -> Result<i64, StateError> {
    let stored = state.get_blob(CURSOR_BLOB).await?;
    match stored
        .as_deref()
        .and_then(|b| std::str::from_utf8(b).ok()?.parse().ok())
    {
        Some(seq) => Ok(seq),
        None => {
            let head = state.last_alert_seq().await?;
            state.put_blob(CURSOR_BLOB, head.to_string().as_bytes()).await?;
            Ok(head)
        }
    }
}

/// Reads the alerts after the cursor and applies the policies to each; moves the cursor.
pub async fn pass(state: &State, policies: &[AutoIncidentPolicy], how: &Opening) -> Result<(), StateError> {
    let mut after = cursor(state).await?;
    loop {
        let alerts = state.alerts_after(after, BATCH).await?;
        let Some(last) = alerts.last().map(|a| a.seq) else {
            return Ok(());
        };
        for alert in &alerts {
            apply(state, policies, how, alert).await?;
        }
        after = last;
        state.put_blob(CURSOR_BLOB, after.to_string().as_bytes()).await?;
    }
}

fn rank(level: &str) -> u8 {
    Level::parse(level).map_or(0, Level::rank)
}

/// The first policy that matches `alert` opens its incident.
async fn apply(state: &State, policies: &[AutoIncidentPolicy], how: &Opening, alert: &Alert) -> Result<(), StateError> {
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
        open(state, p, how, alert, ids).await?;
        return Ok(());
    }
    Ok(())
}

async fn open(
    state: &State,
    p: &AutoIncidentPolicy,
    how: &Opening,
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
    let tasks = how
        .runbooks
        .for_classification(&new.classification)
        .map(|t| t.plan(Timestamp::now()))
        .unwrap_or_default();
    match state
        .create_incident_with_tasks(&alert.tenant, &new, &how.matrix, &tasks, &who)
        .await
    {
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

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_state::{AlertKind, NewAlert};

    fn critical(id: &str) -> NewAlert {
        NewAlert {
            id: id.into(),
            tenant: "default".into(),
            rule_id: "r1".into(),
            rule_title: "Rule".into(),
            level: "critical".into(),
            kind: AlertKind::Detection,
            attack: vec![],
            tags: vec![],
            event_ids: vec![format!("ev-{id}")],
            group_key: None,
            event_time: None,
            detected: Timestamp::now(),
            input: None,
            host: Some("web01".into()),
            matched: serde_json::Value::Null,
            grouping: None,
        }
    }

    /// Regression: the first pass started at position 0, so switching a policy on opened an
    /// incident for every matching alert of the whole history.
    #[tokio::test]
    async fn a_new_policy_applies_to_alerts_raised_after_it_only() {
        let state = State::open_in_memory().await.expect("state");
        state.insert_alerts(&[critical("old")]).await.expect("alert");
        let policies = [AutoIncidentPolicy {
            name: "critical".into(),
            min_level: Level::Critical,
            count: 1,
            within: Duration::ZERO,
            classification: "other:undetermined".into(),
        }];
        let matrix = Opening {
            matrix: PriorityMatrix::default(),
            runbooks: crate::runbooks::built_in().runbooks,
        };
        pass(&state, &policies, &matrix).await.expect("pass");
        let open = state.open_incidents_after(0, 10).await.expect("incidents");
        assert!(open.is_empty(), "the history is left alone");
        state.insert_alerts(&[critical("new")]).await.expect("alert");
        pass(&state, &policies, &matrix).await.expect("pass");
        let open = state.open_incidents_after(0, 10).await.expect("incidents");
        assert_eq!(open.len(), 1);
        let id = &open[0].1.incident.id;
        let incident = state
            .get_incident("default", id, false)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(incident.incident.alert_ids, ["new"]);
    }
}

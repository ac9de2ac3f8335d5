//! SLA events, escalation and notification delivery: one task that, every
//! `[respond] check_interval`,
//! 1. evaluates the SLA timers of every open incident and records each timer's warning and breach
//!    once (a timeline entry, and notifications to `[respond.notify]`'s channels);
//! 2. walks the escalation policies: after `after` without the policy's milestone
//!    (acknowledged, or resolved) a level notifies its channels, again every `repeat`; the
//!    milestone stops the chain;
//! 3. delivers the queued notifications (`vigil-notify`), retrying with backoff; every delivery
//!    and final failure is on the incident's timeline.
//!
//! Each event is recorded once ([`State::raise_incident_event`]: a flag, the timeline entry and
//! the queued notifications in one transaction), so a restart neither repeats nor loses one;
//! a notification keeps its delivery id across retries.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_notify::{Channel, Notification, Notifier, NotifyError};
use vigil_respond::{MilestoneTimes, SlaPolicies, Timer, TimerState};
use vigil_state::State;
use vigil_state::incidents::StoredIncident;
use vigil_state::notifications::{DeliveryOutcome, IncidentEvent, NewNotification, PendingNotification};

/// Attempts before a notification is given up.
const MAX_ATTEMPTS: u32 = 10;

/// What a policy waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Acknowledged,
    Resolved,
}

/// One level of an escalation policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationLevel {
    /// Time since the incident was created.
    pub after: Duration,
    /// Channel names.
    pub notify: Vec<String>,
    /// Notify again every this long while the milestone is missing.
    pub repeat: Option<Duration>,
}

/// `[[respond.escalation]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPolicy {
    pub name: String,
    /// Priorities it applies to (1 = P1); empty: all.
    pub priorities: Vec<u8>,
    pub until: Until,
    pub levels: Vec<EscalationLevel>,
}

/// Everything the task needs from the configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotifyConfig {
    pub channels: BTreeMap<String, Channel>,
    pub outbound: vigil_notify::OutboundPolicy,
    /// Channels per SLA event: `sla_warning`, `sla_breach`.
    pub on_sla_warning: Vec<String>,
    pub on_sla_breach: Vec<String>,
    pub escalation: Vec<EscalationPolicy>,
    pub check_interval: Duration,
}

/// Starts the task (nothing to do without SLA events to record and nowhere to notify is still
/// worth running: the timeline records warnings and breaches).
pub fn spawn(
    state: State,
    sla: SlaPolicies,
    config: NotifyConfig,
    clock: vigil_api::Clock,
    stop: CancellationToken,
) -> Result<JoinHandle<()>, NotifyError> {
    let notifier = Notifier::new(config.outbound.clone())?;
    let config = Arc::new(config);
    Ok(tokio::spawn(async move {
        let every = config.check_interval.max(Duration::from_millis(100));
        loop {
            let now = clock.now();
            if let Err(e) = check_incidents(&state, &sla, &config, now).await {
                tracing::error!(error = %e, "SLA and escalation check");
            }
            if let Err(e) = deliver(&state, &notifier, &config, clock.now()).await {
                tracing::error!(error = %e, "notification delivery");
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }))
}

/// One pass over the open incidents.
pub async fn check_incidents(
    state: &State,
    sla: &SlaPolicies,
    config: &NotifyConfig,
    now: Timestamp,
) -> Result<(), vigil_state::StateError> {
    let mut after = 0;
    loop {
        let batch = state.open_incidents_after(after, 500).await?;
        let Some(&(last, _)) = batch.last() else {
            return Ok(());
        };
        for (_, stored) in &batch {
            for event in sla_events(sla, config, stored, now)
                .into_iter()
                .chain(escalations(config, stored, now))
            {
                let i = &stored.incident;
                state.raise_incident_event(&i.tenant, &i.id, &event, now).await?;
            }
        }
        after = last;
    }
}

fn notification(
    stored: &StoredIncident,
    flag: &str,
    kind: &str,
    subject: String,
    text: String,
    at: Timestamp,
) -> Notification {
    let i = &stored.incident;
    Notification {
        id: delivery_id(&i.id, flag),
        tenant: i.tenant.clone(),
        kind: kind.to_owned(),
        subject,
        text,
        incident_id: Some(i.id.clone()),
        severity: Some(i.severity.get()),
        priority: Some(i.priority.name().to_owned()),
        link: None,
        at,
    }
}

/// `inc-…_sla_warning_acknowledge`: letters, digits and `._-` only.
fn delivery_id(incident: &str, flag: &str) -> String {
    let flag: String = flag
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{incident}_{flag}")
}

/// One queued notification per channel of `channels`.
fn queue(n: &Notification, channels: &[String]) -> Vec<NewNotification> {
    channels
        .iter()
        .map(|c| {
            let mut per = n.clone();
            per.id = format!("{}.{}", n.id, delivery_id("", c).trim_start_matches('_'));
            NewNotification {
                id: per.id.clone(),
                channel: c.clone(),
                kind: per.kind.clone(),
                payload: serde_json::to_string(&per).unwrap_or_default(),
            }
        })
        .collect()
}

fn due_text(t: &Timer) -> String {
    t.due.map_or_else(
        || "not reachable on its calendar".into(),
        |d| d.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// The warnings and breaches of the incident's timers at `now`.
fn sla_events(sla: &SlaPolicies, config: &NotifyConfig, stored: &StoredIncident, now: Timestamp) -> Vec<IncidentEvent> {
    let i = &stored.incident;
    let m = &i.milestones;
    let times = MilestoneTimes {
        created: m.created,
        acknowledged: m.acknowledged,
        contained: m.contained,
        resolved: m.resolved,
    };
    let timers = sla.timers(i.priority, &times, &stored.pauses, now);
    let mut events = Vec::new();
    for (metric, timer) in [
        ("acknowledge", &timers.acknowledge),
        ("contain", &timers.contain),
        ("resolve", &timers.resolve),
    ] {
        let Some(t) = timer else { continue };
        let (kind, flag, channels, what) = match t.state {
            TimerState::Breached => (
                "sla_breached",
                format!("sla_breach:{metric}"),
                &config.on_sla_breach,
                "breached",
            ),
            TimerState::Running | TimerState::Paused if t.warning => (
                "sla_warning",
                format!("sla_warning:{metric}"),
                &config.on_sla_warning,
                "near its target",
            ),
            _ => continue,
        };
        let text = format!("SLA {metric} {what} ({} policy, due {})", timers.policy, due_text(t));
        let subject = format!("[{}] {}: {text}", i.priority.name(), i.title);
        let n = notification(
            stored,
            &flag,
            kind,
            subject,
            format!("Incident {}: {}\n{text}", i.id, i.title),
            now,
        );
        events.push(IncidentEvent {
            flag,
            kind,
            text,
            detail: Some(json!({"metric": metric, "due": t.due, "channels": channels})),
            notifications: queue(&n, channels),
        });
    }
    events
}

/// The escalation levels (and repeats) due at `now`.
fn escalations(config: &NotifyConfig, stored: &StoredIncident, now: Timestamp) -> Vec<IncidentEvent> {
    let i = &stored.incident;
    let elapsed = now.duration_since(i.milestones.created);
    let mut events = Vec::new();
    for p in &config.escalation {
        let reached = match p.until {
            Until::Acknowledged => i.milestones.acknowledged.is_some(),
            Until::Resolved => i.milestones.resolved.is_some(),
        };
        if reached || !(p.priorities.is_empty() || p.priorities.contains(&i.priority.get())) {
            continue;
        }
        for (level, l) in p.levels.iter().enumerate() {
            let after = SignedDuration::try_from(l.after).unwrap_or(SignedDuration::MAX);
            if elapsed < after {
                continue;
            }
            // The latest repeat only: earlier ones were raised by earlier passes (or are moot).
            let round = match l
                .repeat
                .and_then(|r| SignedDuration::try_from(r).ok())
                .filter(|r| !r.is_zero())
            {
                Some(r) => 1 + ((elapsed - after).as_secs() / r.as_secs().max(1)),
                None => 1,
            };
            let flag = format!("escalation:{}:{level}:{round}", p.name);
            let until = match p.until {
                Until::Acknowledged => "acknowledged",
                Until::Resolved => "resolved",
            };
            let text = format!(
                "escalated: level {} of `{}` (not {until} after {}), notified {}",
                level + 1,
                p.name,
                vigil_api_types::duration::format_duration(after),
                l.notify.join(", ")
            );
            let subject = format!("[{}] Escalation: {}", i.priority.name(), i.title);
            let n = notification(
                stored,
                &flag,
                "escalation",
                subject,
                format!("Incident {}: {}\n{text}", i.id, i.title),
                now,
            );
            events.push(IncidentEvent {
                flag,
                kind: "escalated",
                text,
                detail: Some(json!({"policy": p.name, "level": level + 1, "round": round})),
                notifications: queue(&n, &l.notify),
            });
        }
    }
    events
}

/// Delivers what is due.
pub async fn deliver(
    state: &State,
    notifier: &Notifier,
    config: &NotifyConfig,
    now: Timestamp,
) -> Result<(), vigil_state::StateError> {
    for n in state.due_notifications(now, 100).await? {
        let outcome = attempt(notifier, config, &n, now).await;
        state.record_delivery(&n, &outcome, Timestamp::now()).await?;
    }
    Ok(())
}

async fn attempt(
    notifier: &Notifier,
    config: &NotifyConfig,
    n: &PendingNotification,
    now: Timestamp,
) -> DeliveryOutcome {
    let Some(channel) = config.channels.get(&n.channel) else {
        return DeliveryOutcome::Failed {
            error: format!("no channel is named `{}` in [respond.channels]", n.channel),
        };
    };
    let message: Notification = match serde_json::from_str(&n.payload) {
        Ok(m) => m,
        Err(e) => {
            return DeliveryOutcome::Failed {
                error: format!("unreadable payload: {e}"),
            };
        }
    };
    match notifier.send(channel, &message).await {
        Ok(d) => DeliveryOutcome::Delivered {
            detail: d
                .status
                .map_or_else(|| d.detail.clone(), |s| format!("{s} {}", d.detail)),
        },
        Err(e) if e.is_retryable() && n.attempts + 1 < MAX_ATTEMPTS => {
            let wait = e.retry_after().unwrap_or_else(|| vigil_notify::backoff(n.attempts));
            DeliveryOutcome::Retry {
                next: now + SignedDuration::try_from(wait).unwrap_or(SignedDuration::from_hours(1)),
                error: e.to_string(),
            }
        }
        Err(e) => DeliveryOutcome::Failed { error: e.to_string() },
    }
}

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

use crate::oncall::{Outgoing, Recipients};
use vigil_respond::{SlaPolicies, Timer, TimerState};
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
    /// Channel names, `oncall:<rotation>`, `person:<name>` and `team:<name>` ([`crate::oncall`]).
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
    /// The rotations, people and teams notify lists may name beside channels.
    pub recipients: Recipients,
}

/// Starts the task. It runs even with no channel configured: the timeline still records SLA
/// warnings, breaches and escalation levels.
pub fn spawn(
    state: State,
    sla: SlaPolicies,
    config: NotifyConfig,
    stop: CancellationToken,
) -> Result<JoinHandle<()>, NotifyError> {
    let notifier = Notifier::new(config.outbound.clone())?;
    let config = Arc::new(config);
    Ok(tokio::spawn(async move {
        let every = config.check_interval.max(Duration::from_millis(100));
        loop {
            let now = Timestamp::now();
            if let Err(e) = check_incidents(&state, &sla, &config, now).await {
                tracing::error!(error = %e, "SLA and escalation check");
            }
            if let Err(e) = deliver(&state, &notifier, &config, Timestamp::now()).await {
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
        // One read of the flags already raised: a pass that finds nothing new writes nothing.
        let ids: Vec<String> = batch.iter().map(|(_, s)| s.incident.id.clone()).collect();
        let raised = state.incident_flags(&ids).await?;
        for (_, stored) in &batch {
            let i = &stored.incident;
            let events = sla_events(sla, config, stored, now)
                .into_iter()
                .chain(escalations(config, stored, now));
            for event in events.filter(|e| !raised.contains(&(i.id.clone(), e.flag.clone()))) {
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

/// One queued notification per target of `targets` (a channel; `oncall:<rotation>` addressed
/// to whoever is on call at `n.at`; `person:` or `team:` addressed to them).
fn queue(config: &NotifyConfig, n: &Notification, targets: &[String]) -> Vec<NewNotification> {
    targets
        .iter()
        .map(|t| {
            let to = config.recipients.resolve(t, n.at);
            let mut per = n.clone();
            per.id = format!("{}.{}", n.id, delivery_id("", t).trim_start_matches('_'));
            if let Some(person) = &to.person {
                per.text = format!("{}\nOn call: {person}", per.text);
            }
            let payload = Outgoing {
                notification: per,
                to: to.to,
            };
            NewNotification {
                id: payload.notification.id.clone(),
                channel: to.channel,
                kind: payload.notification.kind.clone(),
                payload: serde_json::to_string(&payload).unwrap_or_default(),
            }
        })
        .collect()
}

/// How `targets` read on the timeline at `at`: `soc-mail`, `oncall:soc-primary (alice)`,
/// `team:tier2 (alice, bob)`.
fn notified(config: &NotifyConfig, targets: &[String], at: Timestamp) -> Vec<String> {
    targets.iter().map(|t| config.recipients.resolve(t, at).label).collect()
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
    let timers = sla.timers(i.priority, &i.milestones.sla_times(), &stored.pauses, now);
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
            detail: Some(json!({"metric": metric, "due": t.due, "channels": notified(config, channels, now)})),
            notifications: queue(config, &n, channels),
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
            let notified = notified(config, &l.notify, now);
            let text = format!(
                "escalated: level {} of `{}` (not {until} after {}), notified {}",
                level + 1,
                p.name,
                vigil_api_types::duration::format_duration(after),
                notified.join(", ")
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
                detail: Some(json!({"policy": p.name, "level": level + 1, "round": round, "notified": notified})),
                notifications: queue(config, &n, &l.notify),
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
    let Outgoing {
        notification: message,
        to,
    } = match serde_json::from_str(&n.payload) {
        Ok(m) => m,
        Err(e) => {
            return DeliveryOutcome::Failed {
                error: format!("unreadable payload: {e}"),
            };
        }
    };
    let channel = crate::oncall::addressed(channel, &to);
    match notifier.send(&channel, &message).await {
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

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_api_types::incidents::{IncidentPatch, NewIncident};
    use vigil_respond::{IncidentStatus, PriorityMatrix, Severity};
    use vigil_state::{Actor, AuditOutcome, NewAuditEntry};

    fn t0() -> Timestamp {
        "2026-12-07T09:00:00Z".parse().expect("instant")
    }

    fn at_min(m: i64) -> Timestamp {
        t0() + SignedDuration::from_mins(m)
    }

    fn by(action: &str, at: Timestamp) -> Actor {
        Actor {
            id: "user:ann".into(),
            audit: NewAuditEntry::new("user:ann", action, AuditOutcome::Success),
            at: Some(at),
        }
    }

    async fn kinds(state: &State, id: &str) -> Vec<String> {
        let s = state
            .get_incident("default", id, true)
            .await
            .expect("read")
            .expect("exists");
        s.incident.timeline.iter().map(|t| t.kind.clone()).collect()
    }

    fn count(kinds: &[String], kind: &str) -> usize {
        kinds.iter().filter(|k| *k == kind).count()
    }

    /// The whole chain on a driven clock: a P1 incident (acknowledge within 15 min, warning at
    /// 80 %) escalates after 10 min and every 30 min after, until acknowledged.
    #[tokio::test]
    async fn sla_events_and_escalations_follow_the_clock_and_stop_at_acknowledgement() {
        let state = State::open_in_memory().await.expect("state");
        let new = NewIncident {
            title: "t".into(),
            severity: Severity::try_from(4).expect("critical"),
            classification: "test:test".into(),
            alert_ids: vec![],
            description: None,
            impact: None,
            urgency: None,
            tlp: None,
            pap: None,
            owner: None,
            team: None,
            attack: vec![],
        };
        let matrix = PriorityMatrix::default();
        let id = state
            .create_incident("default", &new, &matrix, &by("incident.create", t0()))
            .await
            .expect("incident")
            .incident
            .id;
        let config = NotifyConfig {
            escalation: vec![EscalationPolicy {
                name: "p1".into(),
                priorities: vec![1],
                until: Until::Acknowledged,
                levels: vec![EscalationLevel {
                    after: Duration::from_secs(600),
                    notify: vec![],
                    repeat: Some(Duration::from_secs(1800)),
                }],
            }],
            ..NotifyConfig::default()
        };
        let sla = SlaPolicies::default();
        let check = |m: i64| check_incidents(&state, &sla, &config, at_min(m));
        check(5).await.expect("check");
        assert_eq!(kinds(&state, &id).await, ["created"], "nothing yet at 5 min");
        check(11).await.expect("check");
        let k = kinds(&state, &id).await;
        assert_eq!(count(&k, "escalated"), 1, "{k:?}");
        assert_eq!(count(&k, "sla_warning"), 0, "the warning is at 12 min: {k:?}");
        check(13).await.expect("check");
        check(13).await.expect("again");
        let k = kinds(&state, &id).await;
        assert_eq!(
            (count(&k, "escalated"), count(&k, "sla_warning")),
            (1, 1),
            "each once: {k:?}"
        );
        check(16).await.expect("check");
        assert_eq!(count(&kinds(&state, &id).await, "sla_breached"), 1);
        check(41).await.expect("check");
        assert_eq!(count(&kinds(&state, &id).await, "escalated"), 2, "the 30-minute repeat");
        let ack = IncidentPatch {
            status: Some(IncidentStatus::Acknowledged),
            ..IncidentPatch::default()
        };
        state
            .update_incident("default", &id, &ack, &matrix, &by("incident.update", at_min(42)))
            .await
            .expect("ack");
        check(80).await.expect("check");
        check(120).await.expect("check");
        assert_eq!(
            count(&kinds(&state, &id).await, "escalated"),
            2,
            "the acknowledgement stops the chain"
        );
    }
}

//! SLA policies: per priority, targets to acknowledge, contain and resolve an incident, counted on
//! a named calendar, with a warning share. [`SlaPolicies::timers`] evaluates an incident's three
//! timers from its milestones and pauses at an instant.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::Calendar;
use crate::error::RespondError;
use crate::priority::Priority;
use crate::sla::{Pause, Timer, TimerInput, evaluate};

/// The name of the built-in round-the-clock calendar.
pub const ALWAYS_ON: &str = "24x7";

/// The targets of one priority.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicy {
    /// A name shown with the timers, such as `P1`.
    pub name: String,
    /// Working time allowed from creation to each milestone (`None`: no target).
    pub acknowledge: Option<SignedDuration>,
    pub contain: Option<SignedDuration>,
    pub resolve: Option<SignedDuration>,
    /// The share of a target from which a running timer warns (0 < share ≤ 1).
    pub warn_share: f64,
    /// The calendar the clocks run on ([`ALWAYS_ON`] or a configured one).
    pub calendar: String,
}

impl SlaPolicy {
    /// A policy on the 24×7 calendar warning at 80 %.
    pub fn always_on(name: &str, acknowledge: i64, contain: i64, resolve: i64) -> SlaPolicy {
        SlaPolicy {
            name: name.to_owned(),
            acknowledge: Some(SignedDuration::from_mins(acknowledge)),
            contain: Some(SignedDuration::from_mins(contain)),
            resolve: Some(SignedDuration::from_mins(resolve)),
            warn_share: 0.8,
            calendar: ALWAYS_ON.to_owned(),
        }
    }
}

/// The first time of the milestones the timers stop at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilestoneTimes {
    pub created: Timestamp,
    pub acknowledged: Option<Timestamp>,
    pub contained: Option<Timestamp>,
    pub resolved: Option<Timestamp>,
}

/// An incident's SLA timers, per metric (absent when the policy sets no target for it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentTimers {
    /// The policy applied (by priority).
    pub policy: String,
    /// The calendar the clocks run on.
    pub calendar: String,
    pub acknowledge: Option<Timer>,
    pub contain: Option<Timer>,
    pub resolve: Option<Timer>,
}

/// One policy per priority (P1 … P5) and the calendars they name.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicies {
    by_priority: [SlaPolicy; 5],
    calendars: BTreeMap<String, Calendar>,
}

impl Default for SlaPolicies {
    /// Round the clock: P1 15 min / 4 h / 24 h to acknowledge / contain / resolve, P2 30 min / 8 h /
    /// 3 d, P3 4 h / 24 h / 7 d, P4 8 h / 3 d / 14 d, P5 24 h / 7 d / 30 d.
    fn default() -> SlaPolicies {
        const H: i64 = 60;
        const D: i64 = 24 * H;
        SlaPolicies {
            by_priority: [
                SlaPolicy::always_on("P1", 15, 4 * H, D),
                SlaPolicy::always_on("P2", 30, 8 * H, 3 * D),
                SlaPolicy::always_on("P3", 4 * H, D, 7 * D),
                SlaPolicy::always_on("P4", 8 * H, 3 * D, 14 * D),
                SlaPolicy::always_on("P5", D, 7 * D, 30 * D),
            ],
            calendars: BTreeMap::from([(ALWAYS_ON.to_owned(), Calendar::AlwaysOn)]),
        }
    }
}

impl SlaPolicies {
    /// Policies for P1 … P5 over `calendars` (the 24×7 one is always there). Every policy's
    /// calendar must exist and its warning share lie in (0, 1]; all problems are reported.
    pub fn new(by_priority: [SlaPolicy; 5], mut calendars: BTreeMap<String, Calendar>) -> Result<Self, Vec<String>> {
        calendars.insert(ALWAYS_ON.to_owned(), Calendar::AlwaysOn);
        let mut problems = Vec::new();
        for p in &by_priority {
            if !calendars.contains_key(&p.calendar) {
                let known: Vec<&str> = calendars.keys().map(String::as_str).collect();
                problems.push(format!(
                    "policy {}: no calendar is named `{}` (known: {})",
                    p.name,
                    p.calendar,
                    known.join(", ")
                ));
            }
            if !(p.warn_share > 0.0 && p.warn_share <= 1.0) {
                problems.push(format!("policy {}: warn_at must be above 0 and at most 1", p.name));
            }
            for (metric, target) in [
                ("acknowledge", p.acknowledge),
                ("contain", p.contain),
                ("resolve", p.resolve),
            ] {
                if target.is_some_and(|t| t <= SignedDuration::ZERO) {
                    problems.push(format!("policy {}: {metric} must be a positive duration", p.name));
                }
            }
        }
        if problems.is_empty() {
            Ok(SlaPolicies { by_priority, calendars })
        } else {
            Err(problems)
        }
    }

    /// The policies, P1 first.
    pub fn by_priority(&self) -> &[SlaPolicy; 5] {
        &self.by_priority
    }

    /// The policy of `priority`.
    pub fn policy(&self, priority: Priority) -> &SlaPolicy {
        let index = usize::from(priority.get().clamp(1, 5)) - 1;
        &self.by_priority[index]
    }

    /// The calendar named `name`, if configured.
    pub fn calendar(&self, name: &str) -> Option<&Calendar> {
        self.calendars.get(name)
    }

    /// The timers of an incident of `priority` with milestones `m` and `pauses`, at `now`.
    pub fn timers(&self, priority: Priority, m: &MilestoneTimes, pauses: &[Pause], now: Timestamp) -> IncidentTimers {
        let policy = self.policy(priority);
        let calendar = self.calendars.get(&policy.calendar).unwrap_or(&Calendar::AlwaysOn);
        let timer = |target: Option<SignedDuration>, stopped: Option<Timestamp>| {
            target.map(|target| {
                let input = TimerInput {
                    started: m.created,
                    target,
                    stopped,
                    pauses,
                    warn_share: policy.warn_share,
                };
                evaluate(calendar, &input, now)
            })
        };
        IncidentTimers {
            policy: policy.name.clone(),
            calendar: policy.calendar.clone(),
            acknowledge: timer(policy.acknowledge, m.acknowledged),
            contain: timer(policy.contain, m.contained),
            resolve: timer(policy.resolve, m.resolved),
        }
    }
}

/// Checks a configured policy name list: exactly the five priorities.
pub fn check_priorities(names: &[&str]) -> Result<(), RespondError> {
    let expected = ["P1", "P2", "P3", "P4", "P5"];
    match names.iter().find(|n| !expected.contains(n)) {
        Some(bad) => Err(RespondError::Invalid(format!(
            "`{bad}` is not a priority; the priorities are P1 to P5"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::TimerState;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    #[test]
    fn default_p1_acknowledge_breaches_after_a_quarter_hour() {
        let policies = SlaPolicies::default();
        let p1 = Priority::try_from(1).expect("P1");
        let m = MilestoneTimes {
            created: at("2026-12-01T10:00:00Z"),
            acknowledged: None,
            contained: None,
            resolved: None,
        };
        let early = policies.timers(p1, &m, &[], at("2026-12-01T10:10:00Z"));
        let ack = early.acknowledge.expect("ack timer");
        assert_eq!((ack.state, ack.warning), (TimerState::Running, false));
        assert_eq!(ack.due, Some(at("2026-12-01T10:15:00Z")));
        let warn = policies.timers(p1, &m, &[], at("2026-12-01T10:12:30Z"));
        assert!(warn.acknowledge.expect("ack").warning);
        let late = policies.timers(p1, &m, &[], at("2026-12-01T10:16:00Z"));
        assert_eq!(late.acknowledge.expect("ack").state, TimerState::Breached);
        assert_eq!(late.resolve.expect("resolve").state, TimerState::Running);
        let acked = MilestoneTimes {
            acknowledged: Some(at("2026-12-01T10:05:00Z")),
            ..m
        };
        let met = policies.timers(p1, &acked, &[], at("2026-12-01T11:00:00Z"));
        assert_eq!(met.acknowledge.expect("ack").state, TimerState::Met);
        assert_eq!(met.policy, "P1");
    }

    #[test]
    fn configured_policies_are_checked_all_at_once() {
        let mut bad = SlaPolicies::default().by_priority;
        bad[0].calendar = "office".into();
        bad[1].warn_share = 1.5;
        bad[2].resolve = Some(SignedDuration::ZERO);
        let problems = SlaPolicies::new(bad, BTreeMap::new()).expect_err("three problems");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("office"), "{problems:?}");
        assert!(check_priorities(&["P1", "P6"]).is_err());
    }
}

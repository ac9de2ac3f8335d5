//! Vigil's response domain, as pure logic: no I/O and no clock of its own.
//!
//! - Statuses: [`AlertStatus`] and [`Disposition`] for triage; [`IncidentStatus`] with its life
//!   cycle ([`check_transition`]) and the [`Milestone`]s SLA timers and KPIs measure to
//!   ([`milestones_reached`]); [`Severity`] and the [`Tlp`]/[`Pap`] sharing markings.
//! - [`rsit`]: the Reference Security Incident Taxonomy (RSIT 1.3) that classifies incidents.
//! - [`PriorityMatrix`]: ITIL priority from [`Impact`] and [`Urgency`].
//! - [`Calendar`]: working time, 24×7 or business hours in a time zone with holidays, configured
//!   through [`CalendarSpec`].
//! - [`Rotation`]: who is on call at an instant, from a weekly [`RotationSpec`] with overrides.
//! - [`evaluate`]: an SLA [`Timer`] (running, paused, met, breached, due when) at a given instant.
//! - [`observables`]: the observables of an event (IPs, domains, users, hashes…), checked and
//!   normalised.
//!
//! Time always comes in as an argument (`now`), so callers drive it from their injected clock and
//! tests pin it. Everything here is deterministic and total: no input panics, and calendar walks
//! are bounded by [`MAX_DAYS`].

mod wire;

mod calendar;
mod error;
pub mod kpi;
pub mod measure;
pub mod observables;
mod oncall;
pub mod policy;
mod priority;
pub mod rsit;
mod runbook;
mod sla;
mod status;

pub use calendar::{BusinessHours, Calendar, CalendarSpec, MAX_DAYS};
pub use error::RespondError;
pub use observables::ObservableKind;
pub use oncall::{OnCall, OverrideSpec, Rotation, RotationSpec};
pub use policy::{IncidentTimers, MilestoneTimes, SlaPolicies, SlaPolicy};
pub use priority::{Impact, Priority, PriorityMatrix, Urgency, default_impact_urgency};
pub use runbook::{MAX_TASK_TITLE, Phase, PlannedTask, Runbooks, TaskStatus, TaskTemplate, TemplateTask, parse_due};
pub use sla::{Pause, Timer, TimerInput, TimerState, evaluate};
pub use status::{
    AlertStatus, Disposition, IncidentStatus, Milestone, Pap, Severity, Tlp, check_transition, milestones_reached,
};

//! `[respond]`: the priority matrix, the SLA policies per priority and the calendars they count
//! on. Absent: the ITIL matrix and round-the-clock targets (`vigil_respond::SlaPolicies`).
//!
//! ```toml
//! [respond]
//! priority_matrix = { high = [1, 2, 3], medium = [2, 3, 4], low = [3, 4, 5] }
//!
//! [respond.calendars.office]
//! time_zone = "Europe/Brussels"
//! hours = { monday = "08:00-18:00", tuesday = "08:00-18:00", wednesday = "08:00-18:00",
//!           thursday = "08:00-18:00", friday = "08:00-17:00" }
//! holidays = ["2026-12-25", "2027-01-01"]
//!
//! [respond.sla.P3]            # P1 … P5; keys left out keep the default
//! acknowledge = "2h"
//! contain = "1d"
//! resolve = "5d"
//! warn_at = 0.75               # share of a target from which a timer warns
//! calendar = "office"          # or "24x7"
//!
//! [[respond.auto_incident]]    # open an incident for every critical alert
//! name = "critical alerts"
//! min_level = "critical"
//!
//! [[respond.auto_incident]]    # or for 5 open alerts of medium or more on one host in an hour
//! name = "busy host"
//! min_level = "medium"
//! count = 5
//! within = "1h"
//! classification = "other:undetermined"   # RSIT; the default
//! ```

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::Deserialize;
use vigil_respond::{CalendarSpec, PriorityMatrix, SlaPolicies};

use super::reader::Reader;
use crate::auto_incident::AutoIncidentPolicy;

const SECTION: &str = "respond";

/// The response workflow's settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RespondConfig {
    pub matrix: PriorityMatrix,
    pub sla: SlaPolicies,
    /// Auto-incident policies, in order (the first that matches an alert opens its incident).
    pub auto_incident: Vec<AutoIncidentPolicy>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RespondFile {
    priority_matrix: Option<PriorityMatrix>,
    #[serde(default)]
    calendars: BTreeMap<String, CalendarSpec>,
    #[serde(default)]
    sla: BTreeMap<String, SlaFile>,
    #[serde(default)]
    auto_incident: Vec<AutoFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoFile {
    name: String,
    min_level: String,
    count: Option<u32>,
    within: Option<String>,
    classification: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlaFile {
    acknowledge: Option<String>,
    contain: Option<String>,
    resolve: Option<String>,
    warn_at: Option<f64>,
    calendar: Option<String>,
}

/// Reads `[respond]`; every problem on its line.
pub(super) fn read(r: &mut Reader, table: &toml::Table) -> RespondConfig {
    let file: RespondFile = r.section(table, SECTION);
    let mut calendars = BTreeMap::new();
    for (name, spec) in &file.calendars {
        let section = format!("{SECTION}.calendars.{name}");
        match spec.build() {
            Ok(calendar) => {
                calendars.insert(name.clone(), calendar);
            }
            Err(problems) => problems.into_iter().for_each(|p| r.problem(Some(&section), "", p)),
        }
    }
    let mut policies = SlaPolicies::default().by_priority().clone();
    for (name, sla) in &file.sla {
        let section = format!("{SECTION}.sla");
        let Some(policy) = policies.iter_mut().find(|p| &p.name == name) else {
            r.problem(
                Some(&section),
                name,
                "not a priority: the policies are P1, P2, P3, P4 and P5",
            );
            continue;
        };
        let section = format!("{section}.{name}");
        let mut target = |key: &str, value: &Option<String>, into: &mut Option<SignedDuration>| {
            if let Some(d) = r.duration(&section, key, value.as_deref()) {
                *into = SignedDuration::try_from(d).ok();
            }
        };
        target("acknowledge", &sla.acknowledge, &mut policy.acknowledge);
        target("contain", &sla.contain, &mut policy.contain);
        target("resolve", &sla.resolve, &mut policy.resolve);
        if let Some(w) = sla.warn_at {
            policy.warn_share = w;
        }
        if let Some(c) = &sla.calendar {
            policy.calendar = c.clone();
        }
    }
    let sla = match SlaPolicies::new(policies, calendars) {
        Ok(sla) => sla,
        Err(problems) => {
            for p in problems {
                r.problem(Some(&format!("{SECTION}.sla")), "", p);
            }
            SlaPolicies::default()
        }
    };
    RespondConfig {
        matrix: file.priority_matrix.unwrap_or_default(),
        sla,
        auto_incident: file.auto_incident.iter().filter_map(|a| auto_policy(r, a)).collect(),
    }
}

/// One `[[respond.auto_incident]]`; problems are reported under its name.
fn auto_policy(r: &mut Reader, a: &AutoFile) -> Option<AutoIncidentPolicy> {
    let key = format!("auto_incident \"{}\"", a.name);
    let mut ok = true;
    let min_level = vigil_event::Level::parse(&a.min_level)
        .map_err(|e| {
            r.problem(Some(SECTION), &key, format!("min_level: {e}"));
            ok = false;
        })
        .ok();
    let classification = a.classification.clone().unwrap_or_else(|| "other:undetermined".into());
    if let Err(e) = vigil_respond::rsit::parse(&classification) {
        r.problem(Some(SECTION), &key, format!("classification: {e}"));
        ok = false;
    }
    let count = a.count.unwrap_or(1);
    if count == 0 || count > 1000 {
        r.problem(Some(SECTION), &key, "count: between 1 and 1000");
        ok = false;
    }
    let within = match (&a.within, count) {
        (Some(w), _) => r.duration(SECTION, &key, Some(w)),
        (None, 1) => Some(std::time::Duration::ZERO),
        (None, _) => {
            r.problem(Some(SECTION), &key, "within: a window is needed with count above 1");
            None
        }
    };
    match (ok, min_level, within) {
        (true, Some(min_level), Some(within)) => Some(AutoIncidentPolicy {
            name: a.name.clone(),
            min_level,
            count,
            within,
            classification,
        }),
        _ => None,
    }
}

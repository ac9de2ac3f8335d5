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
//! ```

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::Deserialize;
use vigil_respond::{CalendarSpec, PriorityMatrix, SlaPolicies};

use super::reader::Reader;

const SECTION: &str = "respond";

/// The response workflow's settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RespondConfig {
    pub matrix: PriorityMatrix,
    pub sla: SlaPolicies,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RespondFile {
    priority_matrix: Option<PriorityMatrix>,
    #[serde(default)]
    calendars: BTreeMap<String, CalendarSpec>,
    #[serde(default)]
    sla: BTreeMap<String, SlaFile>,
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
    }
}

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
//!
//! `attachment_max_bytes = "10MiB"` bounds an incident's evidence attachments.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::Deserialize;
use vigil_respond::{CalendarSpec, PriorityMatrix, SlaPolicies};

use super::reader::Reader;
use crate::auto_incident::AutoIncidentPolicy;
use crate::escalation::{EscalationLevel, EscalationPolicy, NotifyConfig, Until};

const SECTION: &str = "respond";

/// The response workflow's settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RespondConfig {
    pub matrix: PriorityMatrix,
    pub sla: SlaPolicies,
    /// Auto-incident policies, in order (the first that matches an alert opens its incident).
    pub auto_incident: Vec<AutoIncidentPolicy>,
    /// Channels, SLA notifications, escalation policies.
    pub notify: NotifyConfig,
    /// The runbooks incidents get their tasks from (`runbooks`: a directory; default built-in).
    pub runbooks: crate::runbooks::RunbookSet,
    /// The largest evidence attachment an incident takes (`attachment_max_bytes`, 10 MiB).
    pub attachment_max_bytes: vigil_api::AttachmentLimit,
}

/// The default check interval of SLA timers and escalations.
pub const CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RespondFile {
    runbooks: Option<String>,
    priority_matrix: Option<PriorityMatrix>,
    #[serde(default)]
    calendars: BTreeMap<String, CalendarSpec>,
    #[serde(default)]
    sla: BTreeMap<String, SlaFile>,
    #[serde(default)]
    auto_incident: Vec<AutoFile>,
    check_interval: Option<String>,
    outbound: Option<vigil_notify::OutboundPolicy>,
    #[serde(default)]
    channels: BTreeMap<String, vigil_notify::Channel>,
    notify: Option<SlaNotifyFile>,
    #[serde(default)]
    escalation: Vec<EscalationFile>,
    #[serde(default)]
    oncall: BTreeMap<String, super::oncall::OncallFile>,
    #[serde(default)]
    people: BTreeMap<String, crate::oncall::Person>,
    #[serde(default)]
    teams: BTreeMap<String, crate::oncall::Team>,
    people_channel: Option<String>,
    attachment_max_bytes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlaNotifyFile {
    #[serde(default)]
    sla_warning: Vec<String>,
    #[serde(default)]
    sla_breach: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationFile {
    name: String,
    #[serde(default)]
    priorities: Vec<u8>,
    until: Option<String>,
    #[serde(default)]
    levels: Vec<LevelFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelFile {
    after: String,
    notify: Vec<String>,
    repeat: Option<String>,
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
        if let Err(e) = vigil_respond::policy::check_priorities(&[name.as_str()]) {
            r.problem(Some(&section), name, e.to_string());
            continue;
        }
        let Some(policy) = policies.iter_mut().find(|p| &p.name == name) else {
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
        notify: notify_config(r, &file),
        runbooks: runbook_set(r, file.runbooks.as_deref()),
        attachment_max_bytes: attachment_limit(r, file.attachment_max_bytes.as_deref()),
    }
}

/// `attachment_max_bytes`: a size (`10MiB`) of at least one byte and at most 1 GiB (an
/// attachment is one database row, read whole).
fn attachment_limit(r: &mut Reader, text: Option<&str>) -> vigil_api::AttachmentLimit {
    match r.bytes(SECTION, "attachment_max_bytes", text) {
        Some(n @ 1..=MAX_ATTACHMENT_BYTES) => vigil_api::AttachmentLimit(n),
        Some(_) => {
            r.problem(Some(SECTION), "attachment_max_bytes", "from 1 byte to 1GiB");
            vigil_api::AttachmentLimit::default()
        }
        None => vigil_api::AttachmentLimit::default(),
    }
}

/// `runbooks`: the directory whose `*.toml` files replace the built-in runbooks; each problem of
/// each file is reported on the key's line.
fn runbook_set(r: &mut Reader, dir: Option<&str>) -> crate::runbooks::RunbookSet {
    let Some(dir) = dir else {
        return crate::runbooks::built_in();
    };
    match crate::runbooks::load_dir(std::path::Path::new(dir)) {
        Ok(set) => set,
        Err(problems) => {
            for p in problems {
                r.problem(Some(SECTION), "runbooks", p);
            }
            crate::runbooks::built_in()
        }
    }
}

/// The most `attachment_max_bytes` may be.
const MAX_ATTACHMENT_BYTES: u64 = 1 << 30;

/// Channels, SLA notifications and escalation policies; every channel name must exist and every
/// URL pass the outbound policy.
fn notify_config(r: &mut Reader, file: &RespondFile) -> NotifyConfig {
    let outbound = file.outbound.clone().unwrap_or_default();
    if let Err(e) = vigil_notify::Notifier::new(outbound.clone()) {
        r.problem(Some(SECTION), "outbound", e.to_string());
    }
    let written = super::oncall::Written {
        oncall: &file.oncall,
        people: &file.people,
        teams: &file.teams,
        people_channel: file.people_channel.as_deref(),
        channels: &file.channels,
    };
    let check = |r: &mut Reader, key: &str, names: &[String]| {
        for name in names.iter().filter(|n| !file.channels.contains_key(*n)) {
            if super::oncall::check_target(r, SECTION, key, name, &written) {
                continue;
            }
            let known: Vec<&str> = file.channels.keys().map(String::as_str).collect();
            r.problem(
                Some(SECTION),
                key,
                format!("no channel is named `{name}` (known: {})", known.join(", ")),
            );
        }
    };
    for (name, channel) in &file.channels {
        if let Some(url) = channel_url(channel)
            && let Err(e) = vigil_notify::Url::parse(url)
                .map_err(|e| e.to_string())
                .and_then(|u| outbound.check(&u).map_err(|e| e.to_string()))
        {
            r.problem(Some(&format!("{SECTION}.channels")), name, e);
        }
    }
    let sla = file.notify.clone().unwrap_or_default();
    check(r, "notify.sla_warning", &sla.sla_warning);
    check(r, "notify.sla_breach", &sla.sla_breach);
    let mut escalation = Vec::new();
    for e in &file.escalation {
        let key = format!("escalation \"{}\"", e.name);
        let until = match e.until.as_deref() {
            None | Some("acknowledged") => Until::Acknowledged,
            Some("resolved") => Until::Resolved,
            Some(other) => {
                r.problem(
                    Some(SECTION),
                    &key,
                    format!("until: `{other}` is not acknowledged or resolved"),
                );
                Until::Acknowledged
            }
        };
        if e.priorities.iter().any(|p| !(1..=5).contains(p)) {
            r.problem(Some(SECTION), &key, "priorities: from 1 (P1) to 5 (P5)");
        }
        let mut levels = Vec::new();
        for l in &e.levels {
            check(r, &key, &l.notify);
            let after = r.duration(SECTION, &key, Some(&l.after));
            let repeat = l.repeat.as_deref().and_then(|t| r.duration(SECTION, &key, Some(t)));
            if let Some(after) = after {
                levels.push(EscalationLevel {
                    after,
                    notify: l.notify.clone(),
                    repeat,
                });
            }
        }
        if e.levels.is_empty() {
            r.problem(
                Some(SECTION),
                &key,
                "levels: at least one [[respond.escalation.levels]]",
            );
        }
        escalation.push(EscalationPolicy {
            name: e.name.clone(),
            priorities: e.priorities.clone(),
            until,
            levels,
        });
    }
    let check_interval = match file.check_interval.as_deref() {
        None => CHECK_INTERVAL,
        text => r.duration(SECTION, "check_interval", text).unwrap_or(CHECK_INTERVAL),
    };
    NotifyConfig {
        channels: file.channels.clone(),
        outbound,
        on_sla_warning: sla.sla_warning,
        on_sla_breach: sla.sla_breach,
        escalation,
        check_interval,
        recipients: super::oncall::read(r, &written),
    }
}

fn channel_url(c: &vigil_notify::Channel) -> Option<&str> {
    use vigil_notify::Channel as C;
    match c {
        C::Webhook { url, .. } | C::Slack { url } | C::Teams { url } | C::Mattermost { url } => Some(url),
        _ => None,
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

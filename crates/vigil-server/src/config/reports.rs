//! `[reports]`: scheduled SOC reports ([`crate::report_task`]). At each boundary (midnight UTC,
//! Monday, the first of the month) the previous period's report is written to `dir` in each
//! format, once, and a notification naming the files goes to each channel of `notify`
//! (`[respond.channels]`). Absent: no scheduled reports.
//!
//! ```toml
//! [reports]
//! check_interval = "1m"
//!
//! [[reports.schedule]]
//! name = "monthly-soc"        # default: "<every>-<tenant>"; the key runs are recorded under
//! every = "monthly"           # monthly, weekly or daily
//! formats = ["html", "pdf"]   # html, pdf, json, csv
//! dir = "/var/lib/vigil/reports"
//! tenant = "default"          # default: "default"
//! notify = ["soc-mail"]       # channel names of [respond.channels]
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use vigil_notify::Channel;
use vigil_report::Format;

use super::reader::Reader;
use crate::report_task::{Every, ReportSchedule, ReportsConfig};

const SECTION: &str = "reports";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportsFile {
    check_interval: Option<String>,
    #[serde(default)]
    schedule: Vec<ScheduleFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    name: Option<String>,
    every: Option<String>,
    formats: Option<Vec<String>>,
    dir: Option<String>,
    tenant: Option<String>,
    #[serde(default)]
    notify: Vec<String>,
}

fn schedule(r: &mut Reader, s: ScheduleFile, channels: &BTreeMap<String, Channel>) -> Option<ReportSchedule> {
    let section = format!("{SECTION}.schedule");
    let every = match s.every.as_deref().map(str::trim) {
        Some("monthly") => Every::Monthly,
        Some("weekly") => Every::Weekly,
        Some("daily") => Every::Daily,
        Some(other) => {
            r.problem(
                Some(&section),
                "every",
                format!("`{other}` is not monthly, weekly or daily"),
            );
            return None;
        }
        None => {
            r.problem(Some(&section), "every", "missing: monthly, weekly or daily");
            return None;
        }
    };
    let Some(dir) = s.dir.filter(|d| !d.trim().is_empty()) else {
        r.problem(Some(&section), "dir", "missing: the folder reports are written to");
        return None;
    };
    let mut formats = Vec::new();
    for f in s.formats.unwrap_or_else(|| vec!["html".into()]) {
        match Format::parse(&f) {
            Some(f) if !formats.contains(&f) => formats.push(f),
            Some(_) => {}
            None => r.problem(
                Some(&section),
                "formats",
                format!("`{f}` is not html, pdf, json or csv"),
            ),
        }
    }
    for n in &s.notify {
        if !channels.contains_key(n) {
            r.problem(
                Some(&section),
                "notify",
                format!("no channel is named `{n}` in [respond.channels]"),
            );
        }
    }
    if formats.is_empty() {
        r.problem(Some(&section), "formats", "name at least one format");
        return None;
    }
    let tenant = s.tenant.unwrap_or_else(|| "default".into());
    Some(ReportSchedule {
        name: s.name.unwrap_or_else(|| format!("{}-{tenant}", every.as_str())),
        every,
        formats,
        dir: PathBuf::from(dir),
        tenant,
        notify: s.notify,
    })
}

/// Reads `[reports]`; every problem on its line. `channels` are `[respond.channels]`.
pub(super) fn read(r: &mut Reader, table: &toml::Table, channels: &BTreeMap<String, Channel>) -> ReportsConfig {
    let file: ReportsFile = r.section(table, SECTION);
    let mut c = ReportsConfig::default();
    if let Some(d) = r.duration(SECTION, "check_interval", file.check_interval.as_deref()) {
        c.check_interval = d;
    }
    for s in file.schedule {
        if let Some(s) = schedule(r, s, channels) {
            if c.schedules.iter().any(|o| o.name == s.name) {
                r.problem(
                    Some(&format!("{SECTION}.schedule")),
                    "name",
                    format!("`{}` names two schedules: give each its own `name`", s.name),
                );
                continue;
            }
            c.schedules.push(s);
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use crate::config::parse;
    use crate::report_task::Every;
    use vigil_report::Format;

    const HOOK: &str = "[respond.channels.hook]\ntype = \"webhook\"\nurl = \"https://hooks.example.org/vigil\"\n";

    #[test]
    fn schedules_are_read_with_their_defaults() {
        let c = parse(&format!(
            "version = 1\n{HOOK}[reports]\ncheck_interval = \"30s\"\n[[reports.schedule]]\nevery = \"monthly\"\n\
             formats = [\"html\", \"pdf\", \"html\"]\ndir = \"/srv/reports\"\nnotify = [\"hook\"]\n\
             [[reports.schedule]]\nname = \"acme-weekly\"\nevery = \"weekly\"\ndir = \"/srv/acme\"\ntenant = \"acme\"\n"
        ))
        .expect("valid");
        assert_eq!(c.reports.check_interval.as_secs(), 30);
        let [monthly, weekly] = c.reports.schedules.as_slice() else {
            panic!("two schedules: {:?}", c.reports.schedules);
        };
        assert_eq!(monthly.name, "monthly-default");
        assert_eq!(monthly.every, Every::Monthly);
        assert_eq!(monthly.formats, [Format::Html, Format::Pdf]);
        assert_eq!(monthly.notify, ["hook"]);
        assert_eq!((weekly.name.as_str(), weekly.tenant.as_str()), ("acme-weekly", "acme"));
        assert_eq!(weekly.formats, [Format::Html]);
        assert!(parse("version = 1\n").expect("valid").reports.schedules.is_empty());
    }

    #[test]
    fn every_problem_is_named_on_its_line() {
        let problems = parse(&format!(
            "version = 1\n{HOOK}[[reports.schedule]]\nevery = \"hourly\"\ndir = \"/srv\"\n\
             [[reports.schedule]]\nevery = \"daily\"\nformats = [\"docx\"]\ndir = \"/srv\"\nnotify = [\"pager\"]\n\
             [[reports.schedule]]\nevery = \"daily\"\n[[reports.schedule]]\nevery = \"weekly\"\ndir = \"/a\"\n\
             [[reports.schedule]]\nevery = \"weekly\"\ndir = \"/b\"\n"
        ))
        .expect_err("invalid");
        let text = format!("{problems:?}");
        for want in [
            "`hourly` is not monthly, weekly or daily",
            "`docx` is not html, pdf, json or csv",
            "no channel is named `pager`",
            "missing: the folder reports are written to",
            "`weekly-default` names two schedules",
        ] {
            assert!(text.contains(want), "{want}: {text}");
        }
    }
}

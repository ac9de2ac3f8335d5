//! `[grouping]`: in-stream alert grouping. Absent: matches of one rule on the same host, user and
//! source address within an hour of the alert's last match become one alert with an occurrence
//! count.
//!
//! ```toml
//! [grouping]
//! window = "1h"             # "off" makes every match an alert of its own
//! by = ["host", "user", "src_ip"]   # these three pick the first fitting field; or any field name
//!
//! [grouping.rules."5f1abf38-3f44-4d2a-9e61-8a5bbf62f2f4"]   # a rule id
//! by = ["host", "CommandLine"]
//! window = "10m"
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use vigil_runtime::grouping::{Grouping, RuleGrouping};

use super::reader::Reader;

const SECTION: &str = "grouping";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupingFile {
    window: Option<String>,
    by: Option<Vec<String>>,
    #[serde(default)]
    rules: BTreeMap<String, RuleFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    window: Option<String>,
    by: Option<Vec<String>>,
}

fn window(r: &mut Reader, section: &str, text: Option<&str>) -> Option<Duration> {
    match text.map(str::trim) {
        None => None,
        Some("off" | "0") => Some(Duration::ZERO),
        text => r.duration(section, "window", text),
    }
}

fn fields(r: &mut Reader, section: &str, by: Option<Vec<String>>) -> Option<Vec<String>> {
    let by = by?;
    if by.iter().any(|f| f.trim().is_empty()) {
        r.problem(Some(section), "by", "field names must not be blank");
        return None;
    }
    Some(by)
}

/// Reads `[grouping]`; every problem on its line.
pub(super) fn read(r: &mut Reader, table: &toml::Table) -> Grouping {
    let file: GroupingFile = r.section(table, SECTION);
    let mut g = Grouping::default();
    if let Some(w) = window(r, SECTION, file.window.as_deref()) {
        g.window = w;
    }
    if let Some(by) = fields(r, SECTION, file.by) {
        g.by = by;
    }
    for (rule, own) in file.rules {
        let section = format!("{SECTION}.rules.\"{rule}\"");
        let by = fields(r, &section, own.by);
        let window = window(r, &section, own.window.as_deref());
        g.rules.insert(rule, RuleGrouping { by, window });
    }
    g
}

//! `[[logsource]]` entries: the Sigma logsource of events by where they arrived.
//!
//! ```toml
//! [[logsource]]
//! index = "zeek-*"          # _bulk / HEC index (`*` matches any run of characters)
//! product = "zeek"
//!
//! [[logsource]]
//! input = "otlp"
//! resource = { "service.name" = "nginx*" }
//! category = "webserver"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use vigil_event::LogSourceTags;

use super::reader::Reader;
use vigil_runtime::logsource::LogsourceRule;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    input: Option<String>,
    index: Option<String>,
    sourcetype: Option<String>,
    #[serde(default)]
    resource: BTreeMap<String, String>,
    product: Option<String>,
    service: Option<String>,
    category: Option<String>,
}

const ARRAY: &str = "logsource";

/// Reads every `[[logsource]]` entry, recording each problem with the line of its entry.
pub(super) fn read(r: &mut Reader, table: &toml::Table) -> Vec<LogsourceRule> {
    let Some(value) = table.get(ARRAY) else {
        return Vec::new();
    };
    let Some(entries) = value.as_array() else {
        r.problem_at(
            entry_line(r, 0),
            ARRAY,
            "must be an array of tables: write each entry as [[logsource]]",
        );
        return Vec::new();
    };
    let mut rules = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let key = format!("{ARRAY}[{}]", i + 1);
        let line = entry_line(r, i);
        match entry.clone().try_into::<EntryFile>() {
            Ok(file) => match rule(file) {
                Ok(rule) => rules.push(rule),
                Err(message) => r.problem_at(line, &key, message),
            },
            Err(e) => r.problem_at(line, &key, e.message().to_string()),
        }
    }
    rules
}

fn rule(f: EntryFile) -> Result<LogsourceRule, String> {
    if f.input.is_none() && f.index.is_none() && f.sourcetype.is_none() && f.resource.is_empty() {
        return Err("matches every event: give at least one of input, index, sourcetype, resource".into());
    }
    let own = |v: Option<String>| {
        v.map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .map(Into::into)
    };
    let tags = LogSourceTags {
        product: own(f.product),
        services: own(f.service).into_iter().collect(),
        categories: own(f.category).into_iter().collect(),
    };
    if tags.is_empty() {
        return Err("gives no logsource: set at least one of product, service, category".into());
    }
    Ok(LogsourceRule {
        input: f.input,
        index: f.index,
        sourcetype: f.sourcetype,
        resource: f.resource.into_iter().collect(),
        tags,
    })
}

/// The line of the `i`-th (0-based) `[[logsource]]` header, or of an inline `logsource = …`.
/// The line of entry `i` (or of the key when it is not an array of tables).
fn entry_line(r: &Reader, i: usize) -> Option<usize> {
    r.line_of(None, &format!("{ARRAY}.{i}"))
        .or_else(|| r.line_of(None, ARRAY))
}

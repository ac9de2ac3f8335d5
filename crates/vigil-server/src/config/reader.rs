//! Reading one configuration file: typed values out of its sections, each problem recorded with
//! the line it is on, so that every problem is reported at once.

use std::{collections::HashMap, net::SocketAddr, ops::RangeInclusive, time::Duration};

use serde::Deserialize;

use super::ConfigProblem;
use vigil_api::serde_text::plain;
use vigil_api_types::units::{parse_bytes, parse_duration};

/// The line of every key in the file, by dotted path (`http.listen`, `oidc.console.client_id`,
/// `oidc.role_map.soc-analysts`; array entries by index, `logsource.0`), from the TOML parser's
/// own spans — not from scanning the text again, so quoting, dotted keys, inline tables and
/// comments cannot mislead it.
fn key_lines(text: &str) -> HashMap<String, usize> {
    let mut lines = HashMap::new();
    if let Ok(root) = toml::de::DeTable::parse(text) {
        walk(text, "", root.get_ref(), &mut lines);
    }
    lines
}

fn walk(text: &str, prefix: &str, table: &toml::de::DeTable<'_>, lines: &mut HashMap<String, usize>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        lines
            .entry(path.clone())
            .or_insert_with(|| line_at(text, key.span().start));
        match value.get_ref() {
            toml::de::DeValue::Table(t) => walk(text, &path, t, lines),
            toml::de::DeValue::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let entry = format!("{path}.{i}");
                    lines
                        .entry(entry.clone())
                        .or_insert_with(|| line_at(text, item.span().start));
                    if let toml::de::DeValue::Table(t) = item.get_ref() {
                        walk(text, &entry, t, lines);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The 1-based line of byte `offset`.
fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Collects problems while reading one file.
pub(super) struct Reader {
    pub(super) problems: Vec<ConfigProblem>,
    lines: HashMap<String, usize>,
}

impl Reader {
    pub(super) fn new(text: &str) -> Reader {
        Reader {
            problems: Vec::new(),
            lines: key_lines(text),
        }
    }
}

impl Reader {
    /// The line where `key` of `section` (a dotted table path, or the top level) is written; with
    /// an empty key, the line of the section itself.
    pub(super) fn line_of(&self, section: Option<&str>, key: &str) -> Option<usize> {
        let path = match (section, key.is_empty()) {
            (Some(s), true) => s.to_owned(),
            (Some(s), false) => format!("{s}.{key}"),
            (None, _) => key.to_owned(),
        };
        self.lines.get(&path).copied()
    }

    /// `value` when it lies in `range`; otherwise a problem naming the range (and `None`).
    pub(super) fn within<T>(
        &mut self,
        section: &str,
        key: &str,
        value: Option<T>,
        range: RangeInclusive<T>,
    ) -> Option<T>
    where
        T: PartialOrd + std::fmt::Display,
    {
        let v = value?;
        if range.contains(&v) {
            return Some(v);
        }
        let message = format!("must be between {} and {}", range.start(), range.end());
        self.problem(Some(section), key, message);
        None
    }

    /// A problem at a line found by the caller (entries of an array of tables).
    pub(super) fn problem_at(&mut self, line: Option<usize>, key: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            line,
            key: key.to_string(),
            message: message.into(),
        });
    }

    pub(super) fn problem(&mut self, section: Option<&str>, key: &str, message: impl Into<String>) {
        let line = self.line_of(section, key).or_else(|| self.line_of(section, ""));
        let dotted = match section {
            Some(s) if !key.is_empty() => format!("{s}.{key}"),
            Some(s) => s.to_string(),
            None => key.to_string(),
        };
        self.problems.push(ConfigProblem {
            line,
            key: dotted,
            message: message.into(),
        });
    }

    /// Deserializes one section, key by key, so that every unknown key and every value of the wrong
    /// type is a problem on its own line (serde stops at the first).
    pub(super) fn section<T: for<'de> Deserialize<'de> + Default>(&mut self, table: &toml::Table, name: &str) -> T {
        let Some(value) = table.get(name) else {
            return T::default();
        };
        let Some(entries) = value.as_table() else {
            self.problem(None, name, format!("must be a table: [{name}]"));
            return T::default();
        };
        let mut good = toml::Table::new();
        for (key, v) in entries {
            let one = toml::Table::from_iter([(key.clone(), v.clone())]);
            match toml::Value::Table(one).try_into::<T>() {
                Ok(_) => {
                    good.insert(key.clone(), v.clone());
                }
                Err(e) => self.problem(Some(name), key, plain(e.message())),
            }
        }
        toml::Value::Table(good).try_into().unwrap_or_default()
    }

    pub(super) fn addr(
        &mut self,
        section: &str,
        key: &str,
        value: Option<&str>,
        default: Option<SocketAddr>,
    ) -> Option<SocketAddr> {
        match value.map(str::trim) {
            None => default,
            Some("" | "off" | "none") => None,
            Some(text) => match text.parse() {
                Ok(a) => Some(a),
                Err(_) => {
                    self.problem(
                        Some(section),
                        key,
                        format!("`{text}` is not an address (use IP:PORT, e.g. 127.0.0.1:5514, or \"off\")"),
                    );
                    default
                }
            },
        }
    }

    pub(super) fn bytes(&mut self, section: &str, key: &str, value: Option<&str>) -> Option<u64> {
        let text = value?;
        match parse_bytes(text) {
            Ok(n) => Some(n),
            Err(e) => {
                self.problem(Some(section), key, e);
                None
            }
        }
    }

    pub(super) fn duration(&mut self, section: &str, key: &str, value: Option<&str>) -> Option<Duration> {
        let text = value?;
        match parse_duration(text) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.problem(Some(section), key, "must be greater than zero");
                None
            }
            Err(e) => {
                self.problem(Some(section), key, e);
                None
            }
        }
    }
}

//! Reading one configuration file: typed values out of its sections, each problem recorded with
//! the line it is on, so that every problem is reported at once.

use std::{net::SocketAddr, ops::RangeInclusive, time::Duration};

use serde::Deserialize;

use super::ConfigProblem;
use vigil_api::serde_text::plain;
use vigil_api_types::units::{parse_bytes, parse_duration};

/// The table name of a header line (`[http]`, `[[x.y]]`), if the line is one.
fn table_header(line: &str) -> Option<String> {
    let inner = line.strip_prefix("[[").or_else(|| line.strip_prefix('['))?;
    let name = inner.split(']').next()?;
    Some(
        name.split('.')
            .map(|part| part.trim().trim_matches('"'))
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// Collects problems while reading one file.
pub(super) struct Reader<'a> {
    pub(super) text: &'a str,
    pub(super) problems: Vec<ConfigProblem>,
}

impl Reader<'_> {
    /// The line where `key` is assigned inside `[section]` (or at top level), if found. At top
    /// level a key may also be a table: `[key]`, `[key.sub]` or `[[key]]`.
    pub(super) fn line_of(&self, section: Option<&str>, key: &str) -> Option<usize> {
        let mut current: Option<String> = None;
        for (i, raw) in self.text.lines().enumerate() {
            let line = raw.trim();
            if let Some(name) = table_header(line) {
                if section.is_none() && !key.is_empty() && (name == key || name.starts_with(&format!("{key}."))) {
                    return Some(i + 1);
                }
                if section == Some(name.as_str()) && key.is_empty() {
                    return Some(i + 1);
                }
                // `[http.tls]`: the key `tls` of `[http]`, written as a table.
                if section.is_some_and(|s| name == format!("{s}.{key}")) && !key.is_empty() {
                    return Some(i + 1);
                }
                current = Some(name);
                continue;
            }
            let in_section = match section {
                None => current.is_none(),
                Some(s) => current.as_deref() == Some(s),
            };
            if in_section && !key.is_empty() {
                let lhs = line.split('=').next().unwrap_or("").trim().trim_matches('"');
                if line.contains('=') && lhs == key {
                    return Some(i + 1);
                }
            }
        }
        None
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

//! Field maps: event-side normalization of JSON documents to Sigma field names, so the same
//! unmodified SigmaHQ rules fire on EVTX and on Winlogbeat / Elastic Common Schema documents.
//!
//! A [`FieldMap`] is data: it applies when all its `when` paths exist, lifts the members of nested
//! objects to the top level, copies values to Sigma names (`rename`, target <- source path), and
//! classifies the result (`classify: windows` derives the logsource from `Channel` / `EventID`;
//! `ecs` from `event.category`; `none` takes the static `logsource`). Built-in maps cover
//! Winlogbeat and ECS; users add their own YAML files (see `docs/field-maps.md`). Original fields
//! are always kept, so a rule written against the source's own names still matches.

use std::{borrow::Cow, path::Path, sync::LazyLock};

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use vigil_event::{Fields, LogSourceTags};

use crate::{json, windows};

/// How a mapped event's Sigma logsource is decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Classify {
    /// From the static `logsource` of the map (or nothing).
    #[default]
    None,
    /// Windows: from `Channel` and `EventID`, exactly as for EVTX.
    Windows,
    /// Elastic Common Schema: from `host.os.type` and `event.category` / `event.type`.
    Ecs,
}

/// A static logsource for a user map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsourceSpec {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

/// One field map (see the module docs). Deserialized strictly from YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    pub name: String,
    /// Dotted paths that must all exist for the map to apply.
    #[serde(default)]
    pub when: Vec<String>,
    /// Dotted paths of objects whose members become top-level fields.
    #[serde(default)]
    pub lift: Vec<String>,
    /// Sigma field name <- dotted source path. The first source that exists wins.
    #[serde(default)]
    pub rename: Vec<(String, String)>,
    /// Target fields converted to integers when they hold an integer string (e.g. `EventID`).
    #[serde(default)]
    pub numeric: Vec<String>,
    #[serde(default)]
    pub classify: Classify,
    #[serde(default)]
    pub logsource: Option<LogsourceSpec>,
}

/// The result of applying a map.
#[derive(Debug)]
pub struct Mapped {
    pub fields: Fields,
    pub time: Option<Timestamp>,
    pub logsource: LogSourceTags,
}

/// Errors loading a user field map.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FieldMapError {
    #[error("{path}: cannot read: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl FieldMap {
    /// Loads a user map from a YAML file, naming every problem found.
    pub fn load(path: &Path) -> Result<FieldMap, FieldMapError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FieldMapError::Io {
            path: shown.clone(),
            source,
        })?;
        Self::from_yaml(&text).map_err(|message| FieldMapError::Invalid { path: shown, message })
    }

    /// Parses and validates a map from YAML text.
    pub fn from_yaml(text: &str) -> Result<FieldMap, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            name: String,
            #[serde(default)]
            when: Vec<String>,
            #[serde(default)]
            lift: Vec<String>,
            #[serde(default)]
            rename: indexmap::IndexMap<String, String>,
            #[serde(default)]
            numeric: Vec<String>,
            #[serde(default)]
            classify: Classify,
            #[serde(default)]
            logsource: Option<LogsourceSpec>,
        }
        let doc: Doc = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
        let mut problems = Vec::new();
        if doc.name.trim().is_empty() {
            problems.push("`name` must not be empty".to_string());
        }
        for (target, source) in &doc.rename {
            if target.trim().is_empty() || source.trim().is_empty() {
                problems.push(format!("rename `{target}: {source}`: names must not be empty"));
            }
        }
        if doc.when.is_empty() && doc.lift.is_empty() && doc.rename.is_empty() {
            problems.push("a map needs at least one of `when`, `lift` or `rename`".to_string());
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        Ok(FieldMap {
            name: doc.name,
            when: doc.when,
            lift: doc.lift,
            rename: doc.rename.into_iter().collect(),
            numeric: doc.numeric,
            classify: doc.classify,
            logsource: doc.logsource,
        })
    }

    /// Whether the map applies to this document.
    pub fn applies(&self, doc: &Value) -> bool {
        !self.when.is_empty() && self.when.iter().all(|p| get_path(doc, p).is_some())
    }

    /// Applies the map to a JSON object.
    pub fn apply(&self, doc: &Value) -> Mapped {
        let mut fields = Fields::from_json_object(doc.clone());
        for path in &self.lift {
            if let Some(Value::Object(members)) = get_path(doc, path) {
                for (k, v) in members {
                    fields.insert_if_absent(k, v.clone());
                }
            }
        }
        for (target, source) in &self.rename {
            if fields.get(target).is_none()
                && let Some(v) = get_path(doc, source)
            {
                fields.insert(target.as_str(), v.clone());
            }
        }
        for target in &self.numeric {
            if let Some(n) = fields.get_str(target).and_then(|s| s.trim().parse::<i64>().ok()) {
                fields.insert(target.as_str(), n);
            }
        }
        match self.classify {
            Classify::Windows => {
                let flat = windows::finish(fields);
                let time = flat.time.or_else(|| json::time_of(&flat.fields));
                Mapped {
                    fields: flat.fields,
                    time,
                    logsource: flat.logsource,
                }
            }
            Classify::Ecs => {
                let logsource = ecs_logsource(doc);
                let time = json::time_of(&fields);
                Mapped {
                    fields,
                    time,
                    logsource,
                }
            }
            Classify::None => {
                let logsource = self.logsource.as_ref().map(static_logsource).unwrap_or_default();
                let time = json::time_of(&fields);
                Mapped {
                    fields,
                    time,
                    logsource,
                }
            }
        }
    }
}

fn static_logsource(spec: &LogsourceSpec) -> LogSourceTags {
    let own = |s: &Option<String>| s.as_ref().map(|v| Cow::Owned(v.to_ascii_lowercase()));
    LogSourceTags {
        product: own(&spec.product),
        services: own(&spec.service).into_iter().collect(),
        categories: own(&spec.category).into_iter().collect(),
    }
}

/// A value by dotted path: a flat key first, then nested objects.
pub fn get_path<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = doc.get(path) {
        return Some(v);
    }
    let mut cur = doc;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// Winlogbeat (and Elastic Agent's Windows integration): `winlog.*` to EVTX names.
fn winlogbeat() -> FieldMap {
    FieldMap {
        name: "winlogbeat".into(),
        when: vec!["winlog.channel".into()],
        lift: vec!["winlog.event_data".into(), "winlog.user_data".into()],
        rename: pairs(&[
            ("EventID", "winlog.event_id"),
            ("Channel", "winlog.channel"),
            ("Provider_Name", "winlog.provider_name"),
            ("Provider_Guid", "winlog.provider_guid"),
            ("Computer", "winlog.computer_name"),
            ("EventRecordID", "winlog.record_id"),
            ("Execution_ProcessID", "winlog.process.pid"),
            ("Execution_ThreadID", "winlog.process.thread.id"),
            ("Security_UserID", "winlog.user.identifier"),
            ("Task", "winlog.task"),
            ("Opcode", "winlog.opcode"),
            ("Keywords", "winlog.keywords"),
            ("TimeCreated", "@timestamp"),
            ("Message", "message"),
        ]),
        numeric: vec!["EventID".into(), "EventRecordID".into()],
        classify: Classify::Windows,
        logsource: None,
    }
}

/// Flat Windows events (NXLog `im_msvistalog`, evtx-to-JSON exports): `Channel`, `EventID` and the
/// `EventData` names already at the top level; only classification and a few aliases are needed.
fn windows_flat() -> FieldMap {
    FieldMap {
        name: "windows-flat".into(),
        when: vec!["Channel".into(), "EventID".into()],
        lift: vec![],
        rename: pairs(&[
            ("Computer", "Hostname"),
            ("Provider_Name", "SourceName"),
            ("TimeCreated", "EventTime"),
        ]),
        numeric: vec!["EventID".into()],
        classify: Classify::Windows,
        logsource: None,
    }
}

/// Elastic Common Schema endpoint events (no `winlog`): ECS names to Sysmon names.
fn ecs() -> FieldMap {
    FieldMap {
        name: "ecs".into(),
        when: vec!["event.category".into()],
        lift: vec![],
        rename: pairs(&[
            ("CommandLine", "process.command_line"),
            ("Image", "process.executable"),
            ("ProcessId", "process.pid"),
            ("CurrentDirectory", "process.working_directory"),
            ("OriginalFileName", "process.pe.original_file_name"),
            ("ParentImage", "process.parent.executable"),
            ("ParentCommandLine", "process.parent.command_line"),
            ("ParentProcessId", "process.parent.pid"),
            ("User", "user.name"),
            ("Computer", "host.name"),
            ("TargetFilename", "file.path"),
            ("TargetObject", "registry.path"),
            ("Details", "registry.data.strings"),
            ("ImageLoaded", "dll.path"),
            ("QueryName", "dns.question.name"),
            ("DestinationIp", "destination.ip"),
            ("DestinationPort", "destination.port"),
            ("DestinationHostname", "destination.domain"),
            ("SourceIp", "source.ip"),
            ("SourcePort", "source.port"),
        ]),
        numeric: vec![],
        classify: Classify::Ecs,
        logsource: None,
    }
}

/// Sigma logsource of an ECS document: from its `event.dataset` / `event.module` when Vigil knows
/// them (a Zeek sensor's documents carry the sensor's `host.os.type`, which says nothing of the
/// log), else from `host.os.type` and `event.category` / `event.type`.
fn ecs_logsource(doc: &Value) -> LogSourceTags {
    if let Some(tags) = crate::dataset::logsource(doc) {
        return tags;
    }
    let os = ["host.os.type", "host.os.family", "os.type"]
        .iter()
        .find_map(|p| get_path(doc, p).and_then(Value::as_str))
        .map(str::to_ascii_lowercase);
    let product: &'static str = match os.as_deref() {
        Some("windows") => "windows",
        Some("linux") => "linux",
        Some("macos" | "darwin") => "macos",
        _ => return LogSourceTags::default(),
    };
    let strings = |p: &str| -> Vec<String> {
        match get_path(doc, p) {
            Some(Value::String(s)) => vec![s.to_ascii_lowercase()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect(),
            _ => vec![],
        }
    };
    let (cats, types) = (strings("event.category"), strings("event.type"));
    let has = |v: &[String], x: &str| v.iter().any(|s| s == x);
    let mut tags = LogSourceTags::product(product);
    let mut add = |c: &'static str| tags.categories.push(Cow::Borrowed(c));
    if has(&cats, "process") && has(&types, "start") {
        add("process_creation");
    }
    if has(&cats, "file") {
        add(if has(&types, "deletion") {
            "file_delete"
        } else {
            "file_event"
        });
    }
    if has(&cats, "registry") {
        add("registry_event");
        add("registry_set");
    }
    if has(&cats, "library") {
        add("image_load");
    }
    if has(&cats, "driver") {
        add("driver_load");
    }
    if has(&cats, "network") {
        add(if get_path(doc, "dns.question.name").is_some() {
            "dns_query"
        } else {
            "network_connection"
        });
    }
    tags
}

static BUILTIN: LazyLock<Vec<FieldMap>> = LazyLock::new(|| vec![winlogbeat(), windows_flat(), ecs()]);

/// The built-in maps, most specific first.
pub fn builtin() -> &'static [FieldMap] {
    &BUILTIN
}

/// Applies the first built-in map that fits the document.
pub fn map_known_shape(doc: &Value) -> Option<Mapped> {
    builtin().iter().find(|m| m.applies(doc)).map(|m| m.apply(doc))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn winlogbeat_document_gets_evtx_names_and_logsource() {
        let doc = json!({
            "@timestamp": "2024-03-01T12:00:00.000Z",
            "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": "1",
                       "provider_name": "Microsoft-Windows-Sysmon", "computer_name": "ws1",
                       "event_data": {"CommandLine": "whoami /all", "Image": "C:\\Windows\\System32\\whoami.exe"}},
            "process": {"command_line": "whoami /all"}
        });
        let m = map_known_shape(&doc).expect("winlogbeat applies");
        assert_eq!(m.fields.get("EventID"), Some(&json!(1)));
        assert_eq!(m.fields.get_str("CommandLine"), Some("whoami /all"));
        assert_eq!(m.fields.get_str("Computer"), Some("ws1"));
        assert!(m.fields.get("process").is_some(), "original fields are kept");
        assert!(
            m.logsource
                .admits(Some("windows"), Some("sysmon"), Some("process_creation"))
        );
        assert_eq!(m.time, Some("2024-03-01T12:00:00Z".parse().expect("valid")));
    }

    #[test]
    fn ecs_document_maps_process_start() {
        let doc = json!({"@timestamp": "2024-03-01T12:00:00Z", "host": {"os": {"type": "windows"}},
            "event": {"category": ["process"], "type": ["start"]},
            "process": {"executable": "C:\\x\\rundll32.exe", "command_line": "rundll32 a,b", "parent": {"executable": "C:\\x\\winword.exe"}}});
        let m = map_known_shape(&doc).expect("ecs applies");
        assert_eq!(m.fields.get_str("Image"), Some("C:\\x\\rundll32.exe"));
        assert_eq!(m.fields.get_str("ParentImage"), Some("C:\\x\\winword.exe"));
        assert!(m.logsource.admits(Some("windows"), None, Some("process_creation")));
        assert!(map_known_shape(&json!({"a": 1})).is_none());
        let flat = map_known_shape(&json!({"Channel": "Security", "EventID": "4625", "Hostname": "dc1"}))
            .expect("flat windows");
        assert!(flat.logsource.admits(Some("windows"), Some("security"), None));
        assert_eq!(flat.fields.get("EventID"), Some(&json!(4625)));
        assert_eq!(flat.fields.get_str("Computer"), Some("dc1"));
    }

    #[test]
    fn user_map_from_yaml_and_its_errors() {
        let m = FieldMap::from_yaml(
            "name: app\nwhen: [app.kind]\nrename:\n  CommandLine: app.cmd\nlogsource: {product: linux, service: app}\n",
        )
        .expect("valid map");
        let doc = json!({"app": {"kind": "x", "cmd": "curl evil"}});
        assert!(m.applies(&doc));
        let out = m.apply(&doc);
        assert_eq!(out.fields.get_str("CommandLine"), Some("curl evil"));
        assert!(out.logsource.admits(Some("linux"), Some("app"), None));
        let err = FieldMap::from_yaml("name: ''\n").expect_err("invalid");
        assert!(err.contains("name") && err.contains("at least one"), "{err}");
        assert!(
            FieldMap::from_yaml("name: a\nbogus: 1\n")
                .expect_err("unknown key")
                .contains("bogus")
        );
    }
}

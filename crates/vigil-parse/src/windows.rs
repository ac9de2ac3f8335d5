//! Windows events: flatten the `Event.System` / `Event.EventData` tree (as the `evtx` crate renders
//! it, and as SigmaHQ's regression JSON stores it) to the field names Sigma rules use, and classify
//! the event into Sigma's Windows logsource taxonomy.
//!
//! Field names: `EventData` children by their `Name` (`CommandLine`, `Image`, …); `System` values as
//! `EventID`, `Channel`, `Computer`, `Provider_Name`, `Provider_Guid`, `EventRecordID`, `Level`,
//! `Task`, `Opcode`, `Keywords`, `Version`, `TimeCreated`, `Execution_ProcessID`,
//! `Execution_ThreadID`, `Security_UserID`, `Correlation_ActivityID`; `UserData` leaves by their
//! element name. An existing field is never overwritten by a later one.

use std::borrow::Cow;

use jiff::Timestamp;
use serde_json::{Map, Value};
use vigil_event::{Fields, LogSourceTags};

use crate::time::parse_timestamp;

/// Sigma service for each Windows event channel (pySigma's `windows_logsource_mapping`).
const CHANNEL_SERVICES: &[(&str, &str)] = &[
    ("Security", "security"),
    ("Application", "application"),
    ("System", "system"),
    ("Microsoft-Windows-Sysmon/Operational", "sysmon"),
    ("Microsoft-Windows-PowerShell/Operational", "powershell"),
    ("PowerShellCore/Operational", "powershell"),
    ("Windows PowerShell", "powershell-classic"),
    ("Microsoft-Windows-TaskScheduler/Operational", "taskscheduler"),
    ("Microsoft-Windows-WMI-Activity/Operational", "wmi"),
    ("DNS Server", "dns-server"),
    ("Microsoft-Windows-DNS-Server/Audit", "dns-server-audit"),
    ("Microsoft-Windows-DNS-Server/Analytical", "dns-server-analytic"),
    (
        "Microsoft-Windows-DriverFrameworks-UserMode/Operational",
        "driver-framework",
    ),
    ("Microsoft-Windows-NTLM/Operational", "ntlm"),
    ("Microsoft-Windows-DHCP-Server/Operational", "dhcp"),
    ("MSExchange Management", "msexchange-management"),
    ("Microsoft-Windows-AppLocker/MSI and Script", "applocker"),
    ("Microsoft-Windows-AppLocker/EXE and DLL", "applocker"),
    ("Microsoft-Windows-AppLocker/Packaged app-Deployment", "applocker"),
    ("Microsoft-Windows-AppLocker/Packaged app-Execution", "applocker"),
    ("Microsoft-Windows-PrintService/Admin", "printservice-admin"),
    ("Microsoft-Windows-PrintService/Operational", "printservice-operational"),
    (
        "Microsoft-Windows-CodeIntegrity/Operational",
        "codeintegrity-operational",
    ),
    ("Microsoft-Windows-SmbClient/Security", "smbclient-security"),
    ("Microsoft-Windows-SmbClient/Connectivity", "smbclient-connectivity"),
    ("Microsoft-Windows-SMBServer/Connectivity", "smbserver-connectivity"),
    (
        "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
        "firewall-as",
    ),
    ("Microsoft-Windows-Bits-Client/Operational", "bits-client"),
    ("Microsoft-Windows-Windows Defender/Operational", "windefend"),
    (
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
        "terminalservices-localsessionmanager",
    ),
    ("Microsoft-ServiceBus-Client", "microsoft-servicebus-client"),
    ("Microsoft-Windows-LDAP-Client/Debug", "ldap"),
    (
        "Microsoft-Windows-Security-Mitigations/Kernel Mode",
        "security-mitigations",
    ),
    (
        "Microsoft-Windows-Security-Mitigations/User Mode",
        "security-mitigations",
    ),
    ("Microsoft-Windows-Diagnosis-Scripted/Operational", "diagnosis-scripted"),
    ("Microsoft-Windows-Shell-Core/Operational", "shell-core"),
    ("OpenSSH/Operational", "openssh"),
    ("Microsoft-Windows-BitLocker/BitLocker Management", "bitlocker"),
    ("Microsoft-Windows-VHDMP/Operational", "vhdmp"),
    (
        "Microsoft-Windows-AppXDeploymentServer/Operational",
        "appxdeployment-server",
    ),
    ("Microsoft-Windows-LSA/Operational", "lsa-server"),
    ("Microsoft-Windows-AppxPackaging/Operational", "appxpackaging-om"),
    ("Microsoft-Windows-DNS Client Events/Operational", "dns-client"),
    ("Microsoft-Windows-DNS-Client/Operational", "dns-client"),
    ("Microsoft-Windows-AppModel-Runtime/Admin", "appmodel-runtime"),
    ("Microsoft-Windows-CAPI2/Operational", "capi2"),
    (
        "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",
        "certificateservicesclient-lifecycle-system",
    ),
    ("Microsoft-IIS-Configuration/Operational", "iis-configuration"),
];

/// Sigma categories of Sysmon events by event id (pySigma's Sysmon pipeline).
fn sysmon_categories(event_id: i64) -> &'static [&'static str] {
    match event_id {
        1 => &["process_creation"],
        2 => &["file_change"],
        3 => &["network_connection"],
        4 | 16 => &["sysmon_status"],
        5 => &["process_termination"],
        6 => &["driver_load"],
        7 => &["image_load"],
        8 => &["create_remote_thread"],
        9 => &["raw_access_thread"],
        10 => &["process_access"],
        11 => &["file_event"],
        12 => &["registry_add", "registry_delete", "registry_event"],
        13 => &["registry_set", "registry_event"],
        14 => &["registry_rename", "registry_event"],
        15 => &["create_stream_hash"],
        17 | 18 => &["pipe_created"],
        19..=21 => &["wmi_event"],
        22 => &["dns_query"],
        23 => &["file_delete"],
        24 => &["clipboard_capture"],
        25 => &["process_tampering"],
        26 => &["file_delete_detected"],
        27 => &["file_block_executable"],
        28 => &["file_block_shredding"],
        29 => &["file_executable_detected"],
        255 => &["sysmon_error"],
        _ => &[],
    }
}

/// The Sigma service of a Windows channel (exact name, ASCII case-insensitive).
pub fn channel_service(channel: &str) -> Option<&'static str> {
    CHANNEL_SERVICES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(channel))
        .map(|(_, s)| *s)
}

/// Classifies a Windows event into Sigma's logsource taxonomy from its channel and event id.
///
/// Security 4688 (process creation auditing) is also `process_creation`, as in pySigma's
/// `windows_audit_pipeline`; [`flatten`] adds that pipeline's field aliases for it.
pub fn classify(channel: Option<&str>, event_id: Option<i64>) -> LogSourceTags {
    let mut tags = LogSourceTags::product("windows");
    let Some(service) = channel.and_then(channel_service) else {
        return tags;
    };
    tags = tags.with_service(service);
    let categories: &[&'static str] = match (service, event_id) {
        ("sysmon", Some(id)) => sysmon_categories(id),
        ("powershell", Some(4103)) => &["ps_module"],
        ("powershell", Some(4104)) => &["ps_script"],
        ("powershell-classic", Some(400)) => &["ps_classic_start"],
        ("powershell-classic", Some(600)) => &["ps_classic_provider_start"],
        ("powershell-classic", Some(800)) => &["ps_classic_script"],
        ("security", Some(4688)) => &["process_creation"],
        _ => &[],
    };
    tags.categories.extend(categories.iter().map(|c| Cow::Borrowed(*c)));
    tags
}

/// A flattened Windows event.
#[derive(Debug)]
pub struct Flat {
    pub fields: Fields,
    pub time: Option<Timestamp>,
    pub logsource: LogSourceTags,
}

/// Flattens a Windows event. Accepts the full document (`{"Event": {...}}`) or the inner
/// `Event` object; returns `None` when the value has no `System` object.
pub fn flatten(doc: &Value) -> Option<Flat> {
    let event = doc.get("Event").unwrap_or(doc);
    let system = event.get("System")?.as_object()?;
    let mut fields = Fields::with_capacity(32);
    flatten_system(system, &mut fields);
    if let Some(data) = event.get("EventData") {
        flatten_event_data(data, &mut fields);
    }
    if let Some(user) = event.get("UserData") {
        flatten_leaves(user, &mut fields, crate::json::MAX_DEPTH);
    }
    if let Some(info) = event.get("RenderingInfo").and_then(Value::as_object)
        && let Some(msg) = info.get("Message").and_then(text)
    {
        fields.insert_if_absent("Message", msg);
    }
    Some(finish(fields))
}

/// Derives time and logsource from already-flat Windows fields (`EventID`, `Channel`,
/// `TimeCreated`), adding the Security-4688 aliases. Used for EVTX and mapped JSON alike.
pub fn finish(mut fields: Fields) -> Flat {
    let event_id = fields.get("EventID").and_then(as_i64);
    let logsource = classify(fields.get_str("Channel"), event_id);
    if logsource.services.first().is_some_and(|s| s == "security") && event_id == Some(4688) {
        for (sigma, audit) in [
            ("Image", "NewProcessName"),
            ("ParentImage", "ParentProcessName"),
            ("LogonId", "SubjectLogonId"),
        ] {
            if let Some(v) = fields.get(audit).cloned() {
                fields.insert_if_absent(sigma, v);
            }
        }
    }
    let time = fields.get_str("TimeCreated").and_then(parse_timestamp);
    Flat {
        fields,
        time,
        logsource,
    }
}

fn flatten_system(system: &Map<String, Value>, out: &mut Fields) {
    for (key, value) in system {
        match (key.as_str(), value) {
            ("Provider", Value::Object(p)) => {
                for (attr, v) in attributes(p) {
                    if let Some(t) = text(v) {
                        out.insert_if_absent(&format!("Provider_{attr}"), t);
                    }
                }
            }
            ("TimeCreated", Value::Object(t)) => {
                if let Some(st) = attributes(t)
                    .find(|(k, _)| *k == "SystemTime")
                    .and_then(|(_, v)| text(v))
                {
                    out.insert_if_absent("TimeCreated", st);
                }
            }
            ("EventID", v) => {
                if let Some(id) = scalar(v) {
                    out.insert_if_absent("EventID", id);
                }
                if let Some(q) = v.get("#attributes").and_then(|a| a.get("Qualifiers")).and_then(scalar) {
                    out.insert_if_absent("EventID_Qualifiers", q);
                }
            }
            (name @ ("Execution" | "Security" | "Correlation"), Value::Object(o)) => {
                for (attr, v) in attributes(o) {
                    if let Some(s) = scalar(v) {
                        out.insert_if_absent(&format!("{name}_{attr}"), s);
                    }
                }
            }
            (_, Value::Null) => {}
            (name, v) => {
                if let Some(s) = scalar(v) {
                    out.insert_if_absent(name, s);
                }
            }
        }
    }
}

fn flatten_event_data(data: &Value, out: &mut Fields) {
    let Value::Object(map) = data else {
        // Unnamed data (`<EventData><Data>x</Data></EventData>` rendered as a string or array).
        if !data.is_null() {
            out.insert_if_absent("Data", data.clone());
        }
        return;
    };
    for (name, value) in map {
        if name == "#attributes" {
            for (attr, v) in attributes(map) {
                if let Some(s) = scalar(v) {
                    out.insert_if_absent(attr, s);
                }
            }
            continue;
        }
        let value = match value {
            Value::Object(o) if o.contains_key("#text") => o.get("#text").cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        // Some providers (Windows Defender) name data with spaces (`Threat Name`); Sigma rules
        // use the names without spaces (`ThreatName`). Keep both.
        if name.contains(' ') {
            out.insert_if_absent(&name.replace(' ', ""), value.clone());
        }
        out.insert_if_absent(name, value);
    }
}

/// `UserData` (and other free-form XML): every leaf by its element or attribute name.
fn flatten_leaves(value: &Value, out: &mut Fields, depth: usize) {
    if depth == 0 {
        return;
    }
    if let Value::Object(map) = value {
        for (k, v) in map {
            match v {
                Value::Object(_) => flatten_leaves(v, out, depth - 1),
                Value::Null => {}
                _ if k == "#text" || k == "xmlns" => {}
                _ => {
                    out.insert_if_absent(k, v.clone());
                }
            }
        }
    }
}

fn attributes(obj: &Map<String, Value>) -> impl Iterator<Item = (&str, &Value)> {
    obj.get("#attributes")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|a| a.iter().map(|(k, v)| (k.as_str(), v)))
}

/// A scalar value, unwrapping `{"#text": x}`.
fn scalar(v: &Value) -> Option<Value> {
    match v {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(v.clone()),
        Value::Object(o) => o.get("#text").and_then(scalar),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    match scalar(v)? {
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn flattens_sysmon_record_like_sigma_expects() {
        let doc = json!({"Event": {
            "#attributes": {"xmlns": "x"},
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": "{5770}"}},
                "EventID": 13, "Level": 4, "EventRecordID": 7,
                "TimeCreated": {"#attributes": {"SystemTime": "2025-11-27T07:40:10.165324Z"}},
                "Execution": {"#attributes": {"ProcessID": 3544, "ThreadID": 4272}},
                "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ws1",
                "Security": {"#attributes": {"UserID": "S-1-5-18"}}, "Correlation": null
            },
            "EventData": {"EventType": "SetValue", "TargetObject": "HKLM\\x", "Details": "DWORD (0x00000001)", "ProcessId": 4460, "Threat Name": "EICAR"}
        }});
        let flat = flatten(&doc).expect("windows event");
        let f = &flat.fields;
        assert_eq!(f.get("EventID"), Some(&json!(13)));
        assert_eq!(f.get_str("Provider_Name"), Some("Microsoft-Windows-Sysmon"));
        assert_eq!(f.get_str("Channel"), Some("Microsoft-Windows-Sysmon/Operational"));
        assert_eq!(f.get_str("Computer"), Some("ws1"));
        assert_eq!(f.get_str("TargetObject"), Some("HKLM\\x"));
        assert_eq!(f.get("Execution_ProcessID"), Some(&json!(3544)));
        assert_eq!(f.get("ProcessId"), Some(&json!(4460)));
        assert_eq!(f.get_str("ThreatName"), Some("EICAR"), "space-free alias");
        assert_eq!(f.get_str("Threat Name"), Some("EICAR"), "original name kept");
        assert_eq!(f.get_str("Security_UserID"), Some("S-1-5-18"));
        assert_eq!(flat.time, Some("2025-11-27T07:40:10.165324Z".parse().expect("valid")));
        assert!(
            flat.logsource
                .admits(Some("windows"), Some("sysmon"), Some("registry_set"))
        );
        assert!(flat.logsource.admits(Some("windows"), None, Some("registry_event")));
        assert!(!flat.logsource.admits(Some("windows"), None, Some("process_creation")));
    }

    #[test]
    fn event_id_with_qualifiers_user_data_and_unnamed_data() {
        let doc = json!({"Event": {"System": {
            "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7045},
            "Channel": "System"},
            "UserData": {"LogFileCleared": {"#attributes": {"xmlns": "y"}, "SubjectUserName": "bob"}},
            "EventData": {"Data": ["a", "b"]}
        }});
        let flat = flatten(&doc).expect("windows event");
        assert_eq!(flat.fields.get("EventID"), Some(&json!(7045)));
        assert_eq!(flat.fields.get("EventID_Qualifiers"), Some(&json!(16384)));
        assert_eq!(flat.fields.get_str("SubjectUserName"), Some("bob"));
        assert_eq!(flat.fields.get("Data"), Some(&json!(["a", "b"])));
        assert!(flat.logsource.admits(Some("windows"), Some("system"), None));
    }

    #[test]
    fn security_4688_is_process_creation_with_audit_aliases() {
        let doc = json!({"Event": {"System": {"EventID": 4688, "Channel": "Security"},
            "EventData": {"NewProcessName": "C:\\w\\cmd.exe", "ParentProcessName": "C:\\w\\explorer.exe", "CommandLine": "cmd"}}});
        let flat = flatten(&doc).expect("windows event");
        assert!(flat.logsource.admits(Some("windows"), None, Some("process_creation")));
        assert_eq!(flat.fields.get_str("Image"), Some("C:\\w\\cmd.exe"));
        assert_eq!(flat.fields.get_str("ParentImage"), Some("C:\\w\\explorer.exe"));
    }

    #[test]
    fn powershell_categories_and_unknown_channel() {
        assert!(
            classify(Some("Microsoft-Windows-PowerShell/Operational"), Some(4104)).admits(
                Some("windows"),
                Some("powershell"),
                Some("ps_script")
            )
        );
        assert!(classify(Some("Windows PowerShell"), Some(400)).admits(None, None, Some("ps_classic_start")));
        let t = classify(Some("Custom/Log"), Some(1));
        assert!(t.admits(Some("windows"), None, None) && t.services.is_empty());
        assert!(flatten(&json!({"not": "windows"})).is_none());
    }
}

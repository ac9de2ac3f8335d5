//! MITRE ATT&CK ids from Sigma tags (`attack.t1059.001`, `attack.execution`, `attack.g0016`, …).

use serde::Serialize;

/// Enterprise ATT&CK tactics: Sigma tag name, id, display name.
pub const TACTICS: &[(&str, &str, &str)] = &[
    ("reconnaissance", "TA0043", "Reconnaissance"),
    ("resource_development", "TA0042", "Resource Development"),
    ("initial_access", "TA0001", "Initial Access"),
    ("execution", "TA0002", "Execution"),
    ("persistence", "TA0003", "Persistence"),
    ("privilege_escalation", "TA0004", "Privilege Escalation"),
    ("defense_evasion", "TA0005", "Defense Evasion"),
    ("credential_access", "TA0006", "Credential Access"),
    ("discovery", "TA0007", "Discovery"),
    ("lateral_movement", "TA0008", "Lateral Movement"),
    ("collection", "TA0009", "Collection"),
    ("command_and_control", "TA0011", "Command and Control"),
    ("exfiltration", "TA0010", "Exfiltration"),
    ("impact", "TA0040", "Impact"),
];

/// ATT&CK references of one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attack {
    /// Tactic ids, e.g. `TA0002`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tactics: Vec<String>,
    /// Technique and sub-technique ids, e.g. `T1059.001`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<String>,
    /// Groups (`G0016`) and software (`S0002`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups_software: Vec<String>,
}

impl Attack {
    /// Parses the `attack.*` tags of a rule; other tags are ignored.
    pub fn from_tags<S: AsRef<str>>(tags: &[S]) -> Attack {
        let mut out = Attack::default();
        for tag in tags {
            let Some(rest) = tag.as_ref().trim().strip_prefix("attack.") else {
                continue;
            };
            let rest = rest.to_ascii_lowercase();
            let push = |v: &mut Vec<String>, s: String| {
                if !v.contains(&s) {
                    v.push(s);
                }
            };
            if let Some((_, id, _)) = TACTICS
                .iter()
                .find(|(name, _, _)| name.replace('_', "-") == rest || *name == rest)
            {
                push(&mut out.tactics, (*id).to_string());
            } else if is_id(&rest, 't') {
                push(&mut out.techniques, rest.to_ascii_uppercase());
            } else if is_id(&rest, 'g') || is_id(&rest, 's') {
                push(&mut out.groups_software, rest.to_ascii_uppercase());
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.tactics.is_empty() && self.techniques.is_empty() && self.groups_software.is_empty()
    }
}

/// `t1059`, `t1059.001` (prefix letter, four digits, optional `.` and three digits).
fn is_id(s: &str, prefix: char) -> bool {
    let Some(rest) = s.strip_prefix(prefix) else {
        return false;
    };
    let (main, sub) = rest.split_once('.').unwrap_or((rest, ""));
    main.len() == 4
        && main.bytes().all(|b| b.is_ascii_digit())
        && (sub.is_empty() || (sub.len() == 3 && sub.bytes().all(|b| b.is_ascii_digit())))
}

/// The display name of a tactic id (`TA0002` -> `Execution`).
pub fn tactic_name(id: &str) -> Option<&'static str> {
    TACTICS.iter().find(|(_, tid, _)| *tid == id).map(|(_, _, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tactics_techniques_and_groups() {
        let a = Attack::from_tags(&[
            "attack.execution",
            "attack.t1059.001",
            "attack.T1218",
            "attack.defense-evasion",
            "attack.g0016",
            "attack.s0002",
            "cve.2021-44228",
            "attack.t12",
            "attack.execution",
        ]);
        assert_eq!(a.tactics, ["TA0002", "TA0005"]);
        assert_eq!(a.techniques, ["T1059.001", "T1218"]);
        assert_eq!(a.groups_software, ["G0016", "S0002"]);
        assert_eq!(tactic_name("TA0002"), Some("Execution"));
    }
}

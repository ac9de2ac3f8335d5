//! The Reference Security Incident Taxonomy (RSIT), version 1.3.
//!
//! RSIT is the incident classification maintained by the TF-CSIRT "Reference Security Incident
//! Taxonomy" working group with ENISA. An incident is classified as `category:type`, both in the
//! machine names of the taxonomy (lowercase, hyphenated), e.g. `intrusions:system-compromise`.
//!
//! Source: the working group's machine-readable taxonomy, `working_copy/machinev1` (version
//! field 1003, i.e. 1.3) in <https://github.com/enisaeu/Reference-Security-Incident-Taxonomy-Task-Force>,
//! also published as the MISP taxonomy `rsit` (<https://www.misp-project.org/taxonomies.html#_rsit>).
//! Version 1.3 is the one with `intrusions:system-compromise`, `availability:misconfiguration`,
//! `information-content-security:data-leak` and `other:undetermined`, and the British spelling
//! `fraud:unauthorised-use-of-resources`. The descriptions below are Vigil's one-line summaries.

use crate::error::{RespondError, quoted};

/// The taxonomy version implemented here.
pub const VERSION: &str = "1.3";

/// One `category:type` pair of the taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    /// The category (first column), e.g. `intrusions`.
    pub category: &'static str,
    /// The type within the category (second column), e.g. `system-compromise`.
    pub kind: &'static str,
    /// What the pair means, in one line.
    pub description: &'static str,
}

impl Classification {
    /// The machine name `category:type`, as [`parse`] accepts it.
    pub fn name(&self) -> String {
        format!("{}:{}", self.category, self.kind)
    }
}

const fn entry(category: &'static str, kind: &'static str, description: &'static str) -> Classification {
    Classification {
        category,
        kind,
        description,
    }
}

/// Every pair of RSIT 1.3, grouped by category in the taxonomy's order.
#[rustfmt::skip]
static ALL: [Classification; 39] = [
    entry("abusive-content", "spam", "Unsolicited bulk messages, and the infrastructure that sends them."),
    entry("abusive-content", "harmful-speech", "Bullying, harassment, discrimination or threats against people."),
    entry("abusive-content", "violence", "(Child) sexual exploitation, sexual or violent content."),
    entry("malicious-code", "infected-system", "A system infected with malware (often seen contacting a sinkholed C2)."),
    entry("malicious-code", "c2-server", "A command-and-control server of malware or a botnet."),
    entry("malicious-code", "malware-distribution", "A resource (URL, host) used to distribute malware."),
    entry("malicious-code", "malware-configuration", "A resource hosting malware configuration, e.g. banking-trojan webinjects."),
    entry("information-gathering", "scanner", "Scanning for weaknesses: ports, services, hosts, accounts."),
    entry("information-gathering", "sniffing", "Observing or recording network traffic (wiretapping)."),
    entry("information-gathering", "social-engineering", "Gathering information from people by non-technical means (lies, tricks, bribes, threats)."),
    entry("intrusion-attempts", "ids-alert", "An attempt to exploit a known vulnerability (e.g. one with a CVE), flagged by an IDS."),
    entry("intrusion-attempts", "brute-force", "Repeated login attempts: password guessing or cracking."),
    entry("intrusion-attempts", "exploit", "An attack using an unknown exploit."),
    entry("intrusions", "privileged-account-compromise", "Compromise of a privileged (administrator) account."),
    entry("intrusions", "unprivileged-account-compromise", "Compromise of an unprivileged (user or service) account."),
    entry("intrusions", "application-compromise", "Compromise of an application through a (known or unknown) vulnerability, e.g. SQL injection."),
    entry("intrusions", "system-compromise", "Compromise of a whole system, e.g. through an exploited vulnerability or malware."),
    entry("intrusions", "burglary", "Physical intrusion, e.g. into an office building or a data centre."),
    entry("availability", "dos", "Denial of service from a single source."),
    entry("availability", "ddos", "Distributed denial of service, e.g. floods or reflection/amplification attacks."),
    entry("availability", "misconfiguration", "Loss of availability caused by a software misconfiguration."),
    entry("availability", "sabotage", "Physical sabotage, e.g. cut cables or arson."),
    entry("availability", "outage", "Outage without malice, e.g. cooling failure or natural disaster."),
    entry("information-content-security", "unauthorised-information-access", "Access to information without authorisation, e.g. with stolen credentials."),
    entry("information-content-security", "unauthorised-information-modification", "Modification of information without authorisation, e.g. ransomware encryption."),
    entry("information-content-security", "data-loss", "Loss of data, e.g. disk failure or physical theft."),
    entry("information-content-security", "data-leak", "Leak of confidential information."),
    entry("fraud", "unauthorised-use-of-resources", "Use of resources for unauthorised purposes, e.g. profit-making ventures."),
    entry("fraud", "copyright", "Offering or installing unlicensed software or other copyrighted material."),
    entry("fraud", "masquerade", "Impersonating another entity to benefit from it."),
    entry("fraud", "phishing", "Masquerading as another entity to obtain credentials or other private data."),
    entry("vulnerable", "weak-crypto", "A publicly reachable service offering weak cryptography."),
    entry("vulnerable", "ddos-amplifier", "A publicly reachable service usable for DDoS reflection/amplification, e.g. an open resolver."),
    entry("vulnerable", "potentially-unwanted-accessible", "A potentially unwanted publicly reachable service, e.g. Telnet, RDP or VNC."),
    entry("vulnerable", "information-disclosure", "A publicly reachable service that may disclose sensitive information, e.g. SNMP."),
    entry("vulnerable", "vulnerable-system", "A system vulnerable to attack, e.g. outdated software or a weak configuration."),
    entry("other", "other", "An incident that fits no other category."),
    entry("other", "undetermined", "An incident whose category is not (yet) determined."),
    entry("test", "test", "Meant for testing."),
];

/// The categories in the taxonomy's order.
const CATEGORIES: [&str; 11] = [
    "abusive-content",
    "malicious-code",
    "information-gathering",
    "intrusion-attempts",
    "intrusions",
    "availability",
    "information-content-security",
    "fraud",
    "vulnerable",
    "other",
    "test",
];

/// Every `category:type` pair of RSIT 1.3, grouped by category in the taxonomy's order.
pub fn all() -> &'static [Classification] {
    &ALL
}

/// The categories of RSIT 1.3, in the taxonomy's order.
pub fn categories() -> &'static [&'static str] {
    &CATEGORIES
}

/// The pairs of one category (empty when `category` is not one).
pub fn types_of(category: &str) -> impl Iterator<Item = &'static Classification> + '_ {
    ALL.iter().filter(move |c| c.category == category)
}

/// Looks up a classification written exactly `category:type`, lowercase, as the taxonomy names it.
///
/// A refusal says what would have been accepted: the types of the category when only the type is
/// wrong or missing, the categories otherwise.
pub fn parse(text: &str) -> Result<&'static Classification, RespondError> {
    let Some((category, kind)) = text.split_once(':') else {
        return Err(without_type(text));
    };
    if let Some(found) = ALL.iter().find(|c| c.category == category && c.kind == kind) {
        return Ok(found);
    }
    let lower = text.to_ascii_lowercase();
    if lower != text && parse(&lower).is_ok() {
        return Err(RespondError::invalid(format!(
            "unknown classification {}; names are lowercase: did you mean {}?",
            quoted(text),
            quoted(&lower)
        )));
    }
    if CATEGORIES.contains(&category) {
        return Err(RespondError::invalid(format!(
            "unknown classification {}; the types of {category} are: {}",
            quoted(text),
            type_list(category)
        )));
    }
    Err(RespondError::invalid(format!(
        "unknown classification {}; the categories are: {}",
        quoted(text),
        CATEGORIES.join(", ")
    )))
}

fn without_type(text: &str) -> RespondError {
    if CATEGORIES.contains(&text) {
        return RespondError::invalid(format!(
            "classification {} needs a type, written \"category:type\"; the types of {text} are: {}",
            quoted(text),
            type_list(text)
        ));
    }
    RespondError::invalid(format!(
        "classification {} is not written \"category:type\"; the categories are: {}",
        quoted(text),
        CATEGORIES.join(", ")
    ))
}

fn type_list(category: &str) -> String {
    types_of(category).map(|c| c.kind).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        match parse(text) {
            Ok(found) => panic!("{text} parsed as {}", found.name()),
            Err(RespondError::Invalid(message)) => message,
        }
    }

    #[test]
    fn every_name_round_trips() {
        for c in all() {
            let parsed = parse(&c.name()).map_err(|e| e.to_string());
            assert_eq!(parsed, Ok(c), "{}", c.name());
            assert!(!c.description.is_empty());
        }
    }

    #[test]
    fn names_are_unique_and_categories_are_listed_in_order() {
        let mut names: Vec<String> = all().iter().map(Classification::name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 39);
        let mut seen: Vec<&str> = all().iter().map(|c| c.category).collect();
        seen.dedup();
        assert_eq!(seen, categories());
    }

    #[test]
    fn entries_per_category() {
        let expected = [
            ("abusive-content", 3),
            ("malicious-code", 4),
            ("information-gathering", 3),
            ("intrusion-attempts", 3),
            ("intrusions", 5),
            ("availability", 5),
            ("information-content-security", 4),
            ("fraud", 4),
            ("vulnerable", 5),
            ("other", 2),
            ("test", 1),
        ];
        for (category, count) in expected {
            assert_eq!(types_of(category).count(), count, "{category}");
        }
        assert_eq!(VERSION, "1.3");
    }

    #[test]
    fn version_1_3_names_are_present() {
        for name in [
            "intrusions:system-compromise",
            "availability:misconfiguration",
            "information-content-security:data-leak",
            "fraud:unauthorised-use-of-resources",
            "other:undetermined",
            "test:test",
        ] {
            assert!(parse(name).is_ok(), "{name}");
        }
        assert!(parse("fraud:unauthorized-use-of-resources").is_err());
        assert!(parse("malicious-code:malware-dga-domain").is_err());
    }

    #[test]
    fn unknown_type_lists_the_types_of_its_category() {
        assert_eq!(
            message("intrusions:foo"),
            "unknown classification \"intrusions:foo\"; the types of intrusions are: \
             privileged-account-compromise, unprivileged-account-compromise, \
             application-compromise, system-compromise, burglary"
        );
    }

    #[test]
    fn unknown_category_lists_the_categories() {
        let m = message("malware:infected-system");
        assert!(m.starts_with("unknown classification \"malware:infected-system\"; the categories are: abusive-content, malicious-code,"), "{m}");
        assert!(m.ends_with("other, test"), "{m}");
    }

    #[test]
    fn missing_type_and_wrong_case_are_explained() {
        let m = message("availability");
        assert!(m.contains("needs a type"), "{m}");
        assert!(m.contains("dos, ddos, misconfiguration, sabotage, outage"), "{m}");
        let m = message("Intrusions:System-Compromise");
        assert!(m.contains("did you mean \"intrusions:system-compromise\""), "{m}");
        assert!(message("").contains("the categories are"));
        assert!(message("intrusions:burglary:x").contains("the types of intrusions"));
        assert!(message(" intrusions:burglary").contains("the categories are"));
    }
}

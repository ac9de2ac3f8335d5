//! `[coverage]`: ATT&CK coverage completeness (issue 17). Absent: coverage is off and its routes
//! answer `coverage_unconfigured`.
//!
//! ```toml
//! [coverage]
//! attack_bundle = "/etc/vigil/enterprise-attack-18.1.json"   # a STIX 2.1 bundle, read at start
//! tactics = ["execution", "TA0003"]     # scope by tactic (shortname or id); default: all
//! platforms = ["Windows", "Linux"]      # scope by platform; default: all
//! window = "24h"                        # a rule's logsource reports when it sent within this
//! ```
//!
//! The bundle is loaded (and the tactics and platforms checked against it) when the configuration
//! is read, so a bad bundle is a problem on the `attack_bundle` line.

use std::{path::PathBuf, sync::Arc, time::Duration};

use serde::Deserialize;
use vigil_coverage::{Attack, Scope};

use super::reader::Reader;

const SECTION: &str = "coverage";
/// The health window unless configured.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The coverage settings and the loaded bundle.
#[derive(Debug, Clone)]
pub struct CoverageConfig {
    pub attack_bundle: PathBuf,
    pub attack: Arc<Attack>,
    pub scope: Scope,
    pub window: Duration,
}

impl PartialEq for CoverageConfig {
    /// The same file, scope and window (the bundle is what the file holds).
    fn eq(&self, other: &Self) -> bool {
        self.attack_bundle == other.attack_bundle && self.scope == other.scope && self.window == other.window
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CoverageFile {
    attack_bundle: Option<String>,
    #[serde(default)]
    tactics: Vec<String>,
    #[serde(default)]
    platforms: Vec<String>,
    window: Option<String>,
}

/// Reads `[coverage]`; every problem on its line.
pub(super) fn read(r: &mut Reader, table: &toml::Table) -> Option<CoverageConfig> {
    table.get(SECTION)?;
    let file: CoverageFile = r.section(table, SECTION);
    let window = r
        .duration(SECTION, "window", file.window.as_deref())
        .unwrap_or(DEFAULT_WINDOW);
    let Some(path) = file.attack_bundle.filter(|p| !p.trim().is_empty()) else {
        r.problem(
            Some(SECTION),
            "attack_bundle",
            "missing: the path of an ATT&CK Enterprise STIX 2.1 bundle (enterprise-attack.json)",
        );
        return None;
    };
    let attack = match Attack::load(path.as_ref()) {
        Ok(a) => a,
        Err(e) => {
            r.problem(Some(SECTION), "attack_bundle", e.to_string());
            return None;
        }
    };
    for t in &file.tactics {
        if !attack
            .tactics
            .iter()
            .any(|x| x.shortname.eq_ignore_ascii_case(t) || x.id.eq_ignore_ascii_case(t))
        {
            let known: Vec<&str> = attack.tactics.iter().map(|x| x.shortname.as_str()).collect();
            r.problem(
                Some(SECTION),
                "tactics",
                format!(
                    "`{t}` is not a tactic of the bundle; the tactics are: {}",
                    known.join(", ")
                ),
            );
        }
    }
    let platforms = attack.platforms();
    for p in &file.platforms {
        if !platforms.iter().any(|x| x.eq_ignore_ascii_case(p)) {
            r.problem(
                Some(SECTION),
                "platforms",
                format!(
                    "`{p}` is not a platform of the bundle; the platforms are: {}",
                    platforms.join(", ")
                ),
            );
        }
    }
    Some(CoverageConfig {
        attack_bundle: PathBuf::from(path),
        attack: Arc::new(attack),
        scope: Scope {
            tactics: file.tactics,
            platforms: file.platforms,
        },
        window,
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    fn fixture() -> String {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../vigil-coverage/tests/fixtures/mini-attack.json"
        )
        .to_string()
    }

    #[test]
    fn a_coverage_section_loads_its_bundle_and_scope() {
        let text = format!(
            "version = 1\n[coverage]\nattack_bundle = \"{}\"\ntactics = [\"execution\", \"TA0005\"]\nplatforms = [\"linux\"]\nwindow = \"6h\"\n",
            fixture()
        );
        let c = parse(&text).expect("valid").coverage.expect("coverage on");
        assert_eq!(c.attack.techniques.len(), 6);
        assert_eq!(c.scope.tactics, ["execution", "TA0005"]);
        assert_eq!(c.window.as_secs(), 6 * 3600);
        assert!(parse("version = 1\n").expect("valid").coverage.is_none());
    }

    #[test]
    fn every_coverage_problem_is_on_its_line() {
        let text = format!(
            "version = 1\n[coverage]\nattack_bundle = \"{}\"\ntactics = [\"exfil\"]\nplatforms = [\"Amiga\"]\nwindow = \"soon\"\ncolour = 1\n",
            fixture()
        );
        let problems = parse(&text).expect_err("invalid");
        let found: Vec<(&str, Option<usize>)> = problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
        assert_eq!(
            found,
            [
                ("coverage.tactics", Some(4)),
                ("coverage.platforms", Some(5)),
                ("coverage.window", Some(6)),
                ("coverage.colour", Some(7)),
            ],
            "{problems:?}"
        );
        let bad =
            parse("version = 1\n[coverage]\nattack_bundle = \"/nonexistent/attack.json\"\n").expect_err("missing");
        assert_eq!((bad[0].key.as_str(), bad[0].line), ("coverage.attack_bundle", Some(3)));
        assert!(bad[0].message.contains("/nonexistent/attack.json"), "{bad:?}");
        let none = parse("version = 1\n[coverage]\nwindow = \"1h\"\n").expect_err("no bundle");
        assert_eq!(none[0].key, "coverage.attack_bundle");
    }
}
